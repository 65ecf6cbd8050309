/**
 * What the serve tests share: a config and an app scenario written to a temporary folder, the
 * secrets they reference, and the requests Flagger and Argo Rollouts send, shaped as their sources
 * send them:
 * - Flagger: fluxcd/flagger pkg/controller/webhook.go (callWebhook: POST, Content-Type
 *   application/json, body CanaryWebhookPayload {name, namespace, phase, checksum, metadata},
 *   timeout from the webhook or "10s"; a status above 202 is a failure) and
 *   pkg/metrics/providers/prometheus.go (GET ./api/v1/query?query=…, 5 s timeout, optional
 *   "Authorization: Bearer <token>" from the secretRef's token).
 * - Argo Rollouts: metricproviders/webmetric/webmetric.go (method from the metric, headers as
 *   given, jsonBody marshalled with Content-Type application/json, http.Client timeout =
 *   timeoutSeconds or 10 s; non-2xx is a measurement error).
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signBody } from '../../../src/serve/auth.js';

/** The bearer token every test config accepts. */
export const TOKEN = 'serve-test-token-0123456789abcdef';
/** The HMAC secret every test config accepts. */
export const HMAC = 'serve-test-hmac-secret-fedcba9876543210';
/** The environment a serve child needs for them. */
export const SERVE_ENV = { CG_SERVE_TOKEN: TOKEN, CG_SERVE_HMAC: HMAC };

/** Flagger's webhook timeout when the Canary sets none (webhook.go: `if len(w.Timeout) < 2 { "10s" }`). */
export const FLAGGER_WEBHOOK_TIMEOUT_MS = 10_000;
/** Flagger's Prometheus provider timeout (prometheus.go: `timeout: 5 * time.Second`). */
export const FLAGGER_PROMETHEUS_TIMEOUT_MS = 5000;

/**
 * An app scenario without a router: both arms, a quick plan, checks that decide on a few hundred
 * samples. The median against the baseline carries the verdict (a regressed canary answers
 * +80 ms): the two arms are measured in the same seconds by the same generator against servers in
 * the same process, so a busy neighbour (the CPU hog) slows both alike, while an absolute bound on
 * latency from the intended send time would move with it (a healthy p50 of 73 ms was seen beside
 * the hog). The p90 bound only guards against a canary that hangs (a p99 bound would need about
 * 620 canary samples to pass on evidence: more than a 10 % step holds). At 100 % the median is
 * judged against the earlier steps' baselines pooled. maxStepDuration leaves room for seconds the
 * generator fell behind in (left out, deciding nothing).
 */
export function appScenario(baselineUrl: string, canaryUrl: string, extra = ''): string {
  return `name: serve-test
targets:
  baseline: { url: "${baselineUrl}", health: [/health] }
  canary: { url: "${canaryUrl}", health: [/health] }
traffic: { rate: 1000/s, connections: 50, warmup: 200ms, stepDuration: 1s, maxStepDuration: 12s, timeout: 2s }
requests: [{ path: /api }]
gates:
  checks:
    - { metric: p50, vsBaseline: { ratio: 1.5, slack: 25ms }, critical: true }
    - { metric: p90, max: 1s }
    - { metric: errorRate, max: 5%, critical: true }
  statistics: { minSamples: 100, alpha: 0.05 }
${extra}`;
}

/** Write a serve config with one scenario per app; returns the config file. */
export function writeServe(
  apps: Record<string, string>,
  options: { limits?: string; auth?: string; dir?: string } = {},
): { file: string; dir: string } {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'canary-gate-serve-'));
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(apps)) writeFileSync(join(dir, `${name}.yaml`), text);
  const file = join(dir, 'serve.yaml');
  writeFileSync(
    file,
    `listen: 127.0.0.1:0
stateDir: state
auth:
${options.auth ?? '  tokens: ["${env:CG_SERVE_TOKEN}"]\n  hmacSecrets: ["${env:CG_SERVE_HMAC}"]'}
limits:
${options.limits ?? '  idleTimeout: 60s'}
apps:
${Object.keys(apps)
  .map((name) => `  ${name}: { scenario: ${name}.yaml }`)
  .join('\n')}
`,
  );
  return { file, dir };
}

/** Flagger's CanaryWebhookPayload. */
export function flaggerPayload(
  phase: string,
  metadata: Record<string, string> = {},
  canary = { name: 'podinfo', namespace: 'test', checksum: '6d9fc7f4b' },
): Record<string, unknown> {
  return { ...canary, phase, ...(Object.keys(metadata).length > 0 ? { metadata } : {}) };
}

/** What a call got back. */
export interface Reply {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/** POST a Flagger webhook as Flagger does (JSON, no auth header unless given, 10 s timeout). */
export async function callFlagger(
  base: string,
  app: string,
  hook: string,
  payload: Record<string, unknown>,
  headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` },
): Promise<Reply> {
  return send(`${base}/flagger/${app}/${hook}`, 'POST', JSON.stringify(payload), headers, FLAGGER_WEBHOOK_TIMEOUT_MS);
}

/** POST the Argo web metric's jsonBody with a bearer header, under timeoutSeconds. */
export async function callArgo(base: string, body: Record<string, unknown>, timeoutSeconds: number): Promise<Reply> {
  return send(
    `${base}/argo/judge`,
    'POST',
    JSON.stringify(body),
    { authorization: `Bearer ${TOKEN}` },
    timeoutSeconds * 1000,
  );
}

/** GET the Prometheus-shaped query as Flagger's provider does. */
export async function promQuery(base: string, query: string): Promise<Reply> {
  return send(
    `${base}/api/v1/query?query=${encodeURIComponent(query)}`,
    'GET',
    undefined,
    { authorization: `Bearer ${TOKEN}` },
    FLAGGER_PROMETHEUS_TIMEOUT_MS,
  );
}

/** Headers that sign `body` with the test HMAC secret. */
export function signed(body: string, secret = HMAC): Record<string, string> {
  return { 'x-canary-gate-signature': signBody(body, secret) };
}

/** One HTTP request with a deadline; the JSON body when there is one. */
export async function send(
  url: string,
  method: string,
  body: string | undefined,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<Reply> {
  const response = await fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    ...(body !== undefined ? { body } : {}),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** Call `fn` until `done` says its reply is final (a controller's next interval), up to `timeoutMs`. */
export async function poll(
  fn: () => Promise<Reply>,
  done: (r: Reply) => boolean,
  timeoutMs: number,
  everyMs = 200,
): Promise<Reply> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const reply = await fn();
    if (done(reply) || Date.now() > until) return reply;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
