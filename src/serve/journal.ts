/**
 * A session's journal: one JSON object per line, appended and fsynced before the answer that
 * depends on it goes out, so a serve killed with SIGKILL can be restarted and find each session's
 * step, weight, verdicts and deadline — and resume it or close it, never leave it sending.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { JsonLinesJournal } from '../session/journal.js';

/** Which controller a session answers. */
export type Controller = 'flagger' | 'argo';

/** What a session is about: one revision of one workload of one app. */
export interface SessionSubject {
  controller: Controller;
  app: string;
  namespace: string;
  /** The Canary (Flagger) or the Rollout (Argo). */
  name: string;
  /** The revision: Flagger's checksum, or Argo's "stableHash..canaryHash". */
  revision: string;
}

/** A journal line. */
export type SessionEntry =
  | { event: 'open'; time: string; key: string; subject: SessionSubject; plan: number[] }
  | { event: 'preflight'; time: string; ok: boolean; reason: string }
  | { event: 'step'; time: string; index: number; weight: number }
  | { event: 'verdict'; time: string; index: number; status: 'pass' | 'fail'; reason: string }
  | { event: 'seen'; time: string }
  | { event: 'resumed'; time: string; index: number; weight: number }
  | { event: 'end'; time: string; decision: string; reason: string };

/** Distributive Omit, so each variant keeps its own fields. */
type WithoutTime<T> = T extends unknown ? Omit<T, 'time'> : never;

/** A session's journal: appended, fsynced, torn lines skipped on reading. */
export class SessionJournal extends JsonLinesJournal<WithoutTime<SessionEntry>> {
  /** Append unless closed (a session ended while a late call still holds it). */
  override append(entry: WithoutTime<SessionEntry>): void {
    try {
      super.append(entry);
    } catch (error) {
      if (!/is closed/.test((error as Error).message)) throw error;
    }
  }
}

/** A session as its journal tells it. */
export interface JournaledSession {
  id: string;
  path: string;
  open: Extract<SessionEntry, { event: 'open' }>;
  preflight?: { ok: boolean; reason: string };
  step?: { index: number; weight: number };
  verdicts: Extract<SessionEntry, { event: 'verdict' }>[];
  /** Last call from the controller, ms since the epoch. */
  lastSeenMs: number;
  end?: { decision: string; reason: string };
}

/** Fold one journal's lines; undefined when it has no open line (nothing to resume). */
export function foldJournal(id: string, path: string, text: string): JournaledSession | undefined {
  let state: JournaledSession | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let entry: SessionEntry;
    try {
      entry = JSON.parse(line) as SessionEntry;
    } catch {
      continue; // a write cut short by a crash
    }
    const at = Date.parse(entry.time);
    if (entry.event === 'open') {
      state = { id, path, open: entry, verdicts: [], lastSeenMs: at };
      continue;
    }
    if (!state) continue;
    if (Number.isFinite(at)) state.lastSeenMs = Math.max(state.lastSeenMs, at);
    if (entry.event === 'preflight') state.preflight = { ok: entry.ok, reason: entry.reason };
    else if (entry.event === 'step' || entry.event === 'resumed')
      state.step = { index: entry.index, weight: entry.weight };
    else if (entry.event === 'verdict') state.verdicts.push(entry);
    else if (entry.event === 'end') state.end = { decision: entry.decision, reason: entry.reason };
  }
  return state;
}

/** Every session journal in `dir`. */
export function readJournals(dir: string): JournaledSession[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) => {
      const path = join(dir, f);
      const state = foldJournal(f.replace(/\.jsonl$/, ''), path, readFileSync(path, 'utf8'));
      return state ? [state] : [];
    });
}
