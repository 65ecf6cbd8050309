/** Reads a baseline file (the I/O edge); unreadable files are BaselineFormatErrors. */
import { readFile } from 'node:fs/promises';
import { type Baseline, BaselineFormatError, decodeBaseline } from '../baseline/format.js';

/** Read and decode `file`. */
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
