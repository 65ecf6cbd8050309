/**
 * The webhook router: POSTs {"weight","step","run"} to a URL, with a bearer token or an
 * HMAC-SHA256 signature of the body, retrying with exponential backoff.
 */
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { RouterError } from '../../errors.js';
import { type Router, SAFE_WEIGHT, throwIfAborted, type WeightChange } from './router.js';

/** Header carrying the signature: "sha256=<hex of HMAC-SHA256(secret, body)>". */
export const SIGNATURE_HEADER = 'x-canary-gate-signature';

/** Webhook router options. */
export interface WebhookRouterOptions {
  url: string;
  bearerToken?: string;
  hmacSecret?: string;
  retries: number;
  timeoutMs: number;
  /** First backoff, ms; doubles each retry. */
  backoffMs?: number;
}

/** Webhook router. */
export class WebhookRouter implements Router {
  readonly type = 'webhook';
  readonly #options: WebhookRouterOptions;

  constructor(options: WebhookRouterOptions) {
    this.#options = options;
  }

  async setWeight(change: WeightChange): Promise<void> {
    const body = JSON.stringify({ weight: change.weight, step: change.step, run: change.run });
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (this.#options.bearerToken) headers.authorization = `Bearer ${this.#options.bearerToken}`;
    if (this.#options.hmacSecret) {
      headers[SIGNATURE_HEADER] = `sha256=${createHmac('sha256', this.#options.hmacSecret).update(body).digest('hex')}`;
    }
    let last = '';
    const signal = change.signal;
    for (let attempt = 0; attempt <= this.#options.retries; attempt++) {
      throwIfAborted(signal);
      if (attempt > 0) {
        await sleep((this.#options.backoffMs ?? 200) * 2 ** (attempt - 1), undefined, signal ? { signal } : {}).catch(
          () => throwIfAborted(signal),
        );
      }
      try {
        // The per-attempt timeout bounds the whole exchange, not only the gap between chunks.
        const attemptSignal = AbortSignal.timeout(this.#options.timeoutMs);
        const response = await request(this.#options.url, {
          method: 'POST',
          headers,
          body,
          headersTimeout: this.#options.timeoutMs,
          bodyTimeout: this.#options.timeoutMs,
          signal: signal ? AbortSignal.any([signal, attemptSignal]) : attemptSignal,
        });
        await response.body.dump();
        if (response.statusCode >= 200 && response.statusCode < 300) return;
        last = `answered ${response.statusCode}`;
      } catch (error) {
        throwIfAborted(signal);
        const code = (error as { code?: string; name?: string }).code ?? (error as Error).name;
        last = `failed: ${code === 'TimeoutError' || code === 'UND_ERR_ABORTED' ? `no answer within ${this.#options.timeoutMs} ms` : (code ?? (error as Error).message)}`;
      }
    }
    throw new RouterError(`webhook router: ${this.#options.url} ${last} after ${this.#options.retries + 1} attempts`);
  }

  async reset(run: string, signal?: AbortSignal): Promise<void> {
    await this.setWeight({ weight: SAFE_WEIGHT, step: -1, run, ...(signal ? { signal } : {}) });
  }

  describe(): string {
    return `webhook: POST ${this.#options.url}`;
  }

  async close(): Promise<void> {}
}
