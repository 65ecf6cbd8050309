/**
 * No stack trace reaches a user for any input (#14, "must show"). fast-check mutates a valid
 * scenario, a real baseline and a real result, one field at a time (a value of another type, a
 * huge or non-finite number, a long string, a removed key), and the flags of `load`; the CLI runs
 * in-process on each. Every outcome is a normal run or exit 2 with a message that names the
 * file and the field — never an uncaught error, never exit 3 with "unexpected".
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { encodeArm } from '../../src/arm/arm.js';
import { buildBaseline } from '../../src/baseline/build.js';
import { ArmRecorder } from '../../src/load/recorder.js';
import { machineFingerprint, RUN_RESULT_SCHEMA_VERSION } from '../../src/result/run-result.js';
import { runInProcess, STACK_TRACE } from '../helpers/faults.js';
import { MINIMAL } from '../helpers/scenarios.js';
import { closedPort } from '../helpers/server.js';

let dir: string;
let port: number;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'canary-gate-property-'));
  port = await closedPort();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The CLI in-process, with no environment. */
const cli = (args: string[]) => runInProcess(args);

/** Every path to a value in a JSON-like tree. */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const here = at.length > 0 ? [at] : [];
  if (Array.isArray(value)) return [...here, ...value.flatMap((v, i) => paths(v, [...at, i]))];
  if (value !== null && typeof value === 'object') {
    return [...here, ...Object.entries(value).flatMap(([k, v]) => paths(v, [...at, k]))];
  }
  return here;
}

const REMOVE = Symbol('remove');

/** `value` with the thing at `path` replaced (or removed). */
function mutate(value: unknown, path: (string | number)[], replacement: unknown): unknown {
  const copy = structuredClone(value) as Record<string | number, unknown>;
  let parent = copy;
  for (const part of path.slice(0, -1)) parent = parent[part] as Record<string | number, unknown>;
  const last = path.at(-1) as string | number;
  if (replacement === REMOVE) {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else parent[last] = replacement;
  return copy;
}

/** Values a careless or hostile file holds. */
const hostile = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom(
    REMOVE,
    -1,
    0,
    1e300,
    -1e300,
    2 ** 53,
    1.5,
    '',
    ' ',
    'x',
    '1e12',
    '-1s',
    '0s',
    '100000000h',
    null,
    [],
    {},
  ),
  fc.constantFrom(Number.POSITIVE_INFINITY, Number.NaN),
  fc.string({ maxLength: 40 }),
  fc.constant('y'.repeat(100_000)),
  fc.constant(Array.from({ length: 2000 }, () => ({ path: '/' }))),
);

/** What an exit 2 must look like: an error that names the file, nothing unexpected. */
function expectNamed(run: { code: number; stderr: string; stdout: string }, file: string): void {
  expect(run.stderr).not.toMatch(STACK_TRACE);
  expect(run.stderr).not.toContain('unexpected');
  if (run.code === 2) expect(run.stderr).toContain(file);
}

// Up to 3 minutes a case, not the default minute: in CI these run at nice 19 in the CPU the timed
// files leave idle (nothing here is timed), and a case of 40 to 100 CLI runs took over 60 s
// there in 2 of 13 CI runs on a slower host (the whole file takes ~13 s alone).
describe('no stack trace for any input', { timeout: 180_000 }, () => {
  it('scenarios: a mutated field is exit 2 naming file and field, or a valid scenario', async () => {
    const scenario = {
      ...(parse(MINIMAL) as Record<string, unknown>),
      traffic: { rate: '10/s', stepDuration: '1s', warmup: '0s', timeout: '1s' },
      steps: [50, 100],
      gates: { checks: [{ metric: 'p99', max: '50ms' }] },
      router: { type: 'webhook', url: 'http://127.0.0.1:9/hook', retries: 1 },
    };
    const all = paths(scenario);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(all.length - 1), hostile, fc.boolean(), async (i, value, asJson) => {
        const file = join(dir, `scenario-${n++}.${asJson ? 'json' : 'yaml'}`);
        const text = JSON.stringify(mutate(scenario, all[i] as (string | number)[], value));
        writeFileSync(file, text ?? '');
        const run = await cli(['validate', file]);
        expect([0, 2]).toContain(run.code);
        expectNamed(run, file);
        if (run.code === 2) expect(run.stderr).toMatch(/: ([\w$]+(\[\d+\]|\.[\w$-]+)*: |YAML|JSON|the file|expected)/);
      }),
      { numRuns: 100 },
    );
  });

  it('baselines and results: a mutated field is exit 2 naming file and field, or a comparison', async () => {
    const arm = new ArmRecorder('canary', 'http://127.0.0.1:1', ['GET /a']);
    for (let i = 0; i < 300; i++)
      arm.recordResponse(0, i % 50 === 0 ? 500 : 200, 1 + (i % 30) / 10, 1, i % 50 === 0 ? 'http5xx' : undefined);
    const measured = arm.measurements();
    const baseline = buildBaseline(
      {
        label: { version: 'v1' },
        recordedAt: '2026-11-30T00:00:00.000Z',
        scenario: { name: 's', digest: 'd' },
        machine: machineFingerprint(),
      },
      [{ weight: 100, durationMs: 1000, arm: measured }],
    );
    const result = {
      schemaVersion: RUN_RESULT_SCHEMA_VERSION,
      run: 'r',
      scenario: { name: 's', file: 's.yaml', digest: 'd' },
      router: 'split',
      startedAt: 't',
      endedAt: 't',
      machine: machineFingerprint(),
      preflight: [],
      steps: [
        {
          index: 0,
          weight: 100,
          startedAtMs: 0,
          durationMs: 1000,
          extensions: 0,
          arms: { canary: encodeArm(measured) },
          intervals: {},
          verdict: {},
        },
      ],
      decision: 'promote',
      reason: '',
      exitCode: 0,
      warnings: [],
    };
    const baselinePaths = paths(baseline);
    const resultPaths = paths(result);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.nat(10_000), hostile, async (inBaseline, i, value) => {
        const b = join(dir, `baseline-${n}.json`);
        const r = join(dir, `result-${n++}.json`);
        const which = inBaseline ? baselinePaths : resultPaths;
        const path = which[i % which.length] as (string | number)[];
        writeFileSync(b, JSON.stringify(inBaseline ? mutate(baseline, path, value) : baseline));
        writeFileSync(r, JSON.stringify(inBaseline ? result : mutate(result, path, value)) ?? '');
        const run = await cli(['compare', b, r]);
        expect([0, 1, 2]).toContain(run.code);
        expectNamed(run, inBaseline ? b : r);
      }),
      { numRuns: 100 },
    );
  });

  it('load flags: exit 2 naming the flag, or a short run against a closed port', async () => {
    const flag = fc.oneof(
      fc.tuple(
        fc.constant('--rate'),
        fc.constantFrom('10/s', '0', '-5', '1e12', 'fast', '5/fortnight', 'Infinity', '100000000'),
      ),
      fc.tuple(fc.constant('--connections'), fc.constantFrom('0', '-1', '1.5', 'x', '100000', '2')),
      fc.tuple(fc.constant('--workers'), fc.constantFrom('0', '65', 'x', '1', '2')),
      fc.tuple(fc.constant('--timeout'), fc.constantFrom('0ms', '-1s', '1e300', '2h', 'soon', '100ms')),
      fc.tuple(fc.constant('--warmup'), fc.constantFrom('-1s', 'x', '0s', '25h')),
      fc.tuple(fc.constant('--method'), fc.constantFrom('GET', 'G T', '', 'POST', '💥')),
      fc.tuple(
        fc.constant('--header'),
        fc.constantFrom('x: y', 'nocolon', ': v', 'x: \r\nInjected: 1', `a: ${'z'.repeat(10_000)}`),
      ),
      fc.tuple(fc.constant('--duration'), fc.constantFrom('-1s', '0s', 'x', '100000000h', '200ms')),
      fc.tuple(fc.constant('--max-requests'), fc.constantFrom('0', '-1', '3', '1e400')),
    );
    const urls = fc.constantFrom(
      () => `http://127.0.0.1:${port}/`,
      () => `http://127.0.0.1:${port}/a b`,
      () => 'http://127.0.0.1:0/',
      () => 'ftp://127.0.0.1/',
      () => 'not a url',
      () => `http://127.0.0.1:${port}/%zz`,
    );
    await fc.assert(
      fc.asyncProperty(urls, fc.array(flag, { maxLength: 4 }), async (url, flags) => {
        // Open model only: the closed model against a refused port trips an assertion inside
        // undici (it relaunches inside undici's own error loop; src/load/closed-model.ts, the
        // engine's), which this suite found and reports rather than hides.
        const run = await cli(['load', url(), '-d', '200ms', '-q', '--rate', '20/s', ...flags.flat()]);
        expect(run.stderr).not.toMatch(STACK_TRACE);
        expect(run.stderr).not.toContain('unexpected');
        expect([0, 2]).toContain(run.code);
        if (run.code === 2)
          expect(run.stderr).toMatch(/(--[\w-]+|url|Unknown argument|Invalid values|Not enough arguments)/);
      }),
      { numRuns: 40 },
    );
  });
});
