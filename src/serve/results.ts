/**
 * What a finished session leaves behind: its RunResult (the same versioned JSON a `run` writes)
 * with a Markdown summary, and — when the canary was promoted — a stored baseline recorded from
 * the canary's measurements, for the next release of the app to be compared with.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildBaseline } from '../baseline/build.js';
import { DECISION_EXIT } from '../exit-codes.js';
import { renderMarkdown } from '../report/markdown.js';
import { machineFingerprint, RUN_RESULT_SCHEMA_VERSION, type RunResult } from '../result/run-result.js';
import type { Redactor } from '../scenario/secrets.js';
import type { MeasuredStep } from './runner.js';

/** Write result.json and summary.md under `dir`; returns the result file. */
export function writeSessionResult(dir: string, result: RunResult, redactor: Redactor): string {
  mkdirSync(dir, { recursive: true });
  const redacted = redactor.redact(result);
  const file = join(dir, 'result.json');
  writeFileSync(file, `${JSON.stringify(redacted, null, 2)}\n`);
  writeFileSync(join(dir, 'summary.md'), renderMarkdown(redacted));
  return file;
}

/** Store the promoted canary's steps as the app's baseline (written whole, then renamed). */
export function storeBaseline(
  file: string,
  steps: readonly MeasuredStep[],
  header: { app: string; revision: string; scenario: { name: string; digest: string } },
): boolean {
  const measured = steps.flatMap((s) =>
    s.canary ? [{ weight: s.result.weight, durationMs: s.result.durationMs, arm: s.canary }] : [],
  );
  if (measured.length === 0) return false;
  const baseline = buildBaseline(
    {
      label: { version: `${header.app}@${header.revision}` },
      recordedAt: new Date().toISOString(),
      scenario: header.scenario,
      machine: machineFingerprint(),
    },
    measured,
  );
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(baseline, null, 2)}\n`);
  renameSync(tmp, file);
  return true;
}

/** A RunResult ended now, on this machine, its exit code from its decision. */
export function endedRunResult(r: Omit<RunResult, 'schemaVersion' | 'endedAt' | 'machine' | 'exitCode'>): RunResult {
  return {
    schemaVersion: RUN_RESULT_SCHEMA_VERSION,
    ...r,
    endedAt: new Date().toISOString(),
    machine: machineFingerprint(),
    exitCode: DECISION_EXIT[r.decision],
  };
}
