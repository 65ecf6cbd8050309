/**
 * A build as a container, started through testcontainers: host networking (the service listens
 * on the port its environment names), the same cpuset and memory limit for both builds, labels
 * that name the run so whatever it started can be found and removed, and images used only from
 * the local engine — a regression run never pulls.
 */
import {
  GenericContainer,
  getContainerRuntimeClient,
  ImageName,
  type StartedTestContainer,
  type WaitStrategy,
} from 'testcontainers';
import { BuildError } from '../errors.js';
import { regressBuildName } from '../result/run-result.js';
import type { BuildStart, RunningBuild } from './build.js';
import { stillServing, waitForHealth } from './health.js';

/** Label every container of a regression run carries; its value is the run id. */
export const RUN_LABEL = 'canary-gate.regress.run';

/** Limits both containers get alike. */
export interface ContainerLimits {
  /** CPUs the container may run on (docker --cpuset-cpus). */
  cpuset?: string | undefined;
  /** CPU quota in CPUs (docker --cpus). */
  cpus?: number | undefined;
  /** Memory limit in bytes, swap included (docker --memory with --memory-swap equal). */
  memoryBytes: number;
}

/**
 * GenericContainer with the host-config fields it has no builder for. `withResourcesQuota` takes
 * memory in whole GiB fractions and has no cpuset; docker's own fields are exact.
 */
class LimitedContainer extends GenericContainer {
  /** Apply the limits to the container's host config. */
  withLimits(limits: ContainerLimits): this {
    if (limits.cpuset !== undefined) this.hostConfig.CpusetCpus = limits.cpuset;
    if (limits.cpus !== undefined) this.hostConfig.NanoCpus = Math.round(limits.cpus * 1e9);
    this.hostConfig.Memory = limits.memoryBytes;
    // Equal to Memory: no swap, or a build short of memory would be slow instead of failing.
    this.hostConfig.MemorySwap = limits.memoryBytes;
    return this;
  }
}

/** testcontainers' wait, made of ours: the health URL answers 2xx while the container runs. */
class HealthEndpointWait implements WaitStrategy {
  #timeoutMs = 30_000;
  readonly #url: string;
  readonly #signal: AbortSignal | undefined;

  constructor(url: string, signal: AbortSignal | undefined) {
    this.#url = url;
    this.#signal = signal;
  }

  async waitUntilReady(container: Parameters<WaitStrategy['waitUntilReady']>[0]): Promise<void> {
    await waitForHealth({
      url: this.#url,
      timeoutMs: this.#timeoutMs,
      signal: this.#signal,
      gone: () => exitOf(container),
    });
  }

  withStartupTimeout(startupTimeoutMs: number): this {
    this.#timeoutMs = startupTimeoutMs;
    return this;
  }

  isStartupTimeoutSet(): boolean {
    return true;
  }

  getStartupTimeout(): number {
    return this.#timeoutMs;
  }
}

/** A container as dockerode has it. */
type DockerContainer = Parameters<WaitStrategy['waitUntilReady']>[0];

/** How a container ended, or undefined while it runs. */
async function exitOf(container: DockerContainer): Promise<string | undefined> {
  const state = (await container.inspect()).State;
  if (state.Running) return undefined;
  return describeContainerExit(state, await tailLogs(container));
}

/** A stopped container's end in words: exit code, an OOM kill, its last output. */
export function describeContainerExit(state: { ExitCode: number; OOMKilled: boolean }, logs: string): string {
  const how = state.OOMKilled
    ? `was killed for running out of memory (OOMKilled, exit code ${state.ExitCode}; --memory sets the limit)`
    : `exited with code ${state.ExitCode}`;
  return `the container ${how}${logs ? ` (last output: ${logs})` : ''}`;
}

/** The last lines a container printed, one line, for an error message. */
async function tailLogs(container: DockerContainer): Promise<string> {
  try {
    const raw = (await container.logs({ stdout: true, stderr: true, tail: 5, follow: false })) as unknown as Buffer;
    // Without a TTY the stream is multiplexed: 8-byte frame headers before each chunk.
    const parts: string[] = [];
    for (let at = 0; at + 8 <= raw.length; ) {
      const size = raw.readUInt32BE(at + 4);
      parts.push(raw.subarray(at + 8, at + 8 + size).toString('utf8'));
      at += 8 + size;
    }
    return parts.join('').trim().split('\n').slice(-3).join(' | ').slice(0, 400);
  } catch {
    return '';
  }
}

/** Fails with a BuildError (nothing started) when the engine is unreachable or an image is not local. */
export async function assertImagesPresent(images: readonly string[]): Promise<void> {
  let client: Awaited<ReturnType<typeof getContainerRuntimeClient>>;
  try {
    client = await getContainerRuntimeClient();
  } catch (error) {
    throw new BuildError(`cannot reach a Docker engine: ${(error as Error).message}`, {
      hint: 'start dockerd, or run local processes with --baseline-cmd and --candidate-cmd',
    });
  }
  for (const image of new Set(images)) {
    if (!(await client.image.exists(ImageName.fromString(image)))) {
      throw new BuildError(`image ${image} is not in the local Docker engine (regress never pulls)`, {
        hint: 'build or load it first; scripts/build-demo-image.sh builds the demo images',
      });
    }
  }
}

/** Start one build as a container and wait until it is healthy. */
export async function startContainerBuild(
  image: string,
  start: BuildStart,
  limits: ContainerLimits,
): Promise<RunningBuild> {
  const name = `canary-gate-regress-${start.run}-${start.arm}`;
  const who = `${regressBuildName(start.arm)} (container ${name}, image ${image})`;
  const begun = performance.now();
  let started: StartedTestContainer;
  try {
    started = await new LimitedContainer(image)
      .withName(name)
      .withLabels({ [RUN_LABEL]: start.run, 'canary-gate.regress.arm': start.arm })
      .withNetworkMode('host')
      .withEnvironment(start.env)
      .withLimits(limits)
      .withWaitStrategy(new HealthEndpointWait(start.healthUrl, start.signal))
      .withStartupTimeout(start.startupTimeoutMs)
      .start();
  } catch (error) {
    if (start.signal?.aborted) throw error;
    if (error instanceof BuildError)
      throw new BuildError(`${who}: ${error.message}`, error.hint ? { hint: error.hint } : {});
    throw new BuildError(`${who}: the container did not start: ${(error as Error).message}`, { cause: error });
  }
  const handle = (await getContainerRuntimeClient()).container.getById(started.getId());
  const mib = Math.round(limits.memoryBytes / 1024 ** 2);
  const pinned = [
    limits.cpuset !== undefined ? `cpuset ${limits.cpuset}` : undefined,
    limits.cpus !== undefined ? `${limits.cpus} CPUs` : undefined,
    `${mib} MiB`,
  ].filter((x) => x !== undefined);
  return {
    arm: start.arm,
    url: `http://127.0.0.1:${start.port}`,
    description: `container ${name} (${image}; ${pinned.join(', ')})`,
    startupMs: performance.now() - begun,
    down: () =>
      stillServing(start.healthUrl, () =>
        exitOf(handle).catch((error: Error) => `the container is gone (${error.message})`),
      ),
    stop: async () => {
      await started.stop({ timeout: 2000, remove: true }).catch(() => {});
    },
  };
}

/**
 * Remove every container a run labelled, whatever state it is in. A start interrupted between
 * create and ready leaves a container testcontainers never handed back; this finds it by label.
 */
export async function removeRunContainers(run: string): Promise<number> {
  try {
    const client = await getContainerRuntimeClient();
    const found = await client.container.dockerode.listContainers({
      all: true,
      filters: { label: [`${RUN_LABEL}=${run}`] },
    });
    await Promise.all(
      found.map((c) =>
        client.container.dockerode
          .getContainer(c.Id)
          .remove({ force: true })
          .catch(() => {}),
      ),
    );
    return found.length;
  } catch {
    return 0;
  }
}
