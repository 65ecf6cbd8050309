import { describe, expect, it } from 'vitest';
import { createHistogram, HIGHEST_TRACKABLE_US, type Histogram } from '../../../src/hdr/histogram.js';
import { subtractHistogram } from '../../../src/load/merge.js';
import { buckets } from '../../helpers/processes.js';

/** `values` recorded (µs) into a fresh histogram. */
function histogramOf(values: readonly number[]): Histogram {
  const h = createHistogram();
  for (const v of values) h.recordValue(v);
  return h;
}

/** A deterministic spread of values from 1 µs to the top of the range. */
function spread(n: number, seed: number): number[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return Math.max(1, Math.floor(HIGHEST_TRACKABLE_US ** (x / 2 ** 31)));
  });
}

describe('subtractHistogram', () => {
  it('gives later minus earlier bucket by bucket, up to the top of the range', () => {
    const earlier = spread(2000, 7);
    // The later histogram holds the earlier one's values and more, the greatest at the range's top.
    const later = [...earlier, ...spread(3000, 11), HIGHEST_TRACKABLE_US, 0];
    const difference = subtractHistogram(histogramOf(later), histogramOf(earlier));
    const before = buckets(histogramOf(earlier));
    const expected = buckets(histogramOf(later)).map((count, i) => count - (before[i] ?? 0));
    expect(buckets(difference)).toEqual(expected);
    expect(difference.totalCount).toBe(3002);
    // Within its bucket (3 significant digits), as after an encode/decode round trip.
    expect(difference.maxValue).toBeGreaterThanOrEqual(HIGHEST_TRACKABLE_US * 0.999);
  });

  it('is empty for an empty histogram and for a histogram minus itself', () => {
    expect(subtractHistogram(createHistogram(), createHistogram()).totalCount).toBe(0);
    const h = histogramOf(spread(500, 3));
    expect(subtractHistogram(h, h).totalCount).toBe(0);
  });
});
