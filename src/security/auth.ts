/**
 * The auth probe: the probed request sent once per refused case (its credential header removed
 * or replaced) and once as the scenario sends it. A refused case answered 2xx is the worst
 * finding there is — a canary that lets anyone in — and always rolls back.
 */

import type { Agent } from 'undici';
import type { SecurityConfig } from '../scenario/security-schema.js';
import type { SecurityFinding } from './finding.js';
import {
  describeRequest,
  type ProbeAnswer,
  type ProbeHttpOptions,
  type ProbeRequest,
  type ProbeTarget,
  sendProbe,
  withHeader,
} from './http.js';

type AuthConfig = NonNullable<SecurityConfig['auth']>;

/** Options of one auth probe of one arm. */
export interface AuthProbeOptions extends ProbeHttpOptions {
  /** The status a rate limiter answers with: such an answer says nothing about auth. */
  throttleStatus: number;
}

const statusList = (codes: readonly number[]): string =>
  codes.length === 1 ? String(codes[0]) : `${codes.slice(0, -1).join(', ')} or ${codes[codes.length - 1]}`;

/** Probe the auth invariants of one arm. */
export async function probeAuth(
  agent: Agent,
  target: ProbeTarget,
  cfg: AuthConfig,
  req: ProbeRequest,
  o: AuthProbeOptions,
): Promise<SecurityFinding[]> {
  const what = describeRequest(req);
  const finding = (invariant: string, status: SecurityFinding['status'], sentence: string, critical = cfg.critical) =>
    ({ probe: 'auth', invariant, arm: target.arm, status, sentence, critical, requests: 1 }) satisfies SecurityFinding;
  const refused = await Promise.all(
    cfg.refused.map(async (c): Promise<SecurityFinding> => {
      const invariant = `auth: ${c.name} refused`;
      const answer = await sendProbe(
        agent,
        target,
        { ...req, headers: withHeader(req.headers, cfg.header, c.value) },
        o,
      );
      const asked = `${target.arm} answered ${what} with ${c.name}`;
      if ('error' in answer)
        return finding(invariant, 'error', `${target.arm} did not answer ${what} with ${c.name} (${answer.error})`);
      const { status } = answer;
      if (status >= 200 && status < 300)
        return finding(
          invariant,
          'fail',
          `${asked} with ${status}: it must be refused with ${statusList(cfg.expect)}`,
          true,
        );
      if (status === o.throttleStatus)
        return finding(
          invariant,
          'inconclusive',
          `${asked} with ${status} (throttled): whether it is refused is unknown`,
        );
      if (cfg.expect.includes(status)) return finding(invariant, 'pass', `${asked} with ${status} (refused)`);
      return finding(invariant, 'fail', `${asked} with ${status}; expected ${statusList(cfg.expect)}`);
    }),
  );
  return [...refused, accepted(await sendProbe(agent, target, req, o), target.arm, what, o.throttleStatus, finding)];
}

function accepted(
  answer: ProbeAnswer,
  arm: string,
  what: string,
  throttleStatus: number,
  finding: (invariant: string, status: SecurityFinding['status'], sentence: string) => SecurityFinding,
): SecurityFinding {
  const invariant = 'auth: credentials accepted';
  if ('error' in answer)
    return finding(invariant, 'error', `${arm} did not answer ${what} with the normal credentials (${answer.error})`);
  if (answer.status === throttleStatus)
    return finding(
      invariant,
      'inconclusive',
      `${arm} answered ${what} with ${answer.status} (throttled): whether it accepts the normal credentials is unknown`,
    );
  if (answer.status >= 200 && answer.status < 400)
    return finding(invariant, 'pass', `${arm} accepted ${what} with the normal credentials (${answer.status})`);
  return finding(invariant, 'fail', `${arm} refused ${what} with the normal credentials: ${answer.status}`);
}
