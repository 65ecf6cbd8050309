/**
 * Refusals before any load, of commands whose other cases measure time (capacity-command,
 * capacity-shards, baseline-compare, regress-command and serve-controllers run in the timed
 * lane): each is a CLI that exits 2 (3 when pre-flight finds the target down) having sent
 * nothing, which no neighbour's timing can move, so they run in the nice-19 lane with the other
 * usage errors.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { DEMO_IMAGE } from '../helpers/docker.js';
import { closedPort, startTestServer } from '../helpers/server.js';
import { useTestServer } from '../helpers/test-server-fixture.js';
import { appScenario, writeServe } from '../integration/serve/fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'canary-gate-refusals-'));
const server = useTestServer();

describe('canary-gate capacity refuses before any load', () => {
  it('rejects a bad --slo with exit 2, naming the term, and sends nothing', async () => {
    const run = await runCli(['capacity', server.url, '--slo', 'p99<50ms,p98<5ms', '--start', 'fast']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--slo: term 2 "p98<5ms": unknown metric "p98"');
    expect(run.stderr).toContain('--start: expected a positive rate');
    expect(run.stderr).toContain('nothing was sent');
    expect(run.stdout).toBe('');
    expect(server.seen).toHaveLength(0);
  });

  it('rejects a missing --slo and a bad URL with exit 2', async () => {
    const run = await runCli(['capacity', 'ftp://127.0.0.1/x']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("--slo: expected an SLO like 'p99<50ms,errors<0.1%'");
    expect(run.stderr).toContain('url: expected http: or https:');
  });

  it.each([
    ['a path', '/v2/api', 'found path "/v2/api" in "http://127.0.0.1:PORT/v2/api"'],
    ['a query', '/?version=2', 'expected a URL without a query, found "http://127.0.0.1:PORT/?version=2"'],
  ])(
    'refuses a --compare URL with %s (the request comes from the target), exit 2, nothing sent',
    async (_what, rest, message) => {
      // Taking only the origin would measure /v1/api on both and report a ratio of about 1.
      const compare = `${server.url}${rest}`;
      const run = await runCli(['capacity', `${server.url}/v1/api`, '--compare', compare, '--slo', 'p99<50ms']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`--compare: expected`);
      expect(run.stderr).toContain(message.replace('PORT', String(server.port)));
      expect(run.stderr).toMatch(/the request(s \(path and query\)| path) comes? from the target URL/);
      expect(run.stderr).toContain('nothing was sent');
      expect(run.stdout).toBe('');
      expect(server.seen).toHaveLength(0);
    },
  );

  it('rejects a scenario with a bad SLO, naming file, line and field, exit 2', async () => {
    const file = join(dir, 'bad-slo.yaml');
    writeFileSync(
      file,
      `name: bad
mode: capacity
targets:
  canary:
    url: ${server.url}
requests:
  - path: /
capacity:
  slo: p99<50ms,p42<1s
`,
    );
    const run = await runCli(['capacity', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${file}:9:8: capacity.slo: term 2 "p42<1s": unknown metric "p42"`);
    expect(server.seen).toHaveLength(0);
  });

  it('refuses prometheus, alertmanager and tracing sections it would ignore, one line each, exit 2', async () => {
    const file = join(dir, 'with-checks.yaml');
    writeFileSync(
      file,
      `name: checks
mode: capacity
targets:
  canary:
    url: ${server.url}
requests:
  - path: /
capacity:
  slo: p99<50ms
prometheus:
  url: ${server.url}
  queries:
    - name: errors
      query: sum(rate(http_errors_total[1m]))
      max: 1
alertmanager:
  url: ${server.url}
tracing:
  sample: 10%
`,
    );
    const run = await runCli(['capacity', file]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`${file}: capacity cannot honour every part of this scenario; nothing was sent`);
    expect(run.stderr).toContain('prometheus: the capacity search does not read PromQL checks');
    expect(run.stderr).toContain('alertmanager: the capacity search does not read Alertmanager checks');
    expect(run.stderr).toContain('tracing: the capacity search does not trace requests');
    expect(run.stdout).toBe('');
    expect(server.seen).toHaveLength(0);
  });

  it('points run to the capacity command for a capacity scenario, exit 2', async () => {
    const file = join(dir, 'for-run.yaml');
    writeFileSync(
      file,
      `name: c\nmode: capacity\ntargets:\n  canary:\n    url: ${server.url}\nrequests:\n  - path: /\ncapacity:\n  slo: p99<50ms\n`,
    );
    const run = await runCli(['run', file]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('use canary-gate capacity <scenario>');
    expect(server.seen).toHaveLength(0);
  });
});

describe('canary-gate capacity --shards refuses before any load', () => {
  it('refuses a search that cannot be split, naming the flag or the scenario field, before anything is sent', async () => {
    const url = ['capacity', `${server.url}/`, '--slo', 'p99<50ms', '--start', '50/s'];
    const connections = await runCli([...url, '-c', '2', '--shards', '3']);
    expect(connections.code).toBe(2);
    expect(connections.stderr).toContain(
      '--shards 3: --connections: expected at least one per worker thread of each shard (3 × 1), found 2',
    );
    const zero = await runCli([...url, '--shards', '0']);
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain('--shards: expected an integer from 1 to 256, found 0');
    const file = join(dir, 'capacity.yaml');
    writeFileSync(
      file,
      `name: two connections
mode: capacity
targets: { canary: { url: ${server.url} } }
traffic: { connections: 2 }
requests: [{ path: / }]
capacity: { slo: 'p99<50ms' }
`,
    );
    const scenario = await runCli(['capacity', file, '--shards', '3']);
    expect(scenario.code).toBe(2);
    expect(scenario.stderr).toContain(`--shards 3: ${file}: traffic.connections: expected at least one per worker`);
    const image = await runCli([...url, '--shards', '2', '--executor', 'docker'], {
      CANARY_GATE_SHARD_IMAGE: 'canary-gate-no-such-image:never',
    });
    expect(image.code).toBe(2);
    expect(image.stderr).toContain('--executor docker:');
    // Not even the pre-flight request.
    expect(server.seen).toHaveLength(0);
  });
});

const EXAMPLE = fileURLToPath(new URL('../../scenarios/regress.yaml', import.meta.url));
const env = { TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: '127.0.0.1' };
const IMAGES = { baseline: `${DEMO_IMAGE}:baseline` };

describe('canary-gate regress refuses before any build', () => {
  it('exits 2 on bad usage, with nothing started and nothing written', async () => {
    const out = join(dir, 'usage');
    for (const args of [
      ['regress', '--baseline-image', IMAGES.baseline, '--out', out],
      ['regress', '--baseline-image', 'a', '--baseline-cmd', 'node x.js', '--candidate-image', 'b', '--out', out],
      ['regress', '--baseline-cmd', "node 'x.js", '--candidate-cmd', 'node y.js', '--out', out],
      ['regress', '--baseline-image', 'a', '--candidate-image', 'b', '--memory', 'lots', '--out', out],
      ['regress', EXAMPLE, '--rounds', '3'],
    ]) {
      const run = await runCli(args, env);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(2);
      expect(run.stderr).not.toContain('starting');
    }
    expect(existsSync(out)).toBe(false);
    // run leaves regress scenarios to regress.
    const run = await runCli(['run', EXAMPLE, '--out', out], env);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('run it with canary-gate regress');
    const help = await runCli(['regress', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--baseline-image');
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toContain('regress: candidate regressed');
    expect(help.stdout).toContain('regress: a build could not start or stay healthy');
  });
});

describe('canary-gate capacity stops at pre-flight', () => {
  it('exits 3 when the target is down, before any load', async () => {
    const port = await closedPort();
    const run = await runCli(['capacity', `http://127.0.0.1:${port}/`, '--slo', 'p99<50ms', '--json']);
    expect(run.code).toBe(3);
    expect(run.stderr).toContain('did not answer (ECONNREFUSED); nothing was sent');
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, code: 'E_TARGET' });
  });

  it('keeps an ${env:NAME} secret in the target URL out of the pre-flight error, exit 3', async () => {
    const port = await closedPort();
    const secret = 'some-long-secret-value';
    for (const json of [false, true]) {
      const run = await runCli(
        ['capacity', `http://127.0.0.1:${port}/?key=\${env:K}`, '--slo', 'p99<50ms', ...(json ? ['--json'] : [])],
        { K: secret },
      );
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(`http://127.0.0.1:${port}/?key=[redacted] did not answer (ECONNREFUSED)`);
      expect(run.stderr).not.toContain(secret);
      expect(run.stdout).not.toContain(secret);
      if (json) expect(JSON.parse(run.stdout).message).toContain('?key=[redacted]');
    }
  });
});

/** A stored-baseline scenario of the test server, such as baseline-compare.test.ts runs. */
function storedScenario(): string {
  const file = join(dir, 'stored.yaml');
  writeFileSync(
    file,
    `name: stored baseline
mode: regression
targets:
  canary: { url: "${server.url}" }
traffic: { rate: 100/s, warmup: 0s, stepDuration: 1s, timeout: 2s }
requests: [{ path: /items }]
steps: [100]
baseline: { file: "${join(dir, 'main.json')}" }
gates:
  checks:
    - { metric: p99, vsStored: { ratio: 1.5, slack: 5ms } }
`,
  );
  return file;
}

describe('stored baselines refuse before any load', () => {
  it('refuses to record a scenario whose builds regress starts (exit 2), sending nothing', async () => {
    // Something listens where the scenario's baseline build would: it must see no request.
    const bystander = await startTestServer();
    try {
      const file = join(dir, 'two-builds.yaml');
      writeFileSync(
        file,
        `name: two builds
mode: regression
regress:
  baseline: { command: [node, server.js] }
  candidate: { command: [node, server.js] }
  port: ${bystander.port}
traffic: { rate: 100/s, warmup: 0s, stepDuration: 1s, timeout: 2s }
requests: [{ path: / }]
`,
      );
      const out = join(dir, 'two-builds.json');
      const record = await runCli(['baseline', 'record', file, '--out', out]);
      expect(record.code, record.stderr).toBe(2);
      expect(record.stderr).toContain('this scenario starts its own builds');
      expect(record.stderr).toContain('canary-gate regress');
      expect(bystander.seen).toEqual([]);
      expect(readdirSync(dir)).not.toContain('two-builds.json');
    } finally {
      await bystander.close();
    }
  });

  it('rejects a corrupt baseline with exit 2 before sending anything', async () => {
    const corrupt = join(dir, 'corrupt.json');
    writeFileSync(corrupt, '{"kind":"canary-gate-baseline","schemaVersion":1,"steps":[');
    const before = server.seen.length;
    const run = await runCli(['run', storedScenario(), '--baseline', corrupt, '--out', join(dir, 'x')]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`${corrupt}: not JSON`);
    expect(server.seen.length).toBe(before);
  });
});

describe('canary-gate judge --step refuses before any load', () => {
  const judgeDir = join(dir, 'judge-step');
  it('refuses a session folder holding something else than earlier results (exit 2, nothing sent)', async () => {
    const before = server.seen.length;
    const { file } = writeServe({ app: appScenario(server.url, server.url) }, { dir: join(judgeDir, 'torn') });
    const session = join(judgeDir, 'torn', 'rollout');
    mkdirSync(session, { recursive: true });
    writeFileSync(join(session, 'step-1.json'), '{"steps": [');
    const run = await runCli(['judge', join(file, '..', 'app.yaml'), '--step', '5', '--session', session]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(join(session, 'step-1.json'));
    expect(server.seen.length).toBe(before);
  });

  it('refuses a step the scenario does not have (exit 2, nothing sent)', async () => {
    const before = server.seen.length;
    const { file } = writeServe({ app: appScenario(server.url, server.url) }, { dir: join(judgeDir, 'bad') });
    const run = await runCli(['judge', join(file, '..', 'app.yaml'), '--step', '9']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/--step: expected a step from 1 to 5/);
    expect(server.seen.length).toBe(before);
  });
});
