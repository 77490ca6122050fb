/*
 * Rate-limited logging for events an attacker controls (untrusted sources,
 * scanners): at most `lines` lines per `windowMs`; what is held back is
 * counted and told in one line when the next window opens. A flood can then
 * neither fill a device's log nor cost a string per datagram.
 *
 * Functions over LimiterNum.Size numbers of the owner's Float64Array (the
 * trust policy's, trust-policy.ts): an object of its own would cost a heap
 * slot for itself and one per number (issue #9, idle heap). Zeros are the
 * initial state.
 */
export const enum LimiterNum {
  /** When the current window opened, plus one (0: none yet; the clock may start at 0). */
  WindowStart = 0,
  /** Lines written in the current window. */
  Used = 1,
  /** Held back since the last report. */
  Suppressed = 2,
  /** Held back since start. */
  SuppressedTotal = 3,
  Size = 4,
}

/**
 * May one more line be written at `now`? The limiter's numbers are
 * n[at, at + LimiterNum.Size). When a window opens after lines were held
 * back, limiterPending() is the count to report before it (then 0).
 */
export function limiterTake(n: Float64Array, at: number, now: number, windowMs: number, lines: number): boolean {
  const opened = n[at + LimiterNum.WindowStart]!;
  if (opened === 0 || now - (opened - 1) >= windowMs) {
    n[at + LimiterNum.WindowStart] = now + 1;
    n[at + LimiterNum.Used] = 0;
  }
  if (n[at + LimiterNum.Used]! < lines) {
    n[at + LimiterNum.Used]!++;
    return true;
  }
  n[at + LimiterNum.Suppressed]!++;
  n[at + LimiterNum.SuppressedTotal]!++;
  return false;
}

/** Lines held back since the last report; reading it resets the count. */
export function limiterPending(n: Float64Array, at: number): number {
  const held = n[at + LimiterNum.Suppressed]!;
  n[at + LimiterNum.Suppressed] = 0;
  return held;
}
