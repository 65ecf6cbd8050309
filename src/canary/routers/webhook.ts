/**
 * The webhook router: POSTs {"weight","step","run"} to a URL, with a bearer token or an
 * HMAC-SHA256 signature of the body, retrying with exponential backoff.
 */
import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { RouterError } from '../../errors.js';
import { type Router, SAFE_WEIGHT, type WeightChange } from './router.js';

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
    for (let attempt = 0; attempt <= this.#options.retries; attempt++) {
      if (attempt > 0) await sleep((this.#options.backoffMs ?? 200) * 2 ** (attempt - 1));
      try {
        const response = await request(this.#options.url, {
          method: 'POST',
          headers,
          body,
          headersTimeout: this.#options.timeoutMs,
          bodyTimeout: this.#options.timeoutMs,
        });
        await response.body.dump();
        if (response.statusCode >= 200 && response.statusCode < 300) return;
        last = `answered ${response.statusCode}`;
      } catch (error) {
        last = `failed: ${(error as { code?: string }).code ?? (error as Error).message}`;
      }
    }
    throw new RouterError(`webhook router: ${this.#options.url} ${last} after ${this.#options.retries + 1} attempts`);
  }

  async reset(run: string): Promise<void> {
    await this.setWeight({ weight: SAFE_WEIGHT, step: -1, run });
  }

  describe(): string {
    return `webhook: POST ${this.#options.url}`;
  }

  async close(): Promise<void> {}
}
