/**
 * The session of a staged run (`run`, `demo`, later `serve`): everything around the driver that
 * a run needs from the machine — Prometheus queries checked before anything is sent, the run's
 * folder and journal, its metrics port, signals that reset the router, live progress, and the
 * result and reports written at the end.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { baselineWarnings, storedMeasurements } from '../baseline/build.js';
import type { Baseline } from '../baseline/format.js';
import { type DriverEvent, runCanary } from '../canary/driver.js';
import type { LoadStarter } from '../canary/rollout-load.js';
import { createRouter } from '../canary/routers/create-router.js';
import { acquireRouterLock, lockDir, type RouterLock, routerTarget } from '../canary/routers/lock.js';
import { CanaryGateError, ScenarioError, UsageError } from '../errors.js';
import { externalSource, queryProblems } from '../metrics/external-checks.js';
import { scenarioPower } from '../report/power.js';
import { startRunProgress } from '../report/run-progress.js';
import { machineFingerprint, type RunResult } from '../result/run-result.js';
import type { RunScenario } from '../scenario/schema.js';
import type { Redactor } from '../scenario/secrets.js';
import { loadSecurityMaterial } from '../security/material.js';
import { lookAtSecurity } from '../security/probe.js';
import type { RunIO } from './io.js';
import { journalState, RunJournal, readJournal } from './journal.js';
import { makeRunDir, prepareOutputDir, prepareStepSummary, writeRunOutputs } from './outputs.js';
import { newRunId } from './run-id.js';
import { type MetricsTargets, startRunMetrics } from './run-metrics.js';
import { abortOnTrouble } from './signals.js';

/** A staged run to make, with what surrounds it. */
export interface CanarySessionOptions {
  scenario: RunScenario;
  scenarioFile: string;
  digest: string;
  redactor: Redactor;
  /** Where the run's folder is made. */
  outDir: string;
  /** No progress or messages on stderr. */
  quiet: boolean;
  /** Stored baseline for vsStored limits. */
  baseline?: Baseline;
  /** Called before each step's weight change (the demo switches its regression on with it). */
  onEvent?: (event: DriverEvent) => void;
  /** Serve /metrics during the run and/or push the final state. */
  metrics?: MetricsTargets;
  /** What runs the rollout's load (default: the in-process engine). */
  load?: LoadStarter;
}

/** A finished run: its result (secrets redacted) and the files written. */
export interface RunOutcome {
  result: RunResult;
  resultFile: string;
  journal?: string;
  reports: string[];
}

/** Run a loaded scenario through the driver, with signals, journal, metrics, result file and reports. */
export async function runCanarySession(o: CanarySessionOptions, io: RunIO): Promise<RunOutcome> {
  // Outputs first: a folder that cannot be written must stop the run before anything is sent.
  prepareOutputDir(o.outDir, 'output folder');
  prepareStepSummary(io.env);
  // The files the security section names are read before anything is sent: a bad one is exit 2.
  const material = loadSecurityMaterial(o.scenario.security, o.scenarioFile);
  const queries = (await queryProblems(o.scenario)).map((p) => o.redactor.redactText(p));
  if (queries.length > 0) {
    throw new ScenarioError(
      `${o.scenarioFile}: Prometheus rejects ${queries.length === 1 ? 'a query' : 'queries'}; nothing was sent\n  - ${queries.join('\n  - ')}`,
      queries,
    );
  }
  const run = newRunId();
  // One run per router target, taken before anything is sent and held until the reset is done.
  const lock = lockRouter(o.scenario, run, join(o.outDir, run, 'journal.jsonl'), io.env);
  try {
    return await runLocked(o, io, run, material);
  } finally {
    lock?.release();
  }
}

/** Take the lock of the scenario's router target; undefined for a router that moves nothing outside. */
function lockRouter(scenario: RunScenario, run: string, journal: string, env: RunIO['env']): RouterLock | undefined {
  const target = routerTarget(scenario.router);
  if (target === undefined) return undefined;
  const dir = lockDir(env);
  prepareOutputDir(dir, 'lock folder (CANARY_GATE_LOCK_DIR)');
  try {
    return acquireRouterLock(target, {
      run,
      journal: resolve(journal),
      dir,
      settled: (file) => !existsSync(file) || journalState(readJournal(file)).settled,
    });
  } catch (error) {
    if (error instanceof CanaryGateError) throw error;
    throw new UsageError(
      `cannot take the router's lock in ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)}); nothing was sent`,
      { hint: 'set CANARY_GATE_LOCK_DIR to a writable folder' },
    );
  }
}

async function runLocked(
  o: CanarySessionOptions,
  io: RunIO,
  run: string,
  material: ReturnType<typeof loadSecurityMaterial>,
): Promise<RunOutcome> {
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
  let dir: string;
  let journal: RunJournal;
  try {
    dir = makeRunDir(o.outDir, run);
    journal = new RunJournal(`${dir}/journal.jsonl`, run);
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
  const section = o.scenario.security;
  const security = section
    ? (at: 'preflight' | number) =>
        lookAtSecurity({
          section,
          targets: Object.entries(o.scenario.targets).flatMap(([arm, t]) => (t ? [{ arm, url: t.url }] : [])),
          requests: o.scenario.requests,
          material,
          at,
          signal: controller.signal,
        })
    : undefined;
  const progress = o.quiet ? undefined : startRunProgress(io, o.scenario.steps.length, (t) => o.redactor.redactText(t));
  if (!o.quiet) io.stderr(o.redactor.redactText(`run ${run}: ${o.scenario.name} via ${router.describe()}\n`));
  if (!o.quiet) {
    const power = scenarioPower(o.scenario);
    if (power.defaultChecks) io.stderr(`note: ${power.defaultChecks}\n`);
    const lines = power.note ? [power.note] : power.lines;
    for (const line of lines) io.stderr(`${line}\n`);
    for (const w of power.warnings) io.stderr(`warning: ${w}\n`);
  }
  let result: RunResult | undefined;
  try {
    const baseline = o.baseline;
    result = await runCanary({
      scenario: o.scenario,
      scenarioFile: resolve(o.scenarioFile),
      digest: o.digest,
      router,
      run,
      journal,
      redact: (text) => o.redactor.redactText(text),
      ...(baseline ? { stored: (index: number) => storedMeasurements(baseline, index), warnings } : {}),
      ...(external ? { external } : {}),
      ...(security ? { security } : {}),
      ...(o.load ? { load: o.load } : {}),
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
  const redacted = o.redactor.redact(result);
  const { resultFile, reports } = writeRunOutputs(redacted, dir, o.scenario.outputs.formats, io.env);
  return { result: redacted, resultFile, journal: journal.path, reports };
}
