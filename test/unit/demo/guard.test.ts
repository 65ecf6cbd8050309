import { describe, expect, it } from 'vitest';
import { demoGuard } from '../../../src/demo/guard.js';

describe('demo guard', () => {
  it('refuses requests without the bearer token, and lets the token in', () => {
    const guard = demoGuard({ token: 's3cret' }, () => 0);
    expect(guard({})?.status).toBe(401);
    expect(guard({ authorization: 'Bearer wrong' })?.status).toBe(401);
    expect(guard({ authorization: 'Bearer s3cret' })).toBeUndefined();
  });

  it('checks nothing without a token: the canary that dropped its check', () => {
    expect(demoGuard({}, () => 0)({})).toBeUndefined();
  });

  it('throttles one client beyond its bucket and refills it at the limit', () => {
    let nowMs = 0;
    const guard = demoGuard({ rateLimit: { perSec: 2, burst: 1, clientHeader: 'x-client-id' } }, () => nowMs);
    const client = { 'x-client-id': 'a' };
    expect(guard(client)).toBeUndefined();
    expect(guard(client)).toBeUndefined();
    expect(guard(client)).toEqual({ status: 429, headers: { 'retry-after': '1' }, body: '{"error":"rate limited"}' });
    // Another client has its own bucket; a request without the header is not limited.
    expect(guard({ 'x-client-id': 'b' })).toBeUndefined();
    for (let i = 0; i < 10; i++) expect(guard({})).toBeUndefined();
    nowMs = 500;
    expect(guard(client)).toBeUndefined();
    expect(guard(client)?.status).toBe(429);
  });
});
