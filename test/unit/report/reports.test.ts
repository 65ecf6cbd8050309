import { describe, expect, it } from 'vitest';
import { createHistogram, encodeHistogram, recordMs } from '../../../src/hdr/histogram.js';
import { decisionWord } from '../../../src/report/decision-word.js';
import { renderHgrm } from '../../../src/report/hgrm.js';
import { renderJUnit } from '../../../src/report/junit.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import type { RunResult } from '../../../src/result/run-result.js';

function histogram(ms: number[]): string {
  const h = createHistogram();
  for (const v of ms) recordMs(h, v);
  return encodeHistogram(h);
}

const arm = (p95: number, p99: number, requests: number) => ({
  url: 'http://x',
  requests,
  errors: 0,
  throttled: 0,
  errorsByClass: {},
  latencyMs: { p50: 1, p90: 2, p95, p99, p999: p99, max: p99, min: 0.5, mean: 1 },
  histogram: histogram([1, 2, p95, p99]),
  endpoints: {},
});

const result: RunResult = {
  schemaVersion: 1,
  run: 'r1',
  scenario: { name: 'checkout <canary> & co', file: 's.yaml', digest: 'd' },
  router: 'split',
  startedAt: '2026-11-29T00:00:00Z',
  endedAt: '2026-11-29T00:01:00Z',
  machine: { hostname: 'h', cpus: 2, cpuModel: 'cpu', node: 'v20' },
  preflight: [],
  steps: [
    {
      index: 0,
      weight: 10,
      startedAtMs: 500,
      durationMs: 5000,
      intervals: {
        baseline: [0, 1000, 2000].map((startMs) => ({
          startMs,
          durationMs: 1000,
          requests: 180,
          errors: 0,
          p50Ms: 1,
          p90Ms: 2,
          p95Ms: 2,
          p99Ms: 20,
          maxMs: 21,
        })),
        canary: [0, 1000, 2000].map((startMs) => ({
          startMs,
          durationMs: 1000,
          requests: 20,
          errors: 1,
          p50Ms: 1,
          p90Ms: 3,
          p95Ms: 3,
          p99Ms: 30,
          maxMs: 31,
        })),
      },
      extensions: 0,
      arms: { baseline: arm(10, 20, 900), canary: arm(12, 30, 100) },
      verdict: {
        decision: 'rollback',
        alpha: 0.001,
        reason: 'p99 failed',
        score: {
          groups: [{ group: 'latency', weight: 1, checks: 2, passed: 1, failed: 1, inconclusive: 0, score: 5 }],
          score: 5,
          bestPossible: 5,
          go: false,
        },
        checks: [
          {
            name: 'p99',
            group: 'latency',
            status: 'fail',
            observed: 30,
            interval: [28, 33],
            threshold: 22,
            unit: 'ms',
            samples: { canary: 100 },
            critical: false,
            reason: 'canary p99 30 ms [28 ms, 33 ms] exceeds baseline p99 20 ms × 1.1 + 0 ms',
          },
          {
            name: 'p50',
            group: 'latency',
            status: 'pass',
            observed: 1,
            interval: [1, 1],
            threshold: 2,
            unit: 'ms',
            samples: { canary: 100 },
            critical: false,
            reason: 'ok',
          },
          {
            name: 'errors',
            group: 'errors',
            status: 'inconclusive',
            observed: 0,
            interval: null,
            threshold: 0.01,
            unit: 'fraction',
            samples: { canary: 100 },
            critical: false,
            reason: 'not decided "yet"',
          },
        ],
      },
    },
  ],
  decision: 'rollback',
  reason: 'step 1 (10%): p99 failed',
  exitCode: 1,
  warnings: ['the baseline was recorded on another machine'],
};

describe('reports', () => {
  it('Markdown: decision, matrix, per-step change in %, checks, warnings', () => {
    const md = renderMarkdown(result);
    expect(md).toContain('## canary-gate: ❌ ROLLBACK — checkout <canary> & co');
    expect(md).toContain('| latency | 1 | 1/2 | 1 | 0 | 5 |');
    expect(md).toContain('| 1 | 10% | 900 | 100 | 10 ms | 12 ms (+20.0%) | 20 ms | 30 ms (+50.0%) | rollback |');
    expect(md).toContain('- step 1 (10%) **fail** p99: canary p99 30 ms');
    expect(md).toContain('> ⚠️ the baseline was recorded on another machine');
  });

  it('says PASS or REGRESSION for a regression run of two builds, PROMOTE or ROLLBACK for a canary', () => {
    expect(decisionWord(result)).toBe('ROLLBACK');
    expect(decisionWord({ ...result, decision: 'promote' })).toBe('PROMOTE');
    const regress = { ...result, regress: {} as NonNullable<RunResult['regress']> };
    expect(decisionWord(regress)).toBe('REGRESSION');
    expect(decisionWord({ ...regress, decision: 'promote' })).toBe('PASS');
    expect(decisionWord({ ...regress, decision: 'aborted' })).toBe('ABORTED');
  });

  it('JUnit: a failure per failed check with its sentence, skipped for inconclusive, XML escaped', () => {
    const xml = renderJUnit(result);
    expect(xml).toContain('tests="3" failures="1" errors="0" skipped="1"');
    expect(xml).toContain(
      '<failure message="canary p99 30 ms [28 ms, 33 ms] exceeds baseline p99 20 ms × 1.1 + 0 ms">',
    );
    expect(xml).toContain('<skipped message="not decided &quot;yet&quot;"/>');
    expect(xml).toContain('name="checkout &lt;canary&gt; &amp; co: step 1 (10%)"');
    expect(xml).toContain('<testcase classname="canary-gate.step1" name="p50 at 10%" time="5.000"/>');
  });

  it('.hgrm: one percentile distribution per step and arm, in milliseconds', () => {
    const files = renderHgrm(result);
    expect(Object.keys(files)).toEqual(['step1-10pct-baseline.hgrm', 'step1-10pct-canary.hgrm']);
    expect(files['step1-10pct-canary.hgrm']).toMatch(/Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)/);
    expect(files['step1-10pct-canary.hgrm']).toMatch(/#\[Max\s+=\s+30\.0/);
  });
});
