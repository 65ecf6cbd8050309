/**
 * The run journal: one JSON object per line, each appended and fsynced before the action it
 * announces, so after a crash (even kill -9) the journal says which weight the canary may hold.
 * `canary-gate recover <journal>` reads it back.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import type { WeightEntry, WeightJournal } from '../canary/weight-journal.js';

/** What an entry is, without its stamp: the driver's entries, and recover's own. */
type Unstamped = WeightEntry | { event: 'recovered'; weightBefore: number };

/** A journal line: an entry stamped with the run and the time. */
export type JournalEntry = Unstamped extends infer E
  ? E extends unknown
    ? E & { run: string; time: string }
    : never
  : never;

/**
 * An append-only file of JSON lines, each fsynced before `append` returns. Opening it again after
 * a crash starts on a fresh line, so a torn last line never swallows the next entry.
 */
export class JsonLinesJournal<E extends object> {
  readonly path: string;
  #fd: number | undefined;

  constructor(path: string) {
    this.path = path;
    this.#fd = openSync(path, 'a+');
    const size = fstatSync(this.#fd).size;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(this.#fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) writeSync(this.#fd, '\n');
    }
  }

  /** Append one entry, stamped with the time, and fsync before returning. */
  append(entry: E): void {
    if (this.#fd === undefined) throw new Error(`journal ${this.path} is closed`);
    writeSync(this.#fd, `${JSON.stringify({ ...entry, time: new Date().toISOString() })}\n`);
    fsyncSync(this.#fd);
  }

  /** Close the file (idempotent). */
  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

/** The run journal: each entry also stamped with the run. */
export class RunJournal extends JsonLinesJournal<Unstamped & { run?: string }> implements WeightJournal {
  readonly run: string;

  constructor(path: string, run: string) {
    super(path);
    this.run = run;
  }

  override append(entry: Unstamped): void {
    super.append({ ...entry, run: this.run });
  }
}

/** Read a journal; a torn line (a crash mid-write, possibly followed by later entries) is skipped. */
export function readJournal(path: string): JournalEntry[] {
  const entries: JournalEntry[] = [];
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    try {
      entries.push(JSON.parse(line) as JournalEntry);
    } catch {
      // A write cut short by a crash; entries appended after it start on their own line.
    }
  }
  return entries;
}

/** What a journal says about the traffic the canary may hold now. */
export interface JournalState {
  /** The start entry, when present. */
  start: Extract<JournalEntry, { event: 'start' }> | undefined;
  /** Highest weight that may be in effect: a weight is counted from its announcement on. */
  weight: number;
  /** True when the run ended with the router at the safe weight or with a promotion. */
  settled: boolean;
  /** How the run ended, when it did. */
  decision: string | undefined;
}

/** Fold a journal into its state. */
export function journalState(entries: readonly JournalEntry[]): JournalState {
  let weight = 0;
  let settled = false;
  let decision: string | undefined;
  let start: JournalState['start'];
  for (const entry of entries) {
    switch (entry.event) {
      case 'start':
        start = entry;
        break;
      case 'weight':
        // Announced before it is applied: from here on the router may hold it.
        weight = Math.max(weight, entry.weight);
        settled = false;
        break;
      case 'reset-done':
      case 'recovered':
        weight = 0;
        settled = true;
        break;
      case 'end':
        decision = entry.decision;
        if (entry.decision === 'promote') settled = true;
        break;
      default:
        break;
    }
  }
  return { start, weight, settled, decision };
}
