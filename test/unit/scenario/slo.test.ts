import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateSlo, largestLatencyLimitMs, type Slo, sloOrProblems } from '../../../src/scenario/slo.js';

const parse = (text: string): Slo => {
  const parsed = sloOrProblems(text);
  if ('problems' in parsed) throw new Error(parsed.problems.join('; '));
  return parsed.slo;
};
const problemsOf = (text: string): string[] => {
  const parsed = sloOrProblems(text);
  return 'problems' in parsed ? parsed.problems : [];
};

describe('SLO parser', () => {
  it.each([
    ['p99<50ms', [{ metric: 'p99', op: '<', limit: 50 }]],
    [
      'p99<50ms,errors<0.1%',
      [
        { metric: 'p99', op: '<', limit: 50 },
        { metric: 'errors', op: '<', limit: 0.001 },
      ],
    ],
    [
      ' p50 <= 2ms , p95<1.5s ',
      [
        { metric: 'p50', op: '<=', limit: 2 },
        { metric: 'p95', op: '<', limit: 1500 },
      ],
    ],
    [
      'p90<10ms,p999<200ms,max<1s,mean<5ms',
      [
        { metric: 'p90', limit: 10 },
        { metric: 'p999', limit: 200 },
        { metric: 'max', limit: 1000 },
        { metric: 'mean', limit: 5 },
      ],
    ],
    ['p99.9<20ms', [{ metric: 'p999', limit: 20 }]],
    ['P99<20MS'.replace('MS', 'ms'), [{ metric: 'p99', limit: 20 }]],
    ['errors<=0%', [{ metric: 'errors', op: '<=', limit: 0 }]],
    ['p99<250', [{ metric: 'p99', limit: 250 }]],
  ])('reads %j', (text, terms) => {
    expect(parse(text).terms).toMatchObject(terms);
  });

  it.each([
    ['', 'expected at least one term'],
    ['p98<5ms', 'term 1 "p98<5ms": unknown metric "p98"; expected one of p50, p90, p95, p99, p999, max, mean, errors'],
    ['p99>5ms', 'term 1 "p99>5ms": expected metric<bound'],
    ['p99<fast', 'term 1 "p99<fast": expected a duration like "500ms"'],
    ['p99<50ms,errors<lots', 'term 2 "errors<lots": expected a percentage'],
    ['p99<50ms,,', 'term 2 "": expected metric<bound'],
    ['p99<0ms', 'term 1 "p99<0ms": expected a latency bound above 0'],
    ['errors<150%', 'term 1 "errors<150%": expected a percentage from 0% to 100%'],
  ])('rejects %j, naming the bad term', (text, problem) => {
    expect(problemsOf(text).join('\n')).toContain(problem);
  });

  it('reports every bad term at once', () => {
    expect(problemsOf('p98<1ms,p99<50ms,errors<x')).toHaveLength(2);
  });

  it('never throws, whatever the input', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        const parsed = sloOrProblems(text);
        return 'slo' in parsed ? parsed.slo.terms.length > 0 : parsed.problems.length > 0;
      }),
    );
  });

  it('knows its largest latency bound', () => {
    expect(largestLatencyLimitMs(parse('p50<5ms,p99<40ms,errors<1%'))).toBe(40);
    expect(largestLatencyLimitMs(parse('errors<1%'))).toBeUndefined();
  });
});

describe('SLO evaluation', () => {
  const latencyMs = { p50: 4, p90: 8, p95: 9, p99: 50, p999: 70, max: 90, mean: 5 };

  it('holds only when every term holds; < is strict and <= is not', () => {
    expect(evaluateSlo(parse('p99<=50ms,errors<1%'), { latencyMs, errorRate: 0.005 }).pass).toBe(true);
    const strict = evaluateSlo(parse('p99<50ms,errors<1%'), { latencyMs, errorRate: 0.005 });
    expect(strict.pass).toBe(false);
    expect(strict.terms).toEqual([
      { term: 'p99<50ms', observed: 50, limit: 50, pass: false },
      { term: 'errors<1%', observed: 0.005, limit: 0.01, pass: true },
    ]);
    expect(evaluateSlo(parse('p50<10ms,errors<1%'), { latencyMs, errorRate: 0.02 }).pass).toBe(false);
  });
});
