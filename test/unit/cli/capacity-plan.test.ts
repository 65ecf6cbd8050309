import { describe, expect, it } from 'vitest';
import { type CapacityArgs, capacityExitCode, capacityPlan, VERDICT_EXIT } from '../../../src/cli/capacity.js';
import { main } from '../../../src/cli/main.js';
import { UsageError } from '../../../src/errors.js';
import { type Scenario, ScenarioSchema } from '../../../src/scenario/schema.js';
import { Redactor } from '../../../src/scenario/secrets.js';

const args = (over: Partial<CapacityArgs> = {}): CapacityArgs => ({
  target: 'http://127.0.0.1:8080/api/items?q=1',
  slo: 'p99<50ms,errors<0.1%',
  method: 'GET',
  json: false,
  quiet: false,
  ...over,
});

const scenarioFor = (url: string): Scenario =>
  ScenarioSchema.parse({
    name: 'c',
    mode: 'capacity',
    targets: { canary: { url } },
    requests: [{ path: '/items' }],
    capacity: { slo: 'p99<50ms' },
  });

describe('capacity plan from flags', () => {
  it('resolves defaults, the request and a timeout from the SLO', () => {
    const p = capacityPlan(args(), {}, new Redactor());
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
    expect(capacityPlan(args({ slo: 'p99<2s' }), {}, new Redactor()).plan.timeoutMs).toBe(10_000);
    expect(p.outDir).toBeUndefined();
  });

  it('sends the same request path to the --compare origin', () => {
    const p = capacityPlan(args({ compare: 'http://127.0.0.1:9090/' }), {}, new Redactor());
    expect(p.compareUrl).toBe('http://127.0.0.1:9090');
    expect(p.probes).toEqual(['http://127.0.0.1:8080/api/items?q=1', 'http://127.0.0.1:9090/api/items?q=1']);
  });

  it.each(['http://127.0.0.1:9090/other/', 'http://127.0.0.1:9090?q=2'])(
    'refuses a --compare URL with a path or query of its own: %s',
    (compare) => {
      expect(() => capacityPlan(args({ compare }), {}, new Redactor())).toThrow(
        /--compare: expected .*the request(s \(path and query\)| path) comes? from the target URL/,
      );
    },
  );

  it('keeps a base path of --compare in the scenario form, and takes ${env:NAME} in it', () => {
    const redactor = new Redactor();
    const p = capacityPlan(
      { ...args(), target: 'capacity.yaml', compare: 'http://${env:HOST}/v2/' },
      { HOST: '127.0.0.1:9090' },
      redactor,
      scenarioFor('http://127.0.0.1:8080/v1'),
    );
    expect(p.compareUrl).toBe('http://127.0.0.1:9090/v2');
    expect(p.probes).toEqual(['http://127.0.0.1:8080/v1/items', 'http://127.0.0.1:9090/v2/items']);
    expect(redactor.redactText('127.0.0.1:9090')).toBe('[redacted]');
  });

  it('names every bad flag at once', () => {
    const bad = () =>
      capacityPlan(
        args({ slo: 'p98<1ms', start: '0/s', precision: 'tight', compare: 'nope', connections: 0 }),
        {},
        new Redactor(),
      );
    expect(bad).toThrow(UsageError);
    const message = (() => {
      try {
        bad();
      } catch (error) {
        return (error as Error).message;
      }
      return '';
    })();
    for (const flag of ['--slo: term 1 "p98<1ms"', '--start:', '--precision:', '--compare:', '--connections:'])
      expect(message).toContain(flag);
  });

  it('maps verdicts to exit codes', () => {
    const t = (verdict: string) => ({ verdict }) as never;
    expect(capacityExitCode([t('found'), t('max-reached')])).toBe(0);
    expect(capacityExitCode([t('found'), t('slo-fails-at-start')])).toBe(1);
    expect(capacityExitCode([t('generator-limited'), t('slo-fails-at-start')])).toBe(3);
    expect(capacityExitCode([t('interrupted')])).toBe(130);
    // Ran out of steps: a capacity was measured, only less exactly than asked.
    expect(capacityExitCode([t('step-limit')])).toBe(0);
    expect(capacityExitCode([t('step-limit'), t('interrupted')])).toBe(130);
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
