/*
 * The SIP server's DNS name, looked up again when the server stops
 * answering. With an outbound proxy (RFC 3261 §8.1.2) the name followed is
 * the proxy's: every request goes there, so it is the next hop whose
 * failure matters, and the registrar's name is only the SIP domain. A move
 * then also rewrites the Route the REGISTER and the calls' requests carry
 * (register-request.ts registerHead, call/config.ts moveNextHop), so that
 * the proxy at the new address finds itself named there (§16.4) rather
 * than forward to the old one; "server" below means the next hop.
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
 *
 * With SRV records (RFC 3263 §4.2, src/dns/: a ServerFinder instead of the
 * host's A-only resolver) the name gives several servers, each with its
 * port, in the order to try. On a failure the station moves to the next
 * one at once (§4.3), without a lookup; after the last, the name is looked
 * up again (RESOLVE_INTERVAL_MS apart, as above) and the station moves to
 * the first server of the answer, unless it is the one in use. A server is
 * given FAILOVER_GUARD_MS before a failure moves on from it (one outage
 * reports itself several ways: keepalive lost, REGISTER timed out).
 */
import { LogLevel, type LogHost, type ResolverHost } from "../host";

/** At least this long between the starts of two lookups, ms. */
export const RESOLVE_INTERVAL_MS = 60_000;
/** A server moved to is given this long before a failure moves on to the next SRV target, ms. */
export const FAILOVER_GUARD_MS = 10_000;

export interface ServerNameListener {
  /** The name gives `to`:`port` now, not `from` (the address in use until now). */
  onServerMoved(from: string, to: string, port: number): void;
}

/** A server to try: an address and its port (an SRV target's, RFC 2782). */
export interface ServerAddress {
  address: string;
  port: number;
}

/**
 * A lookup of the server's name that gives every server in the order to
 * try (RFC 3263 §4.2: SRV records, else A records): src/dns/dns-finder.ts.
 */
export interface ServerFinder {
  /** `done` gets the servers in order, none when the name gives nothing now. Called once, later. */
  find(name: string, done: (servers: readonly ServerAddress[]) => void): void;
}

export interface ServerNameClock {
  now(): number;
}

const NO_SERVERS: readonly ServerAddress[] = [];

export class ServerName {
  readonly name: string;
  /** The address in use: the host's first lookup's, then the last move's. */
  address: string;
  /** Its port: the configured one, or the SRV target's. */
  port: number;
  /** Lookups asked, answers that moved the station to another address, and answers with no address (diagnostics, tests). */
  lookups = 0;
  moves = 0;
  unresolved = 0;
  /** Moves to the next SRV target after a failure, without a lookup (§4.3). */
  failovers = 0;
  /** The servers the last lookup gave, in order, and which one is in use (-1: `address` is none of them). */
  servers: readonly ServerAddress[] = [];
  serverIndex = -1;

  private readonly resolver: ResolverHost | null;
  private readonly finder: ServerFinder | null;
  /** When the station last moved (for FAILOVER_GUARD_MS); -1: never. */
  private movedAt = -1;
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

  /**
   * `lookup`: the host's A resolver (the port stays `port`), or a finder
   * that gives servers with their ports. `servers`: the host's first
   * lookup's list, `address`:`port` its first (or where the station is).
   */
  constructor(name: string, address: string, lookup: ResolverHost | ServerFinder, clock: ServerNameClock, listener: ServerNameListener, log?: LogHost, port = 5060, servers?: readonly ServerAddress[]) {
    this.name = name;
    this.address = address;
    this.port = port;
    this.resolver = "resolve" in lookup ? lookup : null;
    this.finder = "find" in lookup ? lookup : null;
    if (servers !== undefined) this.setServers(servers);
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

  /**
   * The server seems gone (`why`, for the log): the next server of the
   * last lookup's list (§4.3), or after the last one, look the name up
   * again, unless one was asked less than RESOLVE_INTERVAL_MS ago.
   */
  check(why: string): void {
    if (!this.active) return;
    const now = this.clock.now();
    if (this.movedAt >= 0 && now - this.movedAt < FAILOVER_GUARD_MS) return;
    const next = this.serverIndex + 1;
    if (this.serverIndex >= 0 && next < this.servers.length && !this.busy) {
      const to = this.servers[next]!;
      this.logLine(LogLevel.Warn, "server: " + this.address + ":" + this.port + " of " + this.name + " is not answering (" + why + "); trying the next server, " + to.address + ":" + to.port + " (RFC 3263 §4.3)");
      if (this.moveTo(to.address, to.port)) {
        this.serverIndex = next;
        this.failovers++;
      }
      return;
    }
    if (this.asked >= 0 && now - this.asked < RESOLVE_INTERVAL_MS) return;
    this.asked = now;
    const id = ++this.lookups;
    this.awaited = id;
    this.logLine(LogLevel.Info, "server: looking up " + this.name + " again (" + why + ")");
    try {
      // A callback per lookup (rare: at most one a minute, on failures only) carries its number.
      if (this.finder !== null) this.finder.find(this.name, (servers: readonly ServerAddress[]): void => this.found(id, servers));
      else this.resolver!.resolve(this.name, (address: string): void => this.answered(id, address));
    } catch (e) {
      this.awaited = 0;
      this.logLine(LogLevel.Warn, "server: cannot look up " + this.name + ": " + String(e));
    }
  }

  /** A lookup is under way (asked, not answered, not superseded). */
  get busy(): boolean {
    return this.awaited !== 0;
  }

  /** The servers the name gives (the host's first lookup, or a finder's answer); the one in use is found in it. */
  setServers(servers: readonly ServerAddress[]): void {
    this.servers = servers;
    this.serverIndex = -1;
    for (let i = 0; i < servers.length; i++) {
      if (servers[i]!.address === this.address && servers[i]!.port === this.port) {
        this.serverIndex = i;
        break;
      }
    }
  }

  /** An A resolver's answer: the port stays. */
  private answered(id: number, address: string): void {
    if (typeof address !== "string" || address === "") this.found(id, NO_SERVERS);
    else this.found(id, [{ address, port: this.port }]);
  }

  private found(id: number, servers: readonly ServerAddress[]): void {
    try {
      // Stopped, answered already, or superseded by a later lookup: that one decides.
      if (!this.active || id !== this.awaited) return;
      this.awaited = 0;
      if (servers === null || typeof servers !== "object" || servers.length === 0) {
        this.unresolved++;
        this.logLine(LogLevel.Warn, "server: " + this.name + " does not resolve now; staying at " + this.address);
        return;
      }
      const first = servers[0]!;
      const same = first.address === this.address && first.port === this.port;
      this.servers = servers;
      if (same && !this.incomplete) {
        this.serverIndex = 0;
        this.logLine(LogLevel.Info, "server: " + this.name + " is still " + this.where(first));
        return;
      }
      if (same) this.logLine(LogLevel.Warn, "server: " + this.name + " is " + this.where(first) + ": moving there again (the last move was incomplete)");
      else this.logLine(LogLevel.Warn, "server: " + this.name + " is " + this.where(first) + " now, no longer " + this.where(this)  + ": moving there");
      if (this.moveTo(first.address, first.port)) {
        this.serverIndex = 0;
        if (!same) this.moves++;
      } else {
        this.serverIndex = -1;
      }
    } catch (e) {
      // Called by the host: nothing may escape into its callback.
      this.logLine(LogLevel.Error, "server: " + String(e));
    }
  }

  /** "192.0.2.7", or "192.0.2.7:5070" when servers come with their own ports (SRV). */
  private where(s: ServerAddress): string {
    return this.finder !== null ? s.address + ":" + s.port : s.address;
  }

  /** Tell the listener; false when the move failed part way (then the next answer moves, whatever it is, and the next failure asks at once). */
  private moveTo(address: string, port: number): boolean {
    const from = this.address;
    try {
      this.listener.onServerMoved(from, address, port);
    } catch (e) {
      this.incomplete = true;
      this.asked = -1;
      this.logLine(LogLevel.Error, "server: moving to " + address + " failed: " + String(e));
      return false;
    }
    this.address = address;
    this.port = port;
    this.incomplete = false;
    this.movedAt = this.clock.now();
    return true;
  }

  private logLine(level: LogLevel, text: string): void {
    if (this.log !== undefined) this.log.log(level, text);
  }
}
