/**
 * What a run leaves behind: its folder (made before anything is sent, so an output folder that
 * cannot be written stops the run early), the result JSON with every secret redacted, the
 * reports the scenario asks for, and the Markdown summary appended to GitHub's job summary.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CapacityResult } from '../capacity/result.js';
import { renderCapacityHtml } from '../report/capacity-html.js';
import { renderCapacityMarkdown } from '../report/capacity-markdown.js';
import { renderHgrm } from '../report/hgrm.js';
import { renderHtml } from '../report/html.js';
import { renderJUnit } from '../report/junit.js';
import { renderMarkdown } from '../report/markdown.js';
import type { RunResult } from '../result/run-result.js';
import type { RunIO } from './io.js';

/** Append Markdown to GitHub's step summary when GITHUB_STEP_SUMMARY names a file; else nothing. */
export function appendStepSummary(markdown: string, env: RunIO['env']): void {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file) appendFileSync(file, `${markdown}\n`);
}

/** Make a run's folder, `<outDir>/<run>`. */
export function makeRunDir(outDir: string, run: string): string {
  const dir = join(outDir, run);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A file writer that remembers what it wrote. */
function writer(dir: string): { write: (name: string, text: string) => void; files: string[] } {
  const files: string[] = [];
  return {
    files,
    write: (name, text) => {
      writeFileSync(join(dir, name), text);
      files.push(join(dir, name));
    },
  };
}

/**
 * Write a finished run's result.json and the reports `formats` name into `dir`, and append the
 * Markdown summary to GitHub's step summary. `result` is already redacted. Returns the files.
 */
export function writeRunOutputs(
  result: RunResult,
  dir: string,
  formats: readonly string[],
  env: RunIO['env'],
): { resultFile: string; reports: string[] } {
  const resultFile = join(dir, 'result.json');
  writeFileSync(resultFile, `${JSON.stringify(result, null, 2)}\n`);
  const { write, files } = writer(dir);
  const markdown = renderMarkdown(result);
  if (formats.includes('markdown')) write('summary.md', markdown);
  if (formats.includes('junit')) write('junit.xml', renderJUnit(result));
  if (formats.includes('html')) write('report.html', renderHtml(result));
  if (formats.includes('hgrm')) for (const [name, text] of Object.entries(renderHgrm(result))) write(name, text);
  appendStepSummary(markdown, env);
  return { resultFile, reports: files };
}

/** Write a capacity search's reports into `dir`; append the Markdown to GitHub's step summary. */
export function writeCapacityOutputs(
  result: CapacityResult,
  dir: string,
  formats: readonly string[],
  env: RunIO['env'],
): string[] {
  mkdirSync(dir, { recursive: true });
  const { write, files } = writer(dir);
  const markdown = renderCapacityMarkdown(result);
  if (formats.includes('json')) write('capacity.json', `${JSON.stringify(result, null, 2)}\n`);
  if (formats.includes('markdown')) write('capacity.md', markdown);
  if (formats.includes('html')) write('capacity.html', renderCapacityHtml(result));
  appendStepSummary(markdown, env);
  return files;
}
