/**
 * The coordinator: splits a load plan over N shards, starts them through an executor, follows
 * their protocol lines, merges each second and the totals exactly (histograms add bucket by
 * bucket), and answers with a LoadResult like a single process's plus a report per shard.
 *
 * A shard that dies, hangs, breaks the protocol or whose lines do not add up to its totals is
 * named, the other shards are stopped, and the run fails with a ShardError (exit 3): a merged
 * result that silently lacks a shard's share would read as a faster service. Every wait has a
 * deadline (the plan's length plus the request timeout plus a grace), and the caller's signal
 * stops every shard, which still report what they measured.
 */
import { CanaryGateError, ScenarioError } from '../errors.js';
import type { LoadGenerator, LoadProgress, LoadResult, RunLoadOptions } from '../load/engine.js';
import type { GeneratorLimitReason } from '../load/generator-limit.js';
import { addGeneratorSample, emptyGeneratorSample, type GeneratorSample } from '../load/generator-meter.js';
import { IntervalSeries } from '../load/interval-series.js';
import { armFromWire, mergeArms, mergeByArm } from '../load/merge.js';
import { assertValidPlan, type LoadPlan } from '../load/plan.js';
import { type ArmMeasurements, emptyStatusClasses, type IntervalArmSample } from '../load/recorder.js';
import type { ShardExecutor, ShardExit, ShardInstance } from './executor.js';
import { boundedLines } from './lines.js';
import {
  type EndLine,
  type IntervalLine,
  parseShardLine,
  SHARD_LIMITS,
  SHARD_PROTOCOL_VERSION,
  type ShardCommand,
  type ShardLine,
} from './protocol.js';
import { START_LAG_LIMIT_MS, startLagLimitMs, warmReporting } from './shard.js';
import { type ShardPlanFile, splitProblems } from './split.js';

/** A shard failed: it is named, with why. The run is not a result (exit 3). */
export class ShardError extends CanaryGateError {
  /** Every shard's report, the failed ones with their problem. */
  readonly shards: readonly ShardReport[];

  constructor(message: string, shards: readonly ShardReport[]) {
    super('E_SHARD', message, {
      hint: 'a sharded result without every shard would under-count; see each shard problem above',
    });
    this.shards = shards;
  }
}

/** Options of a sharded run. */
export interface ShardedRunOptions {
  /** How many shards. */
  shards: number;
  /** What starts them. */
  executor: ShardExecutor;
  /** Stops every shard; the result is what they measured until then (`aborted`). */
  signal?: AbortSignal;
  /** Called once a second with the merged second, when every shard has reported it. */
  onProgress?: (progress: LoadProgress) => void;
  /** Every protocol line read, after validation (a log of the run, or a test's view of each shard). */
  onLine?: (line: ShardLine) => void;
  /**
   * Time from now to the common start, for the shards to come up, ms (default 2 000). Shards that
   * start on command (an executor with a control channel) start once every one has said hello,
   * sooner or later than this; a shard silent this long plus `silenceMs` is hung.
   */
  startDelayMs?: number;
  /** A running shard silent this long is hung, ms (default 5 000). */
  silenceMs?: number;
  /** After a stop, how long a shard has (beyond the request timeout) before it is killed, ms (default 5 000). */
  graceMs?: number;
}

/** How one shard did. */
export interface ShardReport {
  /** Its index. */
  index: number;
  /** What the executor calls it ("pid 1234", a container id). */
  id: string;
  /** ok: ran its plan; stopped: stopped early on request; failed: see `problem`. */
  status: 'ok' | 'stopped' | 'failed';
  /** Why it failed. */
  problem?: string;
  /** How it exited. */
  exit?: ShardExit;
  /** The last of its stderr, when it failed. */
  stderr?: string;
  /** Interval lines read. */
  intervals: number;
  /** Requests finished, sent, errors (its totals, over arms). */
  requests: number;
  sent: number;
  errors: number;
  /** Its achieved rate: responses in the measured window per second. */
  completedPerSec: number;
  /** Its process's CPU, % of one core, and event-loop delay p99. */
  cpuPercent: number;
  eventLoopDelayP99Ms: number;
  /** How late its schedule began, ms. */
  startLagMs: number;
  /** Its own generator was the limit (per its totals), and why. */
  limited: boolean;
  reasons: string[];
  /** Seconds in which it was generator-limited. */
  limitedIntervals: number;
  /** Its generator's signals over the run (its end line's), for a caller's own generator-limit rule. */
  signals: GeneratorSample;
}

/** A sharded load's result: what one process would report, plus the shards. */
export interface ShardedLoadResult extends LoadResult {
  /** The executor that ran the shards. */
  executor: string;
  /** One report per shard, in index order. */
  shards: ShardReport[];
}

const DEFAULTS = { startDelayMs: 2000, silenceMs: 5000, graceMs: 5000 };
/** How often the coordinator checks for silent shards, ms. */
const WATCH_MS = 250;

/** Per-shard state while following it. */
interface Followed {
  index: number;
  instance: ShardInstance | undefined;
  /** Its hello came. */
  ready: boolean;
  lastLineAt: number;
  nextInterval: number;
  end: EndLine | undefined;
  problem: string | undefined;
  exit: ShardExit | undefined;
  /** Per arm: requests and latency samples summed over interval lines (checked against the end line). */
  summed: Map<string, { requests: number; samples: number }>;
  limitedIntervals: number;
}

/** The interval sample (for the per-second series) of one arm's measurements. */
function intervalSample(m: ArmMeasurements): IntervalArmSample {
  const classes = emptyStatusClasses();
  classes[0] = m.counters.requests - m.counters.responses;
  for (const [status, n] of Object.entries(m.counters.statusCodes)) {
    const c = Math.floor(Number(status) / 100);
    if (c >= 1 && c <= 5) classes[c] = (classes[c] ?? 0) + n;
  }
  return { requests: m.counters.requests, errors: m.counters.errors, latency: m.latency, statusClasses: classes };
}

/** A sharded load that runs: change its weights, stop it, await its merged result. */
export interface ShardedHandle {
  /** The merged result, or a ShardError naming the shards that failed. */
  readonly done: Promise<ShardedLoadResult>;
  /**
   * When every shard starts its schedule (its warm-up first), ms since the epoch. Shards that start
   * on command: the planned start until every shard has said hello, then the start they were told.
   */
  readonly startAtEpochMs: number;
  /**
   * Resolves once startAtEpochMs is final: at once, or for shards that start on command once every
   * one is up and told the start (or the run has ended without it).
   */
  readonly started: Promise<void>;
  /**
   * New relative weights per arm in every shard, from `atEpochMs` on (default: 250 ms from now,
   * so every shard switches at the same moment). Throws ShardError when a running shard cannot
   * be told (an executor without a control channel).
   */
  setWeights(weights: Record<string, number>, atEpochMs?: number): void;
  /** Stop every shard; `done` resolves with what they measured, marked aborted. */
  stop(): void;
}

/** How long before a weight switch the coordinator sends it, ms (pipes and logs deliver within it). */
const SWITCH_LEAD_MS = 250;

/** Time before the common start the coordinator needs to warm its reading path, ms. */
const WARM_LEAD_MS = 500;

/**
 * How far ahead of the common start the coordinator sends the start command, ms: the shards wait
 * for it idle, and pipes and a container's attached stdin deliver within it.
 */
const START_LEAD_MS = 250;

/**
 * Read lines shaped like the shards' through the coordinator's own path (parse, decode, the
 * per-second sample) while they start. Cold, reading the first second's lines took tens of ms of
 * CPU at the moment every shard reported: on a machine the shards and the service share, the
 * service's and the shards' time (docs/benchmarks.md, "Shards").
 */
function warmFollowing(plan: LoadPlan): void {
  const text = warmReporting(plan).trimEnd();
  for (let round = 0; round < 4; round++) {
    const line = parseShardLine(text);
    if (line.type === 'interval') mergeByArm(line.arms.map(armFromWire)).map(intervalSample);
  }
}

/** Run `plan` over `options.shards` shards; resolves with the exactly merged result or throws ShardError. */
export function runSharded(plan: LoadPlan, options: ShardedRunOptions): Promise<ShardedLoadResult> {
  return startSharded(plan, options).done;
}

/** Runs one load plan to its end, as `runLoad` does: the engine in this process, or shards. */
export type LoadRunner = (
  plan: LoadPlan,
  options?: Pick<RunLoadOptions, 'signal' | 'onProgress'>,
) => Promise<LoadResult>;

/**
 * A LoadRunner whose every load runs over `shards` shards, each on an executor of its own
 * (`executor()`: a run's executor holds its temporary files or containers until the run ends).
 */
export function shardedRunner(shards: number, executor: () => ShardExecutor): LoadRunner {
  return (plan, options = {}) => runSharded(plan, { ...options, shards, executor: executor() });
}

/** Start `plan` over `options.shards` shards; validates at once (ScenarioError), then runs. */
export function startSharded(plan: LoadPlan, options: ShardedRunOptions): ShardedHandle {
  assertValidPlan(plan);
  const n = options.shards;
  const split = splitProblems(plan, n);
  if (split.length > 0) throw new ScenarioError(`cannot split the plan:\n  - ${split.join('\n  - ')}`, split);
  const startDelayMs = options.startDelayMs ?? options.executor.startDelayMs ?? DEFAULTS.startDelayMs;
  const silenceMs = options.silenceMs ?? DEFAULTS.silenceMs;
  const graceMs = options.graceMs ?? DEFAULTS.graceMs;
  const { executor } = options;
  const startedAt = new Date().toISOString();
  // A shard that came up late would start its schedule late (a capacity step once passed 120/s
  // against a 100/s service that way): shards that can be told start together once all are up.
  const onCommand = executor.controlChannel === true;
  let startAtEpochMs = Date.now() + startDelayMs;
  const file: ShardPlanFile = {
    v: SHARD_PROTOCOL_VERSION,
    shards: n,
    startAtEpochMs,
    ...(onCommand ? { startOnCommand: true } : {}),
    plan,
  };
  const planJson = JSON.stringify(file);
  let planEndMs = 0;
  // Past this, every shard that has not ended is hung.
  let deadlineMs = 0;
  const schedule = (startMs: number): void => {
    startAtEpochMs = startMs;
    planEndMs = startAtEpochMs + (plan.warmupMs ?? 0) + plan.durationMs + 1000;
    deadlineMs = planEndMs + plan.timeoutMs + silenceMs + graceMs;
  };
  schedule(startAtEpochMs);

  const series = new IntervalSeries(n);
  const shardLimitedAt = new Map<number, GeneratorLimitReason[]>();
  const followed: Followed[] = Array.from({ length: n }, (_, index) => ({
    index,
    instance: undefined,
    ready: false,
    lastLineAt: Date.now(),
    nextInterval: 0,
    end: undefined,
    problem: undefined,
    exit: undefined,
    summed: new Map(),
    limitedIntervals: 0,
  }));

  let stopping = false;
  let killAt = Number.POSITIVE_INFINITY;
  const stopAll = (): void => {
    if (stopping) return;
    stopping = true;
    killAt = Date.now() + plan.timeoutMs + graceMs;
    for (const f of followed) if (!f.end) f.instance?.stop();
  };
  const fail = (f: Followed, problem: string): void => {
    if (f.problem !== undefined || f.end) return;
    f.problem = problem;
    f.instance?.kill();
    stopAll();
  };
  const onAbort = (): void => stopAll();
  // The caller's own callbacks: a throw there is the caller's error, not a shard's.
  let callerError: unknown;
  const caller = (fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      callerError ??= error;
      stopAll();
    }
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stopAll();

  let told = !onCommand;
  let startKnown = (): void => {};
  const started = told
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
        startKnown = resolve;
      });
  /** Every shard is up: tell each the common start. */
  const startAll = (): void => {
    if (told || stopping || !followed.every((f) => f.ready)) return;
    told = true;
    schedule(Date.now() + START_LEAD_MS);
    startKnown();
    for (const f of followed)
      if (!f.instance?.send({ type: 'start', atEpochMs: startAtEpochMs })) fail(f, 'could not be told the start');
  };

  const take = (f: Followed, line: ShardLine): void => {
    if (line.shard !== f.index) throw new Error(`a line of shard ${line.shard} on shard ${f.index}'s output`);
    if (line.type === 'hello') {
      if (line.shards !== n) throw new Error(`it runs as one of ${line.shards} shards, expected ${n}`);
      if (f.ready) throw new Error('it said hello twice');
      f.ready = true;
      if (onCommand) startAll();
    } else if (line.type === 'error') {
      fail(f, `it reported ${line.code}: ${line.message}`);
    } else if (line.type === 'interval') {
      takeInterval(f, line);
    } else {
      for (const arm of line.arms) {
        const s = f.summed.get(arm.arm) ?? { requests: 0, samples: 0 };
        const samples = armFromWire(arm).latency.totalCount;
        if (s.requests !== arm.counters.requests || s.samples !== samples)
          throw new Error(
            `its lines do not add up: arm ${arm.arm} intervals hold ${s.requests} requests / ${s.samples} samples, its end line ${arm.counters.requests} / ${samples}`,
          );
      }
      if (line.intervals !== f.nextInterval)
        throw new Error(`its end line counts ${line.intervals} interval lines, ${f.nextInterval} came`);
      f.end = line;
    }
  };
  const takeInterval = (f: Followed, line: IntervalLine): void => {
    if (line.index !== f.nextInterval) throw new Error(`interval ${line.index} came where ${f.nextInterval} was due`);
    f.nextInterval++;
    const samples: Record<string, IntervalArmSample> = {};
    for (const wire of line.arms) {
      const arm = armFromWire(wire);
      samples[arm.arm] = intervalSample(arm);
      const s = f.summed.get(arm.arm) ?? { requests: 0, samples: 0 };
      s.requests += arm.counters.requests;
      s.samples += arm.latency.totalCount;
      f.summed.set(arm.arm, s);
    }
    if (line.generator.limited) {
      f.limitedIntervals++;
      const reasons = shardLimitedAt.get(line.index) ?? [];
      reasons.push(...line.generator.reasons.map((r) => ({ code: r.code, text: `shard ${f.index}: ${r.text}` })));
      shardLimitedAt.set(line.index, reasons);
    }
    const completed = series.add(line.index, samples, line.generator);
    const onProgress = options.onProgress;
    if (completed && onProgress) {
      const values = Object.values(completed.points);
      caller(() =>
        onProgress({
          elapsedSec: completed.index + 1,
          requests: values.reduce((s, p) => s + p.requests, 0),
          errors: values.reduce((s, p) => s + p.errors, 0),
          p99Ms: Math.max(0, ...values.map((p) => p.p99Ms)),
          arms: completed.points,
          samples: completed.samples,
          generator: completed.generator,
        }),
      );
    }
  };

  const follow = async (f: Followed, instance: ShardInstance): Promise<void> => {
    try {
      for await (const text of boundedLines(instance.stdout, SHARD_LIMITS.maxLineBytes)) {
        f.lastLineAt = Date.now();
        if (f.problem !== undefined) break;
        if (f.end) throw new Error('it printed after its end line');
        const line = parseShardLine(text);
        take(f, line);
        const onLine = options.onLine;
        if (onLine) caller(() => onLine(line));
      }
    } catch (error) {
      fail(f, `protocol: ${(error as Error).message}`);
    }
    f.exit = await instance.exited;
    const how = f.exit.signal ?? `code ${f.exit.code}`;
    // Stopped because another shard failed (or on the signal) and gone before its end line.
    if (f.problem === undefined && !f.end)
      fail(f, `exited (${how}) before its end line${stopping ? ' after a stop' : ''}`);
    else if (f.problem === undefined && f.exit.code !== 0) fail(f, `exited (${how}) after its end line`);
  };

  let aborted = false;
  // The last switch asked for: a shard still starting is told it once it runs.
  let lastWeights: ShardCommand | undefined;
  const control: Omit<ShardedHandle, 'done' | 'startAtEpochMs' | 'started'> = {
    setWeights: (weights, atEpochMs = Date.now() + SWITCH_LEAD_MS) => {
      lastWeights = { type: 'weights', weights, atEpochMs };
      const untold = followed.filter(
        (f) =>
          f.instance && !f.end && f.problem === undefined && !f.instance.send({ type: 'weights', weights, atEpochMs }),
      );
      if (untold.length > 0)
        throw new ShardError(
          `the ${options.executor.name} executor could not tell shards ${untold.map((f) => f.index).join(', ')} their new weights`,
          followed.map((f) => report(f)),
        );
    },
    stop: () => {
      aborted = true;
      stopAll();
    },
  };
  const watchdog = setInterval(() => {
    const now = Date.now();
    for (const f of followed) {
      if (f.end || f.problem !== undefined || !f.instance) continue;
      if (!told && !stopping) {
        // Before the start, a shard that said hello waits, silent; one that has not is late to come up.
        if (!f.ready && now - Math.max(f.lastLineAt, startAtEpochMs) > silenceMs)
          fail(f, `no hello within ${Math.round((now - f.lastLineAt) / 1000)} s of its launch: it did not come up`);
        continue;
      }
      const due = Math.max(f.lastLineAt, startAtEpochMs + (plan.warmupMs ?? 0));
      // After the plan's end, in-flight requests may take up to the timeout before the end line.
      const allowed = now > planEndMs ? plan.timeoutMs + silenceMs : silenceMs;
      if (now > deadlineMs) fail(f, `hung: no end line by the run's deadline`);
      else if (now - due > allowed) fail(f, `hung: nothing on its output for ${Math.round((now - due) / 1000)} s`);
      else if (now > killAt)
        fail(f, `did not stop within ${Math.round((plan.timeoutMs + graceMs) / 1000)} s of SIGTERM`);
    }
  }, WATCH_MS);

  const run = async (): Promise<ShardedLoadResult> => {
    try {
      const started = await Promise.allSettled(
        followed.map(async (f) => {
          const instance = await executor.start({ index: f.index, count: n, planJson });
          f.instance = instance;
          f.lastLineAt = Date.now();
          if (lastWeights && !instance.send(lastWeights)) fail(f, 'could not be told its new weights');
          // Stopped already (signal, another shard failed): this one stops too.
          if (stopping) instance.stop();
          return instance;
        }),
      );
      started.forEach((s, i) => {
        if (s.status === 'rejected') fail(followed[i] as Followed, `could not start: ${(s.reason as Error).message}`);
      });
      // Shards that start on command are still coming up: the start waits for them.
      if (onCommand || Date.now() + WARM_LEAD_MS < startAtEpochMs) warmFollowing(plan);
      await Promise.all(followed.map((f) => (f.instance ? follow(f, f.instance) : Promise.resolve())));
    } finally {
      startKnown();
      clearInterval(watchdog);
      options.signal?.removeEventListener('abort', onAbort);
      for (const f of followed) f.instance?.kill();
      await executor.close();
    }
    series.flush();
    if (callerError !== undefined) throw callerError;

    const reports = followed.map((f) => report(f));
    const failed = reports.filter((r) => r.status === 'failed');
    if (failed.length > 0) {
      // The last line the shard wrote on stderr is usually why it went.
      const lastWords = (r: ShardReport): string => {
        const last = r.stderr?.trim().split('\n').at(-1)?.slice(0, 300);
        return last ? ` (its stderr: ${last})` : '';
      };
      const lines = failed.map((r) => `shard ${r.index} (${r.id}): ${r.problem}${lastWords(r)}`);
      throw new ShardError(`${failed.length} of ${n} shards failed:\n  - ${lines.join('\n  - ')}`, reports);
    }
    for (const point of series.generatorPoints()) {
      const reasons = shardLimitedAt.get(Math.round(point.startMs / 1000));
      if (!reasons) continue;
      point.limited = true;
      point.reasons.push(...reasons);
    }
    const ends = followed.map((f) => f.end as EndLine);
    return assemble(plan, startedAt, aborted || options.signal?.aborted === true, ends, series, reports, executor.name);
  };
  return {
    ...control,
    get startAtEpochMs() {
      return startAtEpochMs;
    },
    started,
    done: run(),
  };
}

/** A shard's report from what was read of it. */
function report(f: Followed): ShardReport {
  const end = f.end;
  const arms = (end?.arms ?? []).map((a) => a.counters);
  const status = f.problem !== undefined ? 'failed' : end?.stopped ? 'stopped' : 'ok';
  return {
    index: f.index,
    id: f.instance?.id ?? '(not started)',
    status,
    ...(f.problem === undefined ? {} : { problem: f.problem }),
    ...(f.exit ? { exit: f.exit } : {}),
    ...(f.problem !== undefined && f.instance ? { stderr: f.instance.stderrTail() } : {}),
    intervals: f.nextInterval,
    requests: arms.reduce((s, c) => s + c.requests, 0),
    sent: arms.reduce((s, c) => s + c.sent, 0),
    errors: arms.reduce((s, c) => s + c.errors, 0),
    completedPerSec: end?.completedPerSec ?? 0,
    cpuPercent: end?.cpuPercent ?? 0,
    eventLoopDelayP99Ms: end?.eventLoopDelayP99Ms ?? 0,
    startLagMs: end?.startLagMs ?? 0,
    limited: end?.limited ?? false,
    reasons: (end?.reasons ?? []).map((r) => r.text),
    limitedIntervals: f.limitedIntervals,
    signals: end?.signals ?? emptyGeneratorSample(),
  };
}

/** The merged LoadResult of every shard's end line. */
function assemble(
  plan: LoadPlan,
  startedAt: string,
  aborted: boolean,
  ends: EndLine[],
  series: IntervalSeries,
  shards: ShardReport[],
  executor: string,
): ShardedLoadResult {
  const arms = mergeByArm(ends.flatMap((e) => e.arms.map(armFromWire)));
  const total = mergeArms(arms, 'total', arms.length === 1 ? (arms[0]?.url ?? '') : '');
  const signals = emptyGeneratorSample();
  for (const e of ends) addGeneratorSample(signals, e.signals, true);
  const sendWindowMs = Math.max(0, ...ends.map((e) => e.sendWindowMs));
  const limitedShards = shards.filter((s) => s.limited);
  const generator: LoadGenerator = {
    eventLoopDelayP99Ms: Math.max(0, ...ends.map((e) => e.eventLoopDelayP99Ms)),
    eventLoopDelayMaxMs: Math.max(0, ...ends.map((e) => e.signals.loopDelayMaxMs)),
    cpuPercent: Math.max(0, ...ends.map((e) => e.cpuPercent)),
    issuedBehind: ends.reduce((s, e) => s + e.signals.issuedBehind, 0),
    workers: plan.workers * ends.length,
    // One shard whose own generator was the limit makes the merged latency partly the generator's.
    limited: limitedShards.length > 0,
    reasons: ends.flatMap((e) => e.reasons.map((r) => ({ code: r.code, text: `shard ${e.shard}: ${r.text}` }))),
    // Past startLagLimitMs a late start is the shard's own reason (start-lag), not a warning.
    warnings: shards
      .filter((s) => s.startLagMs > START_LAG_LIMIT_MS && s.startLagMs <= startLagLimitMs(plan.durationMs))
      .map((s) => `shard ${s.index} started its schedule ${Math.round(s.startLagMs)} ms late`),
    signals,
    limitedIntervals: series.generatorPoints().filter((p) => p.limited).length,
  };
  const model = ends[0]?.model ?? (plan.ratePerSec === undefined ? 'closed' : 'open');
  const scheduled = ends.every((e) => e.scheduled === undefined)
    ? undefined
    : ends.reduce((s, e) => s + (e.scheduled ?? 0), 0);
  return {
    model,
    coCorrected: model === 'open',
    startedAt,
    plan,
    aborted,
    scheduled,
    sendWindowMs,
    elapsedMs: Math.max(0, ...ends.map((e) => e.elapsedMs)),
    arms,
    total,
    intervals: series.points(),
    generatorIntervals: series.generatorPoints(),
    throughput: {
      targetPerSec: plan.ratePerSec,
      // Each shard's rate is over the same planned window: they add.
      completedPerSec: ends.reduce((s, e) => s + e.completedPerSec, 0),
      sentPerSec: sendWindowMs > 0 ? (total.counters.sent / sendWindowMs) * 1000 : 0,
      windowMs: Math.max(0, ...ends.map((e) => e.windowMs)),
    },
    generator,
    executor,
    shards,
  };
}
