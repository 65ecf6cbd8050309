/**
 * Pure merging of measurements from several generators (worker threads) or several arms, and
 * their wire form for postMessage. Histograms add bucket by bucket, so merges are exact.
 */
import { createHistogram, decodeHistogram, encodeHistogram, type Histogram } from '../hdr/histogram.js';
import {
  type ArmMeasurements,
  addCounters,
  emptyCounters,
  type IntervalArmSample,
  subtractCounters,
} from './recorder.js';
import { mergeSlowest, type SlowestRequests } from './trace-context.js';

/** ArmMeasurements with histograms encoded, safe to post between threads or store. */
export interface ArmMeasurementsWire {
  arm: string;
  url: string;
  counters: ArmMeasurements['counters'];
  latency: string;
  service: string;
  endpoints: { name: string; requests: number; errors: number; latency: string }[];
  slowest?: SlowestRequests;
}

/** Encode for transport. */
export function armToWire(m: ArmMeasurements): ArmMeasurementsWire {
  return {
    arm: m.arm,
    url: m.url,
    counters: m.counters,
    latency: encodeHistogram(m.latency),
    service: encodeHistogram(m.service),
    endpoints: m.endpoints.map((e) => ({
      name: e.name,
      requests: e.requests,
      errors: e.errors,
      latency: encodeHistogram(e.latency),
    })),
    ...(m.slowest ? { slowest: m.slowest } : {}),
  };
}

/** Decode from transport. */
export function armFromWire(w: ArmMeasurementsWire): ArmMeasurements {
  return {
    arm: w.arm,
    url: w.url,
    counters: w.counters,
    latency: decodeHistogram(w.latency),
    service: decodeHistogram(w.service),
    endpoints: w.endpoints.map((e) => ({
      name: e.name,
      requests: e.requests,
      errors: e.errors,
      latency: decodeHistogram(e.latency),
    })),
    ...(w.slowest ? { slowest: w.slowest } : {}),
  };
}

/**
 * Sum measurements into one; `arm` and `url` name the result. Endpoints are matched by name, so
 * parts with different mixes merge correctly.
 */
export function mergeArms(parts: readonly ArmMeasurements[], arm: string, url: string): ArmMeasurements {
  const merged: ArmMeasurements = {
    arm,
    url,
    counters: emptyCounters(),
    latency: createHistogram(),
    service: createHistogram(),
    endpoints: [],
  };
  const byName = new Map<string, ArmMeasurements['endpoints'][number]>();
  for (const part of parts) {
    addCounters(merged.counters, part.counters);
    merged.latency.add(part.latency);
    merged.service.add(part.service);
    for (const endpoint of part.endpoints) {
      let into = byName.get(endpoint.name);
      if (!into) {
        into = { name: endpoint.name, requests: 0, errors: 0, latency: createHistogram() };
        byName.set(endpoint.name, into);
        merged.endpoints.push(into);
      }
      into.requests += endpoint.requests;
      into.errors += endpoint.errors;
      into.latency.add(endpoint.latency);
    }
  }
  const slowest = mergeSlowest(parts.map((p) => p.slowest));
  if (slowest) merged.slowest = slowest;
  return merged;
}

/** Merge the same arm measured by several generators, keeping each arm apart. */
export function mergeByArm(parts: readonly ArmMeasurements[]): ArmMeasurements[] {
  const groups = new Map<string, ArmMeasurements[]>();
  for (const part of parts) {
    const group = groups.get(part.arm);
    if (group) group.push(part);
    else groups.set(part.arm, [part]);
  }
  return [...groups.values()].map((group) => mergeArms(group, group[0]?.arm ?? '', group[0]?.url ?? ''));
}

/** Interval sample with its histogram encoded. */
export interface IntervalArmSampleWire {
  requests: number;
  errors: number;
  latency: string;
  statusClasses: number[];
}

/** Encode an interval sample for transport. */
export function intervalToWire(s: IntervalArmSample): IntervalArmSampleWire {
  return {
    requests: s.requests,
    errors: s.errors,
    latency: encodeHistogram(s.latency),
    statusClasses: s.statusClasses,
  };
}

/** Decode an interval sample. */
export function intervalFromWire(w: IntervalArmSampleWire): IntervalArmSample {
  return {
    requests: w.requests,
    errors: w.errors,
    latency: decodeHistogram(w.latency),
    statusClasses: w.statusClasses,
  };
}

/** Bucket access that hdr-histogram-js's JS histograms provide. */
interface IndexAccess {
  countsArrayLength: number;
  getCountAtIndex(index: number): number;
  valueFromIndex(index: number): number;
  countsArrayIndex(value: number): number;
  maxValue: number;
  totalCount: number;
}

/**
 * `later` minus `earlier`, bucket by bucket, into a fresh histogram (hdr-histogram-js's own
 * subtract keeps the old maximum). Exact in counts; the maximum reads as its bucket's value, as
 * after an encode/decode round trip.
 */
export function subtractHistogram(later: Histogram, earlier: Histogram): Histogram {
  const out = createHistogram();
  const a = later as unknown as IndexAccess;
  const b = earlier as unknown as IndexAccess;
  if (a.totalCount === 0) return out;
  // No bucket above `later`'s greatest value holds a positive difference: a shard reads this every
  // second on its sending thread, where a pass over all ~23 000 buckets cost milliseconds.
  const top = Math.min(a.countsArrayLength - 1, a.countsArrayIndex(a.maxValue));
  for (let i = 0; i <= top; i++) {
    const count = a.getCountAtIndex(i) - (i < b.countsArrayLength ? b.getCountAtIndex(i) : 0);
    if (count > 0) out.recordValueWithCount(a.valueFromIndex(i), count);
  }
  return out;
}

/** What an arm measured between a snapshot (`earlier`, from ArmRecorder.snapshot) and `later`. */
export function subtractArms(later: ArmMeasurements, earlier: ArmMeasurements): ArmMeasurements {
  const latency = subtractHistogram(later.latency, earlier.latency);
  const sameService = later.service === later.latency;
  return {
    arm: later.arm,
    url: later.url,
    counters: subtractCounters(later.counters, earlier.counters),
    latency,
    service: sameService ? latency : subtractHistogram(later.service, earlier.service),
    endpoints: later.endpoints.map((e, i) => {
      const before = earlier.endpoints[i];
      const sameAsArm = e.latency === later.latency;
      return {
        name: e.name,
        requests: e.requests - (before?.requests ?? 0),
        errors: e.errors - (before?.errors ?? 0),
        latency: sameAsArm ? latency : before ? subtractHistogram(e.latency, before.latency) : e.latency,
      };
    }),
    // The slowest traced requests are a run-long list: kept as they are, not subtracted.
    ...(later.slowest ? { slowest: later.slowest } : {}),
  };
}
