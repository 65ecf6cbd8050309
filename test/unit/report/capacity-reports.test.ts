import { describe, expect, it } from 'vitest';
import { type CapacityResult, type CapacityStep, compareCapacity, targetResult } from '../../../src/capacity/result.js';
import { classifySaturation } from '../../../src/capacity/saturation.js';
import { advanceSearch, startSearch } from '../../../src/capacity/search.js';
import { renderCapacityHtml } from '../../../src/report/capacity-html.js';
import { renderCapacityMarkdown } from '../../../src/report/capacity-markdown.js';
import { renderCapacitySummary } from '../../../src/report/capacity-text.js';
import { evaluateSlo, type Slo, sloOrProblems } from '../../../src/scenario/slo.js';

const slo = sloOrProblems('p99<50ms,errors<0.1%');
if (!('slo' in slo)) throw new Error('bad test SLO');
const SLO: Slo = slo.slo;

/** A step of a service with capacity 400/s: latency 10 ms below it, a growing queue above. */
function step(index: number, rate: number, phase: 'ramp' | 'bisect'): CapacityStep {
  const p99 = rate <= 400 ? 12 : 10 + (rate - 400) * 3;
  const latencyMs = { min: 10, mean: p99 / 2, p50: p99 / 2, p90: p99 * 0.9, p95: p99 * 0.95, p99, p999: p99, max: p99 };
  const result = evaluateSlo(SLO, { latencyMs, errorRate: 0 });
  const saturation = classifySaturation({
    offeredPerSec: rate,
    scheduled: rate,
    late: 0,
    dropped: 0,
    throughputPerSec: Math.min(rate, 400),
    generator: {
      due: rate,
      sent: rate,
      issuedBehind: 0,
      late: 0,
      waitMsSum: 0,
      responses: Math.min(rate, 400),
      peerFailures: 0,
      serviceMsSum: Math.min(rate, 400) * 10,
      busyMax: 4,
      connections: 100,
      loopDelayP99Ms: 1,
      cpuPercent: 10,
      durationMs: 1000,
      threads: 1,
    },
    seconds: [],
    sloPass: result.pass,
    serviceTimeMeetsSlo: false,
  });
  return {
    index,
    phase,
    offeredPerSec: rate,
    achievedPerSec: Math.min(rate, 400),
    sentPerSec: rate,
    throughputPerSec: Math.min(rate, 400),
    requests: rate,
    errors: 0,
    errorRate: 0,
    late: 0,
    dropped: 0,
    latencyMs,
    serviceMs: latencyMs,
    slo: result,
    generator: { workers: 1, cpuPercent: 10, eventLoopDelayP99Ms: 1, issuedBehind: 0 },
    saturation,
    outcome: result.pass ? 'pass' : 'fail',
    retried: false,
    startedAtMs: index * 1000,
    elapsedMs: 1000,
  };
}

function searched(label: string, url: string, capacity: number) {
  let state = startSearch({ startPerSec: 100, maxPerSec: 10_000, factor: 2, precision: 0.05, maxSteps: 30 });
  const steps: CapacityStep[] = [];
  while (state.nextPerSec !== undefined) {
    const s = step(steps.length, state.nextPerSec, state.phase === 'bisect' ? 'bisect' : 'ramp');
    // Scale the simulated service to `capacity`.
    const pass = state.nextPerSec <= capacity;
    steps.push({ ...s, outcome: pass ? 'pass' : 'fail', slo: { ...s.slo, pass } });
    state = advanceSearch(state, pass ? 'pass' : 'fail');
  }
  return targetResult(label, url, state, steps, false);
}

const a = searched('target', 'http://127.0.0.1:8080', 400);
const b = searched('compare', 'http://127.0.0.1:8081', 800);
const result: CapacityResult = {
  schemaVersion: 1,
  kind: 'capacity',
  name: 'search <api> & co',
  startedAt: '2026-11-29T00:00:00Z',
  endedAt: '2026-11-29T00:01:00Z',
  slo: { text: SLO.text, terms: SLO.terms },
  settings: {
    startPerSec: 100,
    maxPerSec: 10_000,
    factor: 2,
    precision: 0.05,
    stepDurationMs: 1000,
    warmupMs: 200,
    cooldownMs: 500,
    connections: 100,
    workers: 1,
    timeoutMs: 1000,
    requests: ['GET /'],
  },
  targets: [a, b],
  comparison: compareCapacity(a, b),
  machine: { hostname: 'h', cpus: 2, cpuModel: 'cpu', node: 'v20' },
  exitCode: 0,
};

describe('capacity result', () => {
  it('states the capacity with its interval, the knee and the ratio', () => {
    expect(a.verdict).toBe('found');
    expect(a.capacityPerSec).toBeLessThanOrEqual(400);
    expect(a.interval.highPerSec).toBeGreaterThan(400);
    expect(a.reason).toContain(`the highest rate that met the SLO was ${a.capacityPerSec}/s`);
    expect(a.knee?.ratePerSec).toBeLessThanOrEqual(400);
    expect(result.comparison?.ratio).toBeCloseTo((b.capacityPerSec as number) / (a.capacityPerSec as number), 3);
    expect(result.comparison?.ratio).toBeGreaterThan(1.9);
  });

  it('gives no ratio when a target met the SLO at no rate', () => {
    const config = { startPerSec: 100, maxPerSec: 1000, factor: 2, precision: 0.05, maxSteps: 30 };
    const none = targetResult('compare', 'http://x', advanceSearch(startSearch(config), 'fail'), [], false);
    expect(none.capacityPerSec).toBeNull();
    expect(compareCapacity(a, none).ratio).toBeNull();
  });
});

describe('capacity reports', () => {
  it('renders Markdown with the capacity, interval, ratio and the curve table', () => {
    const md = renderCapacityMarkdown(result);
    expect(md).toContain(
      `**Capacity ${a.capacityPerSec}/s** — interval [${a.interval.lowPerSec}/s, ${a.interval.highPerSec}/s)`,
    );
    expect(md).toContain(`**Capacity ratio ${result.comparison?.ratio}**`);
    expect(md).toContain('| 1 | ramp | 100/s | 100/s |');
    expect(md).toContain('broken: p99<50ms');
  });

  it('renders self-contained HTML with the latency curve, the SLO line and the knee, escaping text', () => {
    const html = renderCapacityHtml(result);
    expect(html).not.toMatch(/<script|https?:\/\/(?!127\.0\.0\.1)/);
    expect(html).toContain('search &lt;api&gt; &amp; co');
    expect(html.match(/<svg/g)).toHaveLength(2);
    expect(html).toContain('SLO p99&lt;50ms');
    expect(html).toContain(`knee ${a.knee?.ratePerSec}/s`);
    for (const q of ['p50', 'p95', 'p99']) expect(html).toContain(`<title>${q}</title>`);
  });

  it('prints the terminal summary with the curve sorted by rate', () => {
    const text = renderCapacitySummary(result);
    expect(text).toContain(`found — capacity ${a.capacityPerSec}/s in [`);
    const rates = [...text.matchAll(/^\s+(\d+)\/s\s+\d+\/s/gm)].slice(0, a.steps.length).map((m) => Number(m[1]));
    expect(rates).toEqual([...rates].sort((x, y) => x - y));
    expect(text).toContain('ratio:');
  });
});
