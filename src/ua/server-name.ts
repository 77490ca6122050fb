/*
 * The SIP server's DNS name, looked up again when the server stops
 * answering.
 *
 * A door station runs for years; the PBX it registers with may not keep its
 * address that long (a home server whose DHCP lease changed, a provider
 * moving its service). The host resolves the configured name once before
 * the core starts, since the UDP socket takes addresses (an A lookup, as
 * RFC 3263 locates a server when a port is given). This looks the
 * name up again through the host's resolver when the server seems gone:
 *   - the keepalive reports it lost (keepalive.ts);
 *   - a REGISTER got no answer (408 or 503 without a response,
 *     registration.ts);
 *   - the network came back (the device may be on another network).
 * When the name now gives another address, the listener moves the station
 * there (Intercom.onServerMoved: registration, keepalive, the calls' next
 * hop, the trusted source).
 *
 * Only on failure, never on a schedule: a name with several addresses
 * (round-robin DNS) may answer differently each time, and a server that
 * answers is not left for another (RFC 3263, too, moves on to another
 * address only when a server fails). At most one lookup at a time, and RESOLVE_INTERVAL_MS at
 * least between the starts of two, however many failures come (a dead
 * server makes one each backoff step); a lookup the host never answers is
 * given up after that long. Calls under way keep their dialog's route
 * (§12.2.1.1): only new requests go to the new address.
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
  /** Lookups asked, answers that moved the server, and answers with no address (diagnostics, tests). */
  lookups = 0;
  moves = 0;
  unresolved = 0;

  private readonly resolver: ResolverHost;
  private readonly clock: ServerNameClock;
  private readonly log: LogHost | undefined;
  private readonly listener: ServerNameListener;
  /** When the last lookup was asked (-1: never). */
  private asked = -1;
  private pending = false;
  private active = false;
  /** The host's callback, made once (a closure per lookup would be a new object each time). */
  private readonly done: (address: string) => void;

  constructor(name: string, address: string, resolver: ResolverHost, clock: ServerNameClock, listener: ServerNameListener, log?: LogHost) {
    this.name = name;
    this.address = address;
    this.resolver = resolver;
    this.clock = clock;
    this.listener = listener;
    this.log = log;
    this.done = (a: string): void => this.answered(a);
  }

  /** Looking up is allowed from start() to stop(); an answer that comes after stop() is ignored. */
  start(): void {
    this.active = true;
  }

  stop(): void {
    this.active = false;
  }

  /** The server seems gone (`why`, for the log): look its name up again, unless one was asked less than RESOLVE_INTERVAL_MS ago. */
  check(why: string): void {
    if (!this.active) return;
    const now = this.clock.now();
    if (this.asked >= 0 && now - this.asked < RESOLVE_INTERVAL_MS) return;
    this.asked = now;
    this.pending = true;
    this.lookups++;
    this.logLine(LogLevel.Info, "server: looking up " + this.name + " again (" + why + ")");
    try {
      this.resolver.resolve(this.name, this.done);
    } catch (e) {
      this.pending = false;
      this.logLine(LogLevel.Warn, "server: cannot look up " + this.name + ": " + String(e));
    }
  }

  /** A lookup is under way (asked, not answered yet). */
  get busy(): boolean {
    return this.pending;
  }

  private answered(address: string): void {
    try {
      this.pending = false;
      if (!this.active) return;
      if (typeof address !== "string" || address === "") {
        this.unresolved++;
        this.logLine(LogLevel.Warn, "server: " + this.name + " does not resolve now; staying at " + this.address);
        return;
      }
      if (address === this.address) {
        this.logLine(LogLevel.Info, "server: " + this.name + " is still " + address);
        return;
      }
      const from = this.address;
      this.address = address;
      this.moves++;
      this.logLine(LogLevel.Warn, "server: " + this.name + " is " + address + " now, no longer " + from + ": moving there");
      this.listener.onServerMoved(from, address);
    } catch (e) {
      // Called by the host: nothing may escape into its callback.
      this.logLine(LogLevel.Error, "server: " + String(e));
    }
  }

  private logLine(level: LogLevel, text: string): void {
    if (this.log !== undefined) this.log.log(level, text);
  }
}
