/** What a handler answers, before it is written to the wire; and the session fields every answer carries. */
import type { Session } from './session.js';

/** An HTTP answer. */
export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** What every session answer says about where the session is. */
export function sessionFields(session: Session): Record<string, unknown> {
  const step = session.step();
  return {
    session: session.id,
    app: session.subject.app,
    revision: session.subject.revision,
    ...(step ? { step: step.index + 1, steps: session.plan.length, weight: step.weight, status: step.status } : {}),
    ...(session.ended ? { ended: session.ended.decision } : {}),
  };
}

/** A session answer: status, the reason first (Flagger shows a refused webhook's body in its events). */
export function answer(status: number, reason: string, session?: Session, extra: Record<string, unknown> = {}): Answer {
  return { status, body: { reason, ...(session ? sessionFields(session) : {}), ...extra } };
}

/** 429 with Retry-After: every session slot is taken. */
export function full(retryAfterSec: number, max: number): Answer {
  return {
    status: 429,
    body: { reason: `all ${max} session slots are measuring; nothing was started; retry after ${retryAfterSec} s` },
    headers: { 'retry-after': String(retryAfterSec) },
  };
}
