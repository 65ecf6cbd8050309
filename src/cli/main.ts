/**
 * The CLI: yargs commands, one file each. Parses arguments, calls the library, and maps errors to
 * exit codes in one place.
 */
import yargs, { type Argv } from 'yargs';
import { CanaryGateError, ScenarioError } from '../errors.js';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from '../exit-codes.js';
import { redactProcessSecrets } from '../scenario/secrets.js';
import { baselineBuilder, runBaselineRecord } from './baseline.js';
import { capacityBuilder, runCapacityCommand } from './capacity.js';
import { compareBuilder, runCompareCommand } from './compare.js';
import { demoBuilder, runDemoCommand } from './demo.js';
import { initBuilder, runInitCommand } from './init.js';
import { type CliIO, processIO } from './io.js';
import { judgeBuilder, runJudgeCommand } from './judge.js';
import { loadBuilder, runLoadCommand } from './load.js';
import { recoverBuilder, runRecoverCommand } from './recover.js';
import { regressBuilder, runRegressCommand } from './regress.js';
import { runBuilder, runRunCommand } from './run.js';
import { runSchemaCommand, schemaBuilder } from './schema.js';
import { runServeCommand, serveBuilder } from './serve.js';
import { runShardCommand, shardBuilder } from './shard.js';
import { runShardJobCommand, shardJobBuilder } from './shard-job.js';
import { runValidateCommand, validateBuilder } from './validate.js';
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
  // Each command: its usage, what it does, its flags, and the one function it calls.
  const commands: [string, string, (y: Argv) => Argv, (args: never) => Promise<number>][] = [
    [
      'run <scenario>',
      'run a staged canary: move traffic step by step, judge each step, promote or roll back',
      runBuilder,
      (a) => runRunCommand(a, io),
    ],
    [
      'recover <journal>',
      'after a crash, reset the router of a run to 0% canary from its journal',
      recoverBuilder,
      (a) => runRecoverCommand(a, io),
    ],
    [
      'baseline',
      'record a stored baseline to compare runs with',
      (y) => baselineBuilder(y, (a) => run(runBaselineRecord(a, io))),
      async () => exitCode,
    ],
    [
      'serve',
      'serve Flagger webhooks and Argo Rollouts metrics: the probe load and the judge, over HTTP',
      serveBuilder,
      (a) => runServeCommand(a, io),
    ],
    [
      'judge <scenario>',
      'judge one step of a canary against the live baseline (an Argo Rollouts job metric); exit 0 pass, 1 fail',
      judgeBuilder,
      (a) => runJudgeCommand(a, io),
    ],
    [
      'compare <baseline> <result>',
      'judge a run result against a stored baseline; exit 1 on a regression',
      compareBuilder,
      (a) => runCompareCommand(a, io),
    ],
    [
      'regress [scenario]',
      'run build N and build N+1 here (containers or processes), alternate the same load, exit 1 on a regression',
      regressBuilder,
      (a) => runRegressCommand(a, io),
    ],
    ['load <url>', 'send load to one target and print the latency spectrum', loadBuilder, (a) => runLoadCommand(a, io)],
    [
      'shard',
      'run one shard of a sharded load (started by a coordinator, a container or a Kubernetes Job)',
      shardBuilder,
      (a) => runShardCommand(a, io),
    ],
    [
      'shard-job [scenario]',
      'print the Kubernetes Secret and Indexed Job of a sharded load, for kubectl apply (sends nothing)',
      shardJobBuilder,
      (a) => runShardJobCommand(a, io),
    ],
    [
      'capacity <target>',
      'find the highest arrival rate that still meets an SLO (geometric ramp, then bisection)',
      capacityBuilder,
      (a) => runCapacityCommand(a, io),
    ],
    [
      'validate <scenario>',
      'check a scenario file and print its resolved plan (sends nothing)',
      validateBuilder,
      (a) => runValidateCommand(a, io),
    ],
    ['schema', 'print the JSON Schema of scenario files', schemaBuilder, (a) => runSchemaCommand(io, a)],
    ['init [file]', 'write a commented starter scenario', initBuilder, (a) => runInitCommand(a, io)],
    ['demo', 'run against built-in demo services', demoBuilder, (a) => runDemoCommand(a, io)],
  ];
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
    });
  for (const [usage, what, builder, handler] of commands) {
    cli.command(
      usage,
      what,
      (y) => withHelp(builder(y)),
      (args) => run(handler(args as never)),
    );
  }
  cli
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
