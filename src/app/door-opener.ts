/*
 * The door opener: DTMF digits of an established call (SIP INFO now,
 * RFC 4733 events from RTP with the audio) are matched against the
 * configured code; a match pulses the relay. Entry rules, chosen to be
 * predictable on a phone keypad:
 *   - digits collect until as many as the code has; then they are compared;
 *   - "*" clears the entry (unless the code uses "*");
 *   - a code ending in "#" is also compared as soon as "#" is typed;
 *   - digits of another call start a fresh entry (two calls cannot add up
 *     to one code);
 *   - an entry not completed within ENTRY_TIMEOUT_MS of its last digit is
 *     forgotten: a stray digit (a key pressed by mistake, a false in-band
 *     key from hold music or speech, src/media/inband-dtmf.ts) does not
 *     join the digits typed a while later, and stray digits do not add up
 *     to a wrong entry that counts towards the lockout.
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
 * With a StorageHost the counts outlive a restart (STORAGE_KEY): else
 * pulling the door station's power, or anything that restarts it, would
 * give a guesser a fresh count. A lockout under way at the restart starts
 * again, in full, from the boot (the device has no clock across a restart);
 * the counts are written only when they change (a wrong entry, a lockout,
 * its end, the right code after wrong ones), so flash sees a few writes a
 * minute at most, under attack.
 *
 * Who may type at all is the application's business (intercom.ts): only an
 * answered call with a confirmed dialog, from a trusted source.
 */
import { ascii } from "../sip/message/bytes";
import type { PinsHost, StorageHost } from "../host";
import { TimerNode, type TimerQueue } from "../sip/timer/timer-queue";
import { TimerKind } from "../sip/timer/timer-kind";

export const DEFAULT_DOOR_OPEN_MS = 3000;
export const DEFAULT_MAX_WRONG = 3;
export const DEFAULT_LOCKOUT_MS = 60000;
/** The longest cool-down the doubling reaches (unless lockoutMs itself is longer). */
export const MAX_LOCKOUT_MS = 3600000;
const MAX_CODE = 16;
/**
 * The stored counts (StorageHost, at most 15 characters: the ESP32's NVS):
 * "<lockouts in a row>,<1 if locked>,<wrong entries in a row>".
 */
export const STORAGE_KEY = "door_lockout";
/** How long a partial entry waits for its next digit: ample for a slow typist, short next to the gaps between stray digits. */
export const ENTRY_TIMEOUT_MS = 10000;

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

/**
 * Where the opener's numbers are in its Float64Array (issue #9, the idle
 * heap: in XS a number kept as a property is a heap slot, 16 bytes on the
 * device; here 8 bytes of the buffer that also holds the code). Read and
 * written through the named accessors of DoorOpener.
 */
const enum Num {
  /** Digits in the entry. */
  Len = 0,
  /** Whose digits the entry holds (the application's call slot), -1 for none. */
  Owner = 1,
  /** The clock time a lockout ends at; 0 when not locked. */
  LockedUntil = 2,
  WrongInCall = 3,
  WrongInRow = 4,
  WrongTotal = 5,
  Lockouts = 6,
  RelayOn = 7,
  Openings = 8,
  OpenMs = 9,
  MaxWrong = 10,
  LockoutMs = 11,
  /** The clock time of the entry's last digit. */
  LastDigitAt = 12,
  Count = 13,
}

/**
 * The opener is the queue entry of the relay pulse's timer (a TimerNode: an
 * entry of its own and the property holding it would cost 8 heap slots).
 * A lockout needs no timer: it is the time it ends at, compared with the
 * clock when a digit comes.
 */
export class DoorOpener extends TimerNode {
  listener: RelayListener | undefined;
  /**
   * The code's bytes (A-D upper case); empty when disabled. The numbers,
   * the code and the entry are views of one buffer (a typed array of its
   * own costs 3 heap slots and a chunk more).
   */
  private readonly code: Uint8Array;
  private readonly entry: Uint8Array;
  private readonly n: Float64Array;
  private readonly pins: PinsHost | undefined;
  private readonly timers: TimerQueue;
  private readonly storage: StorageHost | undefined;

  constructor(timers: TimerQueue, pins: PinsHost | undefined, code: string, openMs = DEFAULT_DOOR_OPEN_MS, maxWrong = DEFAULT_MAX_WRONG, lockoutMs = DEFAULT_LOCKOUT_MS, storage?: StorageHost) {
    super(TimerKind.User);
    const bytes = validDoorCode(code) ? ascii(code.toUpperCase()) : new Uint8Array(0);
    const store = new ArrayBuffer(8 * Num.Count + bytes.length + MAX_CODE);
    this.n = new Float64Array(store, 0, Num.Count);
    this.code = new Uint8Array(store, 8 * Num.Count, bytes.length);
    this.code.set(bytes);
    this.entry = new Uint8Array(store, 8 * Num.Count + bytes.length, MAX_CODE);
    this.timers = timers;
    this.pins = pins;
    this.owner = -1;
    this.n[Num.OpenMs] = openMs > 0 ? openMs : DEFAULT_DOOR_OPEN_MS;
    this.n[Num.MaxWrong] = maxWrong > 0 ? maxWrong : DEFAULT_MAX_WRONG;
    this.n[Num.LockoutMs] = lockoutMs >= 0 ? lockoutMs : DEFAULT_LOCKOUT_MS;
    this.storage = storage;
    this.restore();
  }

  /** The counts a restart left (STORAGE_KEY); a lockout under way then starts again now. Bad or missing values: none. */
  private restore(): void {
    const s = this.storage;
    if (s === undefined || this.code.length === 0) return;
    let text: string | undefined;
    try {
      text = s.get(STORAGE_KEY);
    } catch {
      return;
    }
    if (text === undefined) return;
    const m = /^(\d{1,6}),([01]),(\d{1,6})$/.exec(text);
    if (m === null) return;
    this.lockouts = Number(m[1]);
    this.wrongInRow = Number(m[3]);
    if (m[2] === "1" && this.lockoutMs > 0) this.lockedUntil = this.timers.now() + this.cooldownMs;
  }

  /** Keep the counts for the next start (not on the hot path: a wrong entry, a lockout and its end, a right code after those). */
  private persist(): void {
    const s = this.storage;
    if (s === undefined) return;
    try {
      s.set(STORAGE_KEY, this.lockouts + "," + (this.lockedUntil > 0 ? "1" : "0") + "," + this.wrongInRow);
    } catch {
      // The host logs a failed write (hosts/moddable/storage.ts); the counts in RAM still hold.
    }
  }

  /** Does the code hold one of the keys A-D (which phones rarely have, and in-band listening may hear in music)? */
  get usesLetters(): boolean {
    const code = this.code;
    for (let i = 0; i < code.length; i++) if (code[i]! >= 65 && code[i]! <= 68) return true;
    return false;
  }

  /** Is a door code configured (DTMF can open the door)? */
  get enabled(): boolean {
    return this.code.length > 0;
  }

  get openMs(): number {
    return this.n[Num.OpenMs]!;
  }

  get maxWrong(): number {
    return this.n[Num.MaxWrong]!;
  }

  get lockoutMs(): number {
    return this.n[Num.LockoutMs]!;
  }

  /** Wrong entries in the current call. */
  get wrongInCall(): number {
    return this.n[Num.WrongInCall]!;
  }

  private set wrongInCall(v: number) {
    this.n[Num.WrongInCall] = v;
  }

  /** Wrong entries in a row, across calls (reset by a right code, and by the first digit after a lockout is over). */
  get wrongInRow(): number {
    return this.n[Num.WrongInRow]!;
  }

  private set wrongInRow(v: number) {
    this.n[Num.WrongInRow] = v;
  }

  /** Wrong entries since start (diagnostics, tests). */
  get wrongTotal(): number {
    return this.n[Num.WrongTotal]!;
  }

  private set wrongTotal(v: number) {
    this.n[Num.WrongTotal] = v;
  }

  /** Lockouts in a row (no right code in between): the next cool-down doubles. Settable for tests. */
  get lockouts(): number {
    return this.n[Num.Lockouts]!;
  }

  set lockouts(v: number) {
    this.n[Num.Lockouts] = v;
  }

  /** Locked out after repeated wrong entries: every entry is refused until the cool-down is over. */
  get locked(): boolean {
    return this.lockedUntil > 0 && this.timers.now() < this.lockedUntil;
  }

  /** The relay is pulsed now. */
  get relayOn(): boolean {
    return this.n[Num.RelayOn] !== 0;
  }

  private set relayOn(v: boolean) {
    this.n[Num.RelayOn] = v ? 1 : 0;
  }

  /** Openings since start (tests, diagnostics). */
  get openings(): number {
    return this.n[Num.Openings]!;
  }

  private set openings(v: number) {
    this.n[Num.Openings] = v;
  }

  private get len(): number {
    return this.n[Num.Len]!;
  }

  private set len(v: number) {
    this.n[Num.Len] = v;
  }

  private get owner(): number {
    return this.n[Num.Owner]!;
  }

  private set owner(v: number) {
    this.n[Num.Owner] = v;
  }

  private get lockedUntil(): number {
    return this.n[Num.LockedUntil]!;
  }

  private set lockedUntil(v: number) {
    this.n[Num.LockedUntil] = v;
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
    if (this.lockedUntil > 0) {
      if (this.timers.now() < this.lockedUntil) return CodeResult.Locked;
      // The cool-down is over: a fresh count of wrong entries in a row (the lockouts in a row stay, for the next doubling).
      this.lockedUntil = 0;
      this.wrongInRow = 0;
      this.persist();
    }
    const now = this.timers.now();
    if (owner !== this.owner || now - this.n[Num.LastDigitAt]! > ENTRY_TIMEOUT_MS) {
      this.owner = owner;
      this.len = 0;
    }
    this.n[Num.LastDigitAt] = now;
    const code = this.code;
    if (d >= 97 && d <= 100) d -= 32; // a-d as A-D
    if (d === 42 /* * */ && code.indexOf(42) < 0) {
      this.len = 0;
      return CodeResult.Cleared;
    }
    if (this.len < MAX_CODE) {
      this.entry[this.len] = d;
      this.len++;
    }
    const complete = this.len >= code.length || (d === 35 /* # */ && code[code.length - 1] === 35);
    if (!complete) return CodeResult.Pending;
    const match = this.matches();
    this.len = 0;
    if (match) {
      const had = this.wrongInRow > 0 || this.lockouts > 0;
      this.wrongInRow = 0;
      this.lockouts = 0;
      if (had) this.persist();
      this.open();
      return CodeResult.Open;
    }
    this.wrongInCall++;
    this.wrongInRow++;
    this.wrongTotal++;
    if (this.wrongInRow >= this.maxWrong && this.lockoutMs > 0) {
      this.lockouts++;
      this.lockedUntil = this.timers.now() + this.cooldownMs;
    }
    this.persist();
    return this.wrongInCall >= this.maxWrong ? CodeResult.TooManyWrong : CodeResult.Wrong;
  }

  /** Pulse the relay for openMs. */
  open(): void {
    this.openings++;
    this.relayOn = true;
    if (this.pins !== undefined) this.pins.setRelay(true);
    this.timers.start(this, this.openMs, TimerKind.User);
    if (this.listener !== undefined) this.listener.onRelay(true);
  }

  /** The relay pulse is over (the queue calls this: the opener is the pulse's entry). */
  fire(): void {
    this.relayOn = false;
    if (this.pins !== undefined) this.pins.setRelay(false);
    if (this.listener !== undefined) this.listener.onRelay(false);
  }

  private matches(): boolean {
    const code = this.code;
    if (this.len !== code.length) return false;
    for (let i = 0; i < code.length; i++) if (this.entry[i] !== code[i]) return false;
    return true;
  }
}
