/**
 * Flagger's webhooks, answered from a session. Flagger (fluxcd/flagger
 * pkg/controller/scheduler.go, scheduler_hooks.go) treats a status of 200–202 as "go on" and
 * anything else as "halt", and calls, at each reconcile: rollback hooks (Progressing, Waiting,
 * WaitingPromotion), pre-rollout once at weight 0, rollout hooks with every analysis, then
 * confirm-traffic-increase right before it raises the weight, confirm-promotion at the maximum
 * weight, and post-rollout with phase Succeeded or Failed.
 *
 * Flagger does not send the weight (flagger#613): serve takes `metadata.weight` when the Canary
 * templates it in, and otherwise follows the plan (`metadata.stepWeights`, else the scenario's
 * steps) one step per confirm-traffic-increase it approves — Flagger raises the weight exactly
 * then. Nothing in the metadata is ever run (Flagger's loadtester runs `metadata.cmd`; serve reads
 * only weight, stepWeights and token).
 */
import { type Answer, answer, full } from './answer.js';
import type { ServeLimits } from './config.js';
import type { FlaggerHook, FlaggerPayload } from './payloads.js';
import { type SessionRegistry, sessionKey } from './registry.js';
import type { App, Session } from './session.js';

/** What the Flagger handlers need. */
export interface FlaggerContext {
  registry: SessionRegistry;
  limits: ServeLimits;
  nowMs: () => number;
}

/** Answer one Flagger webhook call for `app`. */
export async function answerFlagger(
  hook: FlaggerHook,
  app: App,
  p: FlaggerPayload,
  ctx: FlaggerContext,
): Promise<Answer> {
  const subject = {
    controller: 'flagger' as const,
    app: app.name,
    namespace: p.namespace,
    name: p.name,
    revision: p.checksum,
  };
  const plan = p.metadata.stepWeights ?? app.scenario.steps;
  // rollback and post-rollout only look: Flagger polls rollback before anything started.
  if (hook === 'rollback' || hook === 'post-rollout') {
    const session = ctx.registry.find(sessionKey(subject));
    if (!session) {
      return hook === 'rollback'
        ? answer(403, 'no rollback: no session for this revision')
        : answer(200, 'nothing to close: no session for this revision');
    }
    return session.attend(ctx.nowMs, () =>
      hook === 'rollback' ? rollback(session, ctx) : postRollout(session, p, ctx),
    );
  }
  const opened = ctx.registry.open(subject, plan, ctx.nowMs());
  if ('full' in opened) return full(opened.retryAfterSec, ctx.limits.maxSessions);
  const { session } = opened;
  return session.attend(ctx.nowMs, () => answerOpen(hook, session, p.metadata.weight, ctx));
}

async function answerOpen(
  hook: FlaggerHook,
  session: Session,
  weight: number | undefined,
  ctx: FlaggerContext,
): Promise<Answer> {
  if (session.ended) return endedAnswer(hook, session);
  if (weight !== undefined && weight > 0) session.enterWeight(weight);
  switch (hook) {
    case 'pre-rollout':
      return preRollout(session, ctx);
    case 'rollout':
      // Rollout hooks run once traffic is on the canary: the first step has begun.
      if (session.stepIndex < 0) session.enterStep(0);
      return answer(202, `measuring: ${session.stepReason()}`, session);
    case 'confirm-traffic-increase':
      return confirmTrafficIncrease(session, weight !== undefined, ctx);
    case 'confirm-promotion':
      return confirmPromotion(session, ctx);
    default:
      return answer(404, `no such webhook: ${hook}`);
  }
}

function endedAnswer(hook: FlaggerHook, session: Session): Answer {
  const ended = session.ended;
  const promoted = ended?.decision === 'promote';
  if (hook === 'rollout')
    return answer(promoted ? 202 : 409, `session ended (${ended?.decision}): ${ended?.reason}`, session);
  return answer(promoted ? 200 : 403, `session ended (${ended?.decision}): ${ended?.reason}`, session);
}

async function preRollout(session: Session, ctx: FlaggerContext): Promise<Answer> {
  const pre = await session.preRollout(AbortSignal.timeout(ctx.limits.hookDeadline));
  if (!pre) {
    return {
      ...answer(
        503,
        `pre-flight still running after ${ctx.limits.hookDeadline} ms; Flagger asks again next interval`,
        session,
      ),
      headers: { 'retry-after': '5' },
    };
  }
  return answer(pre.ok ? 200 : 412, pre.reason, session);
}

async function confirmTrafficIncrease(session: Session, weightGiven: boolean, ctx: FlaggerContext): Promise<Answer> {
  if (session.stepIndex < 0) {
    // Weight 0: the gate is the pre-flight (Flagger calls this right after pre-rollout).
    const pre = await session.preRollout(AbortSignal.timeout(ctx.limits.hookDeadline));
    if (!pre) return answer(403, 'pre-flight still running; not yet', session);
    if (!pre.ok) return answer(403, pre.reason, session);
    session.enterStep(0);
    return answer(200, `${pre.reason}; ${session.stepReason()}`, session);
  }
  const step = session.step();
  if (step?.status === 'fail') return answer(403, `${session.stepReason()}; the rollback webhook answers 200`, session);
  if (step?.status !== 'pass') return answer(403, session.stepReason(), session);
  const passed = session.stepReason();
  if (weightGiven) return answer(200, passed, session);
  if (session.atLastStep()) return answer(403, `${passed}; it is the last step: confirm-promotion decides`, session);
  session.enterStep(session.stepIndex + 1);
  return answer(200, `${passed}; next: ${session.stepReason()}`, session);
}

async function confirmPromotion(session: Session, ctx: FlaggerContext): Promise<Answer> {
  const step = session.step();
  if (!session.atLastStep() || !step) return answer(403, `not at the last step yet (${session.stepReason()})`, session);
  if (step.status === 'measuring') return answer(403, session.stepReason(), session);
  if (step.status === 'fail') return answer(403, `${session.stepReason()}; the rollback webhook answers 200`, session);
  const reason = `all ${session.plan.length} steps passed; ${session.stepReason()}`;
  await ctx.registry.end(session, 'promote', reason);
  return answer(200, reason, session);
}

async function rollback(session: Session, ctx: FlaggerContext): Promise<Answer> {
  if (session.ended) {
    return session.ended.decision === 'rollback'
      ? answer(200, `rolled back: ${session.ended.reason}`, session)
      : answer(403, `no rollback: the session ended (${session.ended.decision})`, session);
  }
  if (session.step()?.status !== 'fail') return answer(403, `no rollback: ${session.stepReason()}`, session);
  const reason = session.stepReason();
  await ctx.registry.end(session, 'rollback', reason);
  return answer(200, `roll back: ${reason}`, session);
}

async function postRollout(session: Session, p: FlaggerPayload, ctx: FlaggerContext): Promise<Answer> {
  if (!session.ended) {
    const promoted = p.phase === 'Succeeded';
    await ctx.registry.end(
      session,
      promoted ? 'promote' : 'rollback',
      `${promoted ? 'promoted' : 'rolled back'} by Flagger (phase ${p.phase}) at ${session.stepReason()}`,
    );
  }
  return answer(200, `closed (${session.ended?.decision}): ${session.ended?.reason}`, session, {
    ...(session.ended?.resultFile ? { result: session.ended.resultFile } : {}),
  });
}
