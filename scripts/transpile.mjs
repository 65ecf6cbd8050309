#!/usr/bin/env node
// dist/ from src/ for `npm run ci`: esbuild strips the types of each module on its own (one output
// file per source file, the layout and import specifiers tsc writes), in well under a second where
// `tsc -b` from a fresh clone takes about ten. Why this is the same code: tsconfig.json has
// isolatedModules and verbatimModuleSyntax, so every file compiles without the others and type-only
// imports are marked, which is what a per-file transpiler needs. The types are checked by
// `npm run typecheck` in the same CI run; `npm run build` (tsc -b) also writes the declarations a
// library user needs, which the tests do not read.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');
const entryPoints = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => join(src, f));

await build({
  entryPoints,
  outdir: join(root, 'dist'),
  outbase: src,
  bundle: false,
  format: 'esm',
  platform: 'node',
  target: 'es2022',
  sourcemap: true,
  logLevel: 'warning',
});
