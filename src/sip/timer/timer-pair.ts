/*
 * A transaction's two timers over one TimerEntry. RFC 3261 §17 runs at most
 * two timers at once per transaction: a retransmission timer (A, E, G, or
 * the 100 Trying delay of §17.2.1) and a timeout (B, F, H, then D, I, J, K,
 * or L and M from RFC 6026). The transaction keeps both due times as
 * numbers and the queue entry is armed for the earlier one: in XS an entry
 * costs eight slots, three numbers three (or 24 bytes of a transaction's
 * table). A transaction is itself that entry (a TimerPair is a TimerNode).
 * A call has a third timer beside the pair and its own
 * version of these functions (src/ua/call/call-timers.ts).
 *
 * Each timer still fires at its own due time, to the millisecond: fire()
 * reports which one is due (the timeout first when both are: it ends the
 * transaction, as it did when two entries fired in start order), and the
 * caller re-arms with the start and stop functions here, which put the
 * entry back on the earlier of what remains. Nothing is allocated.
 */
import type { TimerKind } from "./timer-kind";
import type { TimerNode, TimerQueue } from "./timer-queue";

/** The fields a transaction carries for its two timers; it is itself the one queue entry, armed for the earlier of the two. */
export interface TimerPair extends TimerNode {
  /** Absolute due time of the retransmission timer, -1 when stopped. */
  retransmitAt: number;
  /** Its last delay, which Timers A, E and G double (§17.1.1.2, §17.1.2.2, §17.2.1). */
  retransmitInterval: number;
  /** Absolute due time of the timeout, -1 when stopped. */
  timeoutAt: number;
  /** The RFC letters of both (retransmit * KIND_SHIFT + timeout), for the entry's kind (logs). */
  kinds: number;
}

const KIND_SHIFT = 64;

/** Which of the two is due when the entry fires. */
export const enum PairFired {
  None = 0,
  Retransmit = 1,
  Timeout = 2,
}

export function startRetransmit(q: TimerQueue, p: TimerPair, delayMs: number, kind: TimerKind): void {
  const delay = delayMs > 0 ? delayMs : 0;
  p.retransmitInterval = delay;
  p.retransmitAt = q.now() + delay;
  p.kinds = kind * KIND_SHIFT + (p.kinds % KIND_SHIFT);
  rearm(q, p);
}

export function startTimeout(q: TimerQueue, p: TimerPair, delayMs: number, kind: TimerKind): void {
  const delay = delayMs > 0 ? delayMs : 0;
  p.timeoutAt = q.now() + delay;
  p.kinds = p.kinds - (p.kinds % KIND_SHIFT) + kind;
  rearm(q, p);
}

export function stopRetransmit(q: TimerQueue, p: TimerPair): void {
  if (p.retransmitAt < 0) return;
  p.retransmitAt = -1;
  rearm(q, p);
}

export function stopTimeout(q: TimerQueue, p: TimerPair): void {
  if (p.timeoutAt < 0) return;
  p.timeoutAt = -1;
  rearm(q, p);
}

export function stopBoth(q: TimerQueue, p: TimerPair): void {
  p.retransmitAt = p.timeoutAt = -1;
  q.stop(p);
}

/**
 * The entry fired: which timer is due, now marked stopped (the caller
 * restarts it, or not). The other stays armed; the caller must call
 * rearm() (or a start/stop function) before returning.
 */
export function fire(q: TimerQueue, p: TimerPair): PairFired {
  const now = q.now();
  if (p.timeoutAt >= 0 && p.timeoutAt <= now) {
    p.timeoutAt = -1;
    return PairFired.Timeout;
  }
  if (p.retransmitAt >= 0 && p.retransmitAt <= now) {
    p.retransmitAt = -1;
    return PairFired.Retransmit;
  }
  return PairFired.None;
}

/** Arm the entry for the earlier of the two (or disarm it when both are stopped). */
export function rearm(q: TimerQueue, p: TimerPair): void {
  const r = p.retransmitAt;
  const t = p.timeoutAt;
  if (r < 0 && t < 0) {
    q.stop(p);
    return;
  }
  // Equal due times: the timeout (see fire()).
  const retransmitFirst = r >= 0 && (t < 0 || r < t);
  const at = retransmitFirst ? r : t;
  const kind = retransmitFirst ? Math.floor(p.kinds / KIND_SHIFT) : p.kinds % KIND_SHIFT;
  if (p.armed && p.due === at) {
    p.kind = kind;
    return;
  }
  q.start(p, at - q.now(), kind);
}
