/**
 * Limits on what an encoded histogram may make the decoder do. A result or baseline file comes
 * from outside: a forged encoding can inflate a few hundred KB into hundreds of MB, claim a
 * payload of 2 GB, or declare a range and precision whose counts array alone fills the memory.
 * The header and the payload are read here, with bounds, before hdr-histogram-js sees them. Pure.
 */
import { inflateSync } from 'node:zlib';

/** Longest encoded histogram read, characters (ours are a few KB; every bucket of our range filled is under 600 KB). */
export const MAX_ENCODED_CHARS = 1_000_000;
/** Largest inflated payload, bytes (our range and precision at 9 bytes a bucket stay well below it). */
export const MAX_DECODED_BYTES = 1 << 20;
/** Most buckets a decoded histogram may have (ours: 23 552; 3 digits up to 2^53: 45 056; 4 digits up to 1 h: 311 296). */
export const MAX_BUCKETS = 400_000;
/** Highest precision read: 4 significant digits (each more multiplies the buckets by ten). */
export const MAX_SIGNIFICANT_DIGITS = 4;

const COMPRESSED_COOKIE_BASE = 0x1c849304;
const COOKIE_BASE = 0x1c849303;
const HEADER_BYTES = 40;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * The problem with an encoded histogram (HdrHistogram's compressed V2 form), or undefined when
 * decoding it stays within the limits above: its size, inflated size, header (precision, range,
 * payload length) and payload (every count within the declared range) are all checked.
 */
export function encodedHistogramProblem(encoded: string): string | undefined {
  if (encoded.length > MAX_ENCODED_CHARS) return `encoding of ${encoded.length} characters, over ${MAX_ENCODED_CHARS}`;
  const text = encoded.trim();
  if (!BASE64.test(text)) return 'not base64';
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length < 8) return 'too short for an HdrHistogram encoding';
  if ((bytes.readInt32BE(0) & ~0xf0) !== COMPRESSED_COOKIE_BASE) return 'not a compressed HdrHistogram V2 encoding';
  const compressedLength = bytes.readInt32BE(4);
  if (compressedLength <= 0 || compressedLength > bytes.length - 8) {
    return `claims ${compressedLength} compressed bytes, holds ${bytes.length - 8}`;
  }
  let raw: Buffer;
  try {
    raw = inflateSync(bytes.subarray(8, 8 + compressedLength), { maxOutputLength: MAX_DECODED_BYTES });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ERR_BUFFER_TOO_LARGE'
      ? `inflates to more than ${MAX_DECODED_BYTES} bytes`
      : 'compressed payload does not inflate';
  }
  return payloadProblem(raw);
}

function payloadProblem(raw: Buffer): string | undefined {
  if (raw.length < HEADER_BYTES) return 'inflated payload shorter than its header';
  if ((raw.readInt32BE(0) & ~0xf0) !== COOKIE_BASE) return 'inflated payload is not an HdrHistogram V2 histogram';
  const payloadLength = raw.readInt32BE(4);
  const digits = raw.readInt32BE(12);
  const lowest = Number(raw.readBigInt64BE(16));
  const highest = Number(raw.readBigInt64BE(24));
  if (payloadLength < 0 || payloadLength > raw.length - HEADER_BYTES) {
    return `claims a payload of ${payloadLength} bytes, holds ${raw.length - HEADER_BYTES}`;
  }
  if (!(digits >= 0 && digits <= MAX_SIGNIFICANT_DIGITS)) {
    return `${digits} significant digits; at most ${MAX_SIGNIFICANT_DIGITS} are read`;
  }
  if (!(lowest >= 1 && highest >= 2 * lowest && highest <= Number.MAX_SAFE_INTEGER)) {
    return `range ${lowest} … ${highest} is not a histogram range`;
  }
  const buckets = bucketCount(lowest, highest, digits);
  if (buckets > MAX_BUCKETS) return `range and precision need ${buckets} buckets, over ${MAX_BUCKETS}`;
  // Walk the counts (ZigZag LEB128; a negative value is a run of zeros) within the declared range.
  let index = 0;
  let at = HEADER_BYTES;
  const end = HEADER_BYTES + payloadLength;
  while (at < end) {
    let value = 0;
    let scale = 1;
    let byte = 0x80;
    for (let n = 0; n < 9 && byte & 0x80; n++) {
      if (at >= end) return 'payload ends inside a count';
      byte = raw[at++] as number;
      value += (byte & 0x7f) * scale;
      scale *= 128;
    }
    const decoded = value % 2 === 0 ? value / 2 : -(value + 1) / 2;
    index += decoded < 0 ? -decoded : 1;
    if (index > buckets) return `counts run past the ${buckets} buckets of the declared range`;
    if (decoded > 0xffffffff) return `a count of ${decoded} does not fit a 32-bit bucket`;
  }
  return undefined;
}

/** Buckets an HdrHistogram of this range and precision has (its counts array length). */
function bucketCount(lowest: number, highest: number, digits: number): number {
  const largestSingleUnit = 2 * 10 ** digits;
  const subBucketCount = 2 ** Math.ceil(Math.log2(largestSingleUnit));
  const unitMagnitude = Math.floor(Math.log2(lowest));
  let smallestUntrackable = subBucketCount * 2 ** unitMagnitude;
  let bucketsNeeded = 1;
  while (smallestUntrackable <= highest) {
    if (smallestUntrackable > Number.MAX_SAFE_INTEGER / 2) {
      bucketsNeeded++;
      break;
    }
    smallestUntrackable *= 2;
    bucketsNeeded++;
  }
  return (bucketsNeeded + 1) * (subBucketCount / 2);
}
