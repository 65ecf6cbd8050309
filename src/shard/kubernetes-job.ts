/**
 * The Kubernetes form of a sharded load (printed by `shard-job`, created by the kubernetes
 * executor): a Secret holding the plan file (printed, its header secrets are `${env:NAME}`
 * references the pods resolve; the executor's holds them resolved) and a batch/v1 Job with `completionMode:
 * Indexed` whose pods are the shards — each reads its index from JOB_COMPLETION_INDEX, which
 * Kubernetes sets in Indexed Jobs. `parallelism` = `completions` = N so every shard runs at once,
 * `backoffLimit: 0` because a retried shard would send its slice twice, `activeDeadlineSeconds`
 * bounds the whole Job and `ttlSecondsAfterFinished` cleans it up. Pure: it returns objects, and
 * the text `shard-job` prints of them.
 *
 * Pods start when the scheduler gets to them, so the plan carries no common start time: each
 * shard starts its slice (phase-shifted by its index) as soon as it is up. Their protocol lines
 * are the pods' logs, which a coordinator can follow as it follows a process's stdout.
 */
import { stringify } from 'yaml';
import { ScenarioError } from '../errors.js';
import type { LoadPlan } from '../load/plan.js';
import { interpolateEnv, type Redactor } from '../scenario/secrets.js';
import { SHARD_PROTOCOL_VERSION } from './protocol.js';
import { type ShardPlanFile, splitProblems } from './split.js';

/** Options of the manifests. */
export interface ShardJobOptions {
  /** Name of the Job and the Secret (a DNS-1123 label). */
  name: string;
  /** Namespace, when not the current one. */
  namespace?: string;
  /** How many shards. */
  shards: number;
  /** Image with canary-gate as its entrypoint. */
  image: string;
  /** Seconds a finished Job stays before Kubernetes deletes it (default one hour). */
  ttlSecondsAfterFinished?: number;
  /** Seconds the Job may run at most (default: the plan's length plus its timeout plus five minutes). */
  activeDeadlineSeconds?: number;
  /**
   * Environment variables the plan's header values reference as `${env:NAME}`: each pod takes
   * them from the Secret `<name>-env` (key NAME), which the user creates, and the shard
   * substitutes them; the plan Secret holds the references only.
   */
  env?: readonly string[];
}

/** The Secret each pod reads the referenced environment variables from. */
export function envSecretName(name: string): string {
  return `${name}-env`;
}

/** The Secret and the Job, as plain objects ready for YAML or JSON. */
export interface ShardJobManifests {
  secret: Record<string, unknown>;
  job: Record<string, unknown>;
}

/** Where the plan file is mounted in each pod. */
const PLAN_DIR = '/etc/canary-gate-shard';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The manifests of a sharded load as a Kubernetes Indexed Job; throws ScenarioError naming each bad field. */
export function shardJobManifests(plan: LoadPlan, options: ShardJobOptions): ShardJobManifests {
  const problems = splitProblems(plan, options.shards);
  // The Job's pods are named <name>-<index>-<suffix>: keep room for them.
  if (!DNS_LABEL.test(options.name) || options.name.length > 50)
    problems.push(`name: expected a DNS label of at most 50 characters, found "${options.name}"`);
  if (options.namespace !== undefined && !DNS_LABEL.test(options.namespace))
    problems.push(`namespace: expected a DNS label, found "${options.namespace}"`);
  if (options.image.trim() === '') problems.push('image: expected an image reference');
  if (problems.length > 0) throw new ScenarioError(`invalid shard job:\n  - ${problems.join('\n  - ')}`, problems);

  const env = options.env ?? [];
  const file: ShardPlanFile = {
    v: SHARD_PROTOCOL_VERSION,
    shards: options.shards,
    plan,
    ...(env.length > 0 ? { env: [...env] } : {}),
  };
  const runSeconds = Math.ceil(((plan.warmupMs ?? 0) + plan.durationMs + plan.timeoutMs) / 1000);
  const labels = {
    'app.kubernetes.io/name': 'canary-gate',
    'app.kubernetes.io/component': 'shard',
    'canary-gate.shard/job': options.name,
  };
  const metadata = { name: options.name, ...(options.namespace ? { namespace: options.namespace } : {}), labels };
  return {
    secret: {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata,
      type: 'Opaque',
      stringData: { 'plan.json': JSON.stringify(file) },
    },
    job: {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata,
      spec: {
        completionMode: 'Indexed',
        completions: options.shards,
        parallelism: options.shards,
        backoffLimit: 0,
        ttlSecondsAfterFinished: options.ttlSecondsAfterFinished ?? 3600,
        activeDeadlineSeconds: options.activeDeadlineSeconds ?? runSeconds + 300,
        template: {
          metadata: { labels },
          spec: {
            restartPolicy: 'Never',
            containers: [
              {
                name: 'shard',
                image: options.image,
                args: ['shard', '--plan', `${PLAN_DIR}/plan.json`],
                ...(env.length > 0
                  ? {
                      env: env.map((n) => ({
                        name: n,
                        valueFrom: { secretKeyRef: { name: envSecretName(options.name), key: n } },
                      })),
                    }
                  : {}),
                volumeMounts: [{ name: 'plan', mountPath: PLAN_DIR, readOnly: true }],
              },
            ],
            volumes: [{ name: 'plan', secret: { secretName: options.name } }],
          },
        },
      },
    },
  };
}

/**
 * The manifests as `shard-job` prints them for `kubectl apply -f -`: a comment that says how to
 * apply and follow them (and which Secret of variables to create first), then the Secret and the
 * Job as YAML documents separated by `---`.
 */
export function shardJobYaml(
  manifests: ShardJobManifests,
  options: Pick<ShardJobOptions, 'name' | 'namespace' | 'shards' | 'env'>,
): string {
  const { name, namespace, shards, env = [] } = options;
  const head = [
    `# canary-gate shard-job: ${shards} shards as an Indexed Job. Apply with kubectl apply -f -;`,
    '# follow the shards with kubectl logs -f -l job-name=' + name + ' --prefix (one JSON line a second each).',
    ...(env.length > 0
      ? [
          `# The pods read ${env.join(', ')} from the Secret ${envSecretName(name)}; create it first:`,
          `#   kubectl create secret generic ${envSecretName(name)}${namespace ? ` -n ${namespace}` : ''} ${env.map((n) => `--from-literal=${n}=…`).join(' ')}`,
        ]
      : []),
  ];
  // No anchors (the labels appear twice) and no folded lines: what kubectl and people read plainly.
  const yaml = (doc: unknown): string => stringify(doc, { aliasDuplicateObjects: false, lineWidth: 0 });
  return `${head.join('\n')}\n${yaml(manifests.secret)}---\n${yaml(manifests.job)}`;
}

/**
 * The plan with each `${env:NAME}` in its header values replaced from `env` (the pod's
 * environment), when the file lists variables (`shard-job` printed it); each value is registered
 * with `redactor`. Throws ScenarioError naming the header and the variable when one is not set.
 */
export function resolvePlanEnv(
  file: ShardPlanFile,
  env: Readonly<Record<string, string | undefined>>,
  redactor: Redactor,
): ShardPlanFile {
  if (!file.env || file.env.length === 0) return file;
  const mix = file.plan.mix.map((request, i) => ({
    ...request,
    ...(request.headers
      ? {
          headers: Object.fromEntries(
            Object.entries(request.headers).map(([name, value]) => [
              name,
              interpolateEnv(value, env, redactor, `plan.mix[${i}].headers.${name}`),
            ]),
          ),
        }
      : {}),
  }));
  return { ...file, plan: { ...file.plan, mix } };
}
