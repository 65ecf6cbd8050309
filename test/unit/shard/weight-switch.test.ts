/**
 * A shard gives each timed weight switch to its load at once and reports it on its next interval
 * line: a command that came ahead of its time is 0 ms late (the load switches at the requests
 * meant for that time); one that came after it says how late, so the coordinator's judge can
 * leave the seconds in between out.
 */
import { describe, expect, it } from 'vitest';
import type { LoadPlan } from '../../../src/load/plan.js';
import { parseShardLine, SHARD_PROTOCOL_VERSION, type ShardLine } from '../../../src/shard/protocol.js';
import { runShard } from '../../../src/shard/shard.js';

// Nothing listens on port 9 here: the requests are refused at once, and counted per arm.
const plan: LoadPlan = {
  targets: [
    { arm: 'baseline', url: 'http://127.0.0.1:9', weight: 75 },
    { arm: 'canary', url: 'http://127.0.0.1:9', weight: 25 },
  ],
  mix: [{ name: 'a', method: 'GET', path: '/', weight: 1 }],
  ratePerSec: 100,
  durationMs: 5000,
  connections: 1,
  pipelining: 1,
  workers: 1,
  timeoutMs: 500,
};

describe('a shard told new weights at a time', () => {
  it('reports each switch on an interval line, with how late its command came', async () => {
    const lines: ShardLine[] = [];
    const waiting: { count: number; resolve: () => void }[] = [];
    const intervals = () => lines.filter((l) => l.type === 'interval').length;
    /** Resolves once the shard has written `count` interval lines. */
    const untilIntervals = (count: number) =>
      new Promise<void>((resolve) => {
        if (intervals() >= count) resolve();
        else waiting.push({ count, resolve });
      });
    const stop = new AbortController();
    const run = runShard({
      index: 0,
      file: { v: SHARD_PROTOCOL_VERSION, shards: 1, startAtEpochMs: Date.now(), plan },
      write: (text) => {
        lines.push(parseShardLine(text.trimEnd()));
        for (const w of waiting.filter((w) => intervals() >= w.count)) {
          waiting.splice(waiting.indexOf(w), 1);
          w.resolve();
        }
      },
      stop: stop.signal,
    });
    await untilIntervals(1);
    const ahead = Date.now() + 200;
    run.command({ type: 'weights', weights: { baseline: 50, canary: 50 }, atEpochMs: ahead });
    await untilIntervals(3);
    const behind = Date.now() - 700;
    run.command({ type: 'weights', weights: { baseline: 0, canary: 100 }, atEpochMs: behind });
    await untilIntervals(4);
    stop.abort();
    await run.done;

    const switched = lines.flatMap((l) => (l.type === 'interval' ? (l.switched ?? []) : []));
    expect(switched).toHaveLength(2);
    expect(switched[0]).toEqual({ atEpochMs: ahead, lateMs: 0 });
    expect(switched[1]?.atEpochMs).toBe(behind);
    expect(switched[1]?.lateMs).toBeGreaterThanOrEqual(700);
    // Each on the first line after its command, in order.
    const at = (atEpochMs: number) =>
      lines.findIndex((l) => l.type === 'interval' && l.switched?.some((s) => s.atEpochMs === atEpochMs));
    expect(at(ahead)).toBeGreaterThan(lines.findIndex((l) => l.type === 'interval'));
    expect(at(behind)).toBeGreaterThan(at(ahead));
  });
});
