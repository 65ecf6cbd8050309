/**
 * The lean HTTP/1.1 connection (src/load/h1-connection.ts) that plain http: targets use, against
 * real servers on 127.0.0.1: Node's HTTP server and raw TCP servers that write exactly the bytes
 * a case needs (closing after each response, a body until close, a reset mid-response, garbage).
 */

import { createServer as createHttpServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, expect, it } from 'vitest';
import { runLoad } from '../../../src/load/engine.js';
import { classifyTransportError } from '../../../src/load/error-class.js';
import { H1Connection } from '../../../src/load/h1-connection.js';
import { MAX_HEADER_BYTES } from '../../../src/load/h1-parser.js';
import { serializeRequest } from '../../../src/load/h1-request.js';
import { TargetPool } from '../../../src/load/target-pool.js';
import { planFor } from '../../helpers/plan.js';

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanup.length > 0) await cleanup.pop()?.();
});

/** Node's HTTP server with `handle`; counts the sockets it accepted. */
async function httpServer(
  handle: Parameters<typeof createHttpServer>[1],
): Promise<{ url: string; port: number; sockets: () => number }> {
  let sockets = 0;
  const server: Server = createHttpServer({ keepAliveTimeout: 60_000 }, handle);
  server.on('connection', () => sockets++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, sockets: () => sockets };
}

/** A raw TCP server: `answer` is called with the socket at each request's first bytes. */
async function rawServer(
  answer: (socket: Socket) => void,
): Promise<{ url: string; port: number; sockets: () => number }> {
  const open = new Set<Socket>();
  let sockets = 0;
  const server: NetServer = createNetServer((socket) => {
    sockets++;
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    socket.on('error', () => undefined);
    socket.on('data', () => answer(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    for (const socket of open) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const port = (server.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}`, port, sockets: () => sockets };
}

/** One exchange on a connection: its status, or its error. */
function exchange(connection: H1Connection, method = 'GET'): Promise<{ status: number; error?: Error }> {
  const wire = serializeRequest(method, '/', ['host', 'test'], null);
  if (wire === undefined) throw new Error('expected a lean request');
  return new Promise((resolve) => {
    let status = 0;
    connection.send(
      {
        onHeaders: (s) => {
          status = s;
          return true;
        },
        onComplete: () => resolve({ status }),
        onError: (error) => resolve({ status, error }),
      },
      wire.bytes,
      wire.head,
      wire.idempotent,
      performance.now(),
    );
  });
}

/** `count` requests sent one after another, each the moment the previous ended: status or error code of each. */
function chain(connection: H1Connection, method: string, count: number): Promise<string[]> {
  const wire = serializeRequest(method, '/', ['host', 'test'], method === 'POST' ? Buffer.from('x') : null);
  if (wire === undefined) throw new Error('expected a lean request');
  const outcomes: string[] = [];
  return new Promise((resolve) => {
    const next = (): void => {
      if (outcomes.length === count) {
        resolve(outcomes);
        return;
      }
      let status = 0;
      connection.send(
        {
          onHeaders: (s) => {
            status = s;
            return true;
          },
          onComplete: () => {
            outcomes.push(String(status));
            next();
          },
          onError: (error) => {
            outcomes.push(String((error as { code?: string }).code));
            next();
          },
        },
        wire.bytes,
        wire.head,
        wire.idempotent,
        performance.now(),
      );
    };
    next();
  });
}

/** An open-model load of `count` requests at 100/s on `connections`: its counters. */
async function load(url: string, count: number, connections = 2, timeoutMs = 2000) {
  const result = await runLoad(planFor(url, { ratePerSec: 100, durationMs: count * 10, connections, timeoutMs }));
  return result.total.counters;
}

describe('lean HTTP/1.1 connection', () => {
  it('is what a plain http: target uses; https and pipelining keep undici', () => {
    const options = { connections: 2, pipelining: 1, timeoutMs: 1000, model: 'open' as const, backlogCapacity: 10 };
    const mix = [{ method: 'GET', path: '/', weight: 1 }];
    expect(new TargetPool({ arm: 'a', url: 'http://127.0.0.1:1', weight: 1 }, mix, options).lean).toBe(true);
    expect(new TargetPool({ arm: 'a', url: 'https://127.0.0.1:1', weight: 1 }, mix, options).lean).toBe(false);
    expect(
      new TargetPool({ arm: 'a', url: 'http://127.0.0.1:1', weight: 1 }, mix, { ...options, pipelining: 2 }).lean,
    ).toBe(false);
  });

  it('reuses keep-alive connections: 60 requests on at most 2 sockets', async () => {
    const server = await httpServer((_req, res) => res.end('ok'));
    const c = await load(server.url, 60, 2);
    expect(c.responses).toBe(60);
    expect(c.errors).toBe(0);
    expect(server.sockets()).toBeLessThanOrEqual(2);
  });

  it('opens a new socket after a server that closes after each response', async () => {
    const server = await httpServer((_req, res) => {
      res.setHeader('connection', 'close');
      res.end('bye');
    });
    const c = await load(server.url, 30, 2);
    expect(c.responses).toBe(30);
    expect(c.errors).toBe(0);
    expect(server.sockets()).toBe(30);
  });

  it('reads a body until close and chunked bodies with trailers', async () => {
    const untilClose = await rawServer((socket) =>
      socket.end('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil close'),
    );
    const a = await load(untilClose.url, 20, 2);
    expect([a.responses, a.errors, untilClose.sockets()]).toEqual([20, 0, 20]);

    const chunked = await httpServer((_req, res) => {
      res.writeHead(200, { 'transfer-encoding': 'chunked', trailer: 'x-sum' });
      res.write('hello ');
      res.write('world');
      res.addTrailers({ 'x-sum': '42' });
      res.end();
    });
    const b = await load(chunked.url, 20, 2);
    expect([b.responses, b.errors]).toEqual([20, 0]);
    expect(chunked.sockets()).toBeLessThanOrEqual(2);
  });

  it('skips 100 Continue and counts the final status', async () => {
    const server = await rawServer((socket) =>
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Busy\r\ncontent-length: 0\r\n\r\n'),
    );
    const c = await load(server.url, 10, 1);
    expect(c.statusCodes).toEqual({ 503: 10 });
    expect(c.errorsByClass.http5xx).toBe(10);
    expect(server.sockets()).toBe(1);
  });

  it('cuts an endless body at the deadline as a timeout, and the load ends', async () => {
    const server = await httpServer((_req, res) => {
      res.writeHead(200);
      const timer = setInterval(() => res.write('.'), 20);
      res.on('close', () => clearInterval(timer));
    });
    const c = await load(server.url, 10, 10, 300);
    expect(c.errorsByClass.timeout).toBe(10);
    expect(c.responses).toBe(0);
  });

  it('counts a peer that resets or closes mid-response as reset, then reconnects', async () => {
    // Each socket carries one request (the third kind says close), so none is a reused socket
    // that the connection would send a request on once more.
    let n = 0;
    const server = await rawServer((socket) => {
      n++;
      if (n % 3 === 1) socket.resetAndDestroy();
      else if (n % 3 === 2) socket.end('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhalf');
      else socket.end('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok');
    });
    const c = await load(server.url, 30, 1);
    expect(c.errorsByClass.reset).toBe(20);
    expect(c.responses).toBe(10);
    expect(Object.keys(c.errorCodes).sort()).toEqual(['CANARY_GATE_PEER_CLOSED', 'ECONNRESET']);
    expect(server.sockets()).toBe(30);
  });

  it('sends a GET once more on a fresh socket when its reused socket was closed unanswered, never a POST', async () => {
    // The server closes after every response without saying so: the close reaches the client
    // only after the next request went out on the same socket when it is sent at once (as the
    // open model does with a backlog).
    const closing = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
    const connection = new H1Connection({ host: '127.0.0.1', port: closing.port, connectTimeoutMs: 1000 });
    expect(await chain(connection, 'GET', 20)).toEqual(Array.from({ length: 20 }, () => '200'));
    expect(closing.sockets()).toBe(20);

    await connection.close(true);

    // A POST may have reached the server (this one did): it is not sent twice, it fails as reset.
    const fresh = new H1Connection({ host: '127.0.0.1', port: closing.port, connectTimeoutMs: 1000 });
    const [first, second] = await chain(fresh, 'POST', 2);
    expect(first).toBe('200');
    expect(['CANARY_GATE_PEER_CLOSED', 'ECONNRESET', 'EPIPE']).toContain(second);
    expect(classifyTransportError({ code: second })).toBe('reset');
    expect(closing.sockets()).toBe(21);
    await fresh.close(true);
  });

  it("does not reuse a socket idle past the server's Keep-Alive hint less a second", async () => {
    const hinted = await rawServer((socket) =>
      socket.write('HTTP/1.1 200 OK\r\nkeep-alive: timeout=1\r\ncontent-length: 2\r\n\r\nok'),
    );
    const plain = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok'));
    for (const server of [hinted, plain]) {
      const connection = new H1Connection({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 1000 });
      expect(await exchange(connection)).toEqual({ status: 200 });
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(await exchange(connection)).toEqual({ status: 200 });
      await connection.close(false);
    }
    // timeout=1 leaves no idle time to reuse the socket in; without a hint it is reused.
    expect([hinted.sockets(), plain.sockets()]).toEqual([2, 1]);
  });

  it('ends a malformed response and an oversized header section as errors naming them, on a new socket each', async () => {
    const garbage = await rawServer((socket) => socket.write('SMTP ready\r\n\r\n'));
    const a = await load(garbage.url, 10, 1);
    expect(a.errorCodes).toEqual({ CANARY_GATE_HTTP_PARSE: 10 });
    expect(a.errorsByClass.other).toBe(10);
    expect(garbage.sockets()).toBe(10);

    const big = await rawServer((socket) =>
      socket.write(`HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(MAX_HEADER_BYTES)}\r\n`),
    );
    const connection = new H1Connection({ host: '127.0.0.1', port: big.port, connectTimeoutMs: 1000 });
    const outcome = await exchange(connection);
    expect(outcome.error?.message).toBe(`response header section over ${MAX_HEADER_BYTES} bytes`);
    expect((outcome.error as { code?: string }).code).toBe('CANARY_GATE_HTTP_HEADER_OVERFLOW');
    await connection.close(true);
  });

  it('reads no body after HEAD and is free for the next request at once', async () => {
    const server = await httpServer((_req, res) => {
      res.setHeader('content-length', '5');
      res.end(_req.method === 'HEAD' ? undefined : 'hello');
    });
    const connection = new H1Connection({ host: '127.0.0.1', port: server.port, connectTimeoutMs: 1000 });
    expect(await exchange(connection, 'HEAD')).toEqual({ status: 200 });
    expect(connection.busy).toBe(false);
    expect(await exchange(connection, 'GET')).toEqual({ status: 200 });
    await connection.close(false);
    expect(server.sockets()).toBe(1);
  });

  it('classifies a refused connection as refused', async () => {
    const server = await rawServer(() => undefined);
    const port = server.port;
    await cleanup.pop()?.();
    const connection = new H1Connection({ host: '127.0.0.1', port, connectTimeoutMs: 1000 });
    const outcome = await exchange(connection);
    expect((outcome.error as { code?: string }).code).toBe('ECONNREFUSED');
    await connection.close(true);
  });
});
