import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadScenario } from '../../../src/scenario/loader.js';
import { loadServeConfig, serveConfigJsonSchema } from '../../../src/serve/config.js';
import { ArgoJudgeSchema, FLAGGER_HOOKS, FlaggerMetadataSchema } from '../../../src/serve/payloads.js';
import { parsePromQuery } from '../../../src/serve/prom-query.js';

// The manifests in deploy/ checked for shape and for agreement with serve's own schemas. There
// is no Kubernetes cluster (nor Flagger or Argo Rollouts controllers) on this machine, so nothing
// here applies them: what can be checked is that every document parses, the config and scenarios
// they carry load with canary-gate's loaders, the URLs, bodies and queries the controllers will
// send are ones serve accepts, and the names they refer to exist.
const DEPLOY = fileURLToPath(new URL('../../../deploy/', import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: manifests are free-form YAML, checked field by field below.
type Doc = any;

function docs(file: string): Doc[] {
  const parsed = parseAllDocuments(readFileSync(`${DEPLOY}${file}`, 'utf8'));
  const list = Array.isArray(parsed) ? parsed : [parsed];
  for (const d of list) expect(d.errors, `${file}: ${d.errors.map((e) => e.message).join('; ')}`).toEqual([]);
  return list.map((d) => d.toJS({ maxAliasCount: 100 }));
}
const find = (list: Doc[], kind: string, name: string): Doc => {
  const doc = list.find((d) => d.kind === kind && d.metadata?.name === name);
  expect(doc, `${kind}/${name}`).toBeDefined();
  return doc;
};

const serveDocs = docs('kubernetes/canary-gate.yaml');
const configMap = find(serveDocs, 'ConfigMap', 'canary-gate-config');
const secret = find(serveDocs, 'Secret', 'canary-gate-auth');
const serve = loadServeConfig(configMap.data['serve.yaml'], { file: 'serve.yaml', env: secret.stringData }).config;

describe('deploy/ manifests (shape only: no cluster here)', () => {
  it('every document names its apiVersion, kind and name', () => {
    for (const file of ['kubernetes/canary-gate.yaml', 'flagger/canary.yaml', 'argo/rollout.yaml']) {
      for (const d of docs(file)) {
        expect(d.apiVersion, file).toMatch(/^([a-z0-9.]+\/)?v\d/);
        expect(d.kind, file).toMatch(/^[A-Z]/);
        expect(d.metadata?.name, file).toMatch(/^[a-z0-9-]+$/);
      }
    }
  });

  it('serve: the ConfigMap holds a valid serve config whose apps load without a router; the Deployment runs it', () => {
    for (const [name, app] of Object.entries(serve.apps)) {
      const text = configMap.data[app.scenario];
      expect(text, `apps.${name}.scenario`).toBeDefined();
      expect(text).not.toMatch(/^router:/m);
      expect(loadScenario(text, { file: app.scenario, env: {} }).scenario.mode).toBe('canary');
    }
    const deployment = find(serveDocs, 'Deployment', 'canary-gate');
    const container = deployment.spec.template.spec.containers[0];
    const configMount = container.volumeMounts.find((m: Doc) => m.name === 'config');
    expect(container.args).toEqual(['serve', '--config', `${configMount.mountPath}/serve.yaml`]);
    expect(container.envFrom[0].secretRef.name).toBe(secret.metadata.name);
    expect(container.volumeMounts.find((m: Doc) => m.name === 'state').mountPath).toBe(serve.stateDir);
    expect(container.readinessProbe.httpGet.path).toBe('/healthz');
    expect(serve.listen).toBe(`0.0.0.0:${container.ports[0].containerPort}`);
    const service = find(serveDocs, 'Service', 'canary-gate');
    expect(service.spec.ports[0].port).toBe(container.ports[0].containerPort);
  });

  it("serve's config passes the JSON Schema `canary-gate schema --serve` prints, and a broken one does not", () => {
    const validate = new Ajv2020({ allErrors: true, strict: false }).compile(serveConfigJsonSchema());
    const written = docs('kubernetes/canary-gate.yaml');
    const text = find(written, 'ConfigMap', 'canary-gate-config').data['serve.yaml'];
    const parsed = parseAllDocuments(text);
    const value = (Array.isArray(parsed) ? parsed[0] : parsed)?.toJS();
    expect(validate(value), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...value, limits: { ...value.limits, maxSessions: 1000 } })).toBe(false);
    expect(validate({ ...value, auth: { ...value.auth, tokens: ['written-into-the-file'] } })).toBe(false);
  });

  it('Flagger: every webhook is a hook serve answers, for an app it judges, with metadata it accepts and a timeout above its deadline', () => {
    const flagger = docs('flagger/canary.yaml');
    const canary = find(flagger, 'Canary', 'podinfo');
    const hooks = canary.spec.analysis.webhooks as Doc[];
    expect(hooks.map((h) => h.type).sort()).toEqual([...FLAGGER_HOOKS].sort());
    for (const hook of hooks) {
      const url = new URL(hook.url);
      expect(url.pathname).toBe(`/flagger/podinfo/${hook.type}`);
      expect(`${url.hostname}:${url.port}`).toBe('canary-gate.canary-gate:8080');
      expect(serve.apps).toHaveProperty(url.pathname.split('/')[2] ?? '');
      const metadata = FlaggerMetadataSchema.parse(hook.metadata);
      expect(metadata.stepWeights).toEqual(canary.spec.analysis.stepWeights);
      expect(serve.auth.flaggerMetadataToken && serve.auth.tokens.includes(String(metadata.token))).toBe(true);
      const timeoutMs = Number(/^(\d+)s$/.exec(hook.timeout)?.[1]) * 1000;
      if (hook.type === 'pre-rollout') expect(timeoutMs).toBeGreaterThan(serve.limits.hookDeadline);
    }
    const template = find(flagger, 'MetricTemplate', 'canary-gate-failed');
    expect(template.spec.provider.type).toBe('prometheus');
    const query = template.spec.query.replace('{{ namespace }}', 'test').replace('{{ target }}', 'podinfo');
    expect(parsePromQuery(query)).toMatchObject({ kind: 'session', metric: 'canary_gate_failed' });
    expect(find(flagger, 'Secret', template.spec.provider.secretRef.name).stringData.token).toBeDefined();
  });

  it('Argo: each analysis names a template that exists; the web body is one serve accepts, within its long-poll; the job runs judge on a step the scenario has', () => {
    const argo = docs('argo/rollout.yaml');
    const rollout = find(argo, 'Rollout', 'podinfo');
    const templates = new Map(argo.filter((d) => d.kind === 'AnalysisTemplate').map((d) => [d.metadata.name, d]));
    const steps = rollout.spec.strategy.canary.steps as Doc[];
    const weights = steps.filter((s) => s.setWeight !== undefined).map((s) => s.setWeight);
    expect(weights).toEqual([10, 25, 50, 75, 100]);
    const web = templates.get('canary-gate-web');
    const metric = web.spec.metrics[0];
    expect(metric.provider.web).toMatchObject({ method: 'POST', jsonPath: '{$.verdict}' });
    expect(new URL(metric.provider.web.url).pathname).toBe('/argo/judge');
    expect(metric.successCondition).toBe('result == "pass"');
    expect(metric.failureCondition).toBe('result == "fail"');
    steps.forEach((step, i) => {
      if (!step.analysis) return;
      const name = step.analysis.templates[0].templateName;
      expect(templates.has(name), name).toBe(true);
      const args = Object.fromEntries(
        step.analysis.args.map((a: Doc) => [
          a.name,
          a.value ?? (a.valueFrom.podTemplateHashValue === 'Stable' ? '6b7f9c8d4' : '84c5d9f6b'),
        ]),
      );
      if (name === 'canary-gate-web') {
        // The analysis after setWeight N judges weight N.
        expect(Number(args.weight)).toBe(steps[i - 1]?.setWeight);
        const body = JSON.parse(
          JSON.stringify(metric.provider.web.jsonBody).replace(/\{\{ args\.([a-z-]+) \}\}/g, (_m, arg) =>
            String(args[arg]),
          ),
        );
        const parsed = ArgoJudgeSchema.parse(body);
        expect(serve.apps).toHaveProperty(parsed.app);
        expect((parsed.waitSeconds ?? 0) * 1000).toBeLessThanOrEqual(serve.limits.maxLongPoll);
        expect(parsed.waitSeconds ?? 0).toBeLessThan(metric.provider.web.timeoutSeconds);
      } else {
        const job = templates.get(name).spec.metrics[0].provider.job.spec.template.spec;
        const container = job.containers[0];
        const [command, file, flag, step] = container.args.map((a: string) => a.replace('{{ args.step }}', args.step));
        expect([command, flag]).toEqual(['judge', '--step']);
        const mount = container.volumeMounts.find((m: Doc) => m.name === 'config');
        const configName = job.volumes.find((v: Doc) => v.name === 'config').configMap.name;
        const text = find(argo, 'ConfigMap', configName).data[file.replace(`${mount.mountPath}/`, '')];
        const scenario = loadScenario(text, {
          file,
          env: {},
          accept: { modes: ['canary'] as const, command: 'judge' },
        }).scenario;
        // The job judges the weight the Rollout just set.
        expect(scenario.steps[Number(step) - 1]).toBe(steps[i - 1]?.setWeight);
      }
    });
  });
});
