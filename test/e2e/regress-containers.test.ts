/**
 * `canary-gate regress` on a real Docker engine when builds fail, hang or are interrupted: every
 * container a run started is stopped, and the exit code and reason say what happened. Nothing
 * here is a verdict on latency (those are regress-command.test.ts, a timed file), so this file
 * runs in the late lane (vitest.config.ts).
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/run-result.js';
import { runCli } from '../helpers/cli.js';
import { buildDemoImages, DEMO_IMAGE, inspect, REGRESS_LABEL } from '../helpers/docker.js';
import { REGRESS_ENV as env, IMAGES, LOAD, useRegressContainers } from '../helpers/regress-fixture.js';

const { dir, start, containers } = useRegressContainers();

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

describe('canary-gate regress with containers that fail, hang or are stopped', () => {
  it('finds the demo images up to date when the build script is run by a relative path from elsewhere', async () => {
    // The digest covers the script's own contents: the same inputs, however it is invoked.
    const { log } = await buildDemoImages(tmpdir());
    expect(log).toMatch(/:baseline and \S+:slow are up to date/);
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
    const ids = await containers();
    expect(ids).toHaveLength(2);
    const inspected = await Promise.all(ids.map(inspect));
    for (const c of inspected) {
      expect(c.State.Running).toBe(true);
      expect(c.HostConfig.NetworkMode).toBe('host');
      expect(c.HostConfig.CpusetCpus).toBe('0');
      expect(c.HostConfig.Memory).toBe(192 * 1024 ** 2);
      expect(c.HostConfig.MemorySwap).toBe(192 * 1024 ** 2);
      expect(c.Config.Labels[REGRESS_LABEL]).toMatch(/^\d{8}-\d{6}-/);
    }
    expect(inspected.map((c) => c.Config.Image).sort()).toEqual([IMAGES.baseline, IMAGES.slow]);
    // Each listens on its own port, told through PORT.
    const ports = inspected.map((c) => c.Config.Env.find((e) => e.startsWith('PORT=')));
    expect(new Set(ports).size).toBe(2);

    cli.child.kill('SIGTERM');
    const run = await cli.done;
    expect(run.code, run.stderr).toBe(130);
    expect(run.stdout).toContain('INTERRUPTED: interrupted by SIGTERM; every build was stopped');
    expect(await containers()).toEqual([]);
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
