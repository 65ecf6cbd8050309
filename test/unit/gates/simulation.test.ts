import { describe, expect, it } from 'vitest';
import {
  type Recording,
  type SimCase,
  type StreamKind,
  simCases,
  simulate,
  simulateRollout,
  tailStart,
} from '../../../src/gates/simulation.js';
import type { StepVerdict } from '../../../src/gates/verdict.js';

// A small run of bench/judge-sim.js (docs/judge.md has the full table): a handful of rollouts per
// case, so the bounds are loose; the table's rates come from hundreds.
const size = { canaryPerFirstStep: 10_000, stepSec: 30 };

/** Case `index` of a stream: 0 A/A, 1 × margin, 2 × twice the margin, 3 tail-only, 4 errors. */
const caseOf = (stream: StreamKind, index: number): SimCase => simCases(stream)[index] as SimCase;

describe('judge simulation (small)', () => {
  it('promotes identical canaries on independent draws and on services that stall independently', () => {
    for (const stream of ['iid', 'stalls'] as const) {
      expect(simulate(caseOf(stream, 0), size, 3, tailStart(stream)).promoted).toBe(1);
    }
  });

  it('catches a tail-only regression (p99 +30 %, same median) and +0.5 % errors on evidence', () => {
    expect(simulate(caseOf('iid', 3), size, 3, tailStart('iid')).rolledBackOnEvidence).toBe(1);
    expect(simulate(caseOf('iid', 4), size, 3, tailStart('iid')).rolledBackOnEvidence).toBe(1);
  });

  it('leaves the common warm-up transient out at the first step and names the pooled baseline at 100 %', () => {
    const verdicts: [number, StepVerdict][] = [];
    const o = simulateRollout(caseOf('warmup', 0), size, 42, tailStart('warmup'), undefined, (step, v) =>
      verdicts.push([step, v]),
    );
    expect(o.decision).toBe('promote');
    expect(verdicts.find(([step]) => step === 1)?.[1].excluded?.[0]).toMatchObject({
      startMs: 0,
      kind: 'common transient',
    });
    expect(verdicts.find(([step]) => step === 5)?.[1].reason).toContain('against the pooled baseline of steps 1–4');
  });

  it('replays a recording with both servers on one clock, so a transient in both is seen as common', () => {
    // Two "servers" at 200/s for 60 s: about 20 ms, with one 300 ms second on both at once.
    const server = () =>
      Int32Array.from({ length: 60 * 200 }, (_, i) => (Math.floor(i / 200) === 3 ? 300_000 : 20_000 + (i % 7) * 100));
    const recording: Recording = { ratePerSec: 200, servers: [server(), server()] };
    const o = simulateRollout(
      caseOf('recorded', 0),
      { canaryPerFirstStep: 2000, stepSec: 30 },
      1,
      tailStart('recorded', recording),
      recording,
    );
    expect(o.excluded).toBeGreaterThan(0);
  });
});
