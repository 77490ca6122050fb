/*
 * One SDK timer, made once and rescheduled for ever: the clock's wake-up,
 * the simulator's button hold, the Wi-Fi retry. start() replaces any earlier
 * start; the callback runs once per start.
 *
 * How the SDK's timers are driven here, and why:
 *  - The timer is made repeating and is always (re)scheduled with the repeat
 *    interval equal to the first one: Timer.schedule(timer, ms, ms). A
 *    repeat of 0 would make it a one-shot, which the SDK frees right after
 *    its callback (modTimersExecute in modules/base/timer/mc/timer.c,
 *    modTimerExecuteOne in modules/base/timer/lin/timer.c), so it could not
 *    be rescheduled; hence at least 1 ms.
 *  - In the Linux simulator a timer rescheduled from inside its own callback
 *    with a first interval different from the repeat interval leaves a
 *    second GLib timeout behind (lin/timer.c adds one for the repeat after
 *    the callback returns), which then fires on its own: equal intervals
 *    avoid that. On the device (mc/timer.c) either way works.
 *  - When it fires it is unscheduled first (Timer.schedule with the timer
 *    alone), then the callback runs and may start it again.
 */
import Timer from "timer";

/** Longest single wait; later deadlines are reached in steps (the callers cope with an early call). */
const MAX_MS = 0x3fffffff;
const PARKED_MS = 60 * 60 * 1000;

export class Alarm {
  private readonly timer: Timer;
  private readonly callback: () => void;
  private armed = false;
  /** Firings while not armed (should stay 0; shown in the heap line). */
  stray = 0;

  constructor(callback: () => void) {
    this.callback = callback;
    this.timer = Timer.repeat(() => this.fire(), PARKED_MS);
    Timer.schedule(this.timer); // idle until the first start()
  }

  get pending(): boolean {
    return this.armed;
  }

  /** Call back in `ms` (rounded up to whole ms, at least 1), replacing any earlier start. */
  start(ms: number): void {
    // Timer intervals are integers (xsmcToInteger): round up so nothing fires early.
    const delay = ms >= MAX_MS ? MAX_MS : ms > 1 ? Math.ceil(ms) : 1;
    this.armed = true;
    Timer.schedule(this.timer, delay, delay);
  }

  stop(): void {
    this.armed = false;
    Timer.schedule(this.timer);
  }

  /** Release the SDK timer (the alarm cannot be used again). */
  close(): void {
    this.armed = false;
    Timer.clear(this.timer);
  }

  private fire(): void {
    Timer.schedule(this.timer);
    if (!this.armed) {
      this.stray++;
      return;
    }
    this.armed = false;
    this.callback();
  }
}
