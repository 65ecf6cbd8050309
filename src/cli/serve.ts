/**
 * `canary-gate serve --config serve.yaml`: the load and the judge for Flagger and Argo Rollouts,
 * over HTTP, until SIGINT or SIGTERM. Stopping stops every load; sessions stay journaled, so a
 * restarted serve resumes them within their deadlines. Exit 0 after a signal, 2 for a bad config
 * or scenario (nothing started), 3 when the address cannot be listened on.
 */
import { readFile } from 'node:fs/promises';
import type { Argv } from 'yargs';
import { ScenarioError, TargetError } from '../errors.js';
import { EXIT } from '../exit-codes.js';
import { loadServeConfig } from '../serve/config.js';
import { loadApps, startServe } from '../serve/service.js';
import type { CliIO } from './io.js';

/** Flags of the serve command. */
export interface ServeArgs {
  config: string;
  listen?: string;
  quiet: boolean;
}

/** Declare the command's flags. */
export function serveBuilder<T>(y: Argv<T>): Argv<T & ServeArgs> {
  return y
    .option('config', { type: 'string', demandOption: true, describe: 'serve config file (YAML or JSON)' })
    .option('listen', { type: 'string', describe: 'host:port to listen on (overrides listen in the config)' })
    .example('$0 serve --config serve.yaml --listen 0.0.0.0:8080', 'judge canaries for Flagger and Argo Rollouts')
    .example(
      'CANARY_GATE_TOKEN=… $0 serve --config serve.yaml',
      'tokens and HMAC secrets come from ${env:NAME} in the config',
    ) as Argv<T & ServeArgs>;
}

/** Run the command until a signal; resolves to the exit code. */
export async function runServeCommand(args: ServeArgs, io: CliIO): Promise<number> {
  let text: string;
  try {
    text = await readFile(args.config, 'utf8');
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error);
    throw new ScenarioError(`${args.config}: cannot read the serve config: ${why}`, [`${args.config}: ${why}`]);
  }
  const { config, redactor } = loadServeConfig(text, { file: args.config, env: io.env });
  const apps = await loadApps(config, args.config, io.env);
  const say = (line: string): void => {
    if (!args.quiet) io.stderr(redactor.redactText(`${line}\n`));
  };
  const listen = args.listen ?? config.listen;
  let serve: Awaited<ReturnType<typeof startServe>>;
  try {
    serve = await startServe({ config, configFile: args.config, apps, listen, log: say });
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new TargetError(`serve: cannot listen on ${listen} (${code ?? (error as Error).message})`, {
      hint: 'pick another address with --listen (port 0 picks a free one)',
    });
  }
  const { resumed, closed } = serve.restored;
  if (resumed.length + closed.length > 0)
    say(`serve: sessions from the last process: ${resumed.length} resumed, ${closed.length} closed`);
  say(`serve: listening on ${serve.url}; apps: ${[...apps.keys()].join(', ')}`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    const off = io.onSignal((s) => {
      off();
      resolve(s);
    });
  });
  say(`serve: ${signal}: stopping every load; sessions stay journaled for the next start`);
  await serve.close();
  return EXIT.ok;
}
