/**
 * The pure part of a regression run: which build goes first in each round, command strings
 * split into argv, and the merge of each build's rounds into the measurements the judge reads.
 * No I/O.
 */
import { mergeArms } from '../load/merge.js';
import type { ArmMeasurements } from '../load/recorder.js';

/** The two arms of a regression run: the candidate is the judge's "canary" arm. */
export type RegressArm = 'baseline' | 'canary';

/**
 * The order of the arms in round `index`: A B, then B A, and so on (ABBA). A drift that grows over
 * the run (a warming page cache, a neighbour's load) then falls on both builds alike, and neither
 * always runs right after the other's load.
 */
export function roundOrder(index: number): [RegressArm, RegressArm] {
  return index % 2 === 0 ? ['baseline', 'canary'] : ['canary', 'baseline'];
}

/** Why a command string could not be split. */
export class CommandSplitError extends Error {}

/**
 * Split a command line into argv the way a POSIX shell splits words — whitespace, 'single' and
 * "double" quotes, backslash escapes — and nothing more: no variables, globs, pipes or
 * redirections, because the result is executed directly, never by a shell.
 */
export function splitCommand(text: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
      continue;
    }
    if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) word += text[++i];
      else word += c;
      continue;
    }
    if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\') {
      if (i + 1 >= text.length) throw new CommandSplitError('ends with a lone backslash');
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new CommandSplitError(`unterminated ${quote === "'" ? 'single' : 'double'} quote`);
  if (inWord) words.push(word);
  return words;
}

/** A build in words: its image, or its command. */
export function describeBuild(b: { image?: string | undefined; command?: readonly string[] | undefined }): string {
  if (b.image !== undefined) return `image ${b.image}`;
  return `command "${(b.command ?? []).join(' ')}"`;
}

/** One arm measured in one round. */
export interface RoundMeasurement {
  round: number;
  arm: RegressArm;
  measurements: ArmMeasurements;
  /** The window requests were sent in, ms. */
  durationMs: number;
}

/** Each arm's rounds merged into one measurement. */
export type MergedRounds = Map<RegressArm, { measurements: ArmMeasurements; durationMs: number }>;

/** Each arm's rounds summed: histograms merge exactly, counters add, measured time adds. */
export function mergeRounds(parts: readonly RoundMeasurement[]): MergedRounds {
  const out: MergedRounds = new Map();
  for (const arm of ['baseline', 'canary'] as const) {
    const mine = parts.filter((p) => p.arm === arm);
    if (mine.length === 0) continue;
    out.set(arm, {
      measurements: mergeArms(
        mine.map((p) => p.measurements),
        arm,
        mine[0]?.measurements.url ?? '',
      ),
      durationMs: mine.reduce((sum, p) => sum + p.durationMs, 0),
    });
  }
  return out;
}
