/**
 * `canary-gate compare <baseline> <result>`: judge a finished run's canary arm against a stored
 * baseline with the same judge as `run` (baseline/compare.ts); exit 1 on a regression. Checks
 * come from --scenario (its vsStored and absolute limits) or the default set.
 */
import type { Argv } from 'yargs';
import { compareWithBaseline } from '../baseline/compare.js';
import { BaselineFormatError } from '../baseline/format.js';
import { EXIT } from '../exit-codes.js';
import { renderMatrix } from '../gates/score.js';
import { defaultGates, defaultRelativeChecks } from '../scenario/checks.js';
import { RUN_MODES } from '../scenario/schema.js';
import { readBaselineFile, readResultFile, readScenarioFile } from './files.js';
import type { CliIO } from './io.js';

/** Flags of compare. */
export interface CompareArgs {
  baseline: string;
  result: string;
  scenario?: string;
  json: boolean;
}

/** Declare compare. */
export function compareBuilder<T>(y: Argv<T>): Argv<T & CompareArgs> {
  return y
    .positional('baseline', {
      type: 'string',
      demandOption: true,
      describe: 'baseline file (canary-gate baseline record)',
    })
    .positional('result', { type: 'string', demandOption: true, describe: 'result.json of a run' })
    .option('scenario', {
      type: 'string',
      describe:
        'take the checks from this scenario instead of the defaults (p50 and p99 within 10 % + 1 ms, the distribution, errors)',
    })
    .example(
      '$0 compare baselines/main.json canary-gate-output/<run>/result.json',
      'exit 1 when the run regressed against main',
    ) as Argv<T & CompareArgs>;
}

/** Run compare. */
export async function runCompareCommand(args: CompareArgs, io: CliIO): Promise<number> {
  const baseline = await readBaselineFile(args.baseline);
  const result = await readResultFile(args.result);
  const loaded = args.scenario
    ? await readScenarioFile(args.scenario, io, { accept: { modes: RUN_MODES, command: 'compare' } })
    : undefined;
  const gates = loaded?.scenario.gates ?? defaultGates(defaultRelativeChecks('vsStored'));
  const comparison = compareWithBaseline(baseline, result, args.result, gates);
  if (comparison.steps.length === 0) {
    throw new BaselineFormatError(`${args.result}: no step with a canary arm to compare with ${args.baseline}`);
  }
  if (args.json) io.stdout(`${JSON.stringify(comparison, null, 2)}\n`);
  const lines = [
    `${comparison.regression ? 'REGRESSION' : 'OK'}: ${args.result} against ${args.baseline} (label ${baseline.file.label.version})`,
    ...comparison.warnings.map((w) => `warning: ${w}`),
  ];
  for (const v of comparison.steps) {
    lines.push(
      `step ${v.step + 1} (${v.weight}%): ${v.verdict.decision === 'rollback' ? 'regressed' : 'ok'} — ${v.verdict.reason}`,
    );
    for (const c of v.verdict.checks) lines.push(`    ${c.status.padEnd(12)} ${c.name}: ${c.reason}`);
    lines.push(renderMatrix(v.verdict.score));
  }
  (args.json ? io.stderr : io.stdout)(`${lines.join('\n')}\n`);
  return comparison.regression ? EXIT.failed : EXIT.ok;
}
