#!/usr/bin/env node
// The CLI as a few bundled files (dist/bundle/), built from dist/ (tsc's output in `npm run build`,
// esbuild's per-file output in `npm run ci`: scripts/transpile.mjs).
// Why: a CLI start read, resolved and compiled ~600 module files (our ~290 and undici's, yaml's,
// zod's, prom-client's …) for ~0.3 CPU-s, and the tests start the CLI ~200 times a CI run.
// Chunks are split at the command modules' dynamic imports, so a start still loads only what its
// command needs. What stays outside: worker-thread modules (run from dist/ as before, they are
// located beside the module that starts them), and packages loaded only when a rare path needs
// them (testcontainers for regress's containers, the Kubernetes client for its executor).
import { readFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(root, 'dist/bundle');

/**
 * Each module's `import.meta.url` kept as its own file's URL (not the chunk's), so whatever it
 * locates beside itself (worker modules, package.json, bin/, yargs' locales) resolves as unbundled.
 */
const ownUrl = {
  name: 'own-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /\.(m?js|cjs)$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = relative(outdir, args.path).split('\\').join('/');
      const url = `new URL(${JSON.stringify(rel)}, import.meta.url).href`;
      return { contents: text.replaceAll('import.meta.url', url), loader: 'js' };
    });
  },
};

await build({
  entryPoints: { cli: resolve(root, 'dist/cli/main.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunk-[hash]',
  // Rare paths (see above): loaded from node_modules when, and only when, they are needed.
  external: ['testcontainers', '@kubernetes/client-node'],
  // Bundled CommonJS packages require node's modules; an ES module has no `require` of its own.
  banner: {
    js: "import { createRequire as __cgRequire } from 'node:module'; const require = __cgRequire(import.meta.url);",
  },
  plugins: [ownUrl],
  legalComments: 'none',
  logLevel: 'warning',
});
