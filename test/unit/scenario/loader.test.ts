import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { ScenarioError } from '../../../src/errors.js';
import { loadScenario } from '../../../src/scenario/loader.js';
import { MINIMAL } from '../../helpers/scenarios.js';

const load = (text: string, env: Record<string, string> = {}, file = 'scenario.yaml') =>
  loadScenario(text, { file, env });
/** A staged canary, for the tests that read its sections. */
const loadCanary = (text: string, env: Record<string, string> = {}) =>
  loadScenario(text, { file: 'scenario.yaml', env, accept: { modes: ['canary'], command: 'run' } });

function problemsOf(text: string, env: Record<string, string> = {}, file = 'scenario.yaml'): readonly string[] {
  try {
    load(text, env, file);
  } catch (error) {
    if (error instanceof ScenarioError) return error.problems;
    throw error;
  }
  throw new Error('expected the scenario to be rejected');
}

describe('scenario loader', () => {
  it('applies every default in one place', () => {
    const { scenario, digest } = loadCanary(MINIMAL);
    expect(scenario.mode).toBe('canary');
    expect(scenario.steps).toEqual([10, 25, 50, 75, 100]);
    expect(scenario.router).toEqual({ type: 'split' });
    expect(scenario.traffic).toMatchObject({
      connections: 100,
      workers: 1,
      timeout: 10_000,
      warmup: 5000,
      stepDuration: 30_000,
    });
    expect(scenario.requests[0]).toEqual({ method: 'GET', path: '/', headers: {}, weight: 1 });
    expect(scenario.gates.statistics).toEqual({
      alpha: 0.01,
      beta: 0.05,
      minSamples: 200,
      designEffect: 1,
      maxIncrease: 0.05,
      inconclusive: 'rollback',
    });
    expect(scenario.outputs).toEqual({ dir: 'canary-gate-output', formats: ['json'] });
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('parses durations, rates and percentages into numbers', () => {
    const { scenario } = loadCanary(`${MINIMAL}traffic:
  rate: 120/min
  warmup: 1m30s
  stepDuration: 45s
gates:
  checks:
    - { metric: p99, max: 250ms, vsBaseline: { ratio: 1.1, slack: 1ms } }
    - { metric: errorRate, max: 0.5%, critical: true }
    - { metric: throughput, min: 2000/s, critical: false }
`);
    expect(scenario.traffic.rate).toBe(2);
    expect(scenario.traffic.warmup).toBe(90_000);
    expect(scenario.traffic.stepDuration).toBe(45_000);
    expect(scenario.gates.checks).toEqual([
      {
        name: 'p99',
        metric: 'p99',
        unit: 'ms',
        max: 250,
        vsBaseline: { ratio: 1.1, slack: 1 },
        critical: true,
        group: 'latency',
      },
      { name: 'errorRate', metric: 'errorRate', unit: 'fraction', max: 0.005, critical: true, group: 'errors' },
      { name: 'throughput', metric: 'throughput', unit: 'perSec', min: 2000, critical: false, group: 'throughput' },
    ]);
  });

  it('reads JSON files with line numbers too', () => {
    const json =
      '{\n  "name": "j",\n  "targets": {"baseline": {"url": "http://127.0.0.1:1"}, "canary": {"url": "http://127.0.0.1:2"}},\n  "requests": [{"path": 5}]\n}';
    const problems = problemsOf(json, {}, 'scenario.json');
    expect(problems).toEqual(['scenario.json:4:25: requests[0].path: expected a string, found 5']);
  });

  it.each([
    [
      'a wrong type',
      `${MINIMAL}traffic:\n  connections: many\n`,
      'scenario.yaml:10:16: traffic.connections: expected a number, found "many"',
    ],
    [
      'an unknown key near a known one',
      `${MINIMAL}trafic:\n  rate: 10/s\n`,
      'scenario.yaml:9:1: trafic: unknown key "trafic"; did you mean "traffic"?',
    ],
    [
      'an unknown key far from any',
      `${MINIMAL}colour: blue\n`,
      'scenario.yaml:9:1: colour: unknown key "colour"; expected one of:',
    ],
    [
      'a bad duration',
      `${MINIMAL}traffic:\n  stepDuration: 3 fortnights\n`,
      'scenario.yaml:10:17: traffic.stepDuration: expected a duration like "500ms", "30s", "5m" or "1h30m", found "3 fortnights"',
    ],
    [
      'a missing env var',
      MINIMAL.replace('path: /', 'path: /\n    headers: { authorization: "Bearer ${env:CG_MISSING}" }'),
      'scenario.yaml:9:31: requests[0].headers.authorization: environment variable CG_MISSING is not set',
    ],
    ['a YAML syntax error', `${MINIMAL}steps: [10, 25\n`, 'scenario.yaml:10:1: YAML syntax:'],
    [
      'a router type typo',
      `${MINIMAL}router:\n  type: ngnix\n`,
      'scenario.yaml:10:9: router.type: expected one of "split", "proxy", "nginx", "exec", "webhook", found "ngnix"; did you mean "nginx"?',
    ],
    [
      'steps out of order',
      `${MINIMAL}steps: [10, 50, 25]\n`,
      'scenario.yaml:9:17: steps[2]: expected steps in increasing order, found 25 after 50',
    ],
    ['an empty file', '', 'scenario.yaml: the file is empty'],
    ['a list at the top', '- a\n- b\n', 'scenario.yaml:1:1: expected a mapping at the top level, found a list'],
  ])('reports %s with its line, path and expectation', (_kind, text, expected) => {
    expect(problemsOf(text).some((p) => p.startsWith(expected))).toBe(true);
  });

  it('reports every problem at once, in file order', () => {
    const problems = problemsOf(`name: 5
targets:
  canary: { url: ftp://x }
requests: []
traffic: { rate: fast }
`);
    expect(problems).toEqual([
      'scenario.yaml:1:7: name: expected a string, found 5',
      'scenario.yaml:3:3: targets.baseline: expected a baseline target in canary mode',
      'scenario.yaml:3:18: targets.canary.url: expected http: or https:, found "ftp:" in "ftp://x"',
      'scenario.yaml:4:11: requests: expected a list of >= 1 items, found a list of 0 items',
      'scenario.yaml:5:18: traffic.rate: expected a positive rate like "2000/s", "120/min" or 500, found "fast"',
    ]);
  });

  it('substitutes ${env:NAME} and never shows the value in a message', () => {
    const text = MINIMAL.replace(
      'path: /',
      'path: /\n    headers: { authorization: "Bearer ${env:CG_TOKEN}" }\n    weight: -1',
    );
    const { scenario, redactor } = load(text.replace('weight: -1', 'weight: 2'), { CG_TOKEN: 'tok-abcdef-123' });
    expect(scenario.requests[0]?.headers.authorization).toBe('Bearer tok-abcdef-123');
    expect(redactor.redactText('Bearer tok-abcdef-123')).toBe('Bearer [redacted]');
    const url = MINIMAL.replace('http://127.0.0.1:18081', '${env:CG_URL}');
    const problems = problemsOf(`${url}steps: [0]\n`, { CG_URL: 'not-a-url-secret' });
    expect(problems.join('\n')).not.toContain('not-a-url-secret');
    expect(problems.join('\n')).toContain('[redacted]');
  });

  it('checks what depends on the mode', () => {
    expect(problemsOf(MINIMAL.replace('name: minimal', 'name: m\nmode: capacity'))).toContain(
      'scenario.yaml:1:1: capacity: expected a capacity section in capacity mode',
    );
    expect(problemsOf(`${MINIMAL}gates:\n  checks:\n    - { metric: p99, vsStored: { ratio: 1.1 } }\n`)).toContain(
      'scenario.yaml:11:32: gates.checks[0].vsStored: expected a baseline file to compare against',
    );
  });

  it('refuses, as the schema of the mode, a section the mode cannot honour', () => {
    const capacity = `${MINIMAL.replace('name: minimal', 'name: m\nmode: capacity').replace(/ {2}baseline:\n {4}url: .*\n/, '')}capacity: { slo: p99<50ms }\n`;
    expect(() => load(capacity)).not.toThrow();
    let message = '';
    try {
      load(`${capacity}tracing: { sample: 10% }\nsteps: [100]\n`);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('scenario.yaml: capacity cannot honour every part of this scenario; nothing was sent');
    expect(message).toContain('scenario.yaml:9:1: tracing: the capacity search does not trace requests');
    expect(message).toContain('scenario.yaml:10:1: steps: the capacity search has no weights to step through');
    expect(problemsOf(`${capacity}traffic: { rate: 10/s }\n`)).toEqual([
      'scenario.yaml:9:12: traffic.rate: the capacity search sets the rate itself, from capacity.start up to capacity.max',
    ]);
    expect(problemsOf(`${MINIMAL}regress: { baseline: { image: a }, candidate: { image: b } }\n`)).toEqual([
      'scenario.yaml:9:1: regress: this section starts two builds here: put mode: regress and run it with canary-gate regress',
    ]);
  });

  it('names the command to use when a file is of a mode the reading command does not run', () => {
    const text = `${MINIMAL.replace('name: minimal', 'name: m\nmode: capacity').replace(/ {2}baseline:\n {4}url: .*\n/, '')}capacity: { slo: p99<50ms }\n`;
    let problems: readonly string[] = [];
    try {
      loadScenario(text, { file: 'c.yaml', env: {}, accept: { modes: ['canary', 'regression'], command: 'run' } });
    } catch (error) {
      problems = (error as ScenarioError).problems;
    }
    expect(problems).toEqual([
      'c.yaml:2:7: mode: expected "canary" or "regression", found "capacity": run does not search capacity; use canary-gate capacity <scenario> for this file',
    ]);
  });

  it('reads the old spelling of a regress scenario, mode: regression with a regress section', () => {
    const { scenario } = load(
      'name: r\nmode: regression\nregress:\n  baseline: { command: [node, a.js] }\n  candidate: { command: [node, b.js] }\n',
    );
    expect(scenario.mode).toBe('regress');
    if (scenario.mode !== 'regress') return;
    expect(scenario.traffic).toMatchObject({
      rate: 200,
      connections: 50,
      warmup: 1000,
      stepDuration: 5000,
      timeout: 5000,
    });
    expect(scenario.requests).toEqual([{ method: 'GET', path: '/', headers: {}, weight: 1 }]);
    expect(scenario.gates.checks.map((c) => c.name)).toEqual(['p50', 'p99', 'distribution', 'errorRate']);
  });

  it('warns of an unset ${env:NAME} instead of failing when asked to (validate)', () => {
    const text = MINIMAL.replace('path: /', 'path: /\n    headers: { authorization: "Bearer ${env:CG_UNSET}" }');
    expect(() => load(text)).toThrow(/CG_UNSET is not set/);
    const { scenario, warnings } = loadScenario(text, { file: 's.yaml', env: {}, unsetEnv: 'warn' });
    expect(warnings).toEqual([
      'requests[0].headers.authorization: ${env:CG_UNSET} is not set; commands that send refuse the file until it is',
    ]);
    expect(scenario.requests[0]?.headers.authorization).toBe('Bearer ${env:CG_UNSET}');
    // A URL cannot be checked without its value: there the unset variable is the problem.
    const url = MINIMAL.replace('http://127.0.0.1:18081', '${env:CG_UNSET_URL}');
    expect(() => loadScenario(url, { file: 's.yaml', env: {}, unsetEnv: 'warn' })).toThrow(
      's.yaml:6:10: targets.canary.url: environment variable CG_UNSET_URL is not set',
    );
  });

  it('rejects a YAML alias bomb instead of expanding it', () => {
    const bomb = [
      'a: &a [x,x,x,x,x,x,x,x,x,x]',
      ...Array.from(
        { length: 8 },
        (_, i) =>
          `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`,
      ),
    ].join('\n');
    expect(() => load(bomb)).toThrow(ScenarioError);
  });

  it('returns a scenario or throws ScenarioError for any document, and nothing else', () => {
    const base = load(MINIMAL).scenario;
    const keys = [...Object.keys(base), 'traffic', 'router', 'gates', 'junk'];
    const mutated = fc
      .tuple(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 3 }))
      .map(([key, value]) => ({ ...JSON.parse(JSON.stringify(base)), [key]: value }));
    const documents = fc.oneof(
      fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
      fc.jsonValue({ maxDepth: 4 }).map((v) => stringify(v)),
      mutated.map((v) => stringify(v)),
      mutated.map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 200 }),
      fc.string({
        unit: fc.constantFrom('a', ':', ' ', '\n', '-', '[', ']', '{', '}', '&', '*', '!', '"', '#', '|', '>'),
        maxLength: 120,
      }),
    );
    fc.assert(
      fc.property(documents, (text) => {
        try {
          load(text);
        } catch (error) {
          if (!(error instanceof ScenarioError)) throw error;
          expect(error.problems.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 1500 },
    );
  });
});
