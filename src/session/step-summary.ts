/** GitHub Actions' job summary: what a run appends to the file GITHUB_STEP_SUMMARY names. */
import { appendFileSync } from 'node:fs';
import type { CliIO } from '../cli/io.js';

/** Append Markdown to GitHub's step summary when GITHUB_STEP_SUMMARY names a file; else nothing. */
export function appendStepSummary(markdown: string, env: CliIO['env']): void {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, `${markdown}\n`);
}
