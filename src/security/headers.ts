/**
 * The headers probe: one answer to the probed request per arm, held against the rules of headers
 * that must be present (optionally with a value or a pattern) and headers that must be absent
 * (optionally only with values matching a pattern, such as a version number in Server).
 */
import type { HeaderRule, SecurityConfig } from '../scenario/security-schema.js';
import type { SecurityFinding } from './finding.js';
import { describeRequest, headerText, type ProbeAnswer } from './http.js';

type HeadersConfig = NonNullable<SecurityConfig['headers']>;

/** Judge one answer against the header rules. Pure. */
export function judgeHeaders(
  arm: string,
  cfg: HeadersConfig,
  req: { method: string; path: string },
  answer: ProbeAnswer,
): SecurityFinding[] {
  const what = `${arm}'s answer to ${describeRequest(req)}`;
  const finding = (invariant: string, status: SecurityFinding['status'], sentence: string) =>
    ({
      probe: 'headers',
      invariant,
      arm,
      status,
      sentence,
      critical: cfg.critical,
      requests: 1,
    }) satisfies SecurityFinding;
  const present = cfg.present.map((r) => ({ rule: r, invariant: `header ${r.name} present` }));
  const absent = cfg.absent.map((r) => ({ rule: r, invariant: `header ${r.name} absent` }));
  if ('error' in answer) {
    return [...present, ...absent].map(({ invariant }) =>
      finding(invariant, 'error', `${arm} did not answer ${describeRequest(req)} (${answer.error})`),
    );
  }
  const value = (r: HeaderRule) => headerText(answer.headers, r.name);
  return [
    ...present.map(({ rule, invariant }) => {
      const v = value(rule);
      if (v === undefined) return finding(invariant, 'fail', `${what} has no ${rule.name} header`);
      if (rule.value !== undefined && v.toLowerCase() !== rule.value.toLowerCase())
        return finding(
          invariant,
          'fail',
          `${what} has ${rule.name}: ${JSON.stringify(v)}, expected ${JSON.stringify(rule.value)}`,
        );
      if (rule.matching !== undefined && !new RegExp(rule.matching, 'i').test(v))
        return finding(
          invariant,
          'fail',
          `${what} has ${rule.name}: ${JSON.stringify(v)}, expected a value matching /${rule.matching}/`,
        );
      return finding(invariant, 'pass', `${what} has ${rule.name}: ${JSON.stringify(v)}`);
    }),
    ...absent.map(({ rule, invariant }) => {
      const v = value(rule);
      const forbidden = v !== undefined && (rule.matching === undefined || new RegExp(rule.matching, 'i').test(v));
      if (!forbidden)
        return finding(
          invariant,
          'pass',
          v === undefined
            ? `${what} has no ${rule.name} header`
            : `${what} has ${rule.name}: ${JSON.stringify(v)}, not matching /${rule.matching}/`,
        );
      return finding(
        invariant,
        'fail',
        `${what} has ${rule.name}: ${JSON.stringify(v)}${rule.matching !== undefined ? `, matching /${rule.matching}/` : ''}; it must not`,
      );
    }),
  ];
}
