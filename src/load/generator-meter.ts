/**
 * The generator's own signals, per 1-second interval and per run: what it was due to send, how
 * late it sent, how long requests waited for a connection, how busy its connections, event loop
 * and CPU were. The models count on the hot path (a few additions per request, no allocation);
 * run-in-thread cuts a sample each second and adds the event-loop and CPU figures.
 */

/** One window of the generator's signals (an interval, a run, or several merged). */
export interface GeneratorSample {
  /** Measured requests whose intended time came in the window. */
  due: number;
  /** Measured requests handed to a connection. */
  sent: number;
  /** Of `due`: issued more than LATE_AFTER_MS behind their intended time by the generator itself. */
  issuedBehind: number;
  /** Of `sent`: sent more than LATE_AFTER_MS behind their intended time, for any reason. */
  late: number;
  /** Of `due`: never sent (no connection before the timeout, or the backlog was full). */
  dropped: number;
  /** Sum over sent requests of the wait from intended time to send, ms. */
  waitMsSum: number;
  /** Longest such wait, ms. */
  waitMsMax: number;
  /** Requests that finished (response or failure) in the window. */
  completed: number;
  /** Responses among them. */
  responses: number;
  /**
   * Of `completed`: failed by the service at the connection (refused, reset, closed by the peer).
   * Such a failure is the service's whatever the generator's queue did.
   */
  peerFailures: number;
  /** Sum of service times (from the actual send) over responses, ms. */
  serviceMsSum: number;
  /** Most requests waiting in backlogs at once. */
  backlogMax: number;
  /** Most connections busy at once, over all targets. */
  busyMax: number;
  /** The connection cap, over all targets. */
  connections: number;
  /** p99 of the generator's event-loop delay, ms (max over threads). */
  loopDelayP99Ms: number;
  /** Largest event-loop delay, ms (max over threads). */
  loopDelayMaxMs: number;
  /** CPU of the generator process in the window, % of one core. */
  cpuPercent: number;
  /** Length of the window, ms. */
  durationMs: number;
  /** Generator threads that reported it. */
  threads: number;
}

/** A zeroed sample. */
export function emptyGeneratorSample(): GeneratorSample {
  return {
    due: 0,
    sent: 0,
    issuedBehind: 0,
    late: 0,
    dropped: 0,
    waitMsSum: 0,
    waitMsMax: 0,
    completed: 0,
    responses: 0,
    peerFailures: 0,
    serviceMsSum: 0,
    backlogMax: 0,
    busyMax: 0,
    connections: 0,
    loopDelayP99Ms: 0,
    loopDelayMaxMs: 0,
    cpuPercent: 0,
    durationMs: 0,
    threads: 0,
  };
}

/**
 * Add `from` into `into`: the same window seen by another thread (`sameWindow`: durations and
 * CPU do not add, CPU is process-wide) or the next window of one thread (durations add, CPU is
 * the time-weighted mean).
 */
export function addGeneratorSample(into: GeneratorSample, from: GeneratorSample, sameWindow: boolean): void {
  if (sameWindow) {
    into.cpuPercent = Math.max(into.cpuPercent, from.cpuPercent);
    into.durationMs = Math.max(into.durationMs, from.durationMs);
    into.threads += from.threads;
    into.connections += from.connections;
    into.busyMax += from.busyMax;
    into.backlogMax += from.backlogMax;
  } else {
    const total = into.durationMs + from.durationMs;
    into.cpuPercent = total > 0 ? (into.cpuPercent * into.durationMs + from.cpuPercent * from.durationMs) / total : 0;
    into.durationMs = total;
    into.threads = Math.max(into.threads, from.threads);
    into.connections = Math.max(into.connections, from.connections);
    into.busyMax = Math.max(into.busyMax, from.busyMax);
    into.backlogMax = Math.max(into.backlogMax, from.backlogMax);
  }
  into.due += from.due;
  into.sent += from.sent;
  into.issuedBehind += from.issuedBehind;
  into.late += from.late;
  into.dropped += from.dropped;
  into.waitMsSum += from.waitMsSum;
  into.waitMsMax = Math.max(into.waitMsMax, from.waitMsMax);
  into.completed += from.completed;
  into.responses += from.responses;
  into.peerFailures += from.peerFailures;
  into.serviceMsSum += from.serviceMsSum;
  into.loopDelayP99Ms = Math.max(into.loopDelayP99Ms, from.loopDelayP99Ms);
  into.loopDelayMaxMs = Math.max(into.loopDelayMaxMs, from.loopDelayMaxMs);
}

/** Counts the models keep on the hot path for the current interval and the whole run. */
export class GeneratorMeter {
  /** The current interval. */
  interval = emptyGeneratorSample();
  /** Everything measured so far. */
  readonly run = emptyGeneratorSample();
  /** End of the planned measured window (performance.now() ms). */
  windowEndMs = Number.POSITIVE_INFINITY;
  /** Responses that came within the planned measured window: what `rate.achieved` counts. */
  responsesInWindow = 0;

  /** A measured request came due; `behind` when the generator issued it late. */
  due(behind: boolean): void {
    this.interval.due++;
    if (behind) this.interval.issuedBehind++;
  }

  /** A measured request went out `waitMs` after its intended time. */
  sent(waitMs: number, late: boolean): void {
    const i = this.interval;
    i.sent++;
    if (late) i.late++;
    i.waitMsSum += waitMs;
    if (waitMs > i.waitMsMax) i.waitMsMax = waitMs;
  }

  /** A measured request was dropped unsent. */
  dropped(): void {
    this.interval.dropped++;
  }

  /** A measured request finished at `now`; `serviceMs` when a response came. */
  completed(serviceMs: number | undefined, now: number): void {
    const i = this.interval;
    i.completed++;
    if (serviceMs !== undefined) {
      i.responses++;
      i.serviceMsSum += serviceMs;
      if (now <= this.windowEndMs) this.responsesInWindow++;
    }
  }

  /** A measured request that finished was failed by the service at the connection. */
  failedByPeer(): void {
    this.interval.peerFailures++;
  }

  /** Note the backlog and busy connections now (called when they grow). */
  occupancy(backlog: number, busy: number): void {
    const i = this.interval;
    if (backlog > i.backlogMax) i.backlogMax = backlog;
    if (busy > i.busyMax) i.busyMax = busy;
  }

  /** Close the interval with the thread's figures; it is added to the run and handed out. */
  rotate(
    figures: Pick<GeneratorSample, 'loopDelayP99Ms' | 'loopDelayMaxMs' | 'cpuPercent' | 'durationMs' | 'connections'>,
  ): GeneratorSample {
    const sample = { ...this.interval, ...figures, threads: 1 };
    addGeneratorSample(this.run, sample, false);
    this.interval = emptyGeneratorSample();
    return sample;
  }
}
