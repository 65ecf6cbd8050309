/**
 * `canary-gate regress` end to end on a real Docker engine: the built CLI as a child process,
 * the demo images from scripts/build-demo-image.sh, containers on host networking. The same
 * command over local processes (--baseline-cmd, --candidate-cmd) is regress-processes.test.ts:
 * two files, so that this one can be a timed file (vitest.config.ts) and that one a machine file.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/run-result.js';
import { runCli, startCli } from '../helpers/cli.js';
import {
  buildDemoImages,
  DEMO_IMAGE,
  inspect,
  REGRESS_LABEL,
  regressContainers,
  requireDocker,
} from '../helpers/docker.js';

const dir = mkdtempSync(join(tmpdir(), 'canary-gate-regress-'));
const env = { TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: '127.0.0.1' };
// Short and bounded: 2 rounds × 2 builds × (300 ms warm-up + 1.5 s) at 400/s, 1 200 samples a build.
// Not 1 s: beside four machine files the slower image's p50 (20 ms slower) was still inconclusive
// after 800 samples a build in a CI run.
const LOAD = ['--port', '0', '--rounds', '2', '--duration', '1500ms', '--warmup', '300ms', '--rate', '400/s'];
const IMAGES = {
  baseline: `${DEMO_IMAGE}:baseline`,
  slow: `${DEMO_IMAGE}:slow`,
};

/** CLIs started in the background, so a failed test still stops them (and their builds). */
const running: ChildProcess[] = [];

function start(args: string[]): ReturnType<typeof startCli> {
  const cli = startCli(args, env);
  running.push(cli.child);
  return cli;
}

/** A scenario whose candidate listens on 127.0.0.2, so its health URL on 127.0.0.1 never answers. */
function neverHealthyScenario(): string {
  const file = join(dir, 'never-healthy.yaml');
  writeFileSync(
    file,
    `# A candidate that never becomes healthy.
name: never healthy
mode: regression
regress:
  baseline: { image: ${IMAGES.baseline} }
  candidate: { image: ${IMAGES.baseline}, env: { HOST: 127.0.0.2 } }
  port: 0
  startupTimeout: 60s
requests: [{ path: / }]
outputs: { dir: ${dir} }
`,
  );
  return file;
}

function resultOf(stdout: string): RunResult {
  return JSON.parse(stdout) as RunResult;
}

beforeAll(async () => {
  await requireDocker();
  const { ms } = await buildDemoImages();
  console.log(`demo images ready in ${Math.round(ms)} ms`);
}, 120_000);

afterEach(async () => {
  for (const child of running.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  // Every test ends with nothing of regress left on the engine, whatever happened in it.
  expect(await regressContainers()).toEqual([]);
});

describe('canary-gate regress with containers', () => {
  it('finds the demo images up to date when the build script is run by a relative path from elsewhere', async () => {
    // The digest covers the script's own contents: the same inputs, however it is invoked.
    const { log } = await buildDemoImages(tmpdir());
    expect(log).toMatch(/:baseline and \S+:slow are up to date/);
  });

  it('passes an image against itself (scenario form)', async () => {
    const file = join(dir, 'self.yaml');
    // The p99 of a 4 ms service is this shared two-core machine's noise: the same image measured
    // 42 ms in one build's rounds and 94 ms in the other's (sequential rounds, other engineers'
    // work beside them), so an A/A p99 is no evidence here and this scenario checks p50 (the
    // default 10 % + 1 ms) and the error rate; the flag-form test below judges p99 by default. A pass
    // needs evidence: 1 200 error-free requests show ≤ 2 × baseline + 1 %, not the default + 0.1 %
    // (that takes about 3 000).
    writeFileSync(
      file,
      `name: demo against itself
mode: regression
regress:
  baseline: { image: ${IMAGES.baseline} }
  candidate: { image: ${IMAGES.baseline} }
  port: 0
  rounds: 2
traffic: { rate: 400/s, warmup: 300ms, stepDuration: 1500ms, timeout: 5s }
requests: [{ path: /api/items }]
gates:
  checks:
    - { metric: p50, vsBaseline: { ratio: 1.1, slack: 1ms } }
    - { metric: errorRate, vsBaseline: { ratio: 2, slack: 1% }, critical: true }
outputs: { dir: ${dir}, formats: [json, markdown, junit, html, hgrm] }
`,
    );
    const run = await runCli(['regress', file, '--json'], env);
    expect(run.code, run.stderr).toBe(0);
    const result = resultOf(run.stdout);
    expect(result.decision).toBe('promote');
    expect(result.reason).toContain('no regression over 2 interleaved rounds');
    expect(result.regress?.rounds.map((r) => r.order)).toEqual([
      ['baseline', 'canary'],
      ['canary', 'baseline'],
    ]);
    const step = result.steps[0];
    expect(step?.arms.baseline?.requests).toBeGreaterThan(1000);
    expect(step?.arms.canary?.requests).toBeGreaterThan(1000);
    expect(step?.verdict.checks.map((c) => c.status)).toEqual(['pass', 'pass']);
    // The same reports as run.
    const out = join(dir, result.run);
    for (const f of ['result.json', 'summary.md', 'junit.xml', 'report.html'])
      expect(existsSync(join(out, f)), f).toBe(true);
    expect(readFileSync(join(out, 'summary.md'), 'utf8')).toContain('Regression rounds');
    console.log(
      `self: baseline p50 ${step?.arms.baseline?.latencyMs.p50} p99 ${step?.arms.baseline?.latencyMs.p99}; candidate p50 ${step?.arms.canary?.latencyMs.p50} p99 ${step?.arms.canary?.latencyMs.p99}; start ${result.regress?.builds.map((b) => `${b.arm} ${b.startupMs} ms`).join(', ')}`,
    );
  });

  it('fails the slower variant with exit 1 and names the failing checks (flag form, default checks)', async () => {
    const run = await runCli(
      [
        'regress',
        '--baseline-image',
        IMAGES.baseline,
        '--candidate-image',
        IMAGES.slow,
        ...LOAD,
        '--path',
        '/api/items',
        '--out',
        dir,
        '--json',
      ],
      env,
    );
    expect(run.code, run.stderr).toBe(1);
    const result = resultOf(run.stdout);
    expect(result.decision).toBe('rollback');
    const checks = Object.fromEntries((result.steps[0]?.verdict.checks ?? []).map((c) => [c.name, c.status]));
    // 1 200 error-free requests per arm cannot show the default ≤ 2 × baseline + 0.1 % (about 3 000 can).
    // The p99 of a 4 ms service on a busy shared machine is the machine's noise, tens of ms, which
    // can hide the 20 ms (p99 passed or stayed open in 3 of 3 CI runs beside other engineers' work): not asserted.
    const { p99: _p99, ...shown } = checks;
    expect(shown).toEqual({ p50: 'fail', distribution: 'fail', errorRate: 'inconclusive' });
    expect(run.stderr).toMatch(/REGRESSION: .*canary p50 [\d.]+ ms .* exceeds baseline p50/);
    const b = result.steps[0]?.arms.baseline?.latencyMs;
    const c = result.steps[0]?.arms.canary?.latencyMs;
    // The slow image adds 20 ms to every answer.
    expect((c?.p50 ?? 0) - (b?.p50 ?? 0)).toBeGreaterThan(15);
    console.log(`slow: baseline p50 ${b?.p50} p99 ${b?.p99}; candidate p50 ${c?.p50} p99 ${c?.p99}`);
  });

  it('applies the same cpuset, memory and host networking to both, and stops both on SIGTERM mid-round (exit 130)', async () => {
    const cli = start([
      'regress',
      '--baseline-image',
      IMAGES.baseline,
      '--candidate-image',
      IMAGES.slow,
      '--port',
      '0',
      '--rounds',
      '3',
      // Long enough to inspect both containers while the second build is measured; the SIGTERM
      // cuts it short anyway.
      '--duration',
      '1s',
      '--warmup',
      '0s',
      '--rate',
      '100/s',
      '--cpuset',
      '0',
      '--memory',
      '192m',
      '--out',
      dir,
    ]);
    // The first build's first measurement is done: the second is being measured now.
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      cli.child.stderr?.on('data', (chunk: Buffer | string) => {
        seen += String(chunk);
        if (/round 1\/3 baseline/.test(seen)) resolve();
      });
      cli.child.once('exit', () => reject(new Error(`exited before the first round: ${seen}`)));
    });
    const ids = await regressContainers();
    expect(ids).toHaveLength(2);
    const containers = await Promise.all(ids.map(inspect));
    for (const c of containers) {
      expect(c.State.Running).toBe(true);
      expect(c.HostConfig.NetworkMode).toBe('host');
      expect(c.HostConfig.CpusetCpus).toBe('0');
      expect(c.HostConfig.Memory).toBe(192 * 1024 ** 2);
      expect(c.HostConfig.MemorySwap).toBe(192 * 1024 ** 2);
      expect(c.Config.Labels[REGRESS_LABEL]).toMatch(/^\d{8}-\d{6}-/);
    }
    expect(containers.map((c) => c.Config.Image).sort()).toEqual([IMAGES.baseline, IMAGES.slow]);
    // Each listens on its own port, told through PORT.
    const ports = containers.map((c) => c.Config.Env.find((e) => e.startsWith('PORT=')));
    expect(new Set(ports).size).toBe(2);

    cli.child.kill('SIGTERM');
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(130);
    expect(run.stdout).toContain('INTERRUPTED: interrupted by SIGTERM; every build was stopped');
    expect(await regressContainers()).toEqual([]);
  });

  it('exits 3 when an image is not in the local engine, with nothing started', async () => {
    const run = await runCli(
      [
        'regress',
        '--baseline-image',
        IMAGES.baseline,
        '--candidate-image',
        `${DEMO_IMAGE}:no-such-tag`,
        ...LOAD,
        '--out',
        dir,
      ],
      env,
    );
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toContain(`image ${DEMO_IMAGE}:no-such-tag is not in the local Docker engine`);
    expect(run.stderr).not.toContain('starting baseline');
  });

  it('exits 3 when a build exits before it is healthy, after stopping the one that started', async () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(
      file,
      `# The candidate refuses its setting and exits.
name: broken candidate
mode: regression
regress:
  baseline: { image: ${IMAGES.baseline} }
  candidate: { image: ${IMAGES.baseline}, env: { LATENCY_MS: "-1" } }
  port: 0
requests: [{ path: / }]
outputs: { dir: ${dir} }
`,
    );
    const run = await runCli(['regress', file], env);
    expect(run.code, run.stderr).toBe(3);
    // The service's own words reach the reason.
    expect(run.stdout).toMatch(
      /candidate \(container \S+-canary, image \S+\): the container exited with code 2 \(last output: LATENCY_MS: expected a non-negative/,
    );
    expect(run.stderr).toMatch(/baseline healthy after \d+ ms/);
    expect(run.stderr).toContain('stopping 1 build');
  });

  it('stops what started when SIGTERM comes while a build is still starting (exit 130)', async () => {
    const file = neverHealthyScenario();
    const cli = start(['regress', file]);
    await new Promise<void>((resolve, reject) => {
      let seen = '';
      cli.child.stderr?.on('data', (chunk: Buffer | string) => {
        seen += String(chunk);
        if (/baseline healthy after/.test(seen)) resolve();
      });
      cli.child.once('exit', () => reject(new Error(`exited before the baseline was healthy: ${seen}`)));
    });
    cli.child.kill('SIGTERM');
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(130);
    expect(run.stdout).toContain('INTERRUPTED');
    expect(run.stderr).toContain('starting candidate');
    expect(run.stderr).not.toContain('candidate healthy');
  });

  it('stops every build on SIGTERM even when nobody reads its output any more', async () => {
    const cli = start(['regress', neverHealthyScenario()]);
    await new Promise<void>((resolve) => {
      cli.child.stderr?.on('data', (chunk: Buffer | string) => {
        if (/baseline healthy after/.test(String(chunk))) resolve();
      });
    });
    // As when a CI step's reader dies first: every later write fails with EPIPE.
    cli.child.stdout?.destroy();
    cli.child.stderr?.destroy();
    const exited = new Promise<number | null>((resolve) => cli.child.once('exit', (code) => resolve(code)));
    cli.child.kill('SIGTERM');
    expect(await exited).toBe(130);
  });

  it('exits 3 naming the baseline when its container dies mid-run, instead of judging its connection errors', async () => {
    const file = join(dir, 'baseline-dies.yaml');
    // Same image for both: judged on the dead baseline's errors, the candidate would pass (exit 0).
    writeFileSync(
      file,
      `name: baseline dies mid-run
mode: regression
regress:
  baseline: { image: ${IMAGES.baseline}, env: { EXIT_AFTER_MS: "1500" } }
  candidate: { image: ${IMAGES.baseline} }
  port: 0
  rounds: 2
traffic: { rate: 400/s, warmup: 300ms, stepDuration: 1500ms, timeout: 5s }
requests: [{ path: /api/items }]
outputs: { dir: ${dir} }
`,
    );
    const run = await runCli(['regress', file, '--json'], env);
    expect(run.code, run.stderr).toBe(3);
    const result = resultOf(run.stdout);
    expect(result.decision).toBe('aborted');
    expect(result.reason).toMatch(
      /^aborted: baseline \(image \S+:baseline\) stopped serving in round 1: the container exited with code 1 \(last output: .*exiting after EXIT_AFTER_MS=1500/,
    );
    expect(result.steps).toEqual([]);
    expect(run.stderr).toContain('stopping 2 builds');
  });

  it('exits 3 when a build is not healthy by its startup timeout', async () => {
    const run = await runCli(
      [
        'regress',
        '--baseline-image',
        IMAGES.baseline,
        '--candidate-image',
        IMAGES.baseline,
        ...LOAD,
        '--env',
        'HOST=127.0.0.2',
        '--startup-timeout',
        '1s',
        '--out',
        dir,
      ],
      env,
    );
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toMatch(/\/health did not answer 2xx within 1 s \(last: ECONNREFUSED\)/);
  });
});
