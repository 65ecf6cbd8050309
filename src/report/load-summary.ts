/**
 * The summary of a load run: the JSON shape of `load --json` (DESIGN.md's CLI contract) and its
 * compact text table. Renders a finished LoadResult and nothing else.
 */

import { encodeHistogram, type LatencySpectrumMs, spectrumMs } from '../hdr/histogram.js';
import type { LoadResult } from '../load/engine.js';
import { ERROR_CLASSES, type ErrorCounts } from '../load/error-class.js';
import type { IntervalPoint } from '../load/interval-series.js';
import type { ArmMeasurements } from '../load/recorder.js';
import type { Redactor } from '../scenario/secrets.js';
import { formatDurationMs } from '../scenario/units.js';

/** Version of the summary's JSON shape. */
export const LOAD_SUMMARY_SCHEMA_VERSION = 1;

/** Counts and latency of one arm or endpoint. */
export interface ArmSummary {
  url: string;
  requests: number;
  responses: number;
  errors: number;
  late: number;
  dropped: number;
  errorsByClass: ErrorCounts;
  statusCodes: Record<string, number>;
  latencyMs: LatencySpectrumMs;
  serviceMs: LatencySpectrumMs;
  endpoints: Record<string, { requests: number; errors: number; latencyMs: LatencySpectrumMs }>;
}

/** What `load --json` prints. */
export interface LoadSummary {
  schemaVersion: number;
  /** "open" (constant arrival rate) or "closed" (fixed concurrency). */
  model: 'open' | 'closed';
  /** Whether latency counts from the intended send time. */
  coCorrected: boolean;
  /** Plain words on what the latency figures mean. */
  note: string;
  startedAt: string;
  aborted: boolean;
  /** Window over which requests were sent and measured, ms. */
  durationMs: number;
  /** Warm-up before it (sent, not measured), ms. */
  warmupMs: number;
  /** Start to the last finished request, ms. */
  elapsedMs: number;
  /** Finished requests (responses, transport errors and drops). */
  requests: number;
  responses: number;
  errors: number;
  /** Sends more than 10 ms behind schedule. */
  late: number;
  /** Scheduled requests never sent because no connection came free in time. */
  dropped: number;
  errorsByClass: ErrorCounts;
  statusCodes: Record<string, number>;
  rate: { target: number | null; achieved: number };
  latencyMs: LatencySpectrumMs;
  serviceMs: LatencySpectrumMs;
  arms: Record<string, ArmSummary>;
  generator: LoadResult['generator'];
  intervals: Record<string, IntervalPoint[]>;
  /** HdrHistogram compressed base64, values in µs, for exact merging and re-analysis. */
  histogram: { unit: 'us'; latency: string; service: string };
}

/** Counts and latency spectra of one arm. */
export function armSummary(m: ArmMeasurements): ArmSummary {
  return {
    url: m.url,
    requests: m.counters.requests,
    responses: m.counters.responses,
    errors: m.counters.errors,
    late: m.counters.late,
    dropped: m.counters.dropped,
    errorsByClass: m.counters.errorsByClass,
    statusCodes: m.counters.statusCodes,
    latencyMs: spectrumMs(m.latency),
    serviceMs: spectrumMs(m.service),
    endpoints: Object.fromEntries(
      m.endpoints.map((e) => [e.name, { requests: e.requests, errors: e.errors, latencyMs: spectrumMs(e.latency) }]),
    ),
  };
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/** Build the summary of a finished run; secrets known to `redactor` never reach it. */
export function summarizeLoad(result: LoadResult, redactor?: Redactor): LoadSummary {
  const total = result.total.counters;
  const windowSec = result.sendWindowMs / 1000;
  const summary: LoadSummary = {
    schemaVersion: LOAD_SUMMARY_SCHEMA_VERSION,
    model: result.model,
    coCorrected: result.coCorrected,
    note: result.coCorrected
      ? 'open model: constant arrival rate; latency counts from the intended send time (coordinated-omission corrected)'
      : 'closed model: fixed concurrency; latency counts from the actual send and is NOT corrected for coordinated omission',
    startedAt: result.startedAt,
    aborted: result.aborted,
    durationMs: Math.round(result.sendWindowMs),
    warmupMs: result.plan.warmupMs ?? 0,
    elapsedMs: Math.round(result.elapsedMs),
    requests: total.requests,
    responses: total.responses,
    errors: total.errors,
    late: total.late,
    dropped: total.dropped,
    errorsByClass: total.errorsByClass,
    statusCodes: total.statusCodes,
    rate: {
      target: result.plan.ratePerSec === undefined ? null : round(result.plan.ratePerSec, 3),
      achieved: windowSec > 0 ? round((result.model === 'open' ? total.sent : total.requests) / windowSec, 1) : 0,
    },
    latencyMs: spectrumMs(result.total.latency),
    serviceMs: spectrumMs(result.total.service),
    arms: Object.fromEntries(result.arms.map((m) => [m.arm, armSummary(m)])),
    generator: {
      ...result.generator,
      eventLoopDelayP99Ms: round(result.generator.eventLoopDelayP99Ms, 2),
      eventLoopDelayMaxMs: round(result.generator.eventLoopDelayMaxMs, 2),
      cpuPercent: round(result.generator.cpuPercent, 1),
    },
    intervals: result.intervals,
    histogram: {
      unit: 'us',
      latency: encodeHistogram(result.total.latency),
      service: encodeHistogram(result.total.service),
    },
  };
  return redactor ? redactor.redact(summary) : summary;
}

const pad = (text: string, width: number): string => text.padStart(width);
const ms = (value: number): string => (value >= 1000 ? `${round(value / 1000, 2)}s` : `${round(value, 2)}ms`);

/** The human table: throughput, errors by class, the percentile spectrum. */
export function renderLoadSummary(s: LoadSummary): string {
  const lines: string[] = [];
  const targets = Object.entries(s.arms)
    .map(([arm, a]) => (arm === 'target' ? a.url : `${arm}=${a.url}`))
    .join(', ');
  lines.push(
    `${s.model === 'open' ? 'open model' : 'closed model'} · ${targets} · ${formatDurationMs(s.durationMs)}${s.warmupMs > 0 ? ` after ${formatDurationMs(s.warmupMs)} warm-up` : ''}${s.aborted ? ' · ABORTED' : ''}`,
  );
  lines.push(`  ${s.note}`);
  const rate =
    s.rate.target === null
      ? `${s.rate.achieved}/s achieved`
      : `${s.rate.achieved}/s achieved of ${s.rate.target}/s target (${round((s.rate.achieved / s.rate.target) * 100, 1)}%)`;
  lines.push(`  requests ${s.requests}   ${rate}`);
  const errorParts = ERROR_CLASSES.filter((c) => s.errorsByClass[c] > 0).map((c) => `${c} ${s.errorsByClass[c]}`);
  const errorRate = s.requests > 0 ? round((s.errors / s.requests) * 100, 2) : 0;
  lines.push(`  errors   ${s.errors} (${errorRate}%)${errorParts.length > 0 ? `   ${errorParts.join(', ')}` : ''}`);
  if (s.model === 'open') lines.push(`  late     ${s.late}   dropped ${s.dropped}`);
  const header = ['', 'p50', 'p90', 'p95', 'p99', 'p99.9', 'max'];
  const row = (label: string, l: LatencySpectrumMs): string[] => [
    label,
    ms(l.p50),
    ms(l.p90),
    ms(l.p95),
    ms(l.p99),
    ms(l.p999),
    ms(l.max),
  ];
  const rows = [header, row(s.model === 'open' ? 'latency' : 'latency*', s.latencyMs)];
  if (s.model === 'open') rows.push(row('service', s.serviceMs));
  const arms = Object.entries(s.arms);
  if (arms.length > 1) for (const [arm, a] of arms) rows.push(row(arm, a.latencyMs));
  const widths = header.map((_, i) => Math.max(...rows.map((r) => (r[i] as string).length)));
  for (const r of rows)
    lines.push(
      `  ${r.map((cell, i) => (i === 0 ? cell.padEnd(widths[0] as number) : pad(cell, (widths[i] as number) + 2))).join('')}`,
    );
  if (s.model === 'closed') lines.push('  * not corrected for coordinated omission');
  const g = s.generator;
  lines.push(
    `  generator: ${g.workers} worker${g.workers === 1 ? '' : 's'}, cpu ${g.cpuPercent}%, event-loop delay p99 ${g.eventLoopDelayP99Ms}ms`,
  );
  return lines.join('\n');
}
