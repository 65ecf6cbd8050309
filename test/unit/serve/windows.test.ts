import { describe, expect, it } from 'vitest';
import { createHistogram } from '../../../src/hdr/histogram.js';
import type { LoadProgress } from '../../../src/load/engine.js';
import { emptyGeneratorSample } from '../../../src/load/generator-meter.js';
import { MAX_WINDOWS_PER_ARM, WindowCollector } from '../../../src/serve/windows.js';

/** One second of a load's progress with `n` requests per arm at `us` µs, as startLoad reports it. */
function second(index: number, n: number, us: number, limited = false): LoadProgress {
  const point = {
    startMs: index * 1000,
    durationMs: 1000,
    requests: n,
    errors: 1,
    p50Ms: 0,
    p90Ms: 0,
    p95Ms: 0,
    p99Ms: 0,
    maxMs: 0,
  };
  const sample = () => {
    const latency = createHistogram();
    latency.recordValueWithCount(us, n);
    return { requests: n, errors: 1, latency, statusClasses: [0, 0, n - 1, 0, 0, 1] };
  };
  return {
    elapsedSec: index + 1,
    requests: 2 * n,
    errors: 2,
    p99Ms: us / 1000,
    arms: { baseline: point, canary: point },
    samples: { baseline: sample(), canary: sample() },
    generator: {
      ...emptyGeneratorSample(),
      startMs: index * 1000,
      limited,
      reasons: limited ? [{ code: 'schedule-lag', text: 'sends ran 40 ms behind the schedule' }] : [],
    },
  };
}

describe('serve: per-second windows of a running load', () => {
  it('keeps each second as compact buckets on the load clock, the same counts as the second', () => {
    const c = new WindowCollector(200);
    c.add(second(0, 100, 1000));
    c.add(second(1, 50, 2000));
    const w = c.between('canary', 0, 10_000);
    expect(w.map((x) => x.startMs)).toEqual([200, 1200]);
    expect(w.map((x) => [x.requests, x.errors, x.latency.total])).toEqual([
      [100, 1, 100],
      [50, 1, 50],
    ]);
  });

  it("marks a generator-limited second in every arm, with the engine's reason", () => {
    const c = new WindowCollector(0);
    c.add(second(0, 10, 1000, true));
    for (const arm of ['baseline', 'canary']) {
      expect(c.between(arm, 0, 1000)[0]?.excluded).toEqual({
        kind: 'generator-limited',
        detail: 'sends ran 40 ms behind the schedule',
      });
    }
  });

  it('gives a step only the whole seconds inside it, and forgets what no step will ask for', () => {
    const c = new WindowCollector(0);
    for (let i = 0; i < 5; i++) c.add(second(i, 10, 1000));
    // A step marked at 1.5 s and read at 4.2 s: seconds 2 and 3 are whole inside it.
    expect(c.between('canary', 1500, 4200).map((w) => w.startMs)).toEqual([2000, 3000]);
    c.dropBefore(3000);
    expect(c.between('canary', 0, 10_000).map((w) => w.startMs)).toEqual([3000, 4000]);
  });

  it('keeps at most an hour of seconds per arm', () => {
    const c = new WindowCollector(0);
    for (let i = 0; i < MAX_WINDOWS_PER_ARM + 5; i++) c.add(second(i, 1, 1000));
    const kept = c.between('canary', 0, Number.POSITIVE_INFINITY);
    expect(kept).toHaveLength(MAX_WINDOWS_PER_ARM);
    expect(kept[0]?.startMs).toBe(5000);
  });
});
