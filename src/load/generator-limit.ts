/**
 * Whether intended-time latency was made by the generator's own queue rather than by the
 * service. Pure; one rule for `load`, `run`, `capacity` and `regress`, per 1-second interval and
 * per run. The open model counts latency from the intended send, so a generator that falls behind
 * inflates latency exactly as a slow service would; without this rule a weak generator would be
 * reported as a weak service (and a healthy canary rolled back, a capacity under-stated).
 *
 * Three ways the queue is the generator's:
 * - schedule lag: requests issued more than LATE_AFTER_MS behind their intended time before any
 *   wait for a connection — the generator's event loop or CPU could not keep the schedule;
 * - its own backlog while busy: sends waited for a free connection while the generator's CPU or
 *   event loop was loaded and the service answered quickly once a request reached it — a
 *   generator too slow to read responses holds its connections longer (measured: nginx offered
 *   100 000/s got 46 000/s from one thread at 80 % CPU, with no schedule lag at all);
 * - the connection cap: every connection was busy, the cap is below what the rate needs at the
 *   service time observed (Little's law: rate × mean service time), and the wait for a
 *   connection made more of the latency than the service did. Named first whenever it binds,
 *   beside any lag: it is arithmetic, and its remedy comes before more threads.
 * Late sends with an idle generator and connections to spare, drops and a falling throughput
 * point at the service. When the caller knows what a healthy service time is (capacity: the
 * SLO's latency terms; a canary: the baseline arm), it says so and the rule uses it instead of
 * comparing wait with service time.
 *
 * Never the generator's: connections the service refused or reset. A window where more than the
 * tail failed that way is evidence about the service whatever the generator's queue did (a canary
 * dropping every connection costs the generator a reconnect a request and slows it; calling that
 * window the generator's left the canary's failures unjudged).
 *
 * A run (or a step) is judged as a whole and by its seconds: the whole-window figures average a
 * bad stretch away (30 000/s with two thirds of the requests late, 39 of 90 seconds flagged, read
 * CPU 71 % over the run, under the bar), so a run whose flagged seconds sent more of its requests
 * late than the tail it reports (p99: the worst 1 %) is generator-limited too, naming the seconds.
 */
import type { GeneratorSample } from './generator-meter.js';

/** Why a window was generator-limited; start-lag: a shard's schedule began late against the shards' common start (shard/shard.ts). */
export type GeneratorLimitCode = 'schedule-lag' | 'busy-backlog' | 'connection-cap' | 'start-lag';

/** One reason, with a stable code and a sentence in numbers. */
export interface GeneratorLimitReason {
  code: GeneratorLimitCode;
  text: string;
}

/** The verdict on one window. */
export interface GeneratorLimit {
  /** True when the generator's own queue made the intended-time latency: the window is no evidence about the service. */
  limited: boolean;
  /** Why, when limited. */
  reasons: GeneratorLimitReason[];
  /** Caveats that do not make the window generator-limited. */
  warnings: string[];
}

/** What the rule reads: a generator sample (an interval, a run, or a window since a mark). */
export type GeneratorWindow = Pick<
  GeneratorSample,
  | 'due'
  | 'sent'
  | 'issuedBehind'
  | 'late'
  | 'waitMsSum'
  | 'responses'
  | 'peerFailures'
  | 'serviceMsSum'
  | 'busyMax'
  | 'connections'
  | 'loopDelayP99Ms'
  | 'cpuPercent'
  | 'durationMs'
  | 'threads'
>;

/** What the caller may add. */
export interface GeneratorLimitContext {
  /**
   * Whether the service time (from the actual send) alone met what the caller expects, e.g. the
   * SLO's latency terms; undefined when there is no reference (then mean wait is compared with
   * mean service time).
   */
  serviceTimeHealthy?: boolean;
}

/** More than this fraction of due requests issued behind schedule: the generator could not keep it. */
export const MAX_BEHIND_FRACTION = 0.01;
/**
 * ... and at least this many: one 15 ms pause (a GC, a busy neighbour on the machine) puts a few
 * requests behind, which at a low rate and a short window is already 1 %, yet says nothing about
 * whether the generator can keep up.
 */
export const MIN_BEHIND_COUNT = 20;
/** More than this fraction of sends late (for any reason) is a queue worth explaining. */
export const MAX_LATE_FRACTION = 0.01;
/** Generator CPU per thread above this (% of a core) is busy: near its ceiling. */
export const BUSY_CPU_PERCENT = 75;
/** A generator event-loop delay p99 above this (ms) is busy: a send this late counts as late. */
export const BUSY_LOOP_DELAY_MS = 10;
/**
 * The share of a window's requests its reported tail rests on (p99: the worst 1 %): generator-made
 * delay in more than this could be the tail; service failures in more than this are the tail.
 */
export const TAIL_FRACTION = 0.01;
/** The cap binds when rate × mean service time reaches this share of the connections. */
export const CAP_BINDING_SHARE = 0.9;

const pct = (fraction: number): string => `${Number((fraction * 100).toFixed(1))}%`;
const fixed = (value: number): string => `${Number(value.toFixed(1))}`;

/** Judge one window. */
export function generatorLimit(w: GeneratorWindow, context: GeneratorLimitContext = {}): GeneratorLimit {
  const reasons: GeneratorLimitReason[] = [];
  const warnings: string[] = [];
  const due = Math.max(1, w.due);
  const threads = Math.max(1, w.threads);
  const health = `event-loop delay p99 ${fixed(w.loopDelayP99Ms)} ms, CPU ${fixed(w.cpuPercent)}% of a core over ${threads} thread${threads === 1 ? '' : 's'}`;
  const late = w.late / due;
  const queued = late > MAX_LATE_FRACTION && w.late >= MIN_BEHIND_COUNT;
  const meanWaitMs = w.sent > 0 ? w.waitMsSum / w.sent : 0;
  const meanServiceMs = w.responses > 0 ? w.serviceMsSum / w.responses : 0;
  // With no response there is no service time to compare with: waiting alone blames nobody.
  const waitDominates = context.serviceTimeHealthy ?? (w.responses > 0 && meanWaitMs > meanServiceMs);
  const queue = `${pct(late)} of sends waited for a free connection (mean wait ${fixed(meanWaitMs)} ms, mean service time ${fixed(meanServiceMs)} ms)`;
  const ratePerSec = w.durationMs > 0 ? (w.due / w.durationMs) * 1000 : 0;
  const needed = (ratePerSec * meanServiceMs) / 1000;
  const capBinds = w.connections > 0 && w.busyMax >= w.connections && needed >= CAP_BINDING_SHARE * w.connections;
  // The cap is arithmetic: at this rate and service time the connections cannot carry the load
  // however idle the generator is, so it is named first whenever it binds (a busy machine adds
  // lag or CPU on top, and more threads would not help until there are more connections).
  if (queued && capBinds && waitDominates) {
    reasons.push({
      code: 'connection-cap',
      text: `${queue}: all ${w.connections} connections were busy and ${fixed(ratePerSec)}/s at that service time needs about ${Math.ceil(needed)}; the connection cap, not the service, made the wait`,
    });
  }
  const behind = w.issuedBehind / due;
  if (behind > MAX_BEHIND_FRACTION && w.issuedBehind >= MIN_BEHIND_COUNT) {
    reasons.push({
      code: 'schedule-lag',
      text: `the generator issued ${pct(behind)} of requests more than 10 ms behind schedule (${health})`,
    });
  }
  const busy = w.cpuPercent >= BUSY_CPU_PERCENT * threads || w.loopDelayP99Ms > BUSY_LOOP_DELAY_MS;
  if (reasons.length === 0 && queued && busy && waitDominates) {
    reasons.push({
      code: 'busy-backlog',
      text: `${queue} while the generator was busy (${health}): the queue was the generator's`,
    });
  }
  const peer = w.peerFailures / due;
  if (reasons.length > 0 && peer > TAIL_FRACTION && w.peerFailures >= MIN_BEHIND_COUNT) {
    const why = reasons.map((r) => r.text).join('; ');
    return {
      limited: false,
      reasons: [],
      warnings: [
        `${pct(peer)} of requests failed at the connection (refused or reset by the service): those failures are the service's, so the window is evidence about it although ${why}`,
      ],
    };
  }
  if (reasons.length === 0) {
    if (busy) warnings.push(`the generator was busy (${health}); more worker threads would give headroom`);
    if (queued) warnings.push(`${queue}`);
  }
  return { limited: reasons.length > 0, reasons, warnings };
}

/** One second of a per-second series, as the whole-run rule reads it. */
export type GeneratorSecond = GeneratorWindow & Pick<GeneratorSample, 'dropped'> & { startMs: number };

/** At most this many runs of seconds are named in a reason; the rest are counted. */
const MAX_NAMED_RANGES = 8;

/** "3, 35–53, 60" for seconds 3, 35 to 53 and 60, at most MAX_NAMED_RANGES runs of them. */
function secondsList(indices: readonly number[]): string {
  const ranges: string[] = [];
  let rest = 0;
  for (let i = 0; i < indices.length; ) {
    let j = i;
    while (j + 1 < indices.length && (indices[j + 1] as number) === (indices[j] as number) + 1) j++;
    if (ranges.length < MAX_NAMED_RANGES) ranges.push(i === j ? `${indices[i]}` : `${indices[i]}–${indices[j]}`);
    else rest += j - i + 1;
    i = j + 1;
  }
  return rest > 0 ? `${ranges.join(', ')} and ${rest} more` : ranges.join(', ');
}

/**
 * Judge a window made of whole seconds (a run, a step): the whole-window rule, and the seconds the
 * rule flags one by one. When the flagged seconds sent more than the tail of the window's requests
 * late (or dropped them), the tail the window reports could be the generator's: it is limited,
 * with one reason per kind of flagged second naming those seconds (0 is the first measured one).
 */
export function generatorLimitOver(
  window: GeneratorWindow,
  seconds: readonly GeneratorSecond[],
  context: GeneratorLimitContext = {},
): GeneratorLimit {
  const verdict = generatorLimit(window, context);
  const byCode = new Map<GeneratorLimitCode, { indices: number[]; delayed: number; text: string }>();
  let delayed = 0;
  let due = 0;
  for (const second of seconds) {
    due += second.due;
    const limit = generatorLimit(second, context);
    const reason = limit.reasons[0];
    if (!limit.limited || reason === undefined) continue;
    // Issued behind, or sent late for any reason, or never sent: the generator's part of the tail.
    const own = Math.max(second.issuedBehind, second.late + second.dropped);
    delayed += own;
    const group = byCode.get(reason.code) ?? { indices: [], delayed: 0, text: reason.text };
    group.indices.push(Math.round(second.startMs / 1000));
    group.delayed += own;
    byCode.set(reason.code, group);
  }
  if (byCode.size === 0) return verdict;
  const flagged = [...byCode.values()].reduce((n, g) => n + g.indices.length, 0);
  const share = delayed / Math.max(1, due);
  const named = [...byCode.entries()].sort((a, b) => b[1].delayed - a[1].delayed);
  if (share <= TAIL_FRACTION) {
    const list = secondsList(named.flatMap(([, g]) => g.indices).sort((a, b) => a - b));
    return {
      ...verdict,
      warnings: [
        ...verdict.warnings,
        `seconds ${list} (${flagged} of ${seconds.length}) were generator-limited but sent only ${delayed} of ${due} requests late, within the ${pct(TAIL_FRACTION)} tail`,
      ],
    };
  }
  const reasons = named.map(([code, g]) => ({
    code,
    text: `seconds ${secondsList(g.indices)} (${g.indices.length} of ${seconds.length}) were generator-limited and sent ${pct(g.delayed / Math.max(1, due))} of the measured requests late or dropped them (all flagged seconds: ${pct(share)}, more than the ${pct(TAIL_FRACTION)} tail the report rests on); in the first of them ${g.text}`,
  }));
  return { limited: true, reasons: [...verdict.reasons, ...reasons], warnings: verdict.warnings };
}

/** What to do about a generator limit, by its reasons. */
export function generatorLimitAdvice(limit: GeneratorLimit, threads: number): string | undefined {
  if (!limit.limited) return undefined;
  if (limit.reasons.some((r) => r.code === 'connection-cap'))
    return 'raise --connections (the in-flight limit) so the rate fits at this service time';
  if (limit.reasons.every((r) => r.code === 'start-lag'))
    return 'start the shards further ahead of their common start (Kubernetes: CANARY_GATE_K8S_START_DELAY) or on machines less busy, so that each is running when it comes';
  return `spread the generator over more worker threads (--workers ${Math.max(2, threads * 2)}, with --connections to match) or shard it over several machines`;
}
