/**
 * #14 item 8: result and baseline files are read as strictly as scenarios. A real run's
 * result.json and a real recorded baseline, each broken in one field, make `compare` exit 2
 * naming the file and the field; forged histogram encodings (one inflating to 64 MB, one
 * claiming a 2 GB payload) are refused in moments and in bounded memory (those two run as
 * processes, their peak RSS measured; the field checks run in-process).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { figure, runInProcess, runMeasured, STACK_TRACE, upstreamWeight } from '../helpers/faults.js';
import { compressedEncoding } from '../helpers/hdr-encoding.js';
import { type Rig, startRig } from './rig.js';

let rig: Rig;
let result: Record<string, unknown>;
let baseline: Record<string, unknown>;
beforeAll(async () => {
  rig = await startRig('stored');
  await rig.reset();
  const scenario = rig.scenario({ steps: '[100]' });
  const run = await runMeasured(['run', scenario, '--json'], { killAfterMs: 20_000 });
  if (run.code !== 0) throw new Error(`the setup run failed:\n${run.stderr}`);
  result = JSON.parse(run.stdout) as Record<string, unknown>;
  const file = join(rig.dir, 'baseline.json');
  const recorded = await runMeasured(['baseline', 'record', scenario, '--out', file, '--target', 'canary']);
  if (recorded.code !== 0) throw new Error(`the setup recording failed:\n${recorded.stderr}`);
  baseline = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
}, 60_000);
afterAll(() => rig.stop());

let n = 0;
function write(value: unknown): string {
  const file = join(rig.dir, `stored-${n++}.json`);
  writeFileSync(file, JSON.stringify(value));
  return file;
}

/** The fields of a stored step the cases break (a result's step has arms, a baseline's has counts). */
interface StepFields {
  weight: unknown;
  requests: number;
  errors: number;
  histogram: string;
  arms: { canary: { requests: number; errors: number; histogram: string } };
}

/** A deep copy with `edit` applied to its first step. */
function edited<T>(value: T, edit: (step: StepFields) => void): T {
  const copy = structuredClone(value) as T & { steps: StepFields[] };
  edit(copy.steps[0] as StepFields);
  return copy;
}

/** An uncompressed V2 header: payload length, 3 digits, 1 µs … 1 h. */
function header(payloadLength: number, totalBytes: number): Buffer {
  const raw = Buffer.alloc(totalBytes);
  raw.writeInt32BE(0x1c849313, 0);
  raw.writeInt32BE(payloadLength, 4);
  raw.writeInt32BE(3, 12);
  raw.writeBigInt64BE(1n, 16);
  raw.writeBigInt64BE(3_600_000_000n, 24);
  return raw;
}

describe('compare reads result and baseline files strictly', () => {
  const cases: { name: string; files: () => [string, string]; field: RegExp; spawn?: boolean }[] = [
    {
      name: 'a result with more errors than requests',
      files: () => [
        write(baseline),
        write(
          edited(result, (s) => {
            s.arms.canary.errors = s.arms.canary.requests + 5;
          }),
        ),
      ],
      field: /steps\[0\]\.arms\.canary\.errors: expected at most requests/,
    },
    {
      name: 'a result of schemaVersion 42',
      files: () => [write(baseline), write({ ...result, schemaVersion: 42 })],
      field: /schemaVersion: expected one of 1, found 42/,
    },
    {
      name: 'a result with requests -1',
      files: () => [
        write(baseline),
        write(
          edited(result, (s) => {
            s.arms.canary.requests = -1;
          }),
        ),
      ],
      field: /steps\[0\]\.arms\.canary\.requests: expected a number >= 0, found -1/,
    },
    {
      name: 'a result with weight "x"',
      files: () => [
        write(baseline),
        write(
          edited(result, (s) => {
            s.weight = 'x';
          }),
        ),
      ],
      field: /steps\[0\]\.weight: expected a number, found "x"/,
    },
    {
      name: 'a baseline with more errors than requests',
      files: () => [
        write(
          edited(baseline, (s) => {
            s.errors = s.requests + 1;
          }),
        ),
        write(result),
      ],
      field: /steps\[0\]\.errors: expected at most requests/,
    },
    {
      name: 'a baseline histogram inflating to 64 MB',
      spawn: true,
      files: () => [
        write(
          edited(baseline, (s) => {
            s.histogram = compressedEncoding(header(64 << 20, (64 << 20) + 40));
          }),
        ),
        write(result),
      ],
      field: /steps\.0\.histogram: inflates to more than 1048576 bytes/,
    },
    {
      name: 'a 2 GB payload claimed in a few bytes',
      spawn: true,
      files: () => [
        write(
          edited(baseline, (s) => {
            s.histogram = compressedEncoding(header(2_000_000_000, 48));
          }),
        ),
        write(result),
      ],
      field: /steps\.0\.histogram: claims a payload of 2000000000 bytes, holds 8/,
    },
    {
      name: 'a result histogram with counts past its range',
      files: () => [
        write(baseline),
        write(
          edited(result, (s) => {
            const raw = header(3, 43);
            raw.writeUInt8(0xff, 40); // ZigZag, odd: a run of about a million zeros, past every bucket
            raw.writeUInt8(0xff, 41);
            raw.writeUInt8(0x7f, 42);
            s.arms.canary.histogram = compressedEncoding(raw);
          }),
        ),
      ],
      field: /steps\.0\.arms\.canary\.histogram: counts run past the \d+ buckets/,
    },
  ];

  it.each(cases)('$name: exit 2 naming the file and the field, in bounded time and memory', async (c) => {
    const [baselineFile, resultFile] = c.files();
    const args = ['compare', baselineFile, resultFile];
    const run = c.spawn ? await runMeasured(args, { killAfterMs: 20_000 }) : await runInProcess(args);
    if ('peakRssMb' in run) {
      figure(`8 ${c.name}`, run);
      expect(run.peakRssMb).toBeLessThan(200);
    }
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(c.field);
    expect(run.stderr).toMatch(/stored-\d+\.json/);
    expect(run.stderr).not.toMatch(STACK_TRACE);
    expect(run.wallMs).toBeLessThan(5000);
    // Nothing here moves traffic: the canary stays where the setup run left it, at 100 %.
    expect(upstreamWeight(rig.nginx.upstreamFile)).toBe(100);
  });

  it('the unbroken pair compares (exit 0 or 1, not 2)', async () => {
    const run = await runInProcess(['compare', write(baseline), write(result)]);
    expect([0, 1]).toContain(run.code);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });
});
