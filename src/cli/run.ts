/**
 * `canary-gate run <scenario>`: the staged canary. Exit 0 promoted, 1 rolled back, 2 bad
 * scenario (nothing sent), 3 aborted by an infrastructure error, 130 interrupted — the last two
 * after the router was reset.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { baselineWarnings, storedMeasurements } from '../baseline/build.js';
import type { Baseline } from '../baseline/format.js';
import { type DriverEvent, runCanary } from '../canary/driver.js';
import { createRouter } from '../canary/routers/create-router.js';
import { ScenarioError, UsageError } from '../errors.js';
import { externalSource, queryProblems } from '../metrics/external-checks.js';
import { renderHgrm } from '../report/hgrm.js';
import { renderHtml } from '../report/html.js';
import { renderJUnit } from '../report/junit.js';
import { renderMarkdown } from '../report/markdown.js';
import { startRunProgress } from '../report/run-progress.js';
import { renderRunSummary } from '../report/run-summary.js';
import type { RunResult } from '../result/run-result.js';
import { machineFingerprint } from '../result/run-result.js';
import type { Scenario } from '../scenario/schema.js';
import type { Redactor } from '../scenario/secrets.js';
import { RunJournal } from '../session/journal.js';
import { newRunId } from '../session/run-id.js';
import {
  type MetricsArgs,
  type MetricsTargets,
  metricsFlags,
  metricsTargets,
  startRunMetrics,
} from '../session/run-metrics.js';
import { abortOnTrouble } from '../session/signals.js';
import { appendStepSummary } from '../session/step-summary.js';
import { readBaselineFile } from './baseline-file.js';
import type { CliIO } from './io.js';
import { readScenarioFile } from './scenario-file.js';

/** Flags of the run command. */
export interface RunArgs extends MetricsArgs {
  scenario: string;
  out?: string;
  baseline?: string;
  json: boolean;
  quiet: boolean;
}

/** Declare the command's positional and flags. */
export function runBuilder<T>(y: Argv<T>): Argv<T & RunArgs> {
  return metricsFlags(y)
    .positional('scenario', { type: 'string', describe: 'scenario file (YAML or JSON)', demandOption: true })
    .option('out', { type: 'string', describe: "output folder (default: the scenario's outputs.dir)" })
    .option('baseline', {
      type: 'string',
      describe: "stored baseline for vsStored checks (default: the scenario's baseline.file)",
    })
    .example('$0 run scenarios/nginx-canary.yaml', 'staged canary through nginx; exit 0 promoted, 1 rolled back')
    .example('$0 run canary.yaml --json > result.json', 'the RunResult as JSON on stdout, progress on stderr')
    .example(
      '$0 run canary.yaml --metrics-port 9464 --pushgateway http://127.0.0.1:9091',
      'serve live metrics for Prometheus/Grafana; push the final state at the end',
    ) as Argv<T & RunArgs>;
}

/** Options a caller of executeRun can set beyond the scenario. */
export interface ExecuteRunOptions {
  scenario: Scenario;
  scenarioFile: string;
  digest: string;
  redactor: Redactor;
  outDir: string;
  json: boolean;
  quiet: boolean;
  /** Stored baseline for vsStored limits. */
  baseline?: Baseline;
  /** Called before each step's weight change (the demo switches its regression on with it). */
  onEvent?: (event: DriverEvent) => void;
  /** Serve /metrics during the run and/or push the final state. */
  metrics?: MetricsTargets;
}

/** Run a loaded scenario through the driver, with signals, journal, result file and output. */
export async function executeRun(o: ExecuteRunOptions, io: CliIO): Promise<{ result: RunResult; resultFile: string }> {
  const unsupported = unsupportedByRun(o.scenario, o.baseline !== undefined);
  if (unsupported.length > 0) {
    throw new UsageError(
      `${o.scenarioFile}: run cannot honour every part of this scenario; nothing was sent\n  - ${unsupported.join('\n  - ')}`,
      {
        hint: 'canary-gate validate shows the whole plan',
      },
    );
  }
  const queries = (await queryProblems(o.scenario)).map((p) => o.redactor.redactText(p));
  if (queries.length > 0) {
    throw new ScenarioError(
      `${o.scenarioFile}: Prometheus rejects ${queries.length === 1 ? 'a query' : 'queries'}; nothing was sent\n  - ${queries.join('\n  - ')}`,
      queries,
    );
  }
  const run = newRunId();
  const router = createRouter(o.scenario);
  // Before the run directory, journal and handlers exist: a port that cannot open leaves nothing behind.
  const metrics = o.metrics
    ? await startRunMetrics(
        o.metrics,
        {
          run,
          scenario: o.scenario.name,
          router: o.redactor.redactText(router.describe()),
          steps: o.scenario.steps.length,
        },
        io,
        o.quiet,
      )
    : undefined;
  const dir = join(o.outDir, run);
  let journal: RunJournal;
  try {
    mkdirSync(dir, { recursive: true });
    journal = new RunJournal(join(dir, 'journal.jsonl'), run);
  } catch (error) {
    await metrics?.finish('aborted');
    throw error;
  }
  const controller = new AbortController();
  // Whatever ends the run from outside must not leave the canary holding traffic: the driver
  // resets the router and reports it (130 for a signal, 3 for an error).
  const release = abortOnTrouble(
    io,
    controller,
    (text) => {
      if (!o.quiet) io.stderr(o.redactor.redactText(`${text}\n`));
    },
    'resetting the router to 0% canary',
  );
  const warnings = o.baseline ? baselineWarnings(o.baseline, o.digest, machineFingerprint()) : [];
  if (!o.quiet) for (const w of warnings) io.stderr(`warning: ${w}\n`);
  const external = externalSource(o.scenario);
  const progress = o.quiet ? undefined : startRunProgress(io, o.scenario.steps.length, (t) => o.redactor.redactText(t));
  if (!o.quiet) io.stderr(o.redactor.redactText(`run ${run}: ${o.scenario.name} via ${router.describe()}\n`));
  let result: RunResult | undefined;
  try {
    result = await runCanary({
      scenario: o.scenario,
      scenarioFile: resolve(o.scenarioFile),
      digest: o.digest,
      router,
      run,
      journal,
      redact: (text) => o.redactor.redactText(text),
      ...(o.baseline ? { stored: (index: number) => storedMeasurements(o.baseline as Baseline, index), warnings } : {}),
      ...(external ? { external } : {}),
      signal: controller.signal,
      onEvent: (event) => {
        o.onEvent?.(event);
        metrics?.onEvent(event);
        progress?.show(event);
      },
    });
  } finally {
    // Also when the driver itself threw: the metrics port must not outlive the run.
    await metrics?.finish(result?.decision ?? 'aborted');
    progress?.done();
    release();
    journal.close();
  }
  const resultFile = join(dir, 'result.json');
  const redacted = o.redactor.redact(result);
  writeFileSync(resultFile, `${JSON.stringify(redacted, null, 2)}\n`);
  const written = writeReports(redacted, dir, o.scenario.outputs.formats, io);
  if (o.json) io.stdout(`${JSON.stringify(redacted, null, 2)}\n`);
  const summary = renderRunSummary(redacted, { result: resultFile, journal: journal.path, reports: written });
  if (o.json) {
    if (!o.quiet) io.stderr(`${summary}\n`);
  } else {
    io.stdout(`${summary}\n`);
  }
  return { result, resultFile };
}

/**
 * Parts of a valid scenario that `run` does not act on yet. Running anyway would judge without
 * checks the user configured, so they are refused before anything is sent.
 */
export function unsupportedByRun(s: Scenario, hasBaseline: boolean): string[] {
  const out: string[] = [];
  if (s.mode === 'capacity')
    out.push('mode: capacity: run does not search capacity; use canary-gate capacity <scenario> for this file');
  if (s.regress) out.push('regress: this scenario starts its own builds; run it with canary-gate regress');
  s.gates.checks.forEach((c, i) => {
    if (c.vsStored && !hasBaseline)
      out.push(`gates.checks[${i}].vsStored: needs a stored baseline (--baseline FILE or baseline.file)`);
  });
  return out;
}

/**
 * Write the configured reports next to result.json; append the Markdown summary to GitHub's
 * step summary when GITHUB_STEP_SUMMARY names a file. Returns the files written.
 */
export function writeReports(result: RunResult, dir: string, formats: readonly string[], io: CliIO): string[] {
  const files: string[] = [];
  const write = (name: string, text: string): void => {
    writeFileSync(join(dir, name), text);
    files.push(join(dir, name));
  };
  const markdown = renderMarkdown(result);
  if (formats.includes('markdown')) write('summary.md', markdown);
  if (formats.includes('junit')) write('junit.xml', renderJUnit(result));
  if (formats.includes('html')) write('report.html', renderHtml(result));
  if (formats.includes('hgrm')) for (const [name, text] of Object.entries(renderHgrm(result))) write(name, text);
  appendStepSummary(markdown, io.env);
  return files;
}

/** Run the command; resolves to the exit code. */
export async function runRunCommand(args: RunArgs, io: CliIO): Promise<number> {
  const metrics = metricsTargets(args);
  const { scenario, redactor, digest } = await readScenarioFile(args.scenario, io);
  const baselineFile = args.baseline ?? scenario.baseline?.file;
  const baseline = baselineFile ? await readBaselineFile(baselineFile) : undefined;
  const { result } = await executeRun(
    {
      scenario,
      scenarioFile: args.scenario,
      digest,
      redactor,
      outDir: args.out ?? scenario.outputs.dir,
      json: args.json,
      quiet: args.quiet,
      ...(baseline ? { baseline } : {}),
      ...(metrics ? { metrics } : {}),
    },
    io,
  );
  return result.exitCode;
}
