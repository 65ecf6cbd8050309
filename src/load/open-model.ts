/**
 * The open model: requests are scheduled at a constant arrival rate, whatever the server does.
 * Request i is meant to go out at start + i/rate, and its latency counts from that intended time,
 * so a stalled server shows in the tail instead of hiding itself by slowing the generator down
 * (coordinated omission, as wrk2 explains). Service time from the actual send is kept apart.
 *
 * When a target's connections are all busy, the schedule does not slow down: the request waits
 * in a backlog and goes out as soon as a connection frees (it counts as late); if its timeout
 * runs out first, it is dropped and recorded as a timeout at the timeout value.
 */
import { performance } from 'node:perf_hooks';
import { classifyStatus, classifyTransportError } from './error-class.js';
import { Exchange, type ExchangeSink } from './exchange.js';
import type { LoadPlan } from './plan.js';
import { LATE_AFTER_MS } from './recorder.js';
import type { PreparedRequest, TargetPool } from './target-pool.js';
import type { WeightedPicker } from './weighted-picker.js';

/** Options of an open-model run beyond the plan. */
export interface OpenModelOptions {
  /** Shift of this generator's schedule, so workers interleave instead of sending in bursts. */
  phaseOffsetMs?: number;
}

/** Runs one plan's schedule against its targets. */
export class OpenModel implements ExchangeSink {
  readonly #plan: LoadPlan;
  readonly #targets: WeightedPicker<TargetPool>;
  readonly #all: readonly TargetPool[];
  readonly #intervalMs: number;
  readonly #total: number;
  readonly #phaseOffsetMs: number;
  #startMs = 0;
  #measuredFromMs = 0;
  #next = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;
  #cancelled = false;
  #lastSendMs = 0;
  #issuedBehind = 0;
  #resolveDone: (() => void) | undefined;

  constructor(
    plan: LoadPlan,
    targets: readonly TargetPool[],
    targetPicker: WeightedPicker<TargetPool>,
    options: OpenModelOptions = {},
  ) {
    const rate = plan.ratePerSec;
    if (rate === undefined) throw new RangeError('the open model needs a rate');
    this.#plan = plan;
    this.#all = targets;
    this.#targets = targetPicker;
    this.#intervalMs = 1000 / rate;
    const scheduled = Math.floor((rate * ((plan.warmupMs ?? 0) + plan.durationMs)) / 1000);
    this.#total = plan.maxRequests === undefined ? scheduled : Math.min(scheduled, plan.maxRequests);
    this.#phaseOffsetMs = options.phaseOffsetMs ?? 0;
  }

  /** Requests the schedule holds. */
  get scheduled(): number {
    return this.#total;
  }

  /** When measuring started, after the warm-up (performance.now() ms). */
  get measuredFromMs(): number {
    return this.#measuredFromMs;
  }

  /** When the last request actually went out. */
  get lastSendMs(): number {
    return this.#lastSendMs;
  }

  /**
   * Measured requests this generator issued more than LATE_AFTER_MS behind their intended time,
   * before any wait for a connection: lag that is the generator's own (event loop, CPU), not the
   * server's.
   */
  get issuedBehind(): number {
    return this.#issuedBehind;
  }

  /** Run the schedule; resolves when every request has finished or been dropped. */
  run(): Promise<void> {
    this.#startMs = performance.now() + this.#phaseOffsetMs;
    this.#measuredFromMs = this.#startMs + (this.#plan.warmupMs ?? 0);
    const done = new Promise<void>((resolve) => {
      this.#resolveDone = resolve;
    });
    this.#tick();
    return done;
  }

  /**
   * Stop issuing. With `cancel`, requests still waiting are discarded and in-flight ones are not
   * recorded (the caller destroys the connections); without it, in-flight requests finish.
   */
  stop(cancel: boolean): void {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (cancel) {
      this.#cancelled = true;
      for (const target of this.#all) target.backlog.clear();
    }
    this.#maybeDone();
  }

  #tick = (): void => {
    this.#timer = undefined;
    if (this.#stopped) {
      // Stopped before the first tick (an abort during start-up): settle now, or run() never resolves.
      this.#maybeDone();
      return;
    }
    const now = performance.now();
    // Every request whose intended time has come goes out now, however many that is: a timer
    // that fires late must not thin the schedule.
    const due = Math.min(this.#total, Math.floor((now - this.#startMs) / this.#intervalMs) + 1);
    while (this.#next < due) {
      const intendedMs = this.#startMs + this.#next * this.#intervalMs;
      this.#next++;
      if (now - intendedMs > LATE_AFTER_MS && intendedMs >= this.#measuredFromMs) this.#issuedBehind++;
      this.#issue(intendedMs, now);
    }
    if (this.#next >= this.#total) {
      this.#stopped = true;
      this.#maybeDone();
      return;
    }
    const wait = this.#startMs + this.#next * this.#intervalMs - performance.now();
    this.#timer = setTimeout(this.#tick, wait > 1 ? wait : 0);
  };

  #issue(intendedMs: number, now: number): void {
    const target = this.#targets.next();
    const request = target.nextRequest();
    if (target.inFlight < target.limit) this.#send(target, request, intendedMs, now);
    else target.backlog.push({ request, intendedMs });
  }

  #send(target: TargetPool, request: PreparedRequest, intendedMs: number, now: number): void {
    target.inFlight++;
    const measured = intendedMs >= this.#measuredFromMs;
    if (measured) target.recorder.recordSend(now - intendedMs);
    this.#lastSendMs = now;
    new Exchange(this, target, request, intendedMs, now, measured, 0).dispatch();
  }

  exchangeDone(exchange: Exchange, status: number, error: Error | null): void {
    const target = exchange.target;
    target.inFlight--;
    if (this.#cancelled) {
      this.#maybeDone();
      return;
    }
    const now = performance.now();
    // Warm-up requests are sent at the full rate but never recorded.
    if (exchange.measured) this.#record(exchange, status, error, now);
    this.#drain(target, now);
    this.#maybeDone();
  }

  #record(exchange: Exchange, status: number, error: Error | null, now: number): void {
    const recorder = exchange.target.recorder;
    const endpoint = exchange.request.endpoint;
    const traceId = exchange.traceId;
    if (error === null) {
      const latencyMs = now - exchange.intendedMs;
      const errorClass = classifyStatus(status);
      recorder.recordResponse(endpoint, status, latencyMs, now - exchange.sentMs, errorClass);
      if (traceId !== undefined) recorder.recordTrace(endpoint, traceId, latencyMs, status, errorClass);
      return;
    }
    const errorClass = classifyTransportError(error);
    if (errorClass === 'timeout') {
      // Recorded at the timeout value: undici's timers are coarse, the configured bound is not.
      const timeoutMs = this.#plan.timeoutMs;
      const latencyMs = exchange.sentMs - exchange.intendedMs + timeoutMs;
      recorder.recordFailure(endpoint, 'timeout', latencyMs, timeoutMs);
      if (traceId !== undefined) recorder.recordTrace(endpoint, traceId, latencyMs, 0, errorClass);
    } else {
      recorder.recordFailure(endpoint, errorClass, undefined, undefined);
      if (traceId !== undefined) recorder.recordTrace(endpoint, traceId, now - exchange.intendedMs, 0, errorClass);
    }
  }

  #drain(target: TargetPool, now: number): void {
    const backlog = target.backlog;
    while (target.inFlight < target.limit && backlog.length > 0) {
      const pending = backlog.shift();
      if (pending === undefined) break;
      if (now - pending.intendedMs >= this.#plan.timeoutMs) {
        if (pending.intendedMs >= this.#measuredFromMs)
          target.recorder.recordDrop(pending.request.endpoint, this.#plan.timeoutMs);
      } else {
        this.#send(target, pending.request, pending.intendedMs, now);
      }
    }
  }

  #maybeDone(): void {
    if (!this.#stopped || this.#resolveDone === undefined) return;
    for (const target of this.#all) {
      if (target.inFlight > 0) return;
      if (!this.#cancelled && target.backlog.length > 0) return;
    }
    const resolve = this.#resolveDone;
    this.#resolveDone = undefined;
    resolve();
  }
}
