/**
 * One arm's measurements in one step, and its two other forms: what the judge reads and what a
 * result or baseline file stores. `ArmMeasurements` (what the load engine and the proxy router
 * record) is the one type; `judgeArm` is the one conversion to the judge's input and
 * `encodeArm`/`decodeArm` the one encoder and decoder of a stored arm, whoever measured or stored it.
 */
import type { ArmStepMeasurements, ArmWindow } from '../gates/judge.js';
import { createHistogram, decodeHistogram, encodeHistogram, spectrumMs } from '../hdr/histogram.js';
import { emptyErrorCounts } from '../load/error-class.js';
import type { ArmMeasurements } from '../load/recorder.js';
import { emptyCounters } from '../load/recorder.js';
import type { TracedRequest } from '../load/trace-context.js';

export type { ArmMeasurements, ArmStepMeasurements };

/** One arm's measurements as a result (and, in part, a baseline file) stores them. */
export interface StoredArm {
  url: string;
  requests: number;
  errors: number;
  /** 429 responses among the errors. */
  throttled: number;
  errorsByClass: Record<string, number>;
  /** Transport failures by the client's error code (ECONNRESET, UND_ERR_INVALID_ARG, …); absent when none. */
  errorCodes?: Record<string, number>;
  latencyMs: Record<string, number>;
  /** HdrHistogram compressed base64, µs. */
  histogram: string;
  /** Per endpoint of the mix: counts and histogram. */
  endpoints: Record<string, StoredCounts>;
  /** The slowest traced requests, slowest first, with a link when tracing.urlTemplate is set. */
  slowest?: (TracedRequest & { url?: string })[];
}

/** Counts and a histogram: what a baseline file keeps of an arm and of each endpoint. */
export interface StoredCounts {
  requests: number;
  errors: number;
  throttled: number;
  /** HdrHistogram compressed base64, µs. */
  histogram: string;
}

/**
 * The judge's view of an arm measured over `durationMs`, with its per-second windows when the
 * measurer kept them (the windows hold a subset of the same requests; excluded ones are marked).
 */
export function judgeArm(m: ArmMeasurements, durationMs: number, windows?: readonly ArmWindow[]): ArmStepMeasurements {
  return {
    latency: m.latency,
    requests: m.counters.requests,
    errors: m.counters.errors,
    throttled: m.counters.errorsByClass.http429,
    durationMs,
    ...(windows && windows.length > 0 ? { windows } : {}),
  };
}

/** An arm with nothing measured (the canary at a weight that sends it nothing). */
export function emptyArm(arm: string, url: string): ArmMeasurements {
  return { arm, url, counters: emptyCounters(), latency: createHistogram(), service: createHistogram(), endpoints: [] };
}

/** One arm's measurements as a result stores them; `traceUrl` links the slowest traced requests. */
export function encodeArm(a: ArmMeasurements, traceUrl?: string): StoredArm {
  return {
    url: a.url,
    requests: a.counters.requests,
    errors: a.counters.errors,
    throttled: a.counters.errorsByClass.http429,
    errorsByClass: { ...a.counters.errorsByClass },
    ...(Object.keys(a.counters.errorCodes).length > 0 ? { errorCodes: { ...a.counters.errorCodes } } : {}),
    latencyMs: { ...spectrumMs(a.latency) },
    histogram: encodeHistogram(a.latency),
    endpoints: Object.fromEntries(
      a.endpoints.map((e) => [
        e.name,
        { requests: e.requests, errors: e.errors, throttled: 0, histogram: encodeHistogram(e.latency) },
      ]),
    ),
    ...(a.slowest && a.slowest.requests.length > 0
      ? {
          slowest: a.slowest.requests.map((r) => ({
            ...r,
            latencyMs: Math.round(r.latencyMs * 1000) / 1000,
            ...(traceUrl ? { url: traceUrl.replaceAll('{traceId}', r.traceId) } : {}),
          })),
        }
      : {}),
  };
}

/**
 * True when a stored arm had requests but not one latency (every request failed without a
 * response): its `latencyMs` are zeros, which reports must show as "no response", never "0 ms".
 */
export function noResponse(a: Pick<StoredArm, 'requests' | 'latencyMs'>): boolean {
  return a.requests > 0 && !((a.latencyMs.max ?? 0) > 0);
}

/** An arm's latency figure for a report: "12.3 ms", "no response", or "–" without the arm. */
export function latencyText(a: Pick<StoredArm, 'requests' | 'latencyMs'> | undefined, key: string): string {
  if (a === undefined) return '–';
  if (noResponse(a)) return 'no response';
  const v = a.latencyMs[key];
  return v === undefined ? '–' : `${v} ms`;
}

/** A histogram field that does not decode, named by where it is. */
export class StoredArmError extends Error {
  constructor(readonly field: string) {
    super(`${field}: not an HdrHistogram encoding`);
  }
}

/**
 * A stored arm (a result's, or a baseline file's counts) back as measurements: counters and
 * histograms; what is not stored (service time, sends) is empty. `at` names the arm in errors.
 */
export function decodeArm(
  stored: StoredCounts & { url?: string; endpoints?: Record<string, StoredCounts> },
  arm: string,
  at: string,
): ArmMeasurements {
  const decode = (encoded: string, field: string) => {
    try {
      return decodeHistogram(encoded);
    } catch {
      throw new StoredArmError(field);
    }
  };
  const counters = emptyCounters();
  counters.requests = stored.requests;
  counters.errors = stored.errors;
  // Results written before 429s were counted apart have no `throttled`.
  counters.errorsByClass = { ...emptyErrorCounts(), http429: stored.throttled ?? 0 };
  return {
    arm,
    url: stored.url ?? '',
    counters,
    latency: decode(stored.histogram, `${at}.histogram`),
    service: createHistogram(),
    endpoints: Object.entries(stored.endpoints ?? {}).map(([name, e]) => ({
      name,
      requests: e.requests,
      errors: e.errors,
      latency: decode(e.histogram, `${at}.endpoints.${name}.histogram`),
    })),
  };
}
