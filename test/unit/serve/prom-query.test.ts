import { describe, expect, it } from 'vitest';
import type { StepVerdict } from '../../../src/gates/verdict.js';
import { parsePromQuery, sessionSeries } from '../../../src/serve/prom-query.js';
import type { StepReport } from '../../../src/serve/runner.js';

const verdict = (
  statuses: ['p99' | 'errorRate', 'pass' | 'fail' | 'inconclusive'][],
  score: number,
  best: number,
): StepVerdict => ({
  decision: 'extend',
  alpha: 0.01,
  reason: 'r',
  score: { groups: [], score, bestPossible: best, go: score >= 7 },
  checks: statuses.map(([name, status]) => ({
    name,
    group: 'latency',
    status,
    observed: 1,
    interval: null,
    threshold: 2,
    unit: 'ms',
    samples: {},
    critical: false,
    reason: '',
  })),
});
const step = (status: StepReport['status'], v?: StepVerdict): StepReport => ({
  index: 1,
  weight: 25,
  status,
  looks: 1,
  ...(v ? { verdict: v } : {}),
});
const labels = { app: 'podinfo', namespace: 'test', name: 'podinfo' };

describe('the Prometheus-shaped query (what a Flagger MetricTemplate asks)', () => {
  it.each([
    ['vector(1)', { kind: 'online' }],
    [' vector( 1 ) ', { kind: 'online' }],
    [
      'canary_gate_score{namespace="test", name="podinfo"}',
      { kind: 'session', metric: 'canary_gate_score', labels: { namespace: 'test', name: 'podinfo' } },
    ],
    ['canary_gate_failed', { kind: 'session', metric: 'canary_gate_failed', labels: {} }],
    [
      'canary_gate_check_status{name="p",check="p99"}',
      { kind: 'session', metric: 'canary_gate_check_status', labels: { name: 'p', check: 'p99' } },
    ],
  ])('parses %s', (text, expected) => {
    expect(parsePromQuery(text)).toEqual(expected);
  });

  it.each([
    'sum(rate(x[1m]))',
    'canary_gate_score{pod=~"x.*"}',
    'canary_gate_score{namespace!="a"}',
    'canary_gate_score{secret="x"}',
    'up',
    `canary_gate_score{name="${'x'.repeat(600)}"}`,
  ])('refuses %s with a sentence', (text) => {
    expect(parsePromQuery(text)).toHaveProperty('problem');
  });

  it('answers the best reachable score while measuring, so a gate on it fails only on evidence', () => {
    const q = parsePromQuery('canary_gate_score') as Extract<ReturnType<typeof parsePromQuery>, { kind: 'session' }>;
    expect(sessionSeries(q, { labels, step: step('measuring') }, 100)[0]?.value).toEqual([100, '10']);
    const open = verdict([['p99', 'inconclusive']], 0, 10);
    expect(sessionSeries(q, { labels, step: step('measuring', open) }, 100)[0]?.value[1]).toBe('10');
    const failed = verdict([['p99', 'fail']], 0, 0);
    expect(sessionSeries(q, { labels, step: step('fail', failed) }, 100)[0]).toEqual({
      metric: { __name__: 'canary_gate_score', ...labels, step: '2', weight: '25' },
      value: [100, '0'],
    });
  });

  it.each([
    ['measuring', undefined, '0', '0'],
    ['pass', undefined, '1', '0'],
    ['fail', undefined, '-1', '1'],
    ['measuring', 'rollback', '-1', '1'],
    ['pass', 'promote', '1', '0'],
  ] as const)('a %s step (session ended: %s) is decision %s, failed %s', (status, ended, decision, failed) => {
    const view = { labels, step: step(status), ...(ended ? { ended } : {}) };
    const d = parsePromQuery('canary_gate_decision') as Extract<ReturnType<typeof parsePromQuery>, { kind: 'session' }>;
    const f = parsePromQuery('canary_gate_failed') as Extract<ReturnType<typeof parsePromQuery>, { kind: 'session' }>;
    expect(sessionSeries(d, view, 1)[0]?.value[1]).toBe(decision);
    expect(sessionSeries(f, view, 1)[0]?.value[1]).toBe(failed);
  });

  it('gives one series per check, or the one named', () => {
    const v = verdict(
      [
        ['p99', 'fail'],
        ['errorRate', 'pass'],
      ],
      5,
      5,
    );
    const all = parsePromQuery('canary_gate_check_status') as Extract<
      ReturnType<typeof parsePromQuery>,
      { kind: 'session' }
    >;
    expect(sessionSeries(all, { labels, step: step('fail', v) }, 1).map((s) => [s.metric.check, s.value[1]])).toEqual([
      ['p99', '-1'],
      ['errorRate', '1'],
    ]);
    const one = parsePromQuery('canary_gate_check_status{check="errorRate"}') as Extract<
      ReturnType<typeof parsePromQuery>,
      { kind: 'session' }
    >;
    expect(sessionSeries(one, { labels, step: step('fail', v) }, 1)).toHaveLength(1);
  });
});
