import { describe, expect, it } from 'vitest';
import { findKnee } from '../../../src/capacity/knee.js';

describe('knee of a latency-throughput curve', () => {
  it('is the last rate before latency climbs', () => {
    // A service with capacity 400/s: flat latency below, a queue that grows above.
    const curve = [
      [100, 10],
      [200, 10.2],
      [300, 10.5],
      [375, 11],
      [400, 12],
      [450, 120],
      [500, 400],
      [800, 2000],
    ].map(([ratePerSec, latencyMs]) => ({ ratePerSec: ratePerSec as number, latencyMs: latencyMs as number }));
    expect(findKnee(curve)).toEqual({ ratePerSec: 400, latencyMs: 12 });
    expect(findKnee([...curve].reverse())).toEqual({ ratePerSec: 400, latencyMs: 12 });
  });

  it('is not pushed to the end of the curve by one step that timed out', () => {
    const curve = [
      [100, 2],
      [200, 2],
      [400, 2.1],
      [800, 2.3],
      [1200, 2.6],
      [1300, 15],
      [1400, 80],
      [1600, 10_000],
    ].map(([ratePerSec, latencyMs]) => ({ ratePerSec: ratePerSec as number, latencyMs: latencyMs as number }));
    expect(findKnee(curve)?.ratePerSec).toBe(1200);
  });

  it('keeps the worst latency of a rate measured twice', () => {
    const knee = findKnee([
      { ratePerSec: 100, latencyMs: 5 },
      { ratePerSec: 200, latencyMs: 5 },
      { ratePerSec: 300, latencyMs: 6 },
      { ratePerSec: 300, latencyMs: 300 },
      { ratePerSec: 400, latencyMs: 900 },
    ]);
    expect(knee?.ratePerSec).toBe(200);
  });

  it('has none for a curve that starts high and settles (a cold first step)', () => {
    const curve = [
      [4000, 14.5],
      [8000, 6],
      [16000, 5.3],
      [32000, 5.4],
    ].map(([ratePerSec, latencyMs]) => ({ ratePerSec: ratePerSec as number, latencyMs: latencyMs as number }));
    expect(findKnee(curve)).toBeUndefined();
  });

  it('has none for a flat curve or too few points', () => {
    expect(
      findKnee([
        { ratePerSec: 100, latencyMs: 10 },
        { ratePerSec: 200, latencyMs: 11 },
        { ratePerSec: 400, latencyMs: 12 },
      ]),
    ).toBeUndefined();
    expect(
      findKnee([
        { ratePerSec: 100, latencyMs: 10 },
        { ratePerSec: 200, latencyMs: 900 },
      ]),
    ).toBeUndefined();
  });
});
