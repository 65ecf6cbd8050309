#!/usr/bin/env node
// Records per-request latencies from two real node servers for the judge simulation's
// "recorded" stream (bench/judge-sim.js). Two demo services (from dist/), each on its own
// thread, answer with log-normal latency (median 10 ms, σ 0.5) and freeze their event loop
// for 200 ms every 3 s, at phases of their own (a GC pause, a blocking call); one open-model
// generator in this process sends both the same constant rate and measures latency from the
// intended send time, as canary-gate's engine does. Generator hiccups hit both at once, as
// they would in a run. Output: gzipped JSON, latencies in µs per server in send order.
// Heavy (two servers at --rate each): run it under the shared lock.
//   flock /tmp/canary-gate-heavy.lock node bench/record-latency.js --rate 800 --seconds 60
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { Pool } from 'undici';
import { startDemoServiceThread } from '../dist/demo/service-thread.js';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '800' },
    seconds: { type: 'string', default: '60' },
    warmup: { type: 'string', default: '3' },
    out: { type: 'string', default: 'bench/data/stalls-recording.json.gz' },
  },
});
const rate = Number(values.rate);
const seconds = Number(values.seconds);
const warmup = Number(values.warmup);
if (!(rate > 0 && rate <= 5000 && seconds > 0 && seconds <= 600 && warmup >= 0 && warmup <= 30)) {
  console.error('record-latency: expected --rate 1…5000, --seconds 1…600, --warmup 0…30');
  process.exit(2);
}

const service = { latency: { medianMs: 10, sigma: 0.5 }, stall: { everyMs: 3000, forMs: 200 } };
const servers = [];
servers.push(await startDemoServiceThread({ ...service, seed: 101 }));
// The second server's stall clock starts 1.3 s later: independent phases.
await sleep(1300);
servers.push(await startDemoServiceThread({ ...service, seed: 202 }));
const pools = servers.map((s) => new Pool(s.url, { connections: 128, pipelining: 1 }));

const total = Math.round((warmup + seconds) * rate);
const recorded = servers.map(() => new Int32Array(Math.round(seconds * rate)));
const skip = Math.round(warmup * rate);
let failed = 0;
let inFlight = 0;
const started = performance.now();
let sent = 0;
const deadline = started + (warmup + seconds) * 1000 + 10_000;

/** One request to server `k`, intended at `intendedMs`: latency counts from then. */
function send(k, i, intendedMs) {
  inFlight++;
  pools[k]
    .request({ path: '/api', method: 'GET' })
    .then(async (res) => {
      await res.body.dump();
      if (res.statusCode >= 400) failed++;
    })
    .catch(() => {
      failed++;
    })
    .finally(() => {
      inFlight--;
      if (i >= skip) recorded[k][i - skip] = Math.max(1, Math.round((performance.now() - intendedMs) * 1000));
    });
}

// Open model: every request of both servers goes out at its intended time, never later than
// the loop can manage; a late send still counts from when it was meant to go.
while (sent < total && performance.now() < deadline) {
  const now = performance.now();
  const due = Math.min(total, Math.floor(((now - started) / 1000) * rate) + 1);
  for (; sent < due; sent++) {
    const intended = started + (sent / rate) * 1000;
    for (let k = 0; k < servers.length; k++) send(k, sent, intended);
  }
  await sleep(1);
}
while (inFlight > 0 && performance.now() < deadline) await sleep(5);
await Promise.all(pools.map((p) => p.close()));
await Promise.all(servers.map((s) => s.close()));
if (inFlight > 0 || failed > 0) {
  console.error(`record-latency: ${inFlight} requests unanswered, ${failed} failed; not writing ${values.out}`);
  process.exit(1);
}

const encode = (a) => Array.from(a, (v) => v.toString(36)).join(',');
const body = {
  description:
    'two demo services (log-normal latency, median 10 ms, σ 0.5; event loop frozen 200 ms every 3 s at independent phases), one open-model generator, latency from the intended send, µs, base 36, send order',
  ratePerSec: rate,
  seconds,
  recordedAt: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version },
  servers: recorded.map(encode),
};
writeFileSync(values.out, gzipSync(JSON.stringify(body), { level: 9 }));
const p = (a, q) => [...a].sort((x, y) => x - y)[Math.floor(q * a.length)] / 1000;
for (const [k, a] of recorded.entries()) {
  console.log(
    `server ${k + 1}: ${a.length} requests, p50 ${p(a, 0.5)} ms, p99 ${p(a, 0.99)} ms, max ${p(a, 0.99999)} ms`,
  );
}
console.log(`wrote ${values.out}`);
