/**
 * The proxy router: a weighted reverse proxy (node:http in, undici out) that real traffic passes
 * through. Without stickiness requests are split by smooth weighted round-robin; with it, a
 * client's header or cookie value is hashed to a bucket 0–99 and the bucket decides the arm, so a
 * client stays on one arm while the weight only grows. Each arm's latency of the traffic it
 * carried is recorded.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { pipeline } from 'node:stream/promises';
import { Pool } from 'undici';
import { RouterError } from '../../errors.js';
import { classifyStatus, classifyTransportError } from '../../load/error-class.js';
import { type ArmMeasurements, ArmRecorder } from '../../load/recorder.js';
import { WeightedPicker } from '../../load/weighted-picker.js';
import { type ArmMeasurer, type Router, SAFE_WEIGHT, type WeightChange } from './router.js';

/** Proxy router options. */
export interface ProxyRouterOptions {
  /** host:port to listen on (port 0 picks one). */
  listen: string;
  baselineUrl: string;
  canaryUrl: string;
  sticky?: { header: string } | { cookie: string };
  timeoutMs?: number;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'host',
]);

/** FNV-1a, 32 bits: a fast, stable hash for sticky buckets. */
export function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

type Arm = 'baseline' | 'canary';

/** Proxy router. */
export class ProxyRouter implements Router {
  readonly type = 'proxy';
  /** The proxy measures each arm of the traffic it carries. */
  readonly measuresArms: ArmMeasurer = {
    startMeasuring: (fromMs) => this.startMeasuring(fromMs),
    measurements: () => this.measurements(),
  };
  /** Latency of the proxied traffic, per arm (from request arrival to the end of the response). */
  #recorders: Record<Arm, ArmRecorder>;
  /** Requests that arrive before this time (performance.now() ms) are not recorded (warm-up). */
  #measureFromMs = 0;
  #closed = false;
  readonly #options: ProxyRouterOptions;
  readonly #pools: Record<Arm, Pool>;
  readonly #server: Server;
  #weight = 0;
  #picker = new WeightedPicker<Arm>([{ item: 'baseline', weight: 1 }]);
  #listening: Promise<void> | undefined;

  constructor(options: ProxyRouterOptions) {
    this.#options = options;
    const timeout = options.timeoutMs ?? 30_000;
    const pool = (url: string) =>
      new Pool(new URL(url).origin, { connections: 256, headersTimeout: timeout, bodyTimeout: timeout });
    this.#pools = { baseline: pool(options.baselineUrl), canary: pool(options.canaryUrl) };
    this.#recorders = this.#freshRecorders();
    this.#server = createServer((req, res) => {
      const arm = this.#armFor(req.headers);
      const started = performance.now();
      const recorder = started >= this.#measureFromMs ? this.#recorders[arm] : undefined;
      const headers: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
      }
      headers['x-canary-gate-arm'] = arm;
      const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
      this.#pools[arm]
        .request({ method: req.method as 'GET', path: req.url ?? '/', headers, body: hasBody ? req : null })
        .then(async (upstream) => {
          const out: Record<string, string | string[]> = {};
          for (const [name, value] of Object.entries(upstream.headers)) {
            if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
          }
          out['x-canary-gate-arm'] = arm;
          res.writeHead(upstream.statusCode, out);
          await pipeline(upstream.body, res);
          const ms = performance.now() - started;
          recorder?.recordResponse(0, upstream.statusCode, ms, ms, classifyStatus(upstream.statusCode));
        })
        .catch((error: unknown) => {
          const errorClass = classifyTransportError(error);
          recorder?.recordFailure(0, errorClass, undefined, undefined);
          // Mid-body, the client must see a broken response, not error text glued onto a body.
          if (res.headersSent) {
            res.destroy();
            return;
          }
          res.writeHead(502, { 'content-type': 'text/plain', 'x-canary-gate-arm': arm });
          res.end(`canary-gate proxy: ${arm} failed (${errorClass})`);
        });
    });
    this.#server.keepAliveTimeout = 60_000;
  }

  #freshRecorders(): Record<Arm, ArmRecorder> {
    return {
      baseline: new ArmRecorder('baseline', this.#options.baselineUrl, ['proxied']),
      canary: new ArmRecorder('canary', this.#options.canaryUrl, ['proxied']),
    };
  }

  /** Start a new measurement: fresh recorders; requests arriving before `fromMs` are not recorded. */
  startMeasuring(fromMs: number): void {
    this.#recorders = this.#freshRecorders();
    this.#measureFromMs = fromMs;
  }

  /** What was measured since startMeasuring, per arm. */
  measurements(): ArmMeasurements[] {
    return [this.#recorders.baseline.measurements(), this.#recorders.canary.measurements()];
  }

  /** Start listening; resolves with the base URL clients should use. */
  async listen(): Promise<string> {
    const [host, port] = splitHostPort(this.#options.listen);
    this.#listening ??= new Promise<void>((resolve, reject) => {
      this.#server.once('error', (error) =>
        reject(new RouterError(`proxy router: cannot listen on ${this.#options.listen}: ${error.message}`)),
      );
      this.#server.listen(port, host, () => resolve());
    });
    await this.#listening;
    return this.url();
  }

  /** The proxy's base URL (after listen). */
  url(): string {
    const { address, port } = this.#server.address() as AddressInfo;
    return `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  }

  #armFor(headers: IncomingHttpHeaders): Arm {
    const sticky = this.#options.sticky;
    if (sticky) {
      const key =
        'header' in sticky ? headers[sticky.header.toLowerCase()] : cookieValue(headers.cookie, sticky.cookie);
      const value = Array.isArray(key) ? key[0] : key;
      if (value !== undefined) return fnv1a(value) % 100 < this.#weight ? 'canary' : 'baseline';
    }
    return this.#picker.next();
  }

  async setWeight(change: WeightChange): Promise<void> {
    this.#weight = change.weight;
    this.#picker = new WeightedPicker<Arm>([
      { item: 'baseline', weight: 100 - change.weight },
      { item: 'canary', weight: change.weight },
    ]);
  }

  async reset(run: string): Promise<void> {
    await this.setWeight({ weight: SAFE_WEIGHT, step: -1, run });
  }

  describe(): string {
    return `proxy on ${this.#options.listen}${this.#options.sticky ? ' (sticky)' : ''}`;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#server.listening) {
      this.#server.closeAllConnections();
      await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    }
    await Promise.all([this.#pools.baseline.close(), this.#pools.canary.close()]);
  }
}

function splitHostPort(listen: string): [string, number] {
  const colon = listen.lastIndexOf(':');
  return [listen.slice(0, colon).replace(/^\[|\]$/g, ''), Number(listen.slice(colon + 1))];
}
