/**
 * The `process` executor: each shard is a local `canary-gate shard` child process — the way to
 * use every core without worker threads sharing one process's heap and GC. The plan goes in a
 * temporary file; stdin is the control channel (start, weights, stop), and its end makes the shard stop,
 * so a coordinator that dies does not leave shards sending load.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ShardExecutor, type ShardInstance, type ShardLaunch, spawnShard } from './executor.js';

/** The CLI launcher, from src/shard or dist/shard alike. */
const BIN = fileURLToPath(new URL('../../bin/canary-gate.js', import.meta.url));

/** Options of the process executor. */
export interface ProcessExecutorOptions {
  /** Extra environment for the shards. */
  env?: Record<string, string>;
  /**
   * 'none' runs shards as a Kubernetes pod runs them: no commands, each starts at the plan file's
   * time however late it came up (default 'stdin').
   */
  control?: 'stdin' | 'none';
  /** The command to run instead of `node bin/canary-gate.js shard …` (tests: a shard that misbehaves); undefined keeps it. */
  argv?: (launch: ShardLaunch, planFile: string, standard: readonly string[]) => string[] | undefined;
}

/** Start shards as local child processes. */
export function processExecutor(options: ProcessExecutorOptions = {}): ShardExecutor {
  let dir: Promise<string> | undefined;
  let planFile: Promise<string> | undefined;
  const control = options.control ?? 'stdin';
  return {
    name: 'process',
    controlChannel: control === 'stdin',
    async start(launch: ShardLaunch): Promise<ShardInstance> {
      dir ??= mkdtemp(join(tmpdir(), 'canary-gate-shards-'));
      // Every shard reads the same file; written once.
      planFile ??= dir.then(async (d) => {
        const file = join(d, 'plan.json');
        await writeFile(file, launch.planJson, { mode: 0o600 });
        return file;
      });
      const file = await planFile;
      const standard = [
        process.execPath,
        BIN,
        'shard',
        '--plan',
        file,
        '--index',
        String(launch.index),
        '--control',
        control,
      ];
      const argv = options.argv?.(launch, file, standard) ?? standard;
      return spawnShard(
        argv as [string, ...string[]],
        { ...process.env, ...options.env, NO_COLOR: '1' },
        (child, running) => ({
          id: `pid ${child.pid}`,
          stop: () => {
            if (running()) child.kill('SIGTERM');
          },
          kill: () => {
            if (running()) child.kill('SIGKILL');
          },
        }),
      );
    },
    async close(): Promise<void> {
      const d = dir;
      dir = undefined;
      planFile = undefined;
      if (d) await rm(await d, { recursive: true, force: true });
    },
  };
}
