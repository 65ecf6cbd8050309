/**
 * A Prometheus-shaped answer to `GET /api/v1/query?query=…`, so a Flagger MetricTemplate with
 * `provider.type: prometheus` can gate on canary-gate's verdict. Flagger's provider
 * (fluxcd/flagger pkg/metrics/providers/prometheus.go) first asks `vector(1)` and wants 1 (IsOnline),
 * then reads `data.result[*].value[1]` as a float string; an empty result is "no values found".
 * Only a closed set of selectors is understood — this is no PromQL engine:
 *
 *   query    = "vector(1)" | metric [ "{" matcher { "," matcher } "}" ]
 *   metric   = "canary_gate_score" | "canary_gate_decision" | "canary_gate_failed" | "canary_gate_check_status"
 *   matcher  = label "=" '"' value '"'        label = "app" | "namespace" | "name" | "controller" | "check"
 *
 * Pure: parsing, and series from a session's state.
 */
import type { StepReport } from './runner.js';

/** Metrics a query can name. */
export const SESSION_METRICS = [
  'canary_gate_score',
  'canary_gate_decision',
  'canary_gate_failed',
  'canary_gate_check_status',
] as const;

/** Labels a matcher can name. */
export const QUERY_LABELS = ['app', 'namespace', 'name', 'controller', 'check'] as const;

/** A parsed query. */
export type PromQuery =
  | { kind: 'online' }
  | {
      kind: 'session';
      metric: (typeof SESSION_METRICS)[number];
      labels: Partial<Record<(typeof QUERY_LABELS)[number], string>>;
    };

/** Parse a query; a problem names what was not understood. */
export function parsePromQuery(text: string): PromQuery | { problem: string } {
  const q = text.replace(/\s+/g, '');
  if (q.length > 512) return { problem: 'query longer than 512 characters' };
  if (q === 'vector(1)') return { kind: 'online' };
  const match = /^([a-z_]+)(?:\{(.*)\})?$/.exec(q);
  const metric = match?.[1];
  if (!match || !(SESSION_METRICS as readonly string[]).includes(metric ?? '')) {
    return {
      problem: `expected vector(1) or one of ${SESSION_METRICS.join(', ')} with label matchers, found ${JSON.stringify(text.slice(0, 80))}`,
    };
  }
  const labels: Record<string, string> = {};
  const body = match[2] ?? '';
  if (body !== '') {
    for (const part of body.split(',')) {
      const m = /^([a-z]+)="([^"\\]{0,253})"$/.exec(part);
      if (!m?.[1] || !(QUERY_LABELS as readonly string[]).includes(m[1])) {
        return {
          problem: `expected matchers like name="podinfo" with labels ${QUERY_LABELS.join(', ')}, found ${JSON.stringify(part)}`,
        };
      }
      labels[m[1]] = m[2] ?? '';
    }
  }
  return { kind: 'session', metric: metric as PromQuery extends { metric: infer M } ? M : never, labels };
}

/** What the series are computed from. */
export interface SessionView {
  labels: Record<string, string>;
  step: StepReport | undefined;
  /** How the session ended, when it did. */
  ended?: 'promote' | 'rollback' | 'aborted' | 'interrupted';
}

/** One sample of a vector. */
export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

/**
 * The series of `query` for a session. The score is the best the canary can still reach on the
 * evidence so far (10 before the first look), so a gate on it fails only on evidence; decision is
 * 1 pass, 0 still measuring, -1 fail; failed is 1 once a check failed on evidence.
 */
export function sessionSeries(
  query: Extract<PromQuery, { kind: 'session' }>,
  view: SessionView,
  nowSec: number,
): PromSample[] {
  const failed = view.ended === 'rollback' || view.ended === 'aborted' || view.step?.status === 'fail';
  const passed = view.ended === 'promote' || view.step?.status === 'pass';
  const base = {
    ...view.labels,
    ...(view.step ? { step: String(view.step.index + 1), weight: String(view.step.weight) } : {}),
  };
  const sample = (metric: Record<string, string>, value: number): PromSample => ({
    metric: { __name__: query.metric, ...metric },
    value: [nowSec, String(value)],
  });
  const verdict = view.step?.verdict;
  switch (query.metric) {
    case 'canary_gate_score':
      return [
        sample(
          base,
          failed
            ? Math.min(verdict?.score.score ?? 0, verdict?.score.bestPossible ?? 0)
            : (verdict?.score.bestPossible ?? 10),
        ),
      ];
    case 'canary_gate_decision':
      return [sample(base, failed ? -1 : passed ? 1 : 0)];
    case 'canary_gate_failed':
      return [sample(base, failed ? 1 : 0)];
    case 'canary_gate_check_status':
      return (verdict?.checks ?? [])
        .filter((c) => query.labels.check === undefined || c.name === query.labels.check)
        .map((c) =>
          sample(
            { ...base, check: c.name, group: c.group },
            c.status === 'pass' ? 1 : c.status === 'inconclusive' ? 0 : -1,
          ),
        );
  }
}

/** Prometheus' success envelope for a vector. */
export function vectorResponse(result: PromSample[]): object {
  return { status: 'success', data: { resultType: 'vector', result } };
}

/** Prometheus' error envelope. */
export function promError(error: string): object {
  return { status: 'error', errorType: 'bad_data', error };
}
