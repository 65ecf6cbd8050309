import { describe, expect, it } from 'vitest';
import { classifySaturation, generatorSuggestion, type StepLoadFigures } from '../../../src/capacity/saturation.js';

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

describe('saturation classifier', () => {
  it('finds nothing limiting when the SLO holds and the schedule was kept', () => {
    expect(classifySaturation(step())).toEqual({ limitedBy: 'none', reasons: [], warnings: [] });
  });

  it('blames the generator when it issued requests behind schedule, whatever the SLO says', () => {
    for (const sloPass of [true, false]) {
      const s = classifySaturation(step({ issuedBehind: 500, eventLoopDelayP99Ms: 42, cpuPercent: 99, sloPass }));
      expect(s.limitedBy).toBe('generator');
      expect(s.reasons[0]).toContain('issued 25% of requests more than 10 ms behind schedule');
      expect(s.reasons[0]).toContain('event-loop delay p99 42 ms, CPU 99% of a core');
      expect(s.reasons[0]).toContain("the limit is the generator's, not the service's");
    }
  });

  it('tolerates a few requests behind schedule (a GC pause), as a fraction and as a count', () => {
    expect(classifySaturation(step({ issuedBehind: 20 })).limitedBy).toBe('none');
    expect(classifySaturation(step({ scheduled: 190, issuedBehind: 4 })).limitedBy).toBe('none');
    expect(classifySaturation(step({ scheduled: 190, issuedBehind: 25 })).limitedBy).toBe('generator');
  });

  it('blames the server when the SLO broke with the schedule kept, naming the signs', () => {
    const s = classifySaturation(
      step({ sloPass: false, late: 600, dropped: 12, throughputPerSec: 700, serviceTimeMeetsSlo: false }),
    );
    expect(s.limitedBy).toBe('server');
    expect(s.reasons).toEqual([
      'the SLO broke while the generator kept its schedule',
      'throughput 700/s fell short of the 1000/s offered',
      '30% of sends waited for a free connection',
      '12 requests were dropped (no connection came free in time)',
    ]);
    expect(s.warnings).toEqual([]);
  });

  it('warns when the in-flight limit, not the service time, made sends late with an idle generator', () => {
    const s = classifySaturation(step({ sloPass: false, late: 600, serviceTimeMeetsSlo: true }));
    expect(s.limitedBy).toBe('server');
    expect(s.warnings[0]).toContain('the in-flight limit (connections) may be what limits');
  });

  it('blames the generator when the backlog was its own: fast service, busy generator', () => {
    // nginx offered 100000/s from one thread: 46000/s sent, no schedule lag, CPU 80 %, loop p99 18 ms.
    const s = classifySaturation(
      step({
        offeredPerSec: 100_000,
        scheduled: 100_000,
        late: 92_025,
        throughputPerSec: 46_000,
        cpuPercent: 79.8,
        eventLoopDelayP99Ms: 18.05,
        sloPass: false,
        serviceTimeMeetsSlo: true,
      }),
    );
    expect(s.limitedBy).toBe('generator');
    expect(s.reasons[0]).toContain('92% of sends waited for a free connection');
    expect(s.reasons[0]).toContain("the queue was the generator's");
  });

  it('blames the server when the service time broke the SLO, however busy the generator', () => {
    const s = classifySaturation(
      step({ late: 900, cpuPercent: 85, eventLoopDelayP99Ms: 20, sloPass: false, serviceTimeMeetsSlo: false }),
    );
    expect(s.limitedBy).toBe('server');
    expect(s.warnings[0]).toContain('the generator was busy');
  });

  it('warns when the generator is busy, per worker', () => {
    expect(classifySaturation(step({ cpuPercent: 80 })).warnings[0]).toContain('the generator was busy');
    expect(classifySaturation(step({ cpuPercent: 80, workers: 2 })).warnings).toEqual([]);
  });

  it('suggests more workers or shards', () => {
    expect(generatorSuggestion(1)).toContain('--workers 2');
    expect(generatorSuggestion(4)).toContain('--workers 8');
    expect(generatorSuggestion(1)).toContain('shard');
  });
});
