/**
 * Runs a command given as argv (never a shell) with a hard deadline. The command gets its own
 * process group, so a timeout kills it and anything it started; the result is settled on the
 * command's exit, not on its output pipes closing (a grandchild holding stdout must not hang a
 * reset).
 */
import { spawn } from 'node:child_process';

/** Characters of stdout and of stderr kept from a command. */
const OUTPUT_LIMIT = 64 * 1024;

/**
 * The line of a command's stderr that says what went wrong: the first that reads as an error
 * (nginx prints "signal process started" before its "[emerg] …"), else the last non-empty one.
 */
export function errorLine(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
  return lines.find((l) => /\[(emerg|alert|crit|error)\]|\berror\b|\bfailed\b/i.test(l)) ?? lines.at(-1) ?? '';
}

/** What a finished command produced; code null means it was killed at the deadline. */
export interface ArgvResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Run `argv`; rejects only when it cannot start. A non-zero exit, a timeout or `signal` (the
 * command is killed at once) resolves, with code null for the last two.
 */
export function runArgv(argv: readonly string[], timeoutMs: number, signal?: AbortSignal): Promise<ArgvResult> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    if (file === undefined) {
      reject(new Error('empty command'));
      return;
    }
    const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stdout = '';
    let stderr = '';
    // A chatty command must not grow memory without bound: its first 64 KiB say what went wrong.
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      if (stdout.length < OUTPUT_LIMIT) stdout += chunk.slice(0, OUTPUT_LIMIT - stdout.length);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      if (stderr.length < OUTPUT_LIMIT) stderr += chunk.slice(0, OUTPUT_LIMIT - stderr.length);
    });
    const killGroup = (): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    };
    const deadline = setTimeout(() => {
      killGroup();
      settle(null);
    }, timeoutMs);
    const onAbort = (): void => {
      killGroup();
      settle(null);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    let settled = false;
    const settle = (code: number | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ code, stdout, stderr });
    };
    child.once('error', (error) => {
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
    // Give the pipes a moment to deliver what the command printed before it exited.
    child.once('exit', (code) => setImmediate(() => settle(code)));
    if (signal?.aborted) onAbort();
  });
}
