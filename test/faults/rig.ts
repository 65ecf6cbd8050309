/**
 * The real parts a fault test runs against: a baseline and a canary server on 127.0.0.1 (the
 * canary's replies scriptable per test), a real nginx whose upstream file the nginx router
 * rewrites, and a folder for scenarios and outputs. `scenario()` writes a small, fast nginx
 * canary scenario with fields overridden as YAML text.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { NginxRouter } from '../../src/canary/routers/nginx.js';
import { STACK_TRACE, upstreamWeight } from '../helpers/faults.js';
import { startNginx, type TestNginx } from '../helpers/nginx.js';
import { type Reply, startTestServer, type TestServer } from '../helpers/server.js';

/** A running rig. */
export interface Rig {
  baseline: TestServer;
  canary: TestServer;
  nginx: TestNginx;
  dir: string;
  /** What the canary answers (health paths answer 200 unless the script says otherwise). */
  canaryReply: (req: IncomingMessage) => Reply;
  /** What the baseline answers: at once, unless a test gives both arms a service time. */
  baselineReply: (req: IncomingMessage) => Reply;
  /** Write a scenario file; `yaml` entries replace the default sections by key. */
  scenario: (sections?: Record<string, string>) => string;
  /** Back to 0 % canary and nothing seen, before each test. */
  reset: () => Promise<void>;
  /** Requests the services saw, health checks excluded. */
  sent: () => number;
  stop: () => Promise<void>;
}

/** Start the servers and nginx. */
export async function startRig(name: string): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), `canary-gate-fault-${name}-`));
  const rig = {} as Rig;
  rig.dir = dir;
  rig.canaryReply = () => ({});
  rig.baselineReply = () => ({ body: 'baseline' });
  rig.baseline = await startTestServer((req) => rig.baselineReply(req));
  rig.canary = await startTestServer((req) => rig.canaryReply(req));
  rig.nginx = await startNginx(`127.0.0.1:${rig.baseline.port}`, `127.0.0.1:${rig.canary.port}`);
  let n = 0;
  rig.scenario = (sections = {}) => {
    const defaults: Record<string, string> = {
      name: 'fault',
      targets: `
  baseline: { url: "${rig.baseline.url}" }
  canary: { url: "${rig.canary.url}" }`,
      traffic: '{ rate: 40/s, connections: 8, warmup: 0s, stepDuration: 1s, timeout: 1s }',
      requests: '\n  - path: /api',
      steps: '[10, 50, 100]',
      router: `
  type: nginx
  upstreamFile: ${rig.nginx.upstreamFile}
  upstreamName: ${rig.nginx.upstreamName}
  reload: ${JSON.stringify(rig.nginx.reload)}`,
      gates: `
  checks:
    - { metric: errorRate, max: 5%, critical: true }
  statistics: { minSamples: 10, inconclusive: continue }`,
      outputs: `{ dir: "${join(dir, 'out')}" }`,
      health: '{ timeout: 1s, retries: 0 }',
    };
    const all = { ...defaults, ...sections };
    const text = Object.entries(all)
      .filter(([, v]) => v !== '')
      .map(([k, v]) => `${k}: ${v}`)
      .join('\n');
    const file = join(dir, `scenario-${n++}.yaml`);
    writeFileSync(file, `${text}\n`);
    return file;
  };
  rig.reset = async () => {
    await new NginxRouter({
      upstreamFile: rig.nginx.upstreamFile,
      upstreamName: rig.nginx.upstreamName,
      reload: rig.nginx.reload,
      baseline: `127.0.0.1:${rig.baseline.port}`,
      canary: `127.0.0.1:${rig.canary.port}`,
    }).reset('fault-test-setup');
    rig.canaryReply = () => ({});
    rig.baselineReply = () => ({ body: 'baseline' });
    rig.baseline.seen.length = 0;
    rig.canary.seen.length = 0;
  };
  rig.sent = () => [...rig.baseline.seen, ...rig.canary.seen].filter((r) => !r.url.startsWith('/health')).length;
  rig.stop = async () => {
    await rig.nginx.stop();
    await Promise.all([rig.baseline.close(), rig.canary.close()]);
    rmSync(dir, { recursive: true, force: true });
  };
  return rig;
}

/**
 * What every refusal must be: exit 2, the message `says`, no stack trace, no request sent, the
 * canary still at 0 %, and an end within 15 s: the bound catches a refusal that hangs, not a slow
 * machine (reading 100 000 list items took 5.7 s beside the other files in a CI run).
 */
export function expectRefused(
  rig: Rig,
  run: { code: number | null; stderr: string; wallMs: number },
  says: RegExp,
): void {
  expect(run.code).toBe(2);
  expect(run.stderr).toMatch(says);
  expect(run.stderr).not.toMatch(STACK_TRACE);
  expect(rig.sent()).toBe(0);
  expect(upstreamWeight(rig.nginx.upstreamFile)).toBe(0);
  expect(run.wallMs).toBeLessThan(15_000);
}
