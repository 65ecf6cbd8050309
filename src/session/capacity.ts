/**
 * The session of a capacity search (`capacity`): a signal stops the search with the curve so far,
 * progress lines go to the terminal, and the reports are written where they were asked for.
 */
import { join } from 'node:path';
import type { CapacityPlan } from '../capacity/plan.js';
import type { CapacityResult } from '../capacity/result.js';
import { type CapacityRunOptions, runCapacity } from '../capacity/run.js';
import { renderStepLine } from '../report/capacity-text.js';
import type { Redactor } from '../scenario/secrets.js';
import type { RunIO } from './io.js';
import { prepareOutputDir, prepareStepSummary, writeCapacityOutputs } from './outputs.js';
import { newRunId } from './run-id.js';

/** Where a capacity search's reports go. */
export type CapacityReportsTo =
  /** A folder named on the command line. */
  | { dir: string }
  /** A new run folder under the scenario's outputs.dir. */
  | { under: string }
  /** Nowhere: the result is printed only. */
  | undefined;

/** Run a capacity search with its signals, progress and reports; the result is redacted. */
export async function runCapacitySession(
  plan: CapacityPlan,
  o: {
    redactor: Redactor;
    quiet: boolean;
    reportsTo: CapacityReportsTo;
    /** Each step's load over shards (--shards): the runner and what the result says of it. */
    sharded?: Required<Pick<CapacityRunOptions, 'runLoad' | 'shards'>>;
  },
  io: RunIO,
): Promise<{ result: CapacityResult; reports: string[] }> {
  const say = (text: string): void => {
    if (!o.quiet) io.stderr(o.redactor.redactText(text));
  };
  const to = o.reportsTo;
  const dir = to === undefined ? undefined : 'dir' in to ? to.dir : join(to.under, newRunId());
  // Outputs first: a folder that cannot be written must stop the search before anything is sent.
  if (dir !== undefined) prepareOutputDir(dir, to !== undefined && 'dir' in to ? '--out' : 'outputs.dir');
  prepareStepSummary(io.env);
  const controller = new AbortController();
  const unsubscribe = io.onSignal((signal) => {
    say(`\n${signal}: stopping the search\n`);
    controller.abort();
  });
  let result: CapacityResult;
  try {
    result = o.redactor.redact(
      await runCapacity(plan, {
        signal: controller.signal,
        ...o.sharded,
        say,
        onStep: (label, step) => say(`${renderStepLine(label, step)}\n`),
      }),
    );
  } finally {
    unsubscribe();
  }
  const reports = dir ? writeCapacityOutputs(result, dir, plan.formats, io.env) : [];
  return { result, reports };
}
