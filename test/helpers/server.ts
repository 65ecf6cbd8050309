/**
 * A real HTTP server on 127.0.0.1, port 0, with scripted status, body and delay per path, shared
 * by every integration test (in the spirit of autocannon's test/helper.js).
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server answers for a request. */
export interface Reply {
  status?: number;
  body?: string;
  delayMs?: number;
  /** Never answer (the request hangs until the client gives up). */
  hang?: boolean;
  /** Send the headers, then one byte every this many ms, forever (a body that never ends). */
  dribbleMs?: number;
  /** Reset the connection instead of answering. */
  destroy?: boolean;
}

/** A running test server. */
export interface TestServer {
  url: string;
  port: number;
  /** Requests seen, in arrival order (method, url, headers). */
  seen: SeenRequest[];
  /** Resolves at the first request from `seen[from]` on (already seen or still to come) that `match` accepts. */
  arrival: (match: (r: SeenRequest) => boolean, from?: number) => Promise<SeenRequest>;
  close: () => Promise<void>;
}

/** One request a test server saw. */
export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
}

/** Start a server whose replies come from `script` (default: 200 "ok" at once). */
export async function startTestServer(script: (req: IncomingMessage) => Reply = () => ({})): Promise<TestServer> {
  const seen: TestServer['seen'] = [];
  let waiters: { match: (r: SeenRequest) => boolean; resolve: (r: SeenRequest) => void }[] = [];
  const server: Server = createServer((req, res) => {
    const request = { method: req.method ?? '', url: req.url ?? '', headers: req.headers };
    seen.push(request);
    const met = waiters.filter((w) => w.match(request));
    waiters = waiters.filter((w) => !met.includes(w));
    for (const w of met) w.resolve(request);
    req.resume();
    const reply = script(req);
    if (reply.hang) return;
    if (reply.destroy) {
      req.socket.destroy();
      return;
    }
    if (reply.dribbleMs) {
      res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('.'), reply.dribbleMs);
      res.on('close', () => clearInterval(timer));
      return;
    }
    const send = (): void => {
      res.writeHead(reply.status ?? 200, { 'content-type': 'text/plain' }).end(reply.body ?? 'ok');
    };
    if (reply.delayMs) setTimeout(send, reply.delayMs);
    else send();
  });
  const arrival: TestServer['arrival'] = (match, from = 0) => {
    const earlier = seen.slice(from).find(match);
    return earlier ? Promise.resolve(earlier) : new Promise((resolve) => waiters.push({ match, resolve }));
  };
  return { ...(await listenOnLoopback(server)), seen, arrival };
}

/** A test server listening on 127.0.0.1 (port 0, keep-alive held a minute): its URL, port and close. */
export async function listenOnLoopback(
  server: Server,
): Promise<{ url: string; port: number; close: () => Promise<void> }> {
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
