/**
 * A run's I/O as one injected object, so a run works the same from the CLI, from a test that
 * reads stdout, stderr and the exit code in-process, and later from `serve`.
 */
import type { Terminal } from '../report/terminal.js';

/** Where a run writes and what it reads from its environment. */
export interface RunIO extends Terminal {
  /** Machine output (JSON with --json, the human summary otherwise). */
  stdout: (text: string) => void;
  /** Environment variables (for ${env:NAME}, GITHUB_STEP_SUMMARY). */
  env: Readonly<Record<string, string | undefined>>;
  /** Subscribe to SIGINT/SIGTERM; returns an unsubscribe function. */
  onSignal: (handler: (signal: NodeJS.Signals) => void) => () => void;
}
