/**
 * The bodies controllers send, as zod schemas: what is checked before anything starts.
 *
 * Flagger (fluxcd/flagger pkg/apis/flagger/v1beta1/canary.go CanaryWebhookPayload, sent by
 * pkg/controller/webhook.go CallWebhook): POST JSON {name, namespace, phase, checksum, metadata},
 * metadata being the webhook's string map from the Canary spec; a status above 202 halts.
 * Argo Rollouts (argoproj/argo-rollouts metricproviders/webmetric/webmetric.go): the web metric's
 * `jsonBody`, which the AnalysisTemplate writes, so its shape is ours: the app, the Rollout, the
 * two pod-template hashes and the step's weight.
 */
import { z } from 'zod';

/** Flagger's phases (CanaryPhase), as a closed set so a typo in a replay is caught. */
export const FLAGGER_PHASES = [
  'Initializing',
  'Initialized',
  'Waiting',
  'Progressing',
  'WaitingPromotion',
  'Promoting',
  'Finalising',
  'Succeeded',
  'Failed',
  'Terminating',
  'Terminated',
] as const;

/** The Flagger webhook types serve answers (HookType), one URL each. */
export const FLAGGER_HOOKS = [
  'pre-rollout',
  'rollout',
  'confirm-traffic-increase',
  'rollback',
  'confirm-promotion',
  'post-rollout',
] as const;

/** One of FLAGGER_HOOKS. */
export type FlaggerHook = (typeof FLAGGER_HOOKS)[number];

const k8sName = (what: string) =>
  z
    .string()
    .min(1)
    .max(253)
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: `expected a Kubernetes ${what} name` })
    .describe(`the Canary's ${what}`);

const weightText = z
  .string()
  .regex(/^(100|[1-9]?[0-9])$/, { message: 'expected a whole percentage from 0 to 100' })
  .transform(Number);

/** What serve reads from a Flagger webhook's metadata; other keys are ignored, never run. */
export const FlaggerMetadataSchema = z
  .object({
    weight: weightText.optional().describe("the canary's current weight, when the controller templates it in"),
    stepWeights: z
      .string()
      .regex(/^\s*\d{1,3}(\s*,\s*\d{1,3})*\s*$/, { message: 'expected weights like "10,25,50,75,100"' })
      .transform((s) => s.split(',').map((w) => Number(w.trim())))
      .refine((ws) => ws.every((w, i) => w > 0 && w <= 100 && (i === 0 || w > (ws[i - 1] as number))), {
        message: 'expected increasing weights from 1 to 100',
      })
      .optional()
      .describe("the Canary's stepWeights, so serve knows each step's weight (Flagger does not send it)"),
    token: z.string().max(1024).optional().describe('a bearer token, when auth.flaggerMetadataToken allows it'),
  })
  // Other keys (a loadtester's cmd, say) are accepted and ignored: serve never runs anything from them.
  .catchall(z.string().max(1024))
  .refine((m) => Object.keys(m).length <= 32, { message: 'expected at most 32 metadata keys' })
  .describe("the webhook's metadata from the Canary spec");

/** Flagger's webhook payload. */
export const FlaggerPayloadSchema = z
  .looseObject({
    name: k8sName('name'),
    namespace: k8sName('namespace'),
    phase: z.enum(FLAGGER_PHASES).describe('the Canary phase Flagger was in'),
    checksum: z
      .string()
      .regex(/^[a-z0-9]{1,64}$/, { message: 'expected the Canary checksum (letters and digits)' })
      .describe("hash of the Canary's tracked configs and last applied spec: one revision"),
    metadata: FlaggerMetadataSchema.default({}),
  })
  .describe('Flagger CanaryWebhookPayload');

/** A parsed Flagger payload. */
export type FlaggerPayload = z.output<typeof FlaggerPayloadSchema>;

const podHash = (what: string) =>
  z
    .string()
    .regex(/^[a-z0-9]{1,32}$/, { message: `expected the ${what} pod-template hash` })
    .describe(`the ${what} ReplicaSet's pod-template hash (podTemplateHashValue)`);

/** Argo's web-metric body (the AnalysisTemplate's jsonBody). */
export const ArgoJudgeSchema = z
  .strictObject({
    app: z.string().min(1).max(63).describe('the app of the serve config'),
    namespace: k8sName('namespace'),
    rollout: k8sName('Rollout'),
    stableHash: podHash('stable'),
    canaryHash: podHash('canary'),
    weight: z
      .union([z.number().int().min(1).max(100), weightText.refine((w) => w >= 1)])
      .describe("the step's canary weight (setWeight of the step before the analysis)"),
    waitSeconds: z
      .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
      .pipe(z.number().int().min(1).max(600))
      .optional()
      .describe("how long this call may wait for the verdict; below the metric's timeoutSeconds"),
  })
  .describe('canary-gate judge request from an Argo Rollouts web metric');

/** A parsed Argo judge body. */
export type ArgoJudgeRequest = z.output<typeof ArgoJudgeSchema>;

/** The first problem of a failed parse, naming the field: "metadata.weight: expected …". */
export function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid body';
  const path = issue.path.map(String).join('.');
  const message =
    issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined
      ? `missing; expected ${issue.expected}`
      : issue.code === 'unrecognized_keys'
        ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')}`
        : issue.message;
  return path === '' ? message : `${path}: ${message}`;
}
