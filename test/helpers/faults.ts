/**
 * What every fault test measures of a CLI child: its exit, its output, how long it took from
 * spawn to exit, and its peak resident memory (VmHWM, polled from /proc while it runs and read
 * by a preload at its exit, whichever is higher). A child that outlives `killAfterMs` is killed
 * (SIGKILL), so a hang fails the test's bound instead of its timeout.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CliRun, type StartedCli, startCli } from './cli.js';

const PEAK_RSS = fileURLToPath(new URL('./peak-rss.mjs', import.meta.url));

/** A finished CLI child with its cost. */
export interface MeasuredRun extends CliRun {
  /** Spawn to exit, ms. */
  wallMs: number;
  /** Peak resident set size, MB. */
  peakRssMb: number;
  /** True when the child had to be killed at killAfterMs. */
  killed: boolean;
}

/** A CLI child being measured; `done` resolves with its measured run. */
export interface MeasuredCli extends Omit<StartedCli, 'done'> {
  done: Promise<MeasuredRun>;
}

function vmHwmKb(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    return Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Start the CLI and measure it. */
export function startMeasured(
  args: string[],
  o: { env?: Record<string, string>; killAfterMs?: number } = {},
): MeasuredCli {
  const dir = mkdtempSync(join(tmpdir(), 'canary-gate-rss-'));
  const file = join(dir, 'peak');
  const started = performance.now();
  const cli = startCli(args, {
    ...o.env,
    NODE_OPTIONS: `--import ${PEAK_RSS}`,
    CANARY_GATE_TEST_PEAK_RSS_FILE: file,
  });
  let peakKb = 0;
  let killed = false;
  const poll = setInterval(() => {
    peakKb = Math.max(peakKb, vmHwmKb(cli.child.pid));
  }, 20);
  const kill = setTimeout(() => {
    killed = true;
    cli.child.kill('SIGKILL');
  }, o.killAfterMs ?? 30_000);
  const done = cli.done.then((run) => {
    const wallMs = performance.now() - started;
    clearInterval(poll);
    clearTimeout(kill);
    let atExit = 0;
    try {
      atExit = Number(readFileSync(file, 'utf8'));
    } catch {
      // Killed before its exit hook ran: the polled figure stands.
    }
    rmSync(dir, { recursive: true, force: true });
    return { ...run, wallMs, peakRssMb: Math.max(peakKb, atExit) / 1024, killed };
  });
  return { child: cli.child, stderrUntil: cli.stderrUntil, done };
}

/** Run the CLI to its end and measure it. */
export function runMeasured(
  args: string[],
  o: { env?: Record<string, string>; killAfterMs?: number } = {},
): Promise<MeasuredRun> {
  return startMeasured(args, o).done;
}

/** The canary weight an nginx upstream file holds, from the line the router writes first. */
export function upstreamWeight(upstreamFile: string): number {
  const match = /canary weight (\d+(?:\.\d+)?)%/.exec(readFileSync(upstreamFile, 'utf8'));
  if (!match) throw new Error(`${upstreamFile} holds no canary weight line`);
  return Number(match[1]);
}

/**
 * Keep a run's figures (end time, peak RSS, exit) for the report: appended as a JSON line to the
 * file CANARY_GATE_FAULT_FIGURES names, when it is set; nothing otherwise.
 */
export function figure(name: string, run: MeasuredRun): void {
  const file = process.env.CANARY_GATE_FAULT_FIGURES;
  if (!file) return;
  const line = { name, code: run.code, wallMs: Math.round(run.wallMs), peakRssMb: Math.round(run.peakRssMb) };
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

/** A stack trace in output: what no input may ever produce. */
export const STACK_TRACE = /\n\s+at .+:\d+:\d+\)?/;

/** A CLI command run in-process (for refusals: nothing is started, so no process is needed). */
export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
  wallMs: number;
}

/** Run the CLI in-process with its output captured; `env` is all the environment it sees. */
export async function runInProcess(args: string[], env: Record<string, string> = {}): Promise<InProcessRun> {
  const { main } = await import('../../src/cli/main.js');
  const out: string[] = [];
  const err: string[] = [];
  const started = performance.now();
  const code = await main(args, {
    stdout: (t) => out.push(t),
    stderr: (t) => err.push(t),
    stderrIsTTY: false,
    env,
    onSignal: () => () => {},
  });
  return { code, stdout: out.join(''), stderr: err.join(''), wallMs: performance.now() - started };
}
