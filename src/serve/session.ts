/**
 * One session: one revision of one workload, judged step by step while its controller moves the
 * weight. It keeps the plan (each step's weight), where the controller is in it, the pre-flight
 * outcome and the end; every change is journaled before an answer depends on it. Ending a session
 * stops its load first, then writes its RunResult (and, when promoted, the app's next baseline).
 */
import { join } from 'node:path';
import type { Decision } from '../exit-codes.js';
import type { LoadedScenario } from '../scenario/loader.js';
import type { CanaryScenario } from '../scenario/schema.js';
import type { ServeLimits } from './config.js';
import type { SessionJournal, SessionSubject } from './journal.js';
import type { PreRolloutResult } from './pre-rollout.js';
import { preRolloutCheck } from './pre-rollout.js';
import { endedRunResult, storeBaseline, writeSessionResult } from './results.js';
import type { SessionRunner, StepReport } from './runner.js';

/** An application serve judges: its name and its loaded scenario. */
export interface App extends LoadedScenario<'canary'> {
  name: string;
  /** The scenario file, resolved. */
  file: string;
}

/** How a session ended. */
export interface SessionEnd {
  decision: Decision;
  reason: string;
  resultFile?: string;
}

/** Everything a session is made of. */
export interface SessionParts {
  id: string;
  key: string;
  subject: SessionSubject;
  plan: number[];
  app: App;
  journal: SessionJournal;
  limits: ServeLimits;
  stateDir: string;
  makeRunner: (onDecided: (report: StepReport) => void) => SessionRunner;
  openedAtMs: number;
}

/** A session, live or ended. */
export class Session {
  readonly id: string;
  readonly key: string;
  readonly subject: SessionSubject;
  readonly plan: number[];
  readonly app: App;
  readonly openedAtMs: number;
  lastSeenMs: number;
  stepIndex = -1;
  pre: PreRolloutResult | undefined;
  ended: SessionEnd | undefined;
  readonly #journal: SessionJournal;
  readonly #limits: ServeLimits;
  readonly #stateDir: string;
  readonly #runner: SessionRunner;
  /** A step decided before a restart, answered from the journal until the weight moves. */
  #restored: StepReport | undefined;
  #preRun: Promise<PreRolloutResult> | undefined;
  #ending: Promise<SessionEnd> | undefined;
  #seenJournaledMs = 0;
  readonly #stopping = new AbortController();
  readonly startedAt = new Date().toISOString();

  constructor(parts: SessionParts) {
    this.id = parts.id;
    this.key = parts.key;
    this.subject = parts.subject;
    this.plan = parts.plan;
    this.app = parts.app;
    this.openedAtMs = parts.openedAtMs;
    this.lastSeenMs = parts.openedAtMs;
    this.#journal = parts.journal;
    this.#limits = parts.limits;
    this.#stateDir = parts.stateDir;
    this.#runner = parts.makeRunner((report) =>
      this.#journal.append({
        event: 'verdict',
        index: report.index,
        status: report.status === 'fail' ? 'fail' : 'pass',
        reason: this.app.redactor.redactText(report.verdict?.reason ?? ''),
      }),
    );
  }

  /** The scenario the session is judged by, with the session's plan as its steps. */
  get scenario(): CanaryScenario {
    return { ...this.app.scenario, steps: this.plan };
  }

  /** Write the open line (a new session, not a restored one). */
  journalOpen(): void {
    this.#journal.append({ event: 'open', key: this.key, subject: this.subject, plan: this.plan });
  }

  /** A call from the controller: the idle deadline starts again (journaled at most every 5 s). */
  touch(nowMs: number): void {
    this.lastSeenMs = nowMs;
    if (this.ended === undefined && nowMs - this.#seenJournaledMs >= 5000) {
      this.#seenJournaledMs = nowMs;
      this.#journal.append({ event: 'seen' });
    }
  }

  /**
   * Answer a controller call: the session counts as attended while the call is open (a long poll,
   * a pre-rollout's smoke load) and from its end on.
   */
  async attend<T>(nowMs: () => number, call: () => Promise<T>): Promise<T> {
    this.#calls++;
    this.touch(nowMs());
    try {
      return await call();
    } finally {
      this.#calls--;
      this.touch(nowMs());
    }
  }

  #calls = 0;

  /** The idle or age deadline this session has passed at `nowMs`, if any. */
  overdue(nowMs: number): string | undefined {
    if (this.#calls === 0 && nowMs - this.lastSeenMs > this.#limits.idleTimeout)
      return `no call from ${this.subject.controller} for ${Math.round((nowMs - this.lastSeenMs) / 1000)} s (idleTimeout ${this.#limits.idleTimeout / 1000} s): nobody is left to judge for`;
    if (nowMs - this.openedAtMs > this.#limits.maxSessionDuration)
      return `the session is older than maxSessionDuration (${this.#limits.maxSessionDuration / 1000} s)`;
    return undefined;
  }

  /**
   * The pre-flight outcome; runs it once (again after a failure), sharing one run between
   * concurrent callers. Resolves undefined when `signal` fires first (still running).
   */
  async preRollout(signal: AbortSignal): Promise<PreRolloutResult | undefined> {
    if (this.pre?.ok) return this.pre;
    if (!this.#preRun) {
      // Bounded, and cut short when the session ends or serve stops: no smoke load outlives either.
      const bound = AbortSignal.any([AbortSignal.timeout(60_000), this.#stopping.signal]);
      const run = preRolloutCheck(this.scenario, this.#limits.smokeDuration, bound);
      this.#preRun = run.then((result) => {
        const redacted = { ok: result.ok, reason: this.app.redactor.redactText(result.reason) };
        this.pre = redacted;
        this.#preRun = undefined;
        this.#journal.append({ event: 'preflight', ...redacted });
        return redacted;
      });
    }
    const running = this.#preRun;
    const cut = new Promise<undefined>((resolve) => {
      if (signal.aborted) resolve(undefined);
      signal.addEventListener('abort', () => resolve(undefined), { once: true });
    });
    return Promise.race([running, cut]);
  }

  /** Start step `index` of the plan (journaled first), unless it is the current one. */
  enterStep(index: number): void {
    const weight = this.plan[index];
    if (this.ended || weight === undefined || index === this.stepIndex) return;
    this.#journal.append({ event: 'step', index, weight });
    this.stepIndex = index;
    this.#restored = undefined;
    this.#runner.startStep(index, weight);
  }

  /** Move to the step whose weight the controller says is in effect (a weight off the plan is added to it). */
  enterWeight(weight: number): void {
    let index = this.plan.indexOf(weight);
    if (index < 0) {
      // Off the plan: judged as a step of its own, after the ones with lower weights.
      index = this.plan.filter((w) => w < weight).length;
      this.plan.splice(index, 0, weight);
      if (index <= this.stepIndex) this.stepIndex++;
    }
    this.enterStep(index);
  }

  /** Resume after a restart: the journal's step, measured anew unless it was already decided. */
  resume(step: { index: number; weight: number }, decided?: { status: 'pass' | 'fail'; reason: string }): void {
    this.stepIndex = step.index;
    this.#journal.append({ event: 'resumed', ...step });
    if (decided) {
      this.#restored = { ...step, status: decided.status, looks: 0 };
      this.#restoredReason = decided.reason;
      return;
    }
    this.#runner.startStep(step.index, step.weight);
  }

  #restoredReason = '';

  /** The current step as the controller should hear it. */
  step(): StepReport | undefined {
    return this.#restored ?? this.#runner.current();
  }

  /** One sentence on the current step. */
  stepReason(): string {
    const s = this.step();
    if (!s) return this.pre ? this.pre.reason : 'no step yet';
    const reason = s.verdict?.reason ?? (this.#restored ? `${this.#restoredReason} (before a restart)` : 'measuring');
    return `step ${s.index + 1}/${this.plan.length} (${s.weight}%): ${s.status === 'measuring' ? 'inconclusive' : s.status}: ${reason}`;
  }

  /** Wait until the current step is decided or `signal` fires. */
  decided(signal: AbortSignal): Promise<StepReport | undefined> {
    return this.#restored ? Promise.resolve(this.#restored) : this.#runner.decided(signal);
  }

  /** True at the plan's last step. */
  atLastStep(): boolean {
    return this.stepIndex === this.plan.length - 1;
  }

  /** Close the journal of a session restored as already ended. */
  suspendJournal(): void {
    this.#journal.close();
  }

  /** Stop the load without ending (serve is shutting down; a restart resumes). */
  async suspend(): Promise<void> {
    this.#stopping.abort();
    await this.#runner.stop();
    this.#journal.close();
  }

  /** End: stop the load, journal the end, write the result (and a baseline when promoted). Once. */
  end(decision: Decision, reason: string): Promise<SessionEnd> {
    this.#ending ??= this.#finish(decision, this.app.redactor.redactText(reason));
    return this.#ending;
  }

  async #finish(decision: Decision, reason: string): Promise<SessionEnd> {
    this.ended = { decision, reason };
    this.#stopping.abort();
    await this.#runner.stop();
    this.#journal.append({ event: 'end', decision, reason });
    this.#journal.close();
    const steps = this.#runner.steps();
    const result = endedRunResult({
      run: this.id,
      scenario: { name: this.app.scenario.name, file: this.app.file, digest: this.app.digest },
      router: `${this.subject.controller}: ${this.subject.namespace}/${this.subject.name} revision ${this.subject.revision} (the controller moves the weight)`,
      startedAt: this.startedAt,
      preflight: [],
      steps: steps.map((s) => s.result),
      decision,
      reason,
      warnings: this.pre ? [] : ['no pre-flight ran in this session'],
    });
    try {
      const resultFile = writeSessionResult(join(this.#stateDir, 'results', this.id), result, this.app.redactor);
      if (decision === 'promote') {
        storeBaseline(join(this.#stateDir, 'baselines', `${this.app.name}.json`), steps, {
          app: this.app.name,
          revision: this.subject.revision,
          scenario: { name: this.app.scenario.name, digest: this.app.digest },
        });
      }
      this.ended = { decision, reason, resultFile };
    } catch (error) {
      this.ended = { decision, reason: `${reason}; the result could not be written: ${(error as Error).message}` };
    }
    return this.ended;
  }
}
