import { describe, expect, it } from 'vitest';
import { createHistogram, decodeHistogram, encodeHistogram, recordMs } from '../../../src/hdr/histogram.js';
import { encodedHistogramProblem, MAX_DECODED_BYTES } from '../../../src/hdr/limits.js';
import { compressedEncoding } from '../../helpers/hdr-encoding.js';

function payload(o: { length: number; bytes: number; digits?: number; lowest?: bigint; highest?: bigint }): Buffer {
  const raw = Buffer.alloc(o.bytes);
  raw.writeInt32BE(0x1c849313, 0);
  raw.writeInt32BE(o.length, 4);
  raw.writeInt32BE(o.digits ?? 3, 12);
  raw.writeBigInt64BE(o.lowest ?? 1n, 16);
  raw.writeBigInt64BE(o.highest ?? 3_600_000_000n, 24);
  return raw;
}

describe('histogram decoding limits', () => {
  it('passes our own encodings, full ones included', () => {
    const h = createHistogram();
    for (let ms = 0.001; ms < 3_600_000; ms *= 1.01) recordMs(h, ms);
    const encoded = encodeHistogram(h);
    expect(encodedHistogramProblem(encoded)).toBeUndefined();
    expect(decodeHistogram(encoded).totalCount).toBe(h.totalCount);
  });

  it.each([
    ['not base64', '!!!', /not base64/],
    ['too short', Buffer.from([1, 2]).toString('base64'), /too short/],
    ['another cookie', Buffer.alloc(16).toString('base64'), /not a compressed HdrHistogram V2/],
    [
      'a bomb',
      compressedEncoding(payload({ length: 2 * MAX_DECODED_BYTES, bytes: 2 * MAX_DECODED_BYTES + 40 })),
      /inflates to more than/,
    ],
    [
      'a claimed 2 GB payload',
      compressedEncoding(payload({ length: 2_000_000_000, bytes: 48 })),
      /claims a payload of 2000000000 bytes/,
    ],
    ['9 digits', compressedEncoding(payload({ length: 0, bytes: 40, digits: 9 })), /9 significant digits/],
    [
      'an empty range',
      compressedEncoding(payload({ length: 0, bytes: 40, lowest: 10n, highest: 10n })),
      /not a histogram range/,
    ],
  ])('refuses %s', (_name, encoded, why) => {
    expect(encodedHistogramProblem(encoded)).toMatch(why);
    expect(() => decodeHistogram(encoded)).toThrow(why);
  });
});
