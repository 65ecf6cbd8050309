/**
 * A run's own metrics: where they go (checked before anything starts), and the glue that feeds
 * driver events to the exporter, serves /metrics while the run lasts and pushes the final state
 * when it ends.
 */
import type { DriverEvent } from '../canary/driver.js';
import { UsageError } from '../errors.js';
import type { Decision } from '../exit-codes.js';
import { RunMetrics } from '../metrics/exporter.js';
import type { RunIO } from './io.js';

/** Where a run's metrics go, checked. */
export interface MetricsTargets {
  port?: number;
  host: string;
  pushgateway?: string;
}

/** Check where metrics go (the --metrics-* and --pushgateway flags); a bad value is a usage error before anything starts. */
export function metricsTargets(args: {
  port?: number | undefined;
  host: string;
  pushgateway?: string | undefined;
}): MetricsTargets | undefined {
  const port = args.port;
  const push = args.pushgateway;
  if (port === undefined && push === undefined) return undefined;
  if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    throw new UsageError(`--metrics-port: expected a port from 0 to 65535, found ${port}`);
  }
  if (push !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(push);
    } catch {
      // reported below
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new UsageError(`--pushgateway: expected an http(s) URL like "http://127.0.0.1:9091", found "${push}"`);
    }
  }
  return {
    host: args.host,
    ...(port !== undefined ? { port } : {}),
    ...(push !== undefined ? { pushgateway: push } : {}),
  };
}

/** A run's metrics while it lasts. */
export interface RunMetricsSession {
  /** Feed a driver event. */
  onEvent: (event: DriverEvent) => void;
  /** The run ended: record the decision, push, stop serving. Never throws; problems are warnings. */
  finish: (decision: Decision) => Promise<void>;
}

/** Start serving (and later pushing) a run's metrics. */
export async function startRunMetrics(
  targets: MetricsTargets,
  info: { run: string; scenario: string; router: string; steps: number },
  io: RunIO,
  quiet: boolean,
): Promise<RunMetricsSession> {
  const metrics = new RunMetrics(info);
  let server: Awaited<ReturnType<RunMetrics['serve']>> | undefined;
  if (targets.port !== undefined) {
    try {
      server = await metrics.serve(targets.port, targets.host);
    } catch (error) {
      throw new UsageError(
        `--metrics-port: cannot listen on ${targets.host}:${targets.port} (${(error as { code?: string }).code ?? (error as Error).message})`,
      );
    }
    if (!quiet) io.stderr(`metrics: ${server.url}\n`);
  }
  return {
    onEvent: (event) => {
      if (event.type === 'step') metrics.step(event.index, event.weight);
      else if (event.type === 'progress') metrics.interval(event.progress.samples);
      else if (event.type === 'verdict') metrics.verdict(event.verdict.checks, event.verdict.score.score);
    },
    finish: async (decision) => {
      metrics.end(decision);
      if (targets.pushgateway) {
        try {
          await metrics.push(targets.pushgateway, info.run);
          if (!quiet) io.stderr(`metrics: pushed to ${targets.pushgateway}\n`);
        } catch (error) {
          io.stderr(`warning: pushing metrics to ${targets.pushgateway} failed: ${(error as Error).message}\n`);
        }
      }
      await server?.close();
    },
  };
}
