/**
 * A real nginx (Debian's nginx-light) on 127.0.0.1 in a temporary prefix, proxying to an upstream
 * block in a file that the nginx router rewrites. Stopped by `stop()`.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { generationVariable, upstreamBlock } from '../../src/canary/routers/nginx.js';
import { closedPort } from './server.js';

export interface TestNginx {
  url: string;
  dir: string;
  conf: string;
  upstreamFile: string;
  upstreamName: string;
  /** The reload argv the router runs. */
  reload: string[];
  /** nginx's pid file (the router's `pidFile`). */
  pidFile: string;
  stop: () => Promise<void>;
}

/**
 * A temporary prefix folder for an nginx of the tests, and the top of its config: one worker in
 * the foreground, pid, logs and temp paths inside the folder, no access log. The caller adds its
 * servers and closes the http block.
 */
export function nginxPrefix(): { dir: string; head: string } {
  const dir = mkdtempSync(join(tmpdir(), 'canary-gate-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const head = `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;`;
  return { dir, head };
}

/** Start nginx proxying to `baseline`/`canary` (host:port), 0 % canary to begin with. */
export async function startNginx(baseline: string, canary: string): Promise<TestNginx> {
  const { dir, head } = nginxPrefix();
  const port = await closedPort();
  const upstreamName = 'canary_gate_test';
  const upstreamFile = join(dir, 'upstream.conf');
  writeFileSync(upstreamFile, upstreamBlock(upstreamName, baseline, canary, 0, 'test start'));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `${head}
  include ${upstreamFile};
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://${upstreamName};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      add_header X-Canary-Gate-Generation ${generationVariable(upstreamName)} always;
    }
  }
}
`,
  );
  execFileSync('nginx', ['-t', '-p', dir, '-c', conf], { stdio: 'ignore' });
  const child: ChildProcess = spawn('nginx', ['-p', dir, '-c', conf], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      await fetch(`${url}/`);
      break;
    } catch (error) {
      if (i > 100) throw error;
      await sleep(50);
    }
  }
  return {
    url,
    dir,
    conf,
    upstreamFile,
    upstreamName,
    reload: ['nginx', '-p', dir, '-c', conf, '-s', 'reload'],
    pidFile: join(dir, 'nginx.pid'),
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGQUIT');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A scenario's `router:` section (YAML, at the top level) for this nginx. */
export function nginxRouterYaml(nginx: TestNginx): string {
  return `router:
  type: nginx
  upstreamFile: ${nginx.upstreamFile}
  upstreamName: ${nginx.upstreamName}
  reload: ${JSON.stringify(nginx.reload)}
  verifyUrl: ${nginx.url}/
  pidFile: ${nginx.pidFile}`;
}
