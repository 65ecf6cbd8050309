// The machine's other load during a measurement: CPU seconds used by processes outside this
// benchmark's own process tree (other sessions' tests, a CPU hog), read from /proc. On a shared
// 2-core machine that, with wrk's rate in the same round, says whether a slow round was the
// machine or the tool. Processes that start and end inside the window are missed (a lower bound).
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SEC = 100;

/** pid -> { ppid, ticks (user + system), name } for every process readable now. */
function snapshot() {
  const procs = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The name is in parentheses and may hold spaces: fields are counted after its closing one.
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      procs.set(Number(entry), {
        ppid: Number(fields[1]),
        ticks: Number(fields[11]) + Number(fields[12]),
        name: stat.slice(stat.indexOf('(') + 1, close),
      });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return procs;
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

/** Whether `pid` is `root` or descends from it in `procs`. */
function inTree(procs, pid, root) {
  for (let p = pid, hops = 0; p > 1 && hops < 64; hops++) {
    if (p === root) return true;
    p = procs.get(p)?.ppid ?? 0;
  }
  return false;
}

/** Start watching; `stop()` gives the neighbours' CPU seconds since, and the busiest of them. */
export function watchNeighbours(root = process.pid) {
  const before = snapshot();
  const t0 = Date.now();
  return {
    stop() {
      const after = snapshot();
      let ticks = 0;
      const busiest = [];
      for (const [pid, now] of after) {
        const then = before.get(pid);
        if (then === undefined || inTree(after, pid, root)) continue;
        const delta = now.ticks - then.ticks;
        if (delta <= 0) continue;
        ticks += delta;
        busiest.push({ pid, name: now.name, cpuSec: delta / TICKS_PER_SEC });
      }
      const wallSec = (Date.now() - t0) / 1000;
      busiest.sort((a, b) => b.cpuSec - a.cpuSec);
      return {
        cpuSec: ticks / TICKS_PER_SEC,
        // Cores the neighbours kept busy on average over the window (of this machine's 2).
        cores: wallSec > 0 ? Number((ticks / TICKS_PER_SEC / wallSec).toFixed(2)) : 0,
        busiest: busiest.slice(0, 3).map((b) => `${commandLine(b.pid) ?? b.name} ${b.cpuSec.toFixed(1)}s`),
      };
    },
  };
}
