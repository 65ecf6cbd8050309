/**
 * Files the security section names (the CA of tls.ca), read and checked before anything is sent:
 * a missing or unreadable file is a scenario error naming the field, not a probe failure later.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ScenarioError } from '../errors.js';
import type { SecurityConfig } from '../scenario/security-schema.js';

/** What the probes need from files. */
export interface SecurityMaterial {
  /** PEM text of tls.ca. */
  ca?: string;
  /** tls.ca as written, for sentences. */
  caFile?: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Read and check the files of a security section; throws a ScenarioError naming the field. */
export function loadSecurityMaterial(
  section: SecurityConfig | undefined,
  scenarioFile: string,
  read: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): SecurityMaterial {
  const file = section?.tls?.ca;
  if (file === undefined) return {};
  const problem = (what: string): never => {
    const line = `${scenarioFile}: security.tls.ca: ${what}`;
    throw new ScenarioError(`${line}; nothing was sent`, [line]);
  };
  let text = '';
  try {
    text = read(file);
  } catch (error) {
    problem(
      `cannot read ${JSON.stringify(file)} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) problem(`expected PEM certificates in ${JSON.stringify(file)}, found none`);
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      problem(`expected PEM certificates in ${JSON.stringify(file)}: ${(error as Error).message}`);
    }
  }
  return { ca: text, caFile: file };
}
