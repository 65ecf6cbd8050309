/**
 * A service with a real token check, for the auth probes: HS256-signed tokens (JWT compact form)
 * with an expiry, verified on every request but /health. Missing, malformed, wrongly signed and
 * expired tokens are answered 401 with WWW-Authenticate; a valid token without the "read" scope
 * 403. `checkAuth: false` is the canary that dropped its check: everything is answered 200.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { listenOnLoopback } from './server.js';

const b64url = (data: Buffer | string): string => Buffer.from(data).toString('base64url');

/** A signed token for `sub`, valid until `expiresAtSec` (Unix seconds), with `scope`. */
export function issueToken(secret: string, claims: { sub: string; expiresAtSec: number; scope?: string }): string {
  const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ sub: claims.sub, exp: claims.expiresAtSec, scope: claims.scope ?? 'read' }));
  const signature = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** Why a request is refused (401 / 403), or undefined when its bearer token is good. */
export function tokenProblem(
  secret: string,
  authorization: string | undefined,
  nowSec: number,
): { status: 401 | 403; why: string } | undefined {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? '')?.[1];
  if (!token) return { status: 401, why: 'missing bearer token' };
  const [header, payload, signature] = token.split('.');
  if (!header || !payload || !signature) return { status: 401, why: 'malformed token' };
  const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { status: 401, why: 'bad signature' };
  let claims: { exp?: number; scope?: string };
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { status: 401, why: 'malformed claims' };
  }
  if (typeof claims.exp !== 'number' || claims.exp <= nowSec) return { status: 401, why: 'token expired' };
  if (!(claims.scope ?? '').split(' ').includes('read')) return { status: 403, why: 'scope read required' };
  return undefined;
}

/** A running token service. */
export interface TokenService {
  url: string;
  port: number;
  /** Requests seen, with their paths. */
  seen: { url: string; headers: IncomingMessage['headers'] }[];
  /** Turn the token check on or off from now on (a canary that loses it mid-run). */
  setCheckAuth: (on: boolean) => void;
  close: () => Promise<void>;
}

/** Start the service on 127.0.0.1 (port 0 unless given). */
export async function startTokenService(o: {
  secret: string;
  checkAuth?: boolean;
  /** Extra headers on every answer (default: x-content-type-options: nosniff). */
  headers?: Record<string, string>;
}): Promise<TokenService> {
  const seen: TokenService['seen'] = [];
  const extra = o.headers ?? { 'x-content-type-options': 'nosniff' };
  let checkAuth = o.checkAuth !== false;
  const server: Server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    req.resume();
    const reply = (status: number, body: string, headers: Record<string, string> = {}) =>
      res.writeHead(status, { 'content-type': 'application/json', ...extra, ...headers }).end(body);
    if (req.url === '/health') return reply(200, '{"status":"ok"}');
    if (checkAuth) {
      const problem = tokenProblem(o.secret, req.headers.authorization, Date.now() / 1000);
      if (problem)
        return reply(problem.status, JSON.stringify({ error: problem.why }), {
          'www-authenticate': `Bearer error="invalid_token", error_description="${problem.why}"`,
        });
    }
    reply(200, '{"items":[1,2,3]}');
  });
  return {
    ...(await listenOnLoopback(server)),
    seen,
    setCheckAuth: (on) => {
      checkAuth = on;
    },
  };
}
