/** Runs the built CLI (bin/canary-gate.js → dist/) as a child process. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { CliIO } from '../../src/cli/io.js';

const BIN = fileURLToPath(new URL('../../bin/canary-gate.js', import.meta.url));

/** What a finished CLI process produced. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A CLI process started by startCli. */
export interface StartedCli {
  child: ChildProcess;
  /** Resolves when the process has exited and its output is read. */
  done: Promise<CliRun>;
  /**
   * Resolves with stderr so far once it matches `pattern` (a progress line to act on); rejects,
   * with the output, if the process exits first, so a test never waits out its timeout.
   */
  stderrUntil: (pattern: RegExp) => Promise<string>;
}

/** Start the CLI; `done` resolves when it exits. */
export function startCli(args: string[], env: Record<string, string> = {}): StartedCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let waiters: { pattern: RegExp; resolve: (seen: string) => void; reject: (error: Error) => void }[] = [];
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    const matched = waiters.filter((w) => w.pattern.test(stderr));
    waiters = waiters.filter((w) => !matched.includes(w));
    for (const w of matched) w.resolve(stderr);
  });
  const done = new Promise<CliRun>((resolve) => {
    child.on('close', (code, signal) => {
      for (const w of waiters.splice(0)) {
        w.reject(
          new Error(`the CLI exited (${code ?? signal}) before stderr matched ${w.pattern}:\n${stderr}${stdout}`),
        );
      }
      resolve({ code, signal, stdout, stderr });
    });
  });
  const stderrUntil = (pattern: RegExp): Promise<string> =>
    pattern.test(stderr)
      ? Promise.resolve(stderr)
      : new Promise((resolve, reject) => waiters.push({ pattern, resolve, reject }));
  return { child, done, stderrUntil };
}

/** Run the CLI to its end. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return startCli(args, env).done;
}

/** The CLI's I/O for running it in-process (main(argv, io)), with what it wrote captured. */
export function captureIO(overrides: Partial<CliIO> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    stderrIsTTY: false,
    env: {},
    onSignal: () => () => {},
    ...overrides,
  };
  return { io, stdout: () => out.join(''), stderr: () => err.join('') };
}

/** Resolve with `event`, or fail with `why()` once `child` has exited or `ms` have passed without it. */
export async function whileRunning<T>(
  event: Promise<T>,
  child: ChildProcess,
  ms: number,
  why: () => string,
): Promise<T> {
  if (child.exitCode !== null || child.signalCode !== null) throw new Error(why());
  const over = new AbortController();
  const fail = (): never => {
    throw new Error(why());
  };
  try {
    return await Promise.race([
      event,
      once(child, 'exit', { signal: over.signal }).then(fail),
      sleep(ms, undefined, { signal: over.signal }).then(fail),
    ]);
  } finally {
    over.abort();
  }
}
