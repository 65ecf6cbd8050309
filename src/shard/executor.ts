/**
 * How shards are started: a small interface that local processes, containers and Kubernetes pods
 * implement. The coordinator depends on this alone; every executor hands it the same protocol
 * lines, so following, merging and failure handling are one piece of code whatever runs a shard.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { ShardCommand } from './protocol.js';

/** What a shard needs to start. */
export interface ShardLaunch {
  /** This shard's index. */
  index: number;
  /** How many shards share the plan. */
  count: number;
  /** The plan file's text (split.ts ShardPlanFile), the same for every shard. */
  planJson: string;
}

/** How a shard ended. */
export interface ShardExit {
  /** Exit code, when it exited on its own. */
  code: number | null;
  /** The signal that ended it, when one did. */
  signal: string | null;
}

/** A started shard. */
export interface ShardInstance {
  /** What names it in reports: "pid 1234", a container id. */
  readonly id: string;
  /** Its protocol lines (stdout). */
  readonly stdout: Readable;
  /** The last few KiB it wrote on stderr, for reports of a shard that failed. */
  stderrTail(): string;
  /** Tell it a command, when the executor has a control channel; false when it has none. */
  send(command: ShardCommand): boolean;
  /** Ask it to stop (SIGTERM): it stops issuing, prints its end line and exits. */
  stop(): void;
  /** End it at once (SIGKILL). */
  kill(): void;
  /** Resolves when it has exited; never rejects. */
  readonly exited: Promise<ShardExit>;
}

/** Starts shards. */
export interface ShardExecutor {
  /** "process", "docker", … */
  readonly name: string;
  /** Time its shards need from start() to ready, when longer than a local process's, ms. */
  readonly startDelayMs?: number;
  /**
   * Its shards read commands on a control channel: they then start on the coordinator's start
   * command, once every shard has said hello, not at a time fixed in advance.
   */
  readonly controlChannel?: boolean;
  /** Start one shard; rejects when it cannot be started at all. */
  start(launch: ShardLaunch): Promise<ShardInstance>;
  /** Release what the executor holds (temporary files, containers); safe to call twice. */
  close(): Promise<void>;
}

/** Bytes of stderr kept per shard. */
export const STDERR_TAIL_BYTES = 4096;

/** Keeps the last STDERR_TAIL_BYTES of a stream. */
export function stderrTail(stream: Readable | null | undefined): () => string {
  let tail = '';
  stream?.setEncoding('utf8');
  stream?.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-STDERR_TAIL_BYTES);
  });
  return () => tail;
}

/**
 * Start a child process that speaks the protocol on stdout and takes commands on stdin; `control`
 * says how it is named, stopped and killed (a process by signals, a container through its engine).
 * Resolves once it has spawned; rejects when it cannot be.
 */
export async function spawnShard(
  argv: readonly [string, ...string[]],
  env: NodeJS.ProcessEnv | undefined,
  control: (
    child: ChildProcessWithoutNullStreams,
    running: () => boolean,
  ) => Pick<ShardInstance, 'id' | 'stop' | 'kill'>,
): Promise<ShardInstance> {
  const [command, ...args] = argv;
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
  let over = false;
  const exited = new Promise<ShardExit>((resolve) => {
    child.once('error', () => resolve({ code: null, signal: null }));
    child.once('exit', (code, signal) => resolve({ code, signal }));
  }).finally(() => {
    over = true;
  });
  // A shard that exited closes its stdin: writes after that must not throw.
  child.stdin.on('error', () => {});
  const tail = stderrTail(child.stderr);
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return {
    ...control(child, () => !over && child.exitCode === null && child.signalCode === null),
    stdout: child.stdout,
    stderrTail: tail,
    send: (c) => child.stdin.writable && child.stdin.write(`${JSON.stringify(c)}\n`),
    exited,
  };
}
