import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NginxRouter } from '../../src/canary/routers/nginx.js';
import { journalState, readJournal } from '../../src/session/journal.js';
import { type CliRun, runCli, startCli, whileRunning } from '../helpers/cli.js';
import { startNginx, type TestNginx } from '../helpers/nginx.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { whyNot } from '../helpers/why-not.js';

let baseline: TestServer;
let canary: TestServer;
let nginx: TestNginx;
let canaryHealthy = true;
let canaryDelayMs = 0;
const dir = mkdtempSync(join(tmpdir(), 'canary-gate-run-'));

beforeAll(async () => {
  baseline = await startTestServer(() => ({ body: 'baseline' }));
  canary = await startTestServer((req) =>
    req.url?.startsWith('/health') ? { status: canaryHealthy ? 200 : 503 } : { body: 'canary', delayMs: canaryDelayMs },
  );
  nginx = await startNginx(`127.0.0.1:${baseline.port}`, `127.0.0.1:${canary.port}`);
});
afterAll(async () => {
  await nginx.stop();
  await Promise.all([baseline.close(), canary.close()]);
});
beforeEach(async () => {
  // Each test starts from 0 % canary, whatever the one before left.
  await new NginxRouter({
    upstreamFile: nginx.upstreamFile,
    upstreamName: nginx.upstreamName,
    reload: nginx.reload,
    baseline: `127.0.0.1:${baseline.port}`,
    canary: `127.0.0.1:${canary.port}`,
  }).reset('test-setup');
  canaryHealthy = true;
  canaryDelayMs = 0;
  baseline.seen.length = 0;
  canary.seen.length = 0;
});

let n = 0;
function scenario(
  overrides: {
    stepDuration?: string;
    maxStepDuration?: string;
    checks?: string;
    rate?: string;
    healthRetries?: number;
  } = {},
): string {
  const file = join(dir, `scenario-${n++}.yaml`);
  writeFileSync(
    file,
    `name: e2e nginx canary
targets:
  baseline: { url: "${baseline.url}", health: [/health/ready] }
  canary: { url: "${canary.url}", health: [/health/ready] }
traffic: { rate: ${overrides.rate ?? '50/s'}, connections: 10, warmup: 200ms, stepDuration: ${overrides.stepDuration ?? '30s'}${overrides.maxStepDuration ? `, maxStepDuration: ${overrides.maxStepDuration}` : ''}, timeout: 2s }
requests:
  - path: /api
steps: [10, 50, 100]
router:
  type: nginx
  upstreamFile: ${nginx.upstreamFile}
  upstreamName: ${nginx.upstreamName}
  reload: ${JSON.stringify(nginx.reload)}
  verifyUrl: ${nginx.url}/
gates:
  checks:
${overrides.checks ?? '    - { metric: errorRate, max: 1%, critical: true }'}
  statistics: { minSamples: 20 }
${overrides.healthRetries === undefined ? '' : `health: { retries: ${overrides.healthRetries} }\n`}`,
  );
  return file;
}

const canaryInUpstream = () => readFileSync(nginx.upstreamFile, 'utf8').includes(`127.0.0.1:${canary.port}`);
const runDir = (run: CliRun | string) => {
  const text = typeof run === 'string' ? run : run.stderr;
  const id = /run (\d{8}-\d{6}-[0-9a-f]{4}):/.exec(text)?.[1];
  return join(dir, 'out', id ?? 'missing');
};

/** Resolve once the child's stderr has contained `pattern`. */
async function stderrUntil(child: ReturnType<typeof startCli>['child'], pattern: RegExp): Promise<string> {
  let seen = '';
  while (!pattern.test(seen)) {
    const [chunk] = await once(child.stderr as NodeJS.ReadableStream, 'data');
    seen += String(chunk);
  }
  return seen;
}

/**
 * Resolve, with the child's stderr so far, once step 1 is under way: its weight announced and the
 * canary serving the load's requests (the load starts only once the weight is applied). Waiting
 * for the step's first progress line ("1s/") instead took about a second more: 2.9 s a test, 2.0 s
 * now.
 */
async function midStep1(cli: ReturnType<typeof startCli>): Promise<string> {
  const seen = await stderrUntil(cli.child, /step 1: 10% canary/);
  await whileRunning(
    canary.arrival((r) => r.url === '/api'),
    cli.child,
    10_000,
    () => `no canary request 10 s into step 1:\n${seen}`,
  );
  return seen;
}

describe('canary-gate run (real nginx as the router)', () => {
  it('on SIGTERM mid-step: resets nginx to 0 % canary and exits 130', async () => {
    const cli = startCli(['run', scenario(), '--out', join(dir, 'out')]);
    const { child, done } = cli;
    const seen = await midStep1(cli);
    expect(canaryInUpstream()).toBe(true);
    child.kill('SIGTERM');
    const run = await done;
    expect(run.code).toBe(130);
    expect(canaryInUpstream()).toBe(false);
    const state = journalState(readJournal(join(runDir(seen), 'journal.jsonl')));
    expect(state).toMatchObject({ weight: 0, settled: true, decision: 'interrupted' });
    const events = readJournal(join(runDir(seen), 'journal.jsonl')).map((e) => e.event);
    expect(events).toEqual(['start', 'weight', 'applied', 'reset', 'reset-done', 'end']);
    const result = JSON.parse(readFileSync(join(runDir(seen), 'result.json'), 'utf8'));
    expect(result).toMatchObject({ decision: 'interrupted', exitCode: 130 });
  });

  it('on SIGTERM after its output pipe closed: still resets nginx and exits', async () => {
    const cli = startCli(['run', scenario(), '--out', join(dir, 'out')]);
    const { child } = cli;
    await midStep1(cli);
    expect(canaryInUpstream()).toBe(true);
    // As when a CI step's reader dies first: every later write fails with EPIPE.
    child.stdout?.destroy();
    child.stderr?.destroy();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(130);
    expect(canaryInUpstream()).toBe(false);
  });

  it('after kill -9, recover puts nginx back to 0 % canary and says what it did', async () => {
    const cli = startCli(['run', scenario(), '--out', join(dir, 'out')]);
    const { child, done } = cli;
    const seen = await midStep1(cli);
    child.kill('SIGKILL');
    await done;
    expect(canaryInUpstream()).toBe(true);
    const journal = join(runDir(seen), 'journal.jsonl');
    const recover = await runCli(['recover', journal]);
    expect(recover.code).toBe(0);
    expect(recover.stderr).toContain('the journal shows up to 10% canary and no reset after it');
    expect(recover.stderr).toContain('to 0% canary (was up to 10%)');
    expect(canaryInUpstream()).toBe(false);
    const again = await runCli(['recover', journal]);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('nothing to do');
  });

  it('rolls back on a failed gate: exit 1, nginx at 0 % canary, the result names the check', async () => {
    canaryDelayMs = 40;
    // The 10 % step's 40 canary requests, all 40 ms slower than the bound, in 1 s. The step may run
    // on to 10 s until the check decides: beside the CI's other files a 1 s step once ended with p99
    // undecided, and the run was rolled back by the inconclusive policy, not by the check (at 6 s
    // too, once, its generator-limited seconds left out).
    const file = scenario({
      rate: '400/s',
      stepDuration: '1s',
      maxStepDuration: '10s',
      checks: '    - { metric: p99, max: 20ms }',
    });
    const run = await runCli(['run', file, '--out', join(dir, 'out'), '--json']);
    const result = JSON.parse(run.stdout);
    expect(run.code, result.reason).toBe(1);
    expect(result.decision).toBe('rollback');
    expect(result.steps).toHaveLength(1);
    expect(result.steps[0].verdict.checks[0], whyNot(result)).toMatchObject({ name: 'p99', status: 'fail' });
    expect(result.reason).toContain('step 1 (10%)');
    expect(canaryInUpstream()).toBe(false);
  });

  it('promotes when every step passes: exit 0, traffic moved to the canary', async () => {
    // A pass needs evidence, and the check is not what this test is about: with no errors, ≤ 25 %
    // is shown from 11 requests on (1 − 0.05^(1/n); minSamples is 20), and `validate` plans an
    // identical canary to pass the 10 % step's 40 canary requests 97 % of the time (≤ 5 % over 3 s
    // at 300/s: 65 %). A step may still run on to 6 s (beside three machine files at a time a step
    // once ended undecided and the run was rolled back).
    const run = await runCli([
      'run',
      scenario({
        rate: '400/s',
        stepDuration: '1s',
        maxStepDuration: '6s',
        checks: '    - { metric: errorRate, max: 25%, critical: true }',
      }),
      '--out',
      join(dir, 'out'),
      '--json',
    ]);
    const result = JSON.parse(run.stdout);
    // The run's own account of why, when it did not promote.
    expect(run.code, result.reason).toBe(0);
    expect(result.decision).toBe('promote');
    expect(result.steps.map((s: { weight: number }) => s.weight)).toEqual([10, 50, 100]);
    expect(result.preflight).toHaveLength(2);
    expect(readFileSync(nginx.upstreamFile, 'utf8')).not.toContain(`127.0.0.1:${baseline.port}`);
  });

  it('aborts with exit 3 when pre-flight fails, before any weight changes', async () => {
    canaryHealthy = false;
    // No retries: the canary answers 503 on every probe, and each retry waits (200 ms, then 400).
    const run = await runCli(['run', scenario({ healthRetries: 0 }), '--out', join(dir, 'out')]);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('pre-flight: 1/2 services healthy');
    expect(run.stdout).toContain('no weight was changed');
    expect(canaryInUpstream()).toBe(false);
    const entries = readJournal(join(runDir(run), 'journal.jsonl'));
    expect(entries.some((e) => e.event === 'weight')).toBe(false);
    expect(canary.seen.filter((r) => !r.url.startsWith('/health'))).toHaveLength(0);
  });

  it('rejects an invalid scenario with exit 2 and sends nothing', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, readFileSync(scenario(), 'utf8').replace('rate: 50/s', 'rate: lots'));
    const run = await runCli(['run', file, '--out', join(dir, 'out')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('traffic.rate: expected a positive rate');
    expect(baseline.seen).toHaveLength(0);
    expect(canary.seen).toHaveLength(0);
    expect(run.stderr).not.toMatch(/run \d{8}-/);
  });
});

describe('canary-gate run: external check sources', () => {
  it('aborts with exit 3 before sending anything when Prometheus does not answer pre-flight', async () => {
    const file = join(dir, 'prometheus-down.yaml');
    // Port 1 on loopback: nothing listens, the connection is refused at once (and, with no
    // retries, not asked again 200 and 400 ms later).
    writeFileSync(
      file,
      `${readFileSync(scenario({ healthRetries: 0 }), 'utf8')}prometheus:\n  url: http://127.0.0.1:1\n  queries: [{ name: q, query: up, max: 1 }]\n`,
    );
    const run = await runCli(['run', file, '--out', join(dir, 'out')]);
    expect(run.code).toBe(3);
    expect(run.stdout).toContain(
      'unhealthy: prometheus http://127.0.0.1:1/api/v1/query?query=vector(1) (ECONNREFUSED)',
    );
    expect(canaryInUpstream()).toBe(false);
    expect(baseline.seen.filter((r) => !r.url.startsWith('/health'))).toHaveLength(0);
    expect(canary.seen.filter((r) => !r.url.startsWith('/health'))).toHaveLength(0);
  });
});

describe('canary-gate run (exec router)', () => {
  it('on a router error: resets, runs the rollback hook, exits 3', async () => {
    const hookFile = join(dir, 'rollback-hook-ran');
    const weights = join(dir, 'exec-weights');
    const file = join(dir, 'exec.yaml');
    // The router command records each weight and fails at 50 %: the run must reset to 0 %.
    const setWeight =
      'const fs=require("fs");fs.appendFileSync(process.argv[1],process.argv[2]+"\\n");process.exit(process.argv[2]==="50"?1:0)';
    writeFileSync(
      file,
      `name: exec router failure
targets:
  baseline: { url: "${baseline.url}" }
  canary: { url: "${canary.url}" }
traffic: { rate: 400/s, warmup: 0s, stepDuration: 1s, maxStepDuration: 10s }
requests: [{ path: /api }]
steps: [10, 50, 100]
router:
  type: exec
  command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(setWeight)}, ${JSON.stringify(weights)}, "{weight}"]
gates:
  # A check the 10 % step passes on its ~40 samples (with none written, the default checks would
  # need more than this short step has to reach the 50 % step whose router call fails; at 200/s for
  # 500 ms its 10 samples were undecided beside a CPU hog in 1 of 4 runs).
  checks: [{ metric: errorRate, max: 50% }]
  statistics: { minSamples: 5 }
hooks:
  rollback: [${JSON.stringify(process.execPath)}, -e, 'require("fs").writeFileSync(process.argv[1], "yes")', ${JSON.stringify(hookFile)}]
`,
    );
    const run = await runCli(['run', file, '--out', join(dir, 'out'), '--json']);
    const result = JSON.parse(run.stdout);
    // In one CI run the 10 % step ended in a rollback (exit 1) instead, for a reason not kept: a
    // step looked at before its first closed second waits for one, and one whose seconds are all
    // generator-limited may run on to its longest (10 s here, where a step is 1 s planned).
    expect(run.code, whyNot(result)).toBe(3);
    expect(result.decision).toBe('aborted');
    expect(result.reason).toContain('exec router');
    // 10, then 50 failing three times (two retries), then the reset to 0.
    expect(readFileSync(weights, 'utf8').trim().split('\n')).toEqual(['10', '50', '50', '50', '0']);
    expect(readFileSync(hookFile, 'utf8')).toBe('yes');
    expect(run.stderr).toContain('rollback hook: ok');
  });
});
