/**
 * One target at run time: its undici Pool (keep-alive connections), its requests pre-built once
 * per endpoint, its recorder, and the in-flight limit the models respect.
 */
import { Client, type Dispatcher, Pool } from 'undici';
import { Fifo } from './fifo.js';
import type { LoadModel, RequestSpec, TargetSpec } from './plan.js';
import { ArmRecorder } from './recorder.js';
import { TraceSampler, type TracingPlan } from './trace-context.js';
import { WeightedPicker } from './weighted-picker.js';

/** A request built once and dispatched many times. */
export interface PreparedRequest {
  /** Index of the endpoint in the mix (and in the recorder). */
  endpoint: number;
  /** undici dispatch options, shared by every send of this request. */
  options: {
    path: string;
    method: string;
    headers: string[];
    body: Buffer | null;
    headersTimeout: number;
    bodyTimeout: number;
    blocking: boolean;
  };
}

/** Endpoint name of a mix entry: its own name, else "METHOD path". */
export function endpointName(spec: RequestSpec): string {
  return spec.name ?? `${spec.method} ${spec.path}`;
}

/** Options for a target's connection pool. */
export interface TargetPoolOptions {
  /** Connections to open. */
  connections: number;
  /** Requests in flight per connection. */
  pipelining: number;
  /** Connect, headers and body timeout. */
  timeoutMs: number;
  /**
   * The model that drives this target. The closed model gets one client per connection, picked
   * by the caller's slot number, instead of a shared pool: each slot keeps its own connection
   * busy and no dispatch scans for a free one. Its service time is its latency.
   */
  model: LoadModel;
  /** Trace context on a share of requests. */
  tracing?: TracingPlan;
}

/** A target with its connections and pre-built requests. */
export class TargetPool {
  readonly spec: TargetSpec;
  readonly recorder: ArmRecorder;
  readonly requests: PreparedRequest[];
  /** Most requests this target may have in flight at once. */
  readonly limit: number;
  /** Requests in flight now. */
  inFlight = 0;
  /** Hands out trace context when the plan traces requests. */
  readonly tracer: TraceSampler | undefined;
  /** Open model: requests whose time has come while every connection was busy, oldest first. */
  readonly backlog = new Fifo<{ request: PreparedRequest; intendedMs: number }>();
  /** Each target walks the mix on its own, so every arm sees the mix in its exact proportions. */
  readonly #mix: WeightedPicker<PreparedRequest>;
  /** A single Pool (open model), or one Client per connection (closed model). */
  readonly #dispatchers: Dispatcher[];

  constructor(spec: TargetSpec, mix: readonly RequestSpec[], options: TargetPoolOptions) {
    const url = new URL(spec.url);
    this.spec = spec;
    this.limit = options.connections * options.pipelining;
    const clientOptions = {
      pipelining: options.pipelining,
      connect: { timeout: options.timeoutMs },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
    };
    const closed = options.model === 'closed';
    this.#dispatchers = closed
      ? Array.from({ length: options.connections }, () => new Client(url.origin, clientOptions))
      : [new Pool(url.origin, { ...clientOptions, connections: options.connections })];
    this.recorder = new ArmRecorder(spec.arm, spec.url, mix.map(endpointName), closed, options.tracing?.slowest ?? 0);
    this.tracer = options.tracing && options.tracing.sample > 0 ? new TraceSampler(options.tracing.sample) : undefined;
    const basePath = url.pathname.replace(/\/+$/, '');
    const host = url.host;
    this.requests = mix.map((request, endpoint) => {
      const headers: string[] = [];
      let hasHost = false;
      for (const [name, value] of Object.entries(request.headers ?? {})) {
        if (name.toLowerCase() === 'host') hasHost = true;
        headers.push(name, value);
      }
      if (!hasHost) headers.push('host', host);
      return {
        endpoint,
        options: {
          path: basePath + request.path,
          method: request.method,
          headers,
          body: request.body === undefined ? null : Buffer.from(request.body),
          headersTimeout: options.timeoutMs,
          bodyTimeout: options.timeoutMs,
          // undici holds back pipelining behind any non-HEAD request unless told it won't block.
          blocking: false,
        },
      };
    });
    this.#mix = new WeightedPicker(this.requests.map((request, i) => ({ item: request, weight: mix[i]?.weight ?? 0 })));
  }

  /** The next request of the mix for this target. */
  nextRequest(): PreparedRequest {
    return this.#mix.next();
  }

  /** Where a request of `slot` goes: the shared pool (open model) or the slot's own connection. */
  dispatcher(slot: number): Dispatcher {
    return this.#dispatchers[slot % this.#dispatchers.length] as Dispatcher;
  }

  /** Close the connections; in-flight requests fail when `force` is set. */
  async close(force: boolean): Promise<void> {
    await Promise.all(this.#dispatchers.map((d) => (force ? d.destroy() : d.close())));
  }
}
