#!/usr/bin/env node
// Runs the judge simulation (src/gates/simulation.ts, from dist/) and prints the table of
// docs/judge.md: false rollbacks (A/A), detection of tail regressions and error increases, and
// time to a decision, for canary-gate's judge and a fixed point-estimate threshold on the same
// draws. Usage: npm run bench:judge -- [--runs 200] [--rates 100,1000,10000] [--json out.json]
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { quantileOf, SIM_ROLLOUT, simCases, simulate } from '../dist/gates/simulation.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '200' },
    rates: { type: 'string', default: '100,1000,10000' },
    json: { type: 'string' },
  },
});
const runs = Number(values.runs);
const rates = values.rates.split(',').map(Number);
const tailFrom = Object.fromEntries(['lognormal', 'bimodal', 'stalls'].map((d) => [d, quantileOf(d, 0.95)]));
const pct = (x) => `${(x * 100).toFixed(1)}%`;
const rows = [];
console.log(
  '| case | rate | runs | canary-gate: rolled back (a check failed) | time to decision | fixed threshold: rolled back | time |',
);
console.log('|---|---|---|---|---|---|---|');
for (const c of simCases()) {
  for (const rate of rates) {
    const started = Date.now();
    // 10 000/s draws ten times the samples: fewer runs keep the table under a quarter hour.
    const n = rate >= 10_000 ? Math.max(30, Math.floor(runs / 4)) : runs;
    const judge = simulate(c, rate, n, 'canary-gate', tailFrom[c.dist]);
    const threshold = simulate(c, rate, n, 'threshold', tailFrom[c.dist]);
    rows.push({ case: c.name, rate, runs: n, judge, threshold });
    console.log(
      `| ${c.name} | ${rate}/s | ${n} | ${pct(judge.rollbackRate)} (${pct(judge.failRate)}) | ${judge.meanDecisionSec.toFixed(0)} s | ${pct(threshold.rollbackRate)} | ${threshold.meanDecisionSec.toFixed(0)} s |`,
    );
    console.error(`  ${c.name} at ${rate}/s: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
}
if (values.json) writeFileSync(values.json, `${JSON.stringify({ rollout: SIM_ROLLOUT, rows }, null, 2)}\n`);
