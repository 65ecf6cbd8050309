/**
 * The layering docs/architecture.md draws, checked on the imports of src/: a folder imports only
 * from folders below it (never upward, never cli/), the mode rooms (canary, capacity, regress) do
 * not import each other, the pure folders import no I/O, and no files import each other in a cycle.
 * Type-only imports count: a type from above is a dependency on above all the same.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

/** Layers from the bottom; a module may import from its own layer's folder and from any layer below. */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'exit-codes.ts', 'worker-entry.ts', 'util'],
  ['hdr'],
  ['scenario'],
  ['gates', 'load'],
  ['arm', 'metrics', 'shard', 'security'],
  ['result'],
  ['baseline'],
  ['canary', 'capacity', 'regress'],
  ['report'],
  ['session'],
  ['demo', 'serve'],
  ['cli'],
  ['index.ts'],
];

/** Folders at one layer that must still not import each other: one room per mode, and the pure judge beside the engine. */
const APART: readonly (readonly string[])[] = [
  ['canary', 'capacity', 'regress'],
  ['gates', 'load'],
  ['arm', 'metrics', 'security'],
  ['demo', 'serve'],
];

/** Folders that do no I/O: they may not import these modules. */
const PURE = ['util', 'hdr', 'scenario', 'gates', 'arm'];
const IO_MODULES = [
  /^node:(fs|fs\/promises|net|http|https|http2|child_process|dgram|dns|worker_threads|cluster|tls|os)$/,
  /^(undici|prom-client|testcontainers|autocannon)$/,
];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or re-exports, type-only included. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?\sfrom\s+'([^']+)'/g)) out.push(m[1] as string);
  for (const m of text.matchAll(/(?:^|\n)\s*import\s+'([^']+)'/g)) out.push(m[1] as string);
  for (const m of text.matchAll(/import\(\s*'([^']+)'\s*\)/g)) out.push(m[1] as string);
  return out;
}

/** The folder (or root file) a src path belongs to: "canary" for canary/routers/proxy.ts. */
const unitOf = (path: string): string => relative(SRC, path).split('/')[0] as string;
const layerOf = (unit: string): number => LAYERS.findIndex((layer) => layer.includes(unit));

const files = sourceFiles(SRC);
const imports = new Map<string, { specifier: string; target?: string }[]>(
  files.map((file) => [
    file,
    specifiers(readFileSync(file, 'utf8')).map((specifier) =>
      specifier.startsWith('.')
        ? { specifier, target: resolve(dirname(file), specifier).replace(/\.js$/, '.ts') }
        : { specifier },
    ),
  ]),
);

describe('the layering of src/', () => {
  it('places every folder and root file in a layer', () => {
    const units = [...new Set(files.map(unitOf))].sort();
    expect(units.filter((u) => layerOf(u) < 0)).toEqual([]);
  });

  it('has no upward import, no import of cli/, and no import between rooms of one layer', () => {
    const broken: string[] = [];
    for (const [file, list] of imports) {
      const from = unitOf(file);
      for (const { specifier, target } of list) {
        if (!target) continue;
        const to = unitOf(target);
        if (to === from) continue;
        const apart = APART.some((group) => group.includes(from) && group.includes(to));
        if (layerOf(to) > layerOf(from) || apart || (to === 'cli' && from !== 'index.ts'))
          broken.push(
            `${relative(SRC, file)} imports ${specifier} (${to}, layer ${layerOf(to)} from ${from}, layer ${layerOf(from)})`,
          );
      }
    }
    expect(broken).toEqual([]);
  });

  it('keeps the pure folders free of I/O modules', () => {
    const broken: string[] = [];
    for (const [file, list] of imports) {
      if (!PURE.includes(unitOf(file))) continue;
      for (const { specifier } of list) {
        if (IO_MODULES.some((re) => re.test(specifier))) broken.push(`${relative(SRC, file)} imports ${specifier}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('has no import cycle between files', () => {
    // Tarjan's strongly connected components; any component of more than one file is a cycle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    let next = 0;
    const visit = (file: string): void => {
      index.set(file, next);
      low.set(file, next);
      next++;
      stack.push(file);
      onStack.add(file);
      for (const { target } of imports.get(file) ?? []) {
        if (!target || !imports.has(target)) continue;
        if (!index.has(target)) {
          visit(target);
          low.set(file, Math.min(low.get(file) as number, low.get(target) as number));
        } else if (onStack.has(target)) {
          low.set(file, Math.min(low.get(file) as number, index.get(target) as number));
        }
      }
      if (low.get(file) === index.get(file)) {
        const component: string[] = [];
        let member: string | undefined;
        do {
          member = stack.pop() as string;
          onStack.delete(member);
          component.push(relative(SRC, member));
        } while (member !== file);
        if (component.length > 1) cycles.push(component.sort());
      }
    };
    for (const file of files) if (!index.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it('resolves every relative import to a file in src/', () => {
    const missing = [...imports].flatMap(([file, list]) =>
      list.filter((i) => i.target && !imports.has(i.target)).map((i) => `${relative(SRC, file)}: ${i.specifier}`),
    );
    expect(missing).toEqual([]);
  });
});
