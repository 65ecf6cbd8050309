import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { regressScenarioOf } from '../../../src/cli/regress.js';
import { createHistogram, recordMs } from '../../../src/hdr/histogram.js';
import type { ArmMeasurements } from '../../../src/load/recorder.js';
import { emptyCounters } from '../../../src/load/recorder.js';
import { CommandSplitError, mergeRounds, roundOrder, splitCommand } from '../../../src/regress/plan.js';
import { defaultRelativeChecks } from '../../../src/scenario/checks.js';
import { loadScenario } from '../../../src/scenario/loader.js';
import { bytesOrProblem } from '../../../src/scenario/units.js';

function arm(name: string, latenciesMs: number[], errors = 0): ArmMeasurements {
  const latency = createHistogram();
  for (const ms of latenciesMs) recordMs(latency, ms);
  const counters = { ...emptyCounters(), requests: latenciesMs.length, errors };
  return { arm: name, url: `http://127.0.0.1/${name}`, counters, latency, service: createHistogram(), endpoints: [] };
}

const load = (text: string) =>
  loadScenario(text, { file: 'x.yaml', env: {}, accept: { modes: ['regress'], command: 'regress' } }).scenario;
const fromFlags = async (flags: Record<string, unknown>) =>
  (await regressScenarioOf({ json: false, quiet: true, ...flags }, { env: {} })).scenario;

describe('regress rounds', () => {
  it('alternate which build goes first: A B, B A, A B, B A', () => {
    expect([0, 1, 2, 3].map(roundOrder)).toEqual([
      ['baseline', 'canary'],
      ['canary', 'baseline'],
      ['baseline', 'canary'],
      ['canary', 'baseline'],
    ]);
  });

  it('merge each build over its rounds exactly: counts, errors, histograms and measured time add up', () => {
    const merged = mergeRounds([
      { round: 0, arm: 'baseline', measurements: arm('baseline', [1, 2, 3]), durationMs: 1000 },
      { round: 0, arm: 'canary', measurements: arm('canary', [10, 20], 1), durationMs: 1000 },
      { round: 1, arm: 'canary', measurements: arm('canary', [30]), durationMs: 900 },
      { round: 1, arm: 'baseline', measurements: arm('baseline', [4], 2), durationMs: 1100 },
    ]);
    const b = merged.get('baseline');
    const c = merged.get('canary');
    expect(b?.measurements.counters.requests).toBe(4);
    expect(b?.measurements.counters.errors).toBe(2);
    expect(b?.measurements.latency.totalCount).toBe(4);
    expect(b?.durationMs).toBe(2100);
    expect(c?.measurements.latency.totalCount).toBe(3);
    expect(c?.measurements.latency.maxValue).toBeGreaterThanOrEqual(30_000);
    expect(c?.durationMs).toBe(1900);
  });
});

describe('command lines for --baseline-cmd and --candidate-cmd', () => {
  it.each([
    ['node server.js', ['node', 'server.js']],
    ['  node   server.js  ', ['node', 'server.js']],
    [`node -e 'console.log("a b")'`, ['node', '-e', 'console.log("a b")']],
    ['node "my server.js" --flag="x y"', ['node', 'my server.js', '--flag=x y']],
    ['echo \\$HOME a\\ b', ['echo', '$HOME', 'a b']],
    [`echo "\\"q\\" \\$x"`, ['echo', '"q" $x']],
    ['echo $HOME *.js | cat > out', ['echo', '$HOME', '*.js', '|', 'cat', '>', 'out']],
    [`echo ''`, ['echo', '']],
  ])('split %s without a shell', (text, argv) => {
    expect(splitCommand(text)).toEqual(argv);
  });

  it.each([`node 'server.js`, 'node "server.js', 'node server.js\\'])('refuse %s', (text) => {
    expect(() => splitCommand(text)).toThrow(CommandSplitError);
  });
});

describe('the regress section of a scenario', () => {
  const flags = { 'baseline-image': 'app:1', 'candidate-image': 'app:2' };

  it('in the example scenario pins no CPU by name, so it runs on a one-CPU host too', () => {
    const text = readFileSync(fileURLToPath(new URL('../../../scenarios/regress.yaml', import.meta.url)), 'utf8');
    expect(load(text).regress.cpuset).toBeUndefined();
  });

  it('is what the flags stand for, with the schema defaults and the default checks', async () => {
    const s = await fromFlags(flags);
    expect(s.mode).toBe('regress');
    expect(s.regress).toMatchObject({
      baseline: { image: 'app:1' },
      candidate: { image: 'app:2' },
      port: 18081,
      portEnv: 'PORT',
      healthPath: '/health',
      memory: 256 * 1024 ** 2,
      rounds: 4,
    });
    expect(s.traffic).toEqual({
      rate: 200,
      connections: 50,
      workers: 1,
      timeout: 5000,
      warmup: 1000,
      stepDuration: 5000,
    });
    expect(s.requests).toEqual([{ method: 'GET', path: '/', headers: {}, weight: 1 }]);
    expect(s.outputs.formats).toEqual(['json', 'markdown']);
    expect(s.targets.baseline.url).toBe('http://127.0.0.1:18081');
    expect(s.targets.canary.url).toBe('http://127.0.0.1:18082');
    expect(s.gates.checks.map((c) => c.name)).toEqual(defaultRelativeChecks('vsBaseline').map((c) => c.name));
    expect(s.gates.checks.every((c) => c.vsBaseline !== undefined)).toBe(true);
  });

  it('gives a file without traffic the same defaults as the flags', async () => {
    const file = load(
      JSON.stringify({
        name: 'x',
        mode: 'regress',
        regress: { baseline: { image: 'app:1' }, candidate: { image: 'app:2' } },
      }),
    );
    const flagged = await fromFlags(flags);
    expect(file.traffic).toEqual(flagged.traffic);
    expect(file.requests).toEqual(flagged.requests);
    expect(file.gates).toEqual(flagged.gates);
  });

  it('keeps flags the user gave', async () => {
    const s = await fromFlags({ ...flags, memory: '1g', cpuset: '0-1', rounds: 6, rate: '50/s', duration: '2s' });
    expect(s.regress.memory).toBe(1024 ** 3);
    expect(s.regress.cpuset).toBe('0-1');
    expect(s.regress.rounds).toBe(6);
    expect(s.traffic.rate).toBe(50);
    expect(s.traffic.stepDuration).toBe(2000);
  });

  it('names the flag of a bad value', async () => {
    await expect(fromFlags({ ...flags, memory: 'lots' })).rejects.toThrow('command line: --memory: expected');
  });

  it.each([
    [
      'a build with both an image and a command',
      { baseline: { image: 'a', command: ['x'] }, candidate: { image: 'b' } },
      'regress.baseline: expected exactly one of image and command',
    ],
    [
      'an image against a command',
      { baseline: { image: 'a' }, candidate: { command: ['x'] } },
      'regress.candidate: expected both builds as images or both as commands',
    ],
    ['a bad cpuset', { baseline: { image: 'a' }, candidate: { image: 'b' }, cpuset: 'one' }, 'regress.cpuset'],
    ['a bad memory size', { baseline: { image: 'a' }, candidate: { image: 'b' }, memory: 'lots' }, 'regress.memory'],
  ])('refuses %s', (_what, regress, problem) => {
    const text = JSON.stringify({ name: 'x', mode: 'regress', regress, requests: [{ path: '/' }] });
    expect(() => load(text)).toThrow(problem);
  });

  it('reads the old spelling, mode: regression with a regress section, and has no targets of its own', () => {
    const regress = { baseline: { image: 'a' }, candidate: { image: 'b' } };
    expect(load(JSON.stringify({ name: 'x', mode: 'regression', regress })).mode).toBe('regress');
    expect(() => load(JSON.stringify({ name: 'x', regress, requests: [{ path: '/' }] }))).toThrow(
      'regress: this section starts two builds here: put mode: regress',
    );
    const targets = { canary: { url: 'http://127.0.0.1:1' } };
    expect(() => load(JSON.stringify({ name: 'x', mode: 'regress', regress, targets }))).toThrow(
      'targets: regress starts the builds and knows their addresses',
    );
  });
});

describe('sizes', () => {
  it.each([
    ['256m', 256 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['512k', 512 * 1024],
    ['64MiB', 64 * 1024 ** 2],
    ['1.5g', 1.5 * 1024 ** 3],
    [1048576, 1048576],
    ['4096', 4096],
  ])('read %s as %d bytes', (input, bytes) => {
    expect(bytesOrProblem(input)).toEqual({ value: bytes });
  });

  it.each(['', 'lots', '-1m', '0', 0, 1.5, '2t'])('refuse %s', (input) => {
    expect(bytesOrProblem(input)).toHaveProperty('problem');
  });
});
