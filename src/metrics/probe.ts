/** A health probe: one GET of a URL, shared by a run's pre-flight and a regression run's builds. */
import { request } from 'undici';

/** One GET of a health URL: ok on 2xx, with the status or the error code as detail. */
export async function probe(
  url: string,
  timeoutMs: number,
  headers: Record<string, string> = {},
): Promise<{ ok: boolean; detail: string }> {
  try {
    const response = await request(url, { headers, headersTimeout: timeoutMs, bodyTimeout: timeoutMs });
    await response.body.dump();
    return { ok: response.statusCode >= 200 && response.statusCode < 300, detail: String(response.statusCode) };
  } catch (error) {
    return { ok: false, detail: (error as { code?: string }).code ?? (error as Error).message };
  }
}
