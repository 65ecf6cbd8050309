/**
 * Whose limit a step hit: the service's, or the generator's own. Pure. The open model measures
 * latency from the intended send, so a generator that falls behind its schedule inflates latency
 * exactly as a slow service would; without this check a weak load generator would be reported as
 * a weak service.
 *
 * Two signals say the generator is the limit. Schedule lag at issue: requests the generator issued
 * more than LATE_AFTER_MS behind their intended time, before any wait for a connection; that lag
 * is the generator's alone (its event loop or CPU). And a queue on the generator's side while it
 * is busy: sends waited for a free connection although the service answered within the SLO once
 * a request reached it, and the generator's CPU or event loop was loaded — a generator too slow
 * to process responses holds its connections longer, so the backlog is its own (measured: nginx
 * offered 100000/s got 46000/s from one thread at 80 % CPU, with no schedule lag at all).
 * Late sends with an idle generator, drops and a falling throughput point at the service; when
 * the service time still met the SLO the in-flight limit may be what limits, which the client
 * cannot tell apart from the service, so it is a warning.
 */

/** What a step measured about the load it offered and the generator that offered it. */
export interface StepLoadFigures {
  /** Offered rate, requests/s. */
  offeredPerSec: number;
  /** Requests scheduled in the measured window. */
  scheduled: number;
  /** Requests the generator issued more than LATE_AFTER_MS behind their intended time. */
  issuedBehind: number;
  /** Sends more than LATE_AFTER_MS behind schedule, for any reason (incl. waiting for a connection). */
  late: number;
  /** Scheduled requests never sent (no connection came free before their timeout). */
  dropped: number;
  /** Responses per second over the send window. */
  throughputPerSec: number;
  /** p99 of the generator's event-loop delay, ms. */
  eventLoopDelayP99Ms: number;
  /** CPU of the generator process, % of one core. */
  cpuPercent: number;
  /** Worker threads the generator ran on. */
  workers: number;
  /** Whether the SLO held at this step. */
  sloPass: boolean;
  /** Whether the service time (from the actual send) alone would have met the SLO's latency terms. */
  serviceTimeMeetsSlo: boolean;
}

/** The classification of one step. */
export interface Saturation {
  /** generator: the generator fell behind; server: the SLO broke with the schedule kept; none: it held. */
  limitedBy: 'generator' | 'server' | 'none';
  /** Why, in numbers. */
  reasons: string[];
  /** Caveats that do not change the classification. */
  warnings: string[];
}

/** More than this fraction of requests issued behind schedule: the generator could not keep it. */
export const MAX_BEHIND_FRACTION = 0.01;
/**
 * ... and at least this many: one 15 ms pause (a GC, a busy neighbour on the machine) puts a few
 * requests behind, which at a low rate and a short step is already 1 %, yet says nothing about
 * whether the generator can keep up.
 */
export const MIN_BEHIND_COUNT = 20;
/** Generator CPU per worker thread above this (% of a core) is busy: near its ceiling. */
export const BUSY_CPU_PERCENT = 75;
/** A generator event-loop delay p99 above this (ms) is busy: a send this late counts as late. */
export const BUSY_LOOP_DELAY_MS = 10;
/** More than this fraction of sends late for want of a connection is worth a warning. */
export const MAX_LATE_FRACTION = 0.01;

const pct = (fraction: number): string => `${Number((fraction * 100).toFixed(1))}%`;
const fixed = (value: number): string => `${Number(value.toFixed(1))}`;

/** Classify one step. */
export function classifySaturation(f: StepLoadFigures): Saturation {
  const reasons: string[] = [];
  const warnings: string[] = [];
  const scheduled = Math.max(1, f.scheduled);
  const behind = f.issuedBehind / scheduled;
  const late = f.late / scheduled;
  const generatorHealth = `its event-loop delay p99 ${fixed(f.eventLoopDelayP99Ms)} ms, CPU ${fixed(f.cpuPercent)}% of a core over ${f.workers} worker${f.workers === 1 ? '' : 's'}`;
  if (behind > MAX_BEHIND_FRACTION && f.issuedBehind >= MIN_BEHIND_COUNT) {
    reasons.push(
      `the generator issued ${pct(behind)} of requests more than 10 ms behind schedule (${generatorHealth}): the limit is the generator's, not the service's`,
    );
    return { limitedBy: 'generator', reasons, warnings };
  }
  const busy = f.cpuPercent >= BUSY_CPU_PERCENT * f.workers || f.eventLoopDelayP99Ms > BUSY_LOOP_DELAY_MS;
  const clientQueue = late > MAX_LATE_FRACTION && f.late >= MIN_BEHIND_COUNT && f.serviceTimeMeetsSlo;
  if (clientQueue && busy) {
    reasons.push(
      `${pct(late)} of sends waited for a free connection while the service answered within the SLO once a request reached it, and the generator was busy (${generatorHealth}): the queue was the generator's, so the limit is the generator's, not the service's`,
    );
    return { limitedBy: 'generator', reasons, warnings };
  }
  if (busy) warnings.push(`the generator was busy (${generatorHealth}); more workers would give headroom`);
  if (clientQueue) {
    warnings.push(
      `${pct(late)} of sends waited for a free connection while the service time met the SLO: the in-flight limit (connections) may be what limits, not the service`,
    );
  }
  if (f.sloPass) return { limitedBy: 'none', reasons, warnings };
  reasons.push('the SLO broke while the generator kept its schedule');
  if (f.throughputPerSec < 0.95 * f.offeredPerSec)
    reasons.push(`throughput ${fixed(f.throughputPerSec)}/s fell short of the ${fixed(f.offeredPerSec)}/s offered`);
  if (late > MAX_LATE_FRACTION) reasons.push(`${pct(late)} of sends waited for a free connection`);
  if (f.dropped > 0) reasons.push(`${f.dropped} requests were dropped (no connection came free in time)`);
  return { limitedBy: 'server', reasons, warnings };
}

/** What to do about a generator limit. */
export function generatorSuggestion(workers: number): string {
  return `the generator could not keep the schedule: spread it over more worker threads (--workers ${Math.max(2, workers * 2)}, with --connections to match) or shard the load over several machines, then search again`;
}
