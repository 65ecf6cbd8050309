import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../../src/errors.js';
import { loadServeConfig } from '../../../src/serve/config.js';

const env = { TOKEN_A: 'a-token-of-sixteen-plus', HMAC_A: 'an-hmac-secret-of-enough-length' };
const VALID = `listen: 0.0.0.0:8080
auth:
  tokens: ["\${env:TOKEN_A}"]
  hmacSecrets: ["\${env:HMAC_A}"]
limits:
  maxSessions: 8
  idleTimeout: 5m
apps:
  podinfo: { scenario: podinfo.yaml }
`;

function problems(text: string, e: Record<string, string> = env): string[] {
  try {
    loadServeConfig(text, { file: 'serve.yaml', env: e });
  } catch (error) {
    expect(error).toBeInstanceOf(ScenarioError);
    return [...(error as ScenarioError).problems];
  }
  return [];
}

describe('serve config', () => {
  it('resolves secrets from the environment and applies bounded defaults', () => {
    const { config, redactor } = loadServeConfig(VALID, { file: 'serve.yaml', env });
    expect(config.auth.tokens).toEqual([env.TOKEN_A]);
    expect(config.auth.hmacSecrets).toEqual([env.HMAC_A]);
    expect(config.limits).toMatchObject({
      maxSessions: 8,
      idleTimeout: 300_000,
      maxBodyBytes: 65_536,
      maxLongPoll: 50_000,
    });
    expect(config.stateDir).toBe('canary-gate-serve');
    expect(redactor.redactText(`token ${env.TOKEN_A}`)).toBe('token [redacted]');
  });

  it.each([
    [
      'a token written into the file',
      VALID.replace('"${env:TOKEN_A}"', 'plain-token-in-file-00000'),
      /serve\.yaml:3:\d+: auth\.tokens\[0\]: expected \$\{env:NAME\}/,
    ],
    ['an unset variable', VALID, /auth\.tokens\[0\]: environment variable TOKEN_A is not set/, { HMAC_A: env.HMAC_A }],
    [
      'a short secret',
      VALID,
      /auth\.tokens\[0\]: \$\{env:TOKEN_A\} is 5 characters; expected at least 16/,
      { ...env, TOKEN_A: 'short' },
    ],
    [
      'no credentials at all',
      VALID.replace(/ {2}tokens.*\n {2}hmacSecrets.*\n/, '  flaggerMetadataToken: false\n'),
      /auth: expected at least one token or hmacSecret/,
    ],
    [
      'a deadline out of bounds',
      VALID.replace('idleTimeout: 5m', 'idleTimeout: 48h'),
      /limits\.idleTimeout: expected a duration from 1000 ms to 86400000 ms/,
    ],
    ['too many sessions', VALID.replace('maxSessions: 8', 'maxSessions: 1000'), /limits\.maxSessions:/],
    [
      'a body limit over 1m',
      VALID.replace('maxSessions: 8', 'maxSessions: 8\n  maxBodyBytes: 10m'),
      /limits\.maxBodyBytes: expected a size from 1k to 1m/,
    ],
    [
      'an app name that is no DNS label',
      VALID.replace('podinfo:', 'Pod_Info:'),
      /apps\.Pod_Info: expected an app name/,
    ],
    ['no apps', VALID.replace(/apps:\n.*\n/, 'apps: {}\n'), /apps: expected 1 to 100 apps/],
    ['an unknown key', `${VALID}extra: 1\n`, /unknown key "extra"/],
    ['a bad listen address', VALID.replace('0.0.0.0:8080', 'everywhere'), /listen: expected host:port/],
  ])('refuses %s, naming the field', (_name, text, pattern, e = env) => {
    expect(problems(text, e).join('\n')).toMatch(pattern);
  });

  it('reports every problem at once and never prints a secret', () => {
    const found = problems(VALID.replace('maxSessions: 8', 'maxSessions: 0').replace('0.0.0.0:8080', 'nowhere'), {
      ...env,
      TOKEN_A: 'short',
    });
    expect(found.length).toBeGreaterThanOrEqual(2);
    expect(found.join('\n')).not.toContain(env.HMAC_A);
  });
});
