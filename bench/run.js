#!/usr/bin/env node
// canary-gate benchmarks against peers, all in one run on this machine. A local nginx (Debian's,
// one worker, `return 200 'ok'`) serves 127.0.0.1; every figure is a ratio measured in the same
// run, round by round, with the tools' order rotated each round (the machine's speed drifts more
// between rounds than the tools differ). Every tool's errors and non-2xx answers are checked: a
// round with any is reported as such, never averaged in silently. Nothing here is a pass/fail test.
//
// Sections (--only a,b; default all but steady):
//   closed   wrk, autocannon and canary-gate's closed model, N connections for D seconds
//   targets  issue #15's targets: canary-gate's open model at 2 000/s, 20 000/s and 30 000/s for
//            --target-duration after a 2 s warm-up, one generator thread: p99 against 2 000/s's,
//            per-second p99 against its run median, generator-limited seconds; and CPU per 100 000
//            requests at 20 000/s against autocannon's own rate mode (-R) in the same rounds
//   ladder   the open model's highest rate held: achieved (responses in the window) >= 99 %, no
//            errors, and p99 within 3x the 2 000/s p99
//   before   the same open-model runs with an older build (--before <its bin/canary-gate.js>), in
//            rotated rounds: 20 000/s with -c 100 and -c 1000, this build against that one
//   steady   a 5-minute run at 20 000/s: per-second p99 and the generator's RSS over time
//   proxies  what the proxy router adds in front of nginx, next to nginx's own proxy_pass
//
// Usage: npm run bench -- [--only closed,targets] [--rounds 3] [--target-duration 90s] ...
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { watchNeighbours } from './neighbours.js';
import { startNginx } from './nginx.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values: opts } = parseArgs({
  options: {
    only: { type: 'string', default: 'closed,targets,ladder,proxies' },
    duration: { type: 'string', default: '10s' },
    connections: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
    'target-duration': { type: 'string', default: '90s' },
    'target-rates': { type: 'string', default: '2000,20000,30000' },
    'cpu-duration': { type: 'string', default: '30s' },
    'open-connections': { type: 'string', default: '100' },
    'ladder-step': { type: 'string', default: '6s' },
    'ladder-start': { type: 'string', default: '10000' },
    'ladder-max': { type: 'string', default: '150000' },
    'steady-duration': { type: 'string', default: '300s' },
    before: { type: 'string' },
    'before-duration': { type: 'string', default: '30s' },
    'before-connections': { type: 'string', default: '100,1000' },
    'steady-rate': { type: 'string', default: '20000' },
    'proxy-rate': { type: 'string', default: '2000' },
    out: { type: 'string', default: join(root, 'bench', 'results', 'latest.json') },
  },
});
const sections = new Set(opts.only.split(','));
const sec = (text) => Number.parseFloat(text);
const seconds = sec(opts.duration);
const connections = Number(opts.connections);
const rounds = Number(opts.rounds);
const openConnections = opts['open-connections'];
const cli = join(root, 'bin', 'canary-gate.js');
const autocannonBin = join(root, 'node_modules', 'autocannon', 'autocannon.js');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : s.length % 2
      ? s[(s.length - 1) / 2]
      : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const r3 = (x) => Number(x.toFixed(3));
const log = (line) => console.error(line);

/**
 * Run a command under /usr/bin/time: its stdout, and its wall time, user and system CPU seconds
 * and peak RSS, measured the same way for every tool, and the CPU the machine's other processes
 * used meanwhile (`neighbours`). `onSpawn` gets the child (RSS sampling).
 */
function timed(cmd, args, onSpawn) {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', 'TIME %e %U %S %M', cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onSpawn?.(child);
    const neighbours = watchNeighbours();
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+) (\d+)/.exec(err);
      if (code !== 0 || !m) {
        reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err.slice(-2000)}`));
        return;
      }
      neighbours
        .stop()
        .then((n) => resolve({ out, wallSec: +m[1], cpuSec: +m[2] + +m[3], maxRssKb: +m[4], neighbours: n }), reject);
    });
  });
}

const loadArgs = (url, extra) => [cli, 'load', url, ...extra, '--json', '--quiet'];

/** canary-gate load: its summary, its CPU, and the problems that make the round not count. */
async function canaryGate(url, extra, onSpawn, bin = cli) {
  const run = await timed(process.execPath, [bin, ...loadArgs(url, extra).slice(1)], onSpawn);
  const summary = JSON.parse(run.out);
  const problems = [];
  if (summary.errors > 0) problems.push(`${summary.errors} errors ${JSON.stringify(summary.errorsByClass)}`);
  const non2xx = Object.entries(summary.statusCodes).filter(([s]) => !s.startsWith('2'));
  if (non2xx.length > 0) problems.push(`non-2xx ${JSON.stringify(Object.fromEntries(non2xx))}`);
  return { ...run, summary, problems };
}

const closedTools = {
  wrk: async (url) => {
    const run = await timed('wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, url]);
    const problems = [];
    const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(run.out);
    if (non2xx) problems.push(`non-2xx ${non2xx[1]}`);
    const socket = /Socket errors: (.*)/.exec(run.out);
    if (socket) problems.push(`socket errors: ${socket[1]}`);
    return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(run.out)?.[1]), problems, neighbours: run.neighbours };
  },
  autocannon: async (url) => {
    const run = await timed(process.execPath, [
      autocannonBin,
      '-c',
      String(connections),
      '-d',
      String(seconds),
      '-j',
      url,
    ]);
    const out = JSON.parse(run.out);
    return {
      rps: out.requests.total / (out.duration || seconds),
      problems: autocannonProblems(out),
      neighbours: run.neighbours,
    };
  },
  'canary-gate closed': async (url) => {
    const run = await canaryGate(url, ['-c', String(connections), '-d', `${seconds}s`]);
    return { rps: run.summary.rate.achieved, problems: run.problems, neighbours: run.neighbours };
  },
};

function autocannonProblems(out) {
  const problems = [];
  if (out.errors > 0) problems.push(`${out.errors} errors`);
  if (out.timeouts > 0) problems.push(`${out.timeouts} timeouts`);
  if (out.non2xx > 0) problems.push(`${out.non2xx} non-2xx`);
  return problems;
}

/** The tools in this round's order: rotated by one each round. */
const rotated = (names, round) => names.map((_, i) => names[(i + round) % names.length]);

async function closedSection(url, results) {
  log(`closed model: ${connections} connections, ${seconds}s, ${rounds} round(s), order rotated each round`);
  const names = Object.keys(closedTools);
  results.closed = { rounds: [] };
  for (let round = 0; round < rounds; round++) {
    const row = {};
    for (const name of rotated(names, round)) {
      row[name] = await closedTools[name](url);
      log(
        `  round ${round + 1} ${name.padEnd(20)} ${Math.round(row[name].rps)} req/s, neighbours ${row[name].neighbours.cores} cores${row[name].problems.length ? ` (${row[name].problems.join('; ')})` : ''}`,
      );
    }
    const cg = row['canary-gate closed'].rps;
    results.closed.rounds.push({
      order: rotated(names, round),
      rps: Object.fromEntries(names.map((n) => [n, Math.round(row[n].rps)])),
      problems: Object.fromEntries(names.map((n) => [n, row[n].problems])),
      neighbourCores: Object.fromEntries(names.map((n) => [n, row[n].neighbours.cores])),
      ratioVsAutocannon: r3(cg / row.autocannon.rps),
      ratioVsWrk: r3(cg / row.wrk.rps),
      autocannonVsWrk: r3(row.autocannon.rps / row.wrk.rps),
    });
  }
  const per = (key) => results.closed.rounds.map((r) => r[key]);
  results.closed.summary = {
    ratioVsAutocannonPerRound: per('ratioVsAutocannon'),
    ratioVsAutocannonMedian: r3(median(per('ratioVsAutocannon'))),
    ratioVsWrkPerRound: per('ratioVsWrk'),
    ratioVsWrkMedian: r3(median(per('ratioVsWrk'))),
    autocannonVsWrkPerRound: per('autocannonVsWrk'),
  };
}

/** Per-second p99s of a summary's single arm, and their median and maximum. */
function perSecond(summary) {
  const points = Object.values(summary.intervals)[0] ?? [];
  // Points start when measuring does; the last one is the tail after the window: whole seconds
  // of the window only.
  const windowMs = Math.floor(summary.durationMs / 1000) * 1000;
  const whole = points.filter((p) => p.durationMs === 1000 && p.startMs + p.durationMs <= windowMs);
  const p99s = whole.map((p) => p.p99Ms);
  const completedPerSec = whole.length ? whole.reduce((sum, p) => sum + p.requests, 0) / whole.length : 0;
  return { p99s, medianMs: median(p99s), maxMs: p99s.length ? Math.max(...p99s) : Number.NaN, completedPerSec };
}

/** One open-model run at `rate`, with what issue #15's targets read from it. */
async function openRun(url, rate, durationSec, onSpawn, bin = cli, conns = openConnections) {
  const run = await canaryGate(
    url,
    ['-r', `${rate}/s`, '-d', `${durationSec}s`, '--warmup', '2s', '-c', conns],
    onSpawn,
    bin,
  );
  const s = run.summary;
  const seconds = perSecond(s);
  const requests = s.requests;
  // The process ran warm-up + window + drain; CPU per 100 000 counts every request it sent.
  const sent = requests * (1 + 2 / durationSec);
  return {
    rate,
    durationSec,
    requests,
    // Requests that finished within the window's whole seconds, per second: what came back, not
    // what was sent (`rate.achieved` counts sends until phase 2 of issue #15).
    achieved: seconds.completedPerSec,
    sentPerSec: s.rate.achieved,
    p50Ms: s.latencyMs.p50,
    p99Ms: s.latencyMs.p99,
    serviceP99Ms: s.serviceMs.p99,
    late: s.late,
    perSecondP99MedianMs: seconds.medianMs,
    perSecondP99MaxMs: seconds.maxMs,
    perSecondP99s: seconds.p99s,
    // The generator's own per-second signals, to tell its queue from the service's when a second
    // is slow: late sends, deepest backlog, connections busy, CPU % of a core, event-loop p99.
    perSecondGenerator: (s.generatorIntervals ?? []).map((p) => [
      p.late,
      p.backlogMax,
      p.busyMax,
      Math.round(p.cpuPercent),
      Math.round(p.loopDelayP99Ms),
      p.limited ? 1 : 0,
    ]),
    generatorLimited: s.generator.limited ?? null,
    generatorReasons: (s.generator.reasons ?? []).map((r) => r.code),
    limitedSeconds: s.generator.limitedIntervals ?? null,
    eventLoopDelayP99Ms: s.generator.eventLoopDelayP99Ms,
    cpuSec: run.cpuSec,
    cpuSecPer100k: r3((run.cpuSec / sent) * 1e5),
    // The machine's 1-minute load average when the run ended: the other sessions' share of it.
    loadAvg1: r3(loadavg()[0]),
    neighbours: run.neighbours,
    maxRssMb: Math.round(run.maxRssKb / 1024),
    problems: run.problems,
  };
}

/** wrk's closed-model rate for 3 s beside a run: the machine's speed at that moment (the gauge). */
async function wrkGauge(url) {
  const run = await timed('wrk', ['-t1', `-c${connections}`, '-d3s', url]);
  return Math.round(Number(/Requests\/sec:\s+([\d.]+)/.exec(run.out)?.[1]));
}

async function targetsSection(url, results) {
  const durationSec = sec(opts['target-duration']);
  const rates = opts['target-rates'].split(',').map(Number);
  log(
    `targets: open model, one thread, -c ${openConnections}, ${durationSec}s after a 2s warm-up, at ${rates.join(', ')}/s`,
  );
  results.targets = { runs: [], cpu: { rounds: [] } };
  for (const rate of rates) {
    const wrkBefore = await wrkGauge(url);
    const run = { ...(await openRun(url, rate, durationSec)), wrkBefore };
    results.targets.runs.push(run);
    log(
      `  ${rate}/s: p99 ${run.p99Ms}ms, per-second p99 median ${run.perSecondP99MedianMs}ms max ${run.perSecondP99MaxMs}ms, late ${run.late}, generator-limited ${run.generatorLimited} (${run.limitedSeconds} s), cpu ${run.cpuSecPer100k}s/100k, load ${run.loadAvg1}, neighbours ${run.neighbours.cores} cores (${run.neighbours.busiest.join(', ')}), wrk gauge ${run.wrkBefore}/s${run.problems.length ? `, ${run.problems.join('; ')}` : ''}`,
    );
  }
  // The lowest rate is the reference whatever order the rates ran in (a rerun reverses them).
  const low = results.targets.runs.find((r) => r.rate === Math.min(...rates));
  for (const run of results.targets.runs) {
    run.p99VsLowRate = r3(run.p99Ms / low.p99Ms);
    run.worstSecondVsMedian = r3(run.perSecondP99MaxMs / run.perSecondP99MedianMs);
    run.meetsTargets = run.problems.length === 0 && run.p99VsLowRate <= 3 && run.worstSecondVsMedian <= 5;
  }
  // CPU per 100 000 requests at 20 000/s: canary-gate's open model against autocannon's rate
  // mode, same rate and time, order rotated each round.
  const cpuSec = sec(opts['cpu-duration']);
  log(`cpu per 100 000 requests at 20 000/s: ${rounds} round(s) of ${cpuSec}s, order rotated`);
  const contenders = {
    'canary-gate open': async () => {
      const run = await canaryGate(url, ['-r', '20000/s', '-d', `${cpuSec}s`, '-c', openConnections]);
      return {
        cpuSec: run.cpuSec,
        requests: run.summary.requests,
        problems: run.problems,
        p99Ms: run.summary.latencyMs.p99,
        neighbourCores: run.neighbours.cores,
      };
    },
    'autocannon -R': async () => {
      const run = await timed(process.execPath, [
        autocannonBin,
        '-c',
        openConnections,
        '-R',
        '20000',
        '-d',
        String(cpuSec),
        '-j',
        url,
      ]);
      const out = JSON.parse(run.out);
      return {
        cpuSec: run.cpuSec,
        requests: out.requests.total,
        problems: autocannonProblems(out),
        p99Ms: out.latency.p99,
        neighbourCores: run.neighbours.cores,
      };
    },
  };
  const names = Object.keys(contenders);
  for (let round = 0; round < rounds; round++) {
    const row = {};
    for (const name of rotated(names, round)) {
      const r = await contenders[name]();
      row[name] = { ...r, cpuSecPer100k: r3((r.cpuSec / r.requests) * 1e5) };
      log(
        `  round ${round + 1} ${name.padEnd(18)} ${row[name].cpuSecPer100k}s per 100k (${r.requests} requests, p99 ${r.p99Ms}ms, neighbours ${r.neighbourCores} cores)${r.problems.length ? ` ${r.problems.join('; ')}` : ''}`,
      );
    }
    results.targets.cpu.rounds.push({
      order: rotated(names, round),
      ...row,
      ratio: r3(row['canary-gate open'].cpuSecPer100k / row['autocannon -R'].cpuSecPer100k),
    });
  }
  const ratios = results.targets.cpu.rounds.map((r) => r.ratio);
  results.targets.cpu.ratioPerRound = ratios;
  results.targets.cpu.ratioMedian = r3(median(ratios));
}

async function ladderSection(url, results) {
  const stepSec = sec(opts['ladder-step']);
  log(
    `ladder: open model, ${stepSec}s steps after a 2s warm-up; held = achieved >= 99%, no errors, p99 <= 3x the 2000/s p99`,
  );
  const reference = await openRun(url, 2000, stepSec);
  const held = (run) =>
    run.problems.length === 0 && run.achieved >= 0.99 * run.rate && run.p99Ms <= 3 * reference.p99Ms;
  const steps = [];
  // A miss is run once more: one hiccup of another process should not decide the ladder.
  const step = async (rate) => {
    let run = await openRun(url, rate, stepSec);
    if (!held(run)) {
      const first = run;
      run = { ...(await openRun(url, rate, stepSec)), firstAttempt: first };
    }
    run.held = held(run);
    steps.push(run);
    log(
      `  ${rate}/s: achieved ${run.achieved}/s, p99 ${run.p99Ms}ms (${r3(run.p99Ms / reference.p99Ms)}x), generator-limited ${run.generatorLimited} ${run.held ? 'held' : 'NOT held'}, neighbours ${run.neighbours.cores} cores`,
    );
    return run.held;
  };
  let good;
  let bad;
  for (let rate = Number(opts['ladder-start']); rate <= Number(opts['ladder-max']); rate = Math.round(rate * 1.5)) {
    if (!(await step(rate))) {
      bad = rate;
      break;
    }
    good = rate;
  }
  for (let i = 0; i < 3 && good !== undefined && bad !== undefined && bad - good > 0.05 * good; i++) {
    const rate = Math.round((good + bad) / 2);
    if (await step(rate)) good = rate;
    else bad = rate;
  }
  results.ladder = { referenceP99Ms: reference.p99Ms, steps, highestHeldPerSec: good ?? null };
}

async function beforeSection(url, results) {
  const durationSec = sec(opts['before-duration']);
  const builds = { this: cli, before: opts.before };
  const names = Object.keys(builds);
  results.before = { build: opts.before, rounds: [] };
  log(`before/after: 20000/s for ${durationSec}s after a 2s warm-up, this build against ${opts.before}, order rotated`);
  for (let round = 0; round < rounds; round++) {
    for (const conns of opts['before-connections'].split(',')) {
      const row = { connections: Number(conns), order: rotated(names, round) };
      for (const name of rotated(names, round)) {
        const run = await openRun(url, 20000, durationSec, undefined, builds[name], conns);
        delete run.perSecondP99s;
        row[name] = run;
        log(
          `  round ${round + 1} -c ${conns} ${name.padEnd(7)} p99 ${run.p99Ms}ms, per-second p99 median ${run.perSecondP99MedianMs}ms max ${run.perSecondP99MaxMs}ms, late ${run.late}, cpu ${run.cpuSecPer100k}s/100k`,
        );
      }
      row.p99Ratio = r3(row.this.p99Ms / row.before.p99Ms);
      row.cpuRatio = r3(row.this.cpuSecPer100k / row.before.cpuSecPer100k);
      results.before.rounds.push(row);
    }
  }
}

async function steadySection(url, results) {
  const durationSec = sec(opts['steady-duration']);
  const rate = Number(opts['steady-rate']);
  log(`steady: ${rate}/s for ${durationSec}s after a 2s warm-up; RSS sampled every 5s`);
  const rss = [];
  let timer;
  const run = await openRun(url, rate, durationSec, (child) => {
    // /usr/bin/time's child is the node process: sample its RSS from /proc.
    const t0 = Date.now();
    timer = setInterval(() => {
      try {
        const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/);
        const status = readFileSync(`/proc/${kids[0]}/status`, 'utf8');
        const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
        if (kb > 0) rss.push({ atSec: Math.round((Date.now() - t0) / 1000), rssMb: Math.round(kb / 1024) });
      } catch {
        // Not started yet, or already gone.
      }
    }, 5000);
  });
  clearInterval(timer);
  const minute = (from, to) => rss.filter((s) => s.atSec >= from && s.atSec < to).map((s) => s.rssMb);
  const first = minute(10, 70);
  const last = minute(durationSec - 60, durationSec + 5);
  results.steady = {
    ...run,
    rssMb: rss,
    rssFirstMinuteMb: [Math.min(...first), Math.max(...first)],
    rssLastMinuteMb: [Math.min(...last), Math.max(...last)],
  };
  log(
    `  p99 ${run.p99Ms}ms; per-second p99 median ${run.perSecondP99MedianMs}ms max ${run.perSecondP99MaxMs}ms; RSS first minute ${results.steady.rssFirstMinuteMb.join('–')} MB, last ${results.steady.rssLastMinuteMb.join('–')} MB`,
  );
}

async function proxiesSection(nginx, results) {
  const proxyChild = spawn(process.execPath, [join(root, 'bench', 'proxy-server.js'), nginx.url], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const proxyUrl = `${(await once(proxyChild.stdout, 'data'))[0].toString().trim()}/`;
  try {
    const paths = { direct: nginx.url, 'nginx proxy_pass': nginx.proxyUrl, 'canary-gate proxy': proxyUrl };
    results.proxy = {};
    log(
      `proxies: closed model ${connections} connections ${seconds}s; open model ${opts['proxy-rate']}/s, 4s after 2s warm-up`,
    );
    for (const [name, url] of Object.entries(paths)) {
      const closed = await canaryGate(url, ['-c', String(connections), '-d', `${seconds}s`]);
      const open = await canaryGate(url, ['-r', `${opts['proxy-rate']}/s`, '-d', '4s', '--warmup', '2s', '-c', '100']);
      results.proxy[name] = {
        requestsPerSec: closed.summary.rate.achieved,
        p50Ms: open.summary.latencyMs.p50,
        p99Ms: open.summary.latencyMs.p99,
        problems: [...closed.problems, ...open.problems],
      };
      log(
        `  ${name.padEnd(20)} ${Math.round(closed.summary.rate.achieved)} req/s; at ${opts['proxy-rate']}/s p50 ${open.summary.latencyMs.p50}ms p99 ${open.summary.latencyMs.p99}ms`,
      );
    }
  } finally {
    proxyChild.kill('SIGTERM');
  }
}

const nginx = await startNginx();
const results = {
  startedAt: new Date().toISOString(),
  machine: { cpus: cpus().length, node: process.version },
  options: opts,
};
try {
  log(`nginx on ${nginx.url}`);
  if (sections.has('closed')) await closedSection(nginx.url, results);
  if (sections.has('targets')) await targetsSection(nginx.url, results);
  if (sections.has('ladder')) await ladderSection(nginx.url, results);
  if (sections.has('before') && opts.before) await beforeSection(nginx.url, results);
  if (sections.has('steady')) await steadySection(nginx.url, results);
  if (sections.has('proxies')) await proxiesSection(nginx, results);
} finally {
  nginx.stop();
}
mkdirSync(join(opts.out, '..'), { recursive: true });
writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
const bulky = new Set(['perSecondP99s', 'perSecondGenerator', 'rssMb']);
console.log(JSON.stringify(results, (k, v) => (bulky.has(k) ? undefined : v), 2));
