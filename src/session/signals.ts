/**
 * What ends a run from outside — SIGINT, SIGTERM, an error that escaped everything — aborts its
 * controller, so the run's own cleanup (router reset, builds stopped) happens before the process
 * exits. Shared by `run` and `regress`. A closed output pipe never gets here: `processIO`
 * drops EPIPE at the edge.
 */
import type { RunIO } from './io.js';

/**
 * Abort `controller` on a signal (reason `{ signal }`, exit 130) or an uncaught error (the error,
 * exit 3), saying `cleanup` once. Returns the unsubscribe function, to call after the cleanup.
 */
export function abortOnTrouble(
  io: RunIO,
  controller: AbortController,
  say: (text: string) => void,
  cleanup: string,
): () => void {
  const tell = (text: string): void => {
    try {
      say(text);
    } catch {
      // Output is a courtesy; the cleanup happens whatever became of the terminal.
    }
  };
  const unsubscribe = io.onSignal((signal) => {
    const first = !controller.signal.aborted;
    controller.abort({ signal });
    if (first) tell(`\n${signal}: stopping; ${cleanup}`);
  });
  const onCrash = (error: unknown): void => {
    controller.abort(error instanceof Error ? error : new Error(String(error)));
    tell(`\nunexpected error: ${(error as Error)?.stack ?? String(error)}; ${cleanup}`);
  };
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  return () => {
    unsubscribe();
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  };
}
