/**
 * A whole capacity run: the pre-flight (one request to every probe URL must get an HTTP answer,
 * or nothing is sent), the search of the target and of the --compare target, and the
 * CapacityResult assembled from them with the capacity ratio and the exit code.
 */
import { capacityExitCode, EXIT } from '../exit-codes.js';
import { machineFingerprint } from '../result/run-result.js';
import { formatDurationMs, formatRatePerSec } from '../scenario/units.js';
import type { LoadRunner } from '../shard/coordinator.js';
import { probeTarget, searchCapacity } from './driver.js';
import type { CapacityPlan } from './plan.js';
import {
  CAPACITY_RESULT_SCHEMA_VERSION,
  type CapacityResult,
  type CapacityStep,
  type CapacityTargetResult,
  compareCapacity,
} from './result.js';

/** What a capacity run is told while it runs. */
export interface CapacityRunOptions {
  /** Aborts the search; the result holds the curve so far and says interrupted. */
  signal: AbortSignal;
  /** A line for people (a target's search starting). */
  say?: (text: string) => void;
  /** After each step of a target ("target" or "compare"). */
  onStep?: (label: string, step: CapacityStep) => void;
  /** Runs each step's load (default: the engine in this process). */
  runLoad?: LoadRunner;
  /** Set when the steps' load runs over shards: how many, and what runs them (reported in settings). */
  shards?: { count: number; executor: string };
}

/** Pre-flight every probe, search every target, and assemble the result. */
export async function runCapacity(p: CapacityPlan, o: CapacityRunOptions): Promise<CapacityResult> {
  for (const url of p.probes) await probeTarget(url, p.plan.timeoutMs);
  const startedAt = new Date().toISOString();
  const runs = [{ label: 'target', plan: p.plan }];
  if (p.compareUrl)
    runs.push({ label: 'compare', plan: { ...p.plan, targets: [{ arm: 'target', url: p.compareUrl, weight: 1 }] } });
  const targets: CapacityTargetResult[] = [];
  for (const run of runs) {
    if (o.signal.aborted) break;
    o.say?.(
      `capacity of ${run.plan.targets[0]?.url}: SLO ${p.slo.text}, from ${formatRatePerSec(p.search.startPerSec)} ×${p.search.factor} up to ${formatRatePerSec(p.search.maxPerSec)}, ${formatDurationMs(p.warmupMs)} warm-up + ${formatDurationMs(p.stepDurationMs)} per step\n`,
    );
    targets.push(
      await searchCapacity({
        label: run.label,
        plan: run.plan,
        slo: p.slo,
        search: p.search,
        stepDurationMs: p.stepDurationMs,
        warmupMs: p.warmupMs,
        cooldownMs: p.cooldownMs,
        signal: o.signal,
        ...(o.runLoad ? { runLoad: o.runLoad } : {}),
        onStep: (step) => o.onStep?.(run.label, step),
      }),
    );
  }
  const [first, second] = targets;
  return {
    schemaVersion: CAPACITY_RESULT_SCHEMA_VERSION,
    kind: 'capacity',
    name: p.name,
    startedAt,
    endedAt: new Date().toISOString(),
    slo: { text: p.slo.text, terms: p.slo.terms },
    settings: {
      startPerSec: p.search.startPerSec,
      maxPerSec: p.search.maxPerSec,
      factor: p.search.factor,
      precision: p.search.precision,
      stepDurationMs: p.stepDurationMs,
      warmupMs: p.warmupMs,
      cooldownMs: p.cooldownMs,
      connections: p.plan.connections,
      workers: p.plan.workers,
      timeoutMs: p.plan.timeoutMs,
      requests: p.plan.mix.map((r) => `${r.method} ${r.path}`),
      ...(o.shards ? { shards: o.shards } : {}),
    },
    targets,
    comparison: first && second ? compareCapacity(first, second) : null,
    machine: machineFingerprint(),
    exitCode: o.signal.aborted ? EXIT.interrupted : capacityExitCode(targets.map((t) => t.verdict)),
  };
}
