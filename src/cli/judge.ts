/**
 * `canary-gate judge <scenario> --step N`: one step of a canary, for an Argo Rollouts job metric
 * (a Kubernetes Job's exit code is the measurement: argoproj/argo-rollouts docs/analysis/job.md).
 * The step's probe load goes to both arms in the step's proportions, with the step's looks and
 * extensions, judged against the live baseline arm. Nothing moves traffic: whatever router the
 * scenario names, the controller owns the weight. Exit 0 pass, 1 fail (or still inconclusive
 * with statistics.inconclusive: rollback), 2 bad usage, 3 cannot measure (an arm unhealthy or
 * unreachable), 130 interrupted.
 */
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import { runCanarySession } from '../session/canary.js';
import { readScenarioFile } from './files.js';
import type { CliIO } from './io.js';
import { printRunOutcome } from './print.js';

/** Flags of the judge command. */
export interface JudgeArgs {
  scenario: string;
  step: number;
  out?: string;
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
    .example('$0 judge canary.yaml --step 2', "judge the second weight's step; exit 0 pass, 1 fail, 3 cannot measure")
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
  const weight = steps[args.step - 1] as number;
  const outcome = await runCanarySession(
    {
      scenario: { ...loaded.scenario, steps: [weight], router: { type: 'split' }, hooks: {} },
      scenarioFile: args.scenario,
      digest: loaded.digest,
      redactor: loaded.redactor,
      outDir: args.out ?? loaded.scenario.outputs.dir,
      quiet: args.quiet,
    },
    io,
  );
  printRunOutcome(outcome, io, args);
  return outcome.result.exitCode;
}
