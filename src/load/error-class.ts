/**
 * Classification of a failed exchange. Branches on undici's and Node's stable error codes,
 * never on message text.
 */

/** The classes every summary counts, in the order reports print them. */
export const ERROR_CLASSES = ['refused', 'reset', 'timeout', 'tls', 'http4xx', 'http429', 'http5xx', 'other'] as const;

/** One class of failure: a transport failure or an HTTP status that counts as an error. */
export type ErrorClass = (typeof ERROR_CLASSES)[number];

/** Counts per error class. */
export type ErrorCounts = Record<ErrorClass, number>;

/** A zeroed count per class. */
export function emptyErrorCounts(): ErrorCounts {
  return { refused: 0, reset: 0, timeout: 0, tls: 0, http4xx: 0, http429: 0, http5xx: 0, other: 0 };
}

const TIMEOUT_CODES = new Set([
  // The whole-exchange deadline (exchange.ts).
  'CANARY_GATE_EXCHANGE_TIMEOUT',
  // The lean connection's connect timeout (h1-connection.ts).
  'CANARY_GATE_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
]);
// CANARY_GATE_PEER_CLOSED: the lean connection's peer closed it mid-response (h1-connection.ts).
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'CANARY_GATE_PEER_CLOSED']);
const REFUSED_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
]);

/** The class of a transport-level error thrown by undici or the socket layer. */
export function classifyTransportError(error: unknown): ErrorClass {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'other';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (REFUSED_CODES.has(code)) return 'refused';
  if (RESET_CODES.has(code)) return 'reset';
  if (TLS_CODES.has(code) || code.startsWith('ERR_TLS_') || code.startsWith('ERR_SSL_')) return 'tls';
  return 'other';
}

/**
 * Whether a failure of this class came from the service's side of the connection (refused, reset,
 * closed by the peer): the service's failure, never the generator's queue.
 */
export function isPeerFailure(errorClass: ErrorClass): boolean {
  return errorClass === 'refused' || errorClass === 'reset';
}

/** The class of an HTTP status that counts as an error, or undefined for 1xx–3xx. */
export function classifyStatus(status: number): ErrorClass | undefined {
  if (status < 400) return undefined;
  if (status === 429) return 'http429';
  if (status < 500) return 'http4xx';
  return 'http5xx';
}
