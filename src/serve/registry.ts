/**
 * The sessions of a serve process, keyed by what the controller names: namespace/name/checksum
 * (Flagger) or namespace/rollout/stable..canary hashes (Argo), so a new revision never mixes with
 * the last one's samples. Opening is synchronous — no await between "is it there?" and "it is" —
 * so any number of concurrent calls for one session start one session and one load. The number
 * of live sessions is bounded; sessions past their deadlines are closed and their load stopped;
 * at start, the journals of a previous process are read back: resumed or closed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Decision } from '../exit-codes.js';
import type { ServeLimits } from './config.js';
import { readJournals, SessionJournal, type SessionSubject } from './journal.js';
import type { ServeMetrics } from './metrics.js';
import type { SessionRunnerFactory } from './runner.js';
import { type App, Session } from './session.js';

/** Ended sessions kept in memory to answer late calls (a post-rollout after the rollback). */
const ENDED_KEPT = 256;

/** The outcome of opening a session. */
export type OpenOutcome = { session: Session; created: boolean } | { full: true; retryAfterSec: number };

/** Registry options. */
export interface RegistryOptions {
  apps: ReadonlyMap<string, App>;
  limits: ServeLimits;
  stateDir: string;
  runnerFactory: SessionRunnerFactory;
  metrics: ServeMetrics;
  /** Told when a session ends, and why (for the log). */
  onEnded?: (session: Session) => void;
}

/** The key of a subject. */
export function sessionKey(s: SessionSubject): string {
  return [s.controller, s.app, s.namespace, s.name, s.revision].join('/');
}

/** The sessions of this process. */
export class SessionRegistry {
  readonly #o: RegistryOptions;
  readonly #live = new Map<string, Session>();
  readonly #ended = new Map<string, Session>();
  readonly #journalDir: string;
  #sweeper: NodeJS.Timeout | undefined;

  constructor(options: RegistryOptions) {
    this.#o = options;
    this.#journalDir = join(options.stateDir, 'sessions');
    mkdirSync(this.#journalDir, { recursive: true });
  }

  /** The session for `key`, live or recently ended. */
  find(key: string): Session | undefined {
    return this.#live.get(key) ?? this.#ended.get(key);
  }

  /** The most recent session of a workload (for the Prometheus-shaped query). */
  latest(match: { namespace?: string; name?: string; app?: string; controller?: string }): Session | undefined {
    const all = [...this.#live.values(), ...this.#ended.values()].filter(
      (s) =>
        (match.namespace === undefined || s.subject.namespace === match.namespace) &&
        (match.name === undefined || s.subject.name === match.name) &&
        (match.app === undefined || s.subject.app === match.app) &&
        (match.controller === undefined || s.subject.controller === match.controller),
    );
    return all.sort((a, b) => b.openedAtMs - a.openedAtMs)[0];
  }

  /** Every session, live first. */
  list(): Session[] {
    return [...this.#live.values(), ...this.#ended.values()];
  }

  /** Find or open the session of `subject`. Synchronous on purpose (see the module comment). */
  open(subject: SessionSubject, plan: number[], nowMs = Date.now()): OpenOutcome {
    const key = sessionKey(subject);
    const found = this.find(key);
    if (found) return { session: found, created: false };
    if (this.#live.size >= this.#o.limits.maxSessions) {
      return { full: true, retryAfterSec: Math.ceil(this.#o.limits.retryAfter / 1000) };
    }
    const app = this.#o.apps.get(subject.app);
    if (!app) throw new Error(`unknown app ${subject.app}`);
    // A new revision of the same workload replaces the old one's session: its samples are not ours.
    for (const other of this.#live.values()) {
      const s = other.subject;
      if (
        s.controller === subject.controller &&
        s.app === subject.app &&
        s.namespace === subject.namespace &&
        s.name === subject.name
      )
        this.#end(other, 'aborted', `superseded by revision ${subject.revision}`);
    }
    const session = this.#make(key, subject, plan, app, nowMs);
    session.journalOpen();
    this.#o.metrics.sessionsStarted.inc({ controller: subject.controller });
    return { session, created: true };
  }

  /** End a session (once) and move it to the ended list. */
  end(session: Session, decision: Parameters<Session['end']>[0], reason: string): ReturnType<Session['end']> {
    return this.#end(session, decision, reason);
  }

  /** Read back a previous process's journals: resume what is within its deadlines, close the rest. */
  restore(nowMs = Date.now()): { resumed: Session[]; closed: Session[] } {
    const resumed: Session[] = [];
    const closed: Session[] = [];
    const journals = readJournals(this.#journalDir).sort((a, b) => a.lastSeenMs - b.lastSeenMs);
    for (const j of journals) {
      const app = this.#o.apps.get(j.open.subject.app);
      if (!app) {
        // Nothing can be judged for an app the config no longer names: close its journal.
        if (!j.end) {
          const journal = new SessionJournal(j.path);
          journal.append({
            event: 'end',
            decision: 'aborted',
            reason: 'closed after a restart of serve: its app is no longer in the config',
          });
          journal.close();
        }
        continue;
      }
      const session = this.#make(j.open.key, j.open.subject, j.open.plan, app, Date.parse(j.open.time) || nowMs);
      session.lastSeenMs = j.lastSeenMs;
      if (j.preflight) session.pre = j.preflight;
      if (j.end) {
        session.ended = { decision: j.end.decision as Decision, reason: j.end.reason };
        session.suspendJournal();
        this.#retire(session);
        continue;
      }
      const overdue = session.overdue(nowMs);
      if (overdue || this.#live.size > this.#o.limits.maxSessions) {
        this.#end(
          session,
          'aborted',
          `closed after a restart of serve: ${overdue ?? 'more sessions than maxSessions'}`,
        );
        closed.push(session);
        continue;
      }
      if (j.step) {
        const verdict = j.verdicts.findLast((v) => v.index === j.step?.index);
        session.resume(j.step, verdict ? { status: verdict.status, reason: verdict.reason } : undefined);
      }
      resumed.push(session);
    }
    return { resumed, closed };
  }

  /** Close every live session past a deadline. */
  async sweep(nowMs = Date.now()): Promise<void> {
    const ends: Promise<unknown>[] = [];
    for (const session of this.#live.values()) {
      const overdue = session.overdue(nowMs);
      if (overdue) ends.push(this.#end(session, 'aborted', `abandoned: ${overdue}`));
    }
    await Promise.all(ends);
  }

  /** Check deadlines every `everyMs` until shutdown. */
  startSweeping(everyMs = 1000): void {
    this.#sweeper ??= setInterval(() => void this.sweep(), everyMs);
    this.#sweeper.unref();
  }

  /** Stop every load without ending the sessions: a restarted serve resumes them. */
  async shutdown(): Promise<void> {
    if (this.#sweeper) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
    await Promise.all([...this.#live.values()].map((s) => s.suspend()));
  }

  #make(key: string, subject: SessionSubject, plan: number[], app: App, openedAtMs: number): Session {
    const id = createHash('sha256').update(key).digest('hex').slice(0, 16);
    const journal = new SessionJournal(join(this.#journalDir, `${id}.jsonl`));
    const session = new Session({
      id,
      key,
      subject,
      plan: [...plan],
      app,
      journal,
      limits: this.#o.limits,
      stateDir: this.#o.stateDir,
      openedAtMs,
      makeRunner: (onDecided) =>
        this.#o.runnerFactory(
          { ...app.scenario, steps: plan },
          { onLoadStart: () => this.#o.metrics.loadsStarted.inc(), onDecided },
        ),
    });
    this.#live.set(key, session);
    this.#o.metrics.sessionsActive.set(this.#live.size);
    return session;
  }

  #end(session: Session, decision: Parameters<Session['end']>[0], reason: string): ReturnType<Session['end']> {
    const ending = session.end(decision, reason);
    this.#retire(session);
    void ending.then(() => this.#o.onEnded?.(session));
    return ending;
  }

  #retire(session: Session): void {
    if (this.#live.get(session.key) === session) this.#live.delete(session.key);
    this.#ended.set(session.key, session);
    while (this.#ended.size > ENDED_KEPT) {
      const oldest = this.#ended.keys().next().value;
      if (oldest === undefined) break;
      this.#ended.delete(oldest);
    }
    this.#o.metrics.sessionsActive.set(this.#live.size);
  }
}
