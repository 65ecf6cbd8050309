/** Forged HdrHistogram encodings, for the tests that check decoding is bounded. */
import { deflateSync } from 'node:zlib';

/** An HdrHistogram V2 compressed encoding (base64) around `raw`, an uncompressed payload whose header the caller writes. */
export function compressedEncoding(raw: Buffer): string {
  const compressed = deflateSync(raw);
  const out = Buffer.alloc(8 + compressed.length);
  out.writeInt32BE(0x1c849314, 0);
  out.writeInt32BE(compressed.length, 4);
  compressed.copy(out, 8);
  return out.toString('base64');
}
