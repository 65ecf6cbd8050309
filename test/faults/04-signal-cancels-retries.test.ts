/**
 * #14 item 4: a signal cancels pending router retries at once and goes straight to a bounded
 * reset. With a webhook that never answers a weight change (and answers the reset), SIGINT
 * during the first change exits 130 within moments, with no further weight change sent and the
 * reason naming the interrupt; a router whose reset hangs too is given up after the reset's
 * deadline, still 130, with the way to `recover`. An exec router's hanging command is killed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RESET_DEADLINE_MS } from '../../src/canary/driver.js';
import { figure, STACK_TRACE, startMeasured } from '../helpers/faults.js';
import type { TestServer } from '../helpers/server.js';
import { type Rig, startRig } from './rig.js';

let rig: Rig;
let hook: TestServer;
/** Weights the webhook was asked for, in order; the last answered one is in effect. */
let asked: number[] = [];
let applied = 0;
let hangReset = false;
beforeAll(async () => {
  rig = await startRig('signal');
  hook = await startWebhook();
});
afterAll(async () => {
  await hook.close();
  await rig.stop();
});
beforeEach(async () => {
  await rig.reset();
  asked = [];
  applied = 0;
  hangReset = false;
});

/** A webhook that hangs on every weight above 0 and answers a reset (unless told to hang it too). */
async function startWebhook(): Promise<TestServer> {
  const { createServer } = await import('node:http');
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      const weight = (JSON.parse(body) as { weight: number }).weight;
      asked.push(weight);
      if (weight > 0 || hangReset) return;
      applied = weight;
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen: [],
    arrival: () => Promise.reject(new Error('this webhook keeps no requests')),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const webhookRouter = () => `
  type: webhook
  url: ${hook.url}/weight
  retries: 3
  timeout: 5s`;

/** Wait until `check` holds, polling every 20 ms (the webhook's requests are the event). */
async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 20));
}

describe('a signal cancels pending router retries', () => {
  it('SIGINT while the webhook hangs on weight 10: exit 130 at once, no retry, reset sent, reason names SIGINT', async () => {
    const run = startMeasured(['run', rig.scenario({ router: webhookRouter() })], { killAfterMs: 30_000 });
    await until(() => asked.includes(10));
    const signalledAt = performance.now();
    run.child.kill('SIGINT');
    const done = await run.done;
    const afterSignalMs = performance.now() - signalledAt;
    figure('4 SIGINT during a hanging webhook', { ...done, wallMs: afterSignalMs });
    expect(done.code).toBe(130);
    expect(`${done.stdout}${done.stderr}`).toMatch(/interrupted by SIGINT/);
    expect(done.stderr).not.toMatch(STACK_TRACE);
    // One attempt at 10 %, cut short: no retry of it after the signal, then the reset.
    expect(asked.filter((w) => w === 10)).toHaveLength(1);
    expect(asked.at(-1)).toBe(0);
    expect(applied).toBe(0);
    expect(afterSignalMs).toBeLessThan(4000);
  });

  it('a reset that hangs too is given up at its deadline: still exit 130, recover named', async () => {
    hangReset = true;
    const run = startMeasured(['run', rig.scenario({ router: webhookRouter() })], { killAfterMs: 40_000 });
    await until(() => asked.includes(10));
    const signalledAt = performance.now();
    run.child.kill('SIGTERM');
    const done = await run.done;
    const afterSignalMs = performance.now() - signalledAt;
    figure('4 SIGTERM, reset hangs too', { ...done, wallMs: afterSignalMs });
    expect(done.code).toBe(130);
    const text = `${done.stdout}${done.stderr}`;
    expect(text).toMatch(/interrupted by SIGTERM; resetting the router failed too/);
    expect(text).toMatch(/canary-gate recover \S+journal\.jsonl/);
    expect(asked.filter((w) => w === 10)).toHaveLength(1);
    expect(afterSignalMs).toBeLessThan(RESET_DEADLINE_MS + 4000);
  });

  it("SIGINT while an exec router's command hangs: the command is killed, exit 130 at once", async () => {
    const marks = join(rig.dir, 'exec-weights.txt');
    writeFileSync(marks, '');
    // Appends each weight; hangs on anything above 0 (a stuck kubectl, say), answers a reset.
    const script = `require('fs').appendFileSync(${JSON.stringify(marks)}, process.argv[1] + '\\n'); if (process.argv[1] !== '0') setInterval(() => {}, 1000);`;
    const router = `
  type: exec
  command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(script)}, "{weight}"]
  timeout: 20s`;
    const run = startMeasured(['run', rig.scenario({ router })], { killAfterMs: 40_000 });
    const { readFileSync } = await import('node:fs');
    await until(() => readFileSync(marks, 'utf8').includes('10\n'));
    const signalledAt = performance.now();
    run.child.kill('SIGINT');
    const done = await run.done;
    const afterSignalMs = performance.now() - signalledAt;
    figure('4 SIGINT during a hanging exec command', { ...done, wallMs: afterSignalMs });
    expect(done.code).toBe(130);
    expect(`${done.stdout}${done.stderr}`).toMatch(/interrupted by SIGINT/);
    expect(readFileSync(marks, 'utf8').trim().split('\n')).toEqual(['10', '0']);
    expect(afterSignalMs).toBeLessThan(4000);
  });
});
