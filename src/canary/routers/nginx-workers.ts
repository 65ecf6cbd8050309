/**
 * nginx's worker processes on this machine, read from /proc (Linux). A reload starts new workers
 * and tells the old ones to quit; an old worker stops accepting connections only once it has
 * handled that, and it then retitles itself "worker process is shutting down" just before it
 * closes its listening sockets. Until every old worker has, a fresh connection may still land on
 * the previous weights, so a reload has taken only when they all have (or are gone).
 */
import { constants } from 'node:fs';
import { open, readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { RouterError } from '../../errors.js';
import { throwIfAborted } from './router.js';

/** Bytes of a pid file read (a pid and a newline). */
const MAX_PID_FILE_BYTES = 64;
/** Pause between looks at the old workers, ms. */
const POLL_MS = 10;

/** A worker process: its pid and its start time (so a pid reused by another process is not it). */
export interface NginxWorker {
  pid: number;
  start: string;
}

/** The master's pid, read from nginx's pid file (its first bytes only), checked to be nginx's master. */
export async function nginxMasterPid(pidFile: string): Promise<number> {
  let text: string;
  try {
    // Non-blocking: a FIFO named by mistake must not hold the step until a writer comes.
    const file = await open(pidFile, constants.O_RDONLY | constants.O_NONBLOCK);
    try {
      const buffer = Buffer.alloc(MAX_PID_FILE_BYTES);
      const { bytesRead } = await file.read(buffer, 0, MAX_PID_FILE_BYTES, 0);
      text = buffer.subarray(0, bytesRead).toString('utf8').trim();
    } finally {
      await file.close();
    }
  } catch (error) {
    throw new RouterError(`nginx router: cannot read pidFile ${pidFile}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const pid = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(pid) || pid < 1) {
    throw new RouterError(
      `nginx router: pidFile ${pidFile} holds ${JSON.stringify(text.slice(0, 20))}; expected a pid`,
    );
  }
  const title = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).replaceAll('\0', ' ');
  if (!title.includes('master process')) {
    throw new RouterError(
      `nginx router: pidFile ${pidFile} names pid ${pid}, which is ${title === '' ? 'not running' : `not an nginx master ("${title.trim().slice(0, 80)}")`}; expected the master of the nginx that the reload command signals`,
    );
  }
  return pid;
}

/** The master of the pid file and its workers that accept connections now. */
export async function acceptingWorkers(pidFile: string): Promise<{ master: number; workers: NginxWorker[] }> {
  const master = await nginxMasterPid(pidFile);
  const workers: NginxWorker[] = [];
  for (const pid of await childrenOf(master)) {
    const start = await accepting(master, { pid });
    if (start !== undefined) workers.push({ pid, start });
  }
  return { master, workers };
}

/** The pids of `master`'s child processes (its workers, cache manager and loader). */
async function childrenOf(master: number): Promise<number[]> {
  try {
    const listed = await readFile(`/proc/${master}/task/${master}/children`, 'utf8');
    return listed.split(/\s+/).filter(Boolean).map(Number);
  } catch {
    // Read below instead.
  }
  // A kernel without the children file: every process's parent, from its stat line.
  const out: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    if (Number(statFields(stat)[1]) === master) out.push(Number(entry));
  }
  return out;
}

/**
 * Resolves once none of `workers` still accepts for `master`: each has exited, is another process
 * now (another parent or start time: its pid reused), or is titled as shutting down. Throws a
 * RouterError at the deadline.
 */
export async function untilRetired(
  master: number,
  workers: readonly NginxWorker[],
  deadlineMs: number,
  signal?: AbortSignal,
): Promise<void> {
  let left = [...workers];
  for (;;) {
    throwIfAborted(signal);
    const still: NginxWorker[] = [];
    for (const worker of left) if ((await accepting(master, worker)) !== undefined) still.push(worker);
    left = still;
    if (left.length === 0) return;
    if (Date.now() >= deadlineMs) {
      const pids = left.map((w) => w.pid).join(', ');
      throw new RouterError(
        `nginx router: after the reload, worker${left.length === 1 ? '' : 's'} ${pids} of the previous configuration still accept connections (did nginx reject the new one? see its error log)`,
      );
    }
    await sleep(POLL_MS, undefined, signal ? { signal } : {}).catch(() => throwIfAborted(signal));
  }
}

/**
 * The start time of `worker` when it is still a worker of `master` that has not begun to shut
 * down (and, when its start is known, still the same process); undefined otherwise.
 */
async function accepting(master: number, worker: { pid: number; start?: string }): Promise<string | undefined> {
  const [stat, cmdline] = await Promise.all([
    readFile(`/proc/${worker.pid}/stat`, 'utf8').catch(() => ''),
    readFile(`/proc/${worker.pid}/cmdline`, 'utf8').catch(() => ''),
  ]);
  const fields = statFields(stat);
  // Another parent (exited, its pid reused), a zombie (exited already), or another process.
  if (Number(fields[1]) !== master || fields[0] === 'Z') return undefined;
  const start = fields[19];
  if (start === undefined || (worker.start !== undefined && start !== worker.start)) return undefined;
  const title = cmdline.replaceAll('\0', ' ');
  return title.includes('worker process') && !title.includes('shutting down') ? start : undefined;
}

/** The fields of a /proc/N/stat line after the command name (which may hold spaces): state first. */
function statFields(stat: string): string[] {
  return stat === '' ? [] : stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
