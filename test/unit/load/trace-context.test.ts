import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keepIfSlowest, mergeSlowest, type TracedRequest, TraceSampler } from '../../../src/load/trace-context.js';

const req = (latencyMs: number, i = 0): TracedRequest => ({
  traceId: i.toString(16).padStart(32, '0'),
  latencyMs,
  status: 200,
  endpoint: 'e',
});

describe('trace context', () => {
  it('makes W3C traceparent headers with fresh ids', () => {
    const sampler = new TraceSampler(1);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) {
      const t = sampler.next();
      expect(t?.header).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(t?.header.slice(3, 35)).toBe(t?.traceId);
      seen.add(t?.traceId ?? '');
    }
    expect(seen.size).toBe(2000);
    expect(new TraceSampler(0).next()).toBeUndefined();
  });

  it('keeps exactly the slowest, slowest first, however they arrive and are split', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 1, max: 4 }),
        (latencies, limit, parts) => {
          const lists = Array.from({ length: parts }, () => ({ limit, requests: [] as TracedRequest[] }));
          latencies.forEach((l, i) => {
            keepIfSlowest(lists[i % parts] as (typeof lists)[number], req(l, i));
          });
          const merged = mergeSlowest(lists);
          const expected = [...latencies].sort((a, b) => b - a).slice(0, limit);
          expect(merged?.requests.map((r) => r.latencyMs)).toEqual(expected);
        },
      ),
    );
    expect(mergeSlowest([undefined])).toBeUndefined();
  });
});
