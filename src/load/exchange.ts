/**
 * One request/response exchange as an undici dispatch handler. It uses undici's raw handler
 * shape (onHeaders/onData/onComplete) on purpose: undici passes it through without parsing
 * response headers into an object, which matters on the hot path.
 *
 * The per-request timeout bounds the whole exchange, headers and body: undici's own timeouts
 * are idle bounds between bytes, so a server dribbling a byte every 200 ms would never trip them.
 * The model's deadline sweep calls `expire()` on an exchange past its deadline; the connection is
 * cut and the exchange ends as a timeout.
 *
 * On a lean target (target-pool.ts) the same handler methods are called by the lean connection
 * (h1-connection.ts) instead of undici.
 */
import type { Dispatcher } from 'undici';
import type { H1Connection } from './h1-connection.js';
import { withTraceparent } from './h1-request.js';
import type { PreparedRequest, TargetPool } from './target-pool.js';

/** Receives finished exchanges. */
export interface ExchangeSink {
  /** Called once per exchange: with the status on success, or with the error. */
  exchangeDone(exchange: Exchange, status: number, error: Error | null): void;
}

/** The error an exchange ends with when the whole-exchange deadline cuts it. */
export class ExchangeTimeoutError extends Error {
  readonly code = 'CANARY_GATE_EXCHANGE_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`no complete response within ${timeoutMs} ms`);
    this.name = 'ExchangeTimeoutError';
  }
}

/** One in-flight request with the times the models measure from. */
export class Exchange {
  status = 0;
  /** Trace id of a sampled request (it carries a traceparent header). */
  traceId: string | undefined;
  /** Set once the exchange reported; undici never calls twice, the deadline might race it. */
  done = false;
  #abort: ((reason: Error) => void) | undefined;
  /** The lean connection carrying it, when its target is lean. */
  #h1: H1Connection | undefined;

  constructor(
    readonly sink: ExchangeSink,
    readonly target: TargetPool,
    readonly request: PreparedRequest,
    /** When the schedule meant to send it (performance.now() ms). */
    readonly intendedMs: number,
    /** When it was handed to a connection (performance.now() ms). */
    readonly sentMs: number,
    /** False for warm-up requests: sent, but not recorded. */
    readonly measured: boolean,
    /** Its slot in `target.active`: the connection (open model) or the closed model's slot. */
    readonly slot: number,
    /** The connection it goes out on. */
    readonly connection: number,
  ) {}

  /** Hand the request to its connection. */
  dispatch(): void {
    const wire = this.request.wire;
    if (wire !== undefined) {
      const trace = this.target.tracer?.next();
      let bytes = wire.bytes;
      if (trace !== undefined) {
        this.traceId = trace.traceId;
        bytes = withTraceparent(wire, trace.header);
      }
      this.target.active[this.slot] = this;
      this.#h1 = this.target.h1(this.connection);
      this.#h1.send(this, bytes, wire.head, wire.idempotent, this.sentMs);
      return;
    }
    let options = this.request.options;
    const trace = this.target.tracer?.next();
    if (trace !== undefined) {
      this.traceId = trace.traceId;
      options = { ...options, headers: [...options.headers, 'traceparent', trace.header] };
    }
    this.target.active[this.slot] = this;
    this.target
      .client(this.connection)
      .dispatch(options as Dispatcher.DispatchOptions, this as unknown as Dispatcher.DispatchHandler);
  }

  /** The deadline passed: cut the exchange; it ends as a timeout. */
  expire(timeoutMs: number): void {
    if (this.done) return;
    const error = new ExchangeTimeoutError(timeoutMs);
    // Before undici connected there is no abort handle yet: end it here, undici's later callbacks
    // are ignored (done is set).
    if (this.#h1) this.#h1.abort(this, error);
    else if (this.#abort) this.#abort(error);
    else this.#finish(0, error);
  }

  onConnect(abort: (reason: Error) => void): void {
    this.#abort = abort;
  }

  onUpgrade(): void {}

  onResponseStarted(): void {}

  onHeaders(statusCode: number): boolean {
    // 1xx responses come before the final status; the last call wins.
    this.status = statusCode;
    return true;
  }

  onData(): boolean {
    return true;
  }

  onComplete(): void {
    this.#finish(this.status, null);
  }

  onError(error: Error): void {
    this.#finish(this.status, error);
  }

  #finish(status: number, error: Error | null): void {
    if (this.done) return;
    this.done = true;
    if (this.target.active[this.slot] === this) this.target.active[this.slot] = undefined;
    this.sink.exchangeDone(this, status, error);
  }
}
