/** The load plan a scenario's traffic and request mix give for some targets and a duration. */

import type { Scenario } from '../scenario/schema.js';
import type { LoadPlan } from './plan.js';

/** What a load plan takes from a scenario of any mode: its traffic, its requests, its tracing. */
export interface ScenarioLoad {
  traffic: { rate?: number; connections: number; workers: number; timeout: number };
  requests: Scenario['requests'];
  tracing?: { sample: number; slowest: number } | undefined;
}

/** A LoadPlan for `targets` from the scenario's traffic settings and request mix. */
export function scenarioLoadPlan(
  scenario: ScenarioLoad,
  targets: LoadPlan['targets'],
  durationMs: number,
  warmupMs: number,
): LoadPlan {
  const t = scenario.traffic;
  const plan: LoadPlan = {
    targets,
    mix: scenario.requests.map((r) => ({
      method: r.method,
      path: r.path,
      headers: r.headers,
      weight: r.weight,
      ...(r.name ? { name: r.name } : {}),
      ...(r.body !== undefined ? { body: r.body } : {}),
    })),
    durationMs,
    warmupMs,
    connections: t.connections,
    pipelining: 1,
    workers: t.workers,
    timeoutMs: t.timeout,
  };
  if (t.rate !== undefined) plan.ratePerSec = t.rate;
  if (scenario.tracing) plan.tracing = { sample: scenario.tracing.sample, slowest: scenario.tracing.slowest };
  return plan;
}
