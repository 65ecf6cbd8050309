/**
 * Every failure canary-gate reports on purpose is one of these classes with a stable `code`;
 * callers branch on the code, and the CLI maps codes to exit codes in one table.
 */

/** Stable error codes; the CLI's exit-code table is keyed by these. */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_SCENARIO'
  | 'E_TARGET'
  | 'E_ROUTER'
  | 'E_BUILD'
  | 'E_GENERATOR'
  | 'E_BASELINE_FORMAT'
  | 'E_SHARD'
  | 'E_INTERNAL';

/** Base class: a message for people, a code for programs, an optional hint for the next step. */
export class CanaryGateError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.hint = options.hint;
  }
}

/** Bad command-line input: nothing has been sent. */
export class UsageError extends CanaryGateError {
  constructor(message: string, options: { hint?: string } = {}) {
    super('E_USAGE', message, options);
  }
}

/** A scenario (file or flags turned into one) that does not validate: nothing has been sent. */
export class ScenarioError extends CanaryGateError {
  /** Every problem found, each naming its field path. */
  readonly problems: readonly string[];

  constructor(message: string, problems: readonly string[] = [], options: { hint?: string } = {}) {
    super('E_SCENARIO', message, options);
    this.problems = problems;
  }
}

/** A target that cannot be used at all (bad URL, not on loopback when that is required). */
export class TargetError extends CanaryGateError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('E_TARGET', message, options);
  }
}

/** A router that could not move traffic, after its retries. The driver resets and exits 3. */
export class RouterError extends CanaryGateError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('E_ROUTER', message, options);
  }
}

/** A build a regression run could not start or keep up (image missing, never healthy, exited). */
export class BuildError extends CanaryGateError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('E_BUILD', message, options);
  }
}

/**
 * A measurement that must be the service's was the load generator's own queue (see
 * load/generator-limit.ts), so nothing was kept: storing it would hide the service behind it.
 */
export class GeneratorLimitError extends CanaryGateError {
  constructor(message: string, options: { hint?: string } = {}) {
    super('E_GENERATOR', message, options);
  }
}
