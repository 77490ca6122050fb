/*
 * The door opener: DTMF digits of an established call (SIP INFO now,
 * RFC 4733 events from RTP with the audio) are matched against the
 * configured code; a match pulses the relay. Entry rules, chosen to be
 * predictable on a phone keypad:
 *   - digits collect until as many as the code has; then they are compared;
 *   - "*" clears the entry (unless the code uses "*");
 *   - a code ending in "#" is also compared as soon as "#" is typed.
 * A wrong entry is counted; after `maxWrong` in one call the call is ended
 * (the application does it), and after `maxWrong` wrong entries in a row,
 * across calls, the opener locks for `lockoutMs` (brute-force defence).
 */
import { ascii } from "../sip/message/bytes";
import type { PinsHost } from "../host";
import { TimerEntry, type TimerQueue, type TimerTarget } from "../sip/timer/timer-queue";
import { TimerKind } from "../sip/timer/timer-kind";

export const DEFAULT_DOOR_CODE = "#";
export const DEFAULT_DOOR_OPEN_MS = 3000;
export const DEFAULT_MAX_WRONG = 3;
export const DEFAULT_LOCKOUT_MS = 60000;
const MAX_CODE = 16;

export const enum CodeResult {
  /** Digit taken, entry not complete. */
  Pending = 0,
  /** The code matched: the relay is pulsed. */
  Open = 1,
  /** A wrong entry. */
  Wrong = 2,
  /** Too many wrong entries in this call: end it. */
  TooManyWrong = 3,
  /** Locked out after repeated wrong entries: digits are ignored. */
  Locked = 4,
  /** "*" cleared the entry. */
  Cleared = 5,
}

/** Told when the relay switches (status LED, events). */
export interface RelayListener {
  onRelay(on: boolean): void;
}

export class DoorOpener implements TimerTarget {
  listener: RelayListener | undefined;
  private readonly code: Uint8Array;
  private readonly entry = new Uint8Array(MAX_CODE);
  private len = 0;
  private readonly pins: PinsHost | undefined;
  private readonly timers: TimerQueue;
  private readonly pulse: TimerEntry;
  private readonly lockTimer: TimerEntry;
  readonly openMs: number;
  readonly maxWrong: number;
  readonly lockoutMs: number;
  /** Wrong entries in the current call, and in a row across calls. */
  wrongInCall = 0;
  wrongInRow = 0;
  locked = false;
  relayOn = false;
  /** Openings since start (tests, diagnostics). */
  openings = 0;

  constructor(timers: TimerQueue, pins: PinsHost | undefined, code: string, openMs = DEFAULT_DOOR_OPEN_MS, maxWrong = DEFAULT_MAX_WRONG, lockoutMs = DEFAULT_LOCKOUT_MS) {
    const c = code !== "" ? code : DEFAULT_DOOR_CODE;
    this.code = ascii(c.length > MAX_CODE ? c.substring(0, MAX_CODE) : c);
    this.timers = timers;
    this.pins = pins;
    this.pulse = new TimerEntry(this, TimerKind.User);
    this.lockTimer = new TimerEntry(this, TimerKind.User);
    this.openMs = openMs > 0 ? openMs : DEFAULT_DOOR_OPEN_MS;
    this.maxWrong = maxWrong > 0 ? maxWrong : DEFAULT_MAX_WRONG;
    this.lockoutMs = lockoutMs >= 0 ? lockoutMs : DEFAULT_LOCKOUT_MS;
  }

  /** A new call: a fresh entry and a fresh per-call count. */
  newCall(): void {
    this.len = 0;
    this.wrongInCall = 0;
  }

  digit(d: number): CodeResult {
    if (this.locked) return CodeResult.Locked;
    const code = this.code;
    if (d === 42 /* * */ && code.indexOf(42) < 0) {
      this.len = 0;
      return CodeResult.Cleared;
    }
    if (this.len < MAX_CODE) this.entry[this.len++] = d;
    const complete = this.len >= code.length || (d === 35 /* # */ && code[code.length - 1] === 35);
    if (!complete) return CodeResult.Pending;
    const match = this.matches();
    this.len = 0;
    if (match) {
      this.wrongInRow = 0;
      this.open();
      return CodeResult.Open;
    }
    this.wrongInCall++;
    this.wrongInRow++;
    if (this.wrongInRow >= this.maxWrong && this.lockoutMs > 0) {
      this.locked = true;
      this.timers.start(this.lockTimer, this.lockoutMs, TimerKind.User);
    }
    return this.wrongInCall >= this.maxWrong ? CodeResult.TooManyWrong : CodeResult.Wrong;
  }

  /** Pulse the relay for openMs. */
  open(): void {
    this.openings++;
    this.relayOn = true;
    if (this.pins !== undefined) this.pins.setRelay(true);
    this.timers.start(this.pulse, this.openMs, TimerKind.User);
    if (this.listener !== undefined) this.listener.onRelay(true);
  }

  onTimer(entry: TimerEntry): void {
    if (entry === this.pulse) {
      this.relayOn = false;
      if (this.pins !== undefined) this.pins.setRelay(false);
      if (this.listener !== undefined) this.listener.onRelay(false);
    } else if (entry === this.lockTimer) {
      this.locked = false;
      this.wrongInRow = 0;
    }
  }

  private matches(): boolean {
    const code = this.code;
    if (this.len !== code.length) return false;
    for (let i = 0; i < code.length; i++) if (this.entry[i] !== code[i]) return false;
    return true;
  }
}
