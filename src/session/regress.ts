/**
 * The session of a regression run of two builds (`regress`): signals that stop every build,
 * the terminal lines of the run's events, and the result and reports written at the end.
 */
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { type RegressEvent, type RegressRunOptions, runRegress } from '../regress/runner.js';
import { type RunResult, regressBuildName } from '../result/run-result.js';
import type { RegressScenario } from '../scenario/schema.js';
import type { Redactor } from '../scenario/secrets.js';
import type { RunOutcome } from './canary.js';
import type { RunIO } from './io.js';
import { makeRunDir, prepareStepSummary, writeRunOutputs } from './outputs.js';
import { newRunId } from './run-id.js';
import { abortOnTrouble } from './signals.js';

/** A regression run to make. */
export interface RegressSessionOptions {
  scenario: RegressScenario;
  /** The scenario file, or "command line" when the flags stand for one. */
  scenarioFile: string;
  digest: string;
  redactor: Redactor;
  /** Where the run's folder is made. */
  outDir: string;
  quiet: boolean;
  /** Each round's load over shards (--shards): the runner, and how the result names it. */
  sharded?: Required<Pick<RegressRunOptions, 'runLoad' | 'loadFrom'>>;
}

/**
 * testcontainers' defaults that do not fit here: Ryuk, its reaper, is an image pulled from a
 * registry (regress stops and removes its own containers, found by label), and host networking
 * means the engine is this machine. Set only when the user has not.
 */
function testcontainersDefaults(): void {
  process.env.TESTCONTAINERS_RYUK_DISABLED ??= 'true';
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
}

/** A line on the terminal for a run event. */
function describeRegressEvent(event: RegressEvent): string {
  switch (event.type) {
    case 'starting':
      return `starting ${regressBuildName(event.arm)}: ${event.what}`;
    case 'started':
      return `  ${regressBuildName(event.build.arm)} healthy after ${Math.round(event.build.startupMs)} ms: ${event.build.description} at ${event.build.url}`;
    case 'measured':
      return `round ${event.round + 1}/${event.rounds} ${regressBuildName(event.arm).padEnd(9)} n=${event.requests} p50=${event.p50Ms.toFixed(2)}ms p99=${event.p99Ms.toFixed(2)}ms`;
    case 'stopping':
      return event.builds > 0 ? `stopping ${event.builds} build${event.builds === 1 ? '' : 's'}` : 'nothing to stop';
  }
}

/** Run both builds to a verdict, stop them, write the result and reports. */
export async function runRegressSession(o: RegressSessionOptions, io: RunIO): Promise<RunOutcome> {
  testcontainersDefaults();
  const run = newRunId();
  // Outputs first: a folder that cannot be written must stop the run before any build starts.
  const dir = makeRunDir(o.outDir, run);
  prepareStepSummary(io.env);
  const controller = new AbortController();
  const say = (text: string): void => {
    if (!o.quiet) io.stderr(o.redactor.redactText(`${text}\n`));
  };
  // Stays subscribed until every build is stopped: a second signal must not cut the cleanup short.
  const release = abortOnTrouble(io, controller, say, 'stopping the load and every build');
  say(`regress ${run}: ${o.scenario.name}`);
  let result: RunResult;
  try {
    result = await runRegress({
      scenario: o.scenario,
      scenarioFile: o.scenarioFile === 'command line' ? o.scenarioFile : resolve(o.scenarioFile),
      digest: o.digest,
      run,
      cpuCount: cpus().length,
      signal: controller.signal,
      ...o.sharded,
      onEvent: (event) => say(describeRegressEvent(event)),
    });
  } finally {
    release();
  }
  const redacted = o.redactor.redact(result);
  const { resultFile, reports } = writeRunOutputs(redacted, dir, o.scenario.outputs.formats, io.env);
  return { result: redacted, resultFile, reports };
}
