import { describe, expect, it } from 'vitest';
import { describeAlert, parseAlerts } from '../../../src/metrics/alertmanager.js';
import { parseQueryResponse } from '../../../src/metrics/prometheus.js';
import { promDuration, renderQuery } from '../../../src/scenario/query-template.js';

const vector = (...values: string[]) =>
  JSON.stringify({
    status: 'success',
    data: {
      resultType: 'vector',
      result: values.map((v, i) => ({ metric: { __name__: 'm', i: String(i) }, value: [1, v] })),
    },
  });

describe('Prometheus answers reduced to one number', () => {
  it('takes the single sample of a vector, or a scalar', () => {
    expect(parseQueryResponse(200, vector('0.25'))).toEqual({ value: 0.25 });
    expect(
      parseQueryResponse(200, JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '3'] } })),
    ).toEqual({ value: 3 });
  });

  it('never turns missing data into a value', () => {
    expect(parseQueryResponse(200, vector())).toMatchObject({ value: null, problem: 'the query returned no series' });
    expect(parseQueryResponse(200, vector('NaN'))).toMatchObject({ value: null, problem: "the query's value is NaN" });
    expect(parseQueryResponse(200, vector('+Inf'))).toMatchObject({ value: null });
    expect(parseQueryResponse(200, vector('1', '2'))).toMatchObject({
      value: null,
      badQuery: true,
      problem: expect.stringContaining('returned 2 series (m{i="0"}, m{i="1"}); aggregate it'),
    });
    expect(
      parseQueryResponse(
        400,
        JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5' }),
      ),
    ).toMatchObject({
      value: null,
      badQuery: true,
      problem: 'Prometheus answered HTTP 400: bad_data: parse error at char 5',
    });
    expect(parseQueryResponse(502, '<html>bad gateway</html>')).toMatchObject({
      value: null,
      problem: 'Prometheus answered HTTP 502 with a body that is not JSON',
    });
    expect(
      parseQueryResponse(200, JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } })),
    ).toMatchObject({ value: null, badQuery: true });
  });
});

describe('query templates', () => {
  it('fills arm, target, window, weight and step', () => {
    const q = renderQuery('rate(x{arm="{{arm}}",instance="{{ target }}"}[{{window}}]) * {{weight}} + {{step}}', {
      arm: 'canary',
      target: '127.0.0.1:9002',
      windowMs: 30_400,
      minWindowMs: 2000,
      weight: 25,
      step: 2,
    });
    expect(q).toBe('rate(x{arm="canary",instance="127.0.0.1:9002"}[31s]) * 25 + 2');
    expect(promDuration(500, 2000)).toBe('2s');
    expect(promDuration(500)).toBe('1s');
  });
});

describe('Alertmanager answers', () => {
  it('keeps firing alerts, leaves suppressed ones out, and names them with their labels', () => {
    const parsed = parseAlerts(
      JSON.stringify([
        { labels: { alertname: 'A', severity: 'critical', service: 'x' }, status: { state: 'active' }, startsAt: 't' },
        { labels: { alertname: 'B' }, status: { state: 'suppressed' } },
        { labels: { alertname: 'C' }, status: { state: 'unprocessed' } },
      ]),
    );
    expect(parsed.alerts?.map((a) => a.name)).toEqual(['A', 'C']);
    expect(describeAlert(parsed.alerts?.[0] as never)).toBe('A{service="x",severity="critical"}');
    expect(parseAlerts('{"not":"a list"}')).toMatchObject({ alerts: null });
    expect(parseAlerts('nope')).toMatchObject({ alerts: null });
  });
});
