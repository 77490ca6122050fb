/*
 * The doorbell button: edges from the host's pin (embedded:io/digital
 * callbacks on the device) are debounced here, on the core's clock, so the
 * same logic runs and is tested everywhere. A press counts when the button
 * has read "pressed" for `debounceMs`; a press within `guardMs` of the last
 * one is ignored (a visitor pressing three times rings once).
 */
import { TimerNode, type TimerQueue } from "../sip/timer/timer-queue";
import { TimerKind } from "../sip/timer/timer-kind";

export interface DoorbellListener {
  onPress(): void;
}

export const DEFAULT_DEBOUNCE_MS = 30;
export const DEFAULT_PRESS_GUARD_MS = 1000;

/**
 * The doorbell is the queue entry of its debounce timer (a TimerNode, issue
 * #9: an entry of its own and the property holding it cost 8 heap slots in
 * XS, the entry's own fields here 5).
 */
export class Doorbell extends TimerNode {
  private readonly timers: TimerQueue;
  private readonly listener: DoorbellListener;
  private readonly debounceMs: number;
  private readonly guardMs: number;
  private level = false;
  private lastPress = -1e12;
  /** Presses accepted, and edges seen (diagnostics). */
  presses = 0;
  edges = 0;

  constructor(timers: TimerQueue, listener: DoorbellListener, debounceMs = DEFAULT_DEBOUNCE_MS, guardMs = DEFAULT_PRESS_GUARD_MS) {
    super(TimerKind.User);
    this.timers = timers;
    this.listener = listener;
    this.debounceMs = debounceMs >= 0 ? debounceMs : DEFAULT_DEBOUNCE_MS;
    this.guardMs = guardMs >= 0 ? guardMs : DEFAULT_PRESS_GUARD_MS;
  }

  /** The host reports the button's level (true = pressed) on every edge. */
  changed(pressed: boolean): void {
    this.edges++;
    this.level = pressed;
    if (pressed) this.timers.start(this, this.debounceMs, TimerKind.User);
    else this.timers.stop(this);
  }

  /** A press that needs no debouncing (a key on the Node host, a control datagram in the simulator). */
  press(): void {
    const now = this.timers.now();
    if (now - this.lastPress < this.guardMs) return;
    this.lastPress = now;
    this.presses++;
    this.listener.onPress();
  }

  /** The debounce timer: the button still reads "pressed". */
  fire(): void {
    if (this.level) this.press();
  }
}
