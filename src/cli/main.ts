/**
 * The CLI: yargs commands, one file each. Parses arguments, calls the library, and maps errors to
 * exit codes in one place.
 */
import yargs, { type Argv } from 'yargs';
import { CanaryGateError, ScenarioError } from '../errors.js';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from '../exit-codes.js';
import { redactProcessSecrets } from '../scenario/secrets.js';
import { type CliIO, processIO } from './io.js';
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
  // Each command: its usage, what it does, and its module's flags and the one function it calls.
  // A module is imported only for the command that runs (a CLI start loads one command's code,
  // not all of them); yargs calls a command's builder only when that command is named.
  const commands: [string, string, () => Promise<Command>][] = [
    [
      'run <scenario>',
      'run a staged canary: move traffic step by step, judge each step, promote or roll back',
      async () => {
        const m = await import('./run.js');
        return [m.runBuilder, (a) => m.runRunCommand(a, io)];
      },
    ],
    [
      'recover <journal>',
      'after a crash, reset the router of a run to 0% canary from its journal',
      async () => {
        const m = await import('./recover.js');
        return [m.recoverBuilder, (a) => m.runRecoverCommand(a, io)];
      },
    ],
    [
      'baseline',
      'record a stored baseline to compare runs with',
      async () => {
        const m = await import('./baseline.js');
        return [(y) => m.baselineBuilder(y, (a) => run(m.runBaselineRecord(a, io))), async () => exitCode];
      },
    ],
    [
      'serve',
      'serve Flagger webhooks and Argo Rollouts metrics: the probe load and the judge, over HTTP',
      async () => {
        const m = await import('./serve.js');
        return [m.serveBuilder, (a) => m.runServeCommand(a, io)];
      },
    ],
    [
      'judge <scenario>',
      'judge one step of a canary against the live baseline (an Argo Rollouts job metric); exit 0 pass, 1 fail',
      async () => {
        const m = await import('./judge.js');
        return [m.judgeBuilder, (a) => m.runJudgeCommand(a, io)];
      },
    ],
    [
      'compare <baseline> <result>',
      'judge a run result against a stored baseline; exit 1 on a regression',
      async () => {
        const m = await import('./compare.js');
        return [m.compareBuilder, (a) => m.runCompareCommand(a, io)];
      },
    ],
    [
      'regress [scenario]',
      'run build N and build N+1 here (containers or processes), alternate the same load, exit 1 on a regression',
      async () => {
        const m = await import('./regress.js');
        return [m.regressBuilder, (a) => m.runRegressCommand(a, io)];
      },
    ],
    [
      'load <url>',
      'send load to one target and print the latency spectrum',
      async () => {
        const m = await import('./load.js');
        return [m.loadBuilder, (a) => m.runLoadCommand(a, io)];
      },
    ],
    [
      'shard',
      'run one shard of a sharded load (started by a coordinator, a container or a Kubernetes Job)',
      async () => {
        const m = await import('./shard.js');
        return [m.shardBuilder, (a) => m.runShardCommand(a, io)];
      },
    ],
    [
      'shard-job [scenario]',
      'print the Kubernetes Secret and Indexed Job of a sharded load, for kubectl apply (sends nothing)',
      async () => {
        const m = await import('./shard-job.js');
        return [m.shardJobBuilder, (a) => m.runShardJobCommand(a, io)];
      },
    ],
    [
      'capacity <target>',
      'find the highest arrival rate that still meets an SLO (geometric ramp, then bisection)',
      async () => {
        const m = await import('./capacity.js');
        return [m.capacityBuilder, (a) => m.runCapacityCommand(a, io)];
      },
    ],
    [
      'validate <scenario>',
      'check a scenario file and print its resolved plan (sends nothing)',
      async () => {
        const m = await import('./validate.js');
        return [m.validateBuilder, (a) => m.runValidateCommand(a, io)];
      },
    ],
    [
      'schema',
      'print the JSON Schema of scenario files',
      async () => {
        const m = await import('./schema.js');
        return [m.schemaBuilder, (a) => m.runSchemaCommand(io, a)];
      },
    ],
    [
      'init [file]',
      'write a commented starter scenario',
      async () => {
        const m = await import('./init.js');
        return [m.initBuilder, (a) => m.runInitCommand(a, io)];
      },
    ],
    [
      'demo',
      'run against built-in demo services',
      async () => {
        const m = await import('./demo.js');
        return [m.demoBuilder, (a) => m.runDemoCommand(a, io)];
      },
    ],
  ];
  const named = commandNamed(
    argv,
    commands.map(([usage]) => nameOf(usage)),
  );
  const loaded = new Map<string, Command>();
  for (const [usage, , load] of commands) {
    // Shell completion may ask for any command's flags: it loads them all.
    if (named === undefined || nameOf(usage) === named) loaded.set(usage, await load());
  }
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
  for (const [usage, what] of commands) {
    const command = loaded.get(usage);
    // A command that was not named keeps its usage line in --help; yargs never runs it.
    if (command === undefined) {
      cli.command(usage, what, {}, () => {
        throw new Error(`internal: the ${nameOf(usage)} command ran without its module`);
      });
    } else {
      const [builder, handler] = command;
      cli.command(
        usage,
        what,
        (y) => withHelp(builder(y)),
        (args) => run(handler(args as never)),
      );
    }
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
    // yargs lays the help text out at every command's start (it caches it in case a handler fails;
    // this CLI never prints it then), ~50 ms of validate's 0.42 CPU-s start: laid out to a width
    // only when help may be asked for.
    .wrap(asksForHelp(argv) ? Math.min(110, process.stdout.columns ?? 110) : null)
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

/** A command's flags (yargs builder) and the one function it calls. */
type Command = [(y: Argv) => Argv, (args: never) => Promise<number>];

/** The command's name in a yargs usage line ('run <scenario>' → 'run'). */
function nameOf(usage: string): string {
  return usage.split(' ')[0] ?? usage;
}

/**
 * The command `argv` names: its first word that is one of `names` (a flag's value before it, such
 * as `--json true`, is skipped; loading a module that is then not run costs only time); `''` when
 * it names none (help, version, a typo: no command module is needed); undefined for shell
 * completion, which may ask about any command.
 */
function commandNamed(argv: readonly string[], names: readonly string[]): string | undefined {
  if (argv.includes('completion') || argv.includes('--get-yargs-completions')) return undefined;
  return beforeDoubleDash(argv).find((arg) => names.includes(arg)) ?? '';
}

/**
 * Whether `argv` may ask for help before any `--`: every form yargs takes (`--help`, `-h`, `--h`,
 * `--help=true`, a short group such as `-qh`, the word `help`). Matching more costs only time.
 */
function asksForHelp(argv: readonly string[]): boolean {
  return beforeDoubleDash(argv).some((arg) => arg === 'help' || /^--?h(elp)?(=|$)/.test(arg) || /^-[^-]*h/.test(arg));
}

/** The arguments before `--` (after it, every word is a positional, never a flag or a command). */
function beforeDoubleDash(argv: readonly string[]): readonly string[] {
  const end = argv.indexOf('--');
  return end === -1 ? argv : argv.slice(0, end);
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
