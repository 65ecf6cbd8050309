/**
 * One request/response exchange as an undici dispatch handler. It uses undici's raw handler
 * shape (onHeaders/onData/onComplete) on purpose: undici passes it through without parsing
 * response headers into an object, which matters on the hot path.
 */
import type { Dispatcher } from 'undici';
import type { PreparedRequest, TargetPool } from './target-pool.js';

/** Receives finished exchanges. */
export interface ExchangeSink {
  /** Called once per exchange: with the status on success, or with the error. */
  exchangeDone(exchange: Exchange, status: number, error: Error | null): void;
}

/** One in-flight request with the times the models measure from. */
export class Exchange {
  status = 0;
  /** Trace id of a sampled request (it carries a traceparent header). */
  traceId: string | undefined;

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
    /** The closed model's slot (it picks the connection); 0 in the open model. */
    readonly slot: number,
  ) {}

  /** Hand the request to the target's connections. */
  dispatch(): void {
    let options = this.request.options;
    const trace = this.target.tracer?.next();
    if (trace !== undefined) {
      this.traceId = trace.traceId;
      options = { ...options, headers: [...options.headers, 'traceparent', trace.header] };
    }
    this.target
      .dispatcher(this.slot)
      .dispatch(options as Dispatcher.DispatchOptions, this as unknown as Dispatcher.DispatchHandler);
  }

  onConnect(): void {}

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
    this.sink.exchangeDone(this, this.status, null);
  }

  onError(error: Error): void {
    this.sink.exchangeDone(this, this.status, error);
  }
}
