/*
 * ClockHost on the SDK's `timer` and `time` modules.
 *
 * now(): Time.ticks is milliseconds. On the ESP32 it is modMilliseconds()
 * stored with xsmcSetInteger (modules/base/time/esp/modTime.c), a signed
 * 32-bit value that jumps from 2^31-1 to -2^31 after 24.8 days; in the Linux
 * simulator it is gettimeofday() (modules/base/time/lin/modTime.c), wall time
 * that may step back. now() unwraps the first and clamps the second, so the
 * core always sees a monotonic number.
 *
 * wake(): one timer for the life of the app, rescheduled with Timer.schedule
 * (documentation/base/base.md, "Timer.schedule"). It is made as a repeating
 * timer and always rescheduled with a repeat interval, on purpose: the SDK
 * frees a timer whose repeat interval is 0 right after its callback
 * (modTimersExecute in modules/base/timer/mc/timer.c; modTimerExecuteOne in
 * modules/base/timer/lin/timer.c), so a one-shot could not be rescheduled. When it fires it is unscheduled (Timer.schedule with
 * the timer alone) until the next wake(); the `armed` flag is a second guard
 * so a stray firing never reaches the core.
 */
import Time from "time";
import Timer from "timer";
import type { ClockHost, Wakeable } from "../../src/host";

/** Repeat interval while scheduled; never reached in practice, since fire() unschedules. */
const PARKED_MS = 60 * 60 * 1000;
const WRAP = 4294967296;

export class TimerClock implements ClockHost {
  private target: Wakeable | null = null;
  private armed = false;
  private last = 0;
  private epoch = 0;
  private latest = 0;
  private readonly timer: Timer;

  constructor() {
    this.last = Time.ticks;
    this.timer = Timer.repeat(() => this.fire(), PARKED_MS);
    Timer.schedule(this.timer); // idle until the first wake()
  }

  /** Connect the core's timer queue (it is constructed with this clock, so this comes after). */
  attach(target: Wakeable): void {
    this.target = target;
  }

  now(): number {
    const ticks = Time.ticks;
    // A signed 32-bit wrap is a jump back of about 2^32; a clock step is much smaller.
    if (this.last - ticks > WRAP / 2) this.epoch += WRAP;
    this.last = ticks;
    const now = this.epoch + ticks;
    if (now > this.latest) this.latest = now;
    return this.latest;
  }

  wake(delayMs: number): void {
    this.armed = true;
    // Timer intervals are integers (xsmcToInteger); round up so the core never wakes early.
    const delay = delayMs > 0 ? Math.ceil(delayMs) : 0;
    Timer.schedule(this.timer, delay, PARKED_MS);
  }

  /** No wake-up until the next wake(). */
  cancel(): void {
    this.armed = false;
    Timer.schedule(this.timer);
  }

  private fire(): void {
    // Unschedule first: tick() usually calls wake(), which schedules it again.
    Timer.schedule(this.timer);
    if (!this.armed) return;
    this.armed = false;
    this.target?.tick();
  }
}
