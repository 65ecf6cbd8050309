/**
 * Judge simulation: full five-step rollouts judged the way the driver judges once the load keeps
 * running across looks — looks every third of the planned step, alpha and beta spent over the
 * planned samples (spending.ts), per-second windows, the pooled baseline at 100 % — on streams
 * that look like what this machine measures: independent draws, services that stall
 * independently (200 ms every 3 s), a warm-up transient that hits both arms at the start,
 * latencies that drift together in time (autocorrelated), and per-request latencies recorded from
 * real node servers (bench/data). Pure: seeded random numbers, recordings passed in as data; the
 * runner is bench/judge-sim.js, a small version runs in the tests.
 */
import { createHistogram, type Histogram } from '../hdr/histogram.js';
import type { Check } from '../scenario/schema.js';
import { seededRandom } from '../util/random.js';
import { type ArmStepMeasurements, judgeStep } from './judge.js';
import { type PoolPart, poolBaseline } from './pool.js';
import { lookBudget, SPENDING_START, stepAlpha } from './spending.js';
import { bucketsFromUs } from './stats/buckets.js';
import type { StepVerdict } from './verdict.js';
import type { ArmWindow } from './windows.js';

/** The rollout every simulation runs: the shape and settings a real canary would use. */
export const SIM_ROLLOUT = {
  steps: [10, 25, 50, 75, 100],
  /** Looks per planned step (every third of it), and the longest step in planned steps. */
  looksPerStep: 3,
  maxStepFactor: 3,
  alpha: 0.01,
  beta: 0.05,
  statistics: { minSamples: 200, maxIncrease: 0.05, inconclusive: 'rollback' as const },
  checks: [
    { name: 'p50', metric: 'p50', unit: 'ms', vsBaseline: { ratio: 1.1, slack: 0 }, critical: true, group: 'latency' },
    { name: 'p99', metric: 'p99', unit: 'ms', vsBaseline: { ratio: 1.1, slack: 0 }, critical: true, group: 'latency' },
    {
      name: 'distribution',
      metric: 'distribution',
      unit: 'ms',
      vsBaseline: { ratio: 1.1, slack: 0 },
      critical: true,
      group: 'latency',
    },
    {
      name: 'errorRate',
      metric: 'errorRate',
      unit: 'fraction',
      vsBaseline: { ratio: 2, slack: 0.001 },
      critical: true,
      group: 'errors',
    },
  ] satisfies Check[],
  passScore: 7,
};

/** Streams the simulation draws from. */
export const STREAM_KINDS = ['iid', 'stalls', 'warmup', 'autocorrelated', 'recorded'] as const;
/** One of STREAM_KINDS. */
export type StreamKind = (typeof STREAM_KINDS)[number];

/** Per-request latencies recorded from two real servers under the same constant-rate load. */
export interface Recording {
  /** Requests per second each server was sent. */
  ratePerSec: number;
  /** Latency from the intended send, µs, in send order: one array per server. */
  servers: [Int32Array, Int32Array];
}

/** One arm's latency source: the latencies (ms) of `count` requests sent evenly over second `sec`. */
type ArmStream = (sec: number, count: number, random: () => number) => Float64Array;

/** A standard normal draw (Box-Muller). */
function gauss(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

/** Independent log-normal draws: median 20 ms, σ 0.6 (p99 ≈ 4 × the median). */
function iidStream(): ArmStream {
  return (_sec, count, random) => {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) out[i] = 20 * Math.exp(0.6 * gauss(random));
    return out;
  };
}

/**
 * A service that stalls 200 ms every 3 s at its own phase: a request that arrives during a stall
 * waits for its end (latency counts from the intended send, as the open model measures it).
 */
function stallStream(phaseSec: number): ArmStream {
  return (sec, count, random) => {
    const out = new Float64Array(count);
    const offset = random() / count;
    for (let i = 0; i < count; i++) {
      const t = sec + offset + i / count;
      const inCycle = (((t - phaseSec) % 3) + 3) % 3;
      const wait = inCycle < 0.2 ? (0.2 - inCycle) * 1000 : 0;
      out[i] = 20 * Math.exp(0.5 * gauss(random)) + wait;
    }
    return out;
  };
}

/**
 * Latencies that drift in time: the log of the latency is an Ornstein-Uhlenbeck process (time
 * constant 100 ms, σ 0.1: requests close in time are slow or fast together, as behind a queue)
 * plus independent noise (σ 0.59), per arm.
 */
const DRIFT_SIGMA = 0.1;
const DRIFT_SEC = 0.1;

function driftStream(random0: () => number): ArmStream {
  let x = DRIFT_SIGMA * gauss(random0);
  let lastT = 0;
  return (sec, count, random) => {
    const out = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      const t = sec + i / count;
      const decay = Math.exp(-(t - lastT) / DRIFT_SEC);
      x = x * decay + DRIFT_SIGMA * Math.sqrt(1 - decay * decay) * gauss(random);
      lastT = t;
      out[i] = 20 * Math.exp(x + 0.59 * gauss(random));
    }
    return out;
  };
}

/** One server of a recording, replayed from `startSec` (wrapping), thinned or resampled to `count`. */
function replayStream(recording: Recording, server: 0 | 1, startSec: number): ArmStream {
  const values = recording.servers[server];
  const perSec = recording.ratePerSec;
  const seconds = Math.floor(values.length / perSec);
  return (sec, count, random) => {
    const from = ((Math.floor(startSec + sec) % seconds) + seconds) % seconds;
    const base = from * perSec;
    const out = new Float64Array(count);
    // Evenly through the second with a random offset: keeps a stall's shape within the second.
    const offset = random();
    for (let i = 0; i < count; i++) {
      const k = Math.min(perSec - 1, Math.floor(((i + offset) * perSec) / count));
      out[i] = (values[base + k] as number) / 1000;
    }
    return out;
  };
}

/** The warm-up transient both arms see at the start of a run: ×5, decaying with a 1 s time constant. */
const warmupFactor = (t: number) => 1 + 4 * Math.exp(-t);

/** One simulated case. */
export interface SimCase {
  name: string;
  stream: StreamKind;
  /** Every canary latency × this (1.1: the margin; 1.2: twice the margin). */
  scale: number;
  /** Canary latencies above the stream's p95 × this (tail-only: p99 moves, the median does not). */
  tailFactor: number;
  baseErrorRate: number;
  canaryErrorRate: number;
  /** What a rollback means for this case: a false rollback (A/A) or a catch (a regression). */
  expect: 'promote' | 'rollback';
}

/** How one rollout ended. */
export interface SimOutcome {
  decision: 'promote' | 'rollback';
  /** fail: a check failed on evidence; inconclusive: still undecided at the longest step. */
  why: 'pass' | 'fail' | 'inconclusive';
  /** Simulated time until the decision, s. */
  timeSec: number;
  /** Windows left out over the rollout. */
  excluded: number;
}

/** The size of a simulated rollout. */
export interface SimSize {
  /** Canary samples the first (10 %) step plans. */
  canaryPerFirstStep: number;
  /** Planned step length, s (a recording fixes the rate instead, and the step grows). */
  stepSec: number;
}

interface Arm {
  hist: Histogram;
  requests: number;
  errors: number;
  windows: ArmWindow[];
  seconds: number;
}

const newArm = (): Arm => ({ hist: createHistogram(), requests: 0, errors: 0, windows: [], seconds: 0 });

function measured(a: Arm): ArmStepMeasurements {
  return {
    latency: a.hist,
    requests: a.requests,
    errors: a.errors,
    throttled: 0,
    durationMs: a.seconds * 1000,
    windows: a.windows,
  };
}

/** Record one second of an arm. */
function recordSecond(arm: Arm, sec: number, latenciesMs: Float64Array, errorRate: number, random: () => number) {
  const us = new Float64Array(latenciesMs.length);
  let errors = 0;
  for (let i = 0; i < latenciesMs.length; i++) {
    const v = Math.min(3_600_000_000, Math.max(1, Math.round((latenciesMs[i] as number) * 1000)));
    us[i] = v;
    arm.hist.recordValue(v);
    if (random() < errorRate) errors++;
  }
  arm.requests += latenciesMs.length;
  arm.errors += errors;
  arm.seconds++;
  arm.windows.push({
    startMs: sec * 1000,
    durationMs: 1000,
    latency: bucketsFromUs(us),
    requests: latenciesMs.length,
    errors,
  });
}

/** The stream pair of a case (baseline, canary) for one rollout. */
function streamsOf(kind: StreamKind, random: () => number, recording?: Recording): [ArmStream, ArmStream] {
  if (kind === 'stalls') return [stallStream(3 * random()), stallStream(3 * random())];
  if (kind === 'autocorrelated') return [driftStream(random), driftStream(random)];
  if (kind === 'recorded') {
    if (!recording) throw new Error('the recorded stream needs a recording');
    const start = Math.floor(random() * (recording.servers[0].length / recording.ratePerSec));
    // The two servers were measured at the same time: one start keeps their common transients aligned.
    return [replayStream(recording, 0, start), replayStream(recording, 1, start)];
  }
  return [iidStream(), iidStream()];
}

/** The request rate and planned step length a size means for a stream. */
export function rateOf(
  size: SimSize,
  kind: StreamKind,
  recording?: Recording,
): { ratePerSec: number; stepSec: number } {
  const first = (SIM_ROLLOUT.steps[0] as number) / 100;
  if (kind === 'recorded' && recording) {
    return {
      ratePerSec: recording.ratePerSec,
      stepSec: Math.ceil(size.canaryPerFirstStep / (first * recording.ratePerSec)),
    };
  }
  return { ratePerSec: size.canaryPerFirstStep / (first * size.stepSec), stepSec: size.stepSec };
}

/** One five-step rollout. `tailFrom`: the stream's p95 (ms), where tail-only regressions start. */
export function simulateRollout(
  c: SimCase,
  size: SimSize,
  seed: number,
  tailFrom: number,
  recording?: Recording,
  /** Called with every verdict (for diagnostics). */
  onLook?: (step: number, verdict: StepVerdict) => void,
): SimOutcome {
  const random = seededRandom(seed);
  const [baseStream, canaryStream] = streamsOf(c.stream, random, recording);
  const r = SIM_ROLLOUT;
  const { ratePerSec, stepSec } = rateOf(size, c.stream, recording);
  const lookSec = Math.max(1, Math.round(stepSec / r.looksPerStep));
  const maxSec = stepSec * r.maxStepFactor;
  const alpha = stepAlpha(r.alpha, r.steps.length);
  const pool: PoolPart[] = [];
  let sec = 0;
  let excluded = 0;
  const regress = (v: number) => {
    const scaled = v * c.scale;
    return scaled > tailFrom ? scaled * c.tailFactor : scaled;
  };
  for (const [index, weight] of r.steps.entries()) {
    const canary = newArm();
    const baseline = newArm();
    const perSecCanary = Math.round((ratePerSec * weight) / 100);
    const perSecBaseline = Math.round((ratePerSec * (100 - weight)) / 100);
    const budget = {
      alpha,
      beta: r.beta,
      plannedSamples: perSecCanary * stepSec,
      maxSamples: perSecCanary * maxSec,
    };
    let state = SPENDING_START;
    let elapsed = 0;
    for (;;) {
      for (let s = 0; s < lookSec; s++, sec++, elapsed++) {
        const warm = c.stream === 'warmup' ? warmupFactor(sec) : 1;
        const cl = canaryStream(sec, perSecCanary, random);
        for (let i = 0; i < cl.length; i++) cl[i] = regress((cl[i] as number) * warm);
        recordSecond(canary, sec, cl, c.canaryErrorRate, random);
        if (perSecBaseline > 0) {
          const bl = baseStream(sec, perSecBaseline, random);
          if (warm !== 1) for (let i = 0; i < bl.length; i++) bl[i] = (bl[i] as number) * warm;
          recordSecond(baseline, sec, bl, c.baseErrorRate, random);
        }
      }
      const mayPass = elapsed >= stepSec;
      const finalLook = elapsed >= maxSec;
      const look = lookBudget(budget, state, canary.requests, mayPass, finalLook);
      state = look.state;
      const reference = perSecBaseline > 0 ? measured(baseline) : poolBaseline(pool);
      const verdict = judgeStep({
        canary: measured(canary),
        ...(reference ? { baseline: reference } : {}),
        checks: r.checks,
        statistics: r.statistics,
        weights: {},
        passScore: r.passScore,
        alpha: look.alpha,
        beta: look.beta,
        mayPass,
        finalLook,
      });
      onLook?.(index + 1, verdict);
      if (verdict.decision === 'extend' && !finalLook) continue;
      excluded += verdict.excluded?.length ?? 0;
      if (verdict.decision === 'rollback' || verdict.decision === 'extend') {
        const failed = verdict.checks.some((x) => x.status === 'fail' || x.status === 'error');
        return { decision: 'rollback', why: failed ? 'fail' : 'inconclusive', timeSec: sec, excluded };
      }
      if (perSecBaseline > 0) {
        pool.push({
          step: index + 1,
          arm: measured(baseline),
          ...(verdict.excluded ? { excluded: verdict.excluded } : {}),
        });
      }
      break;
    }
  }
  return { decision: 'promote', why: 'pass', timeSec: sec, excluded };
}

/** Rates over many rollouts of one case. */
export interface SimSummary {
  runs: number;
  /** Share promoted. */
  promoted: number;
  /** Share rolled back because a check failed on evidence. */
  rolledBackOnEvidence: number;
  /** Share rolled back still undecided at the longest step (inconclusive: rollback). */
  rolledBackUndecided: number;
  /** Mean simulated time to the decision, s. */
  meanDecisionSec: number;
  /** Mean windows left out per rollout. */
  meanExcluded: number;
}

/** Run `runs` rollouts of a case at a size. */
export function simulate(c: SimCase, size: SimSize, runs: number, tailFrom: number, recording?: Recording): SimSummary {
  let promoted = 0;
  let evidence = 0;
  let undecided = 0;
  let time = 0;
  let excluded = 0;
  for (let run = 0; run < runs; run++) {
    const o = simulateRollout(c, size, 1000 + run * 7919 + size.canaryPerFirstStep, tailFrom, recording);
    if (o.decision === 'promote') promoted++;
    else if (o.why === 'fail') evidence++;
    else undecided++;
    time += o.timeSec;
    excluded += o.excluded;
  }
  return {
    runs,
    promoted: promoted / runs,
    rolledBackOnEvidence: evidence / runs,
    rolledBackUndecided: undecided / runs,
    meanDecisionSec: time / runs,
    meanExcluded: excluded / runs,
  };
}

/** The p95 of a stream's latencies (ms), from a long seeded run: where tail-only shifts start. */
export function tailStart(kind: StreamKind, recording?: Recording): number {
  const random = seededRandom(12345);
  const [stream] = streamsOf(kind, random, recording);
  const all: number[] = [];
  const perSec = kind === 'recorded' && recording ? recording.ratePerSec : 1000;
  for (let sec = 0; sec < 200; sec++) {
    const v = stream(sec, perSec, random);
    const warm = kind === 'warmup' ? warmupFactor(sec) : 1;
    for (const x of v) all.push(x * warm);
  }
  all.sort((a, b) => a - b);
  return all[Math.floor(0.95 * all.length)] as number;
}

/** The cases of docs/judge.md, for one stream. */
export function simCases(stream: StreamKind): SimCase[] {
  const base = { stream, scale: 1, tailFactor: 1, baseErrorRate: 0.001, canaryErrorRate: 0.001 };
  return [
    { ...base, name: 'A/A', expect: 'promote' },
    { ...base, name: 'all latencies × 1.1 (the margin)', scale: 1.1, expect: 'rollback' },
    { ...base, name: 'all latencies × 1.2 (twice the margin)', scale: 1.2, expect: 'rollback' },
    { ...base, name: 'p99 +30 %, same median (tail only)', tailFactor: 1.3, expect: 'rollback' },
    { ...base, name: 'errors +0.5 % (0.1 → 0.6 %)', canaryErrorRate: 0.006, expect: 'rollback' },
  ];
}
