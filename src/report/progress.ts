/**
 * Live progress on stderr, once a second: elapsed of planned time, throughput, errors and the
 * interval's p99. On a terminal it redraws one line; elsewhere it prints a line per second.
 */

import type { LoadProgress } from '../load/engine.js';
import type { LoadPlan } from '../load/plan.js';
import { formatDurationMs } from '../scenario/units.js';
import type { Terminal } from './terminal.js';

/** A running progress display. */
export interface Progress {
  /** Show one interval. */
  update: (progress: LoadProgress) => void;
  /** Finish the display (idempotent). */
  done: () => void;
}

/** Start showing progress of `plan` on `io.stderr`. */
export function startProgress(io: Terminal, plan: LoadPlan): Progress {
  const totalSec = Math.ceil(plan.durationMs / 1000);
  let drawn = false;
  let finished = false;
  if ((plan.warmupMs ?? 0) > 0) {
    io.stderr(`  warming up for ${formatDurationMs(plan.warmupMs ?? 0)} (sent, not measured)\n`);
  }
  return {
    update: (p) => {
      if (finished) return;
      const limited = p.generator?.limited ? `  generator-limited (${p.generator.reasons[0]?.code ?? 'queue'})` : '';
      const line = `  ${String(p.elapsedSec).padStart(String(totalSec).length)}/${totalSec}s  ${p.requests} req/s  errors ${p.errors}  p99 ${p.p99Ms}ms${limited}`;
      if (io.stderrIsTTY) io.stderr(`\r\x1b[2K${line}`);
      else io.stderr(`${line}\n`);
      drawn = true;
    },
    done: () => {
      if (finished) return;
      finished = true;
      if (drawn && io.stderrIsTTY) io.stderr('\n');
    },
  };
}
