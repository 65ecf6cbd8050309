import { describe, expect, it } from 'vitest';
import { createHistogram, cumulativeCountsMs, recordMs } from '../../../src/hdr/histogram.js';
import { EXPORTED_METRICS, RunMetrics } from '../../../src/metrics/exporter.js';

const sample = (ms: number[], classes: number[]) => {
  const latency = createHistogram();
  for (const v of ms) recordMs(latency, v);
  return { requests: ms.length, errors: classes[0] ?? 0, latency, statusClasses: classes };
};

const line = (text: string, pattern: string): string | undefined => text.split('\n').find((l) => l.startsWith(pattern));

describe('HDR histogram as Prometheus buckets', () => {
  it('counts values at or below each bound, cumulatively', () => {
    const h = createHistogram();
    for (const v of [0.5, 1, 3, 3, 7, 40]) recordMs(h, v);
    expect(cumulativeCountsMs(h, [1, 2.5, 5, 10, 25, 50])).toEqual([2, 2, 4, 5, 5, 6]);
    expect(cumulativeCountsMs(createHistogram(), [1, 10])).toEqual([0, 0]);
  });
});

describe('run metrics exposition', () => {
  it('exposes step, weight, requests by class, latency buckets, step quantiles, checks and the decision', async () => {
    const m = new RunMetrics({ run: 'r1', scenario: 's', router: 'split', steps: 3 });
    m.step(1, 25);
    m.interval({ canary: sample([3, 3, 3, 30], [1, 0, 3, 0, 0, 0]) });
    m.interval({ canary: sample([3], [0, 0, 1, 0, 0, 0]), baseline: sample([2, 2], [0, 0, 2, 0, 0, 0]) });
    m.verdict(
      [
        {
          name: 'p99',
          group: 'latency',
          status: 'fail',
          observed: 30,
          interval: null,
          threshold: 10,
          unit: 'ms',
          samples: {},
          critical: false,
          reason: '',
        },
      ],
      4.5,
    );
    m.end('rollback');
    const text = await m.registry.metrics();
    expect(line(text, 'canary_gate_step{')).toBe('canary_gate_step{run="r1"} 2');
    expect(line(text, 'canary_gate_weight_percent{')).toBe('canary_gate_weight_percent{run="r1"} 25');
    expect(text).toContain('canary_gate_requests_total{arm="canary",status_class="2xx",run="r1"} 4');
    expect(text).toContain('canary_gate_requests_total{arm="canary",status_class="error",run="r1"} 1');
    expect(text).toContain('canary_gate_latency_seconds_bucket{arm="canary",le="0.0025",run="r1"} 0');
    expect(text).toContain('canary_gate_latency_seconds_bucket{arm="canary",le="0.005",run="r1"} 4');
    expect(text).toContain('canary_gate_latency_seconds_bucket{arm="canary",le="+Inf",run="r1"} 5');
    expect(text).toContain('canary_gate_latency_seconds_count{arm="canary",run="r1"} 5');
    expect(text).toMatch(/canary_gate_step_latency_seconds\{arm="canary",quantile="0\.99",run="r1"\} 0\.030/);
    expect(text).toContain('canary_gate_check_status{check="p99",status="fail",run="r1"} 1');
    expect(text).toContain('canary_gate_check_status{check="p99",status="pass",run="r1"} 0');
    expect(text).toContain('canary_gate_decision{decision="rollback",run="r1"} 1');
    expect(text).toContain('canary_gate_decision{decision="running",run="r1"} 0');
    expect(line(text, 'canary_gate_score{')).toBe('canary_gate_score{run="r1"} 4.5');
    for (const name of EXPORTED_METRICS) expect(text).toContain(`# TYPE ${name} `);
    // A new step starts its quantiles afresh; the run histogram keeps everything.
    m.step(2, 50);
    const next = await m.registry.metrics();
    expect(next).not.toContain('canary_gate_step_latency_seconds{');
    expect(next).toContain('canary_gate_latency_seconds_count{arm="canary",run="r1"} 5');
  });
});
