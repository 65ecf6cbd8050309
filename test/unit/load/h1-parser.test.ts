import { describe, expect, it } from 'vitest';
import { MAX_HEADER_BYTES, ResponseParser } from '../../../src/load/h1-parser.js';
import { serializeRequest, withTraceparent } from '../../../src/load/h1-request.js';

interface Outcome {
  done: boolean;
  status: number;
  keepAlive: boolean;
  /** Bytes read before the response was complete (anything after is not part of it). */
  consumed: number;
}

/**
 * Feed `text` in the given pieces, each copied into one reused buffer with stale bytes after it
 * (as the connection's static read buffer holds), then the end of input if `eof`.
 */
function feed(text: string, cuts: number[], options: { head?: boolean; eof?: boolean } = {}): Outcome {
  const bytes = Buffer.from(text, 'latin1');
  const parser = new ResponseParser();
  parser.reset(options.head ?? false);
  const scratch = Buffer.alloc(bytes.length + 64, '\r\n\r\n');
  let consumed = 0;
  let from = 0;
  for (const to of [...cuts, bytes.length]) {
    if (to <= from) continue;
    bytes.copy(scratch, 0, from, to);
    scratch.fill('\r\n\r\nHTTP/1.1 200 OK\r\n\r\n', to - from);
    const at = parser.execute(scratch, 0, to - from);
    consumed += at;
    from = to;
    if (parser.done) break;
  }
  if (options.eof && !parser.done) parser.endOfInput();
  return { done: parser.done, status: parser.status, keepAlive: parser.keepAlive, consumed };
}

/** Every way to split `text` in two and in three pieces gives `expected`. */
function everySplit(text: string, expected: Partial<Outcome>, options: { head?: boolean; eof?: boolean } = {}): void {
  const n = Buffer.byteLength(text, 'latin1');
  expect(feed(text, [], options)).toMatchObject(expected);
  for (let a = 1; a < n; a++) {
    expect(feed(text, [a], options), `split at ${a}`).toMatchObject(expected);
    for (let b = a + 1; b < n; b += 3)
      expect(feed(text, [a, b], options), `split at ${a}, ${b}`).toMatchObject(expected);
  }
}

const CHUNKED =
  'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: b\r\n\r\n' +
  '5;name=value;q="x y"\r\nhello\r\n' +
  'A \r\n0123456789\r\n' +
  '0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n';

describe('lean HTTP/1.1 response parser', () => {
  it('reads a Content-Length response split at every point, and stops at its end', () => {
    const text = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\ncontent-length: 5\r\n\r\nhello';
    everySplit(text, { done: true, status: 200, keepAlive: true, consumed: text.length });
    // Bytes after the response are not part of it.
    expect(feed(`${text}HTTP/1.1`, [])).toMatchObject({ done: true, consumed: text.length });
  });

  it('reads chunked bodies with extensions and trailers, split at every point', () => {
    everySplit(CHUNKED, { done: true, status: 200, keepAlive: true, consumed: CHUNKED.length });
  });

  it('skips 100 Continue and 103 Early Hints before the final status, split at every point', () => {
    const text =
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n' +
      'HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok';
    everySplit(text, { done: true, status: 201, consumed: text.length });
  });

  it('reads no body for HEAD, 204 and 304, whatever the length says', () => {
    expect(feed('HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n', [], { head: true })).toMatchObject({
      done: true,
      status: 200,
      keepAlive: true,
    });
    for (const status of ['204 No Content', '304 Not Modified'])
      expect(feed(`HTTP/1.1 ${status}\r\nContent-Length: 9\r\n\r\n`, [])).toMatchObject({
        done: true,
        keepAlive: true,
      });
  });

  it('reads a body with neither length nor chunked until the peer closes, and does not reuse the connection', () => {
    const text = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nsome body';
    expect(feed(text, [20])).toMatchObject({ done: false });
    everySplit(text, { done: true, status: 200, keepAlive: false }, { eof: true });
    // A transfer coding other than chunked, last, is read the same way.
    expect(feed('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nxx', [], { eof: true })).toMatchObject({
      done: true,
      keepAlive: false,
    });
  });

  it('is not complete when the peer closes inside a length or chunked body', () => {
    expect(feed('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', [], { eof: true }).done).toBe(false);
    expect(feed(CHUNKED.slice(0, -4), [], { eof: true }).done).toBe(false);
  });

  it.each([
    ['Connection: close', 'HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', false],
    ['a close token in a list', 'HTTP/1.1 200 OK\r\nconnection: Upgrade, CLOSE\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.0 without keep-alive', 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', false],
    ['HTTP/1.0 with keep-alive', 'HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n', true],
    [
      'both lengths (possible smuggling)',
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      false,
    ],
    ['HTTP/1.1 by default', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', true],
  ])('honours %s', (_name, text, keepAlive) => {
    expect(feed(text, [])).toMatchObject({ done: true, keepAlive });
  });

  it('ends a header section over its bound as an error naming the bound, split or not', () => {
    const big = `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEADER_BYTES)}\r\n\r\n`;
    expect(() => feed(big, [])).toThrow(`response header section over ${MAX_HEADER_BYTES} bytes`);
    expect(() => feed(big, [100, 40_000])).toThrow(/header section over/);
    // Never ending: the bound is reached without a blank line.
    expect(() => feed(`HTTP/1.1 200 OK\r\n${'X: y\r\n'.repeat(20_000)}`, [7, 9000])).toThrow(/header section over/);
    // A section just under the bound is read.
    const fits = `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(MAX_HEADER_BYTES - 43)}\r\nContent-Length: 0\r\n\r\n`;
    expect(feed(fits, [5000])).toMatchObject({ done: true });
  });

  it('bounds trailers too', () => {
    const text = `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: ${'a'.repeat(MAX_HEADER_BYTES)}\r\n\r\n`;
    expect(() => feed(text, [])).toThrow(/trailer section over/);
  });

  it.each([
    ['garbage', 'garbage that is not HTTP at all\r\n\r\n', /status line/],
    ['another protocol version', 'HTTP/2.0 200 OK\r\n\r\n', /status line/],
    ['a two-digit status', 'HTTP/1.1 20 OK\r\n\r\n', /status/],
    ['a letter in the status', 'HTTP/1.1 2x0 OK\r\n\r\n', /3-digit status/],
    ['a header without a colon', 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', /name: value/],
    ['whitespace before the colon', 'HTTP/1.1 200 OK\r\nContent-Length : 1\r\n\r\nx', /before the colon/],
    ['obsolete line folding', 'HTTP/1.1 200 OK\r\nX-A: b\r\n c\r\n\r\n', /folding/],
    ['a bare LF inside a header', 'HTTP/1.1 200 OK\r\nX-A: b\nX-B: c\r\n\r\n', /bare LF/],
    ['a non-numeric length', 'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n', /Content-Length/],
    ['conflicting lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', /conflicting/],
    ['a length past 15 digits', 'HTTP/1.1 200 OK\r\nContent-Length: 1234567890123456\r\n\r\n', /Content-Length/],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk size/],
    ['a huge chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nfffffffffffffff\r\n', /too large/],
    ['chunk data without its CRLF', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX', /after its data/],
    ['101 Switching Protocols', 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n', /101/],
  ])('refuses %s', (_name, text, says) => {
    expect(() => feed(text, [])).toThrow(says);
    try {
      feed(text, []);
    } catch (error) {
      expect((error as { code?: string }).code).toMatch(/^CANARY_GATE_HTTP_/);
    }
  });

  it('is reusable: reset() starts the next response on the same parser', () => {
    const parser = new ResponseParser();
    const one = Buffer.from('HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!', 'latin1');
    const two = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 'latin1');
    parser.reset(false);
    expect(parser.execute(one, 0, 30)).toBe(30);
    expect(parser.execute(one, 30, one.length)).toBe(one.length);
    expect(parser.status).toBe(404);
    parser.reset(false);
    expect(parser.execute(two, 0, two.length)).toBe(two.length);
    expect([parser.done, parser.status]).toEqual([true, 200]);
  });
});

describe('Keep-Alive hint', () => {
  it('reads timeout=N from a Keep-Alive header, ignores what it cannot read, and forgets it on reset', () => {
    const cases: [string, number][] = [
      ['Keep-Alive: timeout=5', 5],
      ['keep-alive: max=100, timeout=75', 75],
      ['KEEP-ALIVE:  Timeout=3 ', 3],
      ['Keep-Alive: max=100', -1],
      ['Keep-Alive: timeout=abc', -1],
      ['Keep-Alive: timeout=', -1],
      ['X-Other: timeout=9', -1],
    ];
    for (const [header, expected] of cases) {
      const parser = new ResponseParser();
      parser.reset(false);
      const text = Buffer.from(`HTTP/1.1 200 OK\r\n${header}\r\nContent-Length: 0\r\n\r\n`, 'latin1');
      parser.execute(text, 0, text.length);
      expect([header, parser.done, parser.keepAliveTimeoutSec]).toEqual([header, true, expected]);
      parser.reset(false);
      expect(parser.keepAliveTimeoutSec).toBe(-1);
    }
  });
});

describe('lean request serialization', () => {
  it('writes the request line, headers, a length and the body once', () => {
    const wire = serializeRequest('POST', '/api?x=1', ['host', 'h:1', 'x-a', 'b'], Buffer.from('{"a":1}'));
    expect(wire?.bytes.toString('latin1')).toBe(
      'POST /api?x=1 HTTP/1.1\r\nhost: h:1\r\nx-a: b\r\ncontent-length: 7\r\n\r\n{"a":1}',
    );
    expect(serializeRequest('GET', '/', ['host', 'h'], null)?.bytes.toString('latin1')).toBe(
      'GET / HTTP/1.1\r\nhost: h\r\n\r\n',
    );
    expect(serializeRequest('PUT', '/', ['host', 'h'], null)?.bytes.toString('latin1')).toContain(
      'content-length: 0\r\n',
    );
    expect(serializeRequest('HEAD', '/', ['host', 'h'], null)?.head).toBe(true);
  });

  it('adds traceparent before the blank line of a sampled request only', () => {
    const wire = serializeRequest('POST', '/', ['host', 'h'], Buffer.from('x'));
    if (wire === undefined) throw new Error('expected a lean request');
    expect(withTraceparent(wire, '00-a-b-01').toString('latin1')).toBe(
      'POST / HTTP/1.1\r\nhost: h\r\ncontent-length: 1\r\ntraceparent: 00-a-b-01\r\n\r\nx',
    );
    expect(wire.bytes.toString('latin1')).not.toContain('traceparent');
  });

  it.each([
    ['a space in the path (undici refuses it with its own error)', 'GET', '/a b', []],
    ['a path not starting with a slash', 'GET', 'a', []],
    ['a method that is not a token', 'G T', '/', []],
    ['a framing header', 'GET', '/', ['content-length', '3']],
    ['Connection', 'GET', '/', ['Connection', 'close']],
    ['Expect', 'GET', '/', ['expect', '100-continue']],
    ['a header value with a line break', 'GET', '/', ['x-a', 'a\r\nb']],
  ])('leaves %s to undici', (_name, method, path, headers) => {
    expect(serializeRequest(method, path, ['host', 'h', ...headers], null)).toBeUndefined();
  });
});
