/**
 * What the files that run `canary-gate regress` on containers share: the demo images built once
 * per file, CLIs started in the background that a failed test still stops, and after every test
 * the check that none of this file's runs left a container on the engine.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, expect } from 'vitest';
import { startCli } from './cli.js';
import { buildDemoImages, DEMO_IMAGE, regressContainers, requireDocker } from './docker.js';

/** testcontainers without Ryuk and without a bridge (scripts/ci.sh says why). */
export const REGRESS_ENV = { TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: '127.0.0.1' };

/** The demo images: the service, and the same with 20 ms added to every answer. */
export const IMAGES = {
  baseline: `${DEMO_IMAGE}:baseline`,
  slow: `${DEMO_IMAGE}:slow`,
};

/**
 * Short and bounded: 2 rounds × 2 builds × (300 ms warm-up + 1.5 s) at 400/s, 1 200 samples a
 * build. Not 1 s: beside four machine files the slower image's p50 (20 ms slower) was still
 * inconclusive after 800 samples a build in a CI run.
 */
export const LOAD = ['--port', '0', '--rounds', '2', '--duration', '1500ms', '--warmup', '300ms', '--rate', '400/s'];

/** The file's regress fixture: call once at the top of a test file. */
export function useRegressContainers(): {
  /** This file's output folder: every run writes under it, and its containers are found by it. */
  dir: string;
  /** A CLI started in the background with REGRESS_ENV, stopped after the test if still running. */
  start: (args: string[]) => ReturnType<typeof startCli>;
  /** Ids of the containers this file's runs labelled (any state). */
  containers: () => Promise<string[]>;
} {
  const dir = mkdtempSync(join(tmpdir(), 'canary-gate-regress-'));
  const running: ChildProcess[] = [];
  const containers = () => regressContainers(dir);
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
    expect(await containers()).toEqual([]);
  });
  return {
    dir,
    start: (args) => {
      const cli = startCli(args, REGRESS_ENV);
      running.push(cli.child);
      return cli;
    },
    containers,
  };
}
