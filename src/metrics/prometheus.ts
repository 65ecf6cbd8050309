/**
 * A Prometheus HTTP API client for instant queries (`/api/v1/query`). Every way a query can fail
 * to give one finite number — HTTP errors, timeouts, an empty vector, several series, NaN — comes
 * back as a problem sentence, never as a value, so a check built on it cannot pass by accident.
 */
import { request } from 'undici';
import { requestProblem } from './request-problem.js';

/** One number, or why there is none. */
export type QueryOutcome =
  | { value: number; problem?: undefined }
  | { value: null; problem: string; badQuery?: boolean };

/** How to reach Prometheus. */
export interface PrometheusClientOptions {
  /** Base URL, e.g. http://127.0.0.1:9090. */
  url: string;
  /** Per-query timeout, ms. */
  timeoutMs: number;
  /** Extra headers (authorization). */
  headers?: Record<string, string>;
  /** Ends the request early (the run was aborted). */
  signal?: AbortSignal;
}

/** Evaluate `query` at the current time and reduce it to one finite number. */
export async function queryValue(o: PrometheusClientOptions, query: string): Promise<QueryOutcome> {
  const url = new URL('api/v1/query', o.url.endsWith('/') ? o.url : `${o.url}/`);
  let status: number;
  let text: string;
  try {
    const response = await request(url, {
      method: 'POST',
      headers: { ...o.headers, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query }).toString(),
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      signal: o.signal
        ? AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)])
        : AbortSignal.timeout(o.timeoutMs),
    });
    status = response.statusCode;
    text = await response.body.text();
  } catch (error) {
    return { value: null, problem: requestProblem('Prometheus', o.url, o.timeoutMs, error) };
  }
  return parseQueryResponse(status, text);
}

/** Turn an HTTP status and body from /api/v1/query into one number or a problem. Pure. */
export function parseQueryResponse(status: number, text: string): QueryOutcome {
  let body: { status?: string; errorType?: string; error?: string; data?: { resultType?: string; result?: unknown } };
  try {
    body = JSON.parse(text);
  } catch {
    return { value: null, problem: `Prometheus answered HTTP ${status} with a body that is not JSON` };
  }
  if (body.status !== 'success') {
    return {
      value: null,
      problem: `Prometheus answered HTTP ${status}: ${body.errorType ?? 'error'}: ${body.error ?? 'no message'}`,
      badQuery: body.errorType === 'bad_data',
    };
  }
  const data = body.data ?? {};
  let raw: unknown;
  if (data.resultType === 'scalar') {
    raw = (data.result as [number, string] | undefined)?.[1];
  } else if (data.resultType === 'vector') {
    const series = (data.result as { metric: Record<string, string>; value: [number, string] }[] | undefined) ?? [];
    if (series.length === 0) return { value: null, problem: 'the query returned no series' };
    if (series.length > 1) {
      return {
        value: null,
        problem: `the query returned ${series.length} series (${series
          .slice(0, 3)
          .map((s) => labelsOf(s.metric))
          .join(', ')}${series.length > 3 ? ', …' : ''}); aggregate it to one, e.g. with sum() or max()`,
        badQuery: true,
      };
    }
    raw = series[0]?.value[1];
  } else {
    return {
      value: null,
      problem: `the query returned a ${data.resultType ?? 'missing'} result; expected an instant vector or a scalar`,
      badQuery: true,
    };
  }
  const value = typeof raw === 'string' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(value)) return { value: null, problem: `the query's value is ${String(raw)}` };
  return { value };
}

function labelsOf(metric: Record<string, string>): string {
  const { __name__: name = '', ...labels } = metric;
  const inner = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return `${name}{${inner}}`;
}
