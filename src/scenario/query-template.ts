/**
 * PromQL query templates: `{{arm}}`, `{{target}}`, `{{window}}`, `{{weight}}` and `{{step}}` are
 * replaced by the look's values. Pure; the schema rejects unknown placeholders at load time.
 */

/** The values a template is filled with at one look. */
export interface QueryContext {
  /** "canary" or "baseline". */
  arm: string;
  /** host:port of the arm's URL (what Prometheus calls `instance` when it scrapes it). */
  target: string;
  /** Time at this step's weight so far, ms; rendered as whole seconds, at least `minWindowMs`. */
  windowMs: number;
  /** Shortest window rendered, ms (rate() needs two scrapes inside it). */
  minWindowMs: number;
  /** Canary weight, percent. */
  weight: number;
  /** Step number, from 1. */
  step: number;
}

/** A PromQL range duration for `ms`, at least `minMs`, in whole seconds, rounded up ("31s"). */
export function promDuration(ms: number, minMs = 0): string {
  return `${Math.max(1, Math.ceil(Math.max(ms, minMs) / 1000))}s`;
}

/** host:port of a URL, with the scheme's default port made explicit. */
export function hostPort(url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === 'https:' ? '443' : '80');
  return `${u.hostname}:${port}`;
}

/** Fill a query template. */
export function renderQuery(template: string, ctx: QueryContext): string {
  const values: Record<string, string> = {
    arm: ctx.arm,
    target: ctx.target,
    window: promDuration(ctx.windowMs, ctx.minWindowMs),
    weight: String(ctx.weight),
    step: String(ctx.step),
  };
  return template.replace(/\{\{\s*([^}]*?)\s*\}\}/g, (whole, name: string) => values[name] ?? whole);
}
