/**
 * The CLI: yargs commands, one file each. Parses arguments, calls the library, and maps errors to
 * exit codes in one place.
 */
import yargs from 'yargs';
import { CanaryGateError } from '../errors.js';
import { type DemoArgs, demoBuilder, runDemoCommand } from './demo.js';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.js';
import { type CliIO, processIO } from './io.js';
import { type LoadArgs, loadBuilder, runLoadCommand } from './load.js';
import { VERSION } from './version.js';

/** Run the CLI with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIO = processIO()): Promise<number> {
  let exitCode: number = EXIT.ok;
  const run = (command: Promise<number>): Promise<void> =>
    command.then((code) => {
      exitCode = code;
    });
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
    .command(
      'load <url>',
      'send load to one target and print the latency spectrum',
      (y) => loadBuilder(y).epilogue(EXIT_CODES_HELP),
      (args) => run(runLoadCommand(args as unknown as LoadArgs, io)),
    )
    .command(
      'demo',
      'run against built-in demo services',
      (y) => demoBuilder(y).epilogue(EXIT_CODES_HELP),
      (args) => run(runDemoCommand(args as unknown as DemoArgs, io)),
    )
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
    return reportError(error, io);
  }
}

class UsageFailure extends Error {}

function reportError(error: unknown, io: CliIO): number {
  if (error instanceof UsageFailure) {
    io.stderr(`canary-gate: ${error.message}\nsee canary-gate --help\n`);
    return EXIT.usage;
  }
  if (error instanceof CanaryGateError) {
    io.stderr(`canary-gate: ${error.message}\n${error.hint ? `hint: ${error.hint}\n` : ''}`);
    return exitCodeFor(error.code);
  }
  io.stderr(
    `canary-gate: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  return EXIT.infrastructure;
}
