/*
 * The SIP server's DNS name, looked up again when the server stops
 * answering.
 *
 * A door station runs for years; the PBX it registers with may not keep its
 * address that long (a home server whose DHCP lease changed, a provider
 * moving its service). The host resolves the configured name once before
 * the core starts, since the UDP socket takes addresses (an A lookup, as
 * RFC 3263 locates a server when a port is given). This looks the name up
 * again through the host's resolver when the server seems gone:
 *   - the keepalive reports it lost, and again at each OPTIONS that goes
 *     unanswered while it stays lost (keepalive.ts), so that a name whose
 *     record changes late (dynamic DNS after a DHCP change) is still
 *     followed, with registration off too;
 *   - a REGISTER got no answer (408 or 503 without a response,
 *     registration.ts), at each backoff step.
 * When the name now gives another address, the listener moves the station
 * there (Intercom.onServerMoved: registration, keepalive, the calls' next
 * hop, the trusted source).
 *
 * Only on failure, never on a schedule nor when the network comes back: a
 * name with several addresses (round-robin DNS) may answer differently each
 * time, and a server that answers is not left for another (RFC 3263, too,
 * moves on to another address only when a server fails). At least
 * RESOLVE_INTERVAL_MS between the starts of two lookups, however many
 * failures come. A lookup still unanswered then is superseded: only the
 * answer to the latest lookup counts, so a slow answer cannot take the
 * station back to an older address. A move that fails (the station could
 * not make what the new address needs: the keepalive, which moves first,
 * changes nothing then, but a later step may fail after it) leaves
 * `address` as it was, the next failure looks the name up again at once,
 * and its answer moves the station whatever it is, the old address too. Calls under
 * way keep their dialog's route (§12.2.1.1): only new requests go to the
 * new address.
 */
import { LogLevel, type LogHost, type ResolverHost } from "../host";

/** At least this long between the starts of two lookups, ms. */
export const RESOLVE_INTERVAL_MS = 60_000;

export interface ServerNameListener {
  /** The name gives `to` now, not `from` (the address in use until now). */
  onServerMoved(from: string, to: string): void;
}

export interface ServerNameClock {
  now(): number;
}

export class ServerName {
  readonly name: string;
  /** The address in use: the host's first lookup's, then the last move's. */
  address: string;
  /** Lookups asked, answers that moved the station to another address, and answers with no address (diagnostics, tests). */
  lookups = 0;
  moves = 0;
  unresolved = 0;

  private readonly resolver: ResolverHost;
  private readonly clock: ServerNameClock;
  private readonly log: LogHost | undefined;
  private readonly listener: ServerNameListener;
  /** When the last lookup was asked (-1: never, or look up at the next failure). */
  private asked = -1;
  /** The number of the latest lookup; 0 when none is awaited (answered, or stopped). */
  private awaited = 0;
  /** The last move failed part way: the next answer moves, even to `address` (some parts may be there already). */
  private incomplete = false;
  private active = false;

  constructor(name: string, address: string, resolver: ResolverHost, clock: ServerNameClock, listener: ServerNameListener, log?: LogHost) {
    this.name = name;
    this.address = address;
    this.resolver = resolver;
    this.clock = clock;
    this.listener = listener;
    this.log = log;
  }

  /** Looking up is allowed from start() to stop(); an answer that comes after stop() is ignored. */
  start(): void {
    this.active = true;
    // A lookup dropped by stop() must not hold the next one back.
    this.asked = -1;
  }

  stop(): void {
    this.active = false;
    this.awaited = 0;
  }

  /** The server seems gone (`why`, for the log): look its name up again, unless one was asked less than RESOLVE_INTERVAL_MS ago. */
  check(why: string): void {
    if (!this.active) return;
    const now = this.clock.now();
    if (this.asked >= 0 && now - this.asked < RESOLVE_INTERVAL_MS) return;
    this.asked = now;
    const id = ++this.lookups;
    this.awaited = id;
    this.logLine(LogLevel.Info, "server: looking up " + this.name + " again (" + why + ")");
    try {
      // A callback per lookup (rare: at most one a minute, on failures only) carries its number.
      this.resolver.resolve(this.name, (address: string): void => this.answered(id, address));
    } catch (e) {
      this.awaited = 0;
      this.logLine(LogLevel.Warn, "server: cannot look up " + this.name + ": " + String(e));
    }
  }

  /** A lookup is under way (asked, not answered, not superseded). */
  get busy(): boolean {
    return this.awaited !== 0;
  }

  private answered(id: number, address: string): void {
    try {
      // Stopped, answered already, or superseded by a later lookup: that one decides.
      if (!this.active || id !== this.awaited) return;
      this.awaited = 0;
      if (typeof address !== "string" || address === "") {
        this.unresolved++;
        this.logLine(LogLevel.Warn, "server: " + this.name + " does not resolve now; staying at " + this.address);
        return;
      }
      if (address === this.address && !this.incomplete) {
        this.logLine(LogLevel.Info, "server: " + this.name + " is still " + address);
        return;
      }
      const from = this.address;
      if (address === from) this.logLine(LogLevel.Warn, "server: " + this.name + " is " + address + ": moving there again (the last move was incomplete)");
      else this.logLine(LogLevel.Warn, "server: " + this.name + " is " + address + " now, no longer " + from + ": moving there");
      try {
        this.listener.onServerMoved(from, address);
      } catch (e) {
        // Not (all) moved: the next answer moves, whatever it is (any part that did move can be moved again), and the next failure asks at once.
        this.incomplete = true;
        this.asked = -1;
        this.logLine(LogLevel.Error, "server: moving to " + address + " failed: " + String(e));
        return;
      }
      this.address = address;
      this.incomplete = false;
      if (address !== from) this.moves++;
    } catch (e) {
      // Called by the host: nothing may escape into its callback.
      this.logLine(LogLevel.Error, "server: " + String(e));
    }
  }

  private logLine(level: LogLevel, text: string): void {
    if (this.log !== undefined) this.log.log(level, text);
  }
}
