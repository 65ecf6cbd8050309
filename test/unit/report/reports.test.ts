import { describe, expect, it } from 'vitest';
import { noResponse } from '../../../src/arm/arm.js';
import { createHistogram, encodeHistogram, recordMs } from '../../../src/hdr/histogram.js';
import { decisionWord } from '../../../src/report/decision-word.js';
import { renderHgrm } from '../../../src/report/hgrm.js';
import { renderHtml } from '../../../src/report/html.js';
import { renderJUnit } from '../../../src/report/junit.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { renderRunSummary } from '../../../src/report/run-summary.js';
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

  it('names transport failures by their client error code in the Markdown and the terminal summary', () => {
    const step = result.steps[0] as RunResult['steps'][number];
    const canary = { ...(step.arms.canary as NonNullable<typeof step.arms.canary>), errors: 7 };
    const coded: RunResult = {
      ...result,
      steps: [
        {
          ...step,
          arms: { ...step.arms, canary: { ...canary, errorCodes: { ECONNRESET: 2, UND_ERR_INVALID_ARG: 5 } } },
        },
      ],
    };
    const md = renderMarkdown(coded);
    expect(md).toContain('### Transport errors by code');
    expect(md).toContain('| 1 (10%) | canary | UND_ERR_INVALID_ARG 5, ECONNRESET 2 |');
    expect(renderRunSummary(coded, { result: 'r.json', journal: 'j.jsonl' })).toContain(
      'canary n=100 p99=30ms err=7 (UND_ERR_INVALID_ARG 5, ECONNRESET 2)',
    );
    // Nothing coded, no section.
    expect(renderMarkdown(result)).not.toContain('errors by code');
  });

  it('says in every report that the default checks judged a run whose scenario named none', () => {
    const defaulted: RunResult = {
      ...result,
      defaultChecks: { names: ['p50', 'p99', 'distribution', 'errorRate'], reference: 'vsBaseline' },
    };
    const note =
      'the scenario names no checks (gates.checks): judged by the default checks p50, p99, distribution, errorRate against the baseline arm (at 100 %: the pooled baseline of the earlier steps)';
    expect(renderMarkdown(defaulted)).toContain(`> ℹ️ ${note}`);
    expect(renderHtml(defaulted)).toContain(`<p class="note">${note}</p>`);
    expect(renderJUnit(defaulted)).toContain(`<property name="default-checks" value="${note}"/>`);
    expect(renderRunSummary(defaulted, { result: 'r.json', journal: 'j' })).toContain(`note: ${note}`);
    // Checks written in the scenario: nothing said.
    for (const text of [renderMarkdown(result), renderHtml(result), renderJUnit(result)])
      expect(text).not.toContain('default checks');
  });

  it('.hgrm: one percentile distribution per step and arm, in milliseconds', () => {
    const files = renderHgrm(result);
    expect(Object.keys(files)).toEqual(['step1-10pct-baseline.hgrm', 'step1-10pct-canary.hgrm']);
    expect(files['step1-10pct-canary.hgrm']).toMatch(/Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)/);
    expect(files['step1-10pct-canary.hgrm']).toMatch(/#\[Max\s+=\s+30\.0/);
  });
});

describe('reports of an arm without a response, and every check in HTML', () => {
  // Every canary request failed without a response: latencyMs are zeros and must not read as 0 ms.
  const silent = {
    ...arm(0, 0, 100),
    errors: 100,
    latencyMs: { p50: 0, p90: 0, p95: 0, p99: 0, p999: 0, max: 0, min: 0, mean: 0 },
  };
  const step = result.steps[0] as RunResult['steps'][number];
  const failed: RunResult = { ...result, steps: [{ ...step, arms: { baseline: arm(10, 20, 900), canary: silent } }] };

  it('says "no response" where the latency would be 0 ms, in Markdown, HTML and the terminal summary', () => {
    expect(noResponse(silent)).toBe(true);
    expect(noResponse(arm(10, 20, 900))).toBe(false);
    const md = renderMarkdown(failed);
    expect(md).toContain('| 1 | 10% | 900 | 100 | 10 ms | no response | 20 ms | no response | rollback |');
    expect(md).not.toContain('0 ms (');
    const html = renderHtml(failed);
    expect(html).toContain('<td>no response</td>');
    expect(html).not.toMatch(/<td>0 ms<\/td>/);
    const text = renderRunSummary(failed, { result: 'r.json', journal: 'j' });
    expect(text).toContain('canary n=100 no response err=100');
    expect(text).not.toContain('p99=0ms');
  });

  it('HTML draws no p99 for seconds without a response (a gap, never a line at 0 ms)', () => {
    const silentSeconds = (step.intervals.canary ?? []).map((p) => ({
      ...p,
      errors: p.requests,
      p50Ms: 0,
      p90Ms: 0,
      p95Ms: 0,
      p99Ms: 0,
      maxMs: 0,
    }));
    const html = renderHtml({
      ...failed,
      steps: [
        { ...(failed.steps[0] as RunResult['steps'][number]), intervals: { ...step.intervals, canary: silentSeconds } },
      ],
    });
    const p99Chart = html.slice(html.indexOf('p99 latency over time'), html.indexOf('Throughput and errors over time'));
    expect(p99Chart).toContain('<title>baseline</title></path>');
    expect(p99Chart).not.toContain('<title>canary</title></path>');
    // The same seconds still count in the throughput and error lines.
    expect(html.slice(html.indexOf('Throughput and errors over time'))).toContain(
      '<title>canary errors</title></path>',
    );
  });

  it('HTML lists every check sentence of every step under its verdict reason', () => {
    const html = renderHtml(result);
    expect(html).toContain('<h2>Checks</h2>');
    expect(html).toContain('<h3>step 1 (10%): rollback</h3><p>p99 failed</p>');
    for (const c of step.verdict.checks) expect(html).toContain(`${c.name}: ${c.reason}`);
  });
});
