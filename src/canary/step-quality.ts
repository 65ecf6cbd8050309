/**
 * What a step's evidence stands on, stored beside its verdict: each arm's sends (late, dropped)
 * and service time, the generator over the step's seconds, and the windows left out by kind. The
 * rollout driver and serve's runner read their steps from the same RolloutLoad and record alike.
 */
import type { StepVerdict } from '../gates/verdict.js';
import { spectrumMs } from '../hdr/histogram.js';
import type { StepQuality } from '../result/run-result.js';
import type { StepLook } from './rollout-load.js';

/** What the step's evidence stands on: the load's sends, service time, the generator, what was left out. */
export function stepQuality(m: StepLook, verdict: StepVerdict): StepQuality {
  const arms: StepQuality['arms'] = {};
  for (const a of m.loadArms) {
    const service = a.service.totalCount > 0 ? spectrumMs(a.service) : undefined;
    arms[a.arm] = {
      sent: a.counters.sent,
      late: a.counters.late,
      dropped: a.counters.dropped,
      serviceMs: service ? { p50: service.p50, p90: service.p90, p99: service.p99, max: service.max } : null,
    };
  }
  const excluded: Record<string, number> = {};
  for (const w of verdict.excluded ?? []) excluded[w.kind] = (excluded[w.kind] ?? 0) + 1;
  const g = m.generator;
  const limit = m.generatorLimit;
  return {
    arms,
    ...(g && limit
      ? {
          generator: {
            cpuPercent: Math.round(g.cpuPercent * 10) / 10,
            loopDelayP99Ms: Math.round(g.loopDelayP99Ms * 100) / 100,
            loopDelayMaxMs: Math.round(g.loopDelayMaxMs * 100) / 100,
            limited: limit.limited,
            reasons: limit.reasons.map((r) => r.text),
            limitedSeconds: m.limitedSeconds,
          },
        }
      : {}),
    excluded,
  };
}
