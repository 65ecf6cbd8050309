/**
 * The built CLI's `serve` for a whole test file, as the controller tests call it: started on a
 * config of the file's apps once its servers listen, stopped after its tests.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { appScenario, type Reply, SERVE_ENV, writeServe } from '../integration/serve/fixtures.js';
import { runCli, type StartedCli, startCli } from './cli.js';

/** A test server's script for the serve tests: /health at once, every other path after `delayMs`. */
export const answersAfter = (delayMs: number) => (req: { url?: string }) => (req.url === '/health' ? {} : { delayMs });

/** serve's line once it listens, with its base URL. */
const LISTENING = /listening on (http:\/\/\S+);/;

/** What a file's serve is: its base URL and state folder, filled in once it listens (beforeAll). */
export interface ServeFixture {
  url: string;
  stateDir: string;
}

/**
 * Register the file's serve on the app scenarios `apps()` gives (called in beforeAll, after the
 * hooks registered before this call, so the servers they start already listen).
 */
export function useServe(apps: () => Record<string, string>): ServeFixture {
  const fixture: ServeFixture = { url: '', stateDir: '' };
  let serve: StartedCli | undefined;
  beforeAll(async () => {
    const { file, dir } = writeServe(apps());
    fixture.stateDir = join(dir, 'state');
    serve = startCli(['serve', '--config', file], SERVE_ENV);
    fixture.url = LISTENING.exec(await serve.stderrUntil(LISTENING))?.[1] ?? '';
  });
  afterAll(async () => {
    serve?.child.kill('SIGTERM');
    await serve?.done;
  });
  return fixture;
}

/** A Flagger hook's reply as the walk reads it: the status and the weight serve answered. */
export const stepOf = (r: Reply) => ({ status: r.status, weight: r.body.weight });

/** The Argo Rollouts web metric's JSON body for `app`'s rollout at `weight`. */
export const argoBody = (app: string, rollout: string, weight: number) => ({
  app,
  namespace: 'argo',
  rollout,
  stableHash: '6b7f9c8d4',
  canaryHash: '84c5d9f6b',
  weight,
  waitSeconds: 25,
});

/**
 * `canary-gate judge --step 2` on an app scenario of these arms (written under `dir`), as the Argo
 * job metric runs it: exits `code`, judging the 25 % step only, and promotes (0) or rolls back (1).
 */
export async function expectJudgeStep2(dir: string, baselineUrl: string, canaryUrl: string, code: 0 | 1) {
  const { file } = writeServe({ app: appScenario(baselineUrl, canaryUrl) }, { dir: join(dir, String(code)) });
  const run = await runCli([
    'judge',
    join(file, '..', 'app.yaml'),
    '--step',
    '2',
    '--out',
    join(dir, 'out'),
    '--json',
    '--quiet',
  ]);
  const result = JSON.parse(run.stdout);
  expect(run.code, `${result.reason}\n${run.stderr}`).toBe(code);
  expect(result.steps.map((s: { weight: number }) => s.weight)).toEqual([25]);
  expect(result.decision).toBe(code === 0 ? 'promote' : 'rollback');
}
