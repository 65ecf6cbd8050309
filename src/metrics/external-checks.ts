/**
 * External checks for the judge: the scenario's PromQL queries, rendered per arm and evaluated
 * through Prometheus, and the active alerts from Alertmanager, turned into ExternalCheck values at
 * every look. Never throws: a source that cannot answer becomes a check without a value, which the
 * judge fails closed (or holds inconclusive, per the scenario's policy).
 */
import type { ExternalCheck } from '../gates/judge.js';
import { hostPort, renderQuery } from '../scenario/query-template.js';
import type { RunScenario } from '../scenario/schema.js';
import { activeAlerts, describeAlert } from './alertmanager.js';
import { type QueryOutcome, queryValue } from './prometheus.js';

/** Where a look is in the run. */
export interface ExternalLook {
  /** Step index, from 0. */
  index: number;
  /** Canary weight, percent. */
  weight: number;
  /** Time at this weight so far, ms. */
  windowMs: number;
  /** Ends the requests early when the run is aborted (the reset must not wait for a slow source). */
  signal?: AbortSignal;
}

/** Reads every external source for one look. */
export type ExternalSource = (look: ExternalLook) => Promise<ExternalCheck[]>;

/** Check name of the Alertmanager check in reports. */
export const ALERTS_CHECK = 'alertmanager: matching alerts';

/** The external source of a scenario, or undefined when it names none. */
export function externalSource(s: RunScenario): ExternalSource | undefined {
  const prom = s.prometheus;
  const am = s.alertmanager;
  if ((prom === undefined || prom.queries.length === 0) && am === undefined) return undefined;
  // At 100 % the baseline arm carries none of canary-gate's traffic: relative checks keep the
  // last baseline value a step measured, as the latency checks do.
  const lastBaseline = new Map<string, number>();
  return async (look) => {
    const ctx = (arm: 'canary' | 'baseline') => {
      const target = arm === 'canary' ? s.targets.canary : s.targets.baseline;
      return {
        arm,
        target: target ? hostPort(target.url) : '',
        windowMs: look.windowMs,
        minWindowMs: prom?.minWindow ?? 0,
        weight: look.weight,
        step: look.index + 1,
      };
    };
    const checks: Promise<ExternalCheck>[] = [];
    if (prom) {
      const client = {
        url: prom.url,
        timeoutMs: prom.timeout,
        headers: prom.headers,
        ...(look.signal ? { signal: look.signal } : {}),
      };
      for (const q of prom.queries) {
        checks.push(
          (async (): Promise<ExternalCheck> => {
            const onUnavailable = q.onUnavailable ?? prom.onUnavailable;
            const wantBaseline = q.vsBaseline !== undefined && look.weight < 100;
            const [canary, baseline] = await Promise.all([
              queryValue(client, renderQuery(q.query, ctx('canary'))),
              wantBaseline ? queryValue(client, renderQuery(q.query, ctx('baseline'))) : undefined,
            ]);
            if (baseline?.value != null) lastBaseline.set(q.name, baseline.value);
            const baselineValue = baseline?.value ?? (look.weight >= 100 ? lastBaseline.get(q.name) : undefined);
            const problem = problemOf(canary, 'canary') ?? (q.vsBaseline ? problemOf(baseline, 'baseline') : undefined);
            return {
              name: q.name,
              value: canary.value,
              ...(problem && (canary.value === null || baselineValue === undefined) ? { problem } : {}),
              ...(q.max !== undefined ? { max: q.max } : {}),
              ...(q.min !== undefined ? { min: q.min } : {}),
              ...(q.vsBaseline
                ? {
                    vsBaseline: {
                      ratio: q.vsBaseline.ratio,
                      slack: q.vsBaseline.slack,
                      baseline: baselineValue ?? null,
                    },
                  }
                : {}),
              critical: q.critical,
              onUnavailable,
              group: q.group,
            };
          })(),
        );
      }
    }
    if (am) {
      checks.push(
        activeAlerts(
          { url: am.url, timeoutMs: am.timeout, headers: am.headers, ...(look.signal ? { signal: look.signal } : {}) },
          am.matchers,
        ).then(
          (outcome): ExternalCheck => ({
            name: ALERTS_CHECK,
            value: outcome.alerts === null ? null : outcome.alerts.length,
            ...(outcome.problem ? { problem: outcome.problem } : {}),
            max: 0,
            critical: am.critical,
            onUnavailable: am.onUnavailable,
            group: 'alerts',
            ...(outcome.alerts && outcome.alerts.length > 0
              ? { detail: `firing: ${outcome.alerts.map(describeAlert).join(', ')}` }
              : {}),
          }),
        ),
      );
    }
    return Promise.all(checks);
  };
}

function problemOf(outcome: QueryOutcome | undefined, arm: string): string | undefined {
  if (outcome === undefined) return undefined;
  return outcome.value === null ? `${arm}: ${outcome.problem}` : undefined;
}

/**
 * Problems with the scenario's queries that Prometheus itself reports before anything is sent: a
 * query it rejects as bad data, or one that returns several series. Each names its field.
 * Unreachable Prometheus gives no problems here (pre-flight reports it).
 */
export async function queryProblems(s: RunScenario): Promise<string[]> {
  const prom = s.prometheus;
  if (!prom) return [];
  const client = { url: prom.url, timeoutMs: prom.timeout, headers: prom.headers };
  const target = hostPort(s.targets.canary.url);
  const outcomes = await Promise.all(
    prom.queries.map((q) =>
      queryValue(
        client,
        renderQuery(q.query, { arm: 'canary', target, windowMs: 60_000, minWindowMs: 0, weight: 0, step: 1 }),
      ),
    ),
  );
  return outcomes.flatMap((outcome, i) =>
    outcome.value === null && outcome.badQuery ? [`prometheus.queries[${i}].query: ${outcome.problem}`] : [],
  );
}
