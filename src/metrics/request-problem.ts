/** Why a request to an external source gave nothing, as a sentence for a check's reason. */

/** "Prometheus at URL did not answer within 5000 ms" or "… could not be reached (ECONNREFUSED)". */
export function requestProblem(source: string, url: string, timeoutMs: number, error: unknown): string {
  const e = error as Error & { code?: string };
  const timedOut = e.name === 'TimeoutError' || e.name === 'AbortError' || /timeout/i.test(e.code ?? '');
  return timedOut
    ? `${source} at ${url} did not answer within ${timeoutMs} ms`
    : `${source} at ${url} could not be reached (${e.code ?? e.message})`;
}
