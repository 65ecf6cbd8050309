/**
 * `canary-gate judge <scenario> --step N`: one step of a canary, for an Argo Rollouts job metric
 * (a Kubernetes Job's exit code is the measurement: argoproj/argo-rollouts docs/analysis/job.md).
 * The step is measured as a serve session measures it (src/serve/judge-step.ts): probe load to
 * both arms in the step's proportions, looks and extensions, judged against the live baseline arm
 * or, with --session at 100 %, the earlier steps' baselines pooled. Nothing moves traffic:
 * whatever router the scenario names, the controller owns the weight. Exit 0 pass, 1 fail (or
 * still inconclusive with statistics.inconclusive: rollback), 2 bad usage, 3 cannot measure (an
 * arm unhealthy or unreachable), 130 interrupted.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { judgeOneStep } from '../serve/judge-step.js';
import { readScenarioFile } from './files.js';
import type { CliIO } from './io.js';

/** Flags of the judge command. */
export interface JudgeArgs {
  scenario: string;
  step: number;
  out?: string;
  session?: string;
  json: boolean;
  quiet: boolean;
}

/** Declare the command's positional and flags. */
export function judgeBuilder<T>(y: Argv<T>): Argv<T & JudgeArgs> {
  return y
    .positional('scenario', { type: 'string', describe: 'scenario file (YAML or JSON)', demandOption: true })
    .option('step', {
      type: 'number',
      demandOption: true,
      describe: "which step of the scenario's steps to judge (1 = the first weight)",
    })
    .option('out', { type: 'string', describe: "output folder (default: the scenario's outputs.dir)" })
    .option('session', {
      type: 'string',
      describe:
        "a folder the rollout's jobs share: each step's result is kept there, and a step without a live baseline (100 %) is judged against the earlier steps' baselines pooled",
    })
    .example('$0 judge canary.yaml --step 2', "judge the second weight's step; exit 0 pass, 1 fail, 3 cannot measure")
    .example(
      '$0 judge canary.yaml --step 5 --session /shared/rollout-84c5d9',
      'the 100 % step against the pooled baseline of steps 1–4',
    )
    .example('$0 judge canary.yaml --step 1 --json', 'the one-step RunResult as JSON on stdout') as Argv<T & JudgeArgs>;
}

/** Run the command; resolves to the exit code. */
export async function runJudgeCommand(args: JudgeArgs, io: CliIO): Promise<number> {
  const loaded = await readScenarioFile(args.scenario, io, {
    accept: { modes: ['canary'] as const, command: 'judge' },
  });
  const steps = loaded.scenario.steps;
  if (!Number.isInteger(args.step) || args.step < 1 || args.step > steps.length) {
    throw new UsageError(
      `--step: expected a step from 1 to ${steps.length} (${steps.join(', ')} %), found ${args.step}; nothing was sent`,
    );
  }
  const { result, resultFile, reports } = await judgeOneStep(
    {
      scenario: loaded.scenario,
      scenarioFile: args.scenario,
      digest: loaded.digest,
      redactor: loaded.redactor,
      step: args.step,
      outDir: args.out ?? loaded.scenario.outputs.dir,
      ...(args.session ? { sessionDir: args.session } : {}),
      quiet: args.quiet,
    },
    io,
  );
  const lines = [`${result.decision.toUpperCase()}: ${result.reason}`];
  for (const c of result.steps[0]?.verdict.checks ?? []) lines.push(`  ${c.status.padEnd(12)} ${c.name}: ${c.reason}`);
  lines.push(`result:  ${resultFile}`, ...(reports.length > 0 ? [`reports: ${reports.join(', ')}`] : []));
  if (args.json) io.stdout(`${JSON.stringify(result, null, 2)}\n`);
  if (!args.json) io.stdout(`${lines.join('\n')}\n`);
  else if (!args.quiet) io.stderr(`${lines.join('\n')}\n`);
  return result.exitCode;
}
