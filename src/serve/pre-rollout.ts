/**
 * Flagger's pre-rollout (and the first look of an Argo session): both arms' health endpoints, then
 * a short smoke load to both. An arm that answers no request, or fails more than one in ten, is
 * not worth measuring: the controller hears why before any traffic moves.
 */
import { preflight } from '../canary/preflight.js';
import { runLoad } from '../load/engine.js';
import { scenarioLoadPlan } from '../load/scenario-plan.js';
import type { CanaryScenario } from '../scenario/schema.js';

/** Largest share of failed smoke requests an arm may have. */
export const SMOKE_MAX_ERROR_SHARE = 0.1;

/** The outcome of the checks before the first step. */
export interface PreRolloutResult {
  ok: boolean;
  /** One sentence: what passed, or which arm failed and how. */
  reason: string;
}

/** Health of every endpoint, then `smokeMs` of load to both arms; never throws. */
export async function preRolloutCheck(
  scenario: CanaryScenario,
  smokeMs: number,
  signal: AbortSignal,
): Promise<PreRolloutResult> {
  try {
    const health = await preflight(scenario);
    const sick = health.filter((h) => !h.healthy);
    if (sick.length > 0) {
      return {
        ok: false,
        reason: `pre-flight: ${health.length - sick.length}/${health.length} healthy; unhealthy: ${sick.map((h) => `${h.service} ${h.url} (${h.detail})`).join(', ')}`,
      };
    }
    const targets = [
      ...(scenario.targets.baseline ? [{ arm: 'baseline', url: scenario.targets.baseline.url, weight: 1 }] : []),
      { arm: 'canary', url: scenario.targets.canary.url, weight: 1 },
    ];
    const smoke = await runLoad(scenarioLoadPlan(scenario, targets, smokeMs, 0), { signal });
    if (signal.aborted) return { ok: false, reason: 'pre-flight: the smoke load was cut short' };
    const problems = smoke.arms.flatMap((arm) => {
      const { requests, errors } = arm.counters;
      if (requests === 0) return [`${arm.arm} answered no request in ${smokeMs} ms`];
      const share = errors / requests;
      return share > SMOKE_MAX_ERROR_SHARE
        ? [`${arm.arm} failed ${errors} of ${requests} smoke requests (${(share * 100).toFixed(1)} %)`]
        : [];
    });
    const missing = targets
      .filter((t) => !smoke.arms.some((a) => a.arm === t.arm))
      .map((t) => `${t.arm} got no request`);
    const all = [...problems, ...missing];
    if (all.length > 0) return { ok: false, reason: `smoke load: ${all.join('; ')}` };
    const summary = smoke.arms.map(
      (a) => `${a.arm} ${a.counters.requests - a.counters.errors}/${a.counters.requests} ok`,
    );
    return {
      ok: true,
      reason: `pre-flight: ${health.length}/${health.length} healthy; smoke load: ${summary.join(', ')}`,
    };
  } catch (error) {
    return { ok: false, reason: `pre-flight: ${(error as Error).message}` };
  }
}
