/**
 * Locates a worker-thread entry module. Worker threads run plain JavaScript, so when the caller
 * runs from TypeScript source (the test runner), the compiled module in dist/ is used instead;
 * `npm test` builds first.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The URL of the compiled worker `name` (without extension) beside the module `base`. */
export function workerEntry(base: string, name: string): URL {
  const beside = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(beside))) return beside;
  const compiled = new URL(beside.href.replace(/\/src\/(?!.*\/src\/)/, '/dist/'));
  if (existsSync(fileURLToPath(compiled))) return compiled;
  throw new Error(`worker module ${fileURLToPath(beside)} not found; run npm run build`);
}
