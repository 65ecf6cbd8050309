/**
 * The one HTTP exchange the probes make: a request to an arm with its own dispatcher (the
 * section's CA trusted for https), answered with the status and headers, or the error code.
 * Bodies are drained and dropped: no invariant reads them.
 */
import { Agent, request } from 'undici';

/** An arm to probe: its name and base URL. */
export interface ProbeTarget {
  arm: string;
  url: string;
}

/** The request a probe sends, from the scenario's mix. */
export interface ProbeRequest {
  /** Name in the mix (own, or "METHOD path"). */
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

/** What came back: a status with lower-cased headers, or why nothing did. */
export type ProbeAnswer =
  | { status: number; headers: Record<string, string | string[] | undefined> }
  | { error: string };

/** Options shared by every request of a probe. */
export interface ProbeHttpOptions {
  /** PEM of the CAs that https targets are verified against (default: Node's trust store). */
  ca?: string;
  /** Name the certificate is checked against and sent as SNI (default: the URL's host). */
  servername?: string;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** A dispatcher for one probe run; close it when the probe ends. */
export function probeAgent(o: Pick<ProbeHttpOptions, 'ca' | 'servername'>, connections = 4): Agent {
  return new Agent({
    connections,
    connect: {
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      ...(o.servername !== undefined ? { servername: o.servername } : {}),
    },
  });
}

/** The error code of a failed exchange (undici and Node put it in different places). */
export function errorCode(error: unknown): string {
  const e = error as { code?: string; cause?: { code?: string; message?: string }; message?: string };
  return e.cause?.code ?? e.code ?? e.cause?.message ?? e.message ?? String(error);
}

/**
 * `agent` calling `onWritten` once the request is written to its connection: a request sent while
 * every connection is busy (or still in its TLS handshake) waits in the agent's queue, and reaches
 * the server then, not when it was sent.
 */
function writtenHook(agent: Agent, onWritten: () => void): Agent {
  // The request API's handler is of undici's callback style, whose onRequestSent the connection
  // calls once the request is written. Not through compose(): that wraps handlers in the newer
  // style, which has no such callback.
  const dispatch: Agent['dispatch'] = (opts, handler) =>
    agent.dispatch(
      opts,
      new Proxy(handler, {
        get(target, key) {
          if (key === 'onRequestSent')
            return () => {
              onWritten();
              (target as { onRequestSent?: () => void }).onRequestSent?.();
            };
          const value: unknown = Reflect.get(target, key);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }),
    );
  return new Proxy(agent, { get: (target, key) => (key === 'dispatch' ? dispatch : Reflect.get(target, key)) });
}

/** Send one request to `target`; never throws. `onWritten` is called when it is written to its connection. */
export async function sendProbe(
  agent: Agent,
  target: ProbeTarget,
  req: Pick<ProbeRequest, 'method' | 'path' | 'headers' | 'body'>,
  o: ProbeHttpOptions,
  onWritten?: () => void,
): Promise<ProbeAnswer> {
  const dispatcher = onWritten ? writtenHook(agent, onWritten) : agent;
  try {
    const response = await request(`${target.url.replace(/\/+$/, '')}${req.path}`, {
      dispatcher,
      method: req.method as 'GET',
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      ...(o.signal ? { signal: o.signal } : {}),
    });
    await response.body.dump();
    return { status: response.statusCode, headers: response.headers };
  } catch (error) {
    return { error: errorCode(error) };
  }
}

/** One header's value as text (repeated headers joined as HTTP would fold them). */
export function headerText(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

/** Headers of a request with `name` removed or replaced (case-insensitively). */
export function withHeader(
  headers: Record<string, string>,
  name: string,
  value: string | undefined,
): Record<string, string> {
  const out = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== name));
  if (value !== undefined) out[name] = value;
  return out;
}

/** "GET /api/items" for sentences. */
export function describeRequest(req: Pick<ProbeRequest, 'method' | 'path'>): string {
  return `${req.method} ${req.path}`;
}
