/**
 * Live view of a canary run on the terminal. On a TTY the current step redraws one status line
 * (weight, elapsed and remaining, requests per second, p95/p99 per arm); verdicts, check states
 * and everything else print as lines. Elsewhere (CI logs) every line is plain and timestamped.
 */

import type { DriverEvent } from '../canary/driver.js';
import type { IntervalPoint } from '../load/interval-series.js';
import { describeEvent } from './run-summary.js';
import type { Terminal } from './terminal.js';

/**
 * An arm's second: its p95 and p99, or "no response" when not one request came back (every one
 * failed, or none was sent): the zeros of an empty histogram are no latency.
 */
function latencyOf(a: IntervalPoint): string {
  return a.maxMs > 0 ? `p95 ${a.p95Ms}ms p99 ${a.p99Ms}ms` : 'no response';
}

/** A running display; `done` ends a redrawn line. */
export interface RunProgress {
  show: (event: DriverEvent) => void;
  done: () => void;
}

/** Show driver events on `io.stderr`; `redact` removes secrets from every line. */
export function startRunProgress(io: Terminal, steps: number, redact: (t: string) => string): RunProgress {
  let drawing = false;
  let step = { index: 0, weight: 0 };
  const endLine = (): void => {
    if (drawing) io.stderr('\n');
    drawing = false;
  };
  const print = (text: string): void => {
    endLine();
    const stamped = io.stderrIsTTY
      ? text
      : text
          .split('\n')
          .map((l) => `${new Date().toISOString()} ${l}`)
          .join('\n');
    io.stderr(`${redact(stamped)}\n`);
  };
  return {
    show: (event) => {
      if (event.type === 'step') step = { index: event.index, weight: event.weight };
      if (event.type === 'progress') {
        const p = event.progress;
        const planned = Math.round(event.plannedMs / 1000);
        // Past the planned time only the tail of in-flight requests is left: not worth a line.
        if (p.elapsedSec > planned) return;
        const arms = Object.entries(p.arms)
          .map(([arm, a]) => `${arm} ${latencyOf(a)}${a.errors > 0 ? ` err ${a.errors}` : ''}`)
          .join(' · ');
        const line = `step ${step.index + 1}/${steps} ${step.weight}% · ${p.elapsedSec}s/${planned}s (${Math.max(0, planned - p.elapsedSec)}s left) · ${p.requests} req/s · ${arms}`;
        if (io.stderrIsTTY) {
          io.stderr(`\r\x1b[2K${redact(line)}`);
          drawing = true;
        } else {
          print(line);
        }
        return;
      }
      const text = describeEvent(event);
      if (text !== undefined) print(text);
    },
    done: endLine,
  };
}
