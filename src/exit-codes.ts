/** Exit codes, in one table (DESIGN.md's CLI contract). */
import type { ErrorCode } from './errors.js';

/** Every exit code canary-gate uses. */
export const EXIT = {
  /** Success; for `run`, the canary was promoted. */
  ok: 0,
  /** The canary was rolled back (a gate failed). */
  rolledBack: 1,
  /** capacity: no rate tried met the SLO. */
  noCompliantRate: 1,
  /** Bad usage or an invalid scenario: nothing was sent. */
  usage: 2,
  /** Aborted by an infrastructure error (after the router was reset). */
  infrastructure: 3,
  /** capacity: the generator could not keep the schedule, so the service's limit is unmeasured. */
  generatorLimited: 3,
  /** Interrupted by SIGINT or SIGTERM (after the router was reset). */
  interrupted: 130,
} as const;

/** The exit code for an error code. */
export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'E_USAGE':
    case 'E_SCENARIO':
    case 'E_BASELINE_FORMAT':
      return EXIT.usage;
    case 'E_TARGET':
    case 'E_ROUTER':
    case 'E_BUILD':
    case 'E_INTERNAL':
      return EXIT.infrastructure;
  }
}

/** The table as `--help` and the README print it. */
export const EXIT_CODES_HELP = [
  'Exit codes:',
  '  0    success (run: canary promoted)',
  '  1    run: canary rolled back by a failed gate; regress: candidate regressed; capacity: no rate met the SLO',
  '  2    bad usage or invalid scenario; nothing was sent',
  '  3    aborted by an infrastructure error, after resetting the router; capacity: target down,',
  '       or the generator, not the service, was the limit',
  '       regress: a build could not start or stay healthy (after stopping every build)',
  '  130  interrupted (SIGINT/SIGTERM), after resetting the router',
].join('\n');
