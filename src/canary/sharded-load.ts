/**
 * A rollout's load from N shards: the coordinator's merged seconds read through the same handle
 * the in-process engine gives the rollout (mark, measurements since a mark, per-second series,
 * new weights), so `run --shards` changes what sends the load and nothing the judge reads.
 *
 * The shards measure in whole seconds: a mark starts at the next whole second (a weight switch is
 * made on one, the same moment in every shard), and a look waits for the second in progress to be
 * reported by every shard, so a step holds the seconds it spanned, each with every shard's share.
 * A shard that dies or goes silent fails the coordinator (ShardError naming it): every look after
 * that throws it, so the rollout ends aborted, never judged on a partial load.
 */
import { performance } from 'node:perf_hooks';
import type { LoadMark, LoadProgress, LoadWindow } from '../load/engine.js';
import { generatorLimitOver } from '../load/generator-limit.js';
import { addGeneratorSample, emptyGeneratorSample } from '../load/generator-meter.js';
import type { GeneratorIntervalPoint, IntervalPoint } from '../load/interval-series.js';
import { armFromWire, mergeArms, mergeByArm } from '../load/merge.js';
import type { LoadPlan } from '../load/plan.js';
import type { ArmMeasurements } from '../load/recorder.js';
import { type ShardedRunOptions, startSharded } from '../shard/coordinator.js';
import type { LoadStarter, RolloutLoadHandle } from './rollout-load.js';

/** Seconds kept per arm in the series and the per-second measurements (a day at 1 s). */
const MAX_SECONDS = 86_400;
/** A weight switch is sent at least this long before it happens, ms (the coordinator's lead). */
const SWITCH_LEAD_MS = 250;
/** How long a look waits for the second in progress beyond its end, ms (a silent shard fails sooner). */
const LOOK_WAIT_MS = 3000;
/** Weight switches whose shards' reports are kept (a rollout's steps are far fewer). */
const MAX_SWITCHES = 1000;

/** How the shards of a rollout run. */
export type ShardedLoadOptions = Pick<ShardedRunOptions, 'shards' | 'executor' | 'startDelayMs' | 'silenceMs'>;

/** What a mark knows: where its first whole second is, and how long before it the mark was taken. */
interface MarkInfo {
  firstSecond: number;
  /** Time from the mark to the start of measuring, ms, when taken during the warm-up (else 0). */
  warmLeadMs: number;
  /** The latest weight switch asked for before the mark. */
  switch?: SwitchInfo;
}

/** A weight switch as told to the shards: its time (monotonic and wall clock) and the index of the second it begins. */
interface SwitchInfo {
  atMs: number;
  epochMs: number;
  second: number;
}

/** A LoadStarter whose load runs as `options.shards` shards through `options.executor`. */
export function shardedLoad(options: ShardedLoadOptions): LoadStarter {
  return (plan, run) => startShardedLoad(plan, options, run);
}

function startShardedLoad(
  plan: LoadPlan,
  options: ShardedLoadOptions,
  run: { signal?: AbortSignal; onProgress?: (progress: LoadProgress) => void },
): RolloutLoadHandle {
  const n = options.shards;
  // Per second: the arms every shard reported so far, and how many shards did.
  const pending = new Map<
    number,
    { reported: number; arms: ArmMeasurements[]; limited: GeneratorIntervalPoint['reasons'] }
  >();
  const seconds = new Map<number, ArmMeasurements[]>();
  const generator = new Map<number, GeneratorIntervalPoint>();
  const points: Record<string, IntervalPoint[]> = {};
  let complete = -1;
  const waiters = new Set<() => void>();
  const marks = new Map<number, MarkInfo>();
  let nextMark = 0;
  let lastSwitch: SwitchInfo | undefined;
  // Per switch (by its time), how late its command came to each shard, ms.
  const switches = new Map<number, Map<number, number>>();
  let current: Record<string, number> = Object.fromEntries(plan.targets.map((t) => [t.arm, t.weight]));

  const handle = startSharded(plan, {
    ...options,
    ...(run.signal ? { signal: run.signal } : {}),
    onProgress: (progress) => {
      for (const [arm, point] of Object.entries(progress.arms)) {
        const list = points[arm] ?? [];
        points[arm] = list;
        if (list.length < MAX_SECONDS) list.push(point);
      }
      if (progress.generator && generator.size < MAX_SECONDS)
        generator.set(progress.elapsedSec - 1, progress.generator);
      run.onProgress?.(progress);
    },
    onLine: (line) => {
      if (line.type !== 'interval') return;
      for (const s of line.switched ?? []) {
        const lags = switches.get(s.atEpochMs) ?? new Map<number, number>();
        switches.set(s.atEpochMs, lags);
        lags.set(line.shard, s.lateMs);
        if (switches.size > MAX_SWITCHES) switches.delete(switches.keys().next().value as number);
      }
      const at = pending.get(line.index) ?? { reported: 0, arms: [], limited: [] };
      pending.set(line.index, at);
      at.reported++;
      at.arms.push(...line.arms.map(armFromWire));
      if (line.generator.limited)
        at.limited.push(
          ...line.generator.reasons.map((r) => ({ code: r.code, text: `shard ${line.shard}: ${r.text}` })),
        );
      // Every shard has reported its seconds in order: they complete in order too.
      while (pending.get(complete + 1)?.reported === n) {
        const done = pending.get(complete + 1) as NonNullable<ReturnType<typeof pending.get>>;
        pending.delete(complete + 1);
        complete++;
        if (seconds.size < MAX_SECONDS) seconds.set(complete, mergeByArm(done.arms));
        // One shard whose own generator was the limit makes the merged second partly the generator's.
        const point = generator.get(complete);
        if (point && done.limited.length > 0) {
          point.limited = true;
          point.reasons.push(...done.limited);
        }
      }
      for (const wake of [...waiters]) wake();
    },
  });
  // The shards measure from the common start plus the warm-up, on the wall clock. Shards that start
  // on command are told it once all are up: until then, the start asked for.
  const wallToMonotonic = performance.now() - Date.now();
  const measuredFrom = (): number => handle.startAtEpochMs + (plan.warmupMs ?? 0) + wallToMonotonic;
  const secondOf = (atMs: number): number => Math.floor((atMs - measuredFrom()) / 1000);
  let failure: unknown;
  let ended = false;
  const done = handle.done.then(
    (result) => {
      ended = true;
      for (const wake of [...waiters]) wake();
      return result;
    },
    (error: unknown) => {
      ended = true;
      failure = error;
      for (const wake of [...waiters]) wake();
      throw error;
    },
  );
  // Read by whoever awaits it; unobserved here so an unread failure is not an unhandled rejection.
  done.catch(() => {});

  /** Resolves once every shard has reported second `index`, the load has ended, or `deadline` passed. */
  const reported = async (index: number, deadlineMs: number): Promise<void> => {
    while (complete < index && !ended && performance.now() < deadlineMs) {
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.max(0, deadlineMs - performance.now()));
        waiters.add(wake);
      });
    }
  };

  /**
   * The mark's first second that may decide: past every second in which a shard still sent by the
   * weights before the mark's switch, one whose command came late (or, for a shard that has not
   * reported the switch by the last second every shard reported, none); with why, when it moved.
   */
  const firstClean = (info: MarkInfo): { first: number; why?: string } => {
    const at = info.switch;
    let first = info.firstSecond;
    let why: string | undefined;
    if (!at) return { first };
    const lags = switches.get(at.epochMs);
    for (let shard = 0; shard < n; shard++) {
      const lateMs = lags?.get(shard);
      if (lateMs === undefined) {
        // Every second so far, and any that closes before the look reads its windows.
        return {
          first: Number.POSITIVE_INFINITY,
          why: `shard ${shard} has not reported the step's weights yet (a command still on its way, or refused: see its stderr)`,
        };
      }
      // Requests sent by the earlier weights until the command came may finish up to a timeout later.
      const after = at.second + Math.floor((lateMs + plan.timeoutMs) / 1000) + 1;
      if (lateMs > 0 && after > first) {
        first = after;
        why = `shard ${shard}'s weight command came ${lateMs} ms after the switch's time: its requests until then went by the earlier weights`;
      }
    }
    return why === undefined ? { first } : { first, why };
  };

  const prune = (): void => {
    const oldest = Math.min(complete + 1, ...[...marks.values()].map((m) => m.firstSecond));
    for (const index of seconds.keys()) if (index < oldest) seconds.delete(index);
  };

  return {
    done,
    get measuredFromMs() {
      return measuredFrom();
    },
    started: handle.started,
    setWeights: (weights) => {
      const next = { ...current, ...weights };
      if (Object.keys(next).every((arm) => next[arm] === current[arm])) return;
      current = next;
      // On a whole second, the same in every shard, so each second holds one weight.
      const now = performance.now();
      const measuredFromMs = measuredFrom();
      const earliest = Math.max(now + SWITCH_LEAD_MS, measuredFromMs);
      const second = Math.ceil((earliest - measuredFromMs) / 1000);
      const atMs = measuredFromMs + second * 1000;
      // On the same wall-to-monotonic mapping as the shards' seconds (a clock slewed since does not move it).
      lastSwitch = { atMs, epochMs: Math.round(atMs - wallToMonotonic), second };
      handle.setWeights(weights, lastSwitch.epochMs);
    },
    mark: (): LoadMark => {
      const now = performance.now();
      const from = Math.max(now, lastSwitch?.atMs ?? Number.NEGATIVE_INFINITY);
      const measuredFromMs = measuredFrom();
      const warm = from < measuredFromMs;
      // The first whole second at or after the mark (or the switch it waits for).
      // A mark that waits for the switch starts at the switch's second (ceil of a float sum could pass it).
      const firstSecond = warm
        ? 0
        : lastSwitch && from === lastSwitch.atMs
          ? lastSwitch.second
          : Math.ceil((from - measuredFromMs) / 1000);
      const mark = { id: nextMark++, atMs: from - measuredFromMs, intervalIndex: Math.max(0, firstSecond - 1) };
      marks.set(mark.id, {
        firstSecond,
        warmLeadMs: warm ? measuredFromMs - now : 0,
        ...(lastSwitch ? { switch: lastSwitch } : {}),
      });
      return mark;
    },
    measurementsSince: async (mark): Promise<LoadWindow> => {
      const info = marks.get(mark.id);
      if (!info) throw new RangeError(`mark ${mark.id} was forgotten`);
      // Everything up to the end of the second in progress now, from every shard.
      await reported(secondOf(performance.now()), performance.now() + 1000 + LOOK_WAIT_MS);
      if (failure !== undefined) throw failure;
      const { first, why } = firstClean(info);
      const parts: ArmMeasurements[] = [];
      const since: GeneratorIntervalPoint[] = [];
      for (let index = info.firstSecond; index <= complete; index++) {
        parts.push(...(seconds.get(index) ?? []));
        const point = generator.get(index);
        if (point) since.push(point);
      }
      const arms = mergeByArm(parts);
      const signals = emptyGeneratorSample();
      for (const point of since) addGeneratorSample(signals, point, false);
      return {
        arms,
        total: mergeArms(arms, 'total', arms.length === 1 ? (arms[0]?.url ?? '') : ''),
        // The whole seconds read, plus the warm-up the caller counts off a mark taken in it.
        durationMs: Math.max(0, complete + 1 - info.firstSecond) * 1000 + info.warmLeadMs,
        generator: signals,
        generatorLimit: generatorLimitOver(signals, since),
        generatorIntervals: since,
        ...(why === undefined ? {} : { heldFrom: { second: first, why } }),
      };
    },
    forget: (mark) => {
      marks.delete(mark.id);
      prune();
    },
    intervals: () => ({
      arms: Object.fromEntries(Object.entries(points).map(([arm, list]) => [arm, [...list]])),
      generator: [...generator.values()],
    }),
    stop: () => {
      handle.stop();
      return done;
    },
  };
}
