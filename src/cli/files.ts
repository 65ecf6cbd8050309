/** The files commands read (the I/O edge): scenarios, baselines and run results, each failing with its own error. */
import { open } from 'node:fs/promises';
import { type Baseline, BaselineFormatError, decodeBaseline } from '../baseline/format.js';
import { CanaryGateError, ScenarioError, UsageError } from '../errors.js';
import { decodeRunResult, ResultFormatError } from '../result/decode.js';
import type { RunResult } from '../result/run-result.js';
import { type LoadedScenario, type LoadOptions, loadScenario, MAX_SCENARIO_BYTES } from '../scenario/loader.js';
import type { Mode } from '../scenario/modes.js';
import { MAX_PLAN_FILE_BYTES } from '../shard/split.js';
import type { CliIO } from './io.js';

/** Largest baseline or result file read, bytes. */
export const MAX_STORED_FILE_BYTES = 64 * 1024 * 1024;

/**
 * A file's text, read only when it is a regular file of at most `maxBytes`: a huge file (or
 * /dev/zero) must not fill the memory before anything can be said about it. Throws `fail(why)`.
 */
async function readBounded(file: string, maxBytes: number, fail: (why: string) => Error): Promise<string> {
  let handle: Awaited<ReturnType<typeof open>>;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fail(code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(code ?? error));
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw fail('is a directory');
    if (!stat.isFile()) throw fail('not a regular file');
    if (stat.size > maxBytes) throw fail(`${stat.size} bytes, over the limit of ${maxBytes}`);
    return await handle.readFile('utf8');
  } catch (error) {
    if (error instanceof CanaryGateError) throw error;
    throw fail(String((error as NodeJS.ErrnoException).code ?? error));
  } finally {
    await handle.close();
  }
}

/** Read and load a scenario file; an unreadable or oversized file is a ScenarioError. */
export async function readScenarioFile<M extends Mode = Mode>(
  file: string,
  io: Pick<CliIO, 'env'>,
  options: Omit<LoadOptions<M>, 'file' | 'env'> = {},
): Promise<LoadedScenario<M>> {
  const text = await readBounded(
    file,
    MAX_SCENARIO_BYTES,
    (why) =>
      new ScenarioError(`${file}: cannot read the scenario: ${why}`, [`${file}: ${why}`], {
        hint: 'canary-gate init writes a starter scenario',
      }),
  );
  return loadScenario(text, { ...options, file, env: io.env });
}

/** Read and decode a baseline file. */
export async function readBaselineFile(file: string): Promise<Baseline> {
  const text = await readBounded(
    file,
    MAX_STORED_FILE_BYTES,
    (why) => new BaselineFormatError(`${file}: cannot read the baseline: ${why}`),
  );
  return decodeBaseline(text, file);
}

/** Read and decode a run's result.json; anything else is a ResultFormatError (exit 2). */
export async function readResultFile(file: string): Promise<RunResult> {
  const text = await readBounded(
    file,
    MAX_STORED_FILE_BYTES,
    (why) => new ResultFormatError(`${file}: cannot read the result: ${why}`),
  );
  return decodeRunResult(text, file);
}

/** A shard plan file (`--plan`), at most MAX_PLAN_FILE_BYTES; unreadable or larger is a UsageError. */
export async function readPlanFile(path: string): Promise<string> {
  const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`--plan ${path}: cannot read it (${error.code ?? error.message})`);
  });
  try {
    const buffer = Buffer.alloc(MAX_PLAN_FILE_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_PLAN_FILE_BYTES)
      throw new UsageError(`--plan ${path}: expected at most ${MAX_PLAN_FILE_BYTES} bytes`);
    return buffer.subarray(0, bytesRead).toString('utf8');
  } finally {
    await handle.close();
  }
}
