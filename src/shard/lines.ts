/**
 * Lines from a stream, each bounded: a line past `maxBytes` is an error as soon as it passes the
 * bound, before the rest of it is held in memory (readline would buffer it whole).
 */
import type { Readable } from 'node:stream';

/** A line longer than the bound. */
export class LineTooLongError extends Error {
  constructor(maxBytes: number) {
    super(`a line longer than ${maxBytes} bytes`);
    this.name = 'LineTooLongError';
  }
}

/**
 * Each complete line of `stream` (without its newline; a last line without one counts too), in
 * order. Throws LineTooLongError, or the stream's own error.
 */
export async function* boundedLines(stream: Readable, maxBytes: number): AsyncGenerator<string> {
  let parts: Buffer[] = [];
  let held = 0;
  for await (const chunk of stream) {
    let buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    for (let nl = buffer.indexOf(10); nl !== -1; nl = buffer.indexOf(10)) {
      if (held + nl > maxBytes) throw new LineTooLongError(maxBytes);
      parts.push(buffer.subarray(0, nl));
      yield Buffer.concat(parts).toString('utf8');
      parts = [];
      held = 0;
      buffer = buffer.subarray(nl + 1);
    }
    held += buffer.length;
    if (held > maxBytes) throw new LineTooLongError(maxBytes);
    if (buffer.length > 0) parts.push(buffer);
  }
  if (held > 0) yield Buffer.concat(parts).toString('utf8');
}
