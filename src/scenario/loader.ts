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
import { commandFor, MODES, type Mode, missingSectionReason, refusedKeyReason, wrongModeReason } from './modes.js';
import { MODE_SCHEMAS, modeOf, type Scenario, type ScenarioOf, ScenarioSchema } from './schema.js';
import { interpolateEnv, Redactor } from './secrets.js';
import { keysByPath, nearest, pathPattern } from './suggest.js';

/** A loaded scenario with the secrets it holds and a digest of its text. */
export interface LoadedScenario<M extends Mode = Mode> {
  /** The validated scenario, defaults applied. */
  scenario: ScenarioOf<M>;
  /** Knows every ${env:…} value; pass everything printed or stored through it. */
  redactor: Redactor;
  /** sha256 of the file's text, for results and baselines. */
  digest: string;
  /** The document as written, ${env:NAME} substituted: what flags are laid over (see validateScenario). */
  input: Record<string, unknown>;
  /** Things worth saying that are not problems: an unset ${env:NAME} when `unsetEnv` is "warn". */
  warnings: string[];
}

/** Where the scenario came from, what it may read, and what the command reading it accepts. */
export interface LoadOptions<M extends Mode = Mode> {
  /** File name used in messages. */
  file: string;
  /** Environment for ${env:NAME}. */
  env: Readonly<Record<string, string | undefined>>;
  /** The modes the reading command runs, and its name for the message when the file has another (default: every mode). */
  accept?: { modes: readonly M[]; command: string };
  /**
   * An unset ${env:NAME}: a problem (commands that send refuse it), or a warning with the
   * reference left in place (validate checks a file's shape).
   */
  unsetEnv?: 'error' | 'warn';
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
  /** Set when the problem is a section that this mode (and not the schema as a whole) refuses. */
  refusedIn?: Mode;
}

/** The keys each mode accepts, by path pattern; "" holds every mode's keys together. */
const KNOWN_KEYS: ReadonlyMap<string, Map<string, Set<string>>> = new Map([
  ['', keysByPath(ScenarioSchema)],
  ...MODES.map((m): [string, Map<string, Set<string>>] => [m, keysByPath(MODE_SCHEMAS[m])]),
]);

/** The modes that accept `key` at the path pattern `at`. */
function modesWithKey(at: string, key: string): Mode[] {
  return MODES.filter((m) => KNOWN_KEYS.get(m)?.get(at)?.has(key));
}

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
export function loadScenario<M extends Mode = Mode>(text: string, options: LoadOptions<M>): LoadedScenario<M> {
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
  // With unsetEnv "warn", an unset ${env:NAME} stays as written: a warning where any text will
  // do (a header), the problem itself where the field cannot be checked without it (a URL).
  const unset = new Map<string, { problem: ScenarioProblem; warnings: string[] }>();
  const interpolated = interpolateTree(data, [], (value, path) => {
    const field = formatPath(path);
    const problem = (error: unknown): ScenarioProblem => ({
      ...at(path),
      path: field,
      message: error instanceof Error ? error.message.replace(/^[^:]*: /, '') : String(error),
    });
    if (options.unsetEnv === 'warn') {
      const warned: string[] = [];
      const text = interpolateEnv(value, options.env, redactor, field, warned);
      if (warned.length > 0) {
        let cause: unknown;
        try {
          interpolateEnv(value, options.env, new Redactor(), field);
        } catch (error) {
          cause = error;
        }
        unset.set(field, { problem: problem(cause), warnings: warned });
      }
      return text;
    }
    try {
      return interpolateEnv(value, options.env, redactor, field);
    } catch (error) {
      problems.push(problem(error));
      return value;
    }
  }) as Record<string, unknown>;

  const checked = check(interpolated, options.accept, { at, atKey: (p, k) => locate(lines, keyOffset(p, k)) });
  problems.push(...checked.problems.map((p) => unset.get(p.path)?.problem ?? p));
  const warnings = [...unset].filter(([path]) => !problems.some((p) => p.path === path)).flatMap(([, u]) => u.warnings);
  if (problems.length > 0 || checked.scenario === undefined) fail(options.file, problems, redactor);
  return {
    scenario: checked.scenario as ScenarioOf<M>,
    redactor,
    digest: createHash('sha256').update(text).digest('hex'),
    input: interpolated,
    warnings,
  };
}

/**
 * Validate a scenario that is not a file: one built from command-line flags, or a file's `input`
 * with flags laid over it. `name` says how a field is called to the user (a flag), when it is
 * not by its path. Throws a ScenarioError with every problem.
 */
export function validateScenario<M extends Mode = Mode>(
  input: Record<string, unknown>,
  options: { file: string; accept?: LoadOptions<M>['accept']; name?: (path: string) => string | undefined },
): ScenarioOf<M> {
  const rename = (p: ScenarioProblem): ScenarioProblem => ({ ...p, path: options.name?.(p.path) ?? p.path });
  const checked = check(input, options.accept, { at: () => ({}), atKey: () => ({}) });
  if (checked.problems.length > 0 || checked.scenario === undefined) fail(options.file, checked.problems.map(rename));
  return checked.scenario as ScenarioOf<M>;
}

/**
 * Validate `input` against a section's schema (a command's own settings, such as `load`'s):
 * problems read "name: expected …", the name from `name(path)`, or the path.
 */
export function validateSection<S extends z.ZodType>(
  schema: S,
  input: unknown,
  name: (path: string) => string | undefined = () => undefined,
): { value: z.output<S> } | { problems: string[] } {
  const result = schema.safeParse(input, { reportInput: true });
  if (result.success) return { value: result.data };
  const none = () => ({});
  return {
    problems: result.error.issues
      .flatMap((issue) => describeIssue(issue, undefined, none, none))
      .map((p) => formatProblem('', { ...p, path: name(p.path) ?? p.path })),
  };
}

/** Every problem of a document: the schema's, and a mode the reading command does not run. */
function check(
  input: Record<string, unknown>,
  accept: LoadOptions['accept'],
  where: { at: Locator; atKey: (path: readonly PropertyKey[], key: string) => { line?: number; col?: number } },
): { problems: ScenarioProblem[]; scenario?: Scenario } {
  const problems: ScenarioProblem[] = [];
  const mode = modeOf(input);
  const result = ScenarioSchema.safeParse(input, { reportInput: true });
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(...describeIssue(issue, mode, where.at, where.atKey));
  }
  if (accept && (MODES as readonly string[]).includes(mode ?? '') && !accept.modes.includes(mode as never)) {
    const expected = accept.modes.map((m) => JSON.stringify(m)).join(' or ');
    problems.push({
      ...(input.mode === undefined ? {} : where.at(['mode'])),
      path: 'mode',
      message: `expected ${expected}, found ${JSON.stringify(mode)}: ${wrongModeReason(accept.command, mode as Mode)}`,
    });
  }
  return { problems, ...(result.success ? { scenario: result.data } : {}) };
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
  mode: string | undefined,
  at: Locator,
  atKey: (path: readonly PropertyKey[], key: string) => { line?: number; col?: number },
): ScenarioProblem[] {
  const path = issue.path as PropertyKey[];
  const input = (issue as { input?: unknown }).input;
  switch (issue.code) {
    case 'unrecognized_keys':
      return issue.keys.map((key) => {
        const pattern = pathPattern(path);
        const known = KNOWN_KEYS.get(mode ?? '')?.get(pattern) ?? KNOWN_KEYS.get('')?.get(pattern) ?? new Set();
        const keyPattern = pattern === '' ? key : `${pattern}.${key}`;
        const refused = (MODES as readonly string[]).includes(mode ?? '')
          ? refusedKeyReason(mode as Mode, keyPattern, modesWithKey(pattern, key))
          : undefined;
        if (refused)
          return { ...atKey(path, key), path: formatPath([...path, key]), message: refused, refusedIn: mode as Mode };
        const suggestion = nearest(key, known);
        return {
          ...atKey(path, key),
          path: formatPath([...path, key]),
          message: suggestion
            ? `unknown key "${key}"; did you mean "${suggestion}"?`
            : `unknown key "${key}"; expected one of: ${[...known].join(', ')}`,
        };
      });
    case 'invalid_type': {
      const section = (MODES as readonly string[]).includes(mode ?? '')
        ? missingSectionReason(mode as Mode, formatPath(path))
        : undefined;
      return [
        {
          ...at(path),
          path: formatPath(path),
          message:
            input === undefined
              ? (section ?? `missing; expected ${article(issue.expected)}`)
              : `expected ${article(issue.expected)}, found ${describeFound(input)}`,
        },
      ];
    }
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
      const options = ((issue as { options?: unknown[] }).options ?? []).filter((o) => o !== null && o !== undefined);
      if (discriminator) {
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

/** Format located problems: "file:line:col: path: message" (without a file, "path: message"). */
export function formatProblem(file: string, p: ScenarioProblem): string {
  const where = p.line === undefined ? file : `${file}:${p.line}:${p.col ?? 1}`;
  return `${where === '' ? '' : `${where}: `}${p.path === '' ? '' : `${p.path}: `}${p.message}`;
}

function fail(file: string, problems: ScenarioProblem[], redactor?: Redactor): never {
  const sorted = [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.col ?? 0) - (b.col ?? 0));
  const lines = sorted.map((p) => formatProblem(file, p)).map((l) => (redactor ? redactor.redactText(l) : l));
  // Sections the mode cannot honour, and nothing else: say so first, as the command that runs it.
  const mode = problems.every((p) => p.refusedIn) ? problems[0]?.refusedIn : undefined;
  const head = mode
    ? `${commandFor(mode)} cannot honour every part of this scenario`
    : `${lines.length} problem${lines.length === 1 ? '' : 's'}`;
  throw new ScenarioError(`${file === '' ? '' : `${file}: `}${head}; nothing was sent\n  ${lines.join('\n  ')}`, lines);
}
