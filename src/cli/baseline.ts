/**
 * `canary-gate baseline record <scenario> --out FILE`: run the scenario's load against one target
 * (each step at full load, warm-up discarded) and store the histograms as a baseline file.
 */
import { writeFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { recordBaseline } from '../baseline/record.js';
import { UsageError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { spectrumMs } from '../hdr/histogram.js';
import { RUN_MODES } from '../scenario/schema.js';
import { prepareOutputFile } from '../session/outputs.js';
import { readScenarioFile } from './files.js';
import type { CliIO } from './io.js';

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

/** Run `baseline record`. */
export async function runBaselineRecord(args: BaselineRecordArgs, io: CliIO): Promise<number> {
  // A regress scenario's targets are only where regress would start the builds: nothing listens
  // there, or an unrelated process does. The loader refuses it, naming canary-gate regress.
  const { scenario, redactor, digest } = await readScenarioFile(args.scenario, io, {
    accept: { modes: RUN_MODES, command: 'baseline record' },
  });
  const which = args.target ?? (scenario.targets.baseline ? 'baseline' : 'canary');
  const target = scenario.targets[which];
  if (!target) throw new UsageError(`${args.scenario}: targets.${which} is not set; pick --target canary`);
  // The file is checked before any load: a path that cannot be written would lose the recording.
  prepareOutputFile(args.out, '--out');
  const controller = new AbortController();
  const unsubscribe = io.onSignal(() => controller.abort());
  let recorded: Awaited<ReturnType<typeof recordBaseline>>;
  try {
    recorded = await recordBaseline({
      scenario,
      digest,
      target: which,
      ...(args.label !== undefined ? { label: args.label } : {}),
      signal: controller.signal,
      onStep: (i, n, ms) => {
        if (!args.quiet) io.stderr(`step ${i + 1}/${n}: ${which} at full load for ${ms} ms\n`);
      },
      // Said with --quiet too: the step takes twice as long, and why.
      onRetry: (i, why) => io.stderr(`step ${i + 1}: the generator was the limit (${why}); measuring it once more\n`),
    });
  } finally {
    unsubscribe();
  }
  if (!recorded) {
    io.stderr('interrupted: no baseline written\n');
    return EXIT.interrupted;
  }
  const { file, steps } = recorded;
  await writeFile(args.out, `${JSON.stringify(redactor.redact(file), null, 2)}\n`);
  const lines = steps.map((s, i) => {
    const l = spectrumMs(s.arm.latency);
    return `  step ${i + 1}: ${s.arm.counters.requests} requests, ${s.arm.counters.errors} errors, p50 ${l.p50}ms p99 ${l.p99}ms`;
  });
  if (args.json) io.stdout(`${JSON.stringify({ written: args.out, steps: steps.length })}\n`);
  io.stderr(`wrote ${args.out} (${which} ${target.url}, label ${file.label.version})\n${lines.join('\n')}\n`);
  return EXIT.ok;
}
