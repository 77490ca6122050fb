/*
 * A call's four timers over one queue entry, the call itself (a
 * TimerNode). Two are the pair a transaction has (timer-pair.ts): the
 * retransmission of our 2xx (RFC 3261 §13.3.1.4) or reliable provisional
 * response (RFC 3262 §3), T1 doubling, and the 64*T1 wait for its ACK or
 * PRACK. The third is the phase timer: before the answer the auto-answer
 * delay (UAS) or the ring timeout (UAC), once up the call time limit. The
 * phase timer runs beside the pair (the auto-answer delay while a reliable
 * 180 waits for its PRACK, the time limit while a re-INVITE's 2xx waits for
 * its ACK), so the call keeps the due times as numbers and the entry
 * is armed for the earliest: in XS an entry of its own for the phase timer
 * was 8 heap slots per call slot (16 bytes each on the device). The fourth
 * is the session timer (RFC 4028 §10): its refresh at half the interval
 * when the door refreshes, its BYE before expiry when the peer does. It
 * runs beside the call time limit (the phase timer once up): whichever is
 * earlier fires, and the other stays armed.
 *
 * The pair is the UAS's: an outgoing call has no 2xx or reliable 1xx of
 * its own to resend before it is up. So while its INVITE has had no
 * response at all, the timeout is the no-response give-up (call.ts
 * NO_RESPONSE_T1) beside the ring timeout (the phase timer), and any
 * response stops it: no fifth due time per call slot.
 *
 * As with timer-pair.ts, each timer fires at its own due time: fire()
 * says which one is due (the timeout first when several are, then the
 * retransmission, then the phase timer, then the session timer), and the caller calls rearm()
 * before returning, which puts the entry back on the earliest of what
 * remains. Nothing is allocated.
 */
import { TimerKind } from "../../sip/timer/timer-kind";
import type { TimerNode, TimerQueue } from "../../sip/timer/timer-queue";

/** What the call carries for its timers (accessors over its numbers); the call is the entry. */
export interface CallTimers extends TimerNode {
  /** Absolute due time of the 2xx / 1xx retransmission, -1 when stopped. */
  retransmitAt: number;
  /** Its last delay, which doubles (§13.3.1.4, RFC 3262 §3). */
  retransmitInterval: number;
  /** Absolute due time of the 64*T1 wait for the ACK or PRACK (UAC before any response: the no-response give-up), -1 when stopped. */
  timeoutAt: number;
  /** Absolute due time of the phase timer (auto-answer, ring timeout, time limit), -1 when stopped. */
  phaseAt: number;
  /** Absolute due time of the session timer (RFC 4028 §10: refresh, or BYE at expiry), -1 when stopped. */
  sessionAt: number;
}

/** Which timer is due when the entry fires. */
export const enum CallFired {
  None = 0,
  Retransmit = 1,
  Timeout = 2,
  Phase = 3,
  Session = 4,
}

export function startRetransmit(q: TimerQueue, c: CallTimers, delayMs: number): void {
  const delay = delayMs > 0 ? delayMs : 0;
  c.retransmitInterval = delay;
  c.retransmitAt = q.now() + delay;
  rearm(q, c);
}

export function startTimeout(q: TimerQueue, c: CallTimers, delayMs: number): void {
  c.timeoutAt = q.now() + (delayMs > 0 ? delayMs : 0);
  rearm(q, c);
}

/** Stop the retransmission and its timeout (the phase timer runs on). */
export function stopPair(q: TimerQueue, c: CallTimers): void {
  if (c.retransmitAt < 0 && c.timeoutAt < 0) return;
  c.retransmitAt = c.timeoutAt = -1;
  rearm(q, c);
}

/** UAC: give the INVITE up after `delayMs` without any response (in the timeout's place: see above). */
export function startNoResponse(q: TimerQueue, c: CallTimers, delayMs: number): void {
  startTimeout(q, c, delayMs);
}

/** UAC: a response came (or the INVITE is over): no give-up. */
export function stopNoResponse(q: TimerQueue, c: CallTimers): void {
  if (c.timeoutAt < 0) return;
  c.timeoutAt = -1;
  rearm(q, c);
}

export function startPhase(q: TimerQueue, c: CallTimers, delayMs: number): void {
  c.phaseAt = q.now() + (delayMs > 0 ? delayMs : 0);
  rearm(q, c);
}

export function stopPhase(q: TimerQueue, c: CallTimers): void {
  if (c.phaseAt < 0) return;
  c.phaseAt = -1;
  rearm(q, c);
}

export function startSession(q: TimerQueue, c: CallTimers, delayMs: number): void {
  c.sessionAt = q.now() + (delayMs > 0 ? delayMs : 0);
  rearm(q, c);
}

export function stopSession(q: TimerQueue, c: CallTimers): void {
  if (c.sessionAt < 0) return;
  c.sessionAt = -1;
  rearm(q, c);
}

/** Stop all four (the call ends). */
export function stopAll(q: TimerQueue, c: CallTimers): void {
  c.retransmitAt = c.timeoutAt = c.phaseAt = c.sessionAt = -1;
  q.stop(c);
}

/**
 * The entry fired: which timer is due, now marked stopped (the caller
 * restarts it, or not). The others stay as they are; the caller must call
 * rearm() before returning.
 */
export function fire(q: TimerQueue, c: CallTimers): CallFired {
  const now = q.now();
  if (c.timeoutAt >= 0 && c.timeoutAt <= now) {
    c.timeoutAt = -1;
    return CallFired.Timeout;
  }
  if (c.retransmitAt >= 0 && c.retransmitAt <= now) {
    c.retransmitAt = -1;
    return CallFired.Retransmit;
  }
  if (c.phaseAt >= 0 && c.phaseAt <= now) {
    c.phaseAt = -1;
    return CallFired.Phase;
  }
  if (c.sessionAt >= 0 && c.sessionAt <= now) {
    c.sessionAt = -1;
    return CallFired.Session;
  }
  return CallFired.None;
}

/** Arm the entry for the earliest of the four (equal due times: in fire()'s order), or disarm it when all are stopped. */
export function rearm(q: TimerQueue, c: CallTimers): void {
  let at = c.timeoutAt;
  let kind = TimerKind.AckTimeout;
  const r = c.retransmitAt;
  if (r >= 0 && (at < 0 || r < at)) {
    at = r;
    kind = TimerKind.Retransmit2xx;
  }
  const p = c.phaseAt;
  if (p >= 0 && (at < 0 || p < at)) {
    at = p;
    kind = TimerKind.User;
  }
  const s = c.sessionAt;
  if (s >= 0 && (at < 0 || s < at)) {
    at = s;
    kind = TimerKind.User;
  }
  if (at < 0) {
    q.stop(c);
    return;
  }
  if (c.armed && c.due === at) {
    c.kind = kind;
    return;
  }
  q.start(c, at - q.now(), kind);
}
