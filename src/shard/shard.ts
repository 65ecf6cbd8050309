/**
 * One shard: runs its slice of a plan on the load engine and prints the protocol on stdout — a
 * hello, one line per measured second, a last interval line for what finished after the last
 * second, and an end line with its totals. Interval lines carry differences of cumulative
 * measurements (read since one mark taken at the start), so they add up exactly to the totals
 * whatever the worker threads' timing; the coordinator checks that they do.
 */
import type { Readable } from 'node:stream';
import { type LoadMark, type LoadProgress, startLoad } from '../load/engine.js';
import type { GeneratorLimitReason } from '../load/generator-limit.js';
import { emptyGeneratorSample } from '../load/generator-meter.js';
import { armToWire, subtractArms } from '../load/merge.js';
import type { LoadPlan } from '../load/plan.js';
import { type ArmMeasurements, ArmRecorder } from '../load/recorder.js';
import { endpointName } from '../load/target-pool.js';
import { boundedLines } from './lines.js';
import {
  formatShardLine,
  parseShardCommand,
  SHARD_LIMITS,
  SHARD_PROTOCOL_VERSION,
  type ShardCommand,
  type ShardLine,
} from './protocol.js';
import { type ShardPlanFile, shardSlice } from './split.js';

/** Longest a shard waits for its start time, ms: a start further away is a mistake, not a plan. */
export const MAX_START_WAIT_MS = 10 * 60_000;

/**
 * A shard whose schedule starts later than this after the shards' common start (ms, or 5 % of its
 * measured duration when that is longer: startLagLimitMs) is generator-limited ('start-lag'):
 * every send it makes is that far behind the common schedule, so the shards never offered the
 * planned rate together over the first and last stretch of the load. A capacity step of 600 ms
 * once passed 120/s against a service of 100/s that way (the service saw the two shards' halves
 * mostly one after the other). Below it, a start past 100 ms is a warning (coordinator.ts).
 */
export const START_LAG_LIMIT_MS = 100;

/** The start lag past which a shard of a load lasting `durationMs` is generator-limited. */
export function startLagLimitMs(durationMs: number): number {
  return Math.max(START_LAG_LIMIT_MS, 0.05 * durationMs);
}

/**
 * Less time than this before the common start, a shard skips warming its reporting path: the
 * warm-up runs at once, and on a busy machine its cost would make a shard on time start late.
 */
const WARM_MIN_LEAD_MS = 500;

/** Longest command line a shard reads, bytes: commands are short; a longer line is a broken coordinator. */
const MAX_COMMAND_LINE_BYTES = 64 * 1024;
/** Weight switches one interval line reports, and commands kept before the load begins. */
const MAX_REPORTED_SWITCHES = SHARD_LIMITS.maxSwitchesPerLine;

/** Options of a shard run. */
export interface ShardRunOptions {
  /** This shard's index, 0 … shards − 1. */
  index: number;
  /** The plan file every shard of the run reads. */
  file: ShardPlanFile;
  /** Writes one protocol line (stdout). */
  write: (text: string) => void;
  /** Stops issuing at once: requests in flight are discarded (a second SIGTERM). */
  abort?: AbortSignal;
  /** Stops issuing; requests in flight finish and are measured (SIGTERM, stdin EOF, a stop command). */
  stop?: AbortSignal;
  /** A note for people (stderr): a command that was refused. */
  warn?: (message: string) => void;
  /** Wall clock, ms since the epoch (tests move it). */
  now?: () => number;
}

/** A shard that runs: feed it commands, await its end. */
export interface ShardRun {
  /** Resolves once the end line is written. */
  done: Promise<void>;
  /** Apply a command from the coordinator. */
  command(command: ShardCommand): void;
}

/** Wait `ms`, cut short by either signal. */
function wait(ms: number, signals: (AbortSignal | undefined)[]): Promise<void> {
  return new Promise((resolve) => {
    const live = signals.filter((s): s is AbortSignal => s !== undefined);
    if (ms <= 0 || live.some((s) => s.aborted)) return resolve();
    const finish = (): void => {
      clearTimeout(timer);
      for (const s of live) s.removeEventListener('abort', finish);
      resolve();
    };
    const timer = setTimeout(finish, ms);
    for (const s of live) s.addEventListener('abort', finish, { once: true });
  });
}

/** By arm name: measurements of the same arms in another list. */
function byArm(arms: readonly ArmMeasurements[]): Map<string, ArmMeasurements> {
  return new Map(arms.map((a) => [a.arm, a]));
}

/** `later` minus `earlier`, arm by arm (an arm absent from `earlier` is new in full). */
function difference(later: readonly ArmMeasurements[], earlier: readonly ArmMeasurements[]): ArmMeasurements[] {
  const before = byArm(earlier);
  return later.map((arm) => {
    const prior = before.get(arm.arm);
    return prior ? subtractArms(arm, prior) : arm;
  });
}

/** Rounds of the reporting path run before the start (enough for V8 to compile its loops). */
const WARM_ROUNDS = 8;

/**
 * Run the once-a-second reporting path (cumulative read, difference, encode, format) on
 * throw-away recorders shaped like the plan's, while the shard waits for its start. Cold, its
 * first pass froze the sending thread about 40 ms at the end of the first measured second (more
 * with every shard of a run doing it at the same moment on a busy machine): requests came due
 * meanwhile, and a short step's p99 showed the freeze (docs/benchmarks.md, "Shards"). Returns
 * the last interval line it formatted.
 */
export function warmReporting(plan: LoadPlan): string {
  const names = plan.mix.map(endpointName);
  const closed = plan.ratePerSec === undefined;
  const recorders = plan.targets.map((t) => new ArmRecorder(t.arm, t.url, names, closed, plan.tracing?.slowest ?? 0));
  const record = (round: number): void => {
    for (const recorder of recorders)
      for (let i = 0; i < 200; i++) {
        // Latencies from 50 µs to seconds, so the loops run over the buckets real ones fill.
        const ms = 0.05 * 1.06 ** ((i + round * 7) % 200);
        recorder.recordSend(0);
        recorder.recordResponse(i % names.length, 200, ms, ms / 2, undefined);
      }
  };
  const origin = recorders.map((r) => r.snapshot());
  let previous: ArmMeasurements[] = [];
  let line = '';
  for (let round = 0; round < WARM_ROUNDS; round++) {
    record(round);
    const window = recorders.map((r, i) => subtractArms(r.measurements(), origin[i] as ArmMeasurements));
    line = formatShardLine({
      v: SHARD_PROTOCOL_VERSION,
      shard: 0,
      type: 'interval',
      index: round,
      arms: difference(window, previous).map(armToWire),
      generator: { ...emptyGeneratorSample(), startMs: 0, limited: false, reasons: [] },
    });
    previous = window;
  }
  // The last line, for a coordinator to warm its own reading path on.
  return line;
}

/** Run shard `index` of the plan file; the protocol goes to `write`. */
export function runShard(options: ShardRunOptions): ShardRun {
  const { index, file, write } = options;
  const now = options.now ?? Date.now;
  const slice = shardSlice(file.plan, index, file.shards);
  const emit = (line: ShardLine): void => write(formatShardLine(line));
  const head = { v: SHARD_PROTOCOL_VERSION, shard: index } as const;
  const startAtEpochMs = file.startAtEpochMs ?? now();
  const onCommand = file.startOnCommand === true;
  // Warmed before the hello: the coordinator starts shards that wait for its command once all are ready.
  if (onCommand) warmReporting(slice.plan);
  const rate = slice.plan.ratePerSec;
  const scheduled =
    rate === undefined ? undefined : Math.floor((rate * ((slice.plan.warmupMs ?? 0) + slice.plan.durationMs)) / 1000);
  emit({
    ...head,
    type: 'hello',
    shards: file.shards,
    pid: process.pid,
    startAtEpochMs,
    ...(scheduled === undefined ? {} : { scheduled }),
  });

  let handle: ReturnType<typeof startLoad> | undefined;
  // Weights asked for before the load began, given to it in order when it does.
  const pendingWeights: { weights: Record<string, number>; atEpochMs?: number }[] = [];
  // The switches given to the load since the last interval line, reported on the next one.
  let switched: { atEpochMs: number; lateMs: number }[] = [];
  // Set while a shard that starts on command waits for it.
  let startGiven: ((atEpochMs: number) => void) | undefined;
  const startCommand = new Promise<number>((resolve) => {
    if (onCommand) startGiven = resolve;
  });
  const command = (c: ShardCommand): void => {
    if (c.type === 'stop') {
      stopper.abort();
      return;
    }
    if (c.type === 'start') {
      if (startGiven) startGiven(c.atEpochMs);
      else options.warn?.("start refused: this shard starts at the plan file's time, or was told its start already");
      startGiven = undefined;
      return;
    }
    // Given to the load at once with its time: the open model switches from the request meant for
    // that time on, however late its event loop runs. A command that came after its time leaves
    // the requests since then on the earlier weights, and says how late it came.
    const inMs = (c.atEpochMs ?? 0) - now();
    if (inMs > MAX_START_WAIT_MS) throw new RangeError(`weights: a switch ${Math.round(inMs / 1000)} s away`);
    if (!handle) {
      if (pendingWeights.length >= MAX_REPORTED_SWITCHES) pendingWeights.shift();
      pendingWeights.push(c);
      return;
    }
    applyWeights(c.weights, c.atEpochMs, Math.max(0, Math.round(-inMs)));
  };
  /** New weights for the running load; a timed switch is reported on the next interval line. */
  const applyWeights = (weights: Record<string, number>, atEpochMs: number | undefined, lateMs: number): void => {
    try {
      handle?.setWeights(weights, atEpochMs);
      if (atEpochMs === undefined) return;
      if (switched.length >= MAX_REPORTED_SWITCHES) switched.shift();
      switched.push({ atEpochMs, lateMs });
    } catch (error) {
      options.warn?.(`weights refused: ${(error as Error).message}`);
    }
  };
  const stopper = new AbortController();
  options.stop?.addEventListener('abort', () => stopper.abort(), { once: true });

  /** The common start: the plan file's, or the start command's (undefined: stopped before it came). */
  const commonStart = async (): Promise<number | undefined> => {
    if (!onCommand) return startAtEpochMs;
    // Ends the wait's timer once the command came.
    const came = new AbortController();
    const at = await Promise.race([
      startCommand,
      wait(MAX_START_WAIT_MS, [stopper.signal, options.abort, came.signal]).then(() => undefined),
    ]).finally(() => came.abort());
    if (at !== undefined || stopper.signal.aborted || options.abort?.aborted) return at;
    throw new RangeError(`no start command came within ${MAX_START_WAIT_MS / 1000} s of the hello`);
  };

  const run = async (): Promise<void> => {
    const startAt = await commonStart();
    const startsAtMs = (startAt ?? now()) + slice.phaseOffsetMs;
    const waitMs = startsAtMs - now();
    if (waitMs > MAX_START_WAIT_MS)
      throw new RangeError(
        `start time is ${Math.round(waitMs / 1000)} s away; expected at most ${MAX_START_WAIT_MS / 1000} s`,
      );
    // Paid while waiting, not in the first measured second; a shard already late skips it.
    if (!onCommand && waitMs > WARM_MIN_LEAD_MS) warmReporting(slice.plan);
    await wait(startsAtMs - now(), [stopper.signal, options.abort]);
    const startLagMs = Math.max(0, now() - startsAtMs);
    if (startAt === undefined || stopper.signal.aborted || options.abort?.aborted) {
      emit({ ...head, type: 'end', ...emptyEnd(slice.plan.ratePerSec === undefined ? 'closed' : 'open'), startLagMs });
      return;
    }
    // Each second's line is the cumulative measurements now minus those of the previous line.
    let previous: ArmMeasurements[] = [];
    let intervals = 0;
    let chain = Promise.resolve();
    let origin: LoadMark | undefined;
    const onProgress = (progress: LoadProgress): void => {
      if (!handle || !origin) return;
      // Asked now (the request reaches the recorders in order); written in order.
      const reading = handle.measurementsSince(origin).catch(() => undefined);
      const generator = progress.generator ?? { ...emptyGeneratorSample(), startMs: 0, limited: false, reasons: [] };
      // Taken now, so a switch is reported no later than the line of the second it took effect in.
      const report = switched;
      switched = [];
      chain = chain.then(async () => {
        const window = await reading;
        if (!window) {
          switched = [...report, ...switched]; // the load ended meanwhile: the last line carries them
          return;
        }
        emit({
          ...head,
          type: 'interval',
          index: intervals++,
          arms: difference(window.arms, previous).map(armToWire),
          generator,
          ...(report.length > 0 ? { switched: report } : {}),
        });
        previous = window.arms;
      });
    };
    const load = startLoad(slice.plan, options.abort ? { signal: options.abort, onProgress } : { onProgress });
    handle = load;
    origin = load.mark();
    // Before the first send: on time, however late the commands came.
    for (const c of pendingWeights.splice(0)) applyWeights(c.weights, c.atEpochMs, 0);
    const onStop = (): void => void load.stop();
    if (stopper.signal.aborted) onStop();
    else stopper.signal.addEventListener('abort', onStop, { once: true });
    const result = await load.done;
    stopper.signal.removeEventListener('abort', onStop);
    const late = lateStart(startLagMs, slice.plan.durationMs);
    await chain;
    // What finished after the last whole second (in-flight requests at the end).
    emit({
      ...head,
      type: 'interval',
      index: intervals,
      arms: difference(result.arms, previous).map(armToWire),
      generator: { ...emptyGeneratorSample(), startMs: intervals++ * 1000, limited: false, reasons: [] },
      ...(switched.length > 0 ? { switched: switched.slice(-MAX_REPORTED_SWITCHES) } : {}),
    });
    emit({
      ...head,
      type: 'end',
      intervals,
      stopped: result.aborted || stopper.signal.aborted,
      model: result.model,
      ...(result.scheduled === undefined ? {} : { scheduled: result.scheduled }),
      sendWindowMs: result.sendWindowMs,
      elapsedMs: result.elapsedMs,
      completedPerSec: result.throughput.completedPerSec,
      windowMs: result.throughput.windowMs,
      arms: result.arms.map(armToWire),
      signals: result.generator.signals,
      limited: result.generator.limited || late !== undefined,
      reasons: [...(late ? [late] : []), ...result.generator.reasons].slice(0, 8),
      eventLoopDelayP99Ms: result.generator.eventLoopDelayP99Ms,
      cpuPercent: result.generator.cpuPercent,
      startLagMs,
    });
  };
  const done = run();
  return { done, command };
}

/** The reason a schedule started past startLagLimitMs gives; undefined for a start in time. */
export function lateStart(startLagMs: number, durationMs: number): GeneratorLimitReason | undefined {
  if (startLagMs <= startLagLimitMs(durationMs)) return undefined;
  const lag = Math.round(startLagMs);
  return {
    code: 'start-lag',
    text: `the shard started its schedule ${lag} ms after the shards' common start: every send was that far behind the common schedule, so the shards did not offer the planned rate together for the first and last ${lag} ms`,
  };
}

/** The end line of a shard stopped before its start time: nothing sent. */
function emptyEnd(model: 'open' | 'closed') {
  return {
    intervals: 0,
    stopped: true,
    model,
    sendWindowMs: 0,
    elapsedMs: 0,
    completedPerSec: 0,
    windowMs: 0,
    arms: [],
    signals: emptyGeneratorSample(),
    limited: false,
    reasons: [],
    eventLoopDelayP99Ms: 0,
    cpuPercent: 0,
  };
}

/**
 * Feed each line of `stream` (the coordinator's commands) to `command`, then stop the shard: the
 * stream's end means the coordinator went away. A bad command or a stream error is a warning.
 */
export async function followCommands(
  stream: Readable,
  command: (c: ShardCommand) => void,
  stop: AbortController,
  warn: (message: string) => void,
): Promise<void> {
  try {
    for await (const line of boundedLines(stream, MAX_COMMAND_LINE_BYTES)) {
      if (line.trim() === '') continue;
      try {
        command(parseShardCommand(line));
      } catch (error) {
        warn(`ignored a command: ${(error as Error).message}`);
      }
    }
  } catch (error) {
    warn(`stdin: ${(error as Error).message}`);
  }
  stop.abort();
}
