/*
 * The core's one timer service. Every RFC 3261 timer (A..K, §17; L, M from
 * RFC 6026) and every timer of the transaction user runs on a queue entry
 * (a TimerNode) made once, at construction, and then started and stopped as
 * often as its owner likes: in the core the owner is itself the entry (a
 * transaction for its two timers, a call for its three, registration,
 * keepalive, the media clock...); a host may use a TimerEntry, which calls a
 * target. The queue is an intrusive doubly linked list sorted by due time,
 * so start, stop and fire allocate nothing. The host is asked for a single
 * wake-up at the earliest due time (ClockHost.wake replaces earlier
 * requests).
 *
 * Sorted insertion is O(n), but n is small on a door intercom (a few
 * transactions and calls, one entry each, and a few more) and insertion
 * scans from the tail, where new timers usually belong, so the common case
 * is O(1).
 */
import { LogLevel, type ClockHost, type LogHost, type Wakeable } from "../../host";
import { TimerKind, timerName } from "./timer-kind";

/** Whoever owns an entry; called once each time that entry fires. */
export interface TimerTarget {
  onTimer(entry: TimerEntry): void;
}

/**
 * The queue's part of a preallocated timer: its fields are owned by the
 * queue; read them, don't write them. The queue calls fire() when it is
 * due. A class that is itself the entry of its timer extends this (a
 * transaction is the one entry of its two timers, timer-pair.ts, a call of
 * its three, call-timers.ts; the media clock, registration and keepalive
 * are their own timer's): in XS each object costs a heap slot and each property
 * another (16 bytes each on the device), so an entry of its own and the
 * property holding it are two slots, a target pointing back a third.
 */
export abstract class TimerNode {
  /** The RFC timer this entry stands for now (a transaction reuses one entry for A, then D, ...). */
  kind: TimerKind;
  /** Absolute due time in the clock's milliseconds; meaningful while `armed`. */
  due = 0;
  next: TimerNode | null = null;
  prev: TimerNode | null = null;
  /** Start order: keeps entries with equal due times in insertion order and fences tick(); 0 while not armed. */
  seq = 0;

  constructor(kind: TimerKind) {
    this.kind = kind;
  }

  /** On the queue (a getter over `seq`: no property of its own). */
  get armed(): boolean {
    return this.seq > 0;
  }

  /** Called by the queue once each time the entry is due, after disarming it. */
  abstract fire(): void;
}

/**
 * A preallocated timer whose owner is told when it fires (its target). A
 * retransmission timer that doubles (§17.1.1.2) keeps its last delay with
 * its owner (a transaction's retransmitInterval, timer-pair.ts, or a
 * call's, call-timers.ts).
 */
export class TimerEntry extends TimerNode {
  readonly target: TimerTarget;

  constructor(target: TimerTarget, kind: TimerKind = TimerKind.None) {
    super(kind);
    this.target = target;
  }

  fire(): void {
    this.target.onTimer(this);
  }
}

export class TimerQueue implements Wakeable {
  private readonly clock: ClockHost;
  private readonly log: LogHost | undefined;
  private head: TimerNode | null = null;
  private tail: TimerNode | null = null;
  private count = 0;
  private seq = 0;
  private ticking = false;
  /** The due time the host has been asked to wake us at; Infinity when none is pending. */
  private armedAt = Infinity;
  /** Callbacks that threw; the queue survives them (nothing throws out of the core). */
  errors = 0;

  constructor(clock: ClockHost, log?: LogHost) {
    this.clock = clock;
    this.log = log;
  }

  /** Number of armed entries. */
  get size(): number {
    return this.count;
  }

  /** Due time of the earliest armed entry, or Infinity. */
  get nextDue(): number {
    return this.head === null ? Infinity : this.head.due;
  }

  now(): number {
    return this.clock.now();
  }

  /**
   * Arm `entry` to fire `delayMs` from now, replacing any earlier arming of it.
   * `kind` retags the entry when given (e.g. Timer A's entry becoming Timer D).
   */
  start(entry: TimerNode, delayMs: number, kind?: TimerKind): void {
    if (entry.armed) this.unlink(entry);
    if (kind !== undefined) entry.kind = kind;
    // NaN or negative delays mean "now"; they must not corrupt the ordering.
    const delay = delayMs > 0 ? delayMs : 0;
    entry.due = this.clock.now() + delay;
    entry.seq = ++this.seq;
    this.insert(entry);
    if (!this.ticking && entry.due < this.armedAt) this.arm(entry.due);
  }

  /** Disarm `entry`; harmless when it is not armed. Returns whether it was. */
  stop(entry: TimerNode): boolean {
    if (!entry.armed) return false;
    this.unlink(entry);
    // The host's wake-up may now be early or unneeded; tick() copes with both,
    // and ClockHost has no cancel, so leave it.
    return true;
  }

  /** Milliseconds until `entry` fires, or -1 when it is not armed. */
  remaining(entry: TimerNode): number {
    if (!entry.armed) return -1;
    const left = entry.due - this.clock.now();
    return left > 0 ? left : 0;
  }

  /** Disarm everything (shutdown). */
  clear(): void {
    while (this.head !== null) this.unlink(this.head);
  }

  /**
   * Fire every entry due now, in due order (equal due times in start order).
   * An entry is disarmed before its callback, so the callback may restart it,
   * or start and stop others. Entries started during this tick never fire in
   * it, even with a zero delay: they wait for the next wake-up, so a
   * zero-delay restart cannot spin here forever.
   */
  tick(): void {
    if (this.ticking) return;
    this.ticking = true;
    this.armedAt = Infinity;
    const now = this.clock.now();
    const fence = this.seq;
    let entry = this.head;
    while (entry !== null && entry.due <= now && entry.seq <= fence) {
      this.unlink(entry);
      try {
        entry.fire();
      } catch (error) {
        this.errors++;
        if (this.log !== undefined) this.log.log(LogLevel.Error, timerName(entry.kind) + " callback threw: " + String(error));
      }
      entry = this.head;
    }
    this.ticking = false;
    if (this.head !== null) this.arm(this.head.due);
  }

  private arm(due: number): void {
    this.armedAt = due;
    const delay = due - this.clock.now();
    this.clock.wake(delay > 0 ? delay : 0);
  }

  /** Insert after the last entry due at or before `entry.due`, scanning from the tail. */
  private insert(entry: TimerNode): void {
    let after = this.tail;
    while (after !== null && after.due > entry.due) after = after.prev;
    entry.prev = after;
    if (after === null) {
      entry.next = this.head;
      this.head = entry;
    } else {
      entry.next = after.next;
      after.next = entry;
    }
    if (entry.next === null) this.tail = entry;
    else entry.next.prev = entry;
    this.count++;
  }

  private unlink(entry: TimerNode): void {
    if (entry.prev === null) this.head = entry.next;
    else entry.prev.next = entry.next;
    if (entry.next === null) this.tail = entry.prev;
    else entry.next.prev = entry.prev;
    entry.prev = null;
    entry.next = null;
    entry.seq = 0;
    this.count--;
  }
}
