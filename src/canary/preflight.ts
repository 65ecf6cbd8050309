/** Pre-flight: every health endpoint (and Prometheus and Alertmanager when checks use them) must answer 2xx before any weight changes. */
import { setTimeout as sleep } from 'node:timers/promises';
import { probe } from '../metrics/probe.js';
import type { HealthResult } from '../result/run-result.js';
import type { RunScenario } from '../scenario/schema.js';

/** Every health URL of a scenario. */
export function healthUrls(
  scenario: RunScenario,
): { service: string; url: string; headers?: Record<string, string> }[] {
  const out: { service: string; url: string; headers?: Record<string, string> }[] = [];
  for (const [service, target] of Object.entries(scenario.targets)) {
    for (const path of target?.health ?? []) out.push({ service, url: `${target?.url.replace(/\/+$/, '')}${path}` });
  }
  for (const extra of scenario.health.extra) out.push({ service: extra.name, url: extra.url });
  // The checks' own sources must answer too: a run judged without them would fail closed anyway.
  // The APIs the checks use, not /-/ready: Prometheus-compatible services behind a path prefix
  // (Mimir, Thanos, hosted Prometheus) serve the query API but not the server's own endpoints.
  const base = (url: string) => url.replace(/\/+$/, '');
  if (scenario.prometheus && scenario.prometheus.queries.length > 0)
    out.push({
      service: 'prometheus',
      url: `${base(scenario.prometheus.url)}/api/v1/query?query=vector(1)`,
      headers: scenario.prometheus.headers,
    });
  if (scenario.alertmanager)
    out.push({
      service: 'alertmanager',
      url: `${base(scenario.alertmanager.url)}/api/v2/status`,
      headers: scenario.alertmanager.headers,
    });
  return out;
}

/** Check every health URL (with retries); resolves with every result, healthy or not. */
export async function preflight(scenario: RunScenario): Promise<HealthResult[]> {
  const { timeout, retries } = scenario.health;
  return Promise.all(
    healthUrls(scenario).map(async ({ service, url, headers }) => {
      let last = { ok: false, detail: '' };
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0) await sleep(200 * attempt);
        last = await probe(url, timeout, headers);
        if (last.ok) break;
      }
      return { service, url, healthy: last.ok, detail: last.detail };
    }),
  );
}
