/*
 * Retry delays after failures, shaped like RFC 5626 §4.5: the wait doubles
 * with each consecutive failure up to a bound, and the actual delay is drawn
 * between 50 % and 100 % of it so that many devices behind one failed server
 * don't come back in lock step. Unlike RFC 5626 the exponent starts at 0, so
 * the first retry waits at most `baseMs` (default 30 s; bound 30 min, the
 * RFC's max-time).
 */
import type { RandomHost } from "../host";

export interface BackoffConfig {
  /** Wait after the first failure, before jitter; default 30 000 ms. */
  baseMs?: number;
  /** Upper bound of the wait; default 1 800 000 ms (30 min). */
  maxMs?: number;
}

export const DEFAULT_BACKOFF_BASE_MS = 30_000;
export const DEFAULT_BACKOFF_MAX_MS = 1_800_000;

export class Backoff {
  private readonly random: RandomHost;
  readonly baseMs: number;
  readonly maxMs: number;
  /** Consecutive failures so far. */
  failures = 0;

  constructor(random: RandomHost, config?: BackoffConfig) {
    this.random = random;
    const base = config?.baseMs;
    const max = config?.maxMs;
    this.baseMs = base !== undefined && base > 0 && base < Infinity ? base : DEFAULT_BACKOFF_BASE_MS;
    this.maxMs = max !== undefined && max >= this.baseMs && max < Infinity ? max : Math.max(DEFAULT_BACKOFF_MAX_MS, this.baseMs);
  }

  /** The un-jittered wait for the current failure count (at least one failure assumed). */
  wait(): number {
    let wait = this.baseMs;
    for (let n = 1; n < this.failures && wait < this.maxMs; n++) wait *= 2;
    return wait < this.maxMs ? wait : this.maxMs;
  }

  /** Count one more failure and return the delay before the next attempt, in ms. */
  next(): number {
    this.failures++;
    const wait = this.wait();
    // u32 / 2^32 is uniform in [0, 1): the delay is in [wait/2, wait).
    return Math.floor(wait * (0.5 + this.random.u32() / 8589934592));
  }

  /** A success: the next failure starts from the base again. */
  reset(): void {
    this.failures = 0;
  }
}
