import { describe, expect, it } from 'vitest';
import { decodeArm, emptyArm, encodeArm, judgeArm, StoredArmError } from '../../../src/arm/arm.js';
import { ArmRecorder } from '../../../src/load/recorder.js';

/** An arm of 300 responses (1–30 ms) on two endpoints, 2 of them 429s and 1 a 503. */
function recorded() {
  const r = new ArmRecorder('canary', 'http://127.0.0.1:1', ['GET /a', 'GET /b']);
  for (let i = 0; i < 300; i++) r.recordResponse(i % 2, 200, 1 + (i % 30), 1, undefined);
  r.recordResponse(0, 429, 5, 5, 'http429');
  r.recordResponse(1, 429, 5, 5, 'http429');
  r.recordResponse(1, 503, 7, 7, 'http5xx');
  return r.measurements();
}

describe('one arm in one step', () => {
  it('gives the judge its counts, 429s apart, and the measured time', () => {
    const j = judgeArm(recorded(), 2500);
    expect(j).toMatchObject({ requests: 303, errors: 3, throttled: 2, durationMs: 2500 });
    expect(j.latency.totalCount).toBe(303);
  });

  it('is stored and read back with the same counts and histograms', () => {
    const m = recorded();
    const stored = encodeArm(m);
    expect(stored).toMatchObject({ url: 'http://127.0.0.1:1', requests: 303, errors: 3, throttled: 2 });
    expect(Object.keys(stored.endpoints)).toEqual(['GET /a', 'GET /b']);
    const back = decodeArm(stored, 'canary', 'steps.0.arms.canary');
    expect(judgeArm(back, 2500)).toMatchObject({ requests: 303, errors: 3, throttled: 2 });
    expect(back.latency.totalCount).toBe(m.latency.totalCount);
    expect(back.latency.getValueAtPercentile(99)).toBe(m.latency.getValueAtPercentile(99));
    expect(back.endpoints.map((e) => [e.name, e.latency.totalCount])).toEqual([
      ['GET /a', 151],
      ['GET /b', 152],
    ]);
  });

  it('names the field of a histogram that does not decode', () => {
    const stored = { ...encodeArm(recorded()), histogram: 'HISTFAAAAnotreally==' };
    expect(() => decodeArm(stored, 'canary', 'steps.2.arms.canary')).toThrow(StoredArmError);
    expect(() => decodeArm(stored, 'canary', 'steps.2.arms.canary')).toThrow('steps.2.arms.canary.histogram');
  });

  it('reads a result written before 429s were counted apart', () => {
    const { throttled: _, ...old } = encodeArm(recorded());
    expect(judgeArm(decodeArm(old as never, 'canary', 'x'), 1000).throttled).toBe(0);
  });

  it('has an empty form for an arm that was sent nothing', () => {
    expect(judgeArm(emptyArm('canary', 'http://127.0.0.1:1'), 1000)).toMatchObject({ requests: 0, errors: 0 });
  });
});
