/**
 * A regression run of two builds on this machine: start both (containers through testcontainers,
 * or local processes), wait until each answers its health path, run the same load against each
 * in alternating order round after round, merge each build's rounds and judge the candidate
 * against the baseline. Whatever ends the run — a verdict, an error, SIGINT or SIGTERM — every
 * build it started is stopped before it returns.
 */
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type ArmMeasurements, encodeArm, judgeArm } from '../arm/arm.js';
import { BuildError } from '../errors.js';
import { DECISION_EXIT, type Decision } from '../exit-codes.js';
import { judgeStep } from '../gates/judge.js';
import type { StepVerdict } from '../gates/verdict.js';
import { runLoad } from '../load/engine.js';
import type { IntervalPoint } from '../load/interval-series.js';
import { scenarioLoadPlan } from '../load/scenario-plan.js';
import {
  type HealthResult,
  machineFingerprint,
  type RegressRound,
  RUN_RESULT_SCHEMA_VERSION,
  type RunResult,
  regressBuildName,
  type StepResult,
} from '../result/run-result.js';
import { type RegressScenario, regressTargets } from '../scenario/schema.js';
import type { LoadRunner } from '../shard/coordinator.js';
import type { BuildStart, RunningBuild } from './build.js';
import {
  describeBuild,
  type MergedRounds,
  mergeRounds,
  type RegressArm,
  type RoundMeasurement,
  roundOrder,
} from './plan.js';

/** Something the run did, for the terminal. */
export type RegressEvent =
  | { type: 'starting'; arm: RegressArm; what: string }
  | { type: 'started'; build: RunningBuild }
  | { type: 'measured'; round: number; rounds: number; arm: RegressArm; p50Ms: number; p99Ms: number; requests: number }
  | { type: 'stopping'; builds: number };

/** Everything a regression run needs. */
export interface RegressRunOptions {
  /** A regression run of two builds. */
  scenario: RegressScenario;
  scenarioFile: string;
  digest: string;
  /** Run id: names the containers and labels them. */
  run: string;
  /** CPUs of this machine, for the default cpuset (the last one). */
  cpuCount: number;
  /** Aborts the run; every build is stopped. A signal reason is "interrupted", an Error "aborted". */
  signal?: AbortSignal;
  /**
   * Runs each round's load (default: the engine in this process). Over shards, a shard that fails
   * throws its ShardError: the run ends "aborted" naming it, every build stopped.
   */
  runLoad?: LoadRunner;
  /** Said in the result when the load runs over shards, e.g. "2 shards (process)". */
  loadFrom?: string;
  onEvent?: (event: RegressEvent) => void;
}

/** Run the two builds to a verdict. Never throws for run-time failures: they become "aborted". */
export async function runRegress(o: RegressRunOptions): Promise<RunResult> {
  const { scenario } = o;
  const r = scenario.regress;
  const startedAt = new Date().toISOString();
  const runStartMs = performance.now();
  const emit = (event: RegressEvent): void => o.onEvent?.(event);
  const usesImages = r.baseline.image !== undefined;
  const cpuset = r.cpuset ?? String(Math.max(0, o.cpuCount - 1));
  const limits = { cpuset, cpus: r.cpus, memoryBytes: r.memory };
  const warnings: string[] = [];
  if (!usesImages) {
    warnings.push('local processes: no CPU pinning or memory limit applies (containers only); both share the machine');
  }
  const builds: RunningBuild[] = [];
  const parts: (RoundMeasurement & { startedAtMs: number; intervals: IntervalPoint[] })[] = [];
  const rounds: RegressRound[] = [];
  let health: HealthResult[] = [];
  let judged: StepResult | undefined;
  let decision: Decision;
  let reason: string;
  let containers: typeof import('./container-build.js') | undefined;
  try {
    if (usesImages) {
      // Loaded only when needed: testcontainers and dockerode are most of the CLI's start-up time.
      containers = await import('./container-build.js');
      await containers.assertImagesPresent([r.baseline.image as string, r.candidate.image as string]);
    }
    o.signal?.throwIfAborted();
    const ports = r.port === 0 ? await freePorts() : ([r.port, r.port + 1] as [number, number]);
    await assertPortsFree(ports);
    const targets = regressTargets(r, ports);
    const startOne = async (arm: RegressArm): Promise<RunningBuild> => {
      const spec = arm === 'baseline' ? r.baseline : r.candidate;
      const port = arm === 'baseline' ? ports[0] : ports[1];
      const start: BuildStart = {
        arm,
        run: o.run,
        port,
        env: { ...r.env, ...spec.env, [r.portEnv]: String(port) },
        healthUrl: `${targets[arm].url}${r.healthPath}`,
        startupTimeoutMs: r.startupTimeout,
        signal: o.signal,
      };
      emit({ type: 'starting', arm, what: describeBuild(spec) });
      const build =
        spec.image !== undefined && containers
          ? await containers.startContainerBuild(spec.image, start, limits)
          : await (await import('./process-build.js')).startProcessBuild(spec.command ?? [], start);
      builds.push(build);
      emit({ type: 'started', build });
      return build;
    };
    // Both start at once; whichever fails, the other is in `builds` and is stopped below.
    const started = await Promise.allSettled([startOne('baseline'), startOne('canary')]);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
    health = builds.map((b) => ({
      service: b.arm,
      url: `${b.url}${r.healthPath}`,
      healthy: true,
      detail: `2xx after ${Math.round(b.startupMs)} ms`,
    }));

    for (let round = 0; round < r.rounds; round++) {
      const summary: RegressRound = { index: round, order: roundOrder(round), arms: {} };
      for (const arm of roundOrder(round)) {
        o.signal?.throwIfAborted();
        const t = scenario.traffic;
        const startedAtMs = performance.now() - runStartMs + t.warmup;
        const result = await (o.runLoad ?? runLoad)(
          scenarioLoadPlan(scenario, [{ arm, url: targets[arm].url, weight: 1 }], t.stepDuration, t.warmup),
          o.signal ? { signal: o.signal } : {},
        );
        o.signal?.throwIfAborted();
        // A build that died under load leaves connection errors, not measurements of the build: a
        // dead baseline would make the error-rate check lenient, and a dead candidate would look
        // like a regression (exit 1) instead of a build that could not stay up (exit 3).
        const down = await (builds.find((b) => b.arm === arm) as RunningBuild).down();
        if (down !== undefined) {
          throw new BuildError(
            `${regressBuildName(arm)} (${describeBuild(arm === 'baseline' ? r.baseline : r.candidate)}) stopped serving in round ${round + 1}: ${down}`,
          );
        }
        const measurements = result.arms.find((a) => a.arm === arm) as ArmMeasurements;
        parts.push({
          round,
          arm,
          measurements,
          durationMs: result.sendWindowMs,
          startedAtMs,
          intervals: result.intervals[arm] ?? [],
        });
        const p50Ms = measurements.latency.getValueAtPercentile(50) / 1000;
        const p99Ms = measurements.latency.getValueAtPercentile(99) / 1000;
        summary.arms[arm] = {
          requests: measurements.counters.requests,
          errors: measurements.counters.errors,
          p50Ms,
          p99Ms,
          durationMs: Math.round(result.sendWindowMs),
        };
        emit({
          type: 'measured',
          round,
          rounds: r.rounds,
          arm,
          p50Ms,
          p99Ms,
          requests: measurements.counters.requests,
        });
      }
      rounds.push(summary);
    }

    const byArm = mergeRounds(parts);
    const asJudged = (arm: RegressArm) => {
      const m = byArm.get(arm) as { measurements: ArmMeasurements; durationMs: number };
      return judgeArm(m.measurements, m.durationMs);
    };
    const { statistics, weights, passScore } = scenario.gates;
    // One look at all the data: the whole false-alarm budget goes to it.
    const verdict = judgeStep({
      canary: asJudged('canary'),
      baseline: asJudged('baseline'),
      checks: scenario.gates.checks,
      statistics,
      weights,
      passScore,
      alpha: statistics.alpha,
      mayPass: true,
      finalLook: true,
      // Requests that failed without a latency count at the timeout in means and maxima.
      timeoutMs: scenario.traffic.timeout,
    });
    judged = mergedStep(parts, byArm, verdict);
    if (verdict.decision === 'rollback') {
      decision = 'rollback';
      reason = `regression: the candidate is slower or less reliable than the baseline over ${r.rounds} rounds: ${verdict.reason}`;
    } else {
      decision = 'promote';
      reason = `no regression over ${r.rounds} interleaved rounds: ${verdict.reason}`;
    }
  } catch (error) {
    const cause: unknown = o.signal?.aborted ? o.signal.reason : error;
    if (o.signal?.aborted && !(cause instanceof Error)) {
      decision = 'interrupted';
      const signal = (cause as { signal?: string } | undefined)?.signal;
      reason = `interrupted${signal ? ` by ${signal}` : ''}; every build was stopped`;
    } else {
      decision = 'aborted';
      const message = cause instanceof Error ? cause.message : String(cause);
      const hint = cause instanceof BuildError && cause.hint ? ` (hint: ${cause.hint})` : '';
      reason = `aborted: ${message}${hint}; every build that started was stopped`;
    }
  } finally {
    emit({ type: 'stopping', builds: builds.length });
    await Promise.all(builds.map((b) => b.stop()));
    // A start cut short between create and ready can leave a container no handle points to.
    if (containers) await containers.removeRunContainers(o.run);
  }

  return {
    schemaVersion: RUN_RESULT_SCHEMA_VERSION,
    run: o.run,
    scenario: { name: scenario.name, file: o.scenarioFile, digest: o.digest },
    router: `regress: baseline ${describeBuild(r.baseline)} vs candidate ${describeBuild(r.candidate)}, ${r.rounds} interleaved rounds (ABBA)${usesImages ? `, cpuset ${cpuset}, ${Math.round(r.memory / 1024 ** 2)} MiB each` : ''}${o.loadFrom ? `, load from ${o.loadFrom}` : ''}`,
    startedAt,
    endedAt: new Date().toISOString(),
    machine: machineFingerprint(),
    preflight: health,
    steps: judged ? [judged] : [],
    decision,
    reason,
    exitCode: DECISION_EXIT[decision],
    warnings,
    regress: {
      builds: builds.map((b) => ({ arm: b.arm, description: b.description, startupMs: Math.round(b.startupMs) })),
      rounds,
    },
  };
}

/** The one step a regression result has: both arms merged over every round, and the verdict. */
function mergedStep(
  parts: readonly (RoundMeasurement & { startedAtMs: number; intervals: IntervalPoint[] })[],
  merged: MergedRounds,
  verdict: StepVerdict,
): StepResult {
  const first = Math.min(...parts.map((p) => p.startedAtMs));
  const last = Math.max(...parts.map((p) => p.startedAtMs + p.durationMs));
  const arms: StepResult['arms'] = {};
  for (const [arm, m] of merged) arms[arm] = encodeArm(m.measurements);
  // Each round's points on the step's clock, so the time plot shows the arms taking turns.
  const intervals: Record<string, IntervalPoint[]> = {};
  for (const p of parts) {
    const shifted = p.intervals.map((point) => ({ ...point, startMs: point.startMs + p.startedAtMs - first }));
    intervals[p.arm] = [...(intervals[p.arm] ?? []), ...shifted];
  }
  return {
    index: 0,
    weight: 100,
    startedAtMs: Math.round(first),
    durationMs: Math.round(last - first),
    extensions: 0,
    arms,
    intervals,
    verdict,
  };
}

/**
 * Fails with a BuildError when a port is taken on 127.0.0.1. The build could not bind it, and
 * whatever holds it (an orphan of an earlier run) would answer the health path and the load in the
 * build's place.
 */
async function assertPortsFree(ports: readonly [number, number]): Promise<void> {
  for (const [i, port] of ports.entries()) {
    const server = createServer();
    const problem = await new Promise<string | undefined>((resolve) => {
      server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
      server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(undefined)));
    });
    if (problem !== undefined) {
      const what = problem === 'EADDRINUSE' ? 'is already in use' : `cannot be bound (${problem})`;
      throw new BuildError(
        `port ${port} on 127.0.0.1, the ${i === 0 ? 'baseline' : 'candidate'}'s, ${what}; nothing was started`,
        {
          hint: 'stop whatever listens there (an earlier run?), or let regress pick free ones: --port 0 (port: 0 in a scenario)',
        },
      );
    }
  }
}

/** Two free ports on 127.0.0.1, held together while picking so they differ. */
async function freePorts(): Promise<[number, number]> {
  const servers = [createServer(), createServer()];
  try {
    const ports = await Promise.all(
      servers.map(
        (s) =>
          new Promise<number>((resolve, reject) => {
            s.once('error', reject);
            s.listen(0, '127.0.0.1', () => resolve((s.address() as { port: number }).port));
          }),
      ),
    );
    return [ports[0] as number, ports[1] as number];
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
