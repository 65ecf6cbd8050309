#!/usr/bin/env node
// A/A under independent stalls (issue #16): two demo services (from dist/), identical, each
// freezing 200 ms every 3 s at a phase of its own, judged by `canary-gate run` again and again.
// Every round must promote: the stalls sit in both arms' p99, and a judge that took one arm's
// unlucky stall for a regression would roll back an identical canary. Fresh services each round
// (new phases). The scenario is printed first, with its plan-time power (`canary-gate validate`).
// The default scenario is one whose plan says its steps are long enough with the bursts stated:
// `statistics.designEffect: 10` (the stalls made 56 000 canary samples count as 5 000–10 000
// independent ones, and 14 000 pooled baseline samples as 1 400–1 500), so at 2000/s the p99
// holds the canary to × 1.3 with 20 s steps (× 1.1 would need about 140 000 canary samples a
// step). Heavy (two services at --rate): run it under the shared lock.
//   flock /tmp/canary-gate-heavy.lock node bench/stall-aa.js --rounds 10
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startDemoServiceThread } from '../dist/demo/service-thread.js';

const BIN = fileURLToPath(new URL('../bin/canary-gate.js', import.meta.url));
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '20' },
    rate: { type: 'string', default: '2000' },
    step: { type: 'string', default: '20s' },
    'max-step': { type: 'string', default: '40s' },
    steps: { type: 'string', default: '50,100' },
    'p99-ratio': { type: 'string', default: '1.3' },
    'design-effect': { type: 'string', default: '10' },
  },
});
const rounds = Number(values.rounds);
const rate = Number(values.rate);
const p99Ratio = Number(values['p99-ratio']);
const designEffect = Number(values['design-effect']);
if (
  !(rounds >= 1 && rounds <= 200 && rate > 0 && rate <= 5000) ||
  !(p99Ratio >= 1 && p99Ratio <= 10 && designEffect >= 1 && designEffect <= 1000)
) {
  console.error('stall-aa: expected --rounds 1…200, --rate 1…5000, --p99-ratio 1…10 and --design-effect 1…1000');
  process.exit(2);
}

const dir = mkdtempSync(join(tmpdir(), 'canary-gate-stall-aa-'));
const service = { latency: { medianMs: 20, sigma: 0.5 }, stall: { everyMs: 3000, forMs: 200 } };

/** The scenario of one round against two running services. */
function scenario(baselineUrl, canaryUrl) {
  return `name: A/A with independent stalls
targets:
  baseline: { url: "${baselineUrl}" }
  canary: { url: "${canaryUrl}" }
traffic: { rate: ${rate}/s, connections: 400, warmup: 1s, stepDuration: ${values.step}, maxStepDuration: ${values['max-step']}, timeout: 2s }
requests: [{ path: /api }]
steps: [${values.steps}]
gates:
  checks:
    - { metric: p99, vsBaseline: { ratio: ${p99Ratio}, slack: 0ms } }
    - { metric: distribution, vsBaseline: { ratio: 1.1 } }
    - { metric: errorRate, max: 1% }
  statistics: { alpha: 0.05, designEffect: ${designEffect} }
`;
}

/** Run the CLI to its end; resolves with its exit code, stdout and stderr. */
function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

let promoted = 0;
const started = Date.now();
for (let round = 1; round <= rounds; round++) {
  const a = await startDemoServiceThread({ ...service, seed: 2 * round });
  // A random delay before the second service starts: its stall clock is out of phase with the first's.
  await sleep(Math.floor(Math.random() * 3000));
  const b = await startDemoServiceThread({ ...service, seed: 2 * round + 1 });
  const file = join(dir, `round-${round}.yaml`);
  writeFileSync(file, scenario(a.url, b.url));
  if (round === 1) {
    process.stdout.write(`${scenario('<baseline>', '<canary>')}\n`);
    const validate = await run(['validate', file]);
    process.stdout.write(
      `${validate.stdout
        .split('\n')
        .filter((l) => l.startsWith('step '))
        .join('\n')}\n`,
    );
    if (validate.stderr.includes('warning:')) process.stdout.write(validate.stderr);
  }
  const r = await run(['run', file, '--out', join(dir, 'out'), '--json', '--quiet']);
  await Promise.all([a.close(), b.close()]);
  let line;
  try {
    const result = JSON.parse(r.stdout);
    const looks = result.steps.map((s) => `${s.weight}%:${Math.round(s.durationMs / 1000)}s`).join(' ');
    const excluded = result.steps.reduce((n, s) => n + (s.verdict.excluded?.length ?? 0), 0);
    line = `${result.decision} (${looks}; ${excluded} windows left out) ${result.decision === 'promote' ? '' : result.reason}`;
    if (result.decision === 'promote') promoted++;
  } catch {
    line = `exit ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
  }
  process.stdout.write(`round ${round}: ${line}\n`);
}
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `promoted ${promoted} of ${rounds} A/A rollouts with independent stalls in ${Math.round((Date.now() - started) / 1000)} s\n`,
);
process.exitCode = promoted === rounds ? 0 : 1;
