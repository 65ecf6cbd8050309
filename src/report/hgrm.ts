/**
 * .hgrm percentile distribution files, per step and arm, in the format HdrHistogram's plotter
 * and wrk2 print (values in milliseconds).
 */

import { decodeHistogram } from '../hdr/histogram.js';
import type { RunResult } from '../result/run-result.js';

/** File name → contents, one per step and arm. */
export function renderHgrm(r: RunResult): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of r.steps) {
    for (const [arm, a] of Object.entries(s.arms)) {
      // µs recorded; a scaling ratio of 1000 prints milliseconds.
      out[`step${s.index + 1}-${s.weight}pct-${arm}.hgrm`] = decodeHistogram(a.histogram).outputPercentileDistribution(
        5,
        1000,
      );
    }
  }
  return out;
}
