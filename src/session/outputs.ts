/**
 * What a run leaves behind: its folder (made before anything is sent, so an output folder that
 * cannot be written stops the run early), the result JSON with every secret redacted, the
 * reports the scenario asks for, and the Markdown summary appended to GitHub's job summary.
 */
import { accessSync, appendFileSync, constants, mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { CapacityResult } from '../capacity/result.js';
import { UsageError } from '../errors.js';
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

/** Why a path cannot be written, in words, from the error Node gave. */
function whyNot(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOTDIR':
    case 'EEXIST':
      return 'a file is in the way where a folder is needed';
    case 'EISDIR':
      return 'it is a folder, not a file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOENT':
      return 'its parent folder cannot be made there';
    case 'ENOSPC':
      return 'no space left on the device';
    default:
      return code ?? (error instanceof Error ? error.message : String(error));
  }
}

function refuse(what: string, path: string, error: unknown): never {
  throw new UsageError(`${what} ${path}: cannot write there (${whyNot(error)}); nothing was sent`);
}

/**
 * `mkdir -p` one level at a time. Node's recursive mkdirSync loops forever (at full CPU) on a
 * path under /proc, where every level answers ENOENT; walking up to the first existing folder
 * and making each missing one below it ends on any path.
 */
function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let at = resolve(dir); ; at = dirname(at)) {
    const found = statSync(at, { throwIfNoEntry: false });
    if (found) {
      if (!found.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
      break;
    }
    missing.push(at);
    if (dirname(at) === at) break;
  }
  for (const folder of missing.reverse()) {
    try {
      mkdirSync(folder);
    } catch (error) {
      // Made meanwhile by another process: fine.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/**
 * Make the folder `dir` and prove a file can be written in it, before anything is sent: an
 * output that fails after the load loses the results. `what` names where the path came from
 * ("--out", "outputs.dir"). Throws a UsageError (exit 2) naming the path.
 */
export function prepareOutputDir(dir: string, what: string): void {
  try {
    makeFolders(dir);
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
    const probe = join(dir, `.canary-gate-write-check-${process.pid}`);
    writeFileSync(probe, '');
    unlinkSync(probe);
  } catch (error) {
    refuse(what, dir, error);
  }
}

/**
 * Prove the file `file` can be written (its folder made, the file itself writable if it exists)
 * without creating it: an interrupted run must not leave an empty file that reads as a result.
 */
export function prepareOutputFile(file: string, what: string): void {
  try {
    const exists = statSync(file, { throwIfNoEntry: false });
    if (exists?.isDirectory()) throw Object.assign(new Error('a folder'), { code: 'EISDIR' });
    prepareOutputDir(dirname(file), what);
    if (exists) accessSync(file, constants.W_OK);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    refuse(what, file, error);
  }
}

/** GitHub's step summary, when GITHUB_STEP_SUMMARY names one, must be appendable before anything is sent. */
export function prepareStepSummary(env: RunIO['env']): void {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file) prepareOutputFile(file, 'GITHUB_STEP_SUMMARY');
}

/** Make a run's folder, `<outDir>/<run>`, checked writable; `what` names where outDir came from. */
export function makeRunDir(outDir: string, run: string, what = 'output folder'): string {
  const dir = join(outDir, run);
  prepareOutputDir(dir, what);
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
  prepareOutputDir(dir, 'output folder');
  const { write, files } = writer(dir);
  const markdown = renderCapacityMarkdown(result);
  if (formats.includes('json')) write('capacity.json', `${JSON.stringify(result, null, 2)}\n`);
  if (formats.includes('markdown')) write('capacity.md', markdown);
  if (formats.includes('html')) write('capacity.html', renderCapacityHtml(result));
  appendStepSummary(markdown, env);
  return files;
}
