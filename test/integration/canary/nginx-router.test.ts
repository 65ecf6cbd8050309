import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GENERATION_HEADER, NginxRouter, type NginxRouterOptions } from '../../../src/canary/routers/nginx.js';
import { startNginx, type TestNginx } from '../../helpers/nginx.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let baseline: TestServer;
let canary: TestServer;
let nginx: TestNginx;
let router: NginxRouter;

beforeAll(async () => {
  baseline = await startTestServer(() => ({ body: 'baseline' }));
  canary = await startTestServer(() => ({ body: 'canary' }));
  nginx = await startNginx(`127.0.0.1:${baseline.port}`, `127.0.0.1:${canary.port}`);
  router = new NginxRouter({ ...options(), verifyUrl: `${nginx.url}/`, pidFile: nginx.pidFile });
});

/** The router's options for this nginx, without a verify URL or a pid file. */
function options(): NginxRouterOptions {
  return {
    upstreamFile: nginx.upstreamFile,
    upstreamName: nginx.upstreamName,
    reload: nginx.reload,
    baseline: `127.0.0.1:${baseline.port}`,
    canary: `127.0.0.1:${canary.port}`,
  };
}
afterAll(async () => {
  await nginx.stop();
  await Promise.all([baseline.close(), canary.close()]);
});

/** nginx's workers that accept connections now: the master's children not titled as shutting down. */
function acceptingWorkers(): number[] {
  const master = Number(readFileSync(nginx.pidFile, 'utf8').trim());
  const children = readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').split(/\s+/).filter(Boolean);
  return children.map(Number).filter((pid) => {
    try {
      const title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
      return title.includes('worker process') && !title.includes('shutting down');
    } catch {
      return false; // exited meanwhile
    }
  });
}

/** Resolves once `n` fresh connections in a row, 20 ms apart, are answered with `generation`. */
async function servedInARow(generation: string, n: number): Promise<void> {
  for (let inARow = 0; inARow < n; ) {
    const response = await request(`${nginx.url}/`, { reset: true, headersTimeout: 2000, bodyTimeout: 2000 });
    await response.body.dump();
    inARow = response.headers[GENERATION_HEADER] === generation ? inARow + 1 : 0;
    await sleep(20);
  }
}

/** Send n requests through nginx, one at a time on one keep-alive connection, and count arms. */
async function countThroughNginx(n: number): Promise<{ baseline: number; canary: number }> {
  const counts = { baseline: 0, canary: 0 };
  const client = new Client(nginx.url);
  try {
    for (let i = 0; i < n; i++) {
      const response = await client.request({ method: 'GET', path: '/probe' });
      counts[(await response.body.text()) as 'baseline' | 'canary']++;
    }
  } finally {
    await client.close();
  }
  return counts;
}

// nginx's smooth weighted round-robin is exact over every 100 requests of one worker; a reload
// is graceful, so an old worker may still take a connection for a moment: allow two requests.
const SAMPLING_TOLERANCE = 2;

describe('nginx router (real nginx)', () => {
  it('writes the weights of each step and nginx routes real traffic by them', async () => {
    for (const [step, weight] of [10, 25, 50, 75, 100].entries()) {
      await router.setWeight({ weight, step, run: 'test' });
      const config = readFileSync(nginx.upstreamFile, 'utf8');
      if (weight < 100) expect(config).toContain(`server 127.0.0.1:${baseline.port} weight=${100 - weight};`);
      else expect(config).not.toContain(`127.0.0.1:${baseline.port}`);
      expect(config).toContain(`server 127.0.0.1:${canary.port} weight=${weight};`);
      const counts = await countThroughNginx(200);
      expect(Math.abs(counts.canary - 2 * weight)).toBeLessThanOrEqual(SAMPLING_TOLERANCE);
    }
  });

  it('resets to 0 % canary: the canary is left out of the upstream', async () => {
    await router.setWeight({ weight: 50, step: 2, run: 'test' });
    await router.reset('test');
    expect(readFileSync(nginx.upstreamFile, 'utf8')).not.toContain(`127.0.0.1:${canary.port}`);
    expect((await countThroughNginx(50)).canary).toBeLessThanOrEqual(SAMPLING_TOLERANCE);
  });

  it('with a pidFile, waits until the workers from before the reload stop accepting, however late one is', async () => {
    const old = acceptingWorkers();
    expect(old.length).toBe(1);
    // A worker that cannot run handles nginx's quit signal late: until it has, it may still accept.
    for (const pid of old) process.kill(pid, 'SIGSTOP');
    let settled = false;
    const change = router.setWeight({ weight: 50, step: 2, run: 'stopped' }).finally(() => {
      settled = true;
    });
    try {
      // The new worker serves the new weights to fresh connections, twice as long as the verify
      // URL alone needs to pass (five in a row)…
      await servedInARow('stopped/step-3/50', 10);
      // …but the old worker has not stopped accepting: the reload has not taken yet.
      expect(settled).toBe(false);
      expect(acceptingWorkers()).toEqual(expect.arrayContaining(old));
    } finally {
      for (const pid of old) process.kill(pid, 'SIGCONT');
    }
    await change;
    expect(acceptingWorkers().filter((pid) => old.includes(pid))).toEqual([]);
    const counts = await countThroughNginx(200);
    expect(Math.abs(counts.canary - 100)).toBeLessThanOrEqual(SAMPLING_TOLERANCE);
  });

  it('refuses an unreadable pidFile before it writes anything, yet a reset still writes its safe weight', async () => {
    await router.setWeight({ weight: 25, step: 1, run: 'test' });
    const written = readFileSync(nginx.upstreamFile, 'utf8');
    const missing = join(nginx.dir, 'missing.pid');
    const lost = new NginxRouter({ ...options(), pidFile: missing });
    await expect(lost.setWeight({ weight: 50, step: 2, run: 'test' })).rejects.toMatchObject({
      code: 'E_ROUTER',
      message: expect.stringContaining(`cannot read pidFile ${missing}`),
    });
    expect(readFileSync(nginx.upstreamFile, 'utf8')).toBe(written);
    // A pid file that names a process other than nginx's master (a stale file, its pid reused).
    const stale = join(nginx.dir, 'stale.pid');
    writeFileSync(stale, `${process.pid}\n`);
    const other = new NginxRouter({ ...options(), pidFile: stale });
    await expect(other.setWeight({ weight: 50, step: 2, run: 'test' })).rejects.toThrow(
      `pidFile ${stale} names pid ${process.pid}, which is not an nginx master`,
    );
    expect(readFileSync(nginx.upstreamFile, 'utf8')).toBe(written);
    await expect(lost.reset('test')).rejects.toMatchObject({ code: 'E_ROUTER' });
    expect(readFileSync(nginx.upstreamFile, 'utf8')).not.toContain(`127.0.0.1:${canary.port}`);
    await router.reset('test');
  });

  it('fails with a RouterError when the reload fails', async () => {
    const broken = new NginxRouter({
      ...options(),
      reload: ['nginx', '-p', nginx.dir, '-c', `${nginx.dir}/missing.conf`, '-s', 'reload'],
    });
    await expect(broken.setWeight({ weight: 10, step: 0, run: 'test' })).rejects.toMatchObject({ code: 'E_ROUTER' });
    await router.reset('test');
  });
});
