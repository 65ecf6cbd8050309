/**
 * Exit codes, in one table (DESIGN.md's CLI contract): what each code means for each command,
 * which error codes, run decisions and capacity verdicts map to it. `--help` prints the table,
 * the README holds the same text (a test compares them), and every result takes its exit code
 * from the maps below.
 */
import type { ErrorCode } from './errors.js';

/** Every exit code canary-gate uses. */
export const EXIT = {
  /** Success; for `run`, the canary was promoted. */
  ok: 0,
  /** The canary was rolled back (a gate failed); regress: the candidate regressed; capacity: no rate met the SLO. */
  failed: 1,
  /** Bad usage or an invalid scenario: nothing was sent. */
  usage: 2,
  /** Aborted by an infrastructure error (after the router was reset); capacity: the generator was the limit. */
  infrastructure: 3,
  /** Interrupted by SIGINT or SIGTERM (after the router was reset). */
  interrupted: 130,
} as const;

/** An exit code. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Each code, what it means in general and per command: the rows `--help` and the README print. */
export const EXIT_TABLE: readonly { code: ExitCode; meaning: string; more?: string[] }[] = [
  { code: EXIT.ok, meaning: 'success (run: canary promoted; judge: the step passed; serve: stopped by a signal)' },
  {
    code: EXIT.failed,
    meaning: 'run: canary rolled back by a failed gate; regress: candidate regressed;',
    more: [
      'capacity: no rate met the SLO; compare: the result regressed against the baseline',
      'judge: the step failed',
    ],
  },
  { code: EXIT.usage, meaning: 'bad usage or invalid scenario; nothing was sent' },
  {
    code: EXIT.infrastructure,
    meaning: 'aborted by an infrastructure error, after resetting the router; capacity: target down,',
    more: [
      'or the generator, not the service, was the limit',
      'regress: a build could not start or stay healthy (after stopping every build)',
      'baseline record: the generator, not the service, was the limit; nothing written',
      'judge: an arm could not be measured; serve: the address could not be listened on',
    ],
  },
  { code: EXIT.interrupted, meaning: 'interrupted (SIGINT/SIGTERM), after resetting the router' },
];

/** The table as `--help` and the README print it. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  ...EXIT_TABLE.flatMap((row) => [
    `  ${String(row.code).padEnd(4)} ${row.meaning}`,
    ...(row.more ?? []).map((line) => `       ${line}`),
  ]),
].join('\n');

/** The exit code for an error code. */
export function exitCodeFor(code: ErrorCode): ExitCode {
  switch (code) {
    case 'E_USAGE':
    case 'E_SCENARIO':
    case 'E_BASELINE_FORMAT':
      return EXIT.usage;
    case 'E_TARGET':
    case 'E_ROUTER':
    case 'E_BUILD':
    case 'E_GENERATOR':
    case 'E_SHARD':
    case 'E_INTERNAL':
      return EXIT.infrastructure;
  }
}

/** How a run (`run`, `demo`, `regress`) ended. */
export type Decision = 'promote' | 'rollback' | 'aborted' | 'interrupted';

/** Exit code of each decision, for `run` and `regress` alike. */
export const DECISION_EXIT: Readonly<Record<Decision, ExitCode>> = {
  promote: EXIT.ok,
  rollback: EXIT.failed,
  aborted: EXIT.infrastructure,
  interrupted: EXIT.interrupted,
};

/** Why a capacity search ended (capacity/search.ts's verdicts, and an interruption). */
export type CapacityVerdict =
  | 'found'
  | 'max-reached'
  | 'step-limit'
  | 'slo-fails-at-start'
  | 'generator-limited'
  | 'interrupted';

/**
 * Each capacity verdict's exit code and what it means; `capacity --help` prints this table.
 * `step-limit` exits 0: as with `max-reached`, a capacity was measured (the highest passing
 * rate, with its interval), only less exactly than asked, and the verdict and its suggestion say so.
 */
export const VERDICT_EXIT: Readonly<Record<CapacityVerdict, { exitCode: ExitCode; meaning: string }>> = {
  found: { exitCode: EXIT.ok, meaning: 'capacity found, its interval within --precision' },
  'max-reached': { exitCode: EXIT.ok, meaning: 'every rate up to --max met the SLO: the capacity is at least --max' },
  'step-limit': {
    exitCode: EXIT.ok,
    meaning: 'its steps ran out: a capacity was measured, less exactly than --precision',
  },
  'slo-fails-at-start': { exitCode: EXIT.failed, meaning: 'the SLO failed at --start: no compliant rate' },
  'generator-limited': {
    exitCode: EXIT.infrastructure,
    meaning: 'the generator, not the service, was the limit (the rates met are a lower bound)',
  },
  interrupted: { exitCode: EXIT.interrupted, meaning: 'SIGINT or SIGTERM: the result holds the curve so far' },
};

/** The exit code of a capacity run: the highest of its targets' verdicts. */
export function capacityExitCode(verdicts: readonly CapacityVerdict[]): ExitCode {
  // The codes rank as their severity does: interrupted 130 > generator-limited 3 > no rate 1 > 0.
  return verdicts.reduce<ExitCode>((worst, v) => Math.max(worst, VERDICT_EXIT[v].exitCode) as ExitCode, EXIT.ok);
}

/** The capacity verdict table as `capacity --help` prints it. */
export const VERDICT_EXIT_HELP = [
  'Verdicts and exit codes of capacity:',
  ...Object.entries(VERDICT_EXIT).map(([v, e]) => `  ${v.padEnd(19)} ${String(e.exitCode).padEnd(4)} ${e.meaning}`),
  `  ${'(nothing sent)'.padEnd(19)} ${String(EXIT.usage).padEnd(4)} bad usage or scenario`,
  `  ${'(nothing sent)'.padEnd(19)} ${String(EXIT.infrastructure).padEnd(4)} the target did not answer the pre-flight request`,
  "With --compare the exit code is the higher of the two searches'.",
  '',
].join('\n');
