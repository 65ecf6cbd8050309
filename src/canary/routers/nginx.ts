/**
 * The nginx router: writes a weighted upstream block to a file that nginx includes, runs the
 * reload command (argv, never a shell), and checks that it took: the reload must exit 0; with a
 * pid file, every worker from before the reload must stop accepting; with a verify URL, nginx
 * must answer it with 2xx afterwards. The file is written to a temporary name and renamed, so
 * nginx never reads half a file.
 */
import { rename, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { RouterError } from '../../errors.js';
import { acceptingWorkers, untilRetired } from './nginx-workers.js';
import { type Router, SAFE_WEIGHT, throwIfAborted, type WeightChange } from './router.js';
import { errorLine, runArgv } from './run-argv.js';

/** nginx router options. */
export interface NginxRouterOptions {
  upstreamFile: string;
  upstreamName: string;
  reload: string[];
  verifyUrl?: string;
  /** nginx's pid file: a reload has taken once the workers from before it stop accepting. */
  pidFile?: string;
  /** host:port of the baseline and the canary. */
  baseline: string;
  canary: string;
  /** Reload timeout, ms. */
  timeoutMs?: number;
}

/** Name of the nginx variable that carries the generation of the upstream file. */
export function generationVariable(upstreamName: string): string {
  return `$${upstreamName}_generation`;
}

/**
 * The file for a canary weight: the upstream block, and a variable holding this write's
 * generation, which nginx can echo in a response header so a reload can be seen to have taken.
 * nginx has no weight 0, so a 0 % arm is left out of the block.
 */
export function upstreamBlock(
  name: string,
  baseline: string,
  canary: string,
  weight: number,
  generation: string,
): string {
  const lines = [
    `# written by canary-gate (${generation}); canary weight ${weight}%`,
    `map $host ${generationVariable(name)} { default "${generation}"; }`,
    `upstream ${name} {`,
  ];
  if (weight < 100) lines.push(`    server ${baseline} weight=${100 - weight};`);
  if (weight > 0) lines.push(`    server ${canary} weight=${weight};`);
  lines.push('}', '');
  return lines.join('\n');
}

/** Response header through which nginx reports the generation it serves with. */
export const GENERATION_HEADER = 'x-canary-gate-generation';

/** host:port of a URL, with the scheme's default port when none is written. */
export function hostPort(url: string): string {
  const u = new URL(url);
  return `${u.hostname.includes(':') ? `[${u.hostname}]` : u.hostname}:${u.port || (u.protocol === 'https:' ? '443' : '80')}`;
}

/** nginx router. */
export class NginxRouter implements Router {
  readonly type = 'nginx';
  readonly #options: NginxRouterOptions;

  constructor(options: NginxRouterOptions) {
    this.#options = options;
  }

  async setWeight(change: WeightChange): Promise<void> {
    const o = this.#options;
    const generation = `${change.run}/${change.step < 0 ? 'reset' : `step-${change.step + 1}`}/${change.weight}`;
    // A name of this process's own: two writers never share a half-written file.
    const temporary = `${o.upstreamFile}.canary-gate.${process.pid}.tmp`;
    throwIfAborted(change.signal);
    // Read before the reload (its new workers are not the ones to wait for), and before the file
    // is written, so that a wrong pidFile changes nothing; a reset writes its safe weight anyway.
    let before: Awaited<ReturnType<typeof acceptingWorkers>> | undefined;
    let unread: unknown;
    try {
      before = o.pidFile ? await acceptingWorkers(o.pidFile) : undefined;
    } catch (error) {
      if (change.step >= 0) throw error;
      unread = error;
    }
    try {
      await writeFile(temporary, upstreamBlock(o.upstreamName, o.baseline, o.canary, change.weight, generation));
      await rename(temporary, o.upstreamFile);
    } catch (error) {
      throw new RouterError(`nginx router: cannot write ${o.upstreamFile}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    let result: Awaited<ReturnType<typeof runArgv>>;
    try {
      result = await runArgv(o.reload, o.timeoutMs ?? 30_000, change.signal);
    } catch (error) {
      throw new RouterError(`nginx router: cannot run ${JSON.stringify(o.reload)}: ${(error as Error).message}`);
    }
    throwIfAborted(change.signal);
    if (result.code !== 0) {
      throw new RouterError(
        `nginx router: ${JSON.stringify(o.reload)} exited with ${result.code ?? 'a timeout'}: ${errorLine(result.stderr)}`,
      );
    }
    if (unread !== undefined) throw unread;
    if (before) await untilRetired(before.master, before.workers, Date.now() + (o.timeoutMs ?? 30_000), change.signal);
    if (o.verifyUrl) await this.#verify(o.verifyUrl, generation, change.signal);
  }

  /**
   * A reload only signals nginx; old workers keep serving for a moment. Poll the verify URL on
   * fresh connections until it answers 2xx — and, when the server echoes the generation header,
   * until five answers in a row, 20 ms apart, carry this write's generation (old workers stop
   * accepting only once they have handled nginx's graceful-shutdown signal).
   */
  async #verify(url: string, generation: string, signal: AbortSignal | undefined): Promise<void> {
    let last = '';
    let inARow = 0;
    const pause = (ms: number) => sleep(ms, undefined, signal ? { signal } : {}).catch(() => throwIfAborted(signal));
    for (let attempt = 0; attempt < 100; attempt++) {
      throwIfAborted(signal);
      try {
        const attemptSignal = AbortSignal.timeout(2000);
        const response = await request(url, {
          headersTimeout: 2000,
          bodyTimeout: 2000,
          reset: true,
          signal: signal ? AbortSignal.any([signal, attemptSignal]) : attemptSignal,
        });
        await response.body.dump();
        const seen = response.headers[GENERATION_HEADER];
        if (response.statusCode < 200 || response.statusCode >= 300) {
          last = `answered ${response.statusCode}`;
        } else if (seen === undefined) {
          return;
        } else if (seen === generation) {
          if (++inARow >= 5) return;
          await pause(20);
          continue;
        } else {
          last = `still serves generation ${String(seen)}`;
        }
      } catch (error) {
        throwIfAborted(signal);
        last = (error as { code?: string }).code ?? (error as Error).message;
      }
      inARow = 0;
      await pause(50);
    }
    throw new RouterError(`nginx router: after the reload, ${url} ${last}`);
  }

  async reset(run: string, signal?: AbortSignal): Promise<void> {
    await this.setWeight({ weight: SAFE_WEIGHT, step: -1, run, ...(signal ? { signal } : {}) });
  }

  describe(): string {
    return `nginx: upstream "${this.#options.upstreamName}" in ${this.#options.upstreamFile}`;
  }

  async close(): Promise<void> {}
}
