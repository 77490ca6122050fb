/*
 * Calling several targets on one doorbell press, as commercial door
 * stations do:
 *   - sequential: one after the other, moving on when a target does not
 *     answer (ring timeout), is busy, rejects, cannot be reached (no
 *     response at all to its INVITE in 8*T1: src/ua/call/call.ts
 *     NO_RESPONSE_T1, not Timer B's 32 s) or answers without G.711 audio;
 *   - parallel: all at once; the first to answer gets the call and the
 *     others are cancelled (RFC 3261 §9.1).
 * The hunt is over when a call was answered and has ended, or when every
 * target was tried.
 *
 * A transfer stays in the hunt. The phone that answered may transfer the
 * door by REFER (RFC 3515 §2.4.3: the door places a new call to the
 * Refer-To target, and the referring dialog usually ends with the phone's
 * BYE once the NOTIFY tells it the outcome, or at once for a blind
 * transfer). For the visitor nothing ended: the doorbell was answered once
 * and they are still talking to someone, now the target. So the call the
 * door places for a REFER in a call of the hunt joins the hunt: the hunt is
 * over ("answered") when the last of its calls ends, the transferred ones
 * included; until then it is running, the button (hangup) and stop() end
 * the transferred call too, and the LED and the door code follow whichever
 * call is up (the intercom and the media look at the calls themselves, and
 * the transferred call is one the door placed at a trusted peer's request).
 * A transfer that fails (target busy, no answer) leaves the referring call
 * as it was, still in the hunt. No separate "transferred" event: the
 * target's call reports its own ringing, up and down as any call does.
 */
import { type Call } from "../ua/call/call";
import { CallState, EndReason } from "../ua/call/call-types";
import type { UserAgent } from "../ua/user-agent";

export const enum HuntMode {
  Sequential = 0,
  Parallel = 1,
}

/** The userData marks of the hunt's calls (0 is "not ours"): one of the hunt, and one of the hunt that was up. */
const HUNT_MARK = 1;
const HUNT_UP = 2;

function ours(call: Call): boolean {
  return call.userData === HUNT_MARK || call.userData === HUNT_UP;
}

export interface HuntListener {
  /** The hunt ended; `answered` tells whether anyone took the call. */
  onHuntOver(answered: boolean): void;
}

export class Hunt {
  private readonly ua: UserAgent;
  private readonly listener: HuntListener;
  private targets: readonly string[] = [];
  private mode: HuntMode = HuntMode.Sequential;
  private next = 0;
  /** Calls of the hunt still alive. */
  private live = 0;
  /** A target answered; the others were cancelled. */
  answered = false;
  running = false;
  /** The hunt was stopped here (the button, shutdown), not ended by its targets. */
  cancelled = false;
  /**
   * The last call of the hunt to end (not counting those it cancelled
   * because another answered) was never up: nobody answered, or the target
   * a phone transferred the door to did not once that phone had left (the
   * visitor is alone).
   */
  lastUnanswered = false;

  constructor(ua: UserAgent, listener: HuntListener) {
    this.ua = ua;
    this.listener = listener;
  }

  /** Start calling; false when there is no target or no call could be placed. */
  start(targets: readonly string[], mode: HuntMode): boolean {
    if (this.running || targets.length === 0) return false;
    this.targets = targets;
    this.mode = mode;
    this.next = 0;
    this.live = 0;
    this.answered = false;
    this.cancelled = false;
    this.lastUnanswered = false;
    this.running = true;
    if (mode === HuntMode.Parallel) {
      while (this.next < targets.length) this.dialNext();
    } else {
      this.dialUntilPlaced();
    }
    if (this.live === 0) {
      this.finish();
      return false;
    }
    return true;
  }

  /** Hang up every call of the hunt (the button, or shutdown). */
  stop(): void {
    if (!this.running) return;
    this.cancelled = true;
    this.next = this.targets.length;
    const calls = this.ua.calls;
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i]!;
      if (c.active && ours(c)) c.hangup(EndReason.LocalHangup);
    }
  }

  /** Is this call part of the hunt? */
  owns(call: Call): boolean {
    return ours(call);
  }

  /** A call of the hunt changed state (the intercom forwards them). */
  callState(call: Call): void {
    if (!this.running) return;
    if (!ours(call)) {
      // A call the door placed for a REFER in a call of the hunt (RFC 3515): its first state (Dialing; Call.referredBy is
      // set before it) makes it one of the hunt's calls. One already over (it could not even be sent) is not taken.
      const referrer = call.referredBy;
      if (referrer === null || !ours(referrer) || !call.active) return;
      call.userData = HUNT_MARK;
      this.live++;
      return;
    }
    if (call.state === CallState.Up) {
      // Marked as up: when it ends, the visitor had someone (lastUnanswered).
      call.userData = HUNT_UP;
      if (this.answered) return;
      this.answered = true;
      this.next = this.targets.length;
      // Parallel: the first answer wins; cancel the rest.
      const calls = this.ua.calls;
      for (let i = 0; i < calls.length; i++) {
        const c = calls[i]!;
        if (c !== call && c.active && ours(c)) c.hangup(EndReason.AnsweredElsewhere);
      }
      return;
    }
    if (call.state !== CallState.Ended) return;
    this.live--;
    // A call the hunt cancelled because another answered says nothing about whether the visitor has someone.
    // A 2xx without G.711 never comes Up (the call ends it with BYE): not answered, and the hunt goes on.
    if (call.endReason !== EndReason.AnsweredElsewhere) this.lastUnanswered = call.userData !== HUNT_UP;
    if (!this.answered && this.mode === HuntMode.Sequential) this.dialUntilPlaced();
    if (this.live <= 0) this.finish();
  }

  private dialUntilPlaced(): void {
    while (this.next < this.targets.length && this.live === 0) this.dialNext();
  }

  private dialNext(): void {
    const target = this.targets[this.next++]!;
    const call = this.ua.dial(target);
    if (call === null) return;
    if (call.active) {
      call.userData = HUNT_MARK;
      this.live++;
    }
  }

  private finish(): void {
    this.running = false;
    const answered = this.answered;
    this.listener.onHuntOver(answered);
  }
}
