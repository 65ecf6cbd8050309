/**
 * Loads a scenario from the text of a YAML or JSON file: parse (keeping line numbers), substitute
 * `${env:NAME}` (every value becomes a secret), validate with the zod schema, and report every
 * problem at once with file, line, column, field path, what was found and what was expected.
 * Pure: the caller reads the file and passes the environment. It returns a Scenario or throws a
 * ScenarioError, and nothing else.
 */
import { createHash } from 'node:crypto';
import { isMap, isScalar, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import type { z } from 'zod';
import { ScenarioError } from '../errors.js';
import { type Scenario, ScenarioSchema } from './schema.js';
import { interpolateEnv, Redactor } from './secrets.js';
import { keysByPath, nearest, pathPattern } from './suggest.js';

/** A loaded scenario with the secrets it holds and a digest of its text. */
export interface LoadedScenario {
  /** The validated scenario, defaults applied. */
  scenario: Scenario;
  /** Knows every ${env:…} value; pass everything printed or stored through it. */
  redactor: Redactor;
  /** sha256 of the file's text, for results and baselines. */
  digest: string;
}

/** Where the scenario came from and what it may read. */
export interface LoadOptions {
  /** File name used in messages. */
  file: string;
  /** Environment for ${env:NAME}. */
  env: Readonly<Record<string, string | undefined>>;
}

/** One problem, located. */
export interface ScenarioProblem {
  /** 1-based line, when known. */
  line?: number;
  /** 1-based column, when known. */
  col?: number;
  /** Field path like "traffic.rate" or "requests[0].method"; empty for the whole file. */
  path: string;
  /** What was wrong: "expected …, found …". */
  message: string;
}

const KNOWN_KEYS = keysByPath(ScenarioSchema);

/** A path as people read it: targets.canary.url, requests[0].method. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out;
}

function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return JSON.stringify(value);
}

function locate(lines: LineCounter, offset: number | undefined): { line?: number; col?: number } {
  if (offset === undefined) return {};
  const { line, col } = lines.linePos(offset);
  return { line, col };
}

/** Parse, interpolate and validate; throws ScenarioError with every problem. */
export function loadScenario(text: string, options: LoadOptions): LoadedScenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  const problems: ScenarioProblem[] = [];
  for (const error of doc.errors) {
    const pos = error.linePos?.[0];
    problems.push({
      ...(pos ? { line: pos.line, col: pos.col } : {}),
      path: '',
      message: `${options.file.endsWith('.json') ? 'JSON' : 'YAML'} syntax: ${(error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '')}`,
    });
  }
  if (problems.length > 0) fail(options.file, problems);

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    fail(options.file, [
      { path: '', message: `cannot read the document: ${error instanceof Error ? error.message : String(error)}` },
    ]);
  }
  if (data === null || data === undefined) {
    fail(options.file, [
      { path: '', message: 'the file is empty; expected a mapping with name, targets and requests' },
    ]);
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    fail(options.file, [
      {
        ...locate(lines, doc.contents?.range?.[0]),
        path: '',
        message: `expected a mapping at the top level, found ${describeFound(data)}`,
      },
    ]);
  }

  // Offsets of nodes by path, for messages: the value's node, or for a key its own node.
  const nodeAt = (path: readonly PropertyKey[]): Node | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const node = doc.getIn(path.slice(0, n) as unknown[], true) as Node | undefined;
      if (node && typeof node === 'object' && 'range' in node) return node;
    }
    return doc.contents ?? undefined;
  };
  const keyOffset = (path: readonly PropertyKey[], key: string): number | undefined => {
    const parent = doc.getIn(path as unknown[], true) ?? (path.length === 0 ? doc.contents : undefined);
    if (!isMap(parent)) return undefined;
    const pair = (parent as YAMLMap).items.find((item) => isScalar(item.key) && String(item.key.value) === key);
    return (pair?.key as Node | undefined)?.range?.[0];
  };
  const at = (path: readonly PropertyKey[]) => locate(lines, nodeAt(path)?.range?.[0]);

  const redactor = new Redactor();
  const interpolated = interpolateTree(data, [], (value, path) => {
    try {
      return interpolateEnv(value, options.env, redactor, formatPath(path));
    } catch (error) {
      problems.push({
        ...at(path),
        path: formatPath(path),
        message: error instanceof Error ? error.message.replace(/^[^:]*: /, '') : String(error),
      });
      return value;
    }
  });

  const result = ScenarioSchema.safeParse(interpolated, { reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues)
      problems.push(...describeIssue(issue, at, (p, k) => locate(lines, keyOffset(p, k))));
  }
  if (problems.length > 0 || !result.success) fail(options.file, problems, redactor);
  return { scenario: result.data, redactor, digest: createHash('sha256').update(text).digest('hex') };
}

function interpolateTree(
  value: unknown,
  path: PropertyKey[],
  fn: (value: string, path: PropertyKey[]) => string,
): unknown {
  if (typeof value === 'string') return fn(value, path);
  if (Array.isArray(value)) return value.map((item, i) => interpolateTree(item, [...path, i], fn));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateTree(v, [...path, k], fn)]));
  }
  return value;
}

type Locator = (path: readonly PropertyKey[]) => { line?: number; col?: number };

function describeIssue(
  issue: z.core.$ZodIssue,
  at: Locator,
  atKey: (path: readonly PropertyKey[], key: string) => { line?: number; col?: number },
): ScenarioProblem[] {
  const path = issue.path as PropertyKey[];
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const suggestion = nearest(key, KNOWN_KEYS.get(pathPattern(path)) ?? []);
        const known = [...(KNOWN_KEYS.get(pathPattern(path)) ?? [])].join(', ');
        return {
          ...atKey(path, key),
          path: formatPath([...path, key]),
          message: suggestion
            ? `unknown key "${key}"; did you mean "${suggestion}"?`
            : `unknown key "${key}"; expected one of: ${known}`,
        };
      });
    case 'invalid_type':
      return [
        {
          ...at(path),
          path: formatPath(path),
          message:
            input === undefined
              ? `missing; expected ${article(issue.expected)}`
              : `expected ${article(issue.expected)}, found ${describeFound(input)}`,
        },
      ];
    case 'invalid_value':
      return [
        {
          ...at(path),
          path: formatPath(path),
          message: `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, found ${describeFound(input)}`,
        },
      ];
    case 'invalid_union': {
      const discriminator = (issue as { discriminator?: string }).discriminator;
      const options = (issue as { options?: unknown[] }).options;
      if (discriminator && options) {
        const found = (input as Record<string, unknown> | undefined)?.[discriminator];
        const suggestion = typeof found === 'string' ? nearest(found, options.map(String)) : undefined;
        return [
          {
            ...at(path),
            path: formatPath(path),
            message: `expected one of ${options.map((o) => JSON.stringify(o)).join(', ')}, found ${describeFound(found)}${suggestion ? `; did you mean "${suggestion}"?` : ''}`,
          },
        ];
      }
      return [
        {
          ...at(path),
          path: formatPath(path),
          message: `expected one of the allowed forms, found ${describeFound(input)}`,
        },
      ];
    }
    case 'too_small':
    case 'too_big': {
      const bound = issue.code === 'too_small' ? issue.minimum : issue.maximum;
      const op = issue.code === 'too_small' ? (issue.inclusive ? '>=' : '>') : issue.inclusive ? '<=' : '<';
      const what =
        issue.origin === 'array'
          ? `a list of ${op} ${bound} items`
          : issue.origin === 'string'
            ? `text of ${op} ${bound} characters`
            : `a number ${op} ${bound}`;
      return [{ ...at(path), path: formatPath(path), message: `expected ${what}, found ${describeFound(input)}` }];
    }
    case 'custom':
      // Our own refinements say what they found where it helps; zod's input here is the refined object.
      return [{ ...at(path), path: formatPath(path), message: issue.message }];
    default: {
      const found = input === undefined || issue.message.includes('found ') ? '' : `, found ${describeFound(input)}`;
      return [{ ...at(path), path: formatPath(path), message: `${issue.message}${found}` }];
    }
  }
}

function article(expected: string): string {
  if (expected === 'object') return 'a mapping';
  if (expected === 'array') return 'a list';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

/** Format located problems: "file:line:col: path: message". */
export function formatProblem(file: string, p: ScenarioProblem): string {
  const where = p.line === undefined ? file : `${file}:${p.line}:${p.col ?? 1}`;
  return `${where}: ${p.path === '' ? '' : `${p.path}: `}${p.message}`;
}

function fail(file: string, problems: ScenarioProblem[], redactor?: Redactor): never {
  const sorted = [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
  const lines = sorted.map((p) => formatProblem(file, p)).map((l) => (redactor ? redactor.redactText(l) : l));
  throw new ScenarioError(
    `${file}: ${lines.length} problem${lines.length === 1 ? '' : 's'}; nothing was sent\n  ${lines.join('\n  ')}`,
    lines,
  );
}
