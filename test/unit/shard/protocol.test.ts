import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createHistogram, type Histogram, recordMs } from '../../../src/hdr/histogram.js';
import { emptyGeneratorSample } from '../../../src/load/generator-meter.js';
import { armFromWire, armToWire, mergeByArm } from '../../../src/load/merge.js';
import type { LoadPlan } from '../../../src/load/plan.js';
import { type ArmMeasurements, emptyCounters } from '../../../src/load/recorder.js';
import { boundedLines, LineTooLongError } from '../../../src/shard/lines.js';
import {
  type EndLine,
  formatShardLine,
  parseShardCommand,
  parseShardLine,
  SHARD_LIMITS,
  SHARD_PROTOCOL_VERSION,
  ShardProtocolViolation,
} from '../../../src/shard/protocol.js';
import { lateStart, START_LAG_LIMIT_MS, startLagLimitMs } from '../../../src/shard/shard.js';
import { parsePlanFile, shardSlice } from '../../../src/shard/split.js';
import { buckets } from '../../helpers/processes.js';

/** A deterministic generator of latencies with a long tail (ms). */
function latencies(count: number, seed: number): number[] {
  let s = seed;
  const next = (): number => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  return Array.from({ length: count }, () => {
    const u = next();
    return u < 0.99 ? 0.2 + next() * 20 : 50 + next() * 5000;
  });
}

function arm(values: readonly number[], endpoints: readonly string[]): ArmMeasurements {
  const latency = createHistogram();
  const service = createHistogram();
  const perEndpoint = endpoints.map((name) => ({ name, requests: 0, errors: 0, latency: createHistogram() }));
  const counters = emptyCounters();
  for (const ms of values) {
    recordMs(latency, ms);
    recordMs(service, ms / 2);
    // The endpoint follows from the sample, so a split keeps each sample's endpoint.
    const e = perEndpoint[Math.floor(ms) % perEndpoint.length] as (typeof perEndpoint)[number];
    e.requests++;
    recordMs(e.latency, ms);
    counters.sent++;
    counters.requests++;
    counters.responses++;
    counters.statusCodes['200'] = (counters.statusCodes['200'] ?? 0) + 1;
  }
  return { arm: 'target', url: 'http://127.0.0.1:1', counters, latency, service, endpoints: perEndpoint };
}

function endLine(shard: number, m: ArmMeasurements): EndLine {
  return {
    v: SHARD_PROTOCOL_VERSION,
    shard,
    type: 'end',
    intervals: 1,
    stopped: false,
    model: 'open',
    sendWindowMs: 1000,
    elapsedMs: 1000,
    completedPerSec: m.counters.responses,
    windowMs: 1000,
    arms: [armToWire(m)],
    signals: { ...emptyGeneratorSample(), connections: 1, durationMs: 1000, threads: 1 },
    limited: false,
    reasons: [],
    eventLoopDelayP99Ms: 0,
    cpuPercent: 0,
    startLagMs: 0,
  };
}

const PERCENTILES = [0, 1, 10, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 99.99, 100];

describe('shard protocol', () => {
  it('merges shards exactly: the merged histograms equal one histogram holding every sample', () => {
    const values = latencies(60_000, 7);
    const endpoints = ['GET /a', 'GET /b'];
    const single = arm(values, endpoints);
    const shards = 3;
    // Shard i takes samples i, i+N, … (as it takes the intended times of the schedule).
    const parts = Array.from({ length: shards }, (_, i) => values.filter((_, k) => k % shards === i));
    const read = parts.map((part, i) => {
      const line = parseShardLine(formatShardLine(endLine(i, arm(part, endpoints))));
      if (line.type !== 'end') throw new Error('expected the end line');
      return armFromWire(line.arms[0] as EndLine['arms'][number]);
    });
    const [merged] = mergeByArm(read);
    if (!merged) throw new Error('nothing merged');
    for (const pick of [(m: ArmMeasurements) => m.latency, (m: ArmMeasurements) => m.service]) {
      expect(buckets(pick(merged))).toEqual(buckets(pick(single)));
      expect(pick(merged).totalCount).toBe(values.length);
      for (const p of PERCENTILES)
        expect(pick(merged).getValueAtPercentile(p), `p${p}`).toBe(pick(single).getValueAtPercentile(p));
    }
    merged.endpoints.forEach((e, i) => {
      expect(buckets(e.latency)).toEqual(buckets(single.endpoints[i]?.latency as Histogram));
      expect(e.requests).toBe(single.endpoints[i]?.requests);
    });
    expect(merged.counters).toEqual(single.counters);
  });

  it('refuses a line of another version, a missing field, an oversized histogram or an overlong line', () => {
    const good = JSON.parse(formatShardLine(endLine(0, arm([1, 2, 3], ['GET /'])))) as Record<string, unknown>;
    expect(() => parseShardLine(JSON.stringify({ ...good, v: 1 }))).toThrow(/protocol version 2, found 1/);
    const { elapsedMs: _, ...missing } = good;
    expect(() => parseShardLine(JSON.stringify(missing))).toThrow(/elapsedMs/);
    const huge = structuredClone(good) as { arms: { latency: string }[] };
    (huge.arms[0] as { latency: string }).latency = 'A'.repeat(SHARD_LIMITS.maxHistogramChars + 1);
    expect(() => parseShardLine(JSON.stringify(huge))).toThrow(/arms\.0\.latency/);
    expect(() => parseShardLine(`"${'x'.repeat(SHARD_LIMITS.maxLineBytes)}"`)).toThrow(ShardProtocolViolation);
    expect(() => parseShardLine('not json')).toThrow(/expected one JSON object/);
    expect(() => parseShardCommand('{"type":"weights","weights":{"canary":"x"}}')).toThrow(/weights\.canary/);
  });

  it("reads an interval line's weight switch: its time and how late its command came, never negative", () => {
    const interval = {
      v: SHARD_PROTOCOL_VERSION,
      shard: 1,
      type: 'interval',
      index: 3,
      arms: [],
      generator: { ...emptyGeneratorSample(), startMs: 3000, limited: false, reasons: [] },
    };
    expect(parseShardLine(JSON.stringify(interval))).not.toHaveProperty('switched');
    const at = 1_764_752_400_000;
    const switched = {
      ...interval,
      switched: [
        { atEpochMs: at, lateMs: 0 },
        { atEpochMs: at + 1000, lateMs: 1350 },
      ],
    };
    expect(parseShardLine(JSON.stringify(switched))).toMatchObject({ switched: [{ lateMs: 0 }, { lateMs: 1350 }] });
    const early = { ...interval, switched: [{ atEpochMs: at, lateMs: -5 }] };
    expect(() => parseShardLine(JSON.stringify(early))).toThrow(/switched\.0\.lateMs/);
    const many = {
      ...interval,
      switched: Array.from({ length: SHARD_LIMITS.maxSwitchesPerLine + 1 }, () => ({ atEpochMs: at, lateMs: 0 })),
    };
    expect(() => parseShardLine(JSON.stringify(many))).toThrow(/switched/);
  });

  it('reads bounded lines, refusing one past the bound before it is whole', async () => {
    const lines: string[] = [];
    for await (const l of boundedLines(Readable.from(['a\nb', 'c\n', 'd']), 8)) lines.push(l);
    expect(lines).toEqual(['a', 'bc', 'd']);
    const tooLong = async (): Promise<void> => {
      for await (const _ of boundedLines(Readable.from(['x'.repeat(5), 'y'.repeat(5)]), 8)) {
      }
    };
    await expect(tooLong()).rejects.toThrow(LineTooLongError);
  });
});

const plan: LoadPlan = {
  targets: [{ arm: 'target', url: 'http://127.0.0.1:1', weight: 1 }],
  mix: [{ method: 'GET', path: '/', weight: 1 }],
  ratePerSec: 1000,
  durationMs: 2000,
  connections: 10,
  pipelining: 1,
  workers: 1,
  timeoutMs: 1000,
  maxRequests: 1001,
};

describe('shard split', () => {
  it('divides rate, connections and the request cap so the parts add up, and interleaves the schedules', () => {
    const slices = [0, 1, 2].map((i) => shardSlice(plan, i, 3));
    expect(slices.reduce((s, x) => s + (x.plan.ratePerSec ?? 0), 0)).toBeCloseTo(1000, 9);
    expect(slices.map((x) => x.plan.connections)).toEqual([4, 3, 3]);
    expect(slices.map((x) => x.plan.maxRequests)).toEqual([334, 334, 333]);
    // Shard i starts i slots (1 ms at 1000/s) after the common start.
    expect(slices.map((x) => x.phaseOffsetMs)).toEqual([0, 1, 2]);
  });

  it('refuses a plan file with bad fields, naming the file and the field', () => {
    const file = { v: SHARD_PROTOCOL_VERSION, shards: 20, plan };
    expect(() => parsePlanFile(JSON.stringify(file), 'plan.json')).toThrow(
      /plan\.json: invalid shard plan:[\s\S]*plan\.connections: expected at least one per worker thread/,
    );
    expect(() => parsePlanFile(JSON.stringify({ ...file, plan: { ...plan, ratePerSec: 'x' } }), 'p.json')).toThrow(
      /p\.json: invalid shard plan:[\s\S]*plan\.ratePerSec/,
    );
    expect(() => parsePlanFile('{', 'p.json')).toThrow(/p\.json: expected JSON/);
    expect(() => shardSlice(plan, 3, 3)).toThrow(/index: expected an integer from 0 to 2, found 3/);
  });
});

describe("a shard's late start", () => {
  it('is a start-lag reason past 100 ms, or past 5 % of a longer load', () => {
    expect(startLagLimitMs(600)).toBe(START_LAG_LIMIT_MS);
    expect(startLagLimitMs(60_000)).toBe(3000);
    expect(lateStart(90, 600)).toBeUndefined();
    expect(lateStart(101, 600)).toMatchObject({ code: 'start-lag' });
    expect(lateStart(101, 600)?.text).toMatch(/^the shard started its schedule 101 ms after the shards' common start/);
    // A minute's load: half a second late misses under 1 % of it at each end.
    expect(lateStart(500, 60_000)).toBeUndefined();
    expect(lateStart(3001, 60_000)?.code).toBe('start-lag');
  });
});
