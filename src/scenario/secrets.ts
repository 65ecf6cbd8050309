/**
 * `${env:NAME}` interpolation. Every value that came from the environment is a secret: it is
 * registered with a Redactor, and everything printed or stored passes through `redact`.
 */
import { ScenarioError } from '../errors.js';

const ENV_REF = /\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The placeholder that replaces a secret wherever it would be printed or stored. */
export const REDACTED = '[redacted]';

/** Every secret any Redactor of this process has seen: the last line of defence for error output. */
const processSecrets = new Set<string>();

/** Text with every secret this process has loaded replaced by `[redacted]` (for error messages). */
export function redactProcessSecrets(text: string): string {
  let out = text;
  for (const secret of [...processSecrets].sort((a, b) => b.length - a.length)) out = out.split(secret).join(REDACTED);
  return out;
}

/** Remembers secret values and removes them from any text or JSON-like value. */
export class Redactor {
  readonly #secrets = new Set<string>();

  /** Remember a value as secret. Empty strings are ignored (they would match everywhere). */
  add(secret: string): void {
    if (secret.length > 0) {
      this.#secrets.add(secret);
      processSecrets.add(secret);
    }
  }

  /** How many distinct secrets are known. */
  get size(): number {
    return this.#secrets.size;
  }

  /** Text with every known secret replaced by `[redacted]`; longer secrets first. */
  redactText(text: string): string {
    if (this.#secrets.size === 0) return text;
    let out = text;
    const ordered = [...this.#secrets].sort((a, b) => b.length - a.length);
    for (const secret of ordered) out = out.split(secret).join(REDACTED);
    return out;
  }

  /**
   * A deep copy of a JSON-like value with every string (and key) redacted. Numbers stay numbers,
   * and encoded histograms (any `histogram` field) are kept whole: a short secret must not
   * corrupt them, and they hold no text.
   */
  redact<T>(value: T): T {
    if (this.#secrets.size === 0) return value;
    const walk = (v: unknown): unknown => {
      if (typeof v === 'string') return this.redactText(v);
      if (Array.isArray(v)) return v.map(walk);
      if (v !== null && typeof v === 'object') {
        return Object.fromEntries(
          Object.entries(v).map(([k, x]) => [this.redactText(k), k === 'histogram' ? x : walk(x)]),
        );
      }
      return v;
    };
    return walk(value) as T;
  }
}

/**
 * Replace each `${env:NAME}` in `value` with the variable's value from `env`, registering it
 * with `redactor`. A missing variable is an error naming `field` and the variable; with
 * `warnings`, it is a warning there instead and the reference stays as written (checking a
 * file's shape needs no secrets; sending does).
 */
export function interpolateEnv(
  value: string,
  env: Readonly<Record<string, string | undefined>>,
  redactor: Redactor,
  field: string,
  warnings?: string[],
): string {
  return value.replace(ENV_REF, (whole, name: string) => {
    const found = env[name];
    if (found === undefined && warnings) {
      warnings.push(`${field}: \${env:${name}} is not set; commands that send refuse the file until it is`);
      return whole;
    }
    if (found === undefined) {
      throw new ScenarioError(
        `${field}: environment variable ${name} is not set (referenced as \${env:${name}})`,
        [`${field}: \${env:${name}} is not set`],
        { hint: `export ${name}=... before running, or remove the reference` },
      );
    }
    redactor.add(found);
    return found;
  });
}
