/*
 * The status LED tells what the door station is doing, in patterns a
 * person can tell apart at a glance (on ms, off ms; 0 off = steady):
 *   not registered, trying     slow blink     500 / 500
 *   registration failing       short flash    100 / 1900
 *   registered, idle           steady on
 *   ringing (either way)       fast blink     100 / 100
 *   in a call                  long on        900 / 100
 *   door open                  very fast      50 / 50
 */
import type { PinsHost } from "../host";
import { TimerNode, type TimerQueue } from "../sip/timer/timer-queue";
import { TimerKind } from "../sip/timer/timer-kind";

export const enum LedPattern {
  Off = 0,
  Registering = 1,
  Failing = 2,
  Idle = 3,
  Ringing = 4,
  InCall = 5,
  DoorOpen = 6,
}

// Frozen: preloaded on the device, they stay in flash instead of costing RAM (a mutable module value takes a pointer of RAM).
const ON_MS: readonly number[] = Object.freeze([0, 500, 100, 1, 100, 900, 50]);
const OFF_MS: readonly number[] = Object.freeze([0, 500, 1900, 0, 100, 100, 50]);

/**
 * The LED is the queue entry of its blink timer (a TimerNode, issue #9: an
 * entry of its own and the property holding it cost 8 heap slots in XS,
 * the entry's own fields here 5).
 */
export class StatusLed extends TimerNode {
  private readonly timers: TimerQueue;
  private readonly pins: PinsHost | undefined;
  pattern: LedPattern = LedPattern.Off;
  on = false;

  constructor(timers: TimerQueue, pins: PinsHost | undefined) {
    super(TimerKind.User);
    this.timers = timers;
    this.pins = pins;
  }

  show(pattern: LedPattern): void {
    if (pattern === this.pattern) return;
    this.pattern = pattern;
    this.timers.stop(this);
    this.set(pattern !== LedPattern.Off);
    if (OFF_MS[pattern]! > 0) this.timers.start(this, ON_MS[pattern]!, TimerKind.User);
  }

  /** The blink timer: the LED's next phase. */
  fire(): void {
    const p = this.pattern;
    if (OFF_MS[p]! === 0) return;
    this.set(!this.on);
    this.timers.start(this, this.on ? ON_MS[p]! : OFF_MS[p]!, TimerKind.User);
  }

  private set(on: boolean): void {
    this.on = on;
    if (this.pins !== undefined) this.pins.setLed(on);
  }
}
