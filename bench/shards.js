#!/usr/bin/env node
// Sharded load (issue #19) against one generator, in the same run, rounds with the order rotated
// (the machine drifts more between rounds than the set-ups differ). Not a pass/fail test.
//
// Sections (--only a,b; default rate,stall):
//   rate    nginx (Debian's, one worker): the open model at each --rates for --duration with one
//           generator process (1 shard), two processes (2 shards) and one process with two worker
//           threads; per run: achieved/target (responses in the window), p99, generator-limited
//           seconds; per rate: the 2-shard and threads figures as ratios of the 1-shard ones.
//   ladder  nginx: the highest open-model rate each set-up holds (1 shard, 2 shards, 1 thread,
//           2 worker threads), the same rates for each, the set-ups' order rotated at every rate.
//           Held = completed >= 99 % of target, no errors, p99 within 3x the low-rate p99 (the
//           median of the set-ups' p99s at --ladder-low: at a low rate each measures the service,
//           and one set-up's noisy short reference must not loosen or tighten its own bar); a miss
//           is run once more, a confirmed miss ends that set-up's climb.
//   stall   a server that freezes its event loop for --stall-ms every second (a stop-the-world
//           pause, in its own process): p99 of intended-time latency with 1 shard and 2 shards,
//           and their ratio (issue #19: within 10 %).
//
// Usage: npm run build && node bench/shards.js [--only rate,stall] [--rounds 3] [--rates 5000,10000]
// This machine has 2 cores: two shards, nginx and the coordinator share them.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runLoad } from '../dist/load/engine.js';
import { runSharded } from '../dist/shard/coordinator.js';
import { processExecutor } from '../dist/shard/process-executor.js';
import { watchNeighbours } from './neighbours.js';
import { startNginx } from './nginx.js';

const { values: opts } = parseArgs({
  options: {
    only: { type: 'string', default: 'rate,stall' },
    rounds: { type: 'string', default: '3' },
    rates: { type: 'string', default: '5000,10000,20000' },
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '100' },
    'stall-rate': { type: 'string', default: '1000' },
    'stall-ms': { type: 'string', default: '100' },
    'stall-duration': { type: 'string', default: '10' },
    warmup: { type: 'string', default: '1' },
    'ladder-low': { type: 'string', default: '2000' },
    'ladder-rates': { type: 'string', default: '10000,15000,20000,25000,30000,40000' },
    'ladder-step': { type: 'string', default: '6' },
    // Where the rotation starts: a rerun with another offset puts other set-ups first.
    'ladder-offset': { type: 'string', default: '0' },
  },
});
const sections = new Set(opts.only.split(','));
const rounds = Number(opts.rounds);

const plan = (url, ratePerSec, seconds, connections) => ({
  targets: [{ arm: 'target', url, weight: 1 }],
  mix: [{ method: 'GET', path: '/', weight: 1 }],
  ratePerSec,
  durationMs: seconds * 1000,
  warmupMs: Number(opts.warmup) * 1000,
  connections,
  pipelining: 1,
  workers: 1,
  timeoutMs: 5000,
});

const p99Ms = (result) => Math.min(result.total.latency.getValueAtPercentile(99), result.total.latency.maxValue) / 1000;
const figures = (result, neighbours) => ({
  achieved: result.throughput.completedPerSec / (result.throughput.targetPerSec ?? 1),
  p99Ms: p99Ms(result),
  errors: result.total.counters.errors,
  limitedSeconds: result.generator.limitedIntervals,
  // Cores the machine's other processes kept busy meanwhile (neighbours.js).
  neighbourCores: neighbours.cores,
});

/** Run one set-up and read its figures, with the machine's other load meanwhile. */
async function measure(setup, p) {
  const neighbours = watchNeighbours();
  const result = await setup(p);
  return figures(result, await neighbours.stop());
}

const setups = {
  '1 shard': (p) => runSharded(p, { shards: 1, executor: processExecutor() }),
  '2 shards': (p) => runSharded(p, { shards: 2, executor: processExecutor() }),
  '2 threads': (p) => runLoad({ ...p, workers: 2 }),
};
// The ladder compares threads with threads too: one generator thread in this process.
const ladderSetups = { ...setups, '1 thread': (p) => runLoad({ ...p, workers: 1 }) };

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, digits = 3) => (Number.isFinite(x) ? x.toFixed(digits) : String(x));

/** Run every set-up on `url` per round, order rotated; returns figures by set-up name. */
async function rotated(names, run) {
  const out = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    for (const name of order) {
      const f = await run(name);
      out[name].push(f);
      console.error(`  round ${r + 1} ${name}: ${JSON.stringify(f)}`);
    }
  }
  return out;
}

if (sections.has('rate')) {
  const nginx = await startNginx();
  try {
    for (const rate of opts.rates.split(',').map(Number)) {
      console.error(`rate ${rate}/s, ${opts.duration} s, -c ${opts.connections}:`);
      const p = plan(nginx.url, rate, Number(opts.duration), Number(opts.connections));
      const names = Object.keys(setups);
      const out = await rotated(names, (name) => measure(setups[name], p));
      const base = out['1 shard'];
      for (const name of names) {
        const runs = out[name];
        const achieved = median(runs.map((f) => f.achieved));
        const p99 = median(runs.map((f) => f.p99Ms));
        const ratios = runs.map((f, i) => f.p99Ms / base[i].p99Ms);
        console.log(
          `rate ${rate}/s  ${name.padEnd(9)}  achieved/target ${fmt(achieved, 4)}  p99 ${fmt(p99)} ms (per round ${runs.map((f) => fmt(f.p99Ms, 1)).join('/')})  p99 vs 1 shard ${fmt(median(ratios), 2)}x (per round ${ratios.map((r) => fmt(r, 2)).join('/')})  errors ${runs.reduce((s, f) => s + f.errors, 0)}  limited s ${runs.map((f) => f.limitedSeconds).join('/')}  neighbours ${runs.map((f) => f.neighbourCores).join('/')} cores`,
        );
      }
    }
  } finally {
    nginx.stop();
  }
}

if (sections.has('ladder')) {
  const nginx = await startNginx();
  try {
    const names = Object.keys(ladderSetups);
    const step = Number(opts['ladder-step']);
    const conns = Number(opts.connections);
    const run = (name, rate) => measure(ladderSetups[name], plan(nginx.url, rate, step, conns));
    const low = Number(opts['ladder-low']);
    console.error(`ladder: ${step} s steps after a ${opts.warmup} s warm-up, -c ${conns}; reference ${low}/s`);
    const reference = {};
    for (const name of names.map((_, k) => names[(k + Number(opts['ladder-offset'])) % names.length])) {
      reference[name] = await run(name, low);
      console.error(`  reference ${name}: ${JSON.stringify(reference[name])}`);
    }
    const lowP99 = median(names.map((n) => reference[n].p99Ms));
    console.error(`  low-rate p99 (median of the set-ups) ${fmt(lowP99)} ms: the bar is ${fmt(3 * lowP99)} ms`);
    const held = (_name, f) => f.errors === 0 && f.achieved >= 0.99 && f.p99Ms <= 3 * lowP99;
    const highest = Object.fromEntries(names.map((n) => [n, null]));
    const climbing = new Set(names);
    const rates = opts['ladder-rates'].split(',').map(Number);
    for (const [i, rate] of rates.entries()) {
      // Rotated at every rate, so no set-up always runs first (or right after another's load).
      const shift = i + Number(opts['ladder-offset']);
      const order = names.map((_, k) => names[(k + shift) % names.length]).filter((n) => climbing.has(n));
      for (const name of order) {
        let f = await run(name, rate);
        let note = '';
        if (!held(name, f)) {
          // One hiccup of another process should not end a climb: a miss is run once more.
          note = ` (first attempt: achieved ${fmt(f.achieved, 4)}, p99 ${fmt(f.p99Ms)} ms)`;
          f = await run(name, rate);
        }
        const ok = held(name, f);
        if (ok) highest[name] = rate;
        else climbing.delete(name);
        console.log(
          `ladder ${String(rate).padStart(6)}/s  ${name.padEnd(9)}  achieved/target ${fmt(f.achieved, 4)}  p99 ${fmt(f.p99Ms)} ms (${fmt(f.p99Ms / lowP99, 2)}x the ${low}/s p99)  errors ${f.errors}  limited s ${f.limitedSeconds}  neighbours ${f.neighbourCores} cores  ${ok ? 'held' : 'NOT held'}${note}`,
        );
      }
      if (climbing.size === 0) break;
    }
    for (const name of names) {
      console.log(
        `ladder highest held  ${name.padEnd(9)}  ${highest[name] ?? 'none'}/s  (its p99 at ${low}/s ${fmt(reference[name].p99Ms)} ms, bar ${fmt(3 * lowP99)} ms${climbing.has(name) ? ', top of the ladder reached' : ''})`,
      );
    }
  } finally {
    nginx.stop();
  }
}

if (sections.has('stall')) {
  // The stall server runs in its own process so its pauses are its own, not the generator's.
  const server = fork(fileURLToPath(new URL('./stall-server.js', import.meta.url)), [opts['stall-ms']], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const [port] = await once(server, 'message');
    const url = `http://127.0.0.1:${port}`;
    const p = plan(url, Number(opts['stall-rate']), Number(opts['stall-duration']), 200);
    console.error(`stall ${opts['stall-ms']} ms each second, ${opts['stall-rate']}/s for ${opts['stall-duration']} s:`);
    const out = await rotated(['1 shard', '2 shards'], (name) => measure(setups[name], p));
    const ratios = out['2 shards'].map((f, i) => f.p99Ms / out['1 shard'][i].p99Ms);
    console.log(
      `stall  p99 1 shard ${out['1 shard'].map((f) => fmt(f.p99Ms, 1)).join('/')} ms  2 shards ${out['2 shards'].map((f) => fmt(f.p99Ms, 1)).join('/')} ms  ratio per round ${ratios.map((r) => fmt(r, 3)).join('/')}  median ${fmt(median(ratios), 3)}`,
    );
  } finally {
    server.kill('SIGTERM');
  }
}
