/** Reads a scenario file (the I/O edge) and loads it; an unreadable file is a ScenarioError. */
import { readFile } from 'node:fs/promises';
import { ScenarioError } from '../errors.js';
import { type LoadedScenario, loadScenario } from '../scenario/loader.js';
import type { CliIO } from './io.js';

/** Read and load `file`. */
export async function readScenarioFile(file: string, io: Pick<CliIO, 'env'>): Promise<LoadedScenario> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(error);
    throw new ScenarioError(`${file}: cannot read the scenario: ${why}`, [`${file}: ${why}`], {
      hint: 'canary-gate init writes a starter scenario',
    });
  }
  return loadScenario(text, { file, env: io.env });
}
