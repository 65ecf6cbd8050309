/**
 * "Did you mean" for unknown keys: the keys each object of the schema accepts, by path pattern
 * (array indices and record keys as "*"), and the nearest of them by edit distance. Pure.
 */
import type { z } from 'zod';

type AnySchema = z.ZodType;
interface Def {
  type: string;
  shape?: Record<string, AnySchema>;
  innerType?: AnySchema;
  element?: AnySchema;
  valueType?: AnySchema;
  options?: AnySchema[];
  in?: AnySchema;
  out?: AnySchema;
  left?: AnySchema;
  right?: AnySchema;
}

const defOf = (schema: AnySchema): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** Map from path pattern ("router", "requests.*") to the keys the object there accepts. */
export function keysByPath(schema: AnySchema): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const seen = new Set<AnySchema>();
  const walk = (s: AnySchema, at: string): void => {
    if (seen.has(s)) return;
    seen.add(s);
    const def = defOf(s);
    switch (def.type) {
      case 'object': {
        const keys = out.get(at) ?? new Set<string>();
        out.set(at, keys);
        for (const [key, child] of Object.entries(def.shape ?? {})) {
          keys.add(key);
          walk(child, at === '' ? key : `${at}.${key}`);
        }
        break;
      }
      case 'array':
        if (def.element) walk(def.element, `${at}.*`);
        break;
      case 'record':
        if (def.valueType) walk(def.valueType, `${at}.*`);
        break;
      case 'union':
        for (const option of def.options ?? []) walk(option, at);
        break;
      case 'pipe':
        if (def.in) walk(def.in, at);
        if (def.out) walk(def.out, at);
        break;
      case 'intersection':
        if (def.left) walk(def.left, at);
        if (def.right) walk(def.right, at);
        break;
      default:
        if (def.innerType) walk(def.innerType, at);
    }
    seen.delete(s);
  };
  walk(schema, '');
  return out;
}

/** The pattern of a concrete path: numbers become "*". */
export function pathPattern(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? '*' : String(p))).join('.');
}

/** Edit distance counting a swap of neighbours as one edit (optimal string alignment), case-insensitive. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const d: number[][] = Array.from({ length: x.length + 1 }, (_, i) =>
    Array.from({ length: y.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  const at = (i: number, j: number): number => d[i]?.[j] as number;
  for (let i = 1; i <= x.length; i++) {
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      let best = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && x[i - 1] === y[j - 2] && x[i - 2] === y[j - 1]) best = Math.min(best, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = best;
    }
  }
  return at(x.length, y.length);
}

/** The known key nearest to `key`, when it is near enough to be a likely typo. */
export function nearest(key: string, known: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(key, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const allowed = Math.max(1, Math.floor(key.length / 3));
  return best !== undefined && bestDistance <= allowed ? best : undefined;
}
