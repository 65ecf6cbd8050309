/**
 * `canary-gate regress` over local processes (--baseline-cmd, --candidate-cmd): the built CLI as a
 * child process, the demo service (scripts/demo-image/service.mjs) as each build. No Docker: the
 * container form is regress-command.test.ts. Each test checks its own cleanup (the ports refuse).
 */
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '../../src/result/run-result.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'canary-gate-regress-'));
const SERVICE = fileURLToPath(new URL('../../scripts/demo-image/service.mjs', import.meta.url));
const env = { TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: '127.0.0.1' };
// Short and bounded: 2 rounds × 2 builds × (100 ms warm-up + 700 ms) at 400/s, 560 samples a build:
// a 20 ms slower p50 fails on far fewer. A round of one build lasts 0.8 s, so a build that exits
// 1–1.2 s after it started is gone by the check after its first round (healthy + 1.6 s).
const ROUNDS = ['--rounds', '2', '--duration', '700ms', '--warmup', '100ms', '--rate', '400/s'];
const LOAD = ['--port', '0', ...ROUNDS];

function resultOf(stdout: string): RunResult {
  return JSON.parse(stdout) as RunResult;
}

/** Two consecutive free ports on 127.0.0.1, as regress --port P uses P and P + 1. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const first = createNetServer();
    const port = await new Promise<number>((resolve) =>
      first.listen(0, '127.0.0.1', () => resolve((first.address() as AddressInfo).port)),
    );
    const second = createNetServer();
    const free = await new Promise<boolean>((resolve) => {
      second.once('error', () => resolve(false));
      second.listen(port + 1, '127.0.0.1', () => resolve(true));
    });
    await Promise.all([first, second].map((s) => new Promise((resolve) => s.close(resolve))));
    if (free) return port;
  }
}

/** Asserts that nothing listens on a port of 127.0.0.1 any more. */
async function refused(port: number): Promise<void> {
  await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
}

describe('canary-gate regress with local processes', () => {
  it('runs --baseline-cmd and --candidate-cmd without a shell, fails the slower one, and stops both', async () => {
    const run = await runCli(
      [
        'regress',
        '--baseline-cmd',
        `node ${SERVICE}`,
        '--candidate-cmd',
        `env EXTRA_DELAY_MS=20 node ${SERVICE}`,
        ...LOAD,
        '--out',
        dir,
        '--json',
      ],
      env,
    );
    expect(run.code, run.stderr).toBe(1);
    const result = resultOf(run.stdout);
    expect(result.warnings.join(' ')).toContain('no CPU pinning or memory limit');
    expect(result.regress?.builds.map((b) => b.description).join(' ')).toMatch(/process \d+ \(node /);
    // Both processes are gone: their ports refuse connections.
    for (const h of result.preflight) {
      await expect(fetch(h.url)).rejects.toThrow();
    }
  });

  it('exits 3 naming the candidate when its process dies mid-run, and leaves nothing running', async () => {
    const run = await runCli(
      [
        'regress',
        '--baseline-cmd',
        `node ${SERVICE}`,
        '--candidate-cmd',
        `env EXIT_AFTER_MS=1200 node ${SERVICE}`,
        ...LOAD,
        '--out',
        dir,
        '--json',
      ],
      env,
    );
    // Not 1: a dead candidate is a build that could not stay up, not a slow one.
    expect(run.code, run.stderr).toBe(3);
    const result = resultOf(run.stdout);
    expect(result.reason).toMatch(
      /^aborted: candidate \(command "env EXIT_AFTER_MS=1200 node \S+"\) stopped serving in round 1: the command exited with code 1 \(last output: exiting after EXIT_AFTER_MS=1200/,
    );
    expect(result.steps).toEqual([]);
    expect(result.preflight).toHaveLength(2);
    for (const h of result.preflight) await expect(fetch(h.url)).rejects.toThrow();
  });

  it('stops what a command started even after the command itself has exited', async () => {
    // The command starts the service as its child (in its process group, as npm starts node)
    // and exits a second later; the service would otherwise serve on as an orphan. It exits by
    // itself after 30 s, so a failing test leaves nothing behind for long.
    const script = `const { spawn } = require("node:child_process"); spawn(process.execPath, [${JSON.stringify(SERVICE)}], { stdio: "ignore", env: { ...process.env, EXIT_AFTER_MS: "30000" } }); setTimeout(() => process.exit(0), 1000);`;
    const port = await freePortPair();
    const run = await runCli(
      [
        'regress',
        '--baseline-cmd',
        `node ${SERVICE}`,
        '--candidate-cmd',
        `node -e '${script}'`,
        ...ROUNDS,
        '--port',
        String(port),
        '--out',
        dir,
      ],
      env,
    );
    expect(run.code, run.stderr).toBe(3);
    expect(run.stdout).toMatch(
      /candidate \(command "node -e .*"\) stopped serving in round 1: the command exited with code 0/,
    );
    await refused(port);
    await refused(port + 1);
  });

  it('exits 3 before starting anything when a port is taken, naming it', async () => {
    // An orphan of an earlier run on the candidate's port, answering /health as a build would.
    let requests = 0;
    const orphan = createHttpServer((_req, res) => {
      requests++;
      res.end('ok');
    });
    const port = await freePortPair();
    await new Promise<void>((resolve) => orphan.listen(port + 1, '127.0.0.1', resolve));
    try {
      const run = await runCli(
        [
          'regress',
          '--baseline-cmd',
          `node ${SERVICE}`,
          '--candidate-cmd',
          `node ${SERVICE}`,
          ...ROUNDS,
          '--port',
          String(port),
          '--out',
          dir,
        ],
        env,
      );
      expect(run.code, run.stderr).toBe(3);
      expect(run.stdout).toContain(
        `port ${port + 1} on 127.0.0.1, the candidate's, is already in use; nothing was started`,
      );
      expect(run.stdout).toContain('--port 0');
      expect(run.stderr).not.toContain('starting');
      expect(requests).toBe(0);
      await refused(port);
    } finally {
      await new Promise((resolve) => orphan.close(resolve));
    }
  });
});
