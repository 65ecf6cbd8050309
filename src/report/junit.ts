/**
 * JUnit XML of a RunResult: one test suite per step, one test case per check; a failed check is
 * a <failure> with its explaining sentence, an inconclusive one is <skipped>, an error <error>.
 */
import type { CheckResult } from '../gates/verdict.js';
import type { RunResult } from '../result/run-result.js';
import { runNotes } from './notes.js';

const xml = (text: string): string =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');

/** The result as JUnit XML. */
export function renderJUnit(r: RunResult): string {
  const suites = r.steps.map((s) => {
    const failures = s.verdict.checks.filter((c) => c.status === 'fail').length;
    const errors = s.verdict.checks.filter((c) => c.status === 'error').length;
    const skipped = s.verdict.checks.filter((c) => c.status === 'inconclusive').length;
    const cases = s.verdict.checks.map((c) =>
      testcase(`canary-gate.step${s.index + 1}`, `${c.name} at ${s.weight}%`, s.durationMs, c),
    );
    const props = [...runNotes(r).map((n) => ['default-checks', n]), ...(r.warnings ?? []).map((w) => ['warning', w])];
    const properties =
      props.length > 0
        ? `\n    <properties>${props.map(([name, value]) => `<property name="${name}" value="${xml(value ?? '')}"/>`).join('')}</properties>`
        : '';
    return `  <testsuite name="${xml(`${r.scenario.name}: step ${s.index + 1} (${s.weight}%)`)}" tests="${s.verdict.checks.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${(s.durationMs / 1000).toFixed(3)}">${properties}\n${cases.join('\n')}\n  </testsuite>`;
  });
  // The security look before any weight changed is a suite of its own, ahead of the steps.
  const pre = r.preflightSecurity;
  if (pre) {
    const count = (status: string) => pre.checks.filter((c) => c.status === status).length;
    const cases = pre.checks.map((c) => testcase('canary-gate.preflight', `${c.name} in pre-flight`, 0, c));
    suites.unshift(
      `  <testsuite name="${xml(`${r.scenario.name}: pre-flight security`)}" tests="${pre.checks.length}" failures="${count('fail')}" errors="${count('error')}" skipped="${count('inconclusive')}" time="0.000">\n${cases.join('\n')}\n  </testsuite>`,
    );
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xml(`canary-gate ${r.run}: ${r.decision}`)}">\n${suites.join('\n')}\n</testsuites>\n`;
}

/** One check as a test case: a failure with its sentence, an error, or skipped when inconclusive. */
function testcase(classname: string, name: string, durationMs: number, c: CheckResult): string {
  const open = `    <testcase classname="${xml(classname)}" name="${xml(name)}" time="${(durationMs / 1000).toFixed(3)}"`;
  if (c.status === 'pass') return `${open}/>`;
  const tag = c.status === 'fail' ? 'failure' : c.status === 'error' ? 'error' : 'skipped';
  return `${open}>\n      <${tag} message="${xml(c.reason)}"${tag === 'skipped' ? '/>' : `>${xml(c.reason)}</${tag}>`}\n    </testcase>`;
}
