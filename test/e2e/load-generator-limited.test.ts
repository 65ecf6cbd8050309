/**
 * `load` says when the latency it reports is its own queue rather than the service's: in the JSON
 * (`generator.limited` with the reason and advice), in the table and as a warning on stderr. A
 * generator with room to spare says nothing of the kind. A quiet file (vitest.config.ts): a
 * neighbour starving the CLI's thread is a generator limit too, which the not-limited case must
 * not meet.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { cpuHogEnv } from '../helpers/cpu-hog.mjs';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer((req) => (req.url === '/slow' ? { delayMs: 20 } : {}));
});
afterAll(() => server.close());

const WARNING = /^warning: latency above is the generator's own queue: /m;

describe('canary-gate load, generator-limited', () => {
  it('says so when a connection cap far below what the rate needs made the latency, the service healthy', async () => {
    // 500/s at 20 ms a request needs about 10 connections; it has 2. The service stays at its
    // 20 ms while requests wait for a connection: that wait is the generator's, not the service's.
    const run = await runCli([
      'load',
      `${server.url}/slow`,
      ...['-r', '500/s', '-d', '1500ms', '-c', '2', '-t', '2s', '--json'],
    ]);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.serviceMs.p99).toBeLessThan(200);
    expect(out.latencyMs.p99).toBeGreaterThan(5 * out.serviceMs.p99);
    expect(out.generator.limited).toBe(true);
    // The cap is named first even when a busy machine also put the CLI behind its schedule.
    expect(out.generator.reasons[0].code).toBe('connection-cap');
    expect(out.generator.advice).toContain('raise --connections');
    expect(out.generatorIntervals.some((p: { limited: boolean }) => p.limited)).toBe(true);
    // rate.achieved counts completed responses: two connections at 20 ms finish about 100/s.
    expect(out.rate.achieved).toBeLessThan(0.5 * 500);
    expect(run.stderr).toMatch(WARNING);
    expect(run.stderr).toContain(out.generator.reasons[0].text);
    // The table (on stderr with --json) carries the same line.
    expect(run.stderr).toMatch(/^ {2}latency above is the generator's own queue: /m);
  });

  it('says so when its own thread is starved (a CPU hog preloaded into the CLI), the service fast', async () => {
    // The hog takes 40 ms of every 50 ms of the CLI's thread: requests go out behind schedule.
    const run = await runCli(
      ['load', server.url, '-r', '200/s', '-d', '1500ms', '--json'],
      cpuHogEnv({ busyMs: 40, everyMs: 50 }),
    );
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.generator.limited).toBe(true);
    expect(out.generator.reasons[0].code).toBe('schedule-lag');
    expect(out.generator.advice).toContain('--workers 2');
    expect(run.stderr).toMatch(WARNING);
  });

  it('says nothing of the kind when the generator keeps up', async () => {
    // A low rate: a pause of the machine puts a few requests behind schedule, far from the 20 (and
    // 1 %) the rule needs; only a generator starved for a good part of the run gets there.
    const run = await runCli(['load', server.url, '-r', '50/s', '-d', '2s', '--warmup', '500ms', '--json']);
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out.generator, JSON.stringify(out.generator.signals)).toMatchObject({
      limited: false,
      reasons: [],
      advice: null,
    });
    expect(run.stderr).not.toContain("generator's own queue");
  });
});
