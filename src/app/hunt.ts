/*
 * Calling several targets on one doorbell press, as commercial door
 * stations do:
 *   - sequential: one after the other, moving on when a target does not
 *     answer (ring timeout), is busy, rejects or cannot be reached;
 *   - parallel: all at once; the first to answer gets the call and the
 *     others are cancelled (RFC 3261 §9.1).
 * The hunt is over when a call was answered and has ended, or when every
 * target was tried.
 */
import { type Call } from "../ua/call/call";
import { CallState, EndReason } from "../ua/call/call-types";
import type { UserAgent } from "../ua/user-agent";

export const enum HuntMode {
  Sequential = 0,
  Parallel = 1,
}

/** The userData mark of the hunt's calls (0 is "not ours"). */
const HUNT_MARK = 1;

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
    this.next = this.targets.length;
    const calls = this.ua.calls;
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i]!;
      if (c.active && c.userData === HUNT_MARK) c.hangup(EndReason.LocalHangup);
    }
  }

  /** Is this call part of the hunt? */
  owns(call: Call): boolean {
    return call.userData === HUNT_MARK;
  }

  /** A call of the hunt changed state (the intercom forwards them). */
  callState(call: Call): void {
    if (!this.running || call.userData !== HUNT_MARK) return;
    if (call.state === CallState.Up && !this.answered) {
      this.answered = true;
      this.next = this.targets.length;
      // Parallel: the first answer wins; cancel the rest.
      const calls = this.ua.calls;
      for (let i = 0; i < calls.length; i++) {
        const c = calls[i]!;
        if (c !== call && c.active && c.userData === HUNT_MARK) c.hangup(EndReason.AnsweredElsewhere);
      }
      return;
    }
    if (call.state !== CallState.Ended) return;
    this.live--;
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
