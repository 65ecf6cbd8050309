/**
 * `canary-gate compare <baseline> <result>`: judge a finished run's canary arm against a stored
 * baseline with the same judge as `run`; exit 1 on a regression. Checks come from --scenario
 * (its vsStored and absolute limits) or a default set.
 */
import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { baselineWarnings, storedMeasurements } from '../baseline/build.js';
import { BaselineFormatError } from '../baseline/format.js';
import { EXIT } from '../exit-codes.js';
import { judgeStep } from '../gates/judge.js';
import { renderMatrix } from '../gates/score.js';
import type { StepVerdict } from '../gates/verdict.js';
import { decodeHistogram } from '../hdr/histogram.js';
import type { RunResult } from '../result/run-result.js';
import { type Check, defaultRelativeChecks } from '../scenario/schema.js';
import { readBaselineFile } from './baseline-file.js';
import type { CliIO } from './io.js';
import { readScenarioFile } from './scenario-file.js';

/** Flags of compare. */
export interface CompareArgs {
  baseline: string;
  result: string;
  scenario?: string;
  json: boolean;
}

/** Checks used when no scenario is given: p50 and p99 within 10 % + 1 ms, the distribution, errors. */
export const DEFAULT_COMPARE_CHECKS: readonly Check[] = defaultRelativeChecks('vsStored');

/** Declare compare. */
export function compareBuilder<T>(y: Argv<T>): Argv<T & CompareArgs> {
  return y
    .positional('baseline', {
      type: 'string',
      demandOption: true,
      describe: 'baseline file (canary-gate baseline record)',
    })
    .positional('result', { type: 'string', demandOption: true, describe: 'result.json of a run' })
    .option('scenario', { type: 'string', describe: 'take the checks from this scenario instead of the defaults' })
    .example(
      '$0 compare baselines/main.json canary-gate-output/<run>/result.json',
      'exit 1 when the run regressed against main',
    ) as Argv<T & CompareArgs>;
}

async function readResult(file: string): Promise<RunResult> {
  let json: RunResult;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as RunResult;
  } catch (error) {
    throw new BaselineFormatError(`${file}: cannot read the result: ${(error as Error).message}`);
  }
  if (!Array.isArray(json?.steps) || typeof json.schemaVersion !== 'number') {
    throw new BaselineFormatError(`${file}: not a canary-gate result (no schemaVersion and steps)`);
  }
  return json;
}

/** Run compare. */
export async function runCompareCommand(args: CompareArgs, io: CliIO): Promise<number> {
  const baseline = await readBaselineFile(args.baseline);
  const result = await readResult(args.result);
  const loaded = args.scenario ? await readScenarioFile(args.scenario, io) : undefined;
  const checks = loaded ? loaded.scenario.gates.checks.filter((c) => !c.vsBaseline) : DEFAULT_COMPARE_CHECKS;
  const statistics = loaded?.scenario.gates.statistics ?? {
    alpha: 0.01,
    minSamples: 200,
    maxIncrease: 0.05,
    inconclusive: 'rollback' as const,
  };
  const warnings = baselineWarnings(baseline, result.scenario?.digest ?? '', result.machine);
  const verdicts: { step: number; weight: number; verdict: StepVerdict }[] = [];
  for (const [index, step] of result.steps.entries()) {
    const arm = step.arms.canary;
    const stored = storedMeasurements(baseline, index);
    if (!arm || !stored) continue;
    let latency: ReturnType<typeof decodeHistogram>;
    try {
      latency = decodeHistogram(arm.histogram);
    } catch {
      throw new BaselineFormatError(
        `${args.result}: steps.${index}.arms.canary.histogram: not an HdrHistogram encoding`,
      );
    }
    const verdict = judgeStep({
      canary: {
        latency,
        requests: arm.requests,
        errors: arm.errors,
        throttled: arm.throttled ?? 0,
        durationMs: step.durationMs,
      },
      stored,
      checks,
      statistics,
      weights: loaded?.scenario.gates.weights ?? {},
      passScore: loaded?.scenario.gates.passScore ?? 7,
      alpha: statistics.alpha / Math.max(1, result.steps.length),
      mayPass: true,
      finalLook: true,
    });
    verdicts.push({ step: index, weight: step.weight, verdict });
  }
  if (verdicts.length === 0) {
    throw new BaselineFormatError(`${args.result}: no step with a canary arm to compare with ${args.baseline}`);
  }
  const regressed = verdicts.find((v) => v.verdict.decision === 'rollback');
  if (args.json)
    io.stdout(`${JSON.stringify({ regression: regressed !== undefined, warnings, steps: verdicts }, null, 2)}\n`);
  const lines = [
    `${regressed ? 'REGRESSION' : 'OK'}: ${args.result} against ${args.baseline} (label ${baseline.file.label.version})`,
  ];
  for (const w of warnings) lines.push(`warning: ${w}`);
  for (const v of verdicts) {
    lines.push(
      `step ${v.step + 1} (${v.weight}%): ${v.verdict.decision === 'rollback' ? 'regressed' : 'ok'} — ${v.verdict.reason}`,
    );
    for (const c of v.verdict.checks) lines.push(`    ${c.status.padEnd(12)} ${c.name}: ${c.reason}`);
    lines.push(renderMatrix(v.verdict.score));
  }
  (args.json ? io.stderr : io.stdout)(`${lines.join('\n')}\n`);
  return regressed ? EXIT.rolledBack : EXIT.ok;
}
