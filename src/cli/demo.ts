/**
 * `canary-gate demo`: for now, a short open-model load against an in-process demo service (its
 * own thread), printing the summary. The staged canary demo replaces this body when the rollout
 * driver lands; the command and its flags stay.
 */
import type { Argv } from 'yargs';
import { startDemoServiceThread } from '../demo/service-thread.js';
import { runLoad } from '../load/engine.js';
import type { LoadPlan } from '../load/plan.js';
import { renderLoadSummary, summarizeLoad } from '../report/load-summary.js';
import { startProgress } from '../report/progress.js';
import { parseDurationMs, parseRatePerSec } from '../scenario/units.js';
import { EXIT } from './exit-codes.js';
import type { CliIO } from './io.js';

/** Flags of the demo command. */
export interface DemoArgs {
  rate: string;
  duration: string;
  json: boolean;
  quiet: boolean;
}

/** Declare the demo's flags. */
export function demoBuilder<T>(y: Argv<T>): Argv<T & DemoArgs> {
  return y
    .option('rate', { type: 'string', default: '200/s', describe: 'arrival rate against the demo service' })
    .option('duration', { type: 'string', default: '5s', describe: 'how long to send' })
    .example('$0 demo', 'a 5-second open-model run against a demo service with log-normal latency')
    .example('$0 demo --rate 1000/s --duration 10s --json', 'a longer run, JSON summary on stdout') as Argv<
    T & DemoArgs
  >;
}

/** Run the demo; resolves to the exit code. */
export async function runDemoCommand(args: DemoArgs, io: CliIO): Promise<number> {
  const ratePerSec = parseRatePerSec(args.rate, '--rate');
  const durationMs = parseDurationMs(args.duration, '--duration');
  const service = await startDemoServiceThread({
    latency: { medianMs: 4, sigma: 0.6 },
    errorRate: 0.002,
    stall: { everyMs: 2000, forMs: 60 },
  });
  const controller = new AbortController();
  let interrupted = false;
  const unsubscribe = io.onSignal(() => {
    interrupted = true;
    controller.abort();
  });
  try {
    if (!args.quiet) {
      io.stderr(
        `demo service on ${service.url}: log-normal latency (median 4ms), 0.2% errors, a 60ms stall every 2s\n`,
      );
    }
    const plan: LoadPlan = {
      targets: [{ arm: 'target', url: service.url, weight: 1 }],
      mix: [{ method: 'GET', path: '/api/items', weight: 1 }],
      ratePerSec,
      durationMs,
      connections: 100,
      pipelining: 1,
      workers: 1,
      timeoutMs: 5000,
    };
    const progress = args.quiet ? undefined : startProgress(io, plan);
    const result = await runLoad(plan, {
      signal: controller.signal,
      ...(progress ? { onProgress: progress.update } : {}),
    });
    progress?.done();
    const summary = summarizeLoad(result);
    if (args.json) {
      io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
      if (!args.quiet) io.stderr(`${renderLoadSummary(summary)}\n`);
    } else {
      io.stdout(`${renderLoadSummary(summary)}\n`);
    }
    return interrupted ? EXIT.interrupted : EXIT.ok;
  } finally {
    unsubscribe();
    await service.close();
  }
}
