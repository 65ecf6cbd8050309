/**
 * The `docker` executor: each shard is a container on the local engine, started with the docker
 * CLI as `docker run --rm -i`, so its stdout is the protocol, its stderr stays apart and its stdin
 * is the control channel — the same child-process shape as the process executor. Host networking
 * (the load goes where a local process's would), an optional cpuset per shard, the plan in a
 * read-only bind mount, the caller's uid so a 0600 plan file is readable, a label naming the
 * run, and `close()` removes every container with that label whatever happened. Images come from
 * the local engine only (`--pull never`).
 *
 * Why the docker CLI and not testcontainers (which regress uses for builds): a shard needs stdin
 * attached and stdout apart from stderr; testcontainers' log stream interleaves the two and it
 * has no stdin.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type ShardExecutor, type ShardInstance, type ShardLaunch, spawnShard } from './executor.js';

const exec = promisify(execFile);

/** Label every shard container carries; its value is the run's id. */
export const SHARD_RUN_LABEL = 'canary-gate.shard.run';

/** Longest a docker CLI call (kill, ps, rm) may take, ms. */
const DOCKER_CALL_MS = 30_000;

/** Options of the docker executor. */
export interface DockerExecutorOptions {
  /** Image with canary-gate as its entrypoint (default canary-gate:latest). */
  image?: string;
  /** Command to run canary-gate in the image instead of its entrypoint, e.g. ["/node", "/app/bin/canary-gate.js"]. */
  command?: string[];
  /** Read-only bind mounts (host path → container path), e.g. a checkout to run. */
  mounts?: { host: string; container: string }[];
  /** CPU sets per shard, round robin (docker --cpuset-cpus), e.g. ["0", "1"]. */
  cpusets?: string[];
}

/** `docker …` with a deadline. */
async function docker(args: string[]): Promise<string> {
  const { stdout } = await exec('docker', args, { timeout: DOCKER_CALL_MS });
  return stdout.trim();
}

/** Start shards as containers on the local Docker engine. */
export function dockerExecutor(options: DockerExecutorOptions = {}): ShardExecutor & { readonly runId: string } {
  const runId = randomUUID().slice(0, 12);
  const image = options.image ?? 'canary-gate:latest';
  let dir: Promise<string> | undefined;
  const write = (planJson: string): Promise<string> => {
    dir ??= mkdtemp(join(tmpdir(), 'canary-gate-shards-')).then(async (d) => {
      await writeFile(join(d, 'plan.json'), planJson, { mode: 0o600 });
      return d;
    });
    return dir;
  };
  return {
    name: 'docker',
    runId,
    startDelayMs: 5000,
    controlChannel: true,
    async start(launch: ShardLaunch): Promise<ShardInstance> {
      const planDir = await write(launch.planJson);
      const name = `canary-gate-shard-${runId}-${launch.index}`;
      const [entrypoint, ...entryArgs] = options.command ?? [];
      const cpuset = options.cpusets?.[launch.index % options.cpusets.length];
      const args = [
        'run',
        '--rm',
        '-i',
        '--pull',
        'never',
        '--name',
        name,
        '--label',
        `${SHARD_RUN_LABEL}=${runId}`,
        '--network',
        'host',
        '--user',
        `${process.getuid?.() ?? 0}:${process.getgid?.() ?? 0}`,
        '-v',
        `${planDir}:/shard:ro`,
        ...(options.mounts ?? []).flatMap((m) => ['-v', `${m.host}:${m.container}:ro`]),
        ...(cpuset === undefined ? [] : ['--cpuset-cpus', cpuset]),
        ...(entrypoint === undefined ? [] : ['--entrypoint', entrypoint]),
        image,
        ...entryArgs,
        'shard',
        '--plan',
        '/shard/plan.json',
        '--index',
        String(launch.index),
        '--control',
        'stdin',
      ];
      return spawnShard(['docker', ...args], undefined, (child, running) => {
        const signal = (sig: 'TERM' | 'KILL'): void => {
          // The container goes with its `docker run`; close() removes whatever is left.
          if (running()) docker(['kill', '--signal', sig, name]).catch(() => {});
        };
        return {
          id: `container ${name}`,
          stop: () => signal('TERM'),
          kill: () => {
            signal('KILL');
            if (running()) child.kill('SIGKILL');
          },
        };
      });
    },
    async close(): Promise<void> {
      const ids = await docker(['ps', '-aq', '--filter', `label=${SHARD_RUN_LABEL}=${runId}`]).catch(() => '');
      if (ids !== '') await docker(['rm', '-f', ...ids.split('\n')]).catch(() => '');
      const d = dir;
      dir = undefined;
      if (d) await rm(await d, { recursive: true, force: true });
    },
  };
}

/**
 * Why shard containers of `image` cannot start here (no engine answers, the image is not on the
 * local engine), or undefined when they can: asked before a run sends anything or moves a router.
 */
export async function dockerProblem(image: string): Promise<string | undefined> {
  try {
    await docker(['image', 'inspect', '--format', '{{.Id}}', image]);
    return undefined;
  } catch (error) {
    const e = error as { stderr?: string; code?: string | number; killed?: boolean; message: string };
    if (e.code === 'ENOENT') return 'the docker CLI is not installed';
    if (e.killed) return `the Docker engine did not answer within ${DOCKER_CALL_MS / 1000} s`;
    const said = (e.stderr ?? e.message).trim().split('\n').at(-1) ?? '';
    return /no such image/i.test(said)
      ? `image ${image} is not on the local engine (shards never pull): build it, or set CANARY_GATE_SHARD_IMAGE`
      : `docker: ${said.slice(0, 300)}`;
  }
}
