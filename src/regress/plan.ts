/**
 * The pure part of a regression run: which build goes first in each round, the default checks,
 * command strings split into argv, the scenario the command-line flags stand for, and the merge
 * of each build's rounds into the measurements the judge reads. No I/O.
 */
import { mergeArms } from '../load/merge.js';
import type { ArmMeasurements } from '../load/recorder.js';
import type { ScenarioInput } from '../scenario/schema.js';

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

/** `regress` flags that shape the scenario; absent ones take the schema's defaults. */
export interface RegressFlags {
  baselineImage?: string | undefined;
  candidateImage?: string | undefined;
  baselineCmd?: string[] | undefined;
  candidateCmd?: string[] | undefined;
  port?: number | undefined;
  portEnv?: string | undefined;
  env?: Record<string, string> | undefined;
  healthPath?: string | undefined;
  startupTimeout?: string | undefined;
  cpuset?: string | undefined;
  cpus?: number | undefined;
  memory?: string | undefined;
  rounds?: number | undefined;
  rate?: string | undefined;
  duration?: string | undefined;
  warmup?: string | undefined;
  connections?: number | undefined;
  path?: string | undefined;
  formats?: string[] | undefined;
}

/** Load when the flags name none: 200/s for 5 s per build per round after a 1 s warm-up. */
export const REGRESS_FLAG_DEFAULTS = { rate: '200/s', duration: '5s', warmup: '1s', connections: 50, path: '/' };

/**
 * The scenario the flags stand for, as written: the schema validates it like any file, so flags
 * and files share every rule and default.
 */
export function regressScenarioFromFlags(f: RegressFlags): ScenarioInput {
  const defined = <T extends object>(o: T): Partial<T> =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
  const baseline = defined({ image: f.baselineImage, command: f.baselineCmd });
  const candidate = defined({ image: f.candidateImage, command: f.candidateCmd });
  const d = REGRESS_FLAG_DEFAULTS;
  return {
    name: `regress ${describeBuild(baseline)} vs ${describeBuild(candidate)}`,
    mode: 'regression',
    regress: {
      baseline,
      candidate,
      ...defined({
        port: f.port,
        portEnv: f.portEnv,
        env: f.env,
        healthPath: f.healthPath,
        startupTimeout: f.startupTimeout,
        cpuset: f.cpuset,
        cpus: f.cpus,
        memory: f.memory,
        rounds: f.rounds,
      }),
    },
    traffic: {
      rate: f.rate ?? d.rate,
      connections: f.connections ?? d.connections,
      warmup: f.warmup ?? d.warmup,
      stepDuration: f.duration ?? d.duration,
      timeout: '5s',
    },
    requests: [{ path: f.path ?? d.path }],
    steps: [100],
    outputs: { formats: (f.formats ?? ['json', 'markdown']) as ('json' | 'markdown' | 'junit' | 'html' | 'hgrm')[] },
  };
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
