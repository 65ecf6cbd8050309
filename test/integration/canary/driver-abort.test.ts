import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCanary } from '../../../src/canary/driver.js';
import { ExecRouter } from '../../../src/canary/routers/exec.js';
import { runLoad } from '../../../src/load/engine.js';
import { loadScenario } from '../../../src/scenario/loader.js';
import { journalState, RunJournal, readJournal } from '../../../src/session/journal.js';
import { planFor } from '../../helpers/plan.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let baseline: TestServer;
let canary: TestServer;
beforeAll(async () => {
  baseline = await startTestServer();
  canary = await startTestServer();
});
afterAll(async () => {
  await Promise.all([baseline.close(), canary.close()]);
});

describe('aborts at awkward moments', () => {
  it('a load run aborted before it starts resolves at once', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runLoad(planFor(baseline.url, { ratePerSec: 100, durationMs: 10_000 }), {
      signal: controller.signal,
    });
    expect(result.aborted).toBe(true);
    expect(result.total.counters.requests).toBe(0);
  });

  it('a signal during a weight change still ends the run and resets the router', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'canary-gate-abort-'));
    const weights = join(dir, 'weights');
    // The router takes 600 ms per change, so the abort lands while it works.
    const slow = `setTimeout(() => require("fs").appendFileSync(process.argv[1], process.argv[2] + "\\n"), 600)`;
    const { scenario } = loadScenario(
      `name: abort during setWeight
targets: { baseline: { url: "${baseline.url}" }, canary: { url: "${canary.url}" } }
traffic: { rate: 100/s, warmup: 0s, stepDuration: 5s }
requests: [{ path: / }]
steps: [10, 50]
router: { type: exec, command: [${JSON.stringify(process.execPath)}, -e, ${JSON.stringify(slow)}, ${JSON.stringify(weights)}, "{weight}"] }
`,
      { file: 'abort.yaml', env: {}, accept: { modes: ['canary'], command: 'run' } },
    );
    const r = scenario.router;
    if (r.type !== 'exec') throw new Error('expected the exec router');
    const controller = new AbortController();
    const journal = new RunJournal(join(dir, 'journal.jsonl'), 'abort-test');
    const result = await runCanary({
      scenario,
      scenarioFile: 'abort.yaml',
      digest: 'd',
      router: new ExecRouter({ command: r.command, timeoutMs: r.timeout }),
      run: 'abort-test',
      journal,
      redact: (t) => t,
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type === 'step') controller.abort({ signal: 'SIGTERM' });
      },
    });
    journal.close();
    expect(result.decision).toBe('interrupted');
    expect(result.exitCode).toBe(130);
    expect(result.steps).toHaveLength(0);
    // The weight change finished, then the reset ran.
    expect(readFileSync(weights, 'utf8').trim().split('\n')).toEqual(['10', '0']);
    expect(journalState(readJournal(join(dir, 'journal.jsonl')))).toMatchObject({ settled: true, weight: 0 });
  });
});
