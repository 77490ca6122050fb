/*
 * Rate-limited logging for events an attacker controls (untrusted sources,
 * scanners): at most `lines` lines per `windowMs`; what is held back is
 * counted and told in one line when the next window opens. A flood can then
 * neither fill a device's log nor cost a string per datagram.
 */
export class LogLimiter {
  readonly windowMs: number;
  readonly lines: number;
  private windowStart = -1;
  private used = 0;
  /** Held back in the current window; total held back since start. */
  suppressed = 0;
  suppressedTotal = 0;

  constructor(windowMs: number, lines: number) {
    this.windowMs = windowMs;
    this.lines = lines;
  }

  /**
   * May one more line be written at `now`? When a window opens after lines
   * were held back, `pending()` is the count to report before it (then 0).
   */
  take(now: number): boolean {
    if (this.windowStart < 0 || now - this.windowStart >= this.windowMs) {
      this.windowStart = now;
      this.used = 0;
    }
    if (this.used < this.lines) {
      this.used++;
      return true;
    }
    this.suppressed++;
    this.suppressedTotal++;
    return false;
  }

  /** Lines held back since the last report; reading it resets the count. */
  pending(): number {
    const n = this.suppressed;
    this.suppressed = 0;
    return n;
  }
}
