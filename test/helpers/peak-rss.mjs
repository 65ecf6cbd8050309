/**
 * Preloaded into a CLI child (`node --import`), writes the process's peak resident set size
 * (VmHWM, kB) to the file CANARY_GATE_TEST_PEAK_RSS_FILE names when the process exits: the
 * memory a fault test bounds, measured by the kernel, worker threads included.
 */
import { readFileSync, writeFileSync } from 'node:fs';

const file = process.env.CANARY_GATE_TEST_PEAK_RSS_FILE;
if (file) {
  process.on('exit', () => {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (kb) writeFileSync(file, kb);
  });
}
