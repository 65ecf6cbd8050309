/**
 * The scenario schema: the single source of truth for scenario files. It is the validator, the
 * TypeScript types (z.input / z.output), the JSON Schema (`canary-gate schema`) and the field docs;
 * every field's `describe` is its one-line doc. Defaults are applied here and nowhere else.
 *
 * A scenario is a union on `mode`: each mode takes the sections it acts on (sections.ts) and no
 * others, so a section a mode cannot honour is a schema problem and no command checks again.
 */
import { z } from 'zod';
import { defaultRelativeChecks, GatesSchema, RegressGatesSchema, resolveChecks, stagedChecks } from './checks.js';
import { SCENARIO_LIMITS } from './limits.js';
import { MODE_INFO, type Mode } from './modes.js';
import {
  AlertmanagerSchema,
  BaselineFileSchema,
  CAPACITY_FORMATS,
  CapacitySchema,
  CapacityTrafficSchema,
  capacityTimeoutMs,
  HealthSchema,
  HooksSchema,
  outputsSchema,
  PrometheusSchema,
  RegressSchema,
  RegressTrafficSchema,
  RequestsSchema,
  RouterSchema,
  RUN_FORMATS,
  regressTargets,
  StepsSchema,
  TargetSchema,
  TracingSchema,
  TrafficSchema,
} from './sections.js';
import { SecuritySchema, securityProblems } from './security-schema.js';

export type { Check, CheckUnit } from './checks.js';
export { LATENCY_METRICS, METRICS } from './checks.js';
export { QUERY_PLACEHOLDERS, regressTargets } from './sections.js';

// What every mode has.
const common = {
  $schema: z
    .string()
    .max(SCENARIO_LIMITS.maxPathChars)
    .optional()
    .describe('JSON Schema of this file, for editor completion'),
  name: z.string().min(1).max(200).describe('what this scenario is called in reports'),
  description: z.string().max(SCENARIO_LIMITS.maxTextChars).optional().describe('what this scenario is for'),
};

const mode = <M extends Mode>(m: M) => z.literal(m).describe(MODE_INFO[m].doc);

// The sections of a staged run, shared by canary and regression.
const staged = {
  traffic: TrafficSchema.prefault({}),
  requests: RequestsSchema,
  steps: StepsSchema,
  router: RouterSchema,
  gates: GatesSchema.prefault({}),
  health: HealthSchema,
  prometheus: PrometheusSchema.optional(),
  alertmanager: AlertmanagerSchema.optional(),
  tracing: TracingSchema.optional(),
  outputs: outputsSchema(RUN_FORMATS, ['json']),
  hooks: HooksSchema,
  security: SecuritySchema.optional(),
};

type StagedInput = {
  steps: number[];
  targets: { baseline?: unknown };
  baseline?: unknown;
  gates: { checks?: { vsBaseline?: unknown; vsStored?: unknown }[] | undefined };
  prometheus?: { queries: { vsBaseline?: unknown }[] } | undefined;
  security?: z.output<typeof SecuritySchema> | undefined;
  requests: { name?: string | undefined; method: string; path: string; headers: Record<string, string> }[];
};

/**
 * Rules across a staged run's sections: steps in increasing order, and what a relative limit
 * needs (a baseline target to compare with, a baseline file for vsStored). Zod runs them only on
 * a structurally valid document, so a file with a wrong type reports that first.
 */
function stagedRules(s: StagedInput, ctx: z.RefinementCtx): void {
  for (let i = 1; i < s.steps.length; i++) {
    if ((s.steps[i] as number) <= (s.steps[i - 1] as number)) {
      ctx.addIssue({
        code: 'custom',
        path: ['steps', i],
        message: `expected steps in increasing order, found ${s.steps[i]} after ${s.steps[i - 1]}`,
      });
    }
  }
  s.gates.checks?.forEach((check, i) => {
    const at = (...rest: (string | number)[]) => ['gates', 'checks', i, ...rest];
    if (check.vsBaseline && s.targets.baseline === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: at('vsBaseline'),
        message: 'expected a baseline target to compare against',
      });
    }
    if (check.vsStored && s.baseline === undefined) {
      ctx.addIssue({ code: 'custom', path: at('vsStored'), message: 'expected a baseline file to compare against' });
    }
  });
  s.prometheus?.queries.forEach((q, i) => {
    if (q.vsBaseline && s.targets.baseline === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['prometheus', 'queries', i, 'vsBaseline'],
        message: 'expected a baseline target to compare against',
      });
    }
  });
  // The security section against the targets, the mix and the steps it names.
  if (s.security) {
    const targets = s.targets as { baseline?: { url: string }; canary: { url: string } };
    for (const p of securityProblems(s.security, { targets, requests: s.requests, steps: s.steps }))
      ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  }
}

/** Whether a staged scenario has checks outside gates.checks: PromQL queries or Alertmanager alerts. */
function hasExternalChecks(s: { prometheus?: { queries: unknown[] } | undefined; alertmanager?: unknown }): boolean {
  return (s.prometheus?.queries.length ?? 0) > 0 || s.alertmanager !== undefined;
}

/** A staged canary: traffic moves to the canary step by step, judged against the live baseline arm. */
export const CanaryScenarioSchema = z
  .strictObject({
    ...common,
    mode: mode('canary').default('canary'),
    targets: z
      .strictObject({
        baseline: TargetSchema.describe('the version in production'),
        canary: TargetSchema.describe('the new version'),
      })
      .describe('the services'),
    ...staged,
    baseline: BaselineFileSchema.optional(),
  })
  .superRefine(stagedRules)
  .transform(({ gates, ...rest }) => ({
    ...rest,
    gates: { ...gates, ...stagedChecks(gates.checks, 'vsBaseline', hasExternalChecks(rest)) },
  }))
  .describe('a staged canary');

/** A candidate judged against a stored baseline file, traffic moved as a canary's (often one step at 100 %). */
export const RegressionScenarioSchema = z
  .strictObject({
    ...common,
    mode: mode('regression'),
    targets: z
      .strictObject({
        baseline: TargetSchema.optional().describe('the version in production, for vsBaseline limits'),
        canary: TargetSchema.describe('the candidate'),
      })
      .describe('the services'),
    ...staged,
    baseline: BaselineFileSchema.describe('the stored baseline the candidate is judged against'),
  })
  .superRefine(stagedRules)
  // The mode is about the stored baseline (a baseline target is optional): the defaults hold the candidate to it.
  .transform(({ gates, ...rest }) => ({
    ...rest,
    gates: { ...gates, ...stagedChecks(gates.checks, 'vsStored', hasExternalChecks(rest)) },
  }))
  .describe('a regression run against a stored baseline');

/** A search for the highest rate that meets an SLO. */
export const CapacityScenarioSchema = z
  .strictObject({
    ...common,
    mode: mode('capacity'),
    targets: z
      .strictObject({ canary: TargetSchema.describe('the service whose capacity is searched') })
      .describe('the service'),
    traffic: CapacityTrafficSchema.prefault({}),
    requests: RequestsSchema,
    capacity: CapacitySchema,
    outputs: outputsSchema(CAPACITY_FORMATS, [...CAPACITY_FORMATS]),
  })
  .transform(({ traffic, ...rest }) => ({
    ...rest,
    traffic: { ...traffic, timeout: traffic.timeout ?? capacityTimeoutMs(rest.capacity.slo) },
  }))
  .describe('a capacity search');

/** Build N and build N+1 started on this machine and judged one against the other, round by round. */
export const RegressScenarioSchema = z
  .strictObject({
    ...common,
    mode: mode('regress'),
    regress: RegressSchema,
    traffic: RegressTrafficSchema.prefault({}),
    requests: RequestsSchema.prefault([{ path: '/' }]),
    gates: RegressGatesSchema.prefault({}),
    tracing: TracingSchema.optional(),
    outputs: outputsSchema(RUN_FORMATS, ['json', 'markdown']),
  })
  .transform(({ gates, ...rest }) => {
    const checks = resolveChecks(gates.checks ?? []);
    return {
      ...rest,
      // The builds' addresses, as the judge's arms: the candidate is the "canary" arm.
      targets: regressTargets(rest.regress),
      gates: { ...gates, checks: checks.length > 0 ? checks : defaultRelativeChecks('vsBaseline') },
    };
  })
  .describe('a regression run of two builds');

/**
 * The old spelling of a regress scenario, `mode: regression` with a `regress` section, is read as
 * `mode: regress` (files written before the modes split keep working).
 */
function readOldSpelling(input: unknown): unknown {
  if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const o = input as Record<string, unknown>;
    if (o.mode === 'regression' && o.regress !== undefined) return { ...o, mode: 'regress' };
  }
  return input;
}

/** A scenario file: one of the modes. */
export const ScenarioSchema = z
  .preprocess(
    readOldSpelling,
    z.discriminatedUnion('mode', [
      CanaryScenarioSchema,
      RegressionScenarioSchema,
      CapacityScenarioSchema,
      RegressScenarioSchema,
    ]),
  )
  .describe('a canary-gate scenario');

/** Each mode's own schema, for walking one mode's keys (the loader's "did you mean"). */
export const MODE_SCHEMAS: Readonly<Record<Mode, z.ZodType>> = {
  canary: CanaryScenarioSchema,
  regression: RegressionScenarioSchema,
  capacity: CapacityScenarioSchema,
  regress: RegressScenarioSchema,
};

/** The mode a document asks for, as the schema reads it (absent: canary). */
export function modeOf(input: unknown): string | undefined {
  const read = readOldSpelling(input);
  if (read === null || typeof read !== 'object' || Array.isArray(read)) return undefined;
  const m = (read as Record<string, unknown>).mode;
  return m === undefined ? 'canary' : typeof m === 'string' ? m : undefined;
}

/** A scenario as written (before defaults and parsing). */
export type ScenarioInput = z.input<typeof ScenarioSchema>;
/** A scenario with every default applied and every value parsed. */
export type Scenario = z.output<typeof ScenarioSchema>;
/** A scenario of one mode. */
export type ScenarioOf<M extends Mode> = Extract<Scenario, { mode: M }>;
/** A staged canary. */
export type CanaryScenario = ScenarioOf<'canary'>;
/** A candidate against a stored baseline. */
export type RegressionScenario = ScenarioOf<'regression'>;
/** What `canary-gate run` runs: a staged canary or a regression against a stored baseline. */
export type RunScenario = CanaryScenario | RegressionScenario;
/** A capacity search. */
export type CapacityScenario = ScenarioOf<'capacity'>;
/** A regression run of two builds. */
export type RegressScenario = ScenarioOf<'regress'>;

/** The modes `canary-gate run` (and baseline record, compare, recover) read. */
export const RUN_MODES = ['canary', 'regression'] as const satisfies readonly Mode[];
