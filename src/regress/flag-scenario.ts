/**
 * A regress scenario made of flags (`canary-gate regress --baseline-image … --candidate-cmd …`):
 * the same schema, rules and defaults as a file, each problem named by its flag. Pure.
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';
import { type FieldFlag, flagNamer, withFlags } from '../scenario/fields.js';
import { type LoadedScenario, validateScenario } from '../scenario/loader.js';
import { Redactor } from '../scenario/secrets.js';
import { CommandSplitError, describeBuild, splitCommand } from './plan.js';

/** A flag's value as its field takes it: command lines split into argv, KEY=VALUE pairs into a map. */
export function fieldValue(flag: string, value: unknown): unknown {
  if (flag.endsWith('-cmd')) {
    try {
      const argv = splitCommand(String(value));
      if (argv.length === 0) throw new CommandSplitError('is empty');
      return argv;
    } catch (error) {
      if (error instanceof CommandSplitError) throw new UsageError(`--${flag}: ${error.message}: ${value}`);
      throw error;
    }
  }
  if (flag !== 'env') return value;
  return Object.fromEntries(
    (value as string[]).map((pair) => {
      const at = pair.indexOf('=');
      if (at <= 0) throw new UsageError(`--env: expected KEY=VALUE, found ${JSON.stringify(pair)}`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
}

/** `text`, cut to `max` characters with an ellipsis when longer. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * The regress scenario that `args` (parsed flags, each setting the field `flags` names) stand
 * for; each arm is an image or a command line, never both. Throws UsageError/ScenarioError.
 */
export function regressScenarioFromFlags(
  flags: readonly FieldFlag[],
  args: Readonly<Record<string, unknown>>,
): LoadedScenario<'regress'> {
  const given = flags.filter((f) => args[f.flag] !== undefined);
  for (const arm of ['baseline', 'candidate'] as const) {
    const image = args[`${arm}-image`];
    const cmd = args[`${arm}-cmd`];
    if (image === undefined && cmd === undefined)
      throw new UsageError(`name the ${arm}: --${arm}-image IMAGE or --${arm}-cmd COMMAND (or give a scenario file)`);
    if (image !== undefined && cmd !== undefined)
      throw new UsageError(`--${arm}-image and --${arm}-cmd: give one of them`);
  }
  const values = Object.fromEntries(given.map((f) => [f.flag, fieldValue(f.flag, args[f.flag])]));
  const build = (arm: string) => ({
    image: values[`${arm}-image`] as string,
    command: values[`${arm}-cmd`] as string[],
  });
  const doc = {
    // A name is at most 200 characters (scenario bounds); long command lines are cut, not refused.
    name: clip(`regress ${describeBuild(build('baseline'))} vs ${describeBuild(build('candidate'))}`, 200),
    mode: 'regress',
  };
  const input = withFlags(doc, flags, values);
  const scenario = validateScenario<'regress'>(input, {
    file: 'command line',
    accept: { modes: ['regress'], command: 'regress' },
    name: flagNamer(flags, values),
  });
  const digest = createHash('sha256').update(JSON.stringify(input)).digest('hex');
  return { scenario, redactor: new Redactor(), digest, input, warnings: [] };
}
