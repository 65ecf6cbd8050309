import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { EXAMPLE_ENV, EXAMPLES, MINIMAL } from '../helpers/scenarios.js';

const dir = mkdtempSync(join(tmpdir(), 'canary-gate-e2e-'));
let n = 0;
/** Write a scenario to a fresh file and return its path. */
function scenarioFile(text: string, ext = 'yaml'): string {
  const file = join(dir, `s${n++}.${ext}`);
  writeFileSync(file, text);
  return file;
}

describe('canary-gate validate', () => {
  it.each([
    [
      'a wrong type',
      `${MINIMAL}traffic:\n  connections: many\n`,
      ':10:16: traffic.connections: expected a number, found "many"',
    ],
    [
      'an unknown key, with a suggestion',
      `${MINIMAL}trafic:\n  rate: 10/s\n`,
      ':9:1: trafic: unknown key "trafic"; did you mean "traffic"?',
    ],
    [
      'a bad duration',
      `${MINIMAL}traffic:\n  warmup: 10 secs\n`,
      ':10:11: traffic.warmup: expected a duration like "500ms", "30s", "5m" or "1h30m", found "10 secs"',
    ],
    [
      'a missing env var',
      MINIMAL.replace('url: http://127.0.0.1:18081', 'url: ${env:CG_E2E_UNSET_URL}'),
      ':6:10: targets.canary.url: environment variable CG_E2E_UNSET_URL is not set',
    ],
    ['a YAML syntax error', `${MINIMAL}steps: [10, 25\n`, ':10:1: YAML syntax:'],
  ])('rejects %s with file, line, path and message, exit 2', async (_kind, text, expected) => {
    const file = scenarioFile(text);
    const run = await runCli(['validate', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}${expected}`);
    expect(run.stderr).toContain('nothing was sent');
    expect(run.stdout).toBe('');
  });

  it('lists every problem at once', async () => {
    const run = await runCli([
      'validate',
      scenarioFile(`${MINIMAL}trafic: {}\nrouter: { type: ngnix }\nsteps: [10, 5]\n`),
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('2 problems');
    expect(run.stderr).toContain('did you mean "traffic"?');
    expect(run.stderr).toContain('did you mean "nginx"?');
  });

  it('says when the file does not exist, exit 2', async () => {
    const run = await runCli(['validate', join(dir, 'nope.yaml')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('nope.yaml: cannot read the scenario: no such file');
    expect(run.stderr).toContain('hint: canary-gate init');
  });

  it('prints the resolved plan of a valid file, exit 0', async () => {
    const file = scenarioFile(`${MINIMAL}traffic: { rate: 50/s, warmup: 1s, stepDuration: 4s }\n`);
    const run = await runCli(['validate', file]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('router:   split');
    expect(run.stdout).toContain('5. 100% canary: 1s warm-up + 4s measured');
    expect(run.stdout).toContain('total:    25s');
    expect(run.stderr).toContain('valid');
  });

  it('prints JSON with --json, secrets redacted, and a JSON error on failure', async () => {
    const secret = 'e2e-secret-token-9c2b';
    const file = scenarioFile(
      MINIMAL.replace('path: /', 'path: /\n    headers: { authorization: "Bearer ${env:CG_E2E_TOKEN}" }'),
    );
    const ok = await runCli(['validate', file, '--json'], { CG_E2E_TOKEN: secret });
    expect(ok.code).toBe(0);
    const out = JSON.parse(ok.stdout);
    expect(out.valid).toBe(true);
    expect(out.plan.steps).toHaveLength(5);
    expect(out.scenario.requests[0].headers.authorization).toBe('Bearer [redacted]');
    expect(ok.stdout + ok.stderr).not.toContain(secret);
    const bad = await runCli(['validate', scenarioFile(`${MINIMAL}trafic: {}\n`), '--json']);
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ ok: false, exitCode: 2, code: 'E_SCENARIO' });
  });

  it('writes errors as JSON lines with --log-format json', async () => {
    const run = await runCli(['validate', scenarioFile(`${MINIMAL}trafic: {}\n`), '--log-format', 'json']);
    expect(run.code).toBe(2);
    const line = JSON.parse(run.stderr.trim().split('\n')[0] ?? '');
    expect(line.level).toBe('error');
    expect(line.message).toContain('did you mean "traffic"?');
  });

  it.each(EXAMPLES.map((e) => [e.name, e.path]))('passes the example %s', async (_name, path) => {
    const run = await runCli(['validate', path, '--no-color'], EXAMPLE_ENV);
    expect(run.stderr).toContain('valid');
    expect(run.code).toBe(0);
  });
});

describe('canary-gate schema, init, completion', () => {
  it('schema prints JSON Schema', async () => {
    const run = await runCli(['schema']);
    expect(run.code).toBe(0);
    const schema = JSON.parse(run.stdout);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.properties.traffic.properties.rate.description).toContain('arrival rate');
  });

  it('init writes a starter that validates, and refuses to overwrite without --force', async () => {
    const file = join(dir, 'starter.yaml');
    const first = await runCli(['init', file]);
    expect(first.code).toBe(0);
    expect(readFileSync(file, 'utf8')).toContain('# canary-gate scenario');
    const valid = await runCli(['validate', file], { API_TOKEN: 'starter-token-0001' });
    expect(valid.code).toBe(0);
    const again = await runCli(['init', file]);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('exists; not overwritten');
    expect(again.stderr).toContain('--force');
    expect((await runCli(['init', file, '--force'])).code).toBe(0);
  });

  it('completion prints a shell script', async () => {
    const run = await runCli(['completion']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('canary-gate');
    expect(run.stdout).toMatch(/complete|compdef/);
  });

  it.each(['load', 'demo', 'validate', 'schema', 'init'])(
    '%s --help has examples and the exit codes',
    async (command) => {
      const run = await runCli([command, '--help']);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Examples:');
      expect(run.stdout).toContain('Exit codes:');
      expect(run.stdout).toContain('--log-format');
    },
  );
});
