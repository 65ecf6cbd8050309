/** Processes and histograms as the shard tests look at them. */
import { execFileSync } from 'node:child_process';
import type { Histogram } from '../../src/hdr/histogram.js';

/** True while a process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Pids of a process's children. */
export function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map(Number);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

/** Resolves once none of `pids` is alive; rejects after `ms`. */
export async function gone(pids: readonly number[], ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (pids.some(alive)) {
    if (Date.now() > until) throw new Error(`still running after ${ms} ms: ${pids.filter(alive).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Pids of the shard processes `pid` started (its children running `canary-gate … shard --plan …`). */
export function shardsOf(pid: number): number[] {
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '--ppid', String(pid)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there are none
  }
  return out
    .split('\n')
    .filter((line) => / shard --plan /.test(line))
    .map((line) => Number.parseInt(line, 10));
}

/** Resolves with the shard pids of `pid` once `count` of them run; rejects after `ms`. */
export async function shardsRunning(pid: number, count: number, ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  for (;;) {
    const pids = shardsOf(pid);
    if (pids.length >= count) return pids;
    if (Date.now() > until) throw new Error(`${pids.length} of ${count} shards running after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Every bucket's count, as hdr-histogram-js's JS histograms expose them: equal arrays are equal histograms. */
export function buckets(h: Histogram): number[] {
  const a = h as unknown as { countsArrayLength: number; getCountAtIndex(i: number): number };
  return Array.from({ length: a.countsArrayLength }, (_, i) => a.getCountAtIndex(i));
}
