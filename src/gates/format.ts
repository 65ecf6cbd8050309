/**
 * How the judge writes numbers in its sentences: values in their unit, intervals with an open
 * side written as "≥ 37.5 ms" rather than "[37.5 ms, ?]", counts with thin grouping. Pure.
 */
import type { CheckUnit } from '../scenario/schema.js';

/** A value in a check's unit: "12.35 ms", "0.15%", "98.2/s"; "∞" for a latency no response bounds. */
export function formatValue(unit: CheckUnit, v: number | null | undefined): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '?';
  if (v === Number.POSITIVE_INFINITY) return '∞';
  if (unit === 'ms') return `${Number(v.toPrecision(v >= 100 ? 4 : 3))} ms`;
  if (unit === 'fraction') return `${Number((v * 100).toPrecision(3))}%`;
  return `${Number(v.toPrecision(4))}/s`;
}

/** An interval in a unit: "[a, b]", "≥ a", "≤ b", or "" when neither side is bounded. */
export function formatInterval(
  unit: CheckUnit,
  lower: number | null | undefined,
  upper: number | null | undefined,
): string {
  const hasLower = lower !== null && lower !== undefined && Number.isFinite(lower);
  const hasUpper = upper !== null && upper !== undefined && Number.isFinite(upper);
  if (hasLower && hasUpper) return `[${formatValue(unit, lower)}, ${formatValue(unit, upper)}]`;
  if (hasLower) return `≥ ${formatValue(unit, lower)}`;
  if (hasUpper) return `≤ ${formatValue(unit, upper)}`;
  return '';
}

/** A bare ratio or probability: 3 significant digits. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return v > 0 ? '∞' : v < 0 ? '−∞' : '?';
  return String(Number(v.toPrecision(3)));
}

/** A ratio interval: "[1.12, 1.27]", "≥ 1.12", "≤ 0.95". */
export function formatRatioInterval(lower: number | undefined, upper: number | undefined): string {
  const hasLower = lower !== undefined && Number.isFinite(lower) && lower > 0;
  const hasUpper = upper !== undefined && Number.isFinite(upper);
  if (hasLower && hasUpper) return `[${formatNumber(lower)}, ${formatNumber(upper)}]`;
  if (hasLower) return `≥ ${formatNumber(lower)}`;
  if (hasUpper) return `≤ ${formatNumber(upper)}`;
  return '';
}

/** A count with thin-space thousands: 18 000. */
export function formatCount(n: number): string {
  return Math.round(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}

/** " x" with a leading space, or "" when x is empty: for optional parts of sentences. */
export const spaced = (x: string): string => (x === '' ? '' : ` ${x}`);
