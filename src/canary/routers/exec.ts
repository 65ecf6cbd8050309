/** The exec router: runs an argv template with {weight} substituted for each change; never a shell. */
import { RouterError } from '../../errors.js';
import { expandArgv, type Router, SAFE_WEIGHT, throwIfAborted, type WeightChange } from './router.js';
import { errorLine, runArgv } from './run-argv.js';

/** Exec router options. */
export interface ExecRouterOptions {
  /** argv template. */
  command: string[];
  /** Per-run timeout, ms. */
  timeoutMs: number;
  /** Attempts after the first. */
  retries?: number;
}

/** Exec router. */
export class ExecRouter implements Router {
  readonly type = 'exec';
  readonly #options: ExecRouterOptions;

  constructor(options: ExecRouterOptions) {
    this.#options = options;
  }

  async setWeight(change: WeightChange): Promise<void> {
    const argv = expandArgv(this.#options.command, change);
    let last = '';
    for (let attempt = 0; attempt <= (this.#options.retries ?? 2); attempt++) {
      throwIfAborted(change.signal);
      try {
        const result = await runArgv(argv, this.#options.timeoutMs, change.signal);
        throwIfAborted(change.signal);
        if (result.code === 0) return;
        last = `exited with ${result.code ?? 'a timeout'}${errorLine(result.stderr) ? `: ${errorLine(result.stderr)}` : ''}`;
      } catch (error) {
        last = `could not start: ${(error as Error).message}`;
      }
    }
    throw new RouterError(`exec router: ${JSON.stringify(argv)} ${last}`);
  }

  async reset(run: string, signal?: AbortSignal): Promise<void> {
    await this.setWeight({ weight: SAFE_WEIGHT, step: -1, run, ...(signal ? { signal } : {}) });
  }

  describe(): string {
    return `exec: ${JSON.stringify(this.#options.command)}`;
  }

  async close(): Promise<void> {}
}
