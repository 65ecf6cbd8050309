/**
 * A request serialized once for the lean connection (h1-connection.ts): request line, headers,
 * content-length and body in one Buffer, written as is on every send. A traced request gets its
 * own copy with a traceparent line before the blank line.
 *
 * Only ordinary requests are serialized here. Anything undici would refuse or frame on its own
 * (a path or method it rejects, framing headers) is left to undici, so its checks and its errors
 * stay exactly what they were.
 */

/** A request ready for the wire. */
export interface WireRequest {
  /** The whole request, head and body. */
  readonly bytes: Buffer;
  /** Where the head's closing blank line (CRLF) starts in `bytes`. */
  readonly blankLineAt: number;
  /** A HEAD request: its response has no body whatever its headers say. */
  readonly head: boolean;
  /** Its method is idempotent: it may be sent again when a reused socket died unanswered. */
  readonly idempotent: boolean;
}

import { isIdempotent } from './h1-connection.js';

// The same bounds undici applies (lib/core/request.js, lib/core/util.js).
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const PATH = /^\/[\u0021-\u00ff]*$/;
const HEADER_VALUE = /^[\t\u0020-\u007e\u0080-\u00ff]*$/;
/** Headers that frame or re-purpose the connection: the lean path writes none of them. */
const FRAMING = new Set([
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
]);
/** Methods whose requests carry a length even when empty, as undici writes them. */
const EXPECTS_PAYLOAD = new Set(['POST', 'PUT', 'PATCH']);

/**
 * The request as one Buffer; undefined when it is not an ordinary request (see the module
 * comment). `headers` is a flat name, value list, `host` among them.
 */
export function serializeRequest(
  method: string,
  path: string,
  headers: readonly string[],
  body: Buffer | null,
): WireRequest | undefined {
  if (!TOKEN.test(method) || !PATH.test(path)) return undefined;
  let head = `${method} ${path} HTTP/1.1\r\n`;
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i] as string;
    const value = headers[i + 1] as string;
    if (!TOKEN.test(name) || !HEADER_VALUE.test(value) || FRAMING.has(name.toLowerCase())) return undefined;
    head += `${name}: ${value}\r\n`;
  }
  if (body !== null || EXPECTS_PAYLOAD.has(method)) head += `content-length: ${body?.length ?? 0}\r\n`;
  const headBytes = Buffer.from(head, 'latin1');
  const bytes = Buffer.concat([headBytes, Buffer.from('\r\n', 'latin1'), body ?? Buffer.alloc(0)]);
  return { bytes, blankLineAt: headBytes.length, head: method === 'HEAD', idempotent: isIdempotent(method) };
}

/** The request with a `traceparent` header added (a sampled request). */
export function withTraceparent(request: WireRequest, traceparent: string): Buffer {
  const at = request.blankLineAt;
  return Buffer.concat([
    request.bytes.subarray(0, at),
    Buffer.from(`traceparent: ${traceparent}\r\n`, 'latin1'),
    request.bytes.subarray(at),
  ]);
}
