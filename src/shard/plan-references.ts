/**
 * `${env:NAME}` kept as references in a printed plan (`shard-job`): while the plan is built and
 * checked each variable reads as a marker, and the markers in header values become `${env:NAME}`
 * again for the pod to resolve (resolvePlanEnv). A marker anywhere else would put the secret in
 * the printed plan, so it is a problem naming the field. Pure apart from the random nonce.
 */
import { randomBytes } from 'node:crypto';
import type { LoadPlan } from '../load/plan.js';

/** Variables stand for markers while the plan is built: `${env:NAME}` comes back from each. */
export interface EnvMarkers {
  env: Readonly<Record<string, string | undefined>>;
  /** Every marker in a text, with its variable's name. */
  find(text: string): { marker: string; name: string }[];
}

/** An environment whose every variable reads as a marker unique to this call (a random nonce). */
export function envMarkers(nonce = randomBytes(6).toString('hex')): EnvMarkers {
  // Letters and digits only, so URL and header checks keep them whole; matched ignoring case (a host is lowered).
  const pattern = new RegExp(`cgenv${nonce}x([A-Za-z0-9_]+?)x${nonce}`, 'gi');
  const env = new Proxy({} as Record<string, string>, {
    get: (_, key) => (typeof key === 'string' ? `cgenv${nonce}x${key}x${nonce}` : undefined),
  });
  return { env, find: (text) => [...text.matchAll(pattern)].map((m) => ({ marker: m[0], name: m[1] as string })) };
}

/**
 * The plan with every marker in a header value turned back into `${env:NAME}`, the names, and a
 * problem for each marker anywhere else (named by `field`).
 */
export function restoreReferences(
  plan: LoadPlan,
  markers: EnvMarkers,
  field: (planField: string) => string,
): { plan: LoadPlan; names: string[]; problems: string[] } {
  const names = new Set<string>();
  const problems: string[] = [];
  const refuse = (planField: string, text: string): void => {
    const found = markers.find(text);
    if (found.length > 0)
      problems.push(
        `${field(planField)}: holds \${env:${found[0]?.name}}; a Job's plan is printed, so only header values may reference secrets (the pod's environment holds them)`,
      );
  };
  for (const [i, t] of plan.targets.entries()) refuse(`targets[${i}].url`, t.url);
  const mix = plan.mix.map((request, i) => {
    refuse(`mix[${i}].path`, request.path);
    if (request.body !== undefined) refuse(`mix[${i}].body`, request.body);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      refuse(`mix[${i}].headers`, name);
      let restored = value;
      for (const { marker, name: variable } of markers.find(value)) {
        names.add(variable);
        restored = restored.split(marker).join(`\${env:${variable}}`);
      }
      headers[name] = restored;
    }
    return { ...request, ...(request.headers ? { headers } : {}) };
  });
  return { plan: { ...plan, mix }, names: [...names].sort(), problems };
}
