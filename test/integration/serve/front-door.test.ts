import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadServeConfig } from '../../../src/serve/config.js';
import { loadApps, type StartedServe, startServe } from '../../../src/serve/service.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';
import {
  appScenario,
  callFlagger,
  flaggerPayload,
  HMAC,
  promQuery,
  SERVE_ENV,
  send,
  signed,
  TOKEN,
  writeServe,
} from './fixtures.js';

// serve in this process against two real HTTP services on loopback: every refusal happens before
// anything starts (no session, not one request to either arm), and concurrent calls for one
// session open one session and one load.
let baseline: TestServer;
let canary: TestServer;
let serve: StartedServe;

beforeAll(async () => {
  [baseline, canary] = await Promise.all([startTestServer(), startTestServer()]);
  const { file } = writeServe(
    { podinfo: appScenario(baseline.url, canary.url) },
    { limits: '  maxSessions: 2\n  retryAfter: 7s\n  maxBodyBytes: 2k\n  idleTimeout: 60s' },
  );
  const { config } = loadServeConfig(readFileSync(file, 'utf8'), { file, env: SERVE_ENV });
  const apps = await loadApps(config, file, SERVE_ENV);
  serve = await startServe({ config, configFile: file, apps });
});
afterAll(async () => {
  await serve?.close();
  await Promise.all([baseline?.close(), canary?.close()]);
});

const sent = () => baseline.seen.length + canary.seen.length;

describe('serve: the front door refuses before anything starts', () => {
  const body = JSON.stringify(flaggerPayload('Progressing'));

  it.each([
    ['no credentials', {}, 401],
    ['a wrong bearer token', { authorization: 'Bearer not-the-token-at-all-0000' }, 401],
    ['an empty bearer', { authorization: 'Bearer ' }, 401],
    ['a signature under another secret', signed(body, 'another-secret-entirely-00000000'), 403],
    ['a malformed signature', { 'x-canary-gate-signature': 'md5=abc' }, 403],
  ])('answers %s with %i', async (_name, headers, status) => {
    const reply = await send(`${serve.url}/flagger/podinfo/rollout`, 'POST', body, headers, 10_000);
    expect(reply.status).toBe(status);
    expect(String(reply.body.reason)).toMatch(/nothing was started/);
    if (status === 401) expect(reply.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(serve.registry.list()).toHaveLength(0);
    expect(sent()).toBe(0);
  });

  it('answers 413 to a body over maxBodyBytes, declared or streamed, without reading it', async () => {
    const big = JSON.stringify(flaggerPayload('Progressing', { filler: 'x'.repeat(1000) }));
    const huge = `${big.slice(0, -1)},"more":"${'y'.repeat(4000)}"}`;
    const declared = await send(
      `${serve.url}/flagger/podinfo/rollout`,
      'POST',
      huge,
      { authorization: `Bearer ${TOKEN}` },
      10_000,
    );
    expect(declared.status).toBe(413);
    const streamed = await fetch(`${serve.url}/flagger/podinfo/rollout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: new Blob([huge]).stream(),
      duplex: 'half',
      signal: AbortSignal.timeout(10_000),
    } as RequestInit);
    expect(streamed.status).toBe(413);
    expect(serve.registry.list()).toHaveLength(0);
    expect(sent()).toBe(0);
  });

  it.each([
    ['malformed JSON', '{"name": "podinfo",', /body: expected JSON/],
    [
      'a missing field',
      JSON.stringify({ name: 'podinfo', namespace: 'test', phase: 'Progressing' }),
      /body: checksum: missing/,
    ],
    ['a phase Flagger has not', JSON.stringify({ ...flaggerPayload('Progressing'), phase: 'Rolling' }), /body: phase:/],
    [
      'a weight that is no percentage',
      JSON.stringify(flaggerPayload('Progressing', { weight: '150' })),
      /body: metadata\.weight: expected a whole percentage/,
    ],
  ])('answers 400 naming the field for %s', async (_name, text, reason) => {
    const reply = await send(
      `${serve.url}/flagger/podinfo/rollout`,
      'POST',
      text,
      { authorization: `Bearer ${TOKEN}` },
      10_000,
    );
    expect(reply.status).toBe(400);
    expect(String(reply.body.reason)).toMatch(reason);
    expect(serve.registry.list()).toHaveLength(0);
    expect(sent()).toBe(0);
  });

  it('answers 404 for an app the config does not name, and 404/405 for other paths', async () => {
    const unknown = await callFlagger(serve.url, 'checkout', 'rollout', flaggerPayload('Progressing'));
    expect(unknown.status).toBe(404);
    expect(String(unknown.body.reason)).toMatch(/unknown app "checkout"; this service judges: podinfo/);
    expect((await callFlagger(serve.url, 'podinfo', 'run-this', flaggerPayload('Progressing'))).status).toBe(404);
    expect(
      (await send(`${serve.url}/argo/judge`, 'GET', undefined, { authorization: `Bearer ${TOKEN}` }, 5000)).status,
    ).toBe(405);
    expect(serve.registry.list()).toHaveLength(0);
    expect(sent()).toBe(0);
  });

  it('serves /healthz and /metrics without credentials, and vector(1) for IsOnline with them', async () => {
    expect((await send(`${serve.url}/healthz`, 'GET', undefined, {}, 5000)).status).toBe(200);
    const metrics = await fetch(`${serve.url}/metrics`);
    expect(await metrics.text()).toMatch(/canary_gate_serve_requests_total\{route="flagger\/rollout",code="401"\} 3/);
    const online = await promQuery(serve.url, 'vector(1)');
    expect(online.body).toMatchObject({ status: 'success', data: { resultType: 'vector' } });
    expect((online.body.data as { result: { value: [number, string] }[] }).result[0]?.value[1]).toBe('1');
    const unauthenticated = await send(`${serve.url}/api/v1/query?query=vector(1)`, 'GET', undefined, {}, 5000);
    expect(unauthenticated.status).toBe(401);
    const bad = await promQuery(serve.url, 'sum(rate(http_requests_total[1m]))');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ status: 'error', errorType: 'bad_data' });
  });
});

describe('serve: sessions', () => {
  it('opens one session and one load for 200 concurrent webhook calls of one revision', async () => {
    const payload = flaggerPayload('Progressing', {}, { name: 'podinfo', namespace: 'test', checksum: 'abc123' });
    const text = JSON.stringify(payload);
    // Half with the bearer token, half signed: both are ways in.
    const replies = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        send(
          `${serve.url}/flagger/podinfo/rollout`,
          'POST',
          text,
          i % 2 === 0 ? { authorization: `Bearer ${TOKEN}` } : signed(text, HMAC),
          10_000,
        ),
      ),
    );
    expect(replies.map((r) => r.status)).toEqual(Array(200).fill(202));
    const sessions = serve.registry.list();
    expect(sessions).toHaveLength(1);
    const metrics = await (await fetch(`${serve.url}/metrics`)).text();
    expect(metrics).toMatch(/canary_gate_serve_sessions_started_total\{controller="flagger"\} 1\b/);
    // One session, one load (200 loads would be 200).
    expect(Number(/canary_gate_serve_loads_started_total (\d+)/.exec(metrics)?.[1])).toBe(1);
  });

  it('answers 429 with Retry-After when every session slot is taken, and starts nothing', async () => {
    const second = await callFlagger(
      serve.url,
      'podinfo',
      'rollout',
      flaggerPayload('Progressing', {}, { name: 'other', namespace: 'test', checksum: 'def456' }),
    );
    expect(second.status).toBe(202);
    const before = serve.registry.list().length;
    const third = await callFlagger(
      serve.url,
      'podinfo',
      'rollout',
      flaggerPayload('Progressing', {}, { name: 'third', namespace: 'test', checksum: 'fed789' }),
    );
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('7');
    expect(serve.registry.list()).toHaveLength(before);
  });
});
