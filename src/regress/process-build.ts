/**
 * A build as a local process, for users without Docker: argv (never a shell) in its own process
 * group, so stopping it also stops whatever it started. No CPU or memory limits apply.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { BuildError } from '../errors.js';
import type { BuildStart, RunningBuild } from './build.js';
import { waitForHealth } from './health.js';

/** How long a build may take to exit after SIGTERM before its group is killed, ms. */
const STOP_GRACE_MS = 3000;

/** Start one build as a local process and wait until it is healthy. */
export async function startProcessBuild(argv: readonly string[], start: BuildStart): Promise<RunningBuild> {
  const [file, ...args] = argv;
  if (file === undefined) throw new BuildError(`${start.arm}: empty command`);
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
  const stop = () => stopGroup(child, exited);
  try {
    await waitForHealth({
      url: start.healthUrl,
      timeoutMs: start.startupTimeoutMs,
      signal: start.signal,
      gone: () => (exit === undefined ? undefined : `${exit}${tail(stderr)}`),
    });
  } catch (error) {
    await stop();
    if (error instanceof BuildError)
      throw new BuildError(
        `${start.arm} (${argv.join(' ')}): ${error.message}`,
        error.hint ? { hint: error.hint } : {},
      );
    throw error;
  }
  return {
    arm: start.arm,
    url: `http://127.0.0.1:${start.port}`,
    description: `process ${child.pid} (${argv.join(' ')}; no CPU or memory limits)`,
    startupMs: performance.now() - begun,
    stop,
  };
}

function tail(stderr: string): string {
  const last = stderr.trim().split('\n').slice(-3).join(' | ');
  return last ? ` (last output: ${last.slice(0, 400)})` : '';
}

/** SIGTERM to the whole group, then SIGKILL after the grace period; resolves once it has exited. */
async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-(child.pid as number), signal);
    } catch {
      // The group is already gone.
    }
  };
  signalGroup('SIGTERM');
  const grace = setTimeout(() => signalGroup('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(grace);
  // The leader has exited; anything it left behind in its group goes too.
  signalGroup('SIGKILL');
  child.stderr?.destroy();
}
