import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capacityPlanOf } from '../../../src/cli/capacity.js';
import { main } from '../../../src/cli/main.js';
import type { CapacityArgs } from '../../../src/cli/options/capacity.js';
import { ScenarioError, UsageError } from '../../../src/errors.js';
import { capacityExitCode, VERDICT_EXIT } from '../../../src/exit-codes.js';

const args = (over: Partial<CapacityArgs> = {}): CapacityArgs => ({
  target: 'http://127.0.0.1:8080/api/items?q=1',
  slo: 'p99<50ms,errors<0.1%',
  method: 'GET',
  json: false,
  quiet: false,
  ...over,
});

const dir = mkdtempSync(join(tmpdir(), 'canary-gate-capacity-plan-'));

/** A capacity scenario file with `url` as its target; returns its path. */
function scenarioFile(url: string, extra = ''): string {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `name: c\nmode: capacity\ntargets: { canary: { url: "${url}" } }\nrequests: [{ path: /items }]\ncapacity: { slo: p99<50ms }\n${extra}`,
  );
  return file;
}

const planOf = (a: CapacityArgs, env: Record<string, string> = {}) => capacityPlanOf(a, { env });

describe('capacity plan from flags', () => {
  it('resolves defaults, the request and a timeout from the SLO', async () => {
    const { plan: p } = await planOf(args());
    expect(p.search).toEqual({ startPerSec: 100, maxPerSec: 50_000, factor: 2, precision: 0.05, maxSteps: 30 });
    expect(p).toMatchObject({
      stepDurationMs: 10_000,
      warmupMs: 1000,
      cooldownMs: 1000,
      formats: ['json', 'markdown', 'html'],
    });
    expect(p.plan.targets).toEqual([{ arm: 'target', url: 'http://127.0.0.1:8080', weight: 1 }]);
    expect(p.plan.mix[0]).toMatchObject({ method: 'GET', path: '/api/items?q=1' });
    // 10 × the largest latency bound (50 ms), at least 1 s.
    expect(p.plan.timeoutMs).toBe(1000);
    expect((await planOf(args({ slo: 'p99<2s' }))).plan.plan.timeoutMs).toBe(10_000);
  });

  it('sends the same request path to the --compare origin', async () => {
    const { plan: p } = await planOf(args({ compare: 'http://127.0.0.1:9090/' }));
    expect(p.compareUrl).toBe('http://127.0.0.1:9090');
    expect(p.probes).toEqual(['http://127.0.0.1:8080/api/items?q=1', 'http://127.0.0.1:9090/api/items?q=1']);
  });

  it.each(['http://127.0.0.1:9090/other/', 'http://127.0.0.1:9090?q=2'])(
    'refuses a --compare URL with a path or query of its own: %s',
    async (compare) => {
      await expect(planOf(args({ compare }))).rejects.toThrow(
        /--compare: expected .*the request(s \(path and query\)| path) comes? from the target URL/,
      );
    },
  );

  it('keeps a base path of --compare in the scenario form, and takes ${env:NAME} in it', async () => {
    const { plan: p, redactor } = await planOf(
      {
        ...args(),
        slo: undefined,
        target: scenarioFile('http://127.0.0.1:8080/v1'),
        compare: 'http://${env:HOST}/v2/',
      },
      { HOST: '127.0.0.1:9090' },
    );
    expect(p.compareUrl).toBe('http://127.0.0.1:9090/v2');
    expect(p.probes).toEqual(['http://127.0.0.1:8080/v1/items', 'http://127.0.0.1:9090/v2/items']);
    expect(redactor.redactText('127.0.0.1:9090')).toBe('[redacted]');
  });

  it('names every bad flag at once', async () => {
    const bad = planOf(args({ slo: 'p98<1ms', start: '0/s', precision: 'tight', compare: 'nope', connections: 0 }));
    await expect(bad).rejects.toThrow(UsageError);
    const message = await bad.catch((error: Error) => error.message);
    for (const flag of ['--slo: term 1 "p98<1ms"', '--start:', '--precision:', '--compare:', '--connections:'])
      expect(message).toContain(flag);
  });

  it('takes the schema defaults for what neither the file nor a flag says, and flags over the file', async () => {
    const file = scenarioFile('http://127.0.0.1:8080', 'traffic: { warmup: 3s }\n');
    const fromFile = (await planOf({ ...args(), slo: undefined, target: file })).plan;
    expect(fromFile).toMatchObject({ warmupMs: 3000, stepDurationMs: 10_000, cooldownMs: 1000 });
    expect(fromFile.search).toMatchObject({ startPerSec: 100, maxPerSec: 50_000, precision: 0.05 });
    const flagged = (await planOf({ ...args(), slo: undefined, target: file, warmup: '500ms', max: '900/s' })).plan;
    expect(flagged).toMatchObject({ warmupMs: 500 });
    expect(flagged.search.maxPerSec).toBe(900);
    const bad = planOf({ ...args(), slo: undefined, target: file, max: '50/s' });
    await expect(bad).rejects.toThrow(ScenarioError);
    await expect(bad).rejects.toThrow('--max: expected a rate at least start (100/s), found 50/s');
  });

  it('maps verdicts to exit codes', () => {
    expect(capacityExitCode(['found', 'max-reached'])).toBe(0);
    expect(capacityExitCode(['found', 'slo-fails-at-start'])).toBe(1);
    expect(capacityExitCode(['generator-limited', 'slo-fails-at-start'])).toBe(3);
    expect(capacityExitCode(['interrupted'])).toBe(130);
    // Ran out of steps: a capacity was measured, only less exactly than asked.
    expect(capacityExitCode(['step-limit'])).toBe(0);
    expect(capacityExitCode(['step-limit', 'interrupted'])).toBe(130);
  });

  it('lists every verdict with its exit code in --help', async () => {
    let help = '';
    const code = await main(['capacity', '--help'], {
      stdout: (text) => {
        help += text;
      },
      stderr: () => {},
      stderrIsTTY: false,
      env: {},
      onSignal: () => () => {},
    });
    expect(code).toBe(0);
    for (const [verdict, { exitCode }] of Object.entries(VERDICT_EXIT))
      expect(help).toMatch(new RegExp(`^  ${verdict} +${exitCode} +\\S`, 'm'));
    expect(Object.keys(VERDICT_EXIT).sort()).toEqual(
      ['found', 'interrupted', 'generator-limited', 'max-reached', 'slo-fails-at-start', 'step-limit'].sort(),
    );
  });
});
