import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type StartedCli, startCli } from '../helpers/cli.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { callFlagger, flaggerPayload, SERVE_ENV, send, TOKEN, writeServe } from '../integration/serve/fixtures.js';

// A serve killed with SIGKILL mid-session: its load dies with it (nothing keeps sending with
// nobody to judge), and the next serve on the same state folder resumes the session within its
// deadline or closes it past the deadline. A session whose controller stops calling is closed
// and its load stopped. Real services on loopback count every request they get.
let baseline: TestServer;
let canary: TestServer;
const waiters: (() => void)[] = [];
const running: StartedCli[] = [];

/** Resolves at the next request either arm gets. */
/** The next request to either arm; rejects, naming it, when none comes within 15 s (a load that never started). */
const nextRequest = (): Promise<void> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no request reached either arm within 15 s')), 15_000);
    waiters.push(() => {
      clearTimeout(timer);
      resolve();
    });
  });
const sent = () => baseline.seen.length + canary.seen.length;

beforeAll(async () => {
  const hit = () => {
    for (const w of waiters.splice(0)) w();
    return {};
  };
  [baseline, canary] = await Promise.all([startTestServer(hit), startTestServer(hit)]);
});
afterAll(async () => {
  for (const cli of running) if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
  await Promise.all(running.map((c) => c.done));
  await Promise.all([baseline?.close(), canary?.close()]);
});

// One long step, so the load is still measuring when serve is killed.
const scenario = () => `name: restart
targets:
  baseline: { url: "${baseline.url}", health: [/health] }
  canary: { url: "${canary.url}", health: [/health] }
traffic: { rate: 200/s, connections: 20, warmup: 0ms, stepDuration: 60s, timeout: 2s }
requests: [{ path: /api }]
gates: { checks: [{ metric: p99, max: 50ms }] }
`;

async function startServe(file: string): Promise<{ cli: StartedCli; url: string; stderr: string }> {
  const cli = startCli(['serve', '--config', file], SERVE_ENV);
  running.push(cli);
  const stderr = await cli.stderrUntil(/listening on (http:\/\/\S+);/);
  return { cli, url: /listening on (http:\/\/\S+);/.exec(stderr)?.[1] ?? '', stderr };
}

async function openSession(url: string): Promise<void> {
  const hook = (name: string) => callFlagger(url, 'app', name, flaggerPayload('Progressing'));
  expect((await hook('pre-rollout')).status).toBe(200);
  const increase = await hook('confirm-traffic-increase');
  expect(increase.status, String(increase.body.reason)).toBe(200);
  expect((await hook('rollout')).status).toBe(202);
  await nextRequest();
}

async function killed(cli: StartedCli): Promise<void> {
  cli.child.kill('SIGKILL');
  expect((await cli.done).signal).toBe('SIGKILL');
}

/**
 * Nothing reaches either arm for `ms` (the absence of requests has no event to await). At the
 * scenario's 200/s a load still sending shows within 5 ms: half a second is 100 requests' worth.
 */
async function quietFor(ms: number): Promise<void> {
  const before = sent();
  await sleep(ms);
  expect(sent()).toBe(before);
}

describe('serve across a SIGKILL', () => {
  it('stops sending with the process, and the next serve resumes the session at its step', async () => {
    const { file } = writeServe({ app: scenario() }, { limits: '  idleTimeout: 60s' });
    const first = await startServe(file);
    await openSession(first.url);
    await killed(first.cli);
    await quietFor(500);

    const second = await startServe(file);
    expect(second.stderr).toMatch(/session \w+ flagger\/app\/test\/podinfo\/6d9fc7f4b resumed at step 1\/5 \(10%\)/);
    expect(second.stderr).toMatch(/1 resumed, 0 closed/);
    await nextRequest();
    const sessions = await send(`${second.url}/sessions`, 'GET', undefined, { authorization: `Bearer ${TOKEN}` }, 5000);
    const [session] = sessions.body.sessions as {
      step: { index: number; weight: number; status: string };
      ended: unknown;
    }[];
    expect(session?.step).toMatchObject({ index: 0, weight: 10, status: 'measuring' });
    expect(session?.ended).toBeNull();
    // The controller carries on where it was.
    const rollout = await callFlagger(second.url, 'app', 'rollout', flaggerPayload('Progressing'));
    expect(rollout).toMatchObject({ status: 202, body: { weight: 10, step: 1 } });
    second.cli.child.kill('SIGTERM');
    expect((await second.cli.done).code).toBe(0);
    await quietFor(500);
  });

  it('closes a session whose deadline passed while serve was down, and sends nothing for it', async () => {
    // A short idle deadline, but not the shortest (1 s): in a loaded CI run the session's load
    // sent nothing within 60 s of its calls (its first request is awaited before the kill), the
    // likeliest cause that the session closed as idle before its load's worker thread began.
    const { file } = writeServe({ app: scenario() }, { limits: '  idleTimeout: 3s' });
    const first = await startServe(file);
    await openSession(first.url);
    await killed(first.cli);
    await sleep(3500); // past the idle deadline while nobody runs

    const second = await startServe(file);
    expect(second.stderr).toMatch(/0 resumed, 1 closed/);
    expect(second.stderr).toMatch(/ended: aborted: closed after a restart of serve: no call from flagger/);
    await quietFor(500);
    const rollout = await callFlagger(second.url, 'app', 'rollout', flaggerPayload('Progressing'));
    expect(rollout.status).toBe(409);
    expect(rollout.body.ended).toBe('aborted');
    second.cli.child.kill('SIGTERM');
    await second.cli.done;
  });

  it('closes a session its controller stopped calling and stops its load', async () => {
    const { file } = writeServe({ app: scenario() }, { limits: '  idleTimeout: 1s' });
    const serve = await startServe(file);
    await openSession(serve.url);
    await serve.cli.stderrUntil(/ended: aborted: abandoned: no call from flagger for \d+ s/);
    await quietFor(500);
    serve.cli.child.kill('SIGTERM');
    await serve.cli.done;
  });
});
