import { describe, expect, it } from 'vitest';
import { classifySaturation, type StepLoadFigures } from '../../../src/capacity/saturation.js';
import { type GeneratorWindow, generatorLimit, generatorLimitAdvice } from '../../../src/load/generator-limit.js';

/** A calm second at 1000/s: 1 ms service, 100 connections, a quiet generator. */
const window = (over: Partial<GeneratorWindow> = {}): GeneratorWindow => ({
  due: 1000,
  sent: 1000,
  issuedBehind: 0,
  late: 0,
  waitMsSum: 300,
  responses: 1000,
  serviceMsSum: 1000,
  busyMax: 5,
  connections: 100,
  loopDelayP99Ms: 1,
  cpuPercent: 20,
  durationMs: 1000,
  threads: 1,
  ...over,
});

describe('generator limit', () => {
  it('finds nothing when the schedule was kept and nothing waited', () => {
    expect(generatorLimit(window())).toEqual({ limited: false, reasons: [], warnings: [] });
  });

  it('says schedule lag when the generator issued requests behind schedule', () => {
    const limit = generatorLimit(window({ issuedBehind: 50, loopDelayP99Ms: 42, cpuPercent: 99 }));
    expect(limit.limited).toBe(true);
    expect(limit.reasons.map((r) => r.code)).toEqual(['schedule-lag']);
    expect(limit.reasons[0]?.text).toContain('issued 5% of requests more than 10 ms behind schedule');
    expect(limit.reasons[0]?.text).toContain('event-loop delay p99 42 ms, CPU 99% of a core');
    expect(generatorLimitAdvice(limit, 1)).toContain('--workers 2');
  });

  it('tolerates a GC pause: a few behind is neither 1 % nor 20 requests', () => {
    expect(generatorLimit(window({ issuedBehind: 10 })).limited).toBe(false);
    expect(generatorLimit(window({ due: 190, sent: 190, issuedBehind: 4 })).limited).toBe(false);
    expect(generatorLimit(window({ due: 190, sent: 190, issuedBehind: 25 })).limited).toBe(true);
  });

  it('blames its own backlog when sends waited for a connection while it was busy and the service was quick', () => {
    const limit = generatorLimit(
      window({ late: 900, waitMsSum: 900 * 400, cpuPercent: 90, loopDelayP99Ms: 18, busyMax: 100 }),
    );
    expect(limit.limited).toBe(true);
    expect(limit.reasons[0]?.code).toBe('busy-backlog');
    expect(limit.reasons[0]?.text).toContain("the queue was the generator's");
  });

  it('blames the connection cap when every connection was busy and the rate needs more at that service time', () => {
    // 1000/s at 20 ms a request needs about 20 connections; there are 2.
    const limit = generatorLimit(
      window({ late: 990, waitMsSum: 990 * 3000, serviceMsSum: 100 * 20, responses: 100, busyMax: 2, connections: 2 }),
    );
    expect(limit.limited).toBe(true);
    expect(limit.reasons[0]?.code).toBe('connection-cap');
    expect(limit.reasons[0]?.text).toContain('needs about 20');
    expect(generatorLimitAdvice(limit, 1)).toContain('--connections');
  });

  it('does not blame the generator for a stalling service: the wait came from stalls, connections to spare', () => {
    // wrk2's picture: 200 ms stalls each second at 400/s on one connection. Most requests wait
    // for the stalled one, but the mean service time is small: one connection is enough.
    const limit = generatorLimit(
      window({
        due: 400,
        sent: 400,
        late: 60,
        waitMsSum: 60 * 100,
        responses: 400,
        serviceMsSum: 400 + 200,
        busyMax: 1,
        connections: 1,
      }),
    );
    expect(limit.limited).toBe(false);
    expect(limit.warnings[0]).toContain('waited for a free connection');
  });

  it('does not blame the cap when the caller knows the service time was unhealthy', () => {
    const figures = window({
      late: 990,
      waitMsSum: 990 * 3000,
      serviceMsSum: 100 * 20,
      responses: 100,
      busyMax: 2,
      connections: 2,
    });
    expect(generatorLimit(figures, { serviceTimeHealthy: false }).limited).toBe(false);
  });

  it('warns, without blaming itself, when only busy', () => {
    const limit = generatorLimit(window({ cpuPercent: 80 }));
    expect(limit.limited).toBe(false);
    expect(limit.warnings[0]).toContain('the generator was busy');
    expect(generatorLimit(window({ cpuPercent: 80, threads: 2 })).warnings).toEqual([]);
  });
});

describe("generator limit subsumes capacity's saturation rule", () => {
  // Every case of test/unit/capacity/saturation.test.ts, as the generator rule sees it: the same
  // steps give "generator" exactly when the new rule says limited.
  const step = (over: Partial<StepLoadFigures> = {}): StepLoadFigures => ({
    offeredPerSec: 1000,
    scheduled: 2000,
    issuedBehind: 0,
    late: 0,
    dropped: 0,
    throughputPerSec: 1000,
    eventLoopDelayP99Ms: 1,
    cpuPercent: 30,
    workers: 1,
    sloPass: true,
    serviceTimeMeetsSlo: true,
    ...over,
  });
  const asWindow = (s: StepLoadFigures): GeneratorWindow => ({
    due: s.scheduled,
    sent: s.scheduled - s.dropped,
    issuedBehind: s.issuedBehind,
    late: s.late,
    waitMsSum: 0,
    responses: Math.round((s.throughputPerSec * s.scheduled) / s.offeredPerSec),
    serviceMsSum: 0,
    busyMax: 0,
    connections: 100,
    loopDelayP99Ms: s.eventLoopDelayP99Ms,
    cpuPercent: s.cpuPercent,
    durationMs: (s.scheduled / s.offeredPerSec) * 1000,
    threads: s.workers,
  });
  const cases: Partial<StepLoadFigures>[] = [
    {},
    { issuedBehind: 500, eventLoopDelayP99Ms: 42, cpuPercent: 99 },
    { issuedBehind: 500, eventLoopDelayP99Ms: 42, cpuPercent: 99, sloPass: false },
    { issuedBehind: 20 },
    { scheduled: 190, issuedBehind: 4 },
    { scheduled: 190, issuedBehind: 25 },
    { sloPass: false, late: 600, dropped: 12, throughputPerSec: 700, serviceTimeMeetsSlo: false },
    { sloPass: false, late: 600, serviceTimeMeetsSlo: true },
    {
      offeredPerSec: 100_000,
      scheduled: 100_000,
      late: 92_025,
      throughputPerSec: 46_000,
      cpuPercent: 79.8,
      eventLoopDelayP99Ms: 18.05,
      sloPass: false,
      serviceTimeMeetsSlo: true,
    },
    { late: 900, cpuPercent: 85, eventLoopDelayP99Ms: 20, sloPass: false, serviceTimeMeetsSlo: false },
    { cpuPercent: 80 },
    { cpuPercent: 80, workers: 2 },
  ];
  it.each(cases.map((c, i) => [i, c] as const))('case %i', (_i, over) => {
    const s = step(over);
    const old = classifySaturation(s).limitedBy === 'generator';
    expect(generatorLimit(asWindow(s), { serviceTimeHealthy: s.serviceTimeMeetsSlo }).limited).toBe(old);
  });
});
