/*
 * Trusted sources: who may call the door. A door station answers calls by
 * itself and opens a door on a DTMF code, so a call from anyone who can
 * reach its UDP port ("ghost calls" from scanners, toll-fraud bots, or a
 * neighbour on the same network) must not get that far. Desk phones defend
 * the same way ("accept calls from the proxy only").
 *
 * The requests that start or steer a session, INVITE, INFO, MESSAGE and
 * REFER (and UPDATE, which changes the media like a re-INVITE), are taken
 * only from:
 *   - the registrar and the outbound proxy, by the address and port the
 *     transport reports (the host resolves names first);
 *   - the entries of the allowlist (addresses, address:port, IPv4 ranges);
 *   - with no server configured (peer-to-peer use) and no allowlist: the
 *     local networks (loopback, RFC 1918, link-local; see ipv4.ts);
 *   - inside an existing dialog (a To tag that matches one), the peer the
 *     dialog sends its own requests to (RFC 3261 §12.2.1.1: the remote
 *     target, when the proxy did not record-route): a dialog exists only
 *     for a call that was itself let in, or placed by us.
 * Everything else is answered 403 "Forbidden - Untrusted Source"
 * statelessly, or dropped (configurable), before any server transaction is
 * taken, counted, and logged at a limited rate. OPTIONS, BYE, CANCEL, ACK,
 * PRACK and the rest pass: they cannot start a call or reach the relay, and
 * OPTIONS from anywhere helps monitoring.
 *
 * Requests from known SIP scanners (scanner.ts) are dropped whatever their
 * method or source.
 *
 * Per request nothing is allocated while the source address stays the same
 * (its IPv4 value and class are cached per address string); a log line is
 * made only when the rate limit lets one through.
 */
import { LogLevel, type LogHost, type RandomHost } from "../../host";
import type { SipMessage } from "../../sip/message/message";
import { Method } from "../../sip/message/method";
import type { SipWriter } from "../../sip/message/writer";
import { type RequestScreen, ScreenVerdict } from "../../sip/transaction/api";
import { DEFAULT_SIP_PORT, portOr, type AccountConfig } from "../account";
import { isLocalIpv4, isLocalIpv6, parseIpv4 } from "./ipv4";
import { LogLimiter } from "./log-limiter";
import { scannerIndex, scannerName } from "./scanner";
import { SourceList } from "./source-list";
import { StatelessReject } from "./stateless-reject";
import { type TrustSettings, UntrustedAction } from "./trust-settings";

/** The user agent's view of its dialogs, for in-dialog requests sent straight by the peer. */
export interface DialogPeers {
  /** Does msg belong to an active dialog whose next hop is `address`? */
  isDialogPeer(msg: SipMessage, address: string): boolean;
}

export interface TrustClock {
  now(): number;
}

/** Monotonic counters, read by the application, tests and the heap line. */
export class TrustCounters {
  /** Requests from untrusted sources answered 403. */
  rejected = 0;
  /** Requests from untrusted sources dropped. */
  dropped = 0;
  /** Requests from SIP scanners dropped. */
  scanners = 0;
  /** Requests from untrusted sources let in because acceptAny is set. */
  acceptedUntrusted = 0;
}

export interface TrustPolicyOptions {
  account: AccountConfig;
  settings?: TrustSettings;
  random: RandomHost;
  clock: TrustClock;
  log?: LogHost;
}

/** Log lines about untrusted requests and scanners: at most 5 a minute. */
const LOG_WINDOW_MS = 60_000;
const LOG_LINES = 5;
const MAPPED_V4 = "::ffff:";

export class TrustPolicy implements RequestScreen {
  readonly counters = new TrustCounters();
  readonly action: UntrustedAction;
  readonly acceptAny: boolean;
  readonly dropScanners: boolean;
  /** The dialogs (the user agent), once built. */
  peers: DialogPeers | null = null;

  private readonly serverAddresses: string[] = [];
  private readonly serverPorts: number[] = [];
  private readonly allow: SourceList;
  private readonly reject: StatelessReject;
  private readonly limiter = new LogLimiter(LOG_WINDOW_MS, LOG_LINES);
  private readonly clock: TrustClock;
  private readonly log: LogHost | undefined;
  /** The last source address seen, and what it is. */
  private lastAddress = "\u0000";
  private canonical = "";
  private v4 = -1;
  private local = false;

  constructor(o: TrustPolicyOptions) {
    const s = o.settings ?? {};
    this.action = s.untrusted === UntrustedAction.Drop ? UntrustedAction.Drop : UntrustedAction.Reject;
    this.acceptAny = s.acceptAny === true;
    this.dropScanners = s.dropScanners !== false;
    this.clock = o.clock;
    this.log = o.log;
    this.reject = new StatelessReject(o.random);
    this.allow = new SourceList(s.allow);
    for (let i = 0; i < this.allow.errors.length; i++) this.warn("trust: allowlist entry ignored: " + this.allow.errors[i]!);
    const a = o.account;
    this.addServer(a.registrarHost, portOr(a.registrarPort, DEFAULT_SIP_PORT));
    if (a.outboundProxyHost !== undefined) this.addServer(a.outboundProxyHost, portOr(a.outboundProxyPort, DEFAULT_SIP_PORT));
  }

  /** With no server and no allowlist, the local networks are trusted. */
  get localDefault(): boolean {
    return this.serverAddresses.length === 0 && this.allow.size === 0;
  }

  /** One line for the start-up log: who is trusted. */
  describe(): string {
    let who = "";
    for (let i = 0; i < this.serverAddresses.length; i++) who += (who !== "" ? ", " : "") + this.serverAddresses[i]! + ":" + this.serverPorts[i]!;
    if (this.allow.size > 0) who += (who !== "" ? ", " : "") + this.allow.size + " allowlist entr" + (this.allow.size === 1 ? "y" : "ies");
    if (this.localDefault) who = "the local networks (no server, no allowlist)";
    return "trust: calls, INFO, MESSAGE and REFER accepted: " + who + (this.acceptAny ? "; others accepted too (acceptAny), without the door code" : "; others " + (this.action === UntrustedAction.Drop ? "dropped" : "get 403")) +
      (this.dropScanners ? "; SIP scanners dropped" : "");
  }

  /** Is a datagram from address:port from a trusted source (server, allowlist, or the local default)? */
  isTrusted(address: string, port: number): boolean {
    const servers = this.serverAddresses;
    // The server as the transport reports it: string comparison only, nothing parsed.
    for (let i = 0; i < servers.length; i++) if (servers[i] === address && this.serverPorts[i] === port) return true;
    this.classify(address);
    const a = this.canonical;
    if (a !== address) for (let i = 0; i < servers.length; i++) if (servers[i] === a && this.serverPorts[i] === port) return true;
    if (this.allow.size > 0) return this.allow.matches(a, port, this.v4);
    return servers.length === 0 && this.local;
  }

  // ---- RequestScreen ---------------------------------------------------------

  screen(msg: SipMessage, address: string, port: number): ScreenVerdict {
    if (this.dropScanners) {
      const k = scannerIndex(msg);
      if (k >= 0) {
        this.counters.scanners++;
        if (this.mayLog()) this.warn("trust: dropped " + msg.methodString() + " sent by " + address + ":" + port + " (SIP scanner, User-Agent " + scannerName(k) + ")");
        return ScreenVerdict.Drop;
      }
    }
    if (!guarded(msg.method)) return ScreenVerdict.Pass;
    if (this.isTrusted(address, port)) return ScreenVerdict.Pass;
    const to = msg.to;
    if (to.error < 0 && to.tagLen > 0 && this.peers !== null && this.peers.isDialogPeer(msg, address)) return ScreenVerdict.Pass;
    if (this.acceptAny) {
      this.counters.acceptedUntrusted++;
      return ScreenVerdict.Pass;
    }
    const drop = this.action === UntrustedAction.Drop;
    if (drop) this.counters.dropped++;
    else this.counters.rejected++;
    if (this.mayLog()) this.warn("trust: " + (drop ? "dropped " : "403 to ") + msg.methodString() + " sent by " + address + ":" + port + " (untrusted source)");
    return drop ? ScreenVerdict.Drop : ScreenVerdict.Reject;
  }

  writeRejection(w: SipWriter, msg: SipMessage): boolean {
    return this.reject.write(w, msg, null);
  }

  // ---- internals ---------------------------------------------------------------

  private addServer(host: string, port: number): void {
    if (host === "") return;
    const h = host.charAt(0) === "[" ? host.substring(1, host.length - 1) : host;
    if (parseIpv4(h) < 0 && h.indexOf(":") < 0) {
      this.warn("trust: the server \"" + h + "\" is a name, not an address: requests from it are recognised only if the host resolved it (or add its address to the allowlist)");
    }
    this.serverAddresses.push(h.indexOf(":") >= 0 ? h.toLowerCase() : h);
    this.serverPorts.push(port);
  }

  /** Parse the source address once per new address: reading a string's characters allocates in XS. */
  private classify(address: string): void {
    if (address === this.lastAddress) return;
    this.lastAddress = address;
    // A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2).
    let a = address;
    if (a.length > MAPPED_V4.length && a.substring(0, MAPPED_V4.length).toLowerCase() === MAPPED_V4 && parseIpv4(a.substring(MAPPED_V4.length)) >= 0) a = a.substring(MAPPED_V4.length);
    else if (a.indexOf(":") >= 0) a = a.toLowerCase();
    this.canonical = a;
    this.v4 = parseIpv4(a);
    this.local = this.v4 >= 0 ? isLocalIpv4(this.v4) : isLocalIpv6(a);
  }

  private mayLog(): boolean {
    if (this.log === undefined || !this.limiter.take(this.clock.now())) return false;
    const held = this.limiter.pending();
    if (held > 0) this.warn("trust: " + held + " more requests from untrusted sources or scanners were not logged");
    return true;
  }

  private warn(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Warn, text);
  }
}

/** The methods that start or steer a session, or reach the application. */
function guarded(method: Method): boolean {
  return method === Method.INVITE || method === Method.INFO || method === Method.MESSAGE || method === Method.REFER || method === Method.UPDATE;
}
