/**
 * Runs a command given as argv (never a shell) with a hard deadline. The command gets its own
 * process group, so a timeout kills it and anything it started; the result is settled on the
 * command's exit, not on its output pipes closing (a grandchild holding stdout must not hang a
 * reset).
 */
import { spawn } from 'node:child_process';

/** What a finished command produced; code null means it was killed at the deadline. */
export interface ArgvResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `argv`; rejects only when it cannot start. A non-zero exit or a timeout resolves. */
export function runArgv(argv: readonly string[], timeoutMs: number): Promise<ArgvResult> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    if (file === undefined) {
      reject(new Error('empty command'));
      return;
    }
    const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
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
    let settled = false;
    const settle = (code: number | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ code, stdout, stderr });
    };
    child.once('error', (error) => {
      clearTimeout(deadline);
      if (!settled) {
        settled = true;
        reject(error);
      }
    });
    // Give the pipes a moment to deliver what the command printed before it exited.
    child.once('exit', (code) => setImmediate(() => settle(code)));
  });
}
