import { describe, expect, it } from 'vitest';
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
