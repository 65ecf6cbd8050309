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

/** How the CLI process is started. */
export interface CliOptions {
  /**
   * Run it 5 nice levels above this process (`nice -n -5`; as root, as in CI): for a test that needs
   * a pass from a generator that kept its schedule, such as a stored baseline or an A/A. On a
   * machine a neighbour keeps busy, a generator at the neighbour's priority was late with 3-9 % of
   * its sends and the product rightly refused the window as the generator's; raised, it keeps its
   * schedule, and the test is of the verdict, not of the machine. Raised 5 levels, not to a fixed
   * value, so that a file CI runs niced (5) stays no higher than the files it protects (0). Without
   * the privilege (not root, or a container without CAP_SYS_NICE) the test fails, naming it:
   * unraised, it would be the old lucky run again. In CI it may also use every CPU the run may
   * (CANARY_GATE_CPUS, from scripts/ci.sh), not only the timed lane's one: raised but held to
   * that core, baseline-compare's record was still refused twice in a CI run (2.7 % and 4.3 % of
   * sends late, loop p99 11-20 ms), and beside that lane's load in miniature a 400/s load sent
   * 0.06-0.81 % of its requests late pinned, 0.00-0.25 % free (8 rounds).
   */
  raised?: boolean;
}

/** How many nice levels `raised` puts the CLI above its test. */
const RAISED_BY = 5;

/** Start the CLI; `done` resolves when it exits. */
export function startCli(args: string[], env: Record<string, string> = {}, options: CliOptions = {}): StartedCli {
  const cpus = process.env.CANARY_GATE_CPUS;
  const command = options.raised
    ? [...(cpus ? ['taskset', '-c', cpus] : []), 'nice', '-n', String(-RAISED_BY), process.execPath, BIN, ...args]
    : [process.execPath, BIN, ...args];
  const child = spawn(command[0] as string, command.slice(1), {
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
export async function runCli(
  args: string[],
  env: Record<string, string> = {},
  options: CliOptions = {},
): Promise<CliRun> {
  const run = await startCli(args, env, options).done;
  if (options.raised && /^nice: /m.test(run.stderr)) {
    throw new Error(
      `the CLI could not be raised (run the tests as root, with CAP_SYS_NICE): ${run.stderr.split('\n')[0]}`,
    );
  }
  return run;
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
