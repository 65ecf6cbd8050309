/**
 * One step of a canary judged on its own, for an Argo Rollouts job metric (`canary-gate judge
 * <scenario> --step N`): the same runner a serve session uses (one continuous load to both arms in
 * the step's proportions, looks with their budgets, windows, the judge), so the job and the web
 * metric measure alike. With `--session <dir>` (a folder the rollout's jobs share) each step's
 * result is kept there too, and a step whose baseline arm carries too little (100 %) is judged
 * against the pooled baseline of the earlier steps kept there.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { decodeArm, judgeArm } from '../arm/arm.js';
import { preflight } from '../canary/preflight.js';
import { UsageError } from '../errors.js';
import type { Decision } from '../exit-codes.js';
import type { PoolPart } from '../gates/pool.js';
import type { HealthResult, RunResult } from '../result/run-result.js';
import type { CanaryScenario } from '../scenario/schema.js';
import type { Redactor } from '../scenario/secrets.js';
import type { RunIO } from '../session/io.js';
import { makeRunDir, writeRunOutputs } from '../session/outputs.js';
import { newRunId } from '../session/run-id.js';
import { abortOnTrouble } from '../session/signals.js';
import { liveSessionRunner } from './live-runner.js';
import { endedRunResult } from './results.js';
import type { StepReport } from './runner.js';

/** What judging one step needs. */
export interface JudgeStepOptions {
  scenario: CanaryScenario;
  scenarioFile: string;
  digest: string;
  redactor: Redactor;
  /** 1-based step of scenario.steps. */
  step: number;
  outDir: string;
  /** A folder shared by the rollout's jobs: earlier steps' results for the pooled baseline. */
  sessionDir?: string;
  quiet: boolean;
}

/** The judged step: its result (redacted) and the files written. */
export interface JudgeStepOutcome {
  result: RunResult;
  resultFile: string;
  reports: string[];
}

/** Most earlier results read from a session folder (a rollout has at most this many steps). */
const MAX_POOLED_RESULTS = 64;

/** Judge step `o.step`; never throws for run-time trouble (it becomes the result's decision). */
export async function judgeOneStep(o: JudgeStepOptions, io: RunIO): Promise<JudgeStepOutcome> {
  const run = newRunId();
  const dir = makeRunDir(o.outDir, run);
  const startedAt = new Date().toISOString();
  const weight = o.scenario.steps[o.step - 1] as number;
  const say = (text: string): void => {
    if (!o.quiet) io.stderr(o.redactor.redactText(`${text}\n`));
  };
  const finish = (
    decision: Decision,
    reason: string,
    steps: RunResult['steps'],
    preflightResults: HealthResult[] = [],
  ): JudgeStepOutcome => {
    const result = o.redactor.redact(
      endedRunResult({
        run,
        scenario: { name: o.scenario.name, file: resolve(o.scenarioFile), digest: o.digest },
        router: `none: judge --step ${o.step} (${weight} %); the controller moves the weight`,
        startedAt,
        preflight: preflightResults,
        steps,
        decision,
        reason,
        warnings: [],
      }),
    );
    const written = writeRunOutputs(result, dir, o.scenario.outputs.formats, io.env);
    if (o.sessionDir) keepInSession(o.sessionDir, o.step, result);
    return { result, ...written };
  };

  // Read before anything is sent: a bad file in the session folder is bad usage (exit 2).
  const pooled = o.sessionDir ? earlierBaselines(o.sessionDir, o.step, o.digest) : [];
  const health = await preflight(o.scenario);
  const sick = health.filter((h) => !h.healthy);
  if (sick.length > 0) {
    const reason = `pre-flight: unhealthy: ${sick.map((h) => `${h.service} ${h.url} (${h.detail})`).join(', ')}; nothing was sent`;
    return finish('aborted', reason, [], health);
  }
  const controller = new AbortController();
  const release = abortOnTrouble(io, controller, say, 'stopping the probe load');
  const runner = liveSessionRunner({ pool: pooled })(o.scenario, {
    onLoadStart: () => undefined,
    onDecided: () => undefined,
  });
  say(`judge: ${o.scenario.name} step ${o.step}/${o.scenario.steps.length} (${weight} %)`);
  let report: StepReport | undefined;
  try {
    runner.startStep(o.step - 1, weight);
    report = await runner.decided(controller.signal);
  } finally {
    await runner.stop();
    release();
  }
  const steps = runner.steps().map((s) => s.result);
  const verdict = steps[0]?.verdict;
  if (controller.signal.aborted) {
    const why = controller.signal.reason as { signal?: string } | Error | undefined;
    const interrupted = why !== undefined && 'signal' in why && why.signal !== undefined;
    return finish(
      interrupted ? 'interrupted' : 'aborted',
      interrupted ? `interrupted by ${why.signal}` : `aborted: ${(why as Error | undefined)?.message ?? 'unknown'}`,
      steps,
    );
  }
  const reason = `step ${o.step} (${weight} %): ${verdict?.reason ?? 'not judged'}`;
  if (report?.status === 'pass') return finish('promote', reason, steps);
  if (report?.status === 'fail') return finish('rollback', reason, steps);
  return finish('aborted', reason, steps);
}

/** Keep a step's result in the session folder, for later steps' pooled baseline. */
function keepInSession(sessionDir: string, step: number, result: RunResult): void {
  mkdirSync(sessionDir, { recursive: true });
  writeFileSync(join(sessionDir, `step-${step}.json`), `${JSON.stringify(result)}\n`);
}

/** The baseline arms of earlier steps kept in the session folder (same scenario digest). */
function earlierBaselines(sessionDir: string, step: number, digest: string): PoolPart[] {
  if (!existsSync(sessionDir)) return [];
  const parts: PoolPart[] = [];
  const files = readdirSync(sessionDir)
    .filter((f) => /^step-\d+\.json$/.test(f))
    .slice(0, MAX_POOLED_RESULTS);
  for (const file of files) {
    const n = Number(/\d+/.exec(file)?.[0]);
    if (!(n < step)) continue;
    const path = join(sessionDir, file);
    try {
      const result = JSON.parse(readFileSync(path, 'utf8')) as RunResult;
      if (result.scenario?.digest !== digest) continue;
      const s = result.steps?.[0];
      const stored = s?.arms?.baseline;
      if (!s || !stored || !(stored.requests > 0)) continue;
      parts.push({
        step: n,
        arm: judgeArm(decodeArm(stored, 'baseline', path), s.durationMs),
        ...(s.verdict?.excluded ? { excluded: s.verdict.excluded } : {}),
      });
    } catch (error) {
      throw new UsageError(
        `--session: ${path}: expected an earlier step's result (canary-gate judge --step --session), but ${(error as Error).message}; nothing was sent`,
      );
    }
  }
  return parts.sort((a, b) => a.step - b.step);
}
