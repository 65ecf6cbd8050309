/**
 * Command-line flags that stand for scenario fields. A flag is declared by the field it sets
 * ("traffic.warmup"); its help text and its default are read from the schema, the values given
 * are laid over a scenario document, and a problem with that field is named after the flag. So
 * a flag never restates a default, and flags and files share every rule. Pure.
 */
import type { z } from 'zod';
import { formatDurationMs, formatRatePerSec } from './units.js';
import { VALUE_FORMATS, type ValueFormat } from './values.js';

/** A flag that sets one field of a scenario. */
export interface FieldFlag {
  /** The flag's name, without dashes ("warmup"). */
  flag: string;
  /** The field it sets: "traffic.warmup", "requests[0].path". */
  path: string;
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  defaultValue?: unknown;
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

/** The parts of a path: "requests[0].path" → ["requests", 0, "path"]. */
export function pathParts(path: string): (string | number)[] {
  return path
    .split(/\.|(?=\[)/)
    .map((part) => (part.startsWith('[') ? Number(part.slice(1, -1)) : part))
    .filter((part) => part !== '');
}

/** What the schema says of the field at `path`: its one-line doc, its default and how values are written. */
export function fieldInfo(
  schema: z.ZodType,
  path: string,
): { description?: string; default?: unknown; format?: ValueFormat } {
  const out: { description?: string; default?: unknown; format?: ValueFormat } = {};
  const note = (s: z.ZodType): void => {
    const description = (s as unknown as { meta?: () => { description?: string } | undefined }).meta?.()?.description;
    if (out.description === undefined && description) out.description = description;
    const format = VALUE_FORMATS.get(s)?.format;
    if (out.format === undefined && format) out.format = format;
  };
  let at: z.ZodType | undefined = schema;
  const parts = pathParts(path);
  // A container's default holds its fields' defaults too (a regress scenario's requests: [{ path: / }]).
  let inherited: unknown;
  while (at) {
    note(at);
    const def = defOf(at);
    if ((def.type === 'default' || def.type === 'prefault') && inherited === undefined) inherited = def.defaultValue;
    if (def.type === 'default' && parts.length === 0 && !('default' in out)) out.default = def.defaultValue;
    if (def.innerType) at = def.innerType;
    else if (def.type === 'pipe') at = def.in;
    else if (parts.length === 0) break;
    else if (def.type === 'object') {
      const key = String(parts.shift());
      at = def.shape?.[key];
      inherited = (inherited as Record<string, unknown> | undefined)?.[key];
      out.description = undefined;
      out.format = undefined;
    } else if (def.type === 'array' && typeof parts[0] === 'number') {
      inherited = (inherited as unknown[] | undefined)?.[parts.shift() as number];
      at = def.element;
      out.description = undefined;
    } else break;
  }
  if (!('default' in out) && inherited !== undefined && typeof inherited !== 'object') out.default = inherited;
  return out;
}

/** A field's default as people write it ("5s", "200/s", "256m"), or undefined when it has none. */
export function defaultText(schema: z.ZodType, path: string): string | undefined {
  const { default: value, format } = fieldInfo(schema, path);
  // An empty list or map is no default worth saying.
  if (value === undefined || (typeof value === 'object' && Object.keys(value as object).length === 0)) return undefined;
  if (typeof value === 'number') {
    if (format === 'duration') return formatDurationMs(value);
    if (format === 'rate') return formatRatePerSec(value);
    if (format === 'percent') return `${Number((value * 100).toFixed(4))}%`;
    if (format === 'bytes') return value % 1024 ** 2 === 0 ? `${value / 1024 ** 2}m` : String(value);
  }
  return Array.isArray(value) ? value.join(' ') : String(value);
}

/** A flag's help: the field's doc, then its default, e.g. "how long each step is measured [default: 30s]". */
export function flagHelp(schema: z.ZodType, path: string, extra?: string): string {
  const { description } = fieldInfo(schema, path);
  const byDefault = defaultText(schema, path);
  return `${description ?? path}${extra ? `; ${extra}` : ''}${byDefault === undefined ? '' : ` [default: ${byDefault}]`}`;
}

/** `doc` with `value` set at `path`, objects and lists made on the way; `doc` itself is not changed. */
export function setField(doc: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const set = (node: unknown, parts: (string | number)[]): unknown => {
    const [head, ...rest] = parts;
    if (head === undefined) return value;
    if (typeof head === 'number') {
      const list = Array.isArray(node) ? [...node] : [];
      list[head] = set(list[head], rest);
      return list;
    }
    const object = node !== null && typeof node === 'object' && !Array.isArray(node) ? { ...node } : {};
    (object as Record<string, unknown>)[head] = set((object as Record<string, unknown>)[head], rest);
    return object;
  };
  return set(doc, pathParts(path)) as Record<string, unknown>;
}

/** `doc` with the value of every flag that was given laid over its field. */
export function withFlags(
  doc: Record<string, unknown>,
  flags: readonly FieldFlag[],
  values: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  let out = doc;
  for (const f of flags) if (values[f.flag] !== undefined) out = setField(out, f.path, values[f.flag]);
  return out;
}

/** Names a field path as the flag that set it ("--warmup"), when a flag given did. */
export function flagNamer(
  flags: readonly FieldFlag[],
  given: Readonly<Record<string, unknown>>,
): (path: string) => string | undefined {
  const byPath = new Map(flags.filter((f) => given[f.flag] !== undefined).map((f) => [f.path, `--${f.flag}`]));
  return (path) =>
    byPath.get(path) ?? [...byPath].find(([p]) => path.startsWith(`${p}.`) || path.startsWith(`${p}[`))?.[1];
}
