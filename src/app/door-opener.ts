/*
 * The door opener: DTMF digits of an established call (SIP INFO now,
 * RFC 4733 events from RTP with the audio) are matched against the
 * configured code; a match pulses the relay. Entry rules, chosen to be
 * predictable on a phone keypad:
 *   - digits collect until as many as the code has; then they are compared;
 *   - "*" clears the entry (unless the code uses "*");
 *   - a code ending in "#" is also compared as soon as "#" is typed;
 *   - digits of another call start a fresh entry (two calls cannot add up
 *     to one code).
 *
 * There is no default code: without one (or with one that is not 1 to 16
 * of 0-9 * # A-D) the door is never opened by DTMF. A trivial default
 * ("#") would open the door to anyone who gets a call through.
 *
 * Brute force: a wrong entry is counted; after `maxWrong` in one call the
 * call is ended (the application does it), and after `maxWrong` wrong
 * entries in a row, across calls, the opener locks for `lockoutMs`, during
 * which every entry (the right one too) is refused. Each further lockout
 * without a right code in between doubles the cool-down, up to an hour (or
 * lockoutMs when that is longer): three guesses a minute at first, three an
 * hour after six lockouts. A right code resets both counts.
 *
 * Who may type at all is the application's business (intercom.ts): only an
 * answered call with a confirmed dialog, from a trusted source.
 */
import { ascii } from "../sip/message/bytes";
import type { PinsHost } from "../host";
import { TimerEntry, type TimerQueue, type TimerTarget } from "../sip/timer/timer-queue";
import { TimerKind } from "../sip/timer/timer-kind";

export const DEFAULT_DOOR_OPEN_MS = 3000;
export const DEFAULT_MAX_WRONG = 3;
export const DEFAULT_LOCKOUT_MS = 60000;
/** The longest cool-down the doubling reaches (unless lockoutMs itself is longer). */
export const MAX_LOCKOUT_MS = 3600000;
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
  /** No usable door code is configured: DTMF never opens the door. */
  Disabled = 6,
}

/** A door code as configured: 1 to 16 of 0-9 * # A-D (a-d taken as A-D). */
export function validDoorCode(code: string): boolean {
  if (code.length < 1 || code.length > MAX_CODE) return false;
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    const ok = (c >= 48 && c <= 57) || c === 42 || c === 35 || (c >= 65 && c <= 68) || (c >= 97 && c <= 100);
    if (!ok) return false;
  }
  return true;
}

/** Told when the relay switches (status LED, events). */
export interface RelayListener {
  onRelay(on: boolean): void;
}

export class DoorOpener implements TimerTarget {
  listener: RelayListener | undefined;
  /** The code's bytes (A-D upper case); empty when disabled. The code and the entry are views of one buffer (a typed array of its own costs 3 heap slots and a chunk more). */
  private readonly code: Uint8Array;
  private readonly entry: Uint8Array;
  private len = 0;
  /** Whose digits the entry holds (the application's call slot), -1 for none. */
  private owner = -1;
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
  /** Wrong entries since start (diagnostics, tests). */
  wrongTotal = 0;
  /** Lockouts in a row (no right code in between): the next cool-down doubles. */
  lockouts = 0;
  locked = false;
  relayOn = false;
  /** Openings since start (tests, diagnostics). */
  openings = 0;

  constructor(timers: TimerQueue, pins: PinsHost | undefined, code: string, openMs = DEFAULT_DOOR_OPEN_MS, maxWrong = DEFAULT_MAX_WRONG, lockoutMs = DEFAULT_LOCKOUT_MS) {
    const bytes = validDoorCode(code) ? ascii(code.toUpperCase()) : new Uint8Array(0);
    const store = new ArrayBuffer(bytes.length + MAX_CODE);
    this.code = new Uint8Array(store, 0, bytes.length);
    this.code.set(bytes);
    this.entry = new Uint8Array(store, bytes.length, MAX_CODE);
    this.timers = timers;
    this.pins = pins;
    this.pulse = new TimerEntry(this, TimerKind.User);
    this.lockTimer = new TimerEntry(this, TimerKind.User);
    this.openMs = openMs > 0 ? openMs : DEFAULT_DOOR_OPEN_MS;
    this.maxWrong = maxWrong > 0 ? maxWrong : DEFAULT_MAX_WRONG;
    this.lockoutMs = lockoutMs >= 0 ? lockoutMs : DEFAULT_LOCKOUT_MS;
  }

  /** Is a door code configured (DTMF can open the door)? */
  get enabled(): boolean {
    return this.code.length > 0;
  }

  /** A new call: a fresh entry and a fresh per-call count. */
  newCall(): void {
    this.len = 0;
    this.owner = -1;
    this.wrongInCall = 0;
  }

  /** The cool-down the current (or next) lockout lasts. */
  get cooldownMs(): number {
    const cap = this.lockoutMs > MAX_LOCKOUT_MS ? this.lockoutMs : MAX_LOCKOUT_MS;
    let ms = this.lockoutMs;
    for (let i = 1; i < this.lockouts && ms < cap; i++) ms *= 2;
    return ms < cap ? ms : cap;
  }

  /** A digit (character code) typed in call `owner` (any number naming the call, e.g. its slot). */
  digit(d: number, owner = 0): CodeResult {
    if (this.code.length === 0) return CodeResult.Disabled;
    if (this.locked) return CodeResult.Locked;
    if (owner !== this.owner) {
      this.owner = owner;
      this.len = 0;
    }
    const code = this.code;
    if (d >= 97 && d <= 100) d -= 32; // a-d as A-D
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
      this.lockouts = 0;
      this.open();
      return CodeResult.Open;
    }
    this.wrongInCall++;
    this.wrongInRow++;
    this.wrongTotal++;
    if (this.wrongInRow >= this.maxWrong && this.lockoutMs > 0) {
      this.locked = true;
      this.lockouts++;
      this.timers.start(this.lockTimer, this.cooldownMs, TimerKind.User);
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
