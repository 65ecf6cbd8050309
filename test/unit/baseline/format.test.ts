import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildBaseline } from '../../../src/baseline/build.js';
import { BaselineFormatError, decodeBaseline } from '../../../src/baseline/format.js';
import { ArmRecorder } from '../../../src/load/recorder.js';

function sampleFile() {
  const arm = new ArmRecorder('canary', 'http://127.0.0.1:1', ['GET /a', 'GET /b']);
  for (let i = 0; i < 500; i++) arm.recordResponse(i % 2, 200, 1 + (i % 50) / 10, 1, undefined);
  arm.recordResponse(0, 429, 2, 2, 'http429');
  return buildBaseline(
    {
      label: { version: 'v1.2.3', gitSha: 'abc' },
      recordedAt: '2026-11-29T00:00:00.000Z',
      scenario: { name: 's', digest: 'd' },
      machine: { hostname: 'h', cpus: 2, cpuModel: 'cpu', node: 'v20' },
    },
    [{ weight: 100, durationMs: 1000, arm: arm.measurements() }],
  );
}

describe('baseline files', () => {
  it('round-trip: counts and histograms come back as recorded', () => {
    const file = sampleFile();
    const decoded = decodeBaseline(JSON.stringify(file), 'b.json');
    const step = decoded.steps[0];
    expect(step?.arm.counters.requests).toBe(501);
    expect(step?.arm.counters.errorsByClass.http429).toBe(1);
    expect(step?.arm.latency.totalCount).toBe(501);
    expect(step?.arm.endpoints.map((e) => e.name)).toEqual(['GET /a', 'GET /b']);
    expect(step?.arm.endpoints[0]?.latency.totalCount).toBe(251);
  });

  it.each([
    ['', 'the file is empty'],
    ['{"kind":"canary-gate-baseline","schemaVersion":1,', 'not JSON'],
    ['{"kind":"something-else"}', 'not a canary-gate baseline'],
    [
      '{"kind":"canary-gate-baseline","schemaVersion":7}',
      'baseline format version 7; this canary-gate reads version 1',
    ],
  ])('rejects %j: %s', (text, message) => {
    expect(() => decodeBaseline(text, 'b.json')).toThrow(BaselineFormatError);
    expect(() => decodeBaseline(text, 'b.json')).toThrow(message);
  });

  it('rejects a corrupt histogram, naming the field', () => {
    const file = sampleFile();
    (file.steps[0] as { histogram: string }).histogram = 'HISTFAAAAnotreally==';
    expect(() => decodeBaseline(JSON.stringify(file), 'b.json')).toThrow(/b\.json: steps\.0\.histogram/);
  });

  it('throws only BaselineFormatError for truncated or mutated files, never passes them silently', () => {
    const text = JSON.stringify(sampleFile());
    fc.assert(
      fc.property(
        fc.nat({ max: text.length - 1 }),
        fc.string({ maxLength: 5 }),
        fc.boolean(),
        (at, insert, truncate) => {
          const broken = truncate ? text.slice(0, at) : text.slice(0, at) + insert + text.slice(at + 1);
          try {
            const decoded = decodeBaseline(broken, 'b.json');
            // A mutation that still decodes must still be a whole, consistent baseline.
            const arm = decoded.steps[0]?.arm;
            expect(arm?.latency.totalCount).toBeLessThanOrEqual(arm?.counters.requests ?? 0);
          } catch (error) {
            if (!(error instanceof BaselineFormatError)) throw error;
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
