/**
 * The summary of a load run: the JSON shape of `load --json` (DESIGN.md's CLI contract) and its
 * compact text table. Renders a finished LoadResult and nothing else.
 */

import { encodeHistogram, type LatencySpectrumMs, spectrumMs } from '../hdr/histogram.js';
import type { LoadResult } from '../load/engine.js';
import { ERROR_CLASSES, type ErrorCounts } from '../load/error-class.js';
import { type GeneratorLimit, generatorLimitAdvice } from '../load/generator-limit.js';
import type { GeneratorSample } from '../load/generator-meter.js';
import type { GeneratorIntervalPoint, IntervalPoint } from '../load/interval-series.js';
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
  /** Transport failures by the client's error code (ECONNRESET, UND_ERR_INVALID_ARG, …). */
  errorCodes: Record<string, number>;
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
  /** Transport failures by the client's error code, over all arms. */
  errorCodes: Record<string, number>;
  statusCodes: Record<string, number>;
  /**
   * Per second of the measured window: `target` asked for, `achieved` responses (any status)
   * completed within the window, `sent` requests handed to a connection. A generator that falls
   * behind shows as achieved below sent or target.
   */
  rate: { target: number | null; achieved: number; sent: number };
  latencyMs: LatencySpectrumMs;
  serviceMs: LatencySpectrumMs;
  arms: Record<string, ArmSummary>;
  /** The generator's own load and whether its queue, not the service, made the latency; `advice` when it did. */
  generator: LoadResult['generator'] & { advice: string | null };
  intervals: Record<string, IntervalPoint[]>;
  /** The generator's per-second signals and verdict, same indices as `intervals`. */
  generatorIntervals: GeneratorIntervalPoint[];
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
    errorCodes: m.counters.errorCodes,
    statusCodes: m.counters.statusCodes,
    latencyMs: spectrumMs(m.latency),
    serviceMs: spectrumMs(m.service),
    endpoints: Object.fromEntries(
      m.endpoints.map((e) => [e.name, { requests: e.requests, errors: e.errors, latencyMs: spectrumMs(e.latency) }]),
    ),
  };
}

const round = (value: number, digits: number): number => Number(value.toFixed(digits));

/** A generator sample with its fractional figures rounded like the rest of the summary. */
function roundSample<T extends GeneratorSample>(g: T): T {
  return {
    ...g,
    waitMsSum: round(g.waitMsSum, 1),
    waitMsMax: round(g.waitMsMax, 2),
    serviceMsSum: round(g.serviceMsSum, 1),
    loopDelayP99Ms: round(g.loopDelayP99Ms, 2),
    loopDelayMaxMs: round(g.loopDelayMaxMs, 2),
    cpuPercent: round(g.cpuPercent, 1),
    durationMs: Math.round(g.durationMs),
  };
}

/** Build the summary of a finished run; secrets known to `redactor` never reach it. */
export function summarizeLoad(result: LoadResult, redactor?: Redactor): LoadSummary {
  const total = result.total.counters;
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
    errorCodes: total.errorCodes,
    statusCodes: total.statusCodes,
    rate: {
      target: result.plan.ratePerSec === undefined ? null : round(result.plan.ratePerSec, 3),
      achieved: round(result.throughput.completedPerSec, 1),
      sent: round(result.throughput.sentPerSec, 1),
    },
    latencyMs: spectrumMs(result.total.latency),
    serviceMs: spectrumMs(result.total.service),
    arms: Object.fromEntries(result.arms.map((m) => [m.arm, armSummary(m)])),
    generator: {
      ...result.generator,
      eventLoopDelayP99Ms: round(result.generator.eventLoopDelayP99Ms, 2),
      eventLoopDelayMaxMs: round(result.generator.eventLoopDelayMaxMs, 2),
      cpuPercent: round(result.generator.cpuPercent, 1),
      signals: roundSample(result.generator.signals),
      advice: generatorLimitAdvice(result.generator, result.generator.workers) ?? null,
    },
    intervals: result.intervals,
    generatorIntervals: result.generatorIntervals.map(roundSample),
    histogram: {
      unit: 'us',
      latency: encodeHistogram(result.total.latency),
      service: encodeHistogram(result.total.service),
    },
  };
  return redactor ? redactor.redact(summary) : summary;
}

const pad = (text: string, width: number): string => text.padStart(width);

/**
 * The sentence that says the latency is the generator's own queue, with what to do about it;
 * undefined when the generator kept up. The load summary prints it, and `load` repeats it on stderr.
 */
export function generatorLimitNote(g: GeneratorLimit & { workers: number }): string | undefined {
  if (!g.limited) return undefined;
  const reason = g.reasons.map((r) => r.text).join('; ');
  const advice = generatorLimitAdvice(g, g.workers);
  return `latency above is the generator's own queue: ${reason}${advice ? `; ${advice}` : ''}`;
}

/** Error codes as `CODE count`, most frequent first. */
export function formatErrorCodes(codes: Record<string, number> | undefined): string {
  return Object.entries(codes ?? {})
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
}
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
  const sent = s.model === 'open' ? `, ${s.rate.sent}/s sent` : '';
  lines.push(`  requests ${s.requests}   ${rate}${sent}`);
  const errorParts = ERROR_CLASSES.filter((c) => s.errorsByClass[c] > 0).map((c) => `${c} ${s.errorsByClass[c]}`);
  const errorRate = s.requests > 0 ? round((s.errors / s.requests) * 100, 2) : 0;
  lines.push(`  errors   ${s.errors} (${errorRate}%)${errorParts.length > 0 ? `   ${errorParts.join(', ')}` : ''}`);
  const codes = formatErrorCodes(s.errorCodes);
  if (codes !== '') lines.push(`  codes    ${codes}`);
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
    `  generator: ${g.workers} worker${g.workers === 1 ? '' : 's'}, cpu ${g.cpuPercent}%, event-loop delay p99 ${g.eventLoopDelayP99Ms}ms${g.limitedIntervals > 0 ? `, ${g.limitedIntervals}s generator-limited` : ''}`,
  );
  const note = generatorLimitNote(g);
  if (note !== undefined) lines.push(`  ${note}`);
  else for (const w of g.warnings) lines.push(`  note: ${w}`);
  return lines.join('\n');
}
