/**
 * The demo services' security, for `demo --security`: a bearer-token check and a per-client
 * token-bucket rate limit with 429 and Retry-After, as a real API gateway would apply them. The
 * limit is keyed on a client header, so the demo's probe load (which sends none) is not limited
 * and only the security probe, which identifies itself, meets it.
 */
import { timingSafeEqual } from 'node:crypto';

/** What a guarded demo service checks. */
export interface DemoGuardOptions {
  /** The bearer token every request but health and metrics must carry; absent: no auth check. */
  token?: string;
  /** Per client (the value of `clientHeader`): `perSec` sustained, `burst` at once beyond it. */
  rateLimit?: { perSec: number; burst: number; clientHeader: string };
}

/** A refusal: status, headers and body. */
export interface GuardRefusal {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Clients remembered at most; the oldest is forgotten first, so memory stays bounded. */
const MAX_CLIENTS = 10_000;

/** The check a guarded service runs on each request: a refusal, or undefined to serve it. */
export function demoGuard(
  o: DemoGuardOptions,
  now: () => number,
): (headers: Record<string, string | string[] | undefined>) => GuardRefusal | undefined {
  const expected = o.token === undefined ? undefined : Buffer.from(`Bearer ${o.token}`);
  const buckets = new Map<string, { tokens: number; atMs: number }>();
  return (headers): GuardRefusal | undefined => {
    const limit = o.rateLimit;
    const client = limit ? headers[limit.clientHeader] : undefined;
    if (limit && typeof client === 'string') {
      const t = now();
      const capacity = limit.burst + 1;
      const b = buckets.get(client) ?? { tokens: capacity, atMs: t };
      b.tokens = Math.min(capacity, b.tokens + ((t - b.atMs) / 1000) * limit.perSec);
      b.atMs = t;
      buckets.delete(client);
      buckets.set(client, b);
      if (buckets.size > MAX_CLIENTS) buckets.delete(buckets.keys().next().value as string);
      if (b.tokens < 1) {
        const retryAfterSec = Math.max(1, Math.ceil((1 - b.tokens) / limit.perSec));
        return {
          status: 429,
          headers: { 'retry-after': String(retryAfterSec) },
          body: '{"error":"rate limited"}',
        };
      }
      b.tokens -= 1;
    }
    if (expected) {
      const given = Buffer.from(String(headers.authorization ?? ''));
      if (given.length !== expected.length || !timingSafeEqual(given, expected))
        return { status: 401, headers: { 'www-authenticate': 'Bearer' }, body: '{"error":"unauthorized"}' };
    }
    return undefined;
  };
}
