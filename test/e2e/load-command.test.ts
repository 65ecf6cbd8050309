import { once } from 'node:events';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli, startCli } from '../helpers/cli.js';
import { closedPort, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer((req) => (req.url === '/fail' ? { status: 503 } : {}));
});
afterAll(() => server.close());
beforeEach(() => {
  server.seen.length = 0;
});

describe('canary-gate load', () => {
  it('prints the contract JSON shape with --json and exits 0', async () => {
    const run = await runCli(['load', `${server.url}/hello`, '--rate', '200/s', '--duration', '1s', '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({ model: 'open', coCorrected: true, requests: 200, errors: 0, rate: { target: 200 } });
    expect(out.rate.achieved).toBeGreaterThan(190);
    expect(out.rate.sent).toBeGreaterThan(190);
    for (const key of ['p50', 'p90', 'p95', 'p99', 'p999', 'max']) expect(typeof out.latencyMs[key]).toBe('number');
    expect(out.histogram.latency).toMatch(/^HIST/);
    expect(server.seen).toHaveLength(200);
    expect(server.seen[0]?.url).toBe('/hello');
  });

  it('runs the closed model without --rate and says that it is not CO-corrected', async () => {
    const run = await runCli(['load', server.url, '-c', '2', '--max-requests', '300', '-d', '5s']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('closed model');
    expect(run.stdout).toContain('not corrected for coordinated omission');
    expect(run.stdout).toMatch(/requests 300\b/);
    // The cap ended the run well before its 5 s: the rate divides by what ran, not by the plan.
    const achieved = Number(/requests 300\s+([\d.]+)\/s achieved/.exec(run.stdout)?.[1]);
    expect(achieved).toBeGreaterThan(300 / 5 + 30);
  });

  it('prints the percentile table, errors by class and progress on stderr', async () => {
    const run = await runCli(['load', `${server.url}/fail`, '-r', '50/s', '-d', '2s']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/p50\s+p90\s+p95\s+p99\s+p99\.9\s+max/);
    expect(run.stdout).toContain('http5xx 100');
    expect(run.stderr).toMatch(/1\/2s\s+\d+ req\/s/);
  });

  it('reports a down target as classified errors with exit 0', async () => {
    const port = await closedPort();
    const run = await runCli(['load', `http://127.0.0.1:${port}/`, '-r', '20/s', '-d', '1s', '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.errorsByClass.refused).toBe(20);
    expect(out.errorCodes).toEqual({ ECONNREFUSED: 20 });
    expect(out.errors).toBe(20);
    expect(run.stderr).toMatch(/codes\s+ECONNREFUSED 20/);
  });

  it('rejects bad flags with every problem named, exit 2, and sends nothing', async () => {
    const run = await runCli([
      'load',
      server.url,
      '--rate',
      'fast',
      '--duration',
      '3 fortnights',
      '-c',
      '0',
      '-H',
      'no-colon',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--rate: expected a positive rate like "2000/s"');
    expect(run.stderr).toContain('--duration: expected a duration');
    expect(run.stderr).toContain("--header: expected 'name: value'");
    expect(run.stdout).toBe('');
    expect(server.seen).toHaveLength(0);
  });

  it('rejects a URL that is not http(s) and a missing env var, exit 2', async () => {
    const bad = await runCli(['load', 'ftp://127.0.0.1/x', '-r', '10/s']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('url: expected http: or https:');
    const missing = await runCli([
      'load',
      server.url,
      '-r',
      '10/s',
      '-H',
      'authorization: Bearer ${env:CG_TEST_UNSET}',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('environment variable CG_TEST_UNSET is not set');
    expect(server.seen).toHaveLength(0);
  });

  it('sends ${env:NAME} secrets but never prints them', async () => {
    const secret = 'tok-7f3a9c';
    const run = await runCli(
      [
        'load',
        `${server.url}/q?key=\${env:CG_KEY}`,
        '-r',
        '20/s',
        '-d',
        '500ms',
        '-H',
        'authorization: Bearer ${env:CG_TOKEN}',
        '--json',
      ],
      { CG_TOKEN: secret, CG_KEY: 'key-55e1' },
    );
    expect(run.code).toBe(0);
    expect(server.seen[0]?.headers.authorization).toBe(`Bearer ${secret}`);
    expect(server.seen[0]?.url).toBe('/q?key=key-55e1');
    expect(run.stdout + run.stderr).not.toContain(secret);
    expect(run.stdout + run.stderr).not.toContain('key-55e1');
  });

  it('stops on SIGINT, prints what it measured, and exits 130', async () => {
    const { child, done } = startCli(['load', server.url, '-r', '100/s', '-d', '60s', '--json']);
    // Progress is printed once a second: its first line means load is flowing.
    let seen = '';
    while (!/1\/60s/.test(seen)) seen += String((await once(child.stderr as NodeJS.ReadableStream, 'data'))[0]);
    child.kill('SIGINT');
    const run = await done;
    expect(run.code).toBe(130);
    const out = JSON.parse(run.stdout);
    expect(out.aborted).toBe(true);
    expect(out.requests).toBeGreaterThan(50);
    expect(out.requests).toBeLessThan(1000);
  });

  it('has --help with examples and the exit codes', async () => {
    const run = await runCli(['load', '--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Examples:');
    expect(run.stdout).toContain('--rate');
    expect(run.stdout).toContain('130');
  });
});

describe('canary-gate', () => {
  it('exits 2 on an unknown command', async () => {
    const run = await runCli(['lod', 'http://127.0.0.1:1']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/Unknown|Did you mean/i);
  });

  it('prints its version', async () => {
    const run = await runCli(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
