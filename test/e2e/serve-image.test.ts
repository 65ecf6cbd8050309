import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sideCpusetArgs } from '../helpers/docker.js';
import { answersAfter } from '../helpers/serve-fixture.js';
import { closedPort, startTestServer, type TestServer } from '../helpers/server.js';
import { appScenario, callFlagger, flaggerPayload, poll, SERVE_ENV, send } from '../integration/serve/fixtures.js';

// The image deploy/image/build-image.sh builds from this checkout (docker import, no registry),
// run as the Argo job metric and as serve would run in a cluster: host networking, the config
// mounted read-only, as user 65534. The services it measures are real servers on loopback.
const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const IMAGE = 'canary-gate:latest';
const LABEL = 'canary-gate.test=serve-image';
let baseline: TestServer;
let healthy: TestServer;
let slow: TestServer;
let dir: string;

beforeAll(async () => {
  await run('bash', [join(ROOT, 'deploy/image/build-image.sh')], { timeout: 120_000 });
  [baseline, healthy, slow] = await Promise.all([
    startTestServer(answersAfter(0)),
    startTestServer(answersAfter(0)),
    startTestServer(answersAfter(80)),
  ]);
  dir = mkdtempSync(join(tmpdir(), 'canary-gate-image-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'healthy.yaml'), appScenario(baseline.url, healthy.url));
  writeFileSync(join(dir, 'slow.yaml'), appScenario(baseline.url, slow.url));
}, 150_000);
afterAll(async () => {
  const { stdout } = await run('docker', ['ps', '-aq', '--filter', `label=${LABEL}`]);
  const ids = stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await run('docker', ['rm', '-f', ...ids]);
  await Promise.all([baseline?.close(), healthy?.close(), slow?.close()]);
});

const docker = (args: string[]) =>
  run(
    'docker',
    [
      'run',
      '--rm',
      '--label',
      LABEL,
      '--network',
      'host',
      ...sideCpusetArgs(),
      '-v',
      `${dir}:/etc/canary-gate:ro`,
      ...args,
    ],
    {
      timeout: 60_000,
    },
  ).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

describe('the canary-gate image', () => {
  it.each([
    { scenario: 'healthy.yaml', code: 0 },
    { scenario: 'slow.yaml', code: 1 },
  ])('runs judge --step as a job metric: $scenario exits $code', async ({ scenario, code }) => {
    const r = await docker([
      IMAGE,
      'judge',
      `/etc/canary-gate/${scenario}`,
      '--step',
      '1',
      '--out',
      '/tmp/out',
      '--json',
      '--quiet',
    ]);
    // The result's reason and the step's quality say why, when the exit code is not the one expected.
    const why = (): string => {
      try {
        const result = JSON.parse(r.stdout);
        return `${r.stderr}${result.reason}\n${JSON.stringify(result.steps?.[0]?.quality)}`;
      } catch {
        return `${r.stderr}${r.stdout.slice(-2000)}`;
      }
    };
    expect(r.code, why()).toBe(code);
    expect(JSON.parse(r.stdout).steps[0].weight).toBe(10);
  });

  it('runs serve with its default command shape and answers Flagger', async () => {
    const port = await closedPort();
    writeFileSync(
      join(dir, 'serve.yaml'),
      `listen: 127.0.0.1:${port}\nstateDir: /tmp/state\nauth:\n  tokens: ["\${env:CG_SERVE_TOKEN}"]\napps:\n  podinfo: { scenario: healthy.yaml }\n`,
    );
    const { stdout } = await run('docker', [
      'run',
      '-d',
      ...sideCpusetArgs(),
      '--label',
      LABEL,
      '--network',
      'host',
      '-e',
      `CG_SERVE_TOKEN=${SERVE_ENV.CG_SERVE_TOKEN}`,
      '-v',
      `${dir}:/etc/canary-gate:ro`,
      IMAGE,
    ]);
    const id = stdout.trim();
    const url = `http://127.0.0.1:${port}`;
    const health = await poll(
      () =>
        send(`${url}/healthz`, 'GET', undefined, {}, 2000).catch(() => ({
          status: 0,
          body: {},
          headers: new Headers(),
        })),
      (r) => r.status === 200,
      20_000,
    );
    expect(health.status).toBe(200);
    const pre = await callFlagger(url, 'podinfo', 'pre-rollout', flaggerPayload('Progressing'));
    expect(pre.status, String(pre.body.reason)).toBe(200);
    await run('docker', ['stop', '-t', '10', id]);
    const { stdout: logs, stderr } = await run('docker', ['logs', id]);
    expect(`${logs}${stderr}`).toMatch(/SIGTERM: stopping every load/);
  });
});
