/** How a finished run is printed: the RunResult as JSON on stdout with --json, the summary for people. */
import { renderRegressSummary, renderRunSummary } from '../report/run-summary.js';
import type { RunOutcome } from '../session/canary.js';
import type { CliIO } from './io.js';

/** Print a run's (or a regression run's) result and summary. */
export function printRunOutcome(outcome: RunOutcome, io: CliIO, args: { json: boolean; quiet: boolean }): void {
  const { result, resultFile, journal, reports } = outcome;
  if (args.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  const summary =
    journal === undefined
      ? renderRegressSummary(result, { result: resultFile, reports })
      : renderRunSummary(result, { result: resultFile, journal, reports });
  if (!args.json) io.stdout(`${summary}\n`);
  else if (!args.quiet) io.stderr(`${summary}\n`);
}
