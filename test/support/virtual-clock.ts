/*
 * A ClockHost whose time only moves when a test says so. advance(ms) walks
 * through every wake-up the core requested inside that span, in order, setting
 * now() to each requested time before calling tick(): Timer F's 32 s take
 * microseconds, and the core sees exactly the times a real host would give.
 */
import type { ClockHost, Wakeable } from "../../src/host";

export class VirtualClock implements ClockHost {
  private time: number;
  private target: Wakeable | null = null;
  /** Absolute time of the pending wake-up, or null. */
  wakeAt: number | null = null;
  /** How many times wake() was called (tests assert the core doesn't chatter). */
  wakeCalls = 0;
  /** How many times tick() was delivered. */
  ticks = 0;
  /** Guard against a core that keeps asking for zero-delay wake-ups. */
  maxTicksPerAdvance = 1_000_000;

  constructor(start = 0) {
    this.time = start;
  }

  /** Connect the core's timer queue (it needs the clock first, so this comes after construction). */
  attach(target: Wakeable): void {
    this.target = target;
  }

  now(): number {
    return this.time;
  }

  wake(delayMs: number): void {
    this.wakeCalls++;
    this.wakeAt = this.time + (delayMs > 0 ? delayMs : 0);
  }

  /** Move time forward by `ms`, delivering every wake-up due on the way. */
  advance(ms: number): void {
    this.advanceTo(this.time + ms);
  }

  /** Move time forward to absolute time `end`. */
  advanceTo(end: number): void {
    if (end < this.time) throw new Error(`VirtualClock: time cannot go back (${end} < ${this.time})`);
    let delivered = 0;
    while (this.wakeAt !== null && this.wakeAt <= end) {
      if (++delivered > this.maxTicksPerAdvance) throw new Error("VirtualClock: too many wake-ups; is something rescheduling itself with zero delay?");
      this.time = this.wakeAt;
      this.wakeAt = null;
      this.ticks++;
      this.target?.tick();
    }
    this.time = end;
  }

  /** Deliver wake-ups until none is pending (or `limitMs` of virtual time passes); returns the time spent. */
  runAll(limitMs = 3_600_000): number {
    const start = this.time;
    const end = start + limitMs;
    while (this.wakeAt !== null && this.wakeAt <= end) this.advanceTo(this.wakeAt);
    return this.time - start;
  }
}
