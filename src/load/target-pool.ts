/**
 * One target at run time: its keep-alive connections (one undici Client each, opened on demand up
 * to the cap), its requests pre-built once per endpoint, its recorder, its backlog, and the
 * exchanges in flight (so the whole-exchange deadline can cut them).
 *
 * Why one Client per connection and our own free list rather than an undici Pool: a Pool keeps
 * its own hidden queue and scans its clients on every dispatch, and a client just freed is not
 * free to it until its 'drain' event, so the Pool opens and spreads requests over cold
 * connections as load rises — at 20 000/s with 1 000 connections that made the generator's own
 * CPU the bottleneck and built a backlog it never drained (docs/benchmarks.md). Here a freed
 * connection is reused at once, last freed first, so a few hot connections carry the load and
 * the others absorb bursts.
 *
 * Plain `http:` targets at pipelining 1 whose requests are all ordinary go out on the lean
 * HTTP/1.1 connection (h1-connection.ts: pre-serialized requests, no streams), which costs the
 * generator far less CPU per request. https targets, pipelining above 1 (the closed model's), and
 * a request the lean path would have to judge the way undici does (a path or method it refuses,
 * framing headers such as content-length, connection, expect, upgrade) keep undici, whose checks
 * and errors (UND_ERR_INVALID_ARG) then apply unchanged.
 */
import { Client } from 'undici';
import { Backlog } from './fifo.js';
import { H1Connection } from './h1-connection.js';
import { serializeRequest, type WireRequest } from './h1-request.js';
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
  /** The request serialized once for the lean connection; undefined on an undici target. */
  wire: WireRequest | undefined;
}

/** Endpoint name of a mix entry: its own name, else "METHOD path". */
export function endpointName(spec: RequestSpec): string {
  return spec.name ?? `${spec.method} ${spec.path}`;
}

/** Options for a target's connections. */
export interface TargetPoolOptions {
  /** Most connections to open. */
  connections: number;
  /** Requests in flight per connection. */
  pipelining: number;
  /** Connect timeout; the whole exchange is bounded by the models' deadline sweep. */
  timeoutMs: number;
  /**
   * The model that drives this target. The closed model keeps each slot on its own connection
   * (slot mod connections); its service time is its latency.
   */
  model: LoadModel;
  /** Trace context on a share of requests. */
  tracing?: TracingPlan;
  /** Most due-but-unsent requests the backlog holds (open model). */
  backlogCapacity: number;
}

/**
 * What the deadline sweep needs of an exchange in flight. A structural type rather than an import
 * of exchange.ts, which imports this file (the architecture test forbids import cycles).
 */
export interface ActiveExchange {
  readonly sentMs: number;
  expire(timeoutMs: number): void;
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
  readonly backlog: Backlog;
  /** The exchange in flight per slot (open model: per connection), for the deadline sweep. */
  readonly active: (ActiveExchange | undefined)[];
  /** Each target walks the mix on its own, so every arm sees the mix in its exact proportions. */
  readonly #mix: WeightedPicker<PreparedRequest>;
  readonly #origin: string;
  readonly #clientOptions: Client.Options;
  readonly #clients: (Client | undefined)[];
  /** Lean connections (a plain http: target), else undefined. */
  readonly #h1: (H1Connection | undefined)[] | undefined;
  readonly #h1Origin: { host: string; port: number; connectTimeoutMs: number };
  /** Free connections, last freed on top (open model). */
  readonly #free: number[] = [];
  #opened = 0;
  #closed = false;

  constructor(spec: TargetSpec, mix: readonly RequestSpec[], options: TargetPoolOptions) {
    const url = new URL(spec.url);
    this.spec = spec;
    this.#origin = url.origin;
    this.limit = options.connections * options.pipelining;
    this.#clientOptions = {
      pipelining: options.pipelining,
      connect: { timeout: options.timeoutMs },
      // The models' deadline sweep bounds every exchange as a whole; undici's idle timers would
      // only add two timer updates per request on the hot path.
      headersTimeout: 0,
      bodyTimeout: 0,
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
    };
    this.#clients = new Array<Client | undefined>(options.connections).fill(undefined);
    this.active = new Array<ActiveExchange | undefined>(this.limit).fill(undefined);
    this.backlog = new Backlog(options.backlogCapacity);
    const closed = options.model === 'closed';
    this.recorder = new ArmRecorder(spec.arm, spec.url, mix.map(endpointName), closed, options.tracing?.slowest ?? 0);
    this.tracer = options.tracing && options.tracing.sample > 0 ? new TraceSampler(options.tracing.sample) : undefined;
    const basePath = url.pathname.replace(/\/+$/, '');
    const host = url.host;
    const requests = mix.map((request, endpoint) => {
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
          headersTimeout: 0,
          bodyTimeout: 0,
          // undici holds back pipelining behind any non-HEAD request unless told it won't block.
          blocking: false,
        },
      };
    });
    const wires =
      url.protocol === 'http:' && options.pipelining === 1
        ? requests.map((r) => serializeRequest(r.options.method, r.options.path, r.options.headers, r.options.body))
        : [];
    const lean = wires.length > 0 && wires.every((w) => w !== undefined);
    this.requests = requests.map((r, i) => ({ ...r, wire: lean ? wires[i] : undefined }));
    this.#h1 = lean ? new Array<H1Connection | undefined>(options.connections).fill(undefined) : undefined;
    this.#h1Origin = {
      host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port === '' ? 80 : Number(url.port),
      connectTimeoutMs: options.timeoutMs,
    };
    this.#mix = new WeightedPicker(this.requests.map((request, i) => ({ item: request, weight: mix[i]?.weight ?? 0 })));
  }

  /** The next request of the mix for this target. */
  nextRequest(): PreparedRequest {
    return this.#mix.next();
  }

  /** Connections opened so far. */
  get opened(): number {
    return this.#opened;
  }

  /** Connections busy now (open model). */
  get busy(): number {
    return this.#opened - this.#free.length;
  }

  /**
   * A free connection for one request (open model), opening one while under the cap; -1 when
   * every connection is busy.
   */
  acquire(): number {
    const free = this.#free.pop();
    if (free !== undefined) return free;
    if (this.#opened < this.#clients.length && !this.#closed) return this.#opened++;
    return -1;
  }

  /** Give a connection back once its exchange is over. */
  release(connection: number): void {
    this.#free.push(connection);
  }

  /** The client of connection `index` (closed model: slot mod connections), created on first use. */
  client(index: number): Client {
    const at = index % this.#clients.length;
    let client = this.#clients[at];
    if (client === undefined) {
      client = new Client(this.#origin, this.#clientOptions);
      this.#clients[at] = client;
    }
    return client;
  }

  /** Whether this target's requests go out on lean connections (h1-connection.ts). */
  get lean(): boolean {
    return this.#h1 !== undefined;
  }

  /** The lean connection `index` (closed model: slot mod connections), created on first use. */
  h1(index: number): H1Connection {
    const all = this.#h1;
    if (all === undefined) throw new RangeError('not a lean target');
    const at = index % all.length;
    let connection = all[at];
    if (connection === undefined) {
      connection = new H1Connection(this.#h1Origin);
      all[at] = connection;
    }
    return connection;
  }

  /** Cut every exchange in flight for `timeoutMs` or longer since it was sent. */
  expireOverdue(now: number, timeoutMs: number): void {
    const active = this.active;
    for (let i = 0; i < active.length; i++) {
      const exchange = active[i];
      if (exchange !== undefined && now - exchange.sentMs >= timeoutMs) exchange.expire(timeoutMs);
    }
  }

  /** Close the connections; in-flight requests fail when `force` is set. */
  async close(force: boolean): Promise<void> {
    this.#closed = true;
    await Promise.all([
      ...this.#clients.map((c) => (c === undefined ? undefined : force ? c.destroy() : c.close())),
      ...(this.#h1 ?? []).map((c) => c?.close(force)),
    ]);
  }
}
