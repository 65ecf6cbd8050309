/**
 * W3C trace context for sampled requests, and the slowest traced requests of an arm. A sampled
 * request carries `traceparent: 00-<trace id>-<span id>-01`; when it finishes among the slowest
 * of its arm, its trace id, status and latency are kept, so a report can link to the trace.
 */
import { randomFillSync } from 'node:crypto';

/** A traced request kept because it was among the slowest. */
export interface TracedRequest {
  /** W3C trace id, 32 lower-case hex digits. */
  traceId: string;
  /** Latency from the intended send, ms. */
  latencyMs: number;
  /** HTTP status; 0 when no response came (then `error` says why). */
  status: number;
  /** Error class of a failed request ("timeout", "reset", …). */
  error?: string;
  /** Endpoint name. */
  endpoint: string;
}

/** The slowest traced requests of an arm, slowest first, at most `limit`. */
export interface SlowestRequests {
  limit: number;
  requests: TracedRequest[];
}

/** Tracing settings of a load plan. */
export interface TracingPlan {
  /** Share of requests that carry a traceparent, 0–1. */
  sample: number;
  /** Slowest traced requests kept per arm. */
  slowest: number;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Hands out trace contexts for a share of requests; ids come from a refilled random pool. */
export class TraceSampler {
  readonly #sample: number;
  readonly #pool = Buffer.allocUnsafe(24 * 512);
  #at = this.#pool.length;

  constructor(sample: number) {
    this.#sample = sample;
  }

  /** A trace id and its traceparent header for a sampled request, or undefined. */
  next(): { traceId: string; header: string } | undefined {
    if (this.#sample < 1 && Math.random() >= this.#sample) return undefined;
    if (this.#at + 24 > this.#pool.length) {
      randomFillSync(this.#pool);
      this.#at = 0;
    }
    let traceId = '';
    for (let i = 0; i < 16; i++) traceId += HEX[this.#pool[this.#at + i] as number];
    let spanId = '';
    for (let i = 16; i < 24; i++) spanId += HEX[this.#pool[this.#at + i] as number];
    this.#at += 24;
    return { traceId, header: `00-${traceId}-${spanId}-01` };
  }
}

/** Keep `r` if it is among the `limit` slowest of `into` (sorted slowest first). */
export function keepIfSlowest(into: SlowestRequests, r: TracedRequest): void {
  const list = into.requests;
  if (list.length >= into.limit && r.latencyMs <= (list[list.length - 1]?.latencyMs ?? 0)) return;
  let i = list.length;
  while (i > 0 && (list[i - 1] as TracedRequest).latencyMs < r.latencyMs) i--;
  list.splice(i, 0, r);
  if (list.length > into.limit) list.length = into.limit;
}

/** The slowest of several lists. */
export function mergeSlowest(parts: readonly (SlowestRequests | undefined)[]): SlowestRequests | undefined {
  const present = parts.filter((p): p is SlowestRequests => p !== undefined);
  if (present.length === 0) return undefined;
  const merged: SlowestRequests = { limit: Math.max(...present.map((p) => p.limit)), requests: [] };
  for (const p of present) for (const r of p.requests) keepIfSlowest(merged, r);
  return merged;
}
