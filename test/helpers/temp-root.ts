/**
 * vitest global setup: every temporary folder of a test run (the tests' own, and those of the CLI
 * processes, servers and browsers they start, which inherit TMPDIR) goes under one root that is
 * removed when the run ends, so a run leaves nothing in the system's temporary folder, whatever a
 * test forgot or a killed process left.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const before = process.env.TMPDIR;
  const root = mkdtempSync(join(tmpdir(), 'canary-gate-tests-'));
  process.env.TMPDIR = root;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    rmSync(root, { recursive: true, force: true, maxRetries: 3 });
  };
}
