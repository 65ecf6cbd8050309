/**
 * Failure messages for tests whose run must reach a decision: the run's reason and every check of
 * every step that did not pass, so that a failed `expect` says what held the run back.
 */

/** The part of a RunResult these messages read. */
interface Decided {
  reason: string;
  steps: { weight: number; verdict: { checks: { name: string; status: string; reason: string }[] } }[];
}

/** A run's reason and every check that did not pass. */
export function whyNot(result: Decided): string {
  const checks = result.steps.flatMap((s) =>
    s.verdict.checks.filter((c) => c.status !== 'pass').map((c) => `${s.weight} %: ${c.name} ${c.status}: ${c.reason}`),
  );
  return [result.reason, ...checks].join('\n');
}

/** The same from a CLI's JSON result on stdout, or the raw output when it is not one. */
export function whyNotFromStdout(stdout: string): string {
  try {
    return whyNot(JSON.parse(stdout) as Decided);
  } catch {
    return stdout.slice(0, 2000);
  }
}
