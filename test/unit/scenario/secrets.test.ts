import { describe, expect, it } from 'vitest';
import { ScenarioError } from '../../../src/errors.js';
import { interpolateEnv, REDACTED, Redactor, redactProcessSecrets } from '../../../src/scenario/secrets.js';

describe('${env:NAME} secrets', () => {
  it('substitutes variables and remembers them as secrets', () => {
    const redactor = new Redactor();
    const value = interpolateEnv('Bearer ${env:TOKEN}', { TOKEN: 's3cr3t' }, redactor, 'headers.authorization');
    expect(value).toBe('Bearer s3cr3t');
    expect(redactor.redactText('sent Bearer s3cr3t to host')).toBe(`sent Bearer ${REDACTED} to host`);
  });

  it('redacts secrets anywhere in a JSON-like value', () => {
    const redactor = new Redactor();
    interpolateEnv('${env:A}', { A: 'key-123' }, redactor, 'url');
    expect(redactor.redact({ url: 'http://x/?k=key-123', nested: ['key-123'] })).toEqual({
      url: `http://x/?k=${REDACTED}`,
      nested: [REDACTED],
    });
  });

  it('names the field and the variable when it is missing', () => {
    const call = () => interpolateEnv('${env:NOPE}', {}, new Redactor(), 'targets.canary.url');
    expect(call).toThrow(ScenarioError);
    expect(call).toThrow('targets.canary.url: environment variable NOPE is not set');
  });

  it('leaves text without references alone and ignores empty secrets', () => {
    const redactor = new Redactor();
    expect(interpolateEnv('plain', {}, redactor, 'x')).toBe('plain');
    interpolateEnv('${env:EMPTY}', { EMPTY: '' }, redactor, 'x');
    expect(redactor.size).toBe(0);
    expect(redactor.redactText('anything')).toBe('anything');
  });
});

describe('redacting structured values', () => {
  it('keeps numbers and histograms intact, even for a numeric secret', () => {
    const redactor = new Redactor();
    interpolateEnv('${env:PORT}', { PORT: '8080' }, redactor, 'url');
    const value = {
      url: 'http://127.0.0.1:8080/',
      requests: 18080,
      histogram: { latency: 'HISTFAAA8080' },
      list: ['x8080'],
    };
    expect(redactor.redact(value)).toEqual({
      url: `http://127.0.0.1:${REDACTED}/`,
      requests: 18080,
      histogram: { latency: 'HISTFAAA8080' },
      list: [`x${REDACTED}`],
    });
  });

  it('redacts secrets that JSON would escape', () => {
    const redactor = new Redactor();
    interpolateEnv('${env:Q}', { Q: 'pa"ss\\word' }, redactor, 'x');
    expect(redactor.redact({ header: 'token pa"ss\\word' })).toEqual({ header: `token ${REDACTED}` });
  });

  it("redacts error text with every secret any of the process's redactors loaded (main's last line of defence)", () => {
    new Redactor().add('k3y-value');
    new Redactor().add('k3y-value-longer');
    const text = 'pre-flight: http://h/?key=k3y-value-longer did not answer; hint: try k3y-value';
    expect(redactProcessSecrets(text)).toBe(
      `pre-flight: http://h/?key=${REDACTED} did not answer; hint: try ${REDACTED}`,
    );
  });
});
