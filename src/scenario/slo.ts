/**
 * Service-level objectives written as one line, e.g. `p99<50ms,errors<0.1%`, parsed once into
 * terms. Pure. The grammar:
 *
 *   slo    = term *( "," term )
 *   term   = metric op bound
 *   metric = "p50" | "p90" | "p95" | "p99" | "p999" | "p99.9" | "max" | "mean" | "errors"
 *   op     = "<" | "<="
 *   bound  = duration (latency metrics: "50ms", "1.5s") | percentage (errors: "0.1%")
 *
 * Whitespace around tokens is ignored. Every bad term is reported, each quoting itself.
 */
import { durationOrProblem, percentOrProblem } from './units.js';

/** Metrics an SLO term can bound. */
export const SLO_METRICS = ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean', 'errors'] as const;

/** A metric an SLO term bounds. */
export type SloMetric = (typeof SLO_METRICS)[number];

/** One parsed term: `metric op limit`. */
export interface SloTerm {
  /** The term as written, trimmed (for reports). */
  text: string;
  /** What is bounded. */
  metric: SloMetric;
  /** Strict (`<`) or inclusive (`<=`). */
  op: '<' | '<=';
  /** The bound: ms for latency metrics, a fraction (0.001 = 0.1 %) for errors. */
  limit: number;
}

/** A parsed SLO: every term must hold. */
export interface Slo {
  /** The SLO as written. */
  text: string;
  /** Its terms, in order. */
  terms: SloTerm[];
}

const TERM = /^\s*([a-z0-9.]+)\s*(<=|<)\s*(\S.*?)\s*$/i;
const ALIASES: Record<string, SloMetric> = { 'p99.9': 'p999', errorrate: 'errors', error: 'errors' };

/** Parse an SLO, or list every problem (each names the bad term); never throws. */
export function sloOrProblems(text: string): { slo: Slo } | { problems: string[] } {
  const problems: string[] = [];
  const terms: SloTerm[] = [];
  const parts = text.split(',');
  if (text.trim() === '') return { problems: ['expected at least one term like "p99<50ms" or "errors<0.1%"'] };
  parts.forEach((raw, i) => {
    const where = `term ${i + 1} ${JSON.stringify(raw.trim())}`;
    const match = TERM.exec(raw);
    if (!match) {
      problems.push(`${where}: expected metric<bound like "p99<50ms" or "errors<=0.1%"`);
      return;
    }
    const name = (match[1] as string).toLowerCase();
    const metric = ALIASES[name] ?? SLO_METRICS.find((m) => m === name);
    if (metric === undefined) {
      problems.push(`${where}: unknown metric "${match[1]}"; expected one of ${SLO_METRICS.join(', ')}`);
      return;
    }
    const bound = match[3] as string;
    const parsed = metric === 'errors' ? percentOrProblem(bound) : durationOrProblem(bound);
    if ('problem' in parsed) {
      problems.push(`${where}: ${parsed.problem}`);
      return;
    }
    if (metric !== 'errors' && parsed.value <= 0) {
      problems.push(`${where}: expected a latency bound above 0, found ${JSON.stringify(bound)}`);
      return;
    }
    terms.push({ text: raw.trim(), metric, op: match[2] === '<=' ? '<=' : '<', limit: parsed.value });
  });
  return problems.length > 0 ? { problems } : { slo: { text: text.trim(), terms } };
}

/** The largest latency bound of an SLO, ms; undefined when it bounds errors only. */
export function largestLatencyLimitMs(slo: Slo): number | undefined {
  const limits = slo.terms.filter((t) => t.metric !== 'errors').map((t) => t.limit);
  return limits.length === 0 ? undefined : Math.max(...limits);
}

/** What a step measured, in the units of SLO terms. */
export interface SloObservation {
  /** Latency figures, ms. */
  latencyMs: Record<Exclude<SloMetric, 'errors'>, number>;
  /** Errors over finished requests, a fraction. */
  errorRate: number;
}

/** One term checked against an observation. */
export interface SloTermResult {
  /** The term as written. */
  term: string;
  /** Observed value: ms for latency, a fraction for errors. */
  observed: number;
  /** The bound. */
  limit: number;
  /** Whether the term holds. */
  pass: boolean;
}

/** Check every term of `slo`; the SLO holds when every term does. */
export function evaluateSlo(slo: Slo, observation: SloObservation): { pass: boolean; terms: SloTermResult[] } {
  const terms = slo.terms.map((t) => {
    const observed = t.metric === 'errors' ? observation.errorRate : observation.latencyMs[t.metric];
    const pass = t.op === '<' ? observed < t.limit : observed <= t.limit;
    return { term: t.text, observed, limit: t.limit, pass };
  });
  return { pass: terms.every((t) => t.pass), terms };
}
