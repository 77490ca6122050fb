/*
 * Limits on what a client of the settings page may hold of the device.
 *
 * The SDK's HTTP server (modules/network/http/http.js, Server) takes any
 * number of connections, keeps a header line that has no newline yet in
 * its Request (`this.line`, joined to each new read, with no bound) and
 * has no timeout. On a LAN anyone can open port 80: a header line of
 * 100 kB, a hundred idle connections or one that sends a byte a minute
 * (slowloris) would take the ESP32's heap, about 100 KB for the whole
 * application, and the door would stop answering calls. The settings page
 * must never cost the door its SIP side, so server.ts holds every
 * connection to these limits, decided here:
 *   - MAX_CONNECTIONS at once. A new one over the limit first takes the
 *     place of the oldest connection that has not sent a request line yet
 *     (a browser opens spare connections it may never use), else it is
 *     closed at once.
 *   - DEADLINE_MS from the connection to its response's last byte; then it
 *     is closed, whatever it is doing (a slow request, or a body the SDK
 *     reads and drops: a Content-Length of a gigabyte).
 *   - MAX_LINE bytes of a header line still without its newline, and
 *     MAX_HEADERS header lines: then it is closed.
 * The counts and a log line at most every LOG_INTERVAL_MS say what was
 * turned away.
 *
 * Pure TypeScript, no SDK module: tested on Node (test/web-guard.test.ts);
 * server.ts does the closing through the SDK's own path.
 */

/** Connections at once: a browser's page load and a spare, and one more for a second user. */
export const MAX_CONNECTIONS = 3;
/** From connection to the response's end, ms: a request of the page's size takes well under a second on a LAN. */
export const DEADLINE_MS = 10_000;
/** A header line without its newline yet, bytes: a Digest Authorization with a long user and URI is under 400. */
export const MAX_LINE = 1024;
/** Header lines of one request: a browser sends about 15. */
export const MAX_HEADERS = 48;
/** At most one log line about turned-away connections this often, ms. */
export const LOG_INTERVAL_MS = 60_000;

/** What the guard needs to know of a connection. */
export interface Guarded {
  /** When it was accepted (ms, the host's clock). */
  readonly openedAt: number;
  /** No request line yet: nothing is lost by closing it. */
  readonly idle: boolean;
}

export type Admission<C> =
  | { readonly kind: "accept" }
  | { readonly kind: "evict"; readonly victim: C }
  | { readonly kind: "refuse" };

export const enum Overrun {
  None = 0,
  /** A header line without its newline is longer than MAX_LINE. */
  Line = 1,
  /** More than MAX_HEADERS header lines. */
  Headers = 2,
}

export class ConnectionGuard<C extends Guarded> {
  /** Connections closed at once, for want of room. */
  refused = 0;
  /** Idle connections closed to make room for a new one. */
  evicted = 0;
  /** Connections closed at their deadline. */
  expired = 0;
  /** Connections closed for a header line or header count over the limits. */
  overruns = 0;
  private readonly open: C[] = [];
  private loggedAt = -Infinity;
  private unlogged = 0;

  /** Connections held now. */
  get size(): number {
    return this.open.length;
  }

  /**
   * A new connection: accepted, or accepted in place of an idle one (which the caller closes and releases), or
   * refused (the caller closes it; it is not held).
   */
  admit(c: C): Admission<C> {
    if (this.open.length < MAX_CONNECTIONS) {
      this.open.push(c);
      return { kind: "accept" };
    }
    for (let i = 0; i < this.open.length; i++) {
      const old = this.open[i]!;
      if (!old.idle) continue;
      this.open.splice(i, 1);
      this.open.push(c);
      this.evicted++;
      this.unlogged++;
      return { kind: "evict", victim: old };
    }
    this.refused++;
    this.unlogged++;
    return { kind: "refuse" };
  }

  /** The connection ended (answered, lost or closed here): no longer held. Releasing one not held changes nothing. */
  release(c: C): void {
    const i = this.open.indexOf(c);
    if (i >= 0) this.open.splice(i, 1);
  }

  /** Is the connection past its deadline at `now`? Counted once, when it is. */
  expiredAt(c: C, now: number): boolean {
    if (now - c.openedAt < DEADLINE_MS) return false;
    this.expired++;
    this.unlogged++;
    return true;
  }

  /** After the SDK read what came: the partial header line's length and the header lines so far. */
  overrun(partialLine: number, headers: number): Overrun {
    const o = partialLine > MAX_LINE ? Overrun.Line : headers > MAX_HEADERS ? Overrun.Headers : Overrun.None;
    if (o !== Overrun.None) {
      this.overruns++;
      this.unlogged++;
    }
    return o;
  }

  /**
   * A log line about what was turned away since the last one, at most every LOG_INTERVAL_MS; "" when there is
   * nothing new or it is too soon.
   */
  report(now: number): string {
    if (this.unlogged === 0 || now - this.loggedAt < LOG_INTERVAL_MS) return "";
    this.loggedAt = now;
    this.unlogged = 0;
    return `web: connections turned away: ${this.refused} refused (over ${MAX_CONNECTIONS} at once), ${this.evicted} idle closed for a new one, ` +
      `${this.expired} past ${DEADLINE_MS / 1000} s, ${this.overruns} over the header limits (${MAX_LINE}-byte line, ${MAX_HEADERS} lines)`;
  }
}
