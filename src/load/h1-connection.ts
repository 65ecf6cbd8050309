/**
 * A lean HTTP/1.1 keep-alive connection on `node:net`, for plain `http:` targets at pipelining 1
 * (https, and the closed model's pipelining above 1, keep undici: see target-pool.ts). At 20 000/s
 * the generator's thread spent most of its CPU around the request rather than in it — undici's
 * request objects and parser callbacks, a Readable stream and a Buffer per read — so a hiccup left
 * it too little headroom to drain a backlog (docs/benchmarks.md, sessions 3–5). Here a request is
 * one pre-serialized Buffer written as is, responses are read with `onread` into one static buffer
 * (no stream, no Buffer per read) by an incremental parser (h1-parser.ts), and the connection takes
 * the next request the moment its response is complete.
 *
 * Each connection carries one exchange at a time. When the server says `Connection: close`, sends
 * a body that runs until close, or sends bytes nobody asked for, the socket is dropped and the next
 * request opens a new one. Failures carry codes error-class.ts classifies: refused and reset from
 * the socket, a peer that closes mid-response as a reset, the connect timeout as a timeout.
 *
 * A kept-alive socket can be closed by the server while it is idle (its keep-alive timeout, a
 * graceful shutdown, a server that closes after each response without saying so), and the close
 * may reach us only after the next request was written. Counting that as the service resetting
 * the request would be a false error, so, as undici does: a socket idle longer than the server's
 * `Keep-Alive: timeout` hint less a second (4 s without a hint) is not reused, and an idempotent
 * request on a reused socket that ends before any byte of its response is sent once more on a
 * fresh socket. A fresh socket is never retried: a server that drops every request still fails
 * every request.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ResponseParser } from './h1-parser.js';

/** What a connection reports to (the engine's Exchange). */
export interface H1Handler {
  /** The final status; the response is complete and the connection free when onComplete follows. */
  onHeaders(status: number): boolean;
  onComplete(): void;
  onError(error: Error): void;
}

/** The socket closed before the response was complete. */
export class PeerClosedError extends Error {
  readonly code = 'CANARY_GATE_PEER_CLOSED';
  constructor() {
    super('the server closed the connection before the response was complete');
    this.name = 'PeerClosedError';
  }
}

/** No connection within the connect timeout. */
export class ConnectTimeoutError extends Error {
  readonly code = 'CANARY_GATE_CONNECT_TIMEOUT';
  constructor(timeoutMs: number) {
    super(`no connection within ${timeoutMs} ms`);
    this.name = 'ConnectTimeoutError';
  }
}

/** A request on a closed connection (the run is over). */
export class ConnectionClosedError extends Error {
  readonly code = 'CANARY_GATE_CONNECTION_CLOSED';
  constructor() {
    super('the connection is closed');
    this.name = 'ConnectionClosedError';
  }
}

/**
 * Every connection of a thread reads into this one buffer: a read is handled synchronously
 * before the next one, and the parser copies only a header section split across reads.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

/** How long a socket may sit idle and still be reused when the server gives no Keep-Alive hint (undici's default). */
const DEFAULT_IDLE_MS = 4_000;
/** The longest idle reuse a server's hint can ask for. */
const MAX_IDLE_MS = 600_000;
/** Methods whose request may be sent twice (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** Whether a request with this method may be sent again after its reused socket died unanswered. */
export function isIdempotent(method: string): boolean {
  return IDEMPOTENT.has(method);
}

/** Where a connection goes. */
export interface H1Origin {
  host: string;
  port: number;
  connectTimeoutMs: number;
}

/** One keep-alive connection, opened on first use and again after the server closed it. */
export class H1Connection {
  readonly #origin: H1Origin;
  readonly #parser = new ResponseParser();
  #socket: Socket | undefined;
  #handler: H1Handler | undefined;
  #closed = false;
  #whenIdle: (() => void) | undefined;
  /** Responses completed on the current socket: above 0 it is a reused socket. */
  #responses = 0;
  /** When the current socket last completed a response (performance.now() ms). */
  #idleSinceMs = 0;
  /** How long the current socket may sit idle and still be reused. */
  #idleLimitMs = DEFAULT_IDLE_MS;
  /** The request in flight, kept to send once more (see the module comment). */
  #request: Buffer | undefined;
  #headRequest = false;
  #retryable = false;
  /** Whether any byte of the response in flight has come. */
  #answered = false;

  constructor(origin: H1Origin) {
    this.#origin = origin;
  }

  /** Whether an exchange is in flight. */
  get busy(): boolean {
    return this.#handler !== undefined;
  }

  /**
   * Write one request (`head`: it is a HEAD request, so its response has no body; `idempotent`: it
   * may be sent again, see the module comment; `nowMs`: the caller's performance.now(), read once
   * per send). Failures, even one known at once, reach `handler.onError`.
   */
  send(handler: H1Handler, request: Buffer, head: boolean, idempotent: boolean, nowMs: number): void {
    if (this.#closed || this.#handler !== undefined) {
      handler.onError(new ConnectionClosedError());
      return;
    }
    if (this.#socket !== undefined && nowMs - this.#idleSinceMs > this.#idleLimitMs) this.#drop();
    const socket = this.#socket ?? this.#open();
    this.#handler = handler;
    this.#request = request;
    this.#headRequest = head;
    this.#retryable = idempotent;
    this.#answered = false;
    this.#parser.reset(head);
    socket.write(request);
  }

  /** Cut `handler`'s exchange if it is the one in flight (its deadline passed): the socket goes, it ends with `error`. */
  abort(handler: H1Handler, error: Error): void {
    if (this.#handler === handler) this.#fail(error);
  }

  /** Close: at once with `force` (an exchange in flight fails), else once the exchange in flight ends. */
  close(force: boolean): Promise<void> {
    this.#closed = true;
    if (force || this.#handler === undefined) {
      this.#fail(new ConnectionClosedError());
      this.#drop();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.#whenIdle = () => {
        this.#drop();
        resolve();
      };
    });
  }

  #open(): Socket {
    const { host, port, connectTimeoutMs } = this.#origin;
    this.#responses = 0;
    this.#idleLimitMs = DEFAULT_IDLE_MS;
    const socket: Socket = connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (nread: number, buffer: Uint8Array) => this.#read(socket, nread, buffer),
      },
    });
    this.#socket = socket;
    const timer =
      connectTimeoutMs > 0
        ? setTimeout(() => socket.destroy(new ConnectTimeoutError(connectTimeoutMs)), connectTimeoutMs)
        : undefined;
    if (timer !== undefined) socket.once('connect', () => clearTimeout(timer));
    socket.on('error', (error: Error) => {
      if (socket === this.#socket) this.#socketFailed(error);
    });
    // The peer finished (end) or the socket went (close): a body until close completes here,
    // anything else in flight was cut by the peer.
    const ended = (): void => {
      if (timer !== undefined) clearTimeout(timer);
      if (socket !== this.#socket) return;
      const handler = this.#handler;
      if (handler !== undefined && this.#parser.endOfInput()) {
        this.#complete(handler, true);
        return;
      }
      this.#socketFailed(new PeerClosedError());
    };
    socket.on('end', ended);
    socket.on('close', ended);
    return socket;
  }

  #read(socket: Socket, nread: number, buffer: Uint8Array): boolean {
    if (socket !== this.#socket) return true;
    const handler = this.#handler;
    if (handler === undefined) {
      // Bytes nobody asked for: nothing after them can be trusted.
      this.#drop();
      return true;
    }
    if (nread > 0) this.#answered = true;
    let at: number;
    try {
      at = this.#parser.execute(buffer as Buffer, 0, nread);
    } catch (error) {
      this.#fail(error as Error);
      return true;
    }
    if (this.#parser.done) this.#complete(handler, at < nread);
    return true;
  }

  /** The response is complete; `drop`: the socket cannot carry another request. */
  #complete(handler: H1Handler, drop: boolean): void {
    this.#handler = undefined;
    this.#request = undefined;
    if (drop || !this.#parser.keepAlive) this.#drop();
    else {
      this.#responses++;
      this.#idleSinceMs = performance.now();
      const hintSec = this.#parser.keepAliveTimeoutSec;
      if (hintSec >= 0) this.#idleLimitMs = Math.min(MAX_IDLE_MS, Math.max(0, hintSec * 1000 - 1000));
    }
    // The connection is free before the handler hears of it: the handler may send again at once.
    handler.onHeaders(this.#parser.status);
    handler.onComplete();
    this.#settleClose();
  }

  /**
   * The socket errored or the peer closed it with an exchange in flight: send it once more on a
   * fresh socket when the socket was reused and not a byte of the answer came, else fail it.
   */
  #socketFailed(error: Error): void {
    const request = this.#request;
    if (
      this.#handler !== undefined &&
      request !== undefined &&
      this.#retryable &&
      this.#responses > 0 &&
      !this.#answered &&
      !this.#closed
    ) {
      this.#drop();
      this.#retryable = false;
      this.#parser.reset(this.#headRequest);
      this.#open().write(request);
      return;
    }
    this.#fail(error);
  }

  #fail(error: Error): void {
    const handler = this.#handler;
    this.#handler = undefined;
    this.#request = undefined;
    this.#drop();
    handler?.onError(error);
    this.#settleClose();
  }

  #drop(): void {
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.destroy();
  }

  #settleClose(): void {
    const whenIdle = this.#whenIdle;
    if (whenIdle === undefined || this.#handler !== undefined) return;
    this.#whenIdle = undefined;
    whenIdle();
  }
}
