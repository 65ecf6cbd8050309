/**
 * `canary-gate baseline record <scenario> --out FILE`: run the scenario's load against one target
 * (each step at full load, warm-up discarded) and store the histograms as a baseline file.
 */
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { buildBaseline } from '../baseline/build.js';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { spectrumMs } from '../hdr/histogram.js';
import { runLoad } from '../load/engine.js';
import type { ArmMeasurements } from '../load/recorder.js';
import { scenarioLoadPlan } from '../load/scenario-plan.js';
import { machineFingerprint } from '../result/run-result.js';
import type { CliIO } from './io.js';
import { readScenarioFile } from './scenario-file.js';

/** Flags of `baseline record`. */
export interface BaselineRecordArgs {
  scenario: string;
  out: string;
  target?: 'baseline' | 'canary';
  label?: string;
  json: boolean;
  quiet: boolean;
}

/** Declare `baseline record`; `onRecord` runs it (yargs calls the subcommand's handler). */
export function baselineBuilder<T>(y: Argv<T>, onRecord: (args: BaselineRecordArgs) => Promise<void>): Argv<T> {
  return y
    .command(
      'record <scenario>',
      'run the scenario against one target and store its histograms',
      (r) =>
        r
          .positional('scenario', { type: 'string', demandOption: true, describe: 'scenario file' })
          .option('out', { type: 'string', demandOption: true, describe: 'baseline file to write' })
          .option('target', {
            choices: ['baseline', 'canary'] as const,
            describe: 'which target to record (default: baseline if the scenario has one)',
          })
          .option('label', {
            type: 'string',
            describe: 'version label (default: the git commit, when in a git checkout)',
          })
          .example(
            '$0 baseline record scenarios/ci-regression.yaml --out baselines/main.json --label main',
            'record main',
          ),
      (args) => onRecord(args as unknown as BaselineRecordArgs),
    )
    .demandCommand(1, 'name a baseline subcommand: record')
    .example(
      '$0 baseline record scenario.yaml --out baselines/main.json',
      'record a baseline to compare later runs with',
    );
}

function gitSha(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('git', ['rev-parse', 'HEAD'], { timeout: 5000 }, (error, stdout) =>
      resolve(error ? undefined : stdout.trim()),
    );
  });
}

/** Run `baseline record`. */
export async function runBaselineRecord(args: BaselineRecordArgs, io: CliIO): Promise<number> {
  const { scenario, redactor, digest } = await readScenarioFile(args.scenario, io);
  // Its targets are only where regress would start the builds: nothing listens there, or an
  // unrelated process does.
  if (scenario.regress) {
    throw new UsageError(
      `${args.scenario}: regress: this scenario starts its own builds, which baseline record does not; nothing was sent`,
      { hint: 'run it with canary-gate regress, which starts both builds and judges one against the other' },
    );
  }
  const which = args.target ?? (scenario.targets.baseline ? 'baseline' : 'canary');
  const target = scenario.targets[which];
  if (!target) throw new UsageError(`${args.scenario}: targets.${which} is not set; pick --target canary`);
  const t = scenario.traffic;
  const steps: { weight: number; durationMs: number; arm: ArmMeasurements }[] = [];
  const controller = new AbortController();
  const unsubscribe = io.onSignal(() => controller.abort());
  try {
    for (const [index, weight] of scenario.steps.entries()) {
      if (!args.quiet)
        io.stderr(
          `step ${index + 1}/${scenario.steps.length}: ${which} at full load for ${t.warmup + t.stepDuration} ms\n`,
        );
      const plan = scenarioLoadPlan(scenario, [{ arm: which, url: target.url, weight: 1 }], t.stepDuration, t.warmup);
      const result = await runLoad(plan, { signal: controller.signal });
      if (result.aborted) {
        io.stderr('interrupted: no baseline written\n');
        return EXIT.interrupted;
      }
      const arm = result.arms[0];
      if (arm) steps.push({ weight, durationMs: result.sendWindowMs, arm });
    }
  } finally {
    unsubscribe();
  }
  const sha = await gitSha();
  const file = buildBaseline(
    {
      label: { version: args.label ?? sha?.slice(0, 12) ?? 'unlabelled', ...(sha ? { gitSha: sha } : {}) },
      recordedAt: new Date().toISOString(),
      scenario: { name: scenario.name, digest },
      machine: machineFingerprint(),
    },
    steps,
  );
  await writeFile(args.out, `${JSON.stringify(redactor.redact(file), null, 2)}\n`);
  const lines = steps.map((s, i) => {
    const l = spectrumMs(s.arm.latency);
    return `  step ${i + 1}: ${s.arm.counters.requests} requests, ${s.arm.counters.errors} errors, p50 ${l.p50}ms p99 ${l.p99}ms`;
  });
  if (args.json) io.stdout(`${JSON.stringify({ written: args.out, steps: steps.length })}\n`);
  io.stderr(`wrote ${args.out} (${which} ${target.url}, label ${file.label.version})\n${lines.join('\n')}\n`);
  return EXIT.ok;
}
