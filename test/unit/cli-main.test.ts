import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { Redactor } from '../../src/scenario/secrets.js';
import { captureIO } from '../helpers/cli.js';

describe('cli', () => {
  it('redacts every secret the process loaded from error output, whatever the command missed', async () => {
    new Redactor().add('tok-7f3a-secret-value');
    const c = captureIO();
    expect(await main(['validate', '/nonexistent/tok-7f3a-secret-value.yaml', '--json'], c.io)).toBe(2);
    expect(c.stderr()).toContain('/nonexistent/[redacted].yaml');
    expect(c.stderr() + c.stdout()).not.toContain('tok-7f3a-secret-value');
  });

  it('colours errors on a terminal, and not with --no-color or NO_COLOR', async () => {
    const tty = captureIO({ stderrIsTTY: true });
    expect(await main(['validate', '/nonexistent/x.yaml'], tty.io)).toBe(2);
    expect(tty.stderr()).toContain('\x1b[31merror:\x1b[39m');
    const plain = captureIO({ stderrIsTTY: true });
    await main(['validate', '/nonexistent/x.yaml', '--no-color'], plain.io);
    expect(plain.stderr()).not.toContain('\x1b[');
    const env = captureIO({ stderrIsTTY: true, env: { NO_COLOR: '1' } });
    await main(['validate', '/nonexistent/x.yaml'], env.io);
    expect(env.stderr()).not.toContain('\x1b[');
  });

  it('maps an unknown flag to exit 2 with the help hint', async () => {
    const c = captureIO();
    expect(await main(['schema', '--frobnicate'], c.io)).toBe(2);
    expect(c.stderr()).toContain('Unknown argument: frobnicate');
    expect(c.stderr()).toContain('see canary-gate --help');
  });

  it('lays help out the same way whichever form asks for it', async () => {
    // Help is laid out to a width only when argv may ask for it (main.ts: asksForHelp).
    const help = async (argv: string[]): Promise<string> => {
      const c = captureIO();
      expect(await main(argv, c.io)).toBe(0);
      return c.stdout();
    };
    const flag = await help(['validate', '--help']);
    expect(flag).toMatch(/--json +machine output on stdout.* +\[boolean\] \[default: false\]\n/);
    for (const form of [
      ['validate', '-h'],
      ['validate', 'help'],
      ['validate', '-qh'],
      ['validate', '--help=true'],
    ]) {
      expect(await help(form), form.join(' ')).toBe(flag);
    }
  });

  it('prints the schema in-process', async () => {
    const c = captureIO();
    expect(await main(['schema'], c.io)).toBe(0);
    expect(JSON.parse(c.stdout()).title).toBe('canary-gate scenario');
  });
});
