/**
 * One run per router target: two runs moving the same upstream file, webhook or command would
 * interleave their weights, and one run's reset would land while the other holds the canary at
 * 25 %. A run takes an exclusive lock file named after its router's target before anything is
 * sent; a second run is refused with the holder's run, pid and journal. A lock whose process is
 * gone (a killed run) is stale: it is taken over when its journal shows the run settled, and
 * otherwise the user is sent to `recover`, since the canary may still hold that run's weight.
 */
import { createHash } from 'node:crypto';
import { linkSync, readFileSync, realpathSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import type { RunScenario } from '../../scenario/schema.js';

/** What a lock file says about the run that holds it. */
export interface LockHolder {
  pid: number;
  hostname: string;
  run: string;
  /** The holder's journal, for `recover`. */
  journal: string;
  startedAt: string;
  /** The target, as the lock names it. */
  target: string;
}

/** A held lock; `release` removes it when it is still ours (idempotent). */
export interface RouterLock {
  file: string;
  release: () => void;
}

/**
 * The target a router moves, as one string (undefined for `split`: its traffic is the run's own
 * and nothing outside is changed). nginx: the upstream file's real path; webhook: the URL
 * without credentials or query; exec: the argv template; proxy: the listen address (none for
 * port 0, which is a new port each time).
 */
export function routerTarget(router: RunScenario['router']): string | undefined {
  switch (router.type) {
    case 'split':
      return undefined;
    case 'nginx':
      return `nginx ${realFile(router.upstreamFile)}`;
    case 'webhook': {
      const u = new URL(router.url);
      return `webhook ${u.protocol}//${u.host}${u.pathname}`;
    }
    case 'exec':
      return `exec ${JSON.stringify(router.command)}`;
    case 'proxy':
      // Port 0 is a fresh port each time: two such proxies never share a target.
      return /:0$/.test(router.listen) ? undefined : `proxy ${router.listen}`;
  }
}

/** The real path of a file that may not exist yet (its folder's real path, then its name). */
function realFile(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    try {
      return join(realpathSync(dirname(file)), basename(file));
    } catch {
      return resolve(file);
    }
  }
}

/** Where lock files live: CANARY_GATE_LOCK_DIR, or a folder in the system's temporary directory. */
export function lockDir(env: Readonly<Record<string, string | undefined>>): string {
  return env.CANARY_GATE_LOCK_DIR || join(tmpdir(), 'canary-gate-locks');
}

/** The lock file of `target` in `dir`: named by a hash, since a target is a path, a URL or an argv. */
export function lockFile(dir: string, target: string): string {
  return join(dir, `${createHash('sha256').update(target).digest('hex').slice(0, 32)}.lock`);
}

/** False only when the process is certainly gone (same host, no such pid). */
function alive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

function readHolder(file: string): LockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<LockHolder>;
    return typeof parsed.pid === 'number' && typeof parsed.run === 'string' ? (parsed as LockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Take the lock of `target` for run `run` in the existing folder `dir`, or throw a UsageError (exit 2, nothing sent) naming
 * who holds it. `settled(journal)` says whether a dead holder's run left its router at the safe
 * weight (true) or may have left the canary holding traffic (false).
 */
export function acquireRouterLock(
  target: string,
  o: { run: string; journal: string; dir: string; settled: (journal: string) => boolean },
): RouterLock {
  const file = lockFile(o.dir, target);
  const me: LockHolder = {
    pid: process.pid,
    hostname: hostname(),
    run: o.run,
    journal: o.journal,
    startedAt: new Date().toISOString(),
    target,
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    // Written whole under a name of our own, then linked into place: link fails if the lock
    // exists, and a reader never sees a half-written lock.
    const mine = `${file}.${process.pid}.tmp`;
    writeFileSync(mine, `${JSON.stringify(me)}\n`);
    try {
      linkSync(mine, file);
      return { file, release: () => releaseIfOurs(file, me) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(mine);
    }
    const holder = readHolder(file);
    if (holder && alive(holder)) {
      throw new UsageError(
        `${target} is in use by run ${holder.run} (pid ${holder.pid} on ${holder.hostname}, since ${holder.startedAt}); one run per router at a time, nothing was sent`,
        { hint: `wait for that run to end, or stop it; its journal is ${holder.journal}` },
      );
    }
    if (holder && !o.settled(holder.journal)) {
      throw new UsageError(
        `${target} was held by run ${holder.run} (pid ${holder.pid}), which ended without resetting its router; the canary may still hold traffic, nothing was sent`,
        { hint: `canary-gate recover ${holder.journal}, then run again` },
      );
    }
    // Stale (its process is gone and its run settled) or unreadable (a crash mid-write): moved
    // aside atomically, so of two runs taking it over only one removes it.
    try {
      const aside = `${file}.stale-${process.pid}`;
      renameSync(file, aside);
      unlinkSync(aside);
    } catch {
      // Another run moved it first; the next attempt sees whose it is now.
    }
  }
  throw new UsageError(`${target}: could not take its lock ${file}; nothing was sent`);
}

function releaseIfOurs(file: string, me: LockHolder): void {
  const holder = readHolder(file);
  if (holder?.pid !== me.pid || holder.run !== me.run) return;
  try {
    unlinkSync(file);
  } catch {
    // Gone already.
  }
}
