import { describe, expect, it } from 'vitest';
import { classifySaturation, generatorSuggestion, type StepLoadFigures } from '../../../src/capacity/saturation.js';
import type { GeneratorWindow } from '../../../src/load/generator-limit.js';

/** A calm 2 s step at 1000/s: 1 ms service, 100 connections, a quiet generator. */
const window = (over: Partial<GeneratorWindow> = {}): GeneratorWindow => ({
  due: 2000,
  sent: 2000,
  issuedBehind: 0,
  late: 0,
  waitMsSum: 600,
  responses: 2000,
  peerFailures: 0,
  serviceMsSum: 2000,
  busyMax: 5,
  connections: 100,
  loopDelayP99Ms: 1,
  cpuPercent: 30,
  durationMs: 2000,
  threads: 1,
  ...over,
});

const step = (over: Partial<StepLoadFigures> = {}, generator: Partial<GeneratorWindow> = {}): StepLoadFigures => ({
  offeredPerSec: 1000,
  scheduled: 2000,
  late: generator.late ?? 0,
  dropped: 0,
  throughputPerSec: 1000,
  generator: window(generator),
  seconds: [],
  sloPass: true,
  serviceTimeMeetsSlo: true,
  ...over,
});

describe('saturation classifier', () => {
  it('finds nothing limiting when the SLO holds and the schedule was kept', () => {
    expect(classifySaturation(step())).toEqual({ limitedBy: 'none', reasons: [], warnings: [] });
  });

  it('blames the generator when it issued requests behind schedule, whatever the SLO says', () => {
    for (const sloPass of [true, false]) {
      const s = classifySaturation(step({ sloPass }, { issuedBehind: 500, loopDelayP99Ms: 42, cpuPercent: 99 }));
      expect(s.limitedBy).toBe('generator');
      expect(s.reasons[0]).toContain('issued 25% of requests more than 10 ms behind schedule');
      expect(s.reasons[0]).toContain('event-loop delay p99 42 ms, CPU 99% of a core');
      expect(s.reasons[0]).toContain("the limit is the generator's, not the service's");
      expect(s.advice).toContain('--workers 2');
    }
  });

  it('blames the generator for shards that started apart, even where the service broke the SLO or kept it', () => {
    const lag = {
      code: 'start-lag' as const,
      text: "shard 1: the shard started its schedule 600 ms after the shards' common start",
    };
    for (const sloPass of [true, false]) {
      const s = classifySaturation(step({ sloPass, startLags: [lag] }));
      expect(s.limitedBy).toBe('generator');
      expect(s.reasons[0]).toMatch(/^shard 1: the shard started its schedule 600 ms after/);
      expect(s.advice).toMatch(/^start the shards further ahead/);
    }
    expect(classifySaturation(step({ startLags: [] })).limitedBy).toBe('none');
  });

  it('tolerates a few requests behind schedule (a GC pause), as a fraction and as a count', () => {
    expect(classifySaturation(step({}, { issuedBehind: 20 })).limitedBy).toBe('none');
    expect(classifySaturation(step({ scheduled: 190 }, { due: 190, sent: 190, issuedBehind: 4 })).limitedBy).toBe(
      'none',
    );
    expect(classifySaturation(step({ scheduled: 190 }, { due: 190, sent: 190, issuedBehind: 25 })).limitedBy).toBe(
      'generator',
    );
  });

  it('blames the generator when one of its seconds fell behind by more than the tail, though the step on average kept up', () => {
    // Second 1 of 2: 600 of its 1000 requests issued behind (a busy neighbour). The step's whole
    // figures are left calm, as an average over a longer step can be: only its seconds say so.
    const second = (index: number, issuedBehind: number) => ({
      ...window({ due: 1000, sent: 1000, responses: 1000, serviceMsSum: 1000, durationMs: 1000 }),
      issuedBehind,
      late: issuedBehind,
      dropped: 0,
      startMs: index * 1000,
    });
    const calm = step({ seconds: [second(0, 0), second(1, 600)] });
    const s = classifySaturation(calm);
    expect(s.limitedBy).toBe('generator');
    expect(s.reasons[0]).toMatch(
      /^seconds 1 \(1 of 2\) were generator-limited and sent 30% of the measured requests late/,
    );
    expect(s.advice).toContain('--workers 2');
    expect(classifySaturation({ ...calm, seconds: [second(0, 0), second(1, 0)] }).limitedBy).toBe('none');
  });

  it('blames the server when the SLO broke with the generator clear, naming the signs', () => {
    const s = classifySaturation(
      step(
        { sloPass: false, dropped: 12, throughputPerSec: 700, serviceTimeMeetsSlo: false },
        { late: 600, busyMax: 100, waitMsSum: 600 * 50, serviceMsSum: 2000 * 80 },
      ),
    );
    expect(s.limitedBy).toBe('server');
    expect(s.reasons).toEqual([
      'the SLO broke while the generator kept its schedule',
      'throughput 700/s fell short of the 1000/s offered',
      '30% of sends waited for a free connection',
      '12 requests were dropped (no connection came free in time)',
    ]);
    expect(s.advice).toBeUndefined();
  });

  it('blames the connection cap when every connection was busy and the rate needs more at a healthy service time', () => {
    // 1000/s at 20 ms a request needs about 20 connections; there are 2.
    const s = classifySaturation(
      step(
        { sloPass: false, throughputPerSec: 100 },
        { late: 1980, waitMsSum: 1980 * 3000, responses: 200, serviceMsSum: 200 * 20, busyMax: 2, connections: 2 },
      ),
    );
    expect(s.limitedBy).toBe('generator');
    expect(s.reasons[0]).toContain('all 2 connections were busy');
    expect(s.advice).toContain('--connections');
    expect(generatorSuggestion(1, s.advice)).toContain('raise --connections');
  });

  it('warns, without blaming the cap, when sends waited but connections were to spare', () => {
    const s = classifySaturation(step({ sloPass: false }, { late: 600, waitMsSum: 600 * 30 }));
    expect(s.limitedBy).toBe('server');
    expect(s.warnings[0]).toContain('waited for a free connection');
  });

  it('blames the generator when the backlog was its own: fast service, busy generator', () => {
    // nginx offered 100000/s from one thread: 46000/s sent, no schedule lag, CPU 80 %, loop p99 18 ms.
    const s = classifySaturation(
      step(
        { offeredPerSec: 100_000, scheduled: 100_000, throughputPerSec: 46_000, sloPass: false },
        {
          due: 100_000,
          sent: 100_000,
          late: 92_025,
          waitMsSum: 92_025 * 200,
          responses: 46_000,
          serviceMsSum: 46_000 * 2,
          cpuPercent: 79.8,
          loopDelayP99Ms: 18.05,
          durationMs: 1000,
        },
      ),
    );
    expect(s.limitedBy).toBe('generator');
    expect(s.reasons[0]).toContain('92% of sends waited for a free connection');
    expect(s.reasons[0]).toContain("the queue was the generator's");
  });

  it('blames the server when the service time broke the SLO, however busy the generator', () => {
    const s = classifySaturation(
      step(
        { sloPass: false, serviceTimeMeetsSlo: false },
        { late: 900, waitMsSum: 900 * 400, cpuPercent: 85, loopDelayP99Ms: 20, busyMax: 100 },
      ),
    );
    expect(s.limitedBy).toBe('server');
    expect(s.warnings[0]).toContain('the generator was busy');
  });

  it('warns when the generator is busy, per thread', () => {
    expect(classifySaturation(step({}, { cpuPercent: 80 })).warnings[0]).toContain('the generator was busy');
    expect(classifySaturation(step({}, { cpuPercent: 80, threads: 2 })).warnings).toEqual([]);
  });

  it('suggests more workers or shards by default, and the advice of the step when it has one', () => {
    expect(generatorSuggestion(1)).toContain('--workers 2');
    expect(generatorSuggestion(4)).toContain('--workers 8');
    expect(generatorSuggestion(1)).toContain('shard');
    expect(generatorSuggestion(1, 'raise --connections')).toContain('raise --connections, then search again');
  });
  it('blames the generator when one shard fell behind its schedule, though the merged signals dilute it', () => {
    // Two shards of 1000/s: shard 1 issued 30 of its 2000 more than 10 ms late (1.5 %); merged,
    // 30 of 4000 (0.75 %) is under the bar.
    const merged = { due: 4000, sent: 4000, responses: 4000, serviceMsSum: 4000, issuedBehind: 30 };
    const shards = [window(), window({ issuedBehind: 30, loopDelayP99Ms: 25 })];
    expect(classifySaturation(step({ scheduled: 4000 }, merged)).limitedBy).toBe('none');
    const s = classifySaturation({ ...step({ scheduled: 4000 }, merged), shards });
    expect(s.limitedBy).toBe('generator');
    expect(s.reasons).toHaveLength(1);
    expect(s.reasons[0]).toMatch(/^shard 1: the generator issued 1\.5% of requests more than 10 ms behind schedule/);
    expect(classifySaturation({ ...step({ scheduled: 4000 }, merged), shards: [window(), window()] }).limitedBy).toBe(
      'none',
    );
  });
});
