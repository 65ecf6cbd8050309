/**
 * The open model: requests are scheduled at a constant arrival rate, whatever the server does.
 * Request i is meant to go out at start + i/rate, and its latency counts from that intended time,
 * so a stalled server shows in the tail instead of hiding itself by slowing the generator down
 * (coordinated omission, as wrk2 explains). Service time from the actual send is kept apart.
 *
 * The schedule is arithmetic: nothing exists for a request until its time has come. It goes out
 * at once on a free connection of its target; when every connection is busy it waits in the
 * target's backlog (a fixed-capacity ring) and leaves on the next connection that frees, oldest
 * first (it counts as late); if its timeout runs out first it is dropped and recorded as a
 * timeout at the timeout value.
 *
 * Due requests go out in batches on the timer tick (about every millisecond), not one by one as
 * responses free connections: a batch of writes wakes the server once and its answers come back
 * together, where single writes spread over the millisecond each wake a sleeping server and cost
 * the generator several times the CPU in the kernel (measured: writeLatin1String 22 % of the
 * generator's thread against 5 % batched, at 10 000/s against nginx). The cost is up to about
 * 1 ms of send lag, which the intended-time latency includes.
 */
import { performance } from 'node:perf_hooks';
import { classifyStatus, classifyTransportError, isPeerFailure } from './error-class.js';
import { Exchange, type ExchangeSink } from './exchange.js';
import type { GeneratorMeter } from './generator-meter.js';
import type { LoadPlan } from './plan.js';
import { LATE_AFTER_MS } from './recorder.js';
import type { TargetPool } from './target-pool.js';
import { TimedPicker } from './timed-picker.js';
import type { WeightedPicker } from './weighted-picker.js';

/** Options of an open-model run beyond the plan. */
export interface OpenModelOptions {
  /** Shift of this generator's schedule, so workers interleave instead of sending in bursts. */
  phaseOffsetMs?: number;
}

/** How often in-flight exchanges and the backlog are checked against the timeout, at most. */
const MAX_SWEEP_MS = 100;

/** Runs one plan's schedule against its targets. */
export class OpenModel implements ExchangeSink {
  readonly #plan: LoadPlan;
  readonly #meter: GeneratorMeter;
  #targets: TimedPicker<TargetPool>;
  readonly #all: readonly TargetPool[];
  readonly #intervalMs: number;
  readonly #total: number;
  readonly #phaseOffsetMs: number;
  readonly #timeoutMs: number;
  #startMs = 0;
  #measuredFromMs = 0;
  #next = 0;
  #nextDueMs = Number.POSITIVE_INFINITY;
  #timer: NodeJS.Timeout | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #stopped = false;
  #cancelled = false;
  #lastSendMs = 0;
  #issuedBehind = 0;
  #backlogged = 0;
  /** Connections whose exchange just ended, usable again on the next turn (see #finish). */
  #cooling: { target: TargetPool; connection: number }[] = [];
  /** Exchanges that failed inside dispatch(), handled on the next turn so nothing recurses. */
  #failedInDispatch: { exchange: Exchange; error: Error }[] = [];
  #dispatching = false;
  #resolveDone: (() => void) | undefined;

  constructor(
    plan: LoadPlan,
    targets: readonly TargetPool[],
    targetPicker: WeightedPicker<TargetPool>,
    meter: GeneratorMeter,
    options: OpenModelOptions = {},
  ) {
    const rate = plan.ratePerSec;
    if (rate === undefined) throw new RangeError('the open model needs a rate');
    this.#plan = plan;
    this.#meter = meter;
    this.#all = targets;
    this.#targets = new TimedPicker(targetPicker);
    this.#intervalMs = 1000 / rate;
    this.#timeoutMs = plan.timeoutMs;
    const scheduled = Math.floor((rate * ((plan.warmupMs ?? 0) + plan.durationMs)) / 1000);
    this.#total = plan.maxRequests === undefined ? scheduled : Math.min(scheduled, plan.maxRequests);
    this.#phaseOffsetMs = options.phaseOffsetMs ?? 0;
  }

  /** Requests the schedule holds. */
  get scheduled(): number {
    return this.#total;
  }

  /** Requests that came due so far (all of them once the run is over, unless it was stopped). */
  get issued(): number {
    return this.#next;
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

  /** Requests waiting for a connection now, over all targets. */
  get backlogged(): number {
    return this.#backlogged;
  }

  /**
   * New weights between targets, from the request meant to go out at `fromMs` (performance.now()
   * time) on, or the next one; the schedule and the connections stay as they are.
   */
  setTargets(targetPicker: WeightedPicker<TargetPool>, fromMs?: number): void {
    this.#targets.set(targetPicker, fromMs);
  }

  /** Run the schedule; resolves when every request has finished or been dropped. */
  run(): Promise<void> {
    this.#startMs = performance.now() + this.#phaseOffsetMs;
    this.#measuredFromMs = this.#startMs + (this.#plan.warmupMs ?? 0);
    this.#nextDueMs = this.#startMs;
    this.#meter.windowEndMs = this.#measuredFromMs + this.#plan.durationMs;
    const done = new Promise<void>((resolve) => {
      this.#resolveDone = resolve;
    });
    const sweepMs = Math.max(1, Math.min(MAX_SWEEP_MS, this.#timeoutMs / 10));
    this.#sweeper = setInterval(this.#sweep, sweepMs);
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
    this.#timer = undefined;
    if (cancel) {
      this.#cancelled = true;
      for (const target of this.#all) target.backlog.clear();
      this.#backlogged = 0;
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
    this.#pump(performance.now());
    if (this.#stopped) return;
    const wait = this.#nextDueMs - performance.now();
    this.#timer = setTimeout(this.#tick, wait > 1 ? wait : 0);
  };

  /**
   * Issue every request whose intended time has come, however many that is: a timer that fires
   * late must not thin the schedule.
   */
  #pump(now: number): void {
    if (now < this.#nextDueMs || this.#stopped) return;
    const due = Math.min(this.#total, Math.floor((now - this.#startMs) / this.#intervalMs) + 1);
    while (this.#next < due) {
      const intendedMs = this.#startMs + this.#next * this.#intervalMs;
      this.#next++;
      const measured = intendedMs >= this.#measuredFromMs;
      if (measured) {
        const behind = now - intendedMs > LATE_AFTER_MS;
        if (behind) this.#issuedBehind++;
        this.#meter.due(behind);
      }
      this.#issue(intendedMs, now, measured);
    }
    this.#nextDueMs = this.#startMs + this.#next * this.#intervalMs;
    if (this.#next >= this.#total) {
      this.#stopped = true;
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = undefined;
      this.#maybeDone();
    }
  }

  #issue(intendedMs: number, now: number, measured: boolean): void {
    const target = this.#targets.at(intendedMs).next();
    const endpoint = target.nextRequest().endpoint;
    if (target.backlog.length === 0) {
      const connection = target.acquire();
      if (connection >= 0) {
        this.#send(target, endpoint, intendedMs, now, connection);
        return;
      }
    }
    if (target.backlog.push(intendedMs, endpoint)) {
      this.#backlogged++;
      this.#meter.occupancy(this.#backlogged, target.busy);
    } else if (measured) {
      // The backlog is at its hard capacity: memory stays bounded, the request counts as dropped.
      this.#drop(target, endpoint);
    }
  }

  #send(target: TargetPool, endpoint: number, intendedMs: number, now: number, connection: number): void {
    target.inFlight++;
    const measured = intendedMs >= this.#measuredFromMs;
    if (measured) {
      const waitMs = now - intendedMs;
      target.recorder.recordSend(waitMs);
      this.#meter.sent(waitMs, waitMs > LATE_AFTER_MS);
    }
    this.#lastSendMs = now;
    const request = target.requests[endpoint];
    if (request === undefined) throw new RangeError(`no request for endpoint ${endpoint}`);
    const exchange = new Exchange(this, target, request, intendedMs, now, measured, connection, connection);
    this.#dispatching = true;
    try {
      exchange.dispatch();
    } finally {
      this.#dispatching = false;
    }
  }

  exchangeDone(exchange: Exchange, status: number, error: Error | null): void {
    if (this.#dispatching && error !== null) {
      // undici refused the request inside dispatch() (an invalid path, a destroyed client):
      // handle it on the next turn, or a backlog of such requests would recurse through here.
      if (this.#failedInDispatch.length === 0) setImmediate(this.#handleFailedInDispatch);
      this.#failedInDispatch.push({ exchange, error });
      return;
    }
    this.#finish(exchange, status, error, performance.now());
    this.#maybeDone();
  }

  #handleFailedInDispatch = (): void => {
    const failed = this.#failedInDispatch;
    this.#failedInDispatch = [];
    const now = performance.now();
    for (const { exchange, error } of failed) this.#finish(exchange, exchange.status, error, now);
    this.#maybeDone();
  };

  #finish(exchange: Exchange, status: number, error: Error | null, now: number): void {
    const target = exchange.target;
    target.inFlight--;
    if (this.#cancelled) {
      target.release(exchange.connection);
      return;
    }
    // Warm-up requests are sent at the full rate but never recorded.
    if (exchange.measured) this.#record(exchange, status, error, now);
    // A lean connection (h1-connection.ts) is free the moment its response is complete.
    if (error !== null || target.lean) {
      this.#handOver(target, exchange.connection, now);
      return;
    }
    // undici reuses a keep-alive socket (pipelining 1) only a full event-loop turn after the
    // response, to see a server's close first: a request handed to it now would wait that turn
    // while other connections sit idle. The connection cools for one turn; due requests take
    // another free one meanwhile.
    if (this.#cooling.length === 0) setImmediate(this.#reuseCooled);
    this.#cooling.push({ target, connection: exchange.connection });
  }

  #reuseCooled = (): void => {
    const cooled = this.#cooling;
    this.#cooling = [];
    const now = performance.now();
    for (const { target, connection } of cooled) {
      if (this.#cancelled) target.release(connection);
      else this.#handOver(target, connection, now);
    }
    this.#maybeDone();
  };

  /** The connection is free: give it the oldest request still worth sending, else release it. */
  #handOver(target: TargetPool, connection: number, now: number): void {
    const backlog = target.backlog;
    while (backlog.length > 0) {
      const intendedMs = backlog.headIntendedMs;
      const endpoint = backlog.headEndpoint;
      backlog.shift();
      this.#backlogged--;
      if (now - intendedMs >= this.#timeoutMs) {
        if (intendedMs >= this.#measuredFromMs) this.#drop(target, endpoint);
        continue;
      }
      this.#send(target, endpoint, intendedMs, now, connection);
      return;
    }
    target.release(connection);
  }

  #drop(target: TargetPool, endpoint: number): void {
    target.recorder.recordDrop(endpoint, this.#timeoutMs);
    this.#meter.dropped();
    this.#meter.completed(undefined, performance.now());
  }

  #record(exchange: Exchange, status: number, error: Error | null, now: number): void {
    const recorder = exchange.target.recorder;
    const endpoint = exchange.request.endpoint;
    const traceId = exchange.traceId;
    if (error === null) {
      const latencyMs = now - exchange.intendedMs;
      const serviceMs = now - exchange.sentMs;
      const errorClass = classifyStatus(status);
      recorder.recordResponse(endpoint, status, latencyMs, serviceMs, errorClass);
      this.#meter.completed(serviceMs, now);
      if (traceId !== undefined) recorder.recordTrace(endpoint, traceId, latencyMs, status, errorClass);
      return;
    }
    this.#meter.completed(undefined, now);
    const errorClass = classifyTransportError(error);
    if (isPeerFailure(errorClass)) this.#meter.failedByPeer();
    recorder.recordErrorCode(error);
    if (errorClass === 'timeout') {
      // Recorded at the timeout value: undici's timers are coarse, the configured bound is not.
      const timeoutMs = this.#timeoutMs;
      const latencyMs = exchange.sentMs - exchange.intendedMs + timeoutMs;
      recorder.recordFailure(endpoint, 'timeout', latencyMs, timeoutMs);
      if (traceId !== undefined) recorder.recordTrace(endpoint, traceId, latencyMs, 0, errorClass);
    } else {
      recorder.recordFailure(endpoint, errorClass, undefined, undefined);
      if (traceId !== undefined) recorder.recordTrace(endpoint, traceId, now - exchange.intendedMs, 0, errorClass);
    }
  }

  /** Cut exchanges past their deadline and drop backlog heads past theirs. */
  #sweep = (): void => {
    const now = performance.now();
    for (const target of this.#all) {
      target.expireOverdue(now, this.#timeoutMs);
      const backlog = target.backlog;
      while (backlog.length > 0 && now - backlog.headIntendedMs >= this.#timeoutMs) {
        const intendedMs = backlog.headIntendedMs;
        const endpoint = backlog.headEndpoint;
        backlog.shift();
        this.#backlogged--;
        if (intendedMs >= this.#measuredFromMs) this.#drop(target, endpoint);
      }
    }
    this.#maybeDone();
  };

  #maybeDone(): void {
    if (!this.#stopped || this.#resolveDone === undefined) return;
    if (this.#failedInDispatch.length > 0 || this.#cooling.length > 0) return;
    for (const target of this.#all) {
      if (target.inFlight > 0) return;
      if (!this.#cancelled && target.backlog.length > 0) return;
    }
    if (this.#sweeper) clearInterval(this.#sweeper);
    const resolve = this.#resolveDone;
    this.#resolveDone = undefined;
    resolve();
  }
}
