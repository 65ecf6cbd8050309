import { describe, expect, it } from 'vitest';
import {
  type GeneratorSecond,
  type GeneratorWindow,
  generatorLimit,
  generatorLimitAdvice,
  generatorLimitOver,
} from '../../../src/load/generator-limit.js';

/** A calm second at 1000/s: 1 ms service, 100 connections, a quiet generator. */
const window = (over: Partial<GeneratorWindow> = {}): GeneratorWindow => ({
  due: 1000,
  sent: 1000,
  issuedBehind: 0,
  late: 0,
  waitMsSum: 300,
  responses: 1000,
  peerFailures: 0,
  serviceMsSum: 1000,
  busyMax: 5,
  connections: 100,
  loopDelayP99Ms: 1,
  cpuPercent: 20,
  durationMs: 1000,
  threads: 1,
  ...over,
});

describe('generator limit', () => {
  it('finds nothing when the schedule was kept and nothing waited', () => {
    expect(generatorLimit(window())).toEqual({ limited: false, reasons: [], warnings: [] });
  });

  it('says schedule lag when the generator issued requests behind schedule', () => {
    const limit = generatorLimit(window({ issuedBehind: 50, loopDelayP99Ms: 42, cpuPercent: 99 }));
    expect(limit.limited).toBe(true);
    expect(limit.reasons.map((r) => r.code)).toEqual(['schedule-lag']);
    expect(limit.reasons[0]?.text).toContain('issued 5% of requests more than 10 ms behind schedule');
    expect(limit.reasons[0]?.text).toContain('event-loop delay p99 42 ms, CPU 99% of a core');
    expect(generatorLimitAdvice(limit, 1)).toContain('--workers 2');
  });

  it('tolerates a GC pause: a few behind is neither 1 % nor 20 requests', () => {
    expect(generatorLimit(window({ issuedBehind: 10 })).limited).toBe(false);
    expect(generatorLimit(window({ due: 190, sent: 190, issuedBehind: 4 })).limited).toBe(false);
    expect(generatorLimit(window({ due: 190, sent: 190, issuedBehind: 25 })).limited).toBe(true);
  });

  it('blames its own backlog when sends waited for a connection while it was busy and the service was quick', () => {
    const limit = generatorLimit(
      window({ late: 900, waitMsSum: 900 * 400, cpuPercent: 90, loopDelayP99Ms: 18, busyMax: 100 }),
    );
    expect(limit.limited).toBe(true);
    expect(limit.reasons[0]?.code).toBe('busy-backlog');
    expect(limit.reasons[0]?.text).toContain("the queue was the generator's");
  });

  it('blames the connection cap when every connection was busy and the rate needs more at that service time', () => {
    // 1000/s at 20 ms a request needs about 20 connections; there are 2.
    const limit = generatorLimit(
      window({ late: 990, waitMsSum: 990 * 3000, serviceMsSum: 100 * 20, responses: 100, busyMax: 2, connections: 2 }),
    );
    expect(limit.limited).toBe(true);
    expect(limit.reasons[0]?.code).toBe('connection-cap');
    expect(limit.reasons[0]?.text).toContain('needs about 20');
    expect(generatorLimitAdvice(limit, 1)).toContain('--connections');
  });

  it('names the connection cap first when it binds on a busy machine too: lag and CPU on top do not hide it', () => {
    // 200/s at 50 ms needs about 10 connections; there are 2. A neighbour's load also made the
    // generator busy (and, in the first case, put it behind schedule): the rule used to name only
    // that, and advise threads.
    const capped = {
      due: 200,
      sent: 200,
      late: 190,
      waitMsSum: 190 * 400,
      responses: 40,
      serviceMsSum: 40 * 50,
      busyMax: 2,
      connections: 2,
      cpuPercent: 95,
      loopDelayP99Ms: 30,
    };
    const limit = generatorLimit(window({ ...capped, issuedBehind: 40 }));
    expect(limit.reasons.map((r) => r.code)).toEqual(['connection-cap', 'schedule-lag']);
    expect(limit.reasons[0]?.text).toContain('needs about 10');
    expect(generatorLimitAdvice(limit, 1)).toContain('raise --connections');
    expect(generatorLimit(window(capped)).reasons.map((r) => r.code)).toEqual(['connection-cap']);
  });

  it('does not blame the generator for a stalling service: the wait came from stalls, connections to spare', () => {
    // wrk2's picture: 200 ms stalls each second at 400/s on one connection. Most requests wait
    // for the stalled one, but the mean service time is small: one connection is enough.
    const limit = generatorLimit(
      window({
        due: 400,
        sent: 400,
        late: 60,
        waitMsSum: 60 * 100,
        responses: 400,
        serviceMsSum: 400 + 200,
        busyMax: 1,
        connections: 1,
      }),
    );
    expect(limit.limited).toBe(false);
    expect(limit.warnings[0]).toContain('waited for a free connection');
  });

  it('does not blame the cap when the caller knows the service time was unhealthy', () => {
    const figures = window({
      late: 990,
      waitMsSum: 990 * 3000,
      serviceMsSum: 100 * 20,
      responses: 100,
      busyMax: 2,
      connections: 2,
    });
    expect(generatorLimit(figures, { serviceTimeHealthy: false }).limited).toBe(false);
  });

  it('warns, without blaming itself, when only busy', () => {
    const limit = generatorLimit(window({ cpuPercent: 80 }));
    expect(limit.limited).toBe(false);
    expect(limit.warnings[0]).toContain('the generator was busy');
    expect(generatorLimit(window({ cpuPercent: 80, threads: 2 })).warnings).toEqual([]);
  });

  it('leaves a window to the service when more than the tail failed at the connection, however late the generator was', () => {
    // A canary dropping every connection: nothing answered, the generator behind schedule.
    const figures = window({ issuedBehind: 300, late: 300, responses: 0, serviceMsSum: 0, peerFailures: 1000 });
    const limit = generatorLimit(figures);
    expect(limit.limited).toBe(false);
    expect(limit.reasons).toEqual([]);
    expect(limit.warnings[0]).toMatch(/^100% of requests failed at the connection .*the service's.*behind schedule/);
    // A few resets (under the tail) leave the generator's lag the story.
    expect(generatorLimit({ ...figures, responses: 995, serviceMsSum: 995, peerFailures: 5 }).limited).toBe(true);
  });

  it('blames nobody for waiting when nothing answered: there is no service time to compare with', () => {
    const limit = generatorLimit(
      window({ late: 900, waitMsSum: 900 * 400, cpuPercent: 90, responses: 0, serviceMsSum: 0, busyMax: 100 }),
    );
    expect(limit.limited).toBe(false);
  });
});

/** A second of a 90 s run at 30 000/s: by default calm. */
const second = (index: number, over: Partial<GeneratorSecond> = {}): GeneratorSecond => ({
  ...window({ due: 30_000, sent: 30_000, responses: 30_000, serviceMsSum: 30_000, waitMsSum: 9000, cpuPercent: 60 }),
  dropped: 0,
  startMs: index * 1000,
  ...over,
});

/** A second the generator's own backlog made: most sends late while it was busy, the service quick. */
const busySecond = (index: number): GeneratorSecond =>
  second(index, { late: 20_000, waitMsSum: 20_000 * 600, cpuPercent: 95, loopDelayP99Ms: 30 });

/** The seconds merged into the whole run's figures (CPU the mean, the rest summed or the largest). */
function whole(seconds: readonly GeneratorSecond[]): GeneratorWindow {
  const sum = (f: (s: GeneratorSecond) => number) => seconds.reduce((n, s) => n + f(s), 0);
  return window({
    due: sum((s) => s.due),
    sent: sum((s) => s.sent),
    late: sum((s) => s.late),
    issuedBehind: sum((s) => s.issuedBehind),
    waitMsSum: sum((s) => s.waitMsSum),
    responses: sum((s) => s.responses),
    serviceMsSum: sum((s) => s.serviceMsSum),
    cpuPercent: sum((s) => s.cpuPercent) / seconds.length,
    loopDelayP99Ms: 4,
    durationMs: seconds.length * 1000,
  });
}

describe('generator limit over a run and its seconds', () => {
  it('is limited when the flagged seconds sent more than the tail late, though the run on average was not', () => {
    // Seconds 35–53 and 60 of 90 were the generator's backlog; the run's mean CPU stays under 75 %.
    const flagged = new Set([...Array.from({ length: 19 }, (_, i) => 35 + i), 60]);
    const seconds = Array.from({ length: 90 }, (_, i) => (flagged.has(i) ? busySecond(i) : second(i)));
    const run = whole(seconds);
    expect(run.cpuPercent).toBeLessThan(75);
    expect(generatorLimit(run).limited).toBe(false);
    const limit = generatorLimitOver(run, seconds);
    expect(limit.limited).toBe(true);
    expect(limit.reasons).toHaveLength(1);
    expect(limit.reasons[0]?.code).toBe('busy-backlog');
    expect(limit.reasons[0]?.text).toMatch(
      /^seconds 35–53, 60 \(20 of 90\) were generator-limited and sent 14\.8% of the measured requests late .*more than the 1% tail/,
    );
    expect(limit.reasons[0]?.text).toContain("the queue was the generator's");
    expect(generatorLimitAdvice(limit, 1)).toContain('--workers 2');
  });

  it('keeps the whole-window reasons first and adds the seconds', () => {
    const seconds = [busySecond(0), busySecond(1)];
    const limit = generatorLimitOver(whole(seconds), seconds);
    expect(limit.reasons.map((r) => r.code)).toEqual(['busy-backlog', 'busy-backlog']);
    expect(limit.reasons[1]?.text).toMatch(/^seconds 0–1 \(2 of 2\)/);
  });

  it('only warns when the flagged seconds stayed within the tail (a GC pause in a long run)', () => {
    const seconds = Array.from({ length: 90 }, (_, i) =>
      i === 7 ? second(i, { issuedBehind: 600, late: 600, waitMsSum: 600 * 15 }) : second(i),
    );
    const limit = generatorLimitOver(whole(seconds), seconds);
    expect(limit.limited).toBe(false);
    expect(limit.warnings).toEqual([
      'seconds 7 (1 of 90) were generator-limited but sent only 600 of 2700000 requests late, within the 1% tail',
    ]);
  });

  it("judges each second with the caller's context, as the whole window", () => {
    // Capacity knows the service time broke the SLO: a backlog is then not the generator's.
    const seconds = [second(0), busySecond(1), busySecond(2)];
    expect(generatorLimitOver(whole(seconds), seconds).limited).toBe(true);
    expect(generatorLimitOver(whole(seconds), seconds, { serviceTimeHealthy: false }).limited).toBe(false);
  });

  it('names at most eight runs of seconds and counts the rest', () => {
    const seconds = Array.from({ length: 40 }, (_, i) => (i % 2 === 0 ? busySecond(i) : second(i)));
    const text = generatorLimitOver(whole(seconds), seconds).reasons.at(-1)?.text ?? '';
    expect(text).toMatch(/^seconds 0, 2, 4, 6, 8, 10, 12, 14 and 12 more \(20 of 40\)/);
  });
});
