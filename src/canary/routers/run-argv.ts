/** Runs a command given as argv (never a shell), with a timeout; resolves with its output. */
import { execFile } from 'node:child_process';

/** What a finished command produced. */
export interface ArgvResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `argv`; rejects only when it cannot start. A non-zero exit resolves with its code. */
export function runArgv(argv: readonly string[], timeoutMs: number): Promise<ArgvResult> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    if (file === undefined) {
      reject(new Error('empty command'));
      return;
    }
    execFile(file, args, { timeout: timeoutMs, windowsHide: true }, (error, stdout, stderr) => {
      const code = error ? ((error as { code?: unknown }).code ?? null) : 0;
      if (error && typeof code === 'string') {
        reject(error);
        return;
      }
      resolve({ code: typeof code === 'number' ? code : null, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}
