import { readFileSync } from 'node:fs';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NginxRouter } from '../../../src/canary/routers/nginx.js';
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
  router = new NginxRouter({
    upstreamFile: nginx.upstreamFile,
    upstreamName: nginx.upstreamName,
    reload: nginx.reload,
    verifyUrl: `${nginx.url}/`,
    baseline: `127.0.0.1:${baseline.port}`,
    canary: `127.0.0.1:${canary.port}`,
  });
});
afterAll(async () => {
  await nginx.stop();
  await Promise.all([baseline.close(), canary.close()]);
});

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

  it('fails with a RouterError when the reload fails', async () => {
    const broken = new NginxRouter({
      upstreamFile: nginx.upstreamFile,
      upstreamName: nginx.upstreamName,
      reload: ['nginx', '-p', nginx.dir, '-c', `${nginx.dir}/missing.conf`, '-s', 'reload'],
      baseline: `127.0.0.1:${baseline.port}`,
      canary: `127.0.0.1:${canary.port}`,
    });
    await expect(broken.setWeight({ weight: 10, step: 0, run: 'test' })).rejects.toMatchObject({ code: 'E_ROUTER' });
    await router.reset('test');
  });
});
