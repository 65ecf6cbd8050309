import { describe, expect, it } from 'vitest';
import { startRunProgress } from '../../../src/report/run-progress.js';

const progressEvent = {
  type: 'progress' as const,
  index: 1,
  plannedMs: 5000,
  progress: {
    elapsedSec: 2,
    requests: 400,
    errors: 0,
    p99Ms: 14,
    samples: {},
    arms: {
      baseline: {
        startMs: 1000,
        durationMs: 1000,
        requests: 300,
        errors: 0,
        p50Ms: 4,
        p90Ms: 8,
        p95Ms: 10,
        p99Ms: 13,
        maxMs: 20,
      },
      canary: {
        startMs: 1000,
        durationMs: 1000,
        requests: 100,
        errors: 2,
        p50Ms: 4,
        p90Ms: 8,
        p95Ms: 11,
        p99Ms: 14,
        maxMs: 22,
      },
    },
  },
};

function capture(tty: boolean) {
  const out: string[] = [];
  const view = startRunProgress({ stderr: (t) => out.push(t), stderrIsTTY: tty }, 5, (t) =>
    t.replaceAll('secret', '[redacted]'),
  );
  return { out, view };
}

describe('run progress on the terminal', () => {
  it('redraws one status line per step on a TTY: weight, elapsed and remaining, rps, p95/p99 per arm', () => {
    const { out, view } = capture(true);
    view.show({ type: 'step', index: 1, weight: 25 });
    view.show(progressEvent);
    view.show(progressEvent);
    view.done();
    expect(out[0]).toBe('step 2: 25% canary\n');
    expect(out[1]).toBe(
      '\r\x1b[2Kstep 2/5 25% · 2s/5s (3s left) · 400 req/s · baseline p95 10ms p99 13ms · canary p95 11ms p99 14ms err 2',
    );
    expect(out[2]).toBe(out[1]);
    expect(out[3]).toBe('\n');
  });

  it('prints plain timestamped lines elsewhere, redacted', () => {
    const { out, view } = capture(false);
    view.show({ type: 'reset', reason: 'secret went wrong' });
    view.show(progressEvent);
    expect(out[0]).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z resetting the router to 0% canary: \[redacted\] went wrong\n$/,
    );
    expect(out[1]).toMatch(/^\S+Z step 1\/5 0% · 2s\/5s \(3s left\) · 400 req\/s · baseline p95 10ms/);
  });
});

describe('an arm with no response in a second', () => {
  it('says "no response", never "p99 0ms", when every request failed without an answer', () => {
    const { out, view } = capture(true);
    const failed = {
      ...progressEvent.progress.arms.canary,
      errors: 100,
      p50Ms: 0,
      p90Ms: 0,
      p95Ms: 0,
      p99Ms: 0,
      maxMs: 0,
    };
    view.show({ type: 'step', index: 0, weight: 10 });
    view.show({
      ...progressEvent,
      progress: { ...progressEvent.progress, arms: { ...progressEvent.progress.arms, canary: failed } },
    });
    expect(out[1]).toContain('baseline p95 10ms p99 13ms · canary no response err 100');
    expect(out[1]).not.toMatch(/p99 0ms/);
  });
});
