/**
 * The serve config: which applications this service judges (each a scenario file without a
 * router — the controller owns the weight), who may call it, where it listens, and the bounds of
 * every session. The zod schema is the single source of truth; `loadServeConfig` is pure (text and
 * environment in), reports every problem at once as "file:line:col: path: message", and resolves
 * the `${env:NAME}` secrets, which must never be written into the file itself.
 */
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { ScenarioError } from '../errors.js';
import { formatPath, formatProblem, type ScenarioProblem } from '../scenario/loader.js';
import { interpolateEnv, Redactor } from '../scenario/secrets.js';
import { bytes, duration } from '../scenario/values.js';

const ENV_ONLY = /^\$\{env:[A-Za-z_][A-Za-z0-9_]*\}$/;

/** Shortest secret accepted: a token an attacker could guess is no gate. */
export const MIN_SECRET_CHARS = 16;

const secretRef = (description: string) =>
  z
    .string()
    .regex(ENV_ONLY, {
      message: 'expected ${env:NAME}: a secret written into the file is readable by everyone who can read the file',
    })
    .describe(description);

/** A duration with bounds, so no setting can make a wait unbounded or a deadline zero. */
const boundedDuration = (description: string, minMs: number, maxMs: number, defaultMs: number) =>
  duration(description)
    .refine((ms) => ms >= minMs && ms <= maxMs, {
      message: `expected a duration from ${minMs} ms to ${maxMs} ms`,
    })
    .default(defaultMs);

const listenAddress = z
  .string()
  .regex(/^(\[[0-9a-fA-F:]+\]|[0-9.]+|localhost):\d{1,5}$/, {
    message: 'expected host:port like "0.0.0.0:8080" or "127.0.0.1:0"',
  })
  .refine((a) => Number(a.slice(a.lastIndexOf(':') + 1)) <= 65535, { message: 'expected a port up to 65535' });

/** Who may call the service. */
export const ServeAuthSchema = z
  .strictObject({
    tokens: z
      .array(secretRef('a bearer token ("authorization: Bearer …"), as ${env:NAME}'))
      .max(16)
      .default([])
      .describe('bearer tokens accepted (several, so a token can be rotated without downtime)'),
    hmacSecrets: z
      .array(secretRef('an HMAC-SHA256 secret, as ${env:NAME}'))
      .max(16)
      .default([])
      .describe('secrets whose HMAC-SHA256 of the body in x-canary-gate-signature ("sha256=<hex>") is accepted'),
    flaggerMetadataToken: z
      .boolean()
      .default(false)
      .describe(
        "also accept a bearer token as metadata.token of a Flagger webhook (Flagger's webhooks send no headers); the token then sits in the Canary object, readable by whoever can read it",
      ),
  })
  .superRefine((auth, ctx) => {
    if (auth.tokens.length === 0 && auth.hmacSecrets.length === 0)
      ctx.addIssue({ code: 'custom', path: [], message: 'expected at least one token or hmacSecret' });
    if (auth.flaggerMetadataToken && auth.tokens.length === 0)
      ctx.addIssue({ code: 'custom', path: ['flaggerMetadataToken'], message: 'expected tokens to compare it with' });
  })
  .describe('authentication: every endpoint but /healthz and /metrics needs one of these');

/** Bounds of the service and its sessions. */
export const ServeLimitsSchema = z
  .strictObject({
    maxBodyBytes: bytes('largest request body accepted; larger ones are answered 413 unread')
      .refine((b) => b >= 1024 && b <= 1024 * 1024, { message: 'expected a size from 1k to 1m' })
      .default(64 * 1024),
    maxSessions: z
      .number()
      .int()
      .min(1)
      .max(64)
      .default(4)
      .describe('sessions measuring at once; one more is answered 429 with Retry-After'),
    retryAfter: boundedDuration('what Retry-After says when the sessions are full', 1000, 3_600_000, 30_000),
    maxLongPoll: boundedDuration(
      'longest an Argo judge call is held open waiting for a verdict (it also stops at the waitSeconds the call asks for)',
      1000,
      600_000,
      50_000,
    ),
    hookDeadline: boundedDuration(
      "longest a Flagger webhook is held (pre-rollout's health checks and smoke load); under Flagger's 10 s default timeout",
      1000,
      300_000,
      8000,
    ),
    idleTimeout: boundedDuration(
      'a session its controller has not called for this long is closed and its load stopped (also after a restart)',
      1000,
      86_400_000,
      600_000,
    ),
    maxSessionDuration: boundedDuration(
      "a session older than this is closed and its load stopped, whatever its controller does (at most a day: the load engine's longest run)",
      1000,
      86_400_000,
      4 * 3_600_000,
    ),
    smokeDuration: boundedDuration('the short load pre-rollout sends to both arms', 100, 60_000, 2000),
  })
  .describe('bounds of requests and sessions');

/** One application this service judges. */
export const ServeAppSchema = z
  .strictObject({
    scenario: z
      .string()
      .min(1)
      .describe('scenario file (targets, traffic, requests, gates) without a router; relative to this file'),
  })
  .describe('an application: the scenario its canaries are judged by');

/** The serve config file. */
export const ServeConfigSchema = z
  .strictObject({
    $schema: z.string().optional().describe('JSON Schema of this file, for editor completion'),
    listen: listenAddress.default('127.0.0.1:8080').describe('address to listen on, host:port (--listen overrides)'),
    stateDir: z
      .string()
      .min(1)
      .default('canary-gate-serve')
      .describe('folder for session journals, results and stored baselines; relative to this file'),
    auth: ServeAuthSchema,
    limits: ServeLimitsSchema.prefault({}),
    apps: z
      .record(
        z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, {
          message: 'expected an app name of lowercase letters, digits and "-" (a DNS label)',
        }),
        ServeAppSchema,
      )
      .refine((apps) => Object.keys(apps).length >= 1 && Object.keys(apps).length <= 100, {
        message: 'expected 1 to 100 apps',
      })
      .describe('applications by name, as the controllers name them in URLs and bodies'),
  })
  .describe('canary-gate serve: the load and the judge for Flagger and Argo Rollouts');

/** JSON Schema (draft 2020-12) of serve config files as written, for editors and `schema --serve`. */
export function serveConfigJsonSchema(): Record<string, unknown> {
  return {
    $id: 'https://canary-gate.dev/schema/serve.schema.json',
    title: 'canary-gate serve config',
    ...(z.toJSONSchema(ServeConfigSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>),
  };
}

/** A serve config as written. */
export type ServeConfigInput = z.input<typeof ServeConfigSchema>;
/** A serve config with defaults applied and durations in ms. */
export type ServeConfigParsed = z.output<typeof ServeConfigSchema>;
/** Bounds of the service, parsed. */
export type ServeLimits = ServeConfigParsed['limits'];

/** The secrets the auth section resolved to. */
export interface ResolvedAuth {
  tokens: string[];
  hmacSecrets: string[];
  flaggerMetadataToken: boolean;
}

/** A loaded serve config. */
export interface ServeConfig extends Omit<ServeConfigParsed, 'auth'> {
  auth: ResolvedAuth;
}

/** A loaded config and what it knows about its secrets. */
export interface LoadedServeConfig {
  config: ServeConfig;
  redactor: Redactor;
}

/** Parse, validate and resolve secrets; throws ScenarioError listing every problem. */
export function loadServeConfig(
  text: string,
  options: { file: string; env: Readonly<Record<string, string | undefined>> },
): LoadedServeConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  const problems: ScenarioProblem[] = doc.errors.map((error) => ({
    ...(error.linePos?.[0] ? { line: error.linePos[0].line, col: error.linePos[0].col } : {}),
    path: '',
    message: `YAML syntax: ${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
  }));
  if (problems.length > 0) fail(options.file, problems);
  const at = (path: readonly PropertyKey[]): { line?: number; col?: number } => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true) as { range?: [number] } | undefined;
      const offset = node && typeof node === 'object' ? node.range?.[0] : undefined;
      if (offset !== undefined) return lines.linePos(offset);
    }
    return {};
  };
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  const parsed = ServeConfigSchema.safeParse(data ?? {});
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path as PropertyKey[];
      const message =
        issue.code === 'unrecognized_keys'
          ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
          : issue.code === 'invalid_type' && (issue as { input?: unknown }).input === undefined
            ? `missing; expected ${issue.expected === 'object' ? 'a mapping' : `a ${issue.expected}`}`
            : issue.code === 'invalid_key'
              ? (issue.issues[0]?.message ?? issue.message)
              : issue.message;
      problems.push({ ...at(path), path: formatPath(path), message });
    }
    fail(options.file, problems);
  }
  const redactor = new Redactor();
  const resolve = (refs: string[], field: string): string[] =>
    refs.flatMap((ref, i) => {
      const path = ['auth', field, i];
      try {
        const value = interpolateEnv(ref, options.env, redactor, formatPath(path));
        if (value.length < MIN_SECRET_CHARS) {
          problems.push({
            ...at(path),
            path: formatPath(path),
            message: `${ref} is ${value.length} characters; expected at least ${MIN_SECRET_CHARS}`,
          });
          return [];
        }
        return [value];
      } catch (error) {
        problems.push({
          ...at(path),
          path: formatPath(path),
          message: (error as Error).message.replace(/^[^:]*: /, ''),
        });
        return [];
      }
    });
  const { auth, ...rest } = parsed.data;
  const tokens = resolve(auth.tokens, 'tokens');
  const hmacSecrets = resolve(auth.hmacSecrets, 'hmacSecrets');
  if (problems.length > 0) fail(options.file, problems, redactor);
  return {
    config: { ...rest, auth: { tokens, hmacSecrets, flaggerMetadataToken: auth.flaggerMetadataToken } },
    redactor,
  };
}

function fail(file: string, problems: ScenarioProblem[], redactor?: Redactor): never {
  const sorted = [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
  const lines = sorted.map((p) => formatProblem(file, p)).map((l) => redactor?.redactText(l) ?? l);
  throw new ScenarioError(
    `${file}: ${lines.length} problem${lines.length === 1 ? '' : 's'} in the serve config; nothing was started\n  ${lines.join('\n  ')}`,
    lines,
  );
}
