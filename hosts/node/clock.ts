/*
 * ClockHost on Node: performance.now() for monotonic milliseconds and one
 * setTimeout, replaced on each wake() (the core asks for a single wake-up;
 * a new request replaces the old one).
 */
import type { ClockHost, Wakeable } from "../../src/host";

/**
 * The longest delay Node's setTimeout takes: 2^31 - 1 ms (about 24.8 days).
 * A longer one fires after 1 ms (with a TimeoutOverflowWarning), which for a
 * far timer (a peer's huge Session-Expires, a long call limit) would wake
 * the core every millisecond. Capped, the wake-up comes early and the
 * queue, finding nothing due, asks again.
 */
export const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * A setTimeout delay for a wake-up `delayMs` ahead: whole milliseconds,
 * rounded up (Node timers have 1 ms resolution and may run a fraction early
 * against performance.now(): rounding up keeps the queue from seeing an
 * early, empty tick), at most MAX_TIMEOUT_MS.
 */
export function timeoutDelay(delayMs: number): number {
  return delayMs > 0 ? Math.min(Math.ceil(delayMs), MAX_TIMEOUT_MS) : 0;
}

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
    this.timer = setTimeout(this.fire, timeoutDelay(delayMs));
    if (this.unref) this.timer.unref();
  }

  /** Cancel the pending wake-up (shutdown). */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
