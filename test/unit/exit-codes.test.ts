import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DECISION_EXIT, EXIT, EXIT_CODES_HELP, EXIT_TABLE, VERDICT_EXIT } from '../../src/exit-codes.js';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');

describe('the one exit-code table', () => {
  it('is what the README shows', () => {
    expect(README).toContain(`\`\`\`\n${EXIT_CODES_HELP}\n\`\`\``);
  });

  it('has a row for every code a decision or a capacity verdict exits with', () => {
    const codes = new Set(EXIT_TABLE.map((row) => row.code));
    for (const code of [...Object.values(DECISION_EXIT), ...Object.values(VERDICT_EXIT).map((v) => v.exitCode)])
      expect(codes.has(code), `exit ${code}`).toBe(true);
    expect([...codes].sort((a, b) => a - b)).toEqual(Object.values(EXIT).sort((a, b) => a - b));
  });

  it("gives each capacity verdict the README's exit code", () => {
    for (const [verdict, { exitCode }] of Object.entries(VERDICT_EXIT)) {
      expect(README, verdict).toMatch(new RegExp(`\\| \`${verdict}\` \\| ${exitCode} \\|`));
    }
  });
});
