/**
 * The CLI's I/O as one injected object, so commands run in-process in tests and read stdout,
 * stderr and the exit code, while the real binary passes the process's own streams.
 */
import type { RunIO } from '../session/io.js';

/** Where a command writes and what it reads from its environment: a run's I/O. */
export type CliIO = RunIO;

let pipesGuarded = false;

/**
 * A reader that went away (a CI step's pipe closed, `| head`) makes every later write fail with
 * EPIPE. That must not crash the process with an unhandled 'error' event in the middle of a reset
 * or a cleanup: output is dropped, and any other stream error is still thrown.
 */
function guardPipes(): void {
  if (pipesGuarded) return;
  pipesGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    });
  }
}

/** The real process's I/O. */
export function processIO(): CliIO {
  guardPipes();
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    onSignal: (handler) => {
      const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];
      for (const s of signals) process.on(s, handler);
      return () => {
        for (const s of signals) process.off(s, handler);
      };
    },
  };
}
