/*
 * Retry delays after failures, shaped like RFC 5626 §4.5: the wait doubles
 * with each consecutive failure up to a bound, and the actual delay is drawn
 * between 50 % and 100 % of it so that many devices behind one failed server
 * don't come back in lock step. Unlike RFC 5626 the exponent starts at 0, so
 * the first retry waits at most `baseMs` (default 30 s; bound 30 min, the
 * RFC's max-time).
 *
 * Functions over numbers the registration keeps in its own array (base,
 * bound, consecutive failures): an object of their own would cost a heap
 * slot per number and one for itself (issue #9, idle heap).
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

/** The configured base wait, or the default. */
export function backoffBase(config?: BackoffConfig): number {
  const base = config?.baseMs;
  return base !== undefined && base > 0 && base < Infinity ? base : DEFAULT_BACKOFF_BASE_MS;
}

/** The configured bound (at least the base), or the default. */
export function backoffMax(base: number, config?: BackoffConfig): number {
  const max = config?.maxMs;
  return max !== undefined && max >= base && max < Infinity ? max : Math.max(DEFAULT_BACKOFF_MAX_MS, base);
}

/** The un-jittered wait after `failures` consecutive failures (at least one). */
export function backoffWait(base: number, max: number, failures: number): number {
  let wait = base;
  for (let n = 1; n < failures && wait < max; n++) wait *= 2;
  return wait < max ? wait : max;
}

/** The delay before the next attempt, in ms: u32 / 2^32 is uniform in [0, 1), so it is in [wait/2, wait). */
export function backoffDelay(random: RandomHost, wait: number): number {
  return Math.floor(wait * (0.5 + random.u32() / 8589934592));
}
