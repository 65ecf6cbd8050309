/**
 * Real daemons from Debian's packages (Prometheus, Alertmanager, Pushgateway) on loopback ports
 * with temporary storage. Each is ready when it logs that it listens (within 20 s, or it is
 * stopped and the start fails); `stop()` ends it, waits for the exit and removes its storage.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closedPort } from './server.js';

/** A running daemon. */
export interface Daemon {
  url: string;
  port: number;
  dir: string;
  /** Everything it logged. */
  log: () => string;
  /** SIGTERM, wait for the exit, remove the storage. */
  stop: () => Promise<void>;
}

async function startDaemon(
  name: string,
  command: string,
  args: (port: number, dir: string) => string[],
  ready: RegExp,
  files: Record<string, string> = {},
): Promise<Daemon> {
  const dir = mkdtempSync(join(tmpdir(), `canary-gate-${name}-`));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  const port = await closedPort();
  const child: ChildProcess = spawn(command, args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const cleanUp = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        log += String(chunk);
        if (ready.test(log)) resolve();
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready:\n${log}`)));
      const timer = setTimeout(() => reject(new Error(`${name} was not ready within 20 s:\n${log}`)), 20_000);
      timer.unref();
    });
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    dir,
    log: () => log,
    stop: cleanUp,
  };
}

/** A scrape job: its targets (host:port) and labels added to every series. */
export interface ScrapeJob {
  job: string;
  targets: string[];
  labels?: Record<string, string>;
}

/** Start Prometheus scraping `jobs` every second. */
export function startPrometheus(jobs: ScrapeJob[]): Promise<Daemon> {
  const config = {
    global: { scrape_interval: '1s', evaluation_interval: '1s' },
    scrape_configs: jobs.map((j) => ({
      job_name: j.job,
      static_configs: [{ targets: j.targets, labels: j.labels ?? {} }],
    })),
  };
  return startDaemon(
    'prometheus',
    'prometheus',
    (port, dir) => [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    /Server is ready to receive web requests/,
    // JSON is YAML.
    { 'prometheus.yml': JSON.stringify(config) },
  );
}

/** Start Alertmanager with no receivers worth the name and no clustering. */
export function startAlertmanager(): Promise<Daemon> {
  return startDaemon(
    'alertmanager',
    'prometheus-alertmanager',
    (port, dir) => [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
    ],
    /Listening on.*address=127\.0\.0\.1/,
    { 'alertmanager.yml': JSON.stringify({ route: { receiver: 'none' }, receivers: [{ name: 'none' }] }) },
  );
}

/** Start a Pushgateway. */
export function startPushgateway(): Promise<Daemon> {
  return startDaemon(
    'pushgateway',
    'prometheus-pushgateway',
    (port) => [`--web.listen-address=127.0.0.1:${port}`],
    /Listening on.*address=127\.0\.0\.1/,
  );
}
