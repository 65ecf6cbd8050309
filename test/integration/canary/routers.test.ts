import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecRouter } from '../../../src/canary/routers/exec.js';
import { ProxyRouter } from '../../../src/canary/routers/proxy.js';
import { SIGNATURE_HEADER, WebhookRouter } from '../../../src/canary/routers/webhook.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let baseline: TestServer;
let canary: TestServer;
beforeAll(async () => {
  baseline = await startTestServer(() => ({ body: 'baseline' }));
  canary = await startTestServer(() => ({ body: 'canary' }));
});
afterAll(async () => {
  await Promise.all([baseline.close(), canary.close()]);
});

describe('proxy router', () => {
  it('splits real traffic by weight and measures each arm', async () => {
    const proxy = new ProxyRouter({ listen: '127.0.0.1:0', baselineUrl: baseline.url, canaryUrl: canary.url });
    const url = await proxy.listen();
    const client = new Client(url);
    try {
      for (const weight of [0, 10, 50, 100]) {
        await proxy.setWeight({ weight, step: 0, run: 't' });
        proxy.startMeasuring(0);
        let toCanary = 0;
        for (let i = 0; i < 200; i++) {
          const response = await client.request({ method: 'GET', path: '/x' });
          const body = await response.body.text();
          expect(response.headers['x-canary-gate-arm']).toBe(body);
          if (body === 'canary') toCanary++;
        }
        // Smooth weighted round-robin: exact over every 100 requests.
        expect(toCanary).toBe(2 * weight);
        const [b, c] = proxy.measurements();
        expect(c?.counters.requests).toBe(2 * weight);
        expect(b?.counters.requests).toBe(200 - 2 * weight);
        expect(c?.latency.totalCount).toBe(2 * weight);
      }
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('keeps a sticky client on one arm, and moves clients only towards the canary as the weight grows', async () => {
    const proxy = new ProxyRouter({
      listen: '127.0.0.1:0',
      baselineUrl: baseline.url,
      canaryUrl: canary.url,
      sticky: { header: 'x-user' },
    });
    const url = await proxy.listen();
    const client = new Client(url);
    const armOf = async (user: string): Promise<string> => {
      const response = await client.request({ method: 'GET', path: '/', headers: { 'x-user': user } });
      return response.body.text();
    };
    try {
      const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
      let previous = new Map<string, string>();
      for (const weight of [10, 25, 50]) {
        await proxy.setWeight({ weight, step: 0, run: 't' });
        const now = new Map<string, string>();
        for (const user of users) {
          const first = await armOf(user);
          // The same client lands on the same arm every time.
          expect(await armOf(user)).toBe(first);
          expect(await armOf(user)).toBe(first);
          now.set(user, first);
          if (previous.get(user) === 'canary') expect(first).toBe('canary');
        }
        const share = [...now.values()].filter((arm) => arm === 'canary').length / users.length;
        expect(Math.abs(share - weight / 100)).toBeLessThan(0.1);
        previous = now;
      }
      // A sticky cookie works the same way.
      const cookieProxy = new ProxyRouter({
        listen: '127.0.0.1:0',
        baselineUrl: baseline.url,
        canaryUrl: canary.url,
        sticky: { cookie: 'sid' },
      });
      const cookieClient = new Client(await cookieProxy.listen());
      await cookieProxy.setWeight({ weight: 50, step: 0, run: 't' });
      const arms = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const r = await cookieClient.request({
          method: 'GET',
          path: '/',
          headers: { cookie: 'theme=dark; sid=abc123' },
        });
        arms.add(await r.body.text());
      }
      expect(arms.size).toBe(1);
      await cookieClient.close();
      await cookieProxy.close();
    } finally {
      await client.close();
      await proxy.close();
    }
  });

  it('answers 502 and counts the error when an arm is down', async () => {
    const proxy = new ProxyRouter({
      listen: '127.0.0.1:0',
      baselineUrl: baseline.url,
      canaryUrl: 'http://127.0.0.1:1',
    });
    const client = new Client(await proxy.listen());
    try {
      await proxy.setWeight({ weight: 100, step: 0, run: 't' });
      const response = await client.request({ method: 'GET', path: '/' });
      await response.body.dump();
      expect(response.statusCode).toBe(502);
      expect(proxy.measurements()[1]?.counters.errorsByClass.refused).toBe(1);
    } finally {
      await client.close();
      await proxy.close();
    }
  });
});

describe('exec router', () => {
  it('runs the argv with {weight} substituted, without a shell', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'canary-gate-exec-')), 'weight');
    const router = new ExecRouter({
      command: [
        process.execPath,
        '-e',
        'require("fs").writeFileSync(process.argv[1], process.argv[2])',
        file,
        '{weight}; rm -rf /',
      ],
      timeoutMs: 10_000,
    });
    await router.setWeight({ weight: 25, step: 1, run: 't' });
    // The argument arrives verbatim: no shell ever interprets it.
    expect(readFileSync(file, 'utf8')).toBe('25; rm -rf /');
    await router.reset('t');
    expect(readFileSync(file, 'utf8')).toBe('0; rm -rf /');
  });

  it('fails with a RouterError after its retries', async () => {
    const router = new ExecRouter({
      command: [process.execPath, '-e', 'process.exit(3)'],
      timeoutMs: 10_000,
      retries: 1,
    });
    await expect(router.setWeight({ weight: 10, step: 0, run: 't' })).rejects.toMatchObject({
      code: 'E_ROUTER',
      message: expect.stringContaining('exited with 3'),
    });
  });
});

describe('webhook router', () => {
  it('POSTs the weight with a bearer token and an HMAC signature, retrying a failing receiver', async () => {
    let calls = 0;
    const receiver = await startTestServer(() => {
      calls++;
      return { status: calls < 3 ? 503 : 204 };
    });
    const secret = 'hmac-secret-7d1f';
    const router = new WebhookRouter({
      url: `${receiver.url}/weights`,
      bearerToken: 'bearer-0a9e',
      hmacSecret: secret,
      retries: 3,
      timeoutMs: 2000,
      backoffMs: 10,
    });
    try {
      await router.setWeight({ weight: 50, step: 2, run: 'run-1' });
      expect(calls).toBe(3);
      const seen = receiver.seen[2];
      expect(seen?.method).toBe('POST');
      expect(seen?.headers.authorization).toBe('Bearer bearer-0a9e');
      const body = JSON.stringify({ weight: 50, step: 2, run: 'run-1' });
      expect(seen?.headers[SIGNATURE_HEADER]).toBe(`sha256=${createHmac('sha256', secret).update(body).digest('hex')}`);
    } finally {
      await receiver.close();
    }
  });

  it('fails with a RouterError when every attempt fails', async () => {
    const receiver = await startTestServer(() => ({ status: 500 }));
    const router = new WebhookRouter({ url: receiver.url, retries: 2, timeoutMs: 1000, backoffMs: 5 });
    try {
      await expect(router.setWeight({ weight: 10, step: 0, run: 'r' })).rejects.toMatchObject({
        code: 'E_ROUTER',
        message: expect.stringContaining('answered 500 after 3 attempts'),
      });
      expect(receiver.seen).toHaveLength(3);
    } finally {
      await receiver.close();
    }
  });
});

describe('commands run by routers', () => {
  it('are killed at the deadline even when they ignore SIGTERM and leave a child holding stdout', async () => {
    const { runArgv } = await import('../../../src/canary/routers/run-argv.js');
    const stubborn = `process.on("SIGTERM", () => {}); require("child_process").spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "inherit" }); setTimeout(() => {}, 60000)`;
    const started = Date.now();
    const result = await runArgv([process.execPath, '-e', stubborn], 500);
    expect(result.code).toBeNull();
    // Tolerant: settled near the deadline, nowhere near the 60 s the command wanted.
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
