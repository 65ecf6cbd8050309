/**
 * One real nginx (Debian's nginx-light) on 127.0.0.1 serving several servers, one port each, for
 * the security tests: TLS with a given certificate and protocol list, HSTS, `limit_req` keyed on
 * a client header with 429 and Retry-After, extra headers, server tokens on or off. A server
 * either proxies to an upstream or answers 200 itself. Stopped by `stop()`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { nginxPrefix } from './nginx.js';
import { closedPort } from './server.js';

/** One server of the nginx. */
export interface NginxServerSpec {
  name: string;
  tls?: { cert: string; key: string; protocols: string[] };
  /** Strict-Transport-Security value. */
  hsts?: string;
  /** limit_req: nginx rate ("10r/s", "120r/m"), burst, the client header it keys on. */
  rateLimit?: { rate: string; burst?: number; keyHeader?: string; retryAfter?: boolean };
  /** Headers added to every answer. */
  headers?: Record<string, string>;
  /** Server: nginx/1.22.1 (true) or Server: nginx (false, the default). */
  serverTokens?: boolean;
  /** host:port to proxy to; default: answer 200 "ok". */
  upstream?: string;
}

/** A running nginx. */
export interface SecurityNginx {
  /** Base URL of each server, by name. */
  urls: Record<string, string>;
  /** Port of each server, by name. */
  ports: Record<string, number>;
  stop: () => Promise<void>;
}

function serverBlock(spec: NginxServerSpec, port: number, index: number): string {
  const lines: string[] = [];
  lines.push(`listen 127.0.0.1:${port}${spec.tls ? ' ssl' : ''};`);
  if (spec.tls) {
    lines.push(`ssl_certificate ${spec.tls.cert};`, `ssl_certificate_key ${spec.tls.key};`);
    lines.push(`ssl_protocols ${spec.tls.protocols.join(' ')};`);
  }
  lines.push(`server_tokens ${spec.serverTokens ? 'on' : 'off'};`);
  if (spec.hsts) lines.push(`add_header Strict-Transport-Security "${spec.hsts}" always;`);
  for (const [k, v] of Object.entries(spec.headers ?? {})) lines.push(`add_header ${k} "${v}" always;`);
  if (spec.rateLimit) {
    lines.push(`limit_req zone=z${index}${spec.rateLimit.burst ? ` burst=${spec.rateLimit.burst} nodelay` : ''};`);
    lines.push('limit_req_status 429;');
    if (spec.rateLimit.retryAfter) lines.push('add_header Retry-After $retry_after always;');
  }
  lines.push(
    spec.upstream
      ? `location / { proxy_pass http://${spec.upstream}; proxy_http_version 1.1; proxy_set_header Connection ""; }`
      : // Served from a file: \`return\` would answer before limit_req (an earlier phase) could refuse.
        'location / { root www; default_type text/plain; try_files /ok.txt =404; }',
  );
  return `  server {\n    ${lines.join('\n    ')}\n  }`;
}

/** Start nginx with the given servers. */
export async function startSecurityNginx(specs: NginxServerSpec[]): Promise<SecurityNginx> {
  const { dir, head } = nginxPrefix();
  mkdirSync(join(dir, 'www'));
  writeFileSync(join(dir, 'www', 'ok.txt'), 'ok\n');
  const ports: Record<string, number> = {};
  for (const spec of specs) ports[spec.name] = await closedPort();
  const zones = specs
    .map((s, i) =>
      s.rateLimit
        ? `  limit_req_zone ${s.rateLimit.keyHeader ? `$http_${s.rateLimit.keyHeader.replaceAll('-', '_')}` : '$binary_remote_addr'} zone=z${i}:1m rate=${s.rateLimit.rate};`
        : '',
    )
    .filter(Boolean);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `${head}
  map $status $retry_after { 429 1; default ""; }
${zones.join('\n')}
${specs.map((s, i) => serverBlock(s, ports[s.name] as number, i)).join('\n')}
}
`,
  );
  execFileSync('nginx', ['-t', '-p', dir, '-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-c', conf], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  // Ready when every port accepts a connection (TLS or not, a TCP connect is the event).
  for (const port of Object.values(ports)) await waitForPort(port);
  const urls = Object.fromEntries(
    specs.map((s) => [s.name, `${s.tls ? 'https' : 'http'}://127.0.0.1:${ports[s.name]}`]),
  );
  return {
    urls,
    ports,
    stop: async () => {
      child.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; ; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (i > 100) throw new Error(`nginx did not listen on 127.0.0.1:${port}`);
    await sleep(50);
  }
}
