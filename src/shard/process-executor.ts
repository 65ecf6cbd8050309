/**
 * The `process` executor: each shard is a local `canary-gate shard` child process — the way to
 * use every core without worker threads sharing one process's heap and GC. The plan goes in a
 * temporary file; stdin is the control channel (weights, stop), and its end makes the shard stop,
 * so a coordinator that dies does not leave shards sending load.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ShardExecutor, type ShardExit, type ShardInstance, type ShardLaunch, stderrTail } from './executor.js';

/** The CLI launcher, from src/shard or dist/shard alike. */
const BIN = fileURLToPath(new URL('../../bin/canary-gate.js', import.meta.url));

/** Options of the process executor. */
export interface ProcessExecutorOptions {
  /** Extra environment for the shards. */
  env?: Record<string, string>;
  /** The command to run instead of `node bin/canary-gate.js` (tests: a shard that misbehaves). */
  argv?: (launch: ShardLaunch, planFile: string) => string[];
}

/** Start shards as local child processes. */
export function processExecutor(options: ProcessExecutorOptions = {}): ShardExecutor {
  let dir: Promise<string> | undefined;
  let planFile: Promise<string> | undefined;
  return {
    name: 'process',
    async start(launch: ShardLaunch): Promise<ShardInstance> {
      dir ??= mkdtemp(join(tmpdir(), 'canary-gate-shards-'));
      // Every shard reads the same file; written once.
      planFile ??= dir.then(async (d) => {
        const file = join(d, 'plan.json');
        await writeFile(file, launch.planJson, { mode: 0o600 });
        return file;
      });
      const file = await planFile;
      const argv = options.argv?.(launch, file) ?? [
        process.execPath,
        BIN,
        'shard',
        '--plan',
        file,
        '--index',
        String(launch.index),
        '--control',
        'stdin',
      ];
      const [command, ...args] = argv as [string, ...string[]];
      const child = spawn(command, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, ...options.env, NO_COLOR: '1' },
      });
      const exited = new Promise<ShardExit>((resolve) => {
        child.once('error', () => resolve({ code: null, signal: null }));
        child.once('exit', (code, signal) => resolve({ code, signal }));
      });
      // A shard that exited closes its stdin: writes after that must not throw.
      child.stdin.on('error', () => {});
      const tail = stderrTail(child.stderr);
      await new Promise<void>((resolve, reject) => {
        child.once('spawn', resolve);
        child.once('error', reject);
      });
      return {
        id: `pid ${child.pid}`,
        stdout: child.stdout,
        stderrTail: tail,
        send: (c) => child.stdin.writable && child.stdin.write(`${JSON.stringify(c)}\n`),
        stop: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        },
        kill: () => {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        },
        exited,
      };
    },
    async close(): Promise<void> {
      const d = dir;
      dir = undefined;
      planFile = undefined;
      if (d) await rm(await d, { recursive: true, force: true });
    },
  };
}
