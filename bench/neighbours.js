// The machine's other load during a measurement: CPU seconds used by processes outside this
// benchmark's own process tree (other sessions' tests, type checks, a CPU hog), read from /proc
// twice a second. On a shared 2-core machine that, with wrk's rate in the same round, says whether
// a slow round was the machine or the tool. A process that starts and ends between two reads
// (under half a second) is missed: the figure is a lower bound. The reads run on a worker thread:
// a generator on the benchmark's own main thread (bench/shards.js's thread set-ups) must not
// pay for them.
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const TICKS_PER_SEC = 100;
const POLL_MS = 500;

/** pid -> { ppid, ticks (user + system), start (ticks after boot) } for every process readable now. */
function snapshot() {
  const procs = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The name is in parentheses and may hold spaces: fields are counted after its closing one.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(entry), {
        ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
        start: Number(fields[19]),
      });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return procs;
}

/** Whether `pid` is `root` or descends from it in `procs`. */
function inTree(procs, pid, root) {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
    if (p === root) return true;
    p = procs.get(p)?.ppid ?? 0;
  }
  return false;
}

/** A process's command line, shortened; undefined once it is gone. */
function commandLine(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return undefined;
  }
}

const uptimeTicks = () => Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * TICKS_PER_SEC;

/** Watch on this thread until told to stop, then answer with the figures. */
function watch(root) {
  const t0 = Date.now();
  const startTicks = uptimeTicks();
  // Per pid: its ticks when first seen (0 if it started after the watch did), its latest ticks,
  // whether it is this benchmark's own, and its command line.
  const seen = new Map();
  const poll = () => {
    const procs = snapshot();
    for (const [pid, p] of procs) {
      let s = seen.get(pid);
      if (s === undefined || s.start !== p.start) {
        s = { start: p.start, first: p.start > startTicks ? 0 : p.ticks, last: p.ticks, mine: false, cmd: undefined };
        seen.set(pid, s);
      }
      s.last = p.ticks;
      s.mine ||= inTree(procs, pid, root);
      s.cmd ??= commandLine(pid);
    }
  };
  poll();
  const timer = setInterval(poll, POLL_MS);
  return {
    stop() {
      clearInterval(timer);
      poll();
      let ticks = 0;
      const busiest = [];
      for (const s of seen.values()) {
        const delta = s.last - s.first;
        if (s.mine || delta <= 0) continue;
        ticks += delta;
        busiest.push({ cmd: s.cmd ?? '?', cpuSec: delta / TICKS_PER_SEC });
      }
      const wallSec = (Date.now() - t0) / 1000;
      busiest.sort((a, b) => b.cpuSec - a.cpuSec);
      return {
        cpuSec: ticks / TICKS_PER_SEC,
        // Cores the neighbours kept busy on average over the window (of this machine's 2).
        cores: wallSec > 0 ? Number((ticks / TICKS_PER_SEC / wallSec).toFixed(2)) : 0,
        busiest: busiest.slice(0, 3).map((b) => `${b.cmd} ${b.cpuSec.toFixed(1)}s`),
      };
    },
  };
}

/**
 * Start watching (on a worker thread); `await stop()` gives the neighbours' CPU seconds since,
 * the cores they kept busy, and the busiest three.
 */
export function watchNeighbours(root = process.pid) {
  const worker = new Worker(new URL(import.meta.url), { workerData: { root }, execArgv: [] });
  const ready = once(worker, 'message');
  return {
    async stop() {
      await ready;
      const answer = once(worker, 'message');
      worker.postMessage('stop');
      const [figures] = await answer;
      await worker.terminate();
      return figures;
    },
  };
}

if (!isMainThread && workerData?.root !== undefined) {
  const watcher = watch(workerData.root);
  parentPort.postMessage('ready');
  parentPort.once('message', () => parentPort.postMessage(watcher.stop()));
}
