/**
 * The closed model: a fixed number of requests in flight (connections × pipelining), each
 * replaced as soon as it finishes, as fast as the server answers. It measures maximum
 * throughput; its latency counts from the actual send and is NOT corrected for coordinated
 * omission, which every summary of a closed-model run says.
 */
import { performance } from 'node:perf_hooks';
import { classifyStatus, classifyTransportError, isPeerFailure } from './error-class.js';
import { Exchange, type ExchangeSink } from './exchange.js';
import type { GeneratorMeter } from './generator-meter.js';
import type { LoadPlan } from './plan.js';
import type { TargetPool } from './target-pool.js';
import { TimedPicker } from './timed-picker.js';
import type { WeightedPicker } from './weighted-picker.js';

/** How often in-flight exchanges are checked against the timeout, at most. */
const MAX_SWEEP_MS = 100;

/** Runs a plan with constant concurrency until its duration or request cap runs out. */
export class ClosedModel implements ExchangeSink {
  readonly #plan: LoadPlan;
  readonly #meter: GeneratorMeter;
  #targets: TimedPicker<TargetPool>;
  readonly #all: readonly TargetPool[];
  readonly #cap: number;
  #issued = 0;
  #inFlight = 0;
  #stopped = false;
  #cancelled = false;
  #measuredFromMs = 0;
  #lastSendMs = 0;
  #timer: NodeJS.Timeout | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #resolveDone: (() => void) | undefined;
  /** True while dispatch() runs: undici reports some failures synchronously, inside it. */
  #dispatching = false;

  constructor(
    plan: LoadPlan,
    targets: readonly TargetPool[],
    targetPicker: WeightedPicker<TargetPool>,
    meter: GeneratorMeter,
  ) {
    this.#plan = plan;
    this.#meter = meter;
    this.#all = targets;
    this.#targets = new TimedPicker(targetPicker);
    this.#cap = plan.maxRequests ?? Number.POSITIVE_INFINITY;
  }

  /** When measuring started, after the warm-up (performance.now() ms). */
  get measuredFromMs(): number {
    return this.#measuredFromMs;
  }

  /** When the last request went out. */
  get lastSendMs(): number {
    return this.#lastSendMs;
  }

  /** New weights between targets, taken at each slot's next launch (at or after `fromMs`, performance.now() time). */
  setTargets(targetPicker: WeightedPicker<TargetPool>, fromMs?: number): void {
    this.#targets.set(targetPicker, fromMs);
  }

  /** Run until the duration or the cap is reached and every request has finished. */
  run(): Promise<void> {
    const warmupMs = this.#plan.warmupMs ?? 0;
    this.#measuredFromMs = performance.now() + warmupMs;
    this.#meter.windowEndMs = this.#measuredFromMs + this.#plan.durationMs;
    const done = new Promise<void>((resolve) => {
      this.#resolveDone = resolve;
    });
    this.#timer = setTimeout(() => this.stop(false), warmupMs + this.#plan.durationMs);
    const timeoutMs = this.#plan.timeoutMs;
    this.#sweeper = setInterval(
      () => {
        const now = performance.now();
        for (const target of this.#all) target.expireOverdue(now, timeoutMs);
      },
      Math.max(1, Math.min(MAX_SWEEP_MS, timeoutMs / 10)),
    );
    // One slot per request in flight (connections × pipelining per target); each slot picks its
    // target by weight at every launch.
    const concurrency = this.#all.reduce((sum, t) => sum + t.limit, 0);
    // Slot i keeps connection i mod connections busy; slots beyond it pipeline on the same one.
    for (let slot = 0; slot < concurrency && !this.#stopped; slot++) this.#launch(slot, performance.now());
    this.#maybeDone();
    return done;
  }

  /** Stop issuing; with `cancel`, in-flight requests are not recorded. */
  stop(cancel: boolean): void {
    this.#stopped = true;
    if (cancel) this.#cancelled = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#maybeDone();
  }

  #launch(slot: number, now: number): void {
    if (this.#issued >= this.#cap) {
      this.#stopped = true;
      return;
    }
    const target = this.#targets.at(now).next();
    const request = target.nextRequest();
    this.#issued++;
    this.#inFlight++;
    target.inFlight++;
    const measured = now >= this.#measuredFromMs;
    if (measured) {
      target.recorder.recordSend(0);
      this.#meter.due(false);
      this.#meter.sent(0, false);
    }
    this.#lastSendMs = now;
    this.#dispatching = true;
    try {
      new Exchange(this, target, request, now, now, measured, slot, slot).dispatch();
    } finally {
      this.#dispatching = false;
    }
  }

  exchangeDone(exchange: Exchange, status: number, error: Error | null): void {
    this.#inFlight--;
    exchange.target.inFlight--;
    const now = performance.now();
    // A failure reported inside dispatch() would relaunch inside it again, without bound; and a
    // transport error is reported from inside undici's own error loop over the client's queue, which
    // asserts the queue empty after it (a refused port crashed the run): relaunch on the next turn.
    const relaunch = (): void => {
      if (this.#stopped) return;
      if (this.#dispatching || error !== null)
        setImmediate(() => {
          if (!this.#stopped) this.#launch(exchange.slot, performance.now());
          this.#maybeDone();
        });
      else this.#launch(exchange.slot, now);
    };
    if (this.#cancelled || !exchange.measured) {
      relaunch();
      this.#maybeDone();
      return;
    }
    const recorder = exchange.target.recorder;
    const endpoint = exchange.request.endpoint;
    const latencyMs = now - exchange.sentMs;
    this.#meter.completed(error === null ? latencyMs : undefined, now);
    if (error === null) {
      const errorClass = classifyStatus(status);
      recorder.recordResponse(endpoint, status, latencyMs, latencyMs, errorClass);
      if (exchange.traceId !== undefined)
        recorder.recordTrace(endpoint, exchange.traceId, latencyMs, status, errorClass);
    } else {
      const errorClass = classifyTransportError(error);
      if (isPeerFailure(errorClass)) this.#meter.failedByPeer();
      recorder.recordErrorCode(error);
      const timeoutMs = this.#plan.timeoutMs;
      if (errorClass === 'timeout') recorder.recordFailure(endpoint, 'timeout', timeoutMs, timeoutMs);
      else recorder.recordFailure(endpoint, errorClass, undefined, undefined);
      if (exchange.traceId !== undefined)
        recorder.recordTrace(
          endpoint,
          exchange.traceId,
          errorClass === 'timeout' ? timeoutMs : latencyMs,
          0,
          errorClass,
        );
    }
    relaunch();
    this.#maybeDone();
  }

  #maybeDone(): void {
    if (!this.#stopped || this.#inFlight > 0 || this.#resolveDone === undefined) return;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#sweeper) clearInterval(this.#sweeper);
    const resolve = this.#resolveDone;
    this.#resolveDone = undefined;
    resolve();
  }
}
