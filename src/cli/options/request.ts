/** The flags that say what one request is (load, shard-job, capacity's URL form). */
import type { Argv } from 'yargs';
import { flagHelp } from '../../scenario/fields.js';
import { RequestSchema } from '../../scenario/sections.js';

/** The flags that say what one request is: URL, method, headers, body. */
export interface RequestArgs {
  url: string;
  method?: string;
  header?: string[];
  body?: string;
}

/** Declare --method, --header and --body. */
export function requestFlags<T>(y: Argv<T>, what = ''): Argv<T> {
  return y
    .option('method', {
      alias: 'm',
      type: 'string',
      describe: flagHelp(RequestSchema, 'method', what.trim() || undefined),
    })
    .option('header', {
      alias: 'H',
      type: 'string',
      array: true,
      describe: `request header 'name: value'${what}; repeatable; \${env:NAME} is a secret`,
    })
    .option('body', { alias: 'b', type: 'string', describe: `request body${what}` });
}
