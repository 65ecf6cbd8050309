/**
 * The four modes a scenario can have, which command runs each, and why a section one mode uses
 * means nothing in another. The loader words its problems with this table: a section a mode
 * cannot honour is a schema problem, not something each command checks again. Pure.
 */

/** Every mode, in the order the docs list them. */
export const MODES = ['canary', 'regression', 'capacity', 'regress'] as const;

/** A scenario's mode. */
export type Mode = (typeof MODES)[number];

/** What a mode is, and the command that runs it. */
export const MODE_INFO: Readonly<Record<Mode, { command: string; doc: string }>> = {
  canary: { command: 'run', doc: 'canary: a staged rollout, the canary judged against the live baseline arm' },
  regression: { command: 'run', doc: 'regression: the candidate judged against a stored baseline file' },
  capacity: { command: 'capacity', doc: 'capacity: the highest rate that still meets an SLO' },
  regress: {
    command: 'regress',
    doc: 'regress: build N and build N+1 started here and judged one against the other (formerly mode: regression with a regress section, still read)',
  },
};

/** The command that runs scenarios of `mode`. */
export function commandFor(mode: Mode): string {
  return MODE_INFO[mode].command;
}

/**
 * Why a command that does not run `mode` refuses a scenario of that mode; the sentence ends in
 * the command to use instead.
 */
export function wrongModeReason(command: string, mode: Mode): string {
  switch (mode) {
    case 'capacity':
      return `${command} does not search capacity; use canary-gate capacity <scenario> for this file`;
    case 'regress':
      return `this scenario starts its own builds, which ${command} does not; run it with canary-gate regress`;
    default:
      return `${command} does not run staged canaries; use canary-gate run <scenario> for this file`;
  }
}

/**
 * Why a key that exists in some mode is refused in `mode`, by path pattern ("prometheus",
 * "traffic.rate", "gates.checks.*.vsStored"); undefined when the key exists in no mode.
 */
export function refusedKeyReason(mode: Mode, pattern: string, usedBy: readonly Mode[]): string | undefined {
  const specific = REASONS[mode]?.[pattern];
  if (specific) return specific;
  if (usedBy.length === 0) return undefined;
  return `mode ${mode} does not use this; it belongs to mode ${usedBy.join(' and ')} (${usedBy.map((m) => `canary-gate ${commandFor(m)}`).join(', ')})`;
}

/** What a missing section that `mode` cannot do without is called, by path ("targets.baseline"). */
export function missingSectionReason(mode: Mode, path: string): string | undefined {
  return MISSING[mode]?.[path];
}

const MISSING: Partial<Record<Mode, Record<string, string>>> = {
  canary: { 'targets.baseline': 'expected a baseline target in canary mode' },
  regression: {
    baseline: 'expected a baseline file in regression mode (baseline.file, or mode: regress to run both builds here)',
  },
  capacity: {
    capacity: 'expected a capacity section in capacity mode',
    'capacity.slo': "expected an SLO like 'p99<50ms,errors<0.1%'",
  },
  regress: { regress: 'expected a regress section in regress mode (the two builds to start)' },
};

const STAGED = 'a staged canary (mode canary or regression, canary-gate run)';

const REASONS: Partial<Record<Mode, Record<string, string>>> = {
  capacity: {
    prometheus: 'the capacity search does not read PromQL checks; each step is judged by capacity.slo alone',
    alertmanager: 'the capacity search does not read Alertmanager checks; each step is judged by capacity.slo alone',
    tracing: 'the capacity search does not trace requests (no traceparent, no exemplars)',
    'traffic.rate': 'the capacity search sets the rate itself, from capacity.start up to capacity.max',
    'traffic.stepDuration': 'the capacity search measures each rate for capacity.stepDuration',
    'traffic.minStepDuration': 'the capacity search measures each rate for capacity.stepDuration',
    'traffic.maxStepDuration': 'the capacity search measures each rate for capacity.stepDuration',
    'targets.baseline': 'the capacity search measures one service, targets.canary (--compare searches a second)',
    steps: `the capacity search has no weights to step through; steps belong to ${STAGED}`,
    router: `the capacity search moves no traffic; a router belongs to ${STAGED}`,
    gates: 'the capacity search judges each step by capacity.slo alone',
    baseline: 'the capacity search compares with no stored baseline (--compare searches a second target)',
    health: 'the capacity search checks targets.canary.health (or the first request) before any load',
    hooks: `the capacity search runs no hooks; hooks belong to ${STAGED}`,
    regress: 'this scenario searches capacity; a regression run of two builds is mode regress (canary-gate regress)',
    security: `the capacity search probes no security invariants (no arms to hold them to, no steps to probe at); they belong to ${STAGED}`,
  },
  regress: {
    prometheus: 'PromQL checks are not supported by regress',
    alertmanager: 'alert checks are not supported by regress',
    'gates.checks.*.vsStored': 'regress judges against the baseline build it runs',
    targets: 'regress starts the builds and knows their addresses (regress.port)',
    steps: 'regress measures both builds at full load, round by round (regress.rounds)',
    router: 'regress moves no traffic: it runs the same load against each build',
    baseline: 'regress judges against the baseline build it runs, not a stored baseline',
    health: 'regress waits for regress.healthPath on each build before any load',
    hooks: `regress runs no hooks; hooks belong to ${STAGED}`,
    capacity: 'this scenario runs two builds; a capacity search is mode capacity (canary-gate capacity)',
    'traffic.minStepDuration': 'regress measures each build for traffic.stepDuration per round',
    'traffic.maxStepDuration': 'regress measures each build for traffic.stepDuration per round',
    security: `regress probes no security invariants: its builds run here, without the TLS, auth and limits in front of them in production; they belong to ${STAGED}`,
  },
  canary: {
    regress: 'this section starts two builds here: put mode: regress and run it with canary-gate regress',
    capacity: 'this section searches capacity: put mode: capacity and run it with canary-gate capacity',
  },
  regression: {
    capacity: 'this section searches capacity: put mode: capacity and run it with canary-gate capacity',
  },
};
