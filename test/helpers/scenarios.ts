/** The example scenarios in scenarios/, with the environment they reference. */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SCENARIO_DIR = fileURLToPath(new URL('../../scenarios/', import.meta.url));

/** Every example file: name, path and text. */
export const EXAMPLES = readdirSync(SCENARIO_DIR)
  .filter((f) => /\.(ya?ml|json)$/.test(f))
  .sort()
  .map((name) => ({ name, path: `${SCENARIO_DIR}${name}`, text: readFileSync(`${SCENARIO_DIR}${name}`, 'utf8') }));

/** Values for every ${env:NAME} the examples use (long enough never to collide with other text). */
export const EXAMPLE_ENV: Record<string, string> = {
  CHECKOUT_TOKEN: 'example-checkout-token-5f1e',
  ORDERS_TOKEN: 'example-orders-token-8c2d',
  EXPIRED_ORDERS_TOKEN: 'example-expired-orders-token-1b7a',
};

/** A small valid scenario as YAML, to break one field at a time. */
export const MINIMAL = `name: minimal
targets:
  baseline:
    url: http://127.0.0.1:18080
  canary:
    url: http://127.0.0.1:18081
requests:
  - path: /
`;
