/**
 * `canary-gate shard-job`, in-process: the printed manifests validate against the Kubernetes
 * schemas kubernetes-models ships (generated from the published OpenAPI spec), and no secret is
 * ever printed: header values carry `${env:NAME}` references the pod resolves, and a secret
 * anywhere else is refused with exit 2 naming the field. Nothing is applied: no cluster runs here.
 */
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Job } from 'kubernetes-models/batch/v1';
import { Secret } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { main } from '../../../src/cli/main.js';
import { Redactor } from '../../../src/scenario/secrets.js';
import { resolvePlanEnv } from '../../../src/shard/kubernetes-job.js';
import { parsePlanFile } from '../../../src/shard/split.js';
import { captureIO } from '../../helpers/cli.js';

const TOKEN = 'tok-9c1e-never-printed';

async function shardJob(args: string[], env: Record<string, string> = { TOKEN }) {
  const c = captureIO({ env });
  const code = await main(['shard-job', ...args], c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

const urlForm = [
  '--url',
  'http://checkout.shop.svc:8080/pay',
  '-r',
  '40000/s',
  '-d',
  '2m',
  '-c',
  '400',
  '--shards',
  '4',
  '-H',
  'authorization: Bearer ${env:TOKEN}',
];

describe('shard-job', () => {
  it('prints a Secret and an Indexed Job that validate, with the header secret as a reference the pod resolves', async () => {
    const run = await shardJob([...urlForm, '--name', 'checkout-load', '--namespace', 'shop', '--image', 'cg:1']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).not.toContain(TOKEN);
    const docs = parseAllDocuments(run.stdout).map((d) => d.toJS() as Record<string, unknown>);
    expect(docs.map((d) => d.kind)).toEqual(['Secret', 'Job']);
    const [secret, job] = docs as [Record<string, unknown>, Record<string, unknown>];
    expect(() => new Secret(secret as never).validate()).not.toThrow();
    expect(() => new Job(job as never).validate()).not.toThrow();
    expect(job).toMatchObject({
      metadata: { name: 'checkout-load', namespace: 'shop' },
      spec: {
        completionMode: 'Indexed',
        completions: 4,
        parallelism: 4,
        backoffLimit: 0,
        template: {
          spec: {
            containers: [
              {
                image: 'cg:1',
                env: [{ name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'checkout-load-env', key: 'TOKEN' } } }],
              },
            ],
          },
        },
      },
    });
    expect(run.stdout).toContain('kubectl create secret generic checkout-load-env -n shop --from-literal=TOKEN=');
    const file = parsePlanFile((secret.stringData as Record<string, string>)['plan.json'] as string, 'plan.json');
    expect(file.env).toEqual(['TOKEN']);
    expect(file.plan.mix[0]?.headers).toEqual({ authorization: 'Bearer ${env:TOKEN}' });
    expect(file.plan.ratePerSec).toBe(40_000);
    // What the shard in the pod does with it: the value from its environment.
    const resolved = resolvePlanEnv(file, { TOKEN }, new Redactor());
    expect(resolved.plan.mix[0]?.headers).toEqual({ authorization: `Bearer ${TOKEN}` });
    expect(() => resolvePlanEnv(file, {}, new Redactor())).toThrow(
      /plan\.mix\[0\]\.headers\.authorization: environment variable TOKEN is not set/,
    );
  });

  it('refuses a secret it would have to print (URL, body), exit 2 naming the field', async () => {
    const inUrl = await shardJob(['--url', 'http://checkout.shop.svc:8080/pay?key=${env:TOKEN}', '--shards', '2']);
    expect(inUrl.code).toBe(2);
    expect(inUrl.stderr).toMatch(/--url: holds \$\{env:TOKEN\}; .*only header values/);
    const inBody = await shardJob([...urlForm, '-m', 'POST', '--body', '{"token":"${env:TOKEN}"}']);
    expect(inBody.code).toBe(2);
    expect(inBody.stderr).toContain('--body: holds ${env:TOKEN}');
    for (const run of [inUrl, inBody]) expect(run.stdout + run.stderr).not.toContain(TOKEN);
  });

  it("prints a scenario's traffic and requests; a scenario secret outside headers is named by its field", async () => {
    const ok = await shardJob(['scenarios/nginx-canary.yaml', '--shards', '2', '-d', '1m'], {
      CHECKOUT_TOKEN: TOKEN,
    });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).not.toContain(TOKEN);
    const [secret, job] = parseAllDocuments(ok.stdout).map((d) => d.toJS() as Record<string, unknown>) as [
      Record<string, unknown>,
      Record<string, unknown>,
    ];
    expect(() => new Job(job as never).validate()).not.toThrow();
    const file = parsePlanFile((secret.stringData as Record<string, string>)['plan.json'] as string, 'plan.json');
    expect(file.env).toEqual(['CHECKOUT_TOKEN']);
    expect(file.plan.mix.map((m) => m.path)).toEqual(['/cart', '/checkout']);

    const dir = await mkdtemp(join(tmpdir(), 'shard-job-'));
    const scenario = join(dir, 'secret-body.yaml');
    const text = await readFile('scenarios/nginx-canary.yaml', 'utf8');
    await writeFile(scenario, text.replace(`body: '{"items":[1,2]}'`, `body: '{"key":"\${env:CHECKOUT_TOKEN}"}'`));
    const refused = await shardJob([scenario, '--shards', '2'], { CHECKOUT_TOKEN: TOKEN });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${scenario}: requests[1].body: holds \${env:CHECKOUT_TOKEN}`);
  });

  it('needs a scenario or --url, and a plan that splits', async () => {
    expect((await shardJob(['--shards', '2'])).code).toBe(2);
    const tooMany = await shardJob(['--url', 'http://a.svc/', '-c', '2', '--shards', '4']);
    expect(tooMany.code).toBe(2);
    expect(tooMany.stderr).toMatch(/connections/);
  });
});
