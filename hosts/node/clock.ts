/*
 * ClockHost on Node: performance.now() for monotonic milliseconds and one
 * setTimeout, replaced on each wake() (the core asks for a single wake-up;
 * a new request replaces the old one).
 */
import type { ClockHost, Wakeable } from "../../src/host";

export interface NodeClockOptions {
  /** Don't keep the process alive just for a pending wake-up. Default false. */
  unref?: boolean;
}

export class NodeClock implements ClockHost {
  private target: Wakeable | null = null;
  private timer: NodeJS.Timeout | null = null;
  private readonly unref: boolean;
  private readonly fire = (): void => {
    this.timer = null;
    this.target?.tick();
  };

  constructor(options?: NodeClockOptions) {
    this.unref = options?.unref === true;
  }

  /** Connect the core's timer queue (it is constructed with this clock, so this comes after). */
  attach(target: Wakeable): void {
    this.target = target;
  }

  now(): number {
    return performance.now();
  }

  wake(delayMs: number): void {
    if (this.timer !== null) clearTimeout(this.timer);
    // Node timers have 1 ms resolution and may run a fraction early against
    // performance.now(); rounding up keeps the queue from seeing an early,
    // empty tick (which it would survive, at the cost of another wake).
    const delay = delayMs > 0 ? Math.ceil(delayMs) : 0;
    this.timer = setTimeout(this.fire, delay);
    if (this.unref) this.timer.unref();
  }

  /** Cancel the pending wake-up (shutdown). */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
