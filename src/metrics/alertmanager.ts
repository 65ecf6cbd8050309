/**
 * An Alertmanager API v2 client: the firing alerts (not silenced, not inhibited) that match a
 * set of matchers. A failure to ask is a problem sentence, never an empty list.
 */
import { request } from 'undici';
import { requestProblem } from './request-problem.js';

/** An active alert, as much of it as a report needs. */
export interface ActiveAlert {
  /** The alertname label. */
  name: string;
  /** All labels. */
  labels: Record<string, string>;
  /** When it started firing (ISO time). */
  startsAt: string;
}

/** Active matching alerts, or why they could not be read. */
export type AlertsOutcome = { alerts: ActiveAlert[]; problem?: undefined } | { alerts: null; problem: string };

/** How to reach Alertmanager. */
export interface AlertmanagerClientOptions {
  /** Base URL, e.g. http://127.0.0.1:9093. */
  url: string;
  /** Request timeout, ms. */
  timeoutMs: number;
  /** Extra headers (authorization). */
  headers?: Record<string, string>;
  /** Ends the request early (the run was aborted). */
  signal?: AbortSignal;
}

/** The active alerts matching every matcher (Alertmanager's own `filter` syntax). */
export async function activeAlerts(o: AlertmanagerClientOptions, matchers: readonly string[]): Promise<AlertsOutcome> {
  const url = new URL('api/v2/alerts', o.url.endsWith('/') ? o.url : `${o.url}/`);
  url.searchParams.set('active', 'true');
  url.searchParams.set('silenced', 'false');
  url.searchParams.set('inhibited', 'false');
  for (const m of matchers) url.searchParams.append('filter', m.trim());
  try {
    const response = await request(url, {
      headers: { ...o.headers, accept: 'application/json' },
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      signal: o.signal
        ? AbortSignal.any([o.signal, AbortSignal.timeout(o.timeoutMs)])
        : AbortSignal.timeout(o.timeoutMs),
    });
    const text = await response.body.text();
    if (response.statusCode !== 200) {
      return {
        alerts: null,
        problem: `Alertmanager answered HTTP ${response.statusCode}: ${text.trim().slice(0, 200)}`,
      };
    }
    return parseAlerts(text);
  } catch (error) {
    return { alerts: null, problem: requestProblem('Alertmanager', o.url, o.timeoutMs, error) };
  }
}

/**
 * Parse /api/v2/alerts. Suppressed alerts (silenced or inhibited) are left out; "unprocessed" ones
 * count, since an alert just posted is unprocessed for a moment and is firing all the same. Pure.
 */
export function parseAlerts(text: string): AlertsOutcome {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { alerts: null, problem: 'Alertmanager answered with a body that is not JSON' };
  }
  if (!Array.isArray(body)) return { alerts: null, problem: 'Alertmanager answered with something other than a list' };
  const alerts: ActiveAlert[] = [];
  for (const a of body as { labels?: Record<string, string>; startsAt?: string; status?: { state?: string } }[]) {
    if (a.status?.state === 'suppressed') continue;
    const labels = a.labels ?? {};
    alerts.push({ name: labels.alertname ?? '(unnamed)', labels, startsAt: a.startsAt ?? '' });
  }
  return { alerts };
}

/** "HighErrorRate{service="checkout",severity="critical"}" for a report. */
export function describeAlert(alert: ActiveAlert): string {
  const { alertname: _name, ...rest } = alert.labels;
  const labels = Object.entries(rest)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v}"`)
    .join(',');
  return `${alert.name}{${labels}}`;
}
