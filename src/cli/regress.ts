/**
 * `canary-gate regress`: is build N+1 slower than build N? Both builds run here — containers
 * through testcontainers, or local processes — under the same limits and the same load, in
 * alternating rounds, and the judge holds the candidate to the baseline. Exit 0 no regression,
 * 1 regression, 2 bad usage (nothing started), 3 a build could not start or stay up, 130
 * interrupted — the last two after every build was stopped.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, resolve } from 'node:path';
import type { Argv } from 'yargs';
import { UsageError } from '../errors.js';
import {
  CommandSplitError,
  REGRESS_FLAG_DEFAULTS,
  type RegressFlags,
  regressScenarioFromFlags,
  splitCommand,
} from '../regress/plan.js';
import { type RegressEvent, runRegress } from '../regress/runner.js';
import { renderRegressSummary } from '../report/run-summary.js';
import { type RunResult, regressBuildName } from '../result/run-result.js';
import { type LoadedScenario, loadScenario } from '../scenario/loader.js';
import type { Scenario } from '../scenario/schema.js';
import { newRunId } from '../session/run-id.js';
import { abortOnTrouble } from '../session/signals.js';
import type { CliIO } from './io.js';
import { writeReports } from './run.js';
import { readScenarioFile } from './scenario-file.js';

/** Flags of regress. */
export interface RegressArgs {
  scenario?: string;
  'baseline-image'?: string;
  'candidate-image'?: string;
  'baseline-cmd'?: string;
  'candidate-cmd'?: string;
  port?: number;
  'port-env'?: string;
  env?: string[];
  'health-path'?: string;
  'startup-timeout'?: string;
  cpuset?: string;
  cpus?: number;
  memory?: string;
  rounds?: number;
  rate?: string;
  duration?: string;
  warmup?: string;
  connections?: number;
  path?: string;
  format?: string[];
  out?: string;
  json: boolean;
  quiet: boolean;
}

/** Flags that describe the builds and the load; a scenario file says all of that itself. */
const SHAPING_FLAGS = [
  'baseline-image',
  'candidate-image',
  'baseline-cmd',
  'candidate-cmd',
  'port',
  'port-env',
  'env',
  'health-path',
  'startup-timeout',
  'cpuset',
  'cpus',
  'memory',
  'rounds',
  'rate',
  'duration',
  'warmup',
  'connections',
  'path',
  'format',
] as const;

/** Declare regress. */
export function regressBuilder<T>(y: Argv<T>): Argv<T & RegressArgs> {
  const d = REGRESS_FLAG_DEFAULTS;
  return y
    .positional('scenario', { type: 'string', describe: 'scenario file with a regress section (instead of the flags)' })
    .option('baseline-image', { type: 'string', describe: 'image of build N (local; never pulled)' })
    .option('candidate-image', { type: 'string', describe: 'image of build N+1' })
    .option('baseline-cmd', {
      type: 'string',
      describe: 'build N as a local process: a command line, run without a shell',
    })
    .option('candidate-cmd', { type: 'string', describe: 'build N+1 as a local process' })
    .option('port', {
      type: 'number',
      describe: 'the baseline listens on this port, the candidate on port + 1; 0 picks free ports [default: 18081]',
    })
    .option('port-env', { type: 'string', describe: 'variable that tells each build its port [default: PORT]' })
    .option('env', { type: 'string', array: true, describe: 'KEY=VALUE for both builds (repeatable)' })
    .option('health-path', { type: 'string', describe: 'must answer 2xx before load starts [default: /health]' })
    .option('startup-timeout', { type: 'string', describe: 'time each build has to become healthy [default: 30s]' })
    .option('cpuset', { type: 'string', describe: 'CPUs both containers are pinned to [default: the last CPU]' })
    .option('cpus', { type: 'number', describe: 'CPU quota of each container, like docker --cpus' })
    .option('memory', { type: 'string', describe: 'memory limit of each container, no swap [default: 256m]' })
    .option('rounds', { type: 'number', describe: 'interleaved rounds, alternating ABBA [default: 4]' })
    .option('rate', { type: 'string', describe: `arrival rate of the load [default: ${d.rate}]` })
    .option('duration', { type: 'string', describe: `measured time per build per round [default: ${d.duration}]` })
    .option('warmup', { type: 'string', describe: `unmeasured load before each measurement [default: ${d.warmup}]` })
    .option('connections', { type: 'number', describe: `in-flight limit [default: ${d.connections}]` })
    .option('path', { type: 'string', describe: `request path [default: ${d.path}]` })
    .option('format', {
      type: 'string',
      array: true,
      choices: ['json', 'markdown', 'junit', 'html', 'hgrm'],
      describe: 'reports to write [default: json markdown]',
    })
    .option('out', { type: 'string', describe: "output folder (default: the scenario's outputs.dir)" })
    .example(
      '$0 regress --baseline-image canary-gate-demo:baseline --candidate-image canary-gate-demo:slow',
      'build N against build N+1 in containers; exit 1 on a regression',
    )
    .example(
      '$0 regress --baseline-cmd "node main/server.js" --candidate-cmd "node pr/server.js" --rounds 6',
      'the same with local processes, without Docker',
    )
    .example('$0 regress scenarios/regress.yaml', 'the same from a scenario file') as Argv<T & RegressArgs>;
}

/** The scenario to run: the file's, or the one the flags stand for. Throws UsageError/ScenarioError. */
async function scenarioOf(args: RegressArgs, io: CliIO): Promise<LoadedScenario & { file: string }> {
  const given = SHAPING_FLAGS.filter((f) => args[f] !== undefined);
  if (args.scenario !== undefined) {
    if (given.length > 0) {
      throw new UsageError(`give a scenario file or flags, not both: ${given.map((f) => `--${f}`).join(', ')}`, {
        hint: 'put these settings in the regress section of the scenario',
      });
    }
    const loaded = await readScenarioFile(args.scenario, io);
    if (loaded.scenario.regress === undefined) {
      throw new UsageError(`${args.scenario}: no regress section; regress needs the builds to start`, {
        hint: 'add regress: { baseline: { image: … }, candidate: { image: … } } and mode: regression',
      });
    }
    return { ...loaded, file: args.scenario };
  }
  for (const arm of ['baseline', 'candidate'] as const) {
    const image = args[`${arm}-image`];
    const cmd = args[`${arm}-cmd`];
    if (image === undefined && cmd === undefined)
      throw new UsageError(`name the ${arm}: --${arm}-image IMAGE or --${arm}-cmd COMMAND (or give a scenario file)`);
    if (image !== undefined && cmd !== undefined)
      throw new UsageError(`--${arm}-image and --${arm}-cmd: give one of them`);
  }
  const flags: RegressFlags = {
    baselineImage: args['baseline-image'],
    candidateImage: args['candidate-image'],
    baselineCmd: commandOf('baseline-cmd', args['baseline-cmd']),
    candidateCmd: commandOf('candidate-cmd', args['candidate-cmd']),
    port: args.port,
    portEnv: args['port-env'],
    env: args.env === undefined ? undefined : envOf(args.env),
    healthPath: args['health-path'],
    startupTimeout: args['startup-timeout'],
    cpuset: args.cpuset,
    cpus: args.cpus,
    memory: args.memory,
    rounds: args.rounds,
    rate: args.rate,
    duration: args.duration,
    warmup: args.warmup,
    connections: args.connections,
    path: args.path,
    formats: args.format,
  };
  const file = 'command line';
  // JSON is YAML: the flags go through the same loader and schema as a file does.
  const loaded = loadScenario(JSON.stringify(regressScenarioFromFlags(flags)), { file, env: io.env });
  return { ...loaded, file };
}

function commandOf(flag: string, text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  try {
    const argv = splitCommand(text);
    if (argv.length === 0) throw new CommandSplitError('is empty');
    return argv;
  } catch (error) {
    if (error instanceof CommandSplitError) throw new UsageError(`--${flag}: ${error.message}: ${text}`);
    throw error;
  }
}

function envOf(pairs: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`--env: expected KEY=VALUE, found ${JSON.stringify(pair)}`);
    env[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return env;
}

/** Parts of a valid scenario regress cannot honour; refused before anything starts. */
export function unsupportedByRegress(s: Scenario): string[] {
  const out: string[] = [];
  s.gates.checks.forEach((c, i) => {
    if (c.vsStored) out.push(`gates.checks[${i}].vsStored: regress judges against the baseline build it runs`);
  });
  if (s.prometheus) out.push('prometheus: PromQL checks are not supported by regress');
  if (s.alertmanager) out.push('alertmanager: alert checks are not supported by regress');
  return out;
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

/** Run regress; resolves to the exit code. */
export async function runRegressCommand(args: RegressArgs, io: CliIO): Promise<number> {
  const { scenario, redactor, digest, file } = await scenarioOf(args, io);
  const unsupported = unsupportedByRegress(scenario);
  if (unsupported.length > 0) {
    throw new UsageError(
      `${file}: regress cannot honour every part of this scenario; nothing was started\n  - ${unsupported.join('\n  - ')}`,
    );
  }
  testcontainersDefaults();
  const run = newRunId();
  const dir = join(args.out ?? scenario.outputs.dir, run);
  const controller = new AbortController();
  const say = (text: string): void => {
    if (!args.quiet) io.stderr(redactor.redactText(`${text}\n`));
  };
  // Stays subscribed until every build is stopped: a second signal must not cut the cleanup short.
  const release = abortOnTrouble(io, controller, say, 'stopping the load and every build');
  say(`regress ${run}: ${scenario.name}`);
  let result: RunResult;
  try {
    result = await runRegress({
      scenario,
      scenarioFile: file === 'command line' ? file : resolve(file),
      digest,
      run,
      cpuCount: cpus().length,
      signal: controller.signal,
      onEvent: (event) => say(describeRegressEvent(event)),
    });
  } finally {
    release();
  }
  mkdirSync(dir, { recursive: true });
  const resultFile = join(dir, 'result.json');
  const redacted = redactor.redact(result);
  writeFileSync(resultFile, `${JSON.stringify(redacted, null, 2)}\n`);
  const written = writeReports(redacted, dir, scenario.outputs.formats, io);
  if (args.json) io.stdout(`${JSON.stringify(redacted, null, 2)}\n`);
  const summary = renderRegressSummary(redacted, { result: resultFile, reports: written });
  if (args.json) {
    if (!args.quiet) io.stderr(`${summary}\n`);
  } else {
    io.stdout(`${summary}\n`);
  }
  return result.exitCode;
}
