/**
 * The judge's section of a scenario: checks, statistics and scoring, with their defaults, and the
 * resolution of a check as written into a `Check` whose bounds are numbers in its metric's unit.
 * A regression run of two builds (mode regress) holds the candidate to the baseline build only,
 * so its checks have no `vsStored`: the schema says so instead of a command refusing it. Pure.
 */
import { z } from 'zod';
import { SCENARIO_LIMITS } from './limits.js';
import { durationOrProblem, type Parsed, percentOrProblem } from './units.js';
import { percent, rate } from './values.js';

/** Latency percentiles and statistics a check can name. */
export const LATENCY_METRICS = ['p50', 'p90', 'p95', 'p99', 'p999', 'max', 'mean'] as const;
/** Every metric a check can name; "distribution" compares whole latency distributions (Mann-Whitney U). */
export const METRICS = [...LATENCY_METRICS, 'distribution', 'errorRate', 'throughput'] as const;

type Metric = (typeof METRICS)[number];

/** Unit a check's bounds are in, after parsing. */
export type CheckUnit = 'ms' | 'fraction' | 'perSec';

/** A check with its bounds parsed into its metric's unit and its defaults applied. */
export interface Check {
  /** Name in reports. */
  name: string;
  /** What is measured on the canary arm. */
  metric: Metric;
  /** Unit of max, min and slack: ms for latency, a fraction for errorRate, per second for throughput. */
  unit: CheckUnit;
  /** Absolute upper bound. */
  max?: number;
  /** Absolute lower bound (throughput). */
  min?: number;
  /** Limit relative to the live baseline arm. */
  vsBaseline?: { ratio: number; slack: number };
  /** Limit relative to the stored baseline. */
  vsStored?: { ratio: number; slack: number };
  /** A failure rolls back at once. */
  critical: boolean;
  /** Weight group for the score. */
  group: string;
}

/** What a check can be held against: the live baseline arm, a stored baseline file. */
export type Reference = 'vsBaseline' | 'vsStored';

const limitSchema = z
  .strictObject({
    ratio: z.number().positive().describe('allowed canary/reference ratio, e.g. 1.10 for +10 %'),
    slack: z
      .union([z.string(), z.number()])
      .optional()
      .describe('absolute slack added to the limit: a duration for latency, a percentage for errorRate'),
  })
  .describe('canary ≤ reference × ratio + slack');

type RawLimit = z.output<typeof limitSchema>;

const REFERENCE_DOCS: Record<Reference, string> = {
  vsBaseline: 'limit relative to the live baseline arm',
  vsStored: 'limit relative to the stored baseline file',
};

/** Parse a bound written as a duration (latency) or a percentage (errorRate). */
function boundOrProblem(metric: Metric, raw: string | number): Parsed {
  return metric === 'errorRate' ? percentOrProblem(raw) : durationOrProblem(raw);
}

const referenceFields = {
  vsBaseline: limitSchema.optional().describe(REFERENCE_DOCS.vsBaseline),
  vsStored: limitSchema.optional().describe(REFERENCE_DOCS.vsStored),
};

/** The schema of one check that may be held against `references`. */
function checkSchema<R extends Reference>(references: readonly R[]) {
  const one = references.join(' or ');
  const refs = Object.fromEntries(references.map((r) => [r, referenceFields[r]])) as Pick<typeof referenceFields, R>;
  return z
    .strictObject({
      name: z.string().min(1).optional().describe('name in reports; default derived from metric and kind'),
      metric: z.enum(METRICS).describe('what is measured on the canary arm'),
      max: z
        .union([z.string(), z.number()])
        .optional()
        .describe('absolute upper bound: a duration for latency metrics ("250ms"), a percentage for errorRate ("1%")'),
      min: rate('absolute lower bound, for throughput').optional(),
      ...refs,
      critical: z
        .boolean()
        .default(true)
        .describe(
          'a failure rolls back at once, whatever the score (the default); false: the check counts only in the score',
        ),
      group: z.string().min(1).optional().describe('weight group for the score; default "latency" or "errors"'),
    })
    .superRefine((raw, ctx) => {
      const check = raw as unknown as RawCheck;
      const related = references.some((r) => check[r] !== undefined);
      if (check.max === undefined && check.min === undefined && !related) {
        ctx.addIssue({
          code: 'custom',
          path: [],
          message: `expected at least one of max, min, ${references.join(', ')}`,
        });
      }
      if (check.metric === 'throughput' && check.max !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['max'], message: 'throughput takes min, not max' });
      }
      if (check.metric === 'distribution' && !related) {
        ctx.addIssue({ code: 'custom', path: [], message: `distribution compares with a reference: expected ${one}` });
      }
      if (check.metric === 'distribution' && check.max !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['max'], message: `distribution takes ${one}, not max` });
      }
      if (check.metric !== 'throughput' && check.min !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['min'], message: `${check.metric} takes max, not min` });
      }
      if (check.max !== undefined && check.metric !== 'throughput') {
        const parsed = boundOrProblem(check.metric, check.max);
        if ('problem' in parsed)
          ctx.addIssue({ code: 'custom', path: ['max'], message: parsed.problem, input: check.max });
      }
      for (const key of references) {
        const slack = check[key]?.slack;
        if (slack === undefined) continue;
        const parsed = boundOrProblem(check.metric, slack);
        if ('problem' in parsed)
          ctx.addIssue({ code: 'custom', path: [key, 'slack'], message: parsed.problem, input: slack });
      }
    })
    .describe(
      `one check: an absolute bound and/or limits relative to ${references.length > 1 ? 'the baseline arm or a stored baseline' : 'the baseline build'}`,
    );
}

/** Statistical settings of the judge. */
export const StatisticsSchema = z
  .strictObject({
    alpha: z
      .number()
      .gt(0)
      .lt(0.5)
      .default(0.01)
      .describe(
        "false-rollback budget per run: shared by the steps, each step's spent over its looks (O'Brien-Fleming): 80 % over the planned step's samples, 20 % over the extensions to maxStepDuration",
      ),
    beta: z
      .number()
      .gt(0)
      .lt(0.5)
      .default(0.05)
      .describe(
        "false-promotion budget per check: a canary regressed by a check's margin passes it with at most this probability, spent over the planned step",
      ),
    minSamples: z.number().int().positive().default(200).describe('fewest requests per arm before a check can pass'),
    designEffect: z
      .number()
      .min(1)
      .max(10_000)
      .default(1)
      .describe(
        'bursts the plan-time power assumes: how many requests count as one independent sample (stalls and GC pauses slow requests together; 1: independent). The judge measures the real one from per-second windows; `bursts: … count as …` in a run names it',
      ),
    maxIncrease: percent('median increase a distribution check allows when it names no ratio (effect size)').default(
      0.05,
    ),
    inconclusive: z
      .enum(['rollback', 'continue'])
      .default('rollback')
      .describe('what a step still inconclusive at maxStepDuration does: roll back, or count as passing'),
  })
  .describe('statistical settings of the judge');

/** The judge's configuration, its checks held against `references`. */
function gatesSchema(references: readonly Reference[], checksDoc: string) {
  return z
    .strictObject({
      // No default here: a list left out (the defaults apply) must stay apart from one written empty.
      checks: z.array(checkSchema(references)).max(SCENARIO_LIMITS.maxChecks).optional().describe(checksDoc),
      statistics: StatisticsSchema.prefault({}),
      weights: z
        .record(z.string().max(SCENARIO_LIMITS.maxTextChars), z.number().nonnegative().max(1_000_000))
        .refine((r) => Object.keys(r).length <= SCENARIO_LIMITS.maxChecks, {
          message: `expected at most ${SCENARIO_LIMITS.maxChecks} groups`,
        })
        .default({})
        .describe('weight of each check group in the 0–10 score; groups not named weigh 1'),
      passScore: z.number().min(0).max(10).default(7).describe('lowest score that promotes'),
    })
    .describe('the judge: checks, statistics, scoring');
}

/** The judge of a staged run: checks against the live baseline arm and a stored baseline. */
export const GatesSchema = gatesSchema(
  ['vsBaseline', 'vsStored'],
  'the checks, evaluated at every step; none: p50, p99, the distribution and the error rate against the baseline arm (a regression run: the stored baseline), see defaultRelativeChecks',
);

/** The judge of a regression run of two builds: checks against the baseline build only. */
export const RegressGatesSchema = gatesSchema(
  ['vsBaseline'],
  'the checks of the candidate against the baseline build; none: p50, p99, the distribution and the error rate (see defaultRelativeChecks)',
);

/** The judge's settings with every default applied (what `compare` uses without a scenario). */
export type Gates = Omit<z.output<typeof GatesSchema>, 'checks'> & { checks: Check[] };

function unitOf(metric: Metric): CheckUnit {
  if (metric === 'errorRate') return 'fraction';
  if (metric === 'throughput') return 'perSec';
  return 'ms';
}

function parsedValue(parsed: Parsed): number {
  return 'value' in parsed ? parsed.value : Number.NaN;
}

/** A check as written, defaults applied. */
interface RawCheck {
  name?: string | undefined;
  metric: Metric;
  max?: string | number | undefined;
  min?: number | undefined;
  vsBaseline?: RawLimit | undefined;
  vsStored?: RawLimit | undefined;
  critical: boolean;
  group?: string | undefined;
}

function resolveCheck(check: RawCheck, name: string): Check {
  const unit = unitOf(check.metric);
  const limit = (l: RawLimit) => ({
    ratio: l.ratio,
    slack: l.slack === undefined ? 0 : parsedValue(boundOrProblem(check.metric, l.slack)),
  });
  const resolved: Check = {
    name,
    metric: check.metric,
    unit,
    critical: check.critical,
    group: check.group ?? (unit === 'ms' ? 'latency' : unit === 'fraction' ? 'errors' : 'throughput'),
  };
  if (check.max !== undefined) resolved.max = parsedValue(boundOrProblem(check.metric, check.max));
  if (check.min !== undefined) resolved.min = check.min;
  if (check.vsBaseline) resolved.vsBaseline = limit(check.vsBaseline);
  if (check.vsStored) resolved.vsStored = limit(check.vsStored);
  return resolved;
}

/** Checks as written, resolved: unnamed checks are called after their metric, repeats get "#2", "#3". */
export function resolveChecks(checks: readonly RawCheck[]): Check[] {
  const seen = new Map<string, number>();
  return checks.map((check) => {
    const base = check.name ?? check.metric;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return resolveCheck(check, n === 1 ? base : `${base} #${n}`);
  });
}

/**
 * The default checks of a comparison with a reference (compare against a stored baseline, regress
 * against the baseline build): p50 and p99 within 10 % + 1 ms, the distribution (Mann-Whitney U,
 * a 10 % median shift), and the error rate at most twice the reference's + 0.1 %; every one
 * critical, as a check written in a scenario is by default.
 */
export function defaultRelativeChecks(limit: Reference): Check[] {
  const check = (name: Check['metric'], ratio: number, slack: number): Check => ({
    name,
    metric: name,
    unit: name === 'errorRate' ? 'fraction' : 'ms',
    [limit]: { ratio, slack },
    critical: true,
    group: name === 'errorRate' ? 'errors' : 'latency',
  });
  return [check('p50', 1.1, 1), check('p99', 1.1, 1), check('distribution', 1.1, 0), check('errorRate', 2, 0.001)];
}

/** The checks of a staged run and whether they are the defaults (the scenario named none). */
export interface StagedChecks {
  checks: Check[];
  /** Set when gates.checks was left out: the default checks against this reference judge every step. */
  defaultChecks?: Reference;
}

/**
 * A staged run's checks: as written, or with none written (and no PromQL or Alertmanager checks,
 * `external`) the default checks against `reference` (a run that can fail nothing would promote anything). A list written empty stays empty: `run`
 * refuses it unless told so by a flag.
 */
export function stagedChecks(
  written: readonly RawCheck[] | undefined,
  reference: Reference,
  external = false,
): StagedChecks {
  if (written !== undefined) return { checks: resolveChecks(written) };
  // PromQL or Alertmanager checks are checks the user wrote: they judge the steps without defaults.
  if (external) return { checks: [] };
  return { checks: defaultRelativeChecks(reference), defaultChecks: reference };
}

/** What the default checks are held against, in words. */
const REFERENCE_WORDS: Record<Reference, string> = {
  vsBaseline: 'the baseline arm (at 100 %: the pooled baseline of the earlier steps)',
  vsStored: 'the stored baseline',
};

/** The sentence a run and its reports say when the scenario named no checks. */
export function defaultChecksNote(names: readonly string[], reference: Reference): string {
  return `the scenario names no checks (gates.checks): judged by the default checks ${names.join(', ')} against ${REFERENCE_WORDS[reference]}`;
}

/** The judge's settings when no scenario names them: the schema's defaults, with `checks` in place of none. */
export function defaultGates(checks: readonly Check[]): Gates {
  const { checks: _none, ...settings } = GatesSchema.parse({});
  return { ...settings, checks: [...checks] };
}

/**
 * True when a document as written turns every check off (`gates: { checks: [] }`): a run that
 * can fail nothing promotes anything, so `run` refuses it unless told so by a flag.
 */
export function checksExplicitlyEmpty(input: Record<string, unknown>): boolean {
  const gates = input.gates;
  if (gates === null || typeof gates !== 'object' || Array.isArray(gates)) return false;
  const checks = (gates as Record<string, unknown>).checks;
  return Array.isArray(checks) && checks.length === 0;
}
