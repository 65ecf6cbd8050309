/** The files commands read (the I/O edge): scenarios, baselines and run results, each failing with its own error. */
import { readFile } from 'node:fs/promises';
import { type Baseline, BaselineFormatError, decodeBaseline } from '../baseline/format.js';
import { ScenarioError } from '../errors.js';
import type { RunResult } from '../result/run-result.js';
import { type LoadedScenario, type LoadOptions, loadScenario } from '../scenario/loader.js';
import type { Mode } from '../scenario/modes.js';
import type { CliIO } from './io.js';

/** Read and load a scenario file; an unreadable file is a ScenarioError. */
export async function readScenarioFile<M extends Mode = Mode>(
  file: string,
  io: Pick<CliIO, 'env'>,
  options: Omit<LoadOptions<M>, 'file' | 'env'> = {},
): Promise<LoadedScenario<M>> {
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
  return loadScenario(text, { ...options, file, env: io.env });
}

/** Read and decode a baseline file. */
export async function readBaselineFile(file: string): Promise<Baseline> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new BaselineFormatError(
      `${file}: cannot read the baseline: ${code === 'ENOENT' ? 'no such file' : String(error)}`,
    );
  }
  return decodeBaseline(text, file);
}

/** Read a run's result.json; anything else is a BaselineFormatError (exit 2). */
export async function readResultFile(file: string): Promise<RunResult> {
  let json: RunResult;
  try {
    json = JSON.parse(await readFile(file, 'utf8')) as RunResult;
  } catch (error) {
    throw new BaselineFormatError(`${file}: cannot read the result: ${(error as Error).message}`);
  }
  if (!Array.isArray(json?.steps) || typeof json.schemaVersion !== 'number') {
    throw new BaselineFormatError(`${file}: not a canary-gate result (no schemaVersion and steps)`);
  }
  return json;
}
