/**
 * `serve` assembled: the apps' scenarios loaded (each without a router — the controller owns the
 * weight), the previous process's sessions read back from their journals, the deadline sweeper
 * started, and the HTTP server listening. Closing stops every load and keeps the sessions'
 * journals open-ended, so the next process resumes them within their deadlines.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';
import { ScenarioError } from '../errors.js';
import { loadScenario } from '../scenario/loader.js';
import type { ServeConfig } from './config.js';
import { liveSessionRunner } from './live-runner.js';
import { createServeMetrics } from './metrics.js';
import { SessionRegistry } from './registry.js';
import type { SessionRunnerFactory } from './runner.js';
import { createServeServer, listenServe } from './server.js';
import type { App, Session } from './session.js';

/** Load every app's scenario; every problem of every file at once (ScenarioError). */
export async function loadApps(
  config: ServeConfig,
  configFile: string,
  env: Readonly<Record<string, string | undefined>>,
): Promise<Map<string, App>> {
  const apps = new Map<string, App>();
  const problems: string[] = [];
  for (const [name, entry] of Object.entries(config.apps)) {
    const file = resolve(dirname(configFile), entry.scenario);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      problems.push(
        `${configFile}: apps.${name}.scenario: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
      continue;
    }
    try {
      const raw = parse(text) as Record<string, unknown> | null;
      if (raw && typeof raw === 'object' && 'router' in raw) {
        problems.push(
          `${file}: router: a serve app's scenario has no router; the controller (Flagger, Argo Rollouts) moves the weight`,
        );
        continue;
      }
      // A scenario of another mode is refused by the loader, naming the mode serve runs.
      const loaded = loadScenario(text, { file, env, accept: { modes: ['canary'] as const, command: 'serve' } });
      apps.set(name, { name, file, ...loaded });
    } catch (error) {
      if (error instanceof ScenarioError)
        problems.push(...(error.problems.length > 0 ? error.problems : [error.message]));
      else problems.push(`${file}: ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) {
    throw new ScenarioError(
      `${configFile}: ${problems.length} problem${problems.length === 1 ? '' : 's'} in the apps' scenarios; nothing was started\n  ${problems.join('\n  ')}`,
      problems,
    );
  }
  return apps;
}

/** What starting serve needs. */
export interface StartServeOptions {
  config: ServeConfig;
  configFile: string;
  apps: ReadonlyMap<string, App>;
  /** Overrides config.listen. */
  listen?: string;
  /** How sessions measure (default: one continuous load per session, live-runner.ts). */
  runnerFactory?: SessionRunnerFactory;
  /** One line per session event, for the log. */
  log?: (line: string) => void;
}

/** A running serve. */
export interface StartedServe {
  url: string;
  registry: SessionRegistry;
  /** Sessions resumed and closed from a previous process's journals. */
  restored: { resumed: Session[]; closed: Session[] };
  /** Stop listening and stop every load (sessions stay resumable). */
  close: () => Promise<void>;
}

/** Start serving. */
export async function startServe(o: StartServeOptions): Promise<StartedServe> {
  const log = o.log ?? (() => {});
  const stateDir = resolve(dirname(o.configFile), o.config.stateDir);
  const metrics = createServeMetrics();
  const registry = new SessionRegistry({
    apps: o.apps,
    limits: o.config.limits,
    stateDir,
    runnerFactory: o.runnerFactory ?? liveSessionRunner({ loadBoundMs: o.config.limits.maxSessionDuration }),
    metrics,
    onEnded: (s) => log(`session ${s.id} ${s.key} ended: ${s.ended?.decision}: ${s.ended?.reason}`),
  });
  const restored = registry.restore();
  for (const s of restored.resumed) log(`session ${s.id} ${s.key} resumed at ${s.stepReason()}`);
  registry.startSweeping();
  const server = createServeServer({ config: o.config, apps: o.apps, registry, metrics });
  let running: Awaited<ReturnType<typeof listenServe>>;
  try {
    running = await listenServe(server, o.listen ?? o.config.listen);
  } catch (error) {
    await registry.shutdown();
    throw error;
  }
  return {
    url: running.url,
    registry,
    restored,
    close: async () => {
      await running.close();
      await registry.shutdown();
    },
  };
}
