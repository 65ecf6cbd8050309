/** The Docker engine as the regress tests see it: the demo images and the containers regress labels. */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { dockerExecutor } from '../../src/shard/docker-executor.js';

const run = promisify(execFile);
const SCRIPT = fileURLToPath(new URL('../../scripts/build-demo-image.sh', import.meta.url));

/** The label every regress container carries (value: the run id). */
export const REGRESS_LABEL = 'canary-gate.regress.run';

/** `docker …`; rejects with docker's stderr. */
export async function docker(...args: string[]): Promise<string> {
  const { stdout } = await run('docker', args, { timeout: 60_000 });
  return stdout.trim();
}

/**
 * Fails (never skips) when there is no engine: CI always starts dockerd (scripts/ci.sh), so a
 * missing engine is a broken machine, not a reason to pass.
 */
export async function requireDocker(): Promise<void> {
  try {
    await docker('info', '--format', '{{.ServerVersion}}');
  } catch (error) {
    throw new Error(`these tests need a running Docker engine (npm run ci starts one): ${(error as Error).message}`);
  }
}

/**
 * Repository of the demo images the tests use. CANARY_GATE_DEMO_IMAGE (the build script's own
 * setting) lets checkouts that share an engine keep their own images, instead of each rebuilding
 * the other's tags whenever their copies of the service differ.
 */
export const DEMO_IMAGE = process.env.CANARY_GATE_DEMO_IMAGE || 'canary-gate-demo';

/**
 * Build DEMO_IMAGE:baseline and :slow when missing or stale; returns how long it took, ms, and what
 * the script said. `from` runs it from that folder, by its path relative to it.
 */
export async function buildDemoImages(from?: string): Promise<{ ms: number; log: string }> {
  const started = performance.now();
  const { stderr } = await run('bash', [from === undefined ? SCRIPT : relative(from, SCRIPT)], {
    timeout: 120_000,
    env: { ...process.env, CANARY_GATE_DEMO_IMAGE: DEMO_IMAGE },
    ...(from === undefined ? {} : { cwd: from }),
  });
  return { ms: performance.now() - started, log: stderr.trim() };
}

/**
 * Ids of every container (any state) that a regress run writing its outputs under `outDir`
 * labelled: a run makes its folder (named by its run id, the label's value) before any build
 * starts, so two files that run regress at once each see only their own runs' containers.
 */
export async function regressContainers(outDir: string): Promise<string[]> {
  const runs = new Set(existsSync(outDir) ? readdirSync(outDir) : []);
  const out = await docker(
    'ps',
    '-a',
    '--filter',
    `label=${REGRESS_LABEL}`,
    '--format',
    `{{.ID}} {{.Label "${REGRESS_LABEL}"}}`,
  );
  return out
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split(' '))
    .filter(([, run]) => run !== undefined && runs.has(run))
    .map(([id]) => id as string);
}

/** `docker inspect` of a container, parsed. */
export async function inspect(id: string): Promise<{
  Name: string;
  State: { Running: boolean };
  Config: { Env: string[]; Labels: Record<string, string>; Image: string };
  HostConfig: { CpusetCpus: string; Memory: number; MemorySwap: number; NanoCpus: number; NetworkMode: string };
}> {
  return JSON.parse(await docker('inspect', id))[0];
}

/**
 * The CPUs for the containers of a file beside the timed lane: scripts/ci.sh sets them for the
 * machine and late lanes, every CPU but the timed lane's. Containers run outside the lanes' nice
 * and pin, at dockerd's priority: on the timed lane's core they would be its neighbour (a demo's
 * 100 % step failed its p99 in a CI run while docker-executor's shard containers started).
 */
export function sideCpus(): string | undefined {
  return process.env.CANARY_GATE_CONTAINER_CPUS || undefined;
}

/** `docker run` flags that keep a container on sideCpus(), when set. */
export function sideCpusetArgs(): string[] {
  const cpus = sideCpus();
  return cpus ? ['--cpuset-cpus', cpus] : [];
}

/**
 * The docker shard executor the tests use: DEMO_IMAGE with this checkout mounted read-only at
 * /app, so the containers run exactly the code under test as `canary-gate shard`; `cpusets`
 * pins them (round robin), else sideCpus() when set, else the kernel places them.
 */
export function checkoutShardExecutor(cpusets?: string[]): ReturnType<typeof dockerExecutor> {
  const side = sideCpus();
  const pinned = cpusets ?? (side ? [side] : undefined);
  return dockerExecutor({
    image: `${DEMO_IMAGE}:baseline`,
    command: ['/node', '/app/bin/canary-gate.js'],
    mounts: [{ host: fileURLToPath(new URL('../..', import.meta.url)), container: '/app' }],
    ...(pinned ? { cpusets: pinned } : {}),
  });
}
