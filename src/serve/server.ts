/**
 * The HTTP front door (node:http). Every request is checked in the order that costs least and
 * starts nothing: route, credentials in headers (401), body size (413, unread past the limit),
 * signature of the body (403), JSON (400), the body's schema (400 naming the field), the app
 * (404). Only then is a session looked up or opened. /healthz and /metrics need no credentials.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import type { Answer } from './answer.js';
import { answerArgo } from './argo.js';
import { bearerOf, checkBearer, checkSignature, matchesAny, SIGNATURE_HEADER } from './auth.js';
import type { ServeConfig } from './config.js';
import { answerFlagger } from './flagger.js';
import type { ServeMetrics } from './metrics.js';
import { ArgoJudgeSchema, FLAGGER_HOOKS, type FlaggerHook, FlaggerPayloadSchema, firstProblem } from './payloads.js';
import { parsePromQuery, promError, sessionSeries, vectorResponse } from './prom-query.js';
import type { SessionRegistry } from './registry.js';
import type { App } from './session.js';

/** What the server serves. */
export interface ServeOptions {
  config: ServeConfig;
  apps: ReadonlyMap<string, App>;
  registry: SessionRegistry;
  metrics: ServeMetrics;
  nowMs?: () => number;
}

/** A listening serve. */
export interface RunningServe {
  url: string;
  server: Server;
  /** Stop accepting, end open connections. */
  close: () => Promise<void>;
}

type Route =
  | { kind: 'healthz' | 'metrics' | 'query' | 'sessions' | 'argo' }
  | { kind: 'flagger'; app: string; hook: FlaggerHook };

function route(method: string, path: string): Route | { status: 404 | 405; allow?: string } {
  const get = (kind: 'healthz' | 'metrics' | 'query' | 'sessions'): Route | { status: 405; allow: string } =>
    method === 'GET' || method === 'HEAD' ? { kind } : { status: 405, allow: 'GET' };
  if (path === '/healthz') return get('healthz');
  if (path === '/metrics') return get('metrics');
  if (path === '/api/v1/query') return get('query');
  if (path === '/sessions') return get('sessions');
  if (path === '/argo/judge') return method === 'POST' ? { kind: 'argo' } : { status: 405, allow: 'POST' };
  const flagger = /^\/flagger\/([^/]{1,63})\/([a-z-]{1,32})$/.exec(path);
  if (flagger?.[1] && (FLAGGER_HOOKS as readonly string[]).includes(flagger[2] ?? '')) {
    return method === 'POST'
      ? { kind: 'flagger', app: decodeURIComponent(flagger[1]), hook: flagger[2] as FlaggerHook }
      : { status: 405, allow: 'POST' };
  }
  return { status: 404 };
}

/** Create the server (not yet listening). */
export function createServeServer(o: ServeOptions): Server {
  const nowMs = o.nowMs ?? Date.now;
  const auth = o.config.auth;
  const limits = o.config.limits;
  const ctx = { registry: o.registry, limits, nowMs };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<{ answer: Answer; label: string }> => {
    const url = new URL(req.url ?? '/', 'http://serve');
    const r = route(req.method ?? 'GET', url.pathname);
    if ('status' in r) {
      return {
        label: 'unknown',
        answer: {
          status: r.status,
          body: { reason: r.status === 404 ? `no such endpoint: ${url.pathname}` : `method ${req.method} not allowed` },
          ...(r.allow ? { headers: { allow: r.allow } } : {}),
        },
      };
    }
    const label = r.kind === 'flagger' ? `flagger/${r.hook}` : r.kind;
    const done = (answer: Answer) => ({ answer, label });
    if (r.kind === 'healthz') return done({ status: 200, body: { status: 'ok' } });
    if (r.kind === 'metrics') return done({ status: 200, body: { __text: await o.metrics.registry.metrics() } });

    // Credentials in headers first: nothing is read for a caller without any.
    const bearer = bearerOf(req.headers);
    const signature = req.headers[SIGNATURE_HEADER];
    const metadataAllowed = r.kind === 'flagger' && auth.flaggerMetadataToken;
    if (bearer !== undefined) {
      const outcome = checkBearer(bearer, auth);
      if (!outcome.ok) return done(refusal(outcome.status, outcome.reason));
    } else if (typeof signature !== 'string' && !metadataAllowed) {
      return done(refusal(401, `credentials required: authorization: Bearer <token> or ${SIGNATURE_HEADER}`));
    }
    const body = await readBody(req, limits.maxBodyBytes);
    if (body === 'too large') {
      res.setHeader('connection', 'close');
      return done({
        status: 413,
        body: { reason: `body larger than ${limits.maxBodyBytes} bytes; nothing was read or started` },
      });
    }
    if (bearer === undefined && typeof signature === 'string') {
      const outcome = checkSignature(signature, body, auth);
      if (!outcome.ok) return done(refusal(outcome.status, outcome.reason));
    }

    if (r.kind === 'query') return done(query(url.searchParams.get('query') ?? '', o.registry, nowMs()));
    if (r.kind === 'sessions') return done({ status: 200, body: { sessions: o.registry.list().map(describe) } });

    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch (error) {
      return done({ status: 400, body: { reason: `body: expected JSON: ${(error as Error).message}` } });
    }
    if (bearer === undefined && typeof signature !== 'string') {
      const token = (json as { metadata?: { token?: unknown } } | null)?.metadata?.token;
      if (typeof token !== 'string' || !matchesAny(token, auth.tokens))
        return done(refusal(401, 'metadata.token is missing or not one this service accepts'));
    }
    if (r.kind === 'flagger') {
      const payload = parse(FlaggerPayloadSchema, json);
      if ('problem' in payload) return done({ status: 400, body: { reason: payload.problem } });
      const app = o.apps.get(r.app);
      if (!app) return done(unknownApp(r.app, o.apps));
      return done(await answerFlagger(r.hook, app, payload.value, ctx));
    }
    const judge = parse(ArgoJudgeSchema, json);
    if ('problem' in judge) return done({ status: 400, body: { reason: judge.problem } });
    const app = o.apps.get(judge.value.app);
    if (!app) return done(unknownApp(judge.value.app, o.apps));
    const closed = new AbortController();
    res.once('close', () => closed.abort());
    return done(await answerArgo(app, judge.value, ctx, closed.signal));
  };

  const server = createServer((req, res) => {
    handle(req, res)
      .catch((error: unknown) => ({
        label: 'error',
        answer: { status: 500, body: { reason: `internal error: ${(error as Error).message}` } } as Answer,
      }))
      .then(({ answer, label }) => {
        o.metrics.requests.inc({ route: label, code: String(answer.status) });
        if (res.writableEnded || res.destroyed) return;
        const text = typeof answer.body.__text === 'string' ? answer.body.__text : `${JSON.stringify(answer.body)}\n`;
        res.writeHead(answer.status, {
          'content-type': typeof answer.body.__text === 'string' ? o.metrics.registry.contentType : 'application/json',
          ...answer.headers,
        });
        res.end(req.method === 'HEAD' ? undefined : text);
        if (answer.status === 413) res.once('finish', () => req.destroy());
      });
  });
  // Bounds on the wire: slow senders, header floods and idle sockets cost nothing for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.keepAliveTimeout = 65_000;
  server.maxHeadersCount = 64;
  server.maxConnections = 1024;
  return server;
}

/** Listen on `host:port`; resolves with the URL once listening. */
export async function listenServe(server: Server, listen: string): Promise<RunningServe> {
  const at = listen.lastIndexOf(':');
  const host = listen.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(listen.slice(at + 1));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${shown}:${address.port}`,
    server,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function refusal(status: 401 | 403, reason: string): Answer {
  return {
    status,
    body: { reason: `${reason}; nothing was started` },
    ...(status === 401 ? { headers: { 'www-authenticate': 'Bearer realm="canary-gate"' } } : {}),
  };
}

function unknownApp(name: string, apps: ReadonlyMap<string, App>): Answer {
  return {
    status: 404,
    body: {
      reason: `unknown app ${JSON.stringify(name.slice(0, 63))}; this service judges: ${[...apps.keys()].join(', ')}`,
    },
  };
}

function parse<S extends z.ZodType>(schema: S, json: unknown): { value: z.output<S> } | { problem: string } {
  const result = schema.safeParse(json);
  return result.success ? { value: result.data } : { problem: `body: ${firstProblem(result.error)}` };
}

function query(text: string, registry: SessionRegistry, nowMs: number): Answer {
  const parsed = parsePromQuery(text);
  if ('problem' in parsed) return { status: 400, body: promError(parsed.problem) as Record<string, unknown> };
  const nowSec = nowMs / 1000;
  if (parsed.kind === 'online')
    return { status: 200, body: vectorResponse([{ metric: {}, value: [nowSec, '1'] }]) as Record<string, unknown> };
  const { check: _check, ...match } = parsed.labels;
  const session = registry.latest(match);
  if (!session) return { status: 200, body: vectorResponse([]) as Record<string, unknown> };
  const labels = { app: session.subject.app, namespace: session.subject.namespace, name: session.subject.name };
  const series = sessionSeries(
    parsed,
    { labels, step: session.step(), ...(session.ended ? { ended: session.ended.decision } : {}) },
    nowSec,
  );
  return { status: 200, body: vectorResponse(series) as Record<string, unknown> };
}

function describe(s: ReturnType<SessionRegistry['list']>[number]): Record<string, unknown> {
  const step = s.step();
  return {
    id: s.id,
    key: s.key,
    controller: s.subject.controller,
    app: s.subject.app,
    namespace: s.subject.namespace,
    name: s.subject.name,
    revision: s.subject.revision,
    plan: s.plan,
    step: step ? { index: step.index, weight: step.weight, status: step.status, looks: step.looks } : null,
    preflight: s.pre ?? null,
    reason: s.stepReason(),
    lastSeen: new Date(s.lastSeenMs).toISOString(),
    ended: s.ended ?? null,
  };
}

/** Read at most `max` bytes; 'too large' as soon as the declared or received size passes it. */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too large'> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > max) return Promise.resolve('too large');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        req.off('data', onData);
        req.pause();
        resolve('too large');
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}
