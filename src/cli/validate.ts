/**
 * `canary-gate validate <scenario>`: check a scenario's shape and print its resolved plan; sends
 * nothing. An unset ${env:NAME} is a warning here (commands that send refuse it, exit 2).
 */
import type { Argv } from 'yargs';
import { EXIT } from '../exit-codes.js';
import { isRunScenario, scenarioPower } from '../report/power.js';
import { describePlan, renderPlan } from '../scenario/describe-plan.js';
import { readScenarioFile } from './files.js';
import type { CliIO } from './io.js';

/** Flags of the validate command. */
export interface ValidateArgs {
  scenario: string;
  json: boolean;
}

/** Declare the command's positional. */
export function validateBuilder<T>(y: Argv<T>): Argv<T & ValidateArgs> {
  return y
    .positional('scenario', { type: 'string', describe: 'scenario file (YAML or JSON)', demandOption: true })
    .example(
      '$0 validate scenarios/demo.yaml',
      'check the file and print steps, durations, total time, router and checks',
    )
    .example('$0 validate canary.yaml --json', 'the resolved scenario and plan as JSON (secrets redacted)') as Argv<
    T & ValidateArgs
  >;
}

/** Run the command; resolves to the exit code. Invalid files throw ScenarioError (exit 2). */
export async function runValidateCommand(args: ValidateArgs, io: CliIO): Promise<number> {
  const { scenario, redactor, digest, warnings } = await readScenarioFile(args.scenario, io, { unsetEnv: 'warn' });
  const plan = describePlan(scenario);
  // What each step can tell at its planned length: a check an identical canary would often fail
  // to pass on evidence is a warning, not a problem (the step extends, then `inconclusive` decides).
  const power = isRunScenario(scenario) ? scenarioPower(scenario) : undefined;
  if (args.json) {
    const json = {
      valid: true,
      file: args.scenario,
      digest,
      warnings,
      plan,
      ...(power ? { power: power.steps } : {}),
      scenario,
    };
    io.stdout(`${JSON.stringify(redactor.redact(json), null, 2)}\n`);
  } else {
    io.stdout(`${redactor.redactText(renderPlan(plan))}\n`);
    if (power) {
      if (power.defaultChecks) io.stdout(`${power.defaultChecks}\n`);
      const lines = power.note ? [power.note] : ['plan-time power (at the planned end of each step):', ...power.lines];
      io.stdout(`${lines.join('\n')}\n`);
    }
  }
  for (const w of warnings) io.stderr(`warning: ${w}\n`);
  for (const w of power?.warnings ?? []) io.stderr(`warning: ${w}\n`);
  if (!args.json) io.stderr(`${args.scenario}: valid\n`);
  return EXIT.ok;
}
