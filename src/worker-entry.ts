/**
 * Locates a worker-thread entry module beside the caller: the compiled `.js` when running from
 * dist/, or the `.ts` source loaded through tsx (a dev dependency) when running from source.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The URL and execArgv to start the worker `name` (without extension) next to `base`. */
export function workerEntry(base: string, name: string): { url: URL; execArgv: string[] } {
  const js = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return { url: js, execArgv: [] };
  return { url: new URL(`./${name}.ts`, base), execArgv: ['--import', 'tsx'] };
}
