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
 * wake(): one SDK timer for the life of the app (alarm.ts), rescheduled with
 * Timer.schedule, never reallocated: the core's TimerQueue (the Wakeable
 * attached here) asks for a single wake-up at its earliest deadline and
 * replaces it as timers come and go. A wake-up that comes early (a deadline
 * past the longest single wait, or one the queue no longer needs) is
 * harmless: TimerQueue.tick() fires only what is due and asks again.
 */
import Time from "time";
import type { ClockHost, Wakeable } from "../../src/host";
import { Alarm } from "./alarm";

const WRAP = 4294967296;

export class TimerClock implements ClockHost {
  private target: Wakeable | null = null;
  private last = 0;
  private epoch = 0;
  private latest = 0;
  private readonly alarm: Alarm;
  /** Wake-ups delivered to the core (for the heap line). */
  ticks = 0;

  constructor() {
    this.last = Time.ticks;
    this.alarm = new Alarm(() => this.fire());
  }

  /** Connect the core's timer queue (it is constructed with this clock, so this comes after). */
  attach(target: Wakeable): void {
    this.target = target;
  }

  /** Firings that found no wake-up pending (should stay 0). */
  get stray(): number {
    return this.alarm.stray;
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
    this.alarm.start(delayMs > 0 ? delayMs : 0);
  }

  /** No wake-up until the next wake(). */
  cancel(): void {
    this.alarm.stop();
  }

  private fire(): void {
    this.ticks++;
    this.target?.tick();
  }
}
