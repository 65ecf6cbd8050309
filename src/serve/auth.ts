/**
 * Who may call serve: a bearer token, an HMAC-SHA256 signature of the body, or (opt-in, for
 * Flagger, whose webhooks send no headers) a token in the webhook's metadata. Every comparison is
 * constant-time over fixed-length digests, and every known secret is compared, so neither the
 * position of a match nor a common prefix shows in the timing.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { SIGNATURE_HEADER } from '../canary/routers/webhook.js';
import type { ResolvedAuth } from './config.js';

export { SIGNATURE_HEADER };

/** The outcome of an authentication. */
export type AuthOutcome =
  | { ok: true; via: 'bearer' | 'hmac' | 'metadata' }
  | { ok: false; status: 401 | 403; reason: string };

const digest = (text: string | Buffer): Buffer => createHash('sha256').update(text).digest();

/** True when `given` equals one of `known`; compares with every one of them, in constant time each. */
export function matchesAny(given: string, known: readonly string[]): boolean {
  const g = digest(given);
  let found = false;
  for (const k of known) found = timingSafeEqual(g, digest(k)) || found;
  return found;
}

/** The bearer token of an authorization header, when it carries one. */
export function bearerOf(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (value === undefined) return undefined;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(value);
  return match ? match[1] : '';
}

/** Check a bearer token before the body is read (cheap refusals first). */
export function checkBearer(token: string, auth: ResolvedAuth): AuthOutcome {
  if (token === '' || !matchesAny(token, auth.tokens))
    return { ok: false, status: 401, reason: 'the bearer token is not one this service accepts' };
  return { ok: true, via: 'bearer' };
}

/** Check "sha256=<hex>" against the HMAC-SHA256 of `body` under each secret. */
export function checkSignature(signature: string, body: Buffer, auth: ResolvedAuth): AuthOutcome {
  const match = /^sha256=([0-9a-f]{64})$/i.exec(signature.trim());
  if (!match?.[1])
    return { ok: false, status: 403, reason: `${SIGNATURE_HEADER} is malformed; expected "sha256=<64 hex digits>"` };
  const given = Buffer.from(match[1], 'hex');
  let found = false;
  for (const secret of auth.hmacSecrets) {
    const expected = createHmac('sha256', secret).update(body).digest();
    found = timingSafeEqual(given, expected) || found;
  }
  return found
    ? { ok: true, via: 'hmac' }
    : { ok: false, status: 403, reason: `${SIGNATURE_HEADER} does not match the body under any known secret` };
}

/** The signature header to send with `body` (for clients and tests). */
export function signBody(body: string | Buffer, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
