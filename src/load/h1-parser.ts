/**
 * An incremental HTTP/1.1 response parser for the lean connection (h1-connection.ts). It reads
 * only what the engine needs — the final status, how the body ends, whether the connection may
 * carry another request — and skips the rest, so a response costs a scan of its bytes and no
 * allocation. Bytes may arrive split anywhere; every section is bounded.
 *
 * What it handles (RFC 9112): the status line (HTTP/1.0 and 1.1); interim 1xx responses before
 * the final one (101 is refused: the engine never asks to upgrade); Content-Length;
 * Transfer-Encoding: chunked with extensions and trailers; no body for HEAD, 204 and 304; a body
 * read until the peer closes when neither length nor chunked is given (the connection is then not
 * reused); `Connection: close` and HTTP/1.0 keep-alive. Obsolete line folding, a malformed
 * length or chunk size, and conflicting lengths are errors.
 */

/** Most bytes of a response's header section, and of its trailer section. */
export const MAX_HEADER_BYTES = 64 * 1024;

/** A response the parser cannot read; the connection it came on cannot be trusted again. */
export class ResponseParseError extends Error {
  readonly code: string;
  constructor(message: string, code = 'CANARY_GATE_HTTP_PARSE') {
    super(message);
    this.name = 'ResponseParseError';
    this.code = code;
  }
}

/** The header section (or the trailers) went past MAX_HEADER_BYTES. */
export class HeaderOverflowError extends ResponseParseError {
  constructor(section: 'header' | 'trailer') {
    super(`response ${section} section over ${MAX_HEADER_BYTES} bytes`, 'CANARY_GATE_HTTP_HEADER_OVERFLOW');
    this.name = 'HeaderOverflowError';
  }
}

const HEAD = 0;
const BODY_LENGTH = 1;
const BODY_UNTIL_CLOSE = 2;
const CHUNK_SIZE = 3;
const CHUNK_EXTENSION = 4;
const CHUNK_SIZE_LF = 5;
const CHUNK_DATA = 6;
const CHUNK_DATA_CR = 7;
const CHUNK_DATA_LF = 8;
const TRAILER_START = 9;
const TRAILER_LINE = 10;
const TRAILER_LINE_LF = 11;
const TRAILER_END_LF = 12;
const DONE = 13;

const CR = 13;
const LF = 10;
const SP = 32;
const HT = 9;
/** Hex digits of a chunk size beyond which it would pass Number.MAX_SAFE_INTEGER. */
const MAX_CHUNK_SIZE_DIGITS = 13;
/** Decimal digits of a Content-Length, for the same reason. */
const MAX_LENGTH_DIGITS = 15;

const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding', 'latin1');
const CONNECTION = Buffer.from('connection', 'latin1');
const CHUNKED = Buffer.from('chunked', 'latin1');
const CLOSE = Buffer.from('close', 'latin1');
const KEEP_ALIVE = Buffer.from('keep-alive', 'latin1');
const TIMEOUT_PARAM = Buffer.from('timeout', 'latin1');
const END_OF_HEAD = Buffer.from('\r\n\r\n', 'latin1');

/** Whether b[from, to) equals the lower-case token `word`, ignoring ASCII case. */
function equalsLower(b: Buffer, from: number, to: number, word: Buffer): boolean {
  if (to - from !== word.length) return false;
  // `| 0x20` lower-cases letters and leaves '-' as it is; no other byte of a header line maps
  // onto a lower-case letter or '-' (CR, which would, never occurs inside a line).
  for (let i = 0; i < word.length; i++) if (((b[from + i] as number) | 0x20) !== word[i]) return false;
  return true;
}

function isOws(c: number): boolean {
  return c === SP || c === HT;
}

/** Hex value of a byte, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}

/** Reads one response at a time; `reset()` before each request. */
export class ResponseParser {
  /** Final status of the response being read (0 until its header section is complete). */
  status = 0;
  /** Whether the connection may carry another request once this response is complete. */
  keepAlive = true;
  /** Seconds the server says it keeps an idle connection (`Keep-Alive: timeout=N`), or -1. */
  keepAliveTimeoutSec = -1;
  #state = HEAD;
  #headRequest = false;
  /** Bytes still to come: of the body (Content-Length) or of the current chunk. */
  #remaining = 0;
  #chunkDigits = 0;
  /** Bytes of the current chunk-size line, or of the trailer section so far. */
  #lineBytes = 0;
  /** A header section split across reads, gathered here (allocated on the first split). */
  #pending: Buffer | undefined;
  #pendingLength = 0;

  /** Start reading the response to a new request; `headRequest`: the request was HEAD. */
  reset(headRequest: boolean): void {
    this.status = 0;
    this.keepAlive = true;
    this.keepAliveTimeoutSec = -1;
    this.#state = HEAD;
    this.#headRequest = headRequest;
    this.#remaining = 0;
    this.#chunkDigits = 0;
    this.#lineBytes = 0;
    // A header section cut off mid-way (a deadline, a peer close) leaves its buffer: let it go.
    if (this.#pendingLength > 0) this.#pending = undefined;
    this.#pendingLength = 0;
  }

  /** Whether the response is complete. */
  get done(): boolean {
    return this.#state === DONE;
  }

  /** Whether the response's body runs until the peer closes. */
  get readsUntilClose(): boolean {
    return this.#state === BODY_UNTIL_CLOSE;
  }

  /**
   * Read b[start, end); returns where it stopped: `end`, or the byte after the response once it
   * is complete (anything after that is not part of it). Throws ResponseParseError.
   */
  execute(b: Buffer, start: number, end: number): number {
    let at = start;
    while (at < end) {
      switch (this.#state) {
        case HEAD:
          at = this.#head(b, at, end);
          break;
        case BODY_LENGTH:
        case CHUNK_DATA: {
          // Body bytes are skipped, not read.
          const take = Math.min(this.#remaining, end - at);
          at += take;
          this.#remaining -= take;
          if (this.#remaining === 0) this.#state = this.#state === BODY_LENGTH ? DONE : CHUNK_DATA_CR;
          break;
        }
        case BODY_UNTIL_CLOSE:
          return end;
        case DONE:
          return at;
        default:
          this.#chunkByte(b[at] as number);
          at++;
      }
      if (this.#state === DONE) return at;
    }
    return at;
  }

  /** The peer closed the connection: whether that completes the response (a body until close). */
  endOfInput(): boolean {
    if (this.#state === BODY_UNTIL_CLOSE) {
      this.#state = DONE;
      return true;
    }
    return this.#state === DONE;
  }

  /** Gather the header section; parse it once its blank line has come. */
  #head(b: Buffer, at: number, end: number): number {
    if (this.#pendingLength === 0) {
      // Bytes past `end` are stale: a match there is no match.
      const found = b.indexOf(END_OF_HEAD, at);
      if (found >= 0 && found + 4 <= end) {
        if (found + 4 - at > MAX_HEADER_BYTES) throw new HeaderOverflowError('header');
        this.#parseHead(b, at, found + 4);
        return found + 4;
      }
    }
    if (this.#pending === undefined) this.#pending = Buffer.allocUnsafe(MAX_HEADER_BYTES);
    const pending = this.#pending;
    const had = this.#pendingLength;
    const copied = b.copy(pending, had, at, Math.min(end, at + MAX_HEADER_BYTES - had));
    this.#pendingLength = had + copied;
    const found = pending.subarray(0, this.#pendingLength).indexOf(END_OF_HEAD, Math.max(0, had - 3));
    if (found < 0) {
      if (this.#pendingLength >= MAX_HEADER_BYTES) {
        this.#pending = undefined;
        throw new HeaderOverflowError('header');
      }
      return at + copied;
    }
    this.#pendingLength = 0;
    // Splits are rare; holding 64 KiB per connection for them is not (a thousand connections).
    this.#pending = undefined;
    this.#parseHead(pending, 0, found + 4);
    return at + (found + 4 - had);
  }

  /** One header section b[from, to), ending in CRLF CRLF: a 1xx (then read on) or the final one. */
  #parseHead(b: Buffer, from: number, to: number): void {
    // Status line: HTTP/1.x SP 3DIGIT [SP reason] CRLF
    if (
      to - from < 14 ||
      b[from] !== 72 || // H
      b[from + 1] !== 84 || // T
      b[from + 2] !== 84 ||
      b[from + 3] !== 80 || // P
      b[from + 4] !== 47 || // /
      b[from + 5] !== 49 || // 1
      b[from + 6] !== 46 || // .
      (b[from + 7] !== 48 && b[from + 7] !== 49) ||
      b[from + 8] !== SP
    )
      throw new ResponseParseError('malformed status line: expected "HTTP/1.0" or "HTTP/1.1" and a status');
    let status = 0;
    for (let i = from + 9; i < from + 12; i++) {
      const d = (b[i] as number) - 48;
      if (d < 0 || d > 9) throw new ResponseParseError('malformed status line: expected a 3-digit status');
      status = status * 10 + d;
    }
    if (status < 100) throw new ResponseParseError(`malformed status line: status ${status}`);
    const after = b[from + 12];
    if (after !== SP && after !== CR)
      throw new ResponseParseError('malformed status line: expected a space after the status');
    const http10 = b[from + 7] === 48;
    let lineEnd = b.indexOf(CR, from + 12);
    if (b[lineEnd + 1] !== LF) throw new ResponseParseError('malformed status line: expected CRLF');

    let contentLength = -1;
    let transferEncoding = false;
    let chunked = false;
    let close = false;
    let keepAliveToken = false;
    let line = lineEnd + 2;
    // The section ends in CRLF CRLF: the last line is empty.
    while (line < to - 2) {
      lineEnd = b.indexOf(CR, line);
      if (lineEnd < 0 || lineEnd >= to || b[lineEnd + 1] !== LF)
        throw new ResponseParseError('malformed header line: a bare CR');
      const first = b[line] as number;
      if (isOws(first)) throw new ResponseParseError('malformed header line: obsolete line folding');
      const colon = b.indexOf(58, line);
      if (colon < 0 || colon > lineEnd || colon === line)
        throw new ResponseParseError('malformed header line: expected "name: value"');
      if (isOws(b[colon - 1] as number))
        throw new ResponseParseError('malformed header line: whitespace before the colon');
      for (let i = line; i < lineEnd; i++)
        if (b[i] === LF || b[i] === 0) throw new ResponseParseError('malformed header line: a bare LF or NUL');
      let valueStart = colon + 1;
      let valueEnd = lineEnd;
      while (valueStart < valueEnd && isOws(b[valueStart] as number)) valueStart++;
      while (valueEnd > valueStart && isOws(b[valueEnd - 1] as number)) valueEnd--;
      const nameLength = colon - line;
      if (nameLength === CONTENT_LENGTH.length && equalsLower(b, line, colon, CONTENT_LENGTH)) {
        const length = parseLength(b, valueStart, valueEnd);
        if (contentLength >= 0 && contentLength !== length)
          throw new ResponseParseError('conflicting Content-Length headers');
        contentLength = length;
      } else if (nameLength === TRANSFER_ENCODING.length && equalsLower(b, line, colon, TRANSFER_ENCODING)) {
        transferEncoding = true;
        // Chunked only when it is the last coding applied.
        let lastStart = valueStart;
        for (let i = valueStart; i < valueEnd; i++) if (b[i] === 44) lastStart = i + 1;
        while (lastStart < valueEnd && isOws(b[lastStart] as number)) lastStart++;
        chunked = equalsLower(b, lastStart, valueEnd, CHUNKED);
      } else if (nameLength === KEEP_ALIVE.length && equalsLower(b, line, colon, KEEP_ALIVE)) {
        this.keepAliveTimeoutSec = keepAliveTimeout(b, valueStart, valueEnd);
      } else if (nameLength === CONNECTION.length && equalsLower(b, line, colon, CONNECTION)) {
        let tokenStart = valueStart;
        for (let i = valueStart; i <= valueEnd; i++) {
          if (i < valueEnd && b[i] !== 44) continue;
          let s = tokenStart;
          let e = i;
          while (s < e && isOws(b[s] as number)) s++;
          while (e > s && isOws(b[e - 1] as number)) e--;
          if (equalsLower(b, s, e, CLOSE)) close = true;
          else if (equalsLower(b, s, e, KEEP_ALIVE)) keepAliveToken = true;
          tokenStart = i + 1;
        }
      }
      line = lineEnd + 2;
    }

    if (status < 200) {
      if (status === 101) throw new ResponseParseError('unexpected 101 Switching Protocols: no upgrade was asked for');
      // An interim response (100 Continue, 103 Early Hints): the final one follows.
      return;
    }
    this.status = status;
    this.keepAlive = !close && (!http10 || keepAliveToken);
    if (this.#headRequest || status === 204 || status === 304) {
      this.#state = DONE;
    } else if (transferEncoding) {
      // Transfer-Encoding overrides Content-Length; a message with both may be smuggling, so the
      // connection is not reused after it (RFC 9112 §6.3).
      if (contentLength >= 0) this.keepAlive = false;
      if (chunked) {
        this.#state = CHUNK_SIZE;
        this.#chunkDigits = 0;
        this.#remaining = 0;
        this.#lineBytes = 0;
      } else {
        this.#state = BODY_UNTIL_CLOSE;
        this.keepAlive = false;
      }
    } else if (contentLength >= 0) {
      this.#remaining = contentLength;
      this.#state = contentLength === 0 ? DONE : BODY_LENGTH;
    } else {
      this.#state = BODY_UNTIL_CLOSE;
      this.keepAlive = false;
    }
  }

  /** One byte of chunk framing: size line, the CRLF after data, trailers. */
  #chunkByte(c: number): void {
    switch (this.#state) {
      case CHUNK_SIZE: {
        const v = hexValue(c);
        if (v >= 0) {
          if (++this.#chunkDigits > MAX_CHUNK_SIZE_DIGITS) throw new ResponseParseError('chunk size too large');
          this.#remaining = this.#remaining * 16 + v;
          this.#lineBytes++;
          return;
        }
        if (this.#chunkDigits === 0) throw new ResponseParseError('malformed chunk size: expected a hex digit');
        if (c === CR) this.#state = CHUNK_SIZE_LF;
        else if (c === 59 || isOws(c))
          this.#state = CHUNK_EXTENSION; // ';' or whitespace before it
        else throw new ResponseParseError('malformed chunk size line');
        return;
      }
      case CHUNK_EXTENSION:
        if (c === CR) this.#state = CHUNK_SIZE_LF;
        else if (c === LF) throw new ResponseParseError('malformed chunk extension: a bare LF');
        else if (++this.#lineBytes > MAX_HEADER_BYTES) throw new HeaderOverflowError('header');
        return;
      case CHUNK_SIZE_LF:
        if (c !== LF) throw new ResponseParseError('malformed chunk size line: expected CRLF');
        this.#lineBytes = 0;
        this.#chunkDigits = 0;
        if (this.#remaining === 0) this.#state = TRAILER_START;
        else this.#state = CHUNK_DATA;
        return;
      case CHUNK_DATA_CR:
        if (c !== CR) throw new ResponseParseError('malformed chunk: expected CRLF after its data');
        this.#state = CHUNK_DATA_LF;
        return;
      case CHUNK_DATA_LF:
        if (c !== LF) throw new ResponseParseError('malformed chunk: expected CRLF after its data');
        this.#state = CHUNK_SIZE;
        return;
      case TRAILER_START:
        if (c === CR) this.#state = TRAILER_END_LF;
        else if (c === LF || isOws(c)) throw new ResponseParseError('malformed trailer line');
        else this.#trailerByte(TRAILER_LINE);
        return;
      case TRAILER_LINE:
        if (c === CR) this.#trailerByte(TRAILER_LINE_LF);
        else if (c === LF) throw new ResponseParseError('malformed trailer line: a bare LF');
        else this.#trailerByte(TRAILER_LINE);
        return;
      case TRAILER_LINE_LF:
        if (c !== LF) throw new ResponseParseError('malformed trailer line: expected CRLF');
        this.#trailerByte(TRAILER_START);
        return;
      case TRAILER_END_LF:
        if (c !== LF) throw new ResponseParseError('malformed end of trailers: expected CRLF');
        this.#state = DONE;
        return;
    }
  }

  #trailerByte(next: number): void {
    if (++this.#lineBytes > MAX_HEADER_BYTES) throw new HeaderOverflowError('trailer');
    this.#state = next;
  }
}

/** A Content-Length value: 1DIGIT+, bounded. */
function parseLength(b: Buffer, from: number, to: number): number {
  if (to === from || to - from > MAX_LENGTH_DIGITS) throw new ResponseParseError('malformed Content-Length');
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = (b[i] as number) - 48;
    if (d < 0 || d > 9) throw new ResponseParseError('malformed Content-Length');
    n = n * 10 + d;
  }
  return n;
}

/**
 * The `timeout=N` parameter of a Keep-Alive header value (RFC 2068 §19.7.1.1), in seconds, or -1
 * when absent or malformed: a hint, never an error.
 */
function keepAliveTimeout(b: Buffer, from: number, to: number): number {
  let at = from;
  while (at < to) {
    let end = at;
    while (end < to && b[end] !== 44) end++;
    let s = at;
    while (s < end && isOws(b[s] as number)) s++;
    const eq = b.indexOf(61, s);
    if (eq > s && eq < end && equalsLower(b, s, eq, TIMEOUT_PARAM)) {
      let n = 0;
      let digits = 0;
      for (let i = eq + 1; i < end && !isOws(b[i] as number); i++) {
        const d = (b[i] as number) - 48;
        if (d < 0 || d > 9 || ++digits > 9) return -1;
        n = n * 10 + d;
      }
      return digits > 0 ? n : -1;
    }
    at = end + 1;
  }
  return -1;
}
