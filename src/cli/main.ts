/**
 * The CLI: yargs commands, one file each. Parses arguments, calls the library, and maps errors to
 * exit codes in one place.
 */
import yargs, { type Argv } from 'yargs';
import { CanaryGateError, ScenarioError } from '../errors.js';
import { redactProcessSecrets } from '../scenario/secrets.js';
import { baselineBuilder, runBaselineRecord } from './baseline.js';
import { type CapacityArgs, capacityBuilder, runCapacityCommand } from './capacity.js';
import { type CompareArgs, compareBuilder, runCompareCommand } from './compare.js';
import { type DemoArgs, demoBuilder, runDemoCommand } from './demo.js';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.js';
import { type InitArgs, initBuilder, runInitCommand } from './init.js';
import { type CliIO, processIO } from './io.js';
import { type JudgeArgs, judgeBuilder, runJudgeCommand } from './judge.js';
import { type LoadArgs, loadBuilder, runLoadCommand } from './load.js';
import { type RecoverArgs, recoverBuilder, runRecoverCommand } from './recover.js';
import { type RegressArgs, regressBuilder, runRegressCommand } from './regress.js';
import { type RunArgs, runBuilder, runRunCommand } from './run.js';
import { runSchemaCommand, schemaBuilder } from './schema.js';
import { runServeCommand, type ServeArgs, serveBuilder } from './serve.js';
import { runValidateCommand, type ValidateArgs, validateBuilder } from './validate.js';
import { VERSION } from './version.js';

/** How messages on stderr are written. */
export type LogFormat = 'text' | 'json';

/** Global flags, before yargs has parsed anything (errors in parsing need them too). */
function globalsOf(argv: readonly string[]): { logFormat: LogFormat; json: boolean; color: boolean } {
  let logFormat: LogFormat = 'text';
  argv.forEach((arg, i) => {
    const value = arg.startsWith('--log-format=')
      ? arg.slice('--log-format='.length)
      : arg === '--log-format'
        ? argv[i + 1]
        : undefined;
    if (value === 'json') logFormat = 'json';
  });
  return {
    logFormat,
    json: argv.includes('--json'),
    color: !argv.includes('--no-color') && !argv.includes('--color=false'),
  };
}

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], baseIO: CliIO = processIO()): Promise<number> {
  const globals = globalsOf(argv);
  const io = globals.logFormat === 'json' ? jsonLogIO(baseIO) : baseIO;
  let exitCode: number = EXIT.ok;
  const run = (command: Promise<number>): Promise<void> =>
    command.then((code) => {
      exitCode = code;
    });
  const withHelp = <T>(y: Argv<T>): Argv<T> => y.epilogue(EXIT_CODES_HELP);
  const cli = yargs([...argv])
    .scriptName('canary-gate')
    .usage(
      '$0 <command> [options]\n\nLoad and canary verification: staged traffic, HDR-histogram latency, statistical gates.',
    )
    .option('json', {
      type: 'boolean',
      default: false,
      global: true,
      describe: 'machine output on stdout; human output goes to stderr',
    })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, global: true, describe: 'no progress output' })
    .option('color', {
      type: 'boolean',
      default: true,
      global: true,
      describe: 'colour in terminal output (--no-color)',
    })
    .option('log-format', {
      choices: ['text', 'json'] as const,
      default: 'text' as const,
      global: true,
      describe: 'format of messages on stderr',
    })
    .command(
      'run <scenario>',
      'run a staged canary: move traffic step by step, judge each step, promote or roll back',
      (y) => withHelp(runBuilder(y)),
      (args) => run(runRunCommand(args as unknown as RunArgs, io)),
    )
    .command(
      'recover <journal>',
      'after a crash, reset the router of a run to 0% canary from its journal',
      (y) => withHelp(recoverBuilder(y)),
      (args) => run(runRecoverCommand(args as unknown as RecoverArgs, io)),
    )
    .command(
      'baseline',
      'record a stored baseline to compare runs with',
      (y) => withHelp(baselineBuilder(y, (args) => run(runBaselineRecord(args, io)))),
      () => {},
    )
    .command(
      'serve',
      'serve Flagger webhooks and Argo Rollouts metrics: the probe load and the judge, over HTTP',
      (y) => withHelp(serveBuilder(y)),
      (args) => run(runServeCommand(args as unknown as ServeArgs, io)),
    )
    .command(
      'judge <scenario>',
      'judge one step of a canary against the live baseline (an Argo Rollouts job metric); exit 0 pass, 1 fail',
      (y) => withHelp(judgeBuilder(y)),
      (args) => run(runJudgeCommand(args as unknown as JudgeArgs, io)),
    )
    .command(
      'compare <baseline> <result>',
      'judge a run result against a stored baseline; exit 1 on a regression',
      (y) => withHelp(compareBuilder(y)),
      (args) => run(runCompareCommand(args as unknown as CompareArgs, io)),
    )
    .command(
      'regress [scenario]',
      'run build N and build N+1 here (containers or processes), alternate the same load, exit 1 on a regression',
      (y) => withHelp(regressBuilder(y)),
      (args) => run(runRegressCommand(args as unknown as RegressArgs, io)),
    )
    .command(
      'load <url>',
      'send load to one target and print the latency spectrum',
      (y) => withHelp(loadBuilder(y)),
      (args) => run(runLoadCommand(args as unknown as LoadArgs, io)),
    )
    .command(
      'capacity <target>',
      'find the highest arrival rate that still meets an SLO (geometric ramp, then bisection)',
      (y) => withHelp(capacityBuilder(y)),
      (args) => run(runCapacityCommand(args as unknown as CapacityArgs, io)),
    )
    .command(
      'validate <scenario>',
      'check a scenario file and print its resolved plan (sends nothing)',
      (y) => withHelp(validateBuilder(y)),
      (args) => run(runValidateCommand(args as unknown as ValidateArgs, io)),
    )
    .command(
      'schema',
      'print the JSON Schema of scenario files',
      (y) => withHelp(schemaBuilder(y)),
      () => run(runSchemaCommand(io)),
    )
    .command(
      'init [file]',
      'write a commented starter scenario',
      (y) => withHelp(initBuilder(y)),
      (args) => run(runInitCommand(args as unknown as InitArgs, io)),
    )
    .command(
      'demo',
      'run against built-in demo services',
      (y) => withHelp(demoBuilder(y)),
      (args) => run(runDemoCommand(args as unknown as DemoArgs, io)),
    )
    .completion('completion', 'print a bash/zsh completion script (source it from your shell profile)')
    .example('$0 init && $0 validate canary-gate.yaml', 'start a scenario and see its plan')
    .example(
      '$0 load http://127.0.0.1:8080/ --rate 500/s -d 30s',
      'constant-rate load with coordinated-omission-free latency',
    )
    .example('source <($0 completion)', 'enable shell completion')
    .demandCommand(1, 'name a command; see canary-gate --help')
    .strict()
    .recommendCommands()
    .version(VERSION)
    .help()
    .alias('help', 'h')
    .epilogue(EXIT_CODES_HELP)
    .wrap(Math.min(110, process.stdout.columns ?? 110))
    .exitProcess(false)
    .fail((message, error) => {
      throw error ?? new UsageFailure(message);
    });
  try {
    let printed = '';
    await cli.parseAsync([...argv], {}, (_error, _parsed, output) => {
      printed = output;
    });
    if (printed) io.stdout(`${printed}\n`);
    return exitCode;
  } catch (error) {
    return reportError(error, io, globals);
  }
}

class UsageFailure extends Error {}

function reportError(error: unknown, baseIO: CliIO, globals: ReturnType<typeof globalsOf>): number {
  // Messages can carry values a scenario or flag resolved from ${env:NAME} (a URL with a key in
  // its query, an answer that echoes a header): whatever a command missed is redacted here.
  const io: CliIO = {
    ...baseIO,
    stdout: (text) => baseIO.stdout(redactProcessSecrets(text)),
    stderr: (text) => baseIO.stderr(redactProcessSecrets(text)),
  };
  const usage = error instanceof UsageFailure;
  const known = error instanceof CanaryGateError;
  const code = usage ? EXIT.usage : known ? exitCodeFor(error.code) : EXIT.infrastructure;
  const message = error instanceof Error ? error.message : String(error);
  if (globals.json) {
    io.stdout(
      `${JSON.stringify(
        {
          ok: false,
          exitCode: code,
          code: usage ? 'E_USAGE' : known ? error.code : 'E_INTERNAL',
          message,
          problems: error instanceof ScenarioError ? error.problems : [],
        },
        null,
        2,
      )}\n`,
    );
  }
  // Colour only for people: a terminal, not turned off by --no-color or NO_COLOR (no-color.org).
  const red = (text: string): string =>
    globals.color && io.stderrIsTTY && !io.env.NO_COLOR ? `\x1b[31m${text}\x1b[39m` : text;
  const prefix = `canary-gate: ${red('error:')}`;
  if (usage) io.stderr(`${prefix} ${message}\nsee canary-gate --help\n`);
  else if (known) io.stderr(`${prefix} ${message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
  else io.stderr(`${prefix} unexpected: ${error instanceof Error ? (error.stack ?? message) : message}\n`);
  return code;
}

/** stderr as JSON lines: one object per message, for log collectors. */
function jsonLogIO(io: CliIO): CliIO {
  return {
    ...io,
    stderrIsTTY: false,
    stderr: (text) => {
      const message = text.replace(/\n$/, '');
      if (message.trim() === '') return;
      const level = message.startsWith('canary-gate:') ? 'error' : 'info';
      io.stderr(`${JSON.stringify({ time: new Date().toISOString(), level, message })}\n`);
    },
  };
}
