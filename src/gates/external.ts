/**
 * External checks: a value from outside the load (a PromQL query, an alert count) held to its
 * bounds. There is no sample behind such a value, so it passes or fails as it reads; a value that
 * could not be read fails closed or stays inconclusive, as the check says. Pure.
 */
import type { CheckResult } from './verdict.js';

/** A value from outside the load (a PromQL query, an alert count) with its bounds. */
export interface ExternalCheck {
  /** Name in reports. */
  name: string;
  /** The canary's value, or null when the source gave none. */
  value: number | null;
  /** Why there is no value (or no baseline value): "Prometheus timed out after 5000 ms". */
  problem?: string;
  /** Absolute upper bound. */
  max?: number;
  /** Absolute lower bound. */
  min?: number;
  /** canary ≤ baseline × ratio + slack; `baseline` null when the source gave none for that arm. */
  vsBaseline?: { ratio: number; slack: number; baseline: number | null };
  /** A failure rolls back at once. */
  critical: boolean;
  /** What a missing value means: an error (fail closed, rolls back at once) or inconclusive. */
  onUnavailable: 'error' | 'inconclusive';
  /** Weight group; default "external". */
  group?: string;
  /** Said after the verdict, e.g. the names of firing alerts. */
  detail?: string;
}

/** Judge one external value; `samples` are the canary's requests at this look. */
export function judgeExternal(x: ExternalCheck, samples: Record<string, number>): CheckResult {
  const base = {
    name: x.name,
    group: x.group ?? 'external',
    unit: 'value' as const,
    samples,
    critical: x.critical,
    interval: null,
  };
  const limit =
    x.vsBaseline && x.vsBaseline.baseline !== null
      ? x.vsBaseline.baseline * x.vsBaseline.ratio + x.vsBaseline.slack
      : undefined;
  const value = x.value;
  // A canary value that already breaks an absolute bound fails, whatever the baseline gave.
  const brokenAbsolute =
    value !== null && ((x.max !== undefined && value > x.max) || (x.min !== undefined && value < x.min));
  const noBaseline = x.vsBaseline !== undefined && x.vsBaseline.baseline === null;
  if (value === null || (noBaseline && !brokenAbsolute)) {
    const status = x.onUnavailable === 'inconclusive' ? 'inconclusive' : 'error';
    const what = value === null ? 'no value' : 'no baseline value';
    return {
      ...base,
      status,
      observed: value,
      threshold: x.max ?? x.min ?? limit ?? null,
      reason: `${x.name}: ${what} (${x.problem ?? 'the source could not be read'}); ${status === 'error' ? 'failing closed' : 'inconclusive'}`,
    };
  }
  const over = x.max !== undefined && value > x.max;
  const under = x.min !== undefined && value < x.min;
  const overBaseline = limit !== undefined && value > limit;
  const bounds = [
    x.max !== undefined ? `≤ ${plain(x.max)}` : '',
    x.min !== undefined ? `≥ ${plain(x.min)}` : '',
    x.vsBaseline && limit !== undefined
      ? `≤ baseline ${plain(x.vsBaseline.baseline as number)} × ${x.vsBaseline.ratio}${x.vsBaseline.slack ? ` + ${plain(x.vsBaseline.slack)}` : ''} = ${plain(limit)}`
      : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const failed = over || under || overBaseline;
  return {
    ...base,
    status: failed ? 'fail' : 'pass',
    observed: value,
    threshold: over
      ? (x.max ?? null)
      : under
        ? (x.min ?? null)
        : overBaseline
          ? (limit ?? null)
          : (x.max ?? limit ?? x.min ?? null),
    reason: `${x.name} = ${plain(value)} ${failed ? 'breaks' : 'meets'} ${bounds || 'no bound'}${x.detail ? `: ${x.detail}` : ''}`,
  };
}

/** A plain number for sentences: at most 4 significant digits, no exponent for ordinary sizes. */
function plain(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
}
