/**
 * A build as a local process, for users without Docker: argv (never a shell) in its own process
 * group, so stopping it also stops whatever it started. No CPU or memory limits apply.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { setTimeout as delay } from 'node:timers/promises';
import { BuildError } from '../errors.js';
import { regressBuildName } from '../result/run-result.js';
import type { BuildStart, RunningBuild } from './build.js';
import { stillServing, waitForHealth } from './health.js';

/** How long a build may take to exit after SIGTERM before its group is killed, ms. */
const STOP_GRACE_MS = 3000;

/** Start one build as a local process and wait until it is healthy. */
export async function startProcessBuild(argv: readonly string[], start: BuildStart): Promise<RunningBuild> {
  const [file, ...args] = argv;
  const name = `${regressBuildName(start.arm)} (${argv.join(' ')})`;
  if (file === undefined) throw new BuildError(`${name}: empty command`);
  const begun = performance.now();
  const child = spawn(file, args, {
    detached: true,
    env: { ...process.env, ...start.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-2000);
  });
  let exit: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = `the command exited with ${signal ?? `code ${code}`}`;
      resolve();
    });
    child.once('error', (error) => {
      exit = `the command could not start (${(error as NodeJS.ErrnoException).code ?? error.message})`;
      resolve();
    });
  });
  const gone = () => (exit === undefined ? undefined : `${exit}${tail(stderr)}`);
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= stopGroup(child, exited);
    return stopping;
  };
  try {
    await waitForHealth({ url: start.healthUrl, timeoutMs: start.startupTimeoutMs, signal: start.signal, gone });
  } catch (error) {
    await stop();
    if (error instanceof BuildError)
      throw new BuildError(`${name}: ${error.message}`, error.hint ? { hint: error.hint } : {});
    throw error;
  }
  return {
    arm: start.arm,
    url: `http://127.0.0.1:${start.port}`,
    description: `process ${child.pid} (${argv.join(' ')}; no CPU or memory limits)`,
    startupMs: performance.now() - begun,
    down: () => stillServing(start.healthUrl, gone),
    stop,
  };
}

function tail(stderr: string): string {
  const last = stderr.trim().split('\n').slice(-3).join(' | ');
  return last ? ` (last output: ${last.slice(0, 400)})` : '';
}

/**
 * SIGTERM to the whole group, SIGKILL to whatever of it is left after the grace period. Always
 * the whole group, even when the command itself has already exited: what it started (npm's node,
 * a wrapper script's server) is in the group and may still run.
 */
async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const group = child.pid;
  // Without a pid the command never started, so there is no group.
  if (group !== undefined) {
    signalGroup(group, 'SIGTERM');
    const deadline = performance.now() + STOP_GRACE_MS;
    // Members other than the leader are not our children, so no event says they are gone: poll.
    while ((leaderRunning(child) || groupAlive(group)) && performance.now() < deadline) await delay(25);
    signalGroup(group, 'SIGKILL');
  }
  await exited;
  child.stderr?.destroy();
}

function leaderRunning(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function signalGroup(group: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-group, signal);
  } catch {
    // ESRCH: every member is gone already. Stopping never fails, so nothing else is thrown either.
  }
}

function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch {
    return false;
  }
}
