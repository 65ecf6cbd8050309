/** Builds the router a scenario names. */
import type { RunScenario } from '../../scenario/schema.js';
import { ExecRouter } from './exec.js';
import { hostPort, NginxRouter } from './nginx.js';
import { ProxyRouter } from './proxy.js';
import type { Router } from './router.js';
import { SplitRouter } from './split.js';
import { WebhookRouter } from './webhook.js';

/** The scenario's router (not yet listening, for the proxy). */
export function createRouter(scenario: RunScenario): Router {
  const r = scenario.router;
  const baselineUrl = scenario.targets.baseline?.url ?? scenario.targets.canary.url;
  switch (r.type) {
    case 'split':
      return new SplitRouter();
    case 'exec':
      return new ExecRouter({ command: r.command, timeoutMs: r.timeout });
    case 'webhook':
      return new WebhookRouter({
        url: r.url,
        retries: r.retries,
        timeoutMs: r.timeout,
        ...(r.bearerToken ? { bearerToken: r.bearerToken } : {}),
        ...(r.hmacSecret ? { hmacSecret: r.hmacSecret } : {}),
      });
    case 'nginx':
      return new NginxRouter({
        upstreamFile: r.upstreamFile,
        upstreamName: r.upstreamName,
        reload: r.reload,
        baseline: hostPort(baselineUrl),
        canary: hostPort(scenario.targets.canary.url),
        ...(r.verifyUrl ? { verifyUrl: r.verifyUrl } : {}),
        ...(r.pidFile ? { pidFile: r.pidFile } : {}),
      });
    case 'proxy':
      return new ProxyRouter({
        listen: r.listen,
        baselineUrl,
        canaryUrl: scenario.targets.canary.url,
        timeoutMs: scenario.traffic.timeout,
        ...(r.sticky ? { sticky: r.sticky } : {}),
      });
  }
}
