/**
 * Per-arm recording: the latency histogram (from the intended send time), the service-time
 * histogram (from the actual send), one histogram per endpoint, a histogram for the current
 * 1-second interval, and counters. Fixed-size histograms keep memory flat in run length.
 */
import { createHistogram, type Histogram, recordMs } from '../hdr/histogram.js';
import { type ErrorClass, type ErrorCounts, emptyErrorCounts } from './error-class.js';
import { keepIfSlowest, type SlowestRequests } from './trace-context.js';

/** Counters kept per arm. */
export interface ArmCounters {
  /** Requests handed to a connection. */
  sent: number;
  /** Requests finished: a response, a transport error, or dropped. */
  requests: number;
  /** Requests that got an HTTP response (any status). */
  responses: number;
  /** Requests counted as errors (transport failures, timeouts, drops, HTTP 4xx/5xx). */
  errors: number;
  /** Requests sent more than LATE_AFTER_MS after their intended time. */
  late: number;
  /** Requests never sent: no connection came free before their timeout ran out. */
  dropped: number;
  /** Errors by class. */
  errorsByClass: ErrorCounts;
  /** Responses by HTTP status. */
  statusCodes: Record<string, number>;
  /**
   * Transport failures by the client's error code (UND_ERR_INVALID_ARG, ECONNRESET, …), so a
   * failure the classes lump together ("other") can still be named.
   */
  errorCodes: Record<string, number>;
}

/** A send this much behind schedule counts as late. */
export const LATE_AFTER_MS = 10;

/** A zeroed counter set. */
export function emptyCounters(): ArmCounters {
  return {
    sent: 0,
    requests: 0,
    responses: 0,
    errors: 0,
    late: 0,
    dropped: 0,
    errorsByClass: emptyErrorCounts(),
    statusCodes: {},
    errorCodes: {},
  };
}

/** Add `from` into `into`. */
export function addCounters(into: ArmCounters, from: ArmCounters): void {
  into.sent += from.sent;
  into.requests += from.requests;
  into.responses += from.responses;
  into.errors += from.errors;
  into.late += from.late;
  into.dropped += from.dropped;
  for (const key of Object.keys(from.errorsByClass) as ErrorClass[]) {
    into.errorsByClass[key] += from.errorsByClass[key];
  }
  for (const [status, count] of Object.entries(from.statusCodes)) {
    into.statusCodes[status] = (into.statusCodes[status] ?? 0) + count;
  }
  // Counters decoded from files written before errorCodes existed have none.
  for (const [code, count] of Object.entries(from.errorCodes ?? {})) {
    into.errorCodes[code] = (into.errorCodes[code] ?? 0) + count;
  }
}

/** `later` minus `earlier`: what was counted between the two. */
export function subtractCounters(later: ArmCounters, earlier: ArmCounters): ArmCounters {
  const out = emptyCounters();
  addCounters(out, later);
  out.sent -= earlier.sent;
  out.requests -= earlier.requests;
  out.responses -= earlier.responses;
  out.errors -= earlier.errors;
  out.late -= earlier.late;
  out.dropped -= earlier.dropped;
  for (const key of Object.keys(earlier.errorsByClass) as ErrorClass[]) {
    out.errorsByClass[key] -= earlier.errorsByClass[key];
  }
  const minus = (into: Record<string, number>, from: Record<string, number>): void => {
    for (const [key, count] of Object.entries(from)) {
      const left = (into[key] ?? 0) - count;
      if (left === 0) delete into[key];
      else into[key] = left;
    }
  };
  minus(out.statusCodes, earlier.statusCodes);
  minus(out.errorCodes, earlier.errorCodes ?? {});
  return out;
}

/** One endpoint's measurements within an arm. */
export interface EndpointMeasurements {
  /** Endpoint name ("GET /users" or the mix entry's name). */
  name: string;
  /** Finished requests. */
  requests: number;
  /** Errors among them. */
  errors: number;
  /** Latency from the intended send, µs. */
  latency: Histogram;
}

/** Everything measured for one arm. */
export interface ArmMeasurements {
  /** Arm name. */
  arm: string;
  /** The arm's base URL. */
  url: string;
  /** Counters. */
  counters: ArmCounters;
  /** Latency from the intended send time (coordinated-omission free in the open model), µs. */
  latency: Histogram;
  /** Service time from the actual send, µs. */
  service: Histogram;
  /** Per-endpoint measurements, in mix order. */
  endpoints: EndpointMeasurements[];
  /** The slowest traced requests, when requests carry trace context. */
  slowest?: SlowestRequests;
}

/** One arm's part of a 1-second interval. */
export interface IntervalArmSample {
  /** Requests finished in the interval. */
  requests: number;
  /** Errors in the interval. */
  errors: number;
  /** Latency of the interval's requests, µs. */
  latency: Histogram;
  /** Finished requests by status class: index 0 no response (transport error), 1–5 for 1xx–5xx. */
  statusClasses: number[];
}

/** A zeroed status-class count (see IntervalArmSample.statusClasses). */
export function emptyStatusClasses(): number[] {
  return [0, 0, 0, 0, 0, 0];
}

/** Records one arm. The engine calls it from the hot path, so it does no allocation per call. */
export class ArmRecorder {
  readonly arm: string;
  readonly url: string;
  readonly counters = emptyCounters();
  readonly latency = createHistogram();
  readonly service: Histogram;
  readonly endpoints: EndpointMeasurements[];
  /** Recording is skipped where two histograms are the same object (see the constructor). */
  readonly #separateService: boolean;
  readonly #separateEndpoints: boolean;
  #interval = createHistogram();
  #intervalRequests = 0;
  #intervalErrors = 0;
  #intervalClasses = emptyStatusClasses();
  #slowest: SlowestRequests | undefined;

  /**
   * `serviceIsLatency`: the closed model sends when it means to, so service time is latency and
   * one histogram serves both. With a single endpoint, its histogram is the arm's. Both save
   * recordings on the hot path without changing any figure.
   */
  constructor(
    arm: string,
    url: string,
    endpointNames: readonly string[],
    serviceIsLatency = false,
    /** Slowest traced requests to keep; 0 keeps none. */
    slowestLimit = 0,
  ) {
    this.arm = arm;
    if (slowestLimit > 0) this.#slowest = { limit: slowestLimit, requests: [] };
    this.url = url;
    this.#separateService = !serviceIsLatency;
    this.service = serviceIsLatency ? this.latency : createHistogram();
    this.#separateEndpoints = endpointNames.length > 1;
    this.endpoints = endpointNames.map((name) => ({
      name,
      requests: 0,
      errors: 0,
      latency: this.#separateEndpoints ? createHistogram() : this.latency,
    }));
  }

  /** A send; `lagMs` is how far behind its intended time it went out. */
  recordSend(lagMs: number): void {
    this.counters.sent++;
    if (lagMs > LATE_AFTER_MS) this.counters.late++;
  }

  /** A response with its status, latency from the intended send and service time. */
  recordResponse(
    endpoint: number,
    status: number,
    latencyMs: number,
    serviceMs: number,
    errorClass: ErrorClass | undefined,
  ): void {
    const c = this.counters;
    c.requests++;
    c.responses++;
    c.statusCodes[status] = (c.statusCodes[status] ?? 0) + 1;
    const ep = this.endpoints[endpoint] as EndpointMeasurements;
    ep.requests++;
    this.#intervalRequests++;
    const statusClass = (status / 100) | 0;
    const slot = statusClass >= 1 && statusClass <= 5 ? statusClass : 0;
    this.#intervalClasses[slot] = (this.#intervalClasses[slot] as number) + 1;
    if (errorClass !== undefined) {
      c.errors++;
      c.errorsByClass[errorClass]++;
      ep.errors++;
      this.#intervalErrors++;
    }
    recordMs(this.latency, latencyMs);
    if (this.#separateService) recordMs(this.service, serviceMs);
    if (this.#separateEndpoints) recordMs(ep.latency, latencyMs);
    recordMs(this.#interval, latencyMs);
  }

  /**
   * A failed exchange. Timeouts reach the histograms (at the timeout value, passed in by the
   * caller); other transport errors have no meaningful latency and are counted only.
   */
  recordFailure(
    endpoint: number,
    errorClass: ErrorClass,
    latencyMs: number | undefined,
    serviceMs: number | undefined,
  ): void {
    const c = this.counters;
    c.requests++;
    c.errors++;
    c.errorsByClass[errorClass]++;
    const ep = this.endpoints[endpoint] as EndpointMeasurements;
    ep.requests++;
    ep.errors++;
    this.#intervalRequests++;
    this.#intervalErrors++;
    this.#intervalClasses[0] = (this.#intervalClasses[0] as number) + 1;
    if (latencyMs !== undefined) {
      recordMs(this.latency, latencyMs);
      if (this.#separateEndpoints) recordMs(ep.latency, latencyMs);
      recordMs(this.#interval, latencyMs);
    }
    if (serviceMs !== undefined && this.#separateService) recordMs(this.service, serviceMs);
  }

  /** Count a transport failure by its error code (the class is counted by recordFailure). */
  recordErrorCode(error: Error): void {
    const code = (error as { code?: unknown }).code;
    const key = typeof code === 'string' ? code : error.name;
    const codes = this.counters.errorCodes;
    codes[key] = (codes[key] ?? 0) + 1;
  }

  /** A traced request finished: kept when it is among the arm's slowest. */
  recordTrace(
    endpoint: number,
    traceId: string,
    latencyMs: number,
    status: number,
    error: ErrorClass | undefined,
  ): void {
    const slowest = this.#slowest;
    if (slowest === undefined) return;
    const last = slowest.requests[slowest.requests.length - 1];
    if (slowest.requests.length >= slowest.limit && last !== undefined && latencyMs <= last.latencyMs) return;
    keepIfSlowest(slowest, {
      traceId,
      latencyMs,
      status,
      ...(error !== undefined ? { error } : {}),
      endpoint: this.endpoints[endpoint]?.name ?? '',
    });
  }

  /** A scheduled request that was never sent; it counts as a timeout at `timeoutMs`. */
  recordDrop(endpoint: number, timeoutMs: number): void {
    this.counters.dropped++;
    this.recordFailure(endpoint, 'timeout', timeoutMs, undefined);
  }

  /** Hand out the current interval's sample and start a new interval. */
  rotateInterval(): IntervalArmSample {
    const sample = {
      requests: this.#intervalRequests,
      errors: this.#intervalErrors,
      latency: this.#interval,
      statusClasses: this.#intervalClasses,
    };
    this.#interval = createHistogram();
    this.#intervalRequests = 0;
    this.#intervalErrors = 0;
    this.#intervalClasses = emptyStatusClasses();
    return sample;
  }

  /** A copy of the arm's measurements now, for measurements since a mark (merge.ts subtractArms). */
  snapshot(): ArmMeasurements {
    const copy = (h: Histogram): Histogram => {
      const out = createHistogram();
      out.add(h);
      return out;
    };
    const counters = emptyCounters();
    addCounters(counters, this.counters);
    const latency = copy(this.latency);
    return {
      arm: this.arm,
      url: this.url,
      counters,
      latency,
      service: this.#separateService ? copy(this.service) : latency,
      endpoints: this.endpoints.map((e) => ({
        name: e.name,
        requests: e.requests,
        errors: e.errors,
        latency: this.#separateEndpoints ? copy(e.latency) : latency,
      })),
      ...(this.#slowest ? { slowest: { limit: this.#slowest.limit, requests: [...this.#slowest.requests] } } : {}),
    };
  }

  /** The arm's measurements so far (live objects, not copies). */
  measurements(): ArmMeasurements {
    return {
      arm: this.arm,
      url: this.url,
      counters: this.counters,
      latency: this.latency,
      service: this.service,
      endpoints: this.endpoints,
      ...(this.#slowest ? { slowest: this.#slowest } : {}),
    };
  }
}
