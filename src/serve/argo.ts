/**
 * Argo Rollouts' web metric: `POST /argo/judge`, long-polled until the step's verdict or the
 * call's bound. Argo (argoproj/argo-rollouts metricproviders/webmetric/webmetric.go) marks any
 * non-2xx answer, a timeout (timeoutSeconds, default 10) or a body without the jsonPath as a
 * measurement *error* (counted against consecutiveErrorLimit), not a failure; the verdict itself
 * goes in a 200 body read with `jsonPath: "{$.verdict}"` and judged by successCondition /
 * failureCondition — neither matching is Inconclusive. So: 200 with pass, fail or inconclusive,
 * and non-2xx only when serve cannot say.
 */
import type { CheckResult } from '../gates/verdict.js';
import { type Answer, full, sessionFields } from './answer.js';
import type { ServeLimits } from './config.js';
import type { ArgoJudgeRequest } from './payloads.js';
import type { SessionRegistry } from './registry.js';
import type { App, Session } from './session.js';

/** What the Argo handler needs. */
export interface ArgoContext {
  registry: SessionRegistry;
  limits: ServeLimits;
  nowMs: () => number;
}

/** The verdict Argo's jsonPath reads. */
export type ArgoVerdict = 'pass' | 'fail' | 'inconclusive';

/** Answer one judge call; `closed` fires when the caller gives up (the long poll ends). */
export async function answerArgo(
  app: App,
  body: ArgoJudgeRequest,
  ctx: ArgoContext,
  closed: AbortSignal,
): Promise<Answer> {
  const subject = {
    controller: 'argo' as const,
    app: app.name,
    namespace: body.namespace,
    name: body.rollout,
    revision: `${body.stableHash}..${body.canaryHash}`,
  };
  const opened = ctx.registry.open(subject, app.scenario.steps, ctx.nowMs());
  if ('full' in opened) return full(opened.retryAfterSec, ctx.limits.maxSessions);
  const { session } = opened;
  return session.attend(ctx.nowMs, () => judge(session, body, ctx, closed));
}

async function judge(session: Session, body: ArgoJudgeRequest, ctx: ArgoContext, closed: AbortSignal): Promise<Answer> {
  if (session.ended) return ended(session);
  const waitMs = Math.min(ctx.limits.maxLongPoll, (body.waitSeconds ?? Number.POSITIVE_INFINITY) * 1000);
  const bound = AbortSignal.any([AbortSignal.timeout(waitMs), closed]);
  if (!session.pre?.ok) {
    const pre = await session.preRollout(bound);
    if (!pre) return verdictAnswer(session, 'inconclusive', 'pre-flight still running');
    if (!pre.ok) {
      await ctx.registry.end(session, 'rollback', pre.reason);
      return verdictAnswer(session, 'fail', pre.reason);
    }
  }
  session.enterWeight(body.weight);
  const step = await session.decided(bound);
  if (step?.status === 'fail') {
    const reason = session.stepReason();
    await ctx.registry.end(session, 'rollback', reason);
    return verdictAnswer(session, 'fail', reason);
  }
  if (step?.status === 'pass') {
    const reason = session.stepReason();
    if (session.atLastStep())
      await ctx.registry.end(session, 'promote', `all ${session.plan.length} steps passed; ${reason}`);
    return verdictAnswer(session, 'pass', reason);
  }
  return verdictAnswer(session, 'inconclusive', session.stepReason());
}

function ended(session: Session): Answer {
  const e = session.ended;
  if (e?.decision === 'promote') return verdictAnswer(session, 'pass', e.reason);
  if (e?.decision === 'rollback') return verdictAnswer(session, 'fail', e.reason);
  // Not a verdict on the canary: Argo counts it as a measurement error.
  return { status: 409, body: { reason: `session ended (${e?.decision}): ${e?.reason}`, ...sessionFields(session) } };
}

function verdictAnswer(session: Session, verdict: ArgoVerdict, reason: string): Answer {
  const v = session.step()?.verdict;
  return {
    status: 200,
    body: {
      verdict,
      score: v?.score.score ?? null,
      reason,
      checks: (v?.checks ?? []).map((c: CheckResult) => ({
        name: c.name,
        status: c.status,
        observed: c.observed,
        threshold: c.threshold,
        unit: c.unit,
        reason: c.reason,
      })),
      // The checks that decided a rollback (or that the inconclusive policy let through), and the
      // seconds left out of the evidence (generator-limited, common transients).
      decidedBy: v?.decidedBy ?? [],
      excluded: (v?.excluded ?? []).map((w) => ({ startMs: w.startMs, kind: w.kind })),
      ...sessionFields(session),
    },
  };
}
