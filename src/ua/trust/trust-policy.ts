/*
 * Trusted sources: who may call the door. A door station answers calls by
 * itself and opens a door on a DTMF code, so a call from anyone who can
 * reach its UDP port ("ghost calls" from scanners, toll-fraud bots, or a
 * neighbour on the same network) must not get that far. Desk phones defend
 * the same way ("accept calls from the proxy only").
 *
 * The requests that start or steer a session, INVITE, INFO, MESSAGE and
 * REFER (and UPDATE, which changes the media like a re-INVITE, and an ACK
 * with a body, which carries the SDP answer to the door's offer), are
 * taken only from:
 *   - the registrar and the outbound proxy, by the address and port the
 *     transport reports (the host resolves names first);
 *   - the entries of the allowlist (addresses, address:port, IPv4 ranges);
 *   - with no server configured (peer-to-peer use) and no allowlist: the
 *     local networks (loopback, RFC 1918, link-local; see ipv4.ts);
 *   - inside an existing dialog (a To tag that matches one), the peer the
 *     dialog sends its own requests to (RFC 3261 §12.2.1.1: the remote
 *     target, when the proxy did not record-route): a dialog exists only
 *     for a call that was itself let in, or placed by us.
 * With acceptAny (accept_from=any) these pass from anyone too, except in
 * the dialog of a trusted call, where the rule above holds still: a
 * stranger may call the door, not type into someone else's call.
 * Everything else is answered 403 "Forbidden - Untrusted Source"
 * statelessly, or dropped (configurable), before any server transaction is
 * taken, counted, and logged at a limited rate. With "reject", OPTIONS,
 * BYE, CANCEL, ACK without a body, PRACK and the rest pass: they cannot start a call or
 * reach the relay, and OPTIONS from anywhere helps monitoring. With "drop",
 * the door promises a stranger silence (trust-settings.ts), so a request of
 * any method from an untrusted source outside a dialog (no To tag: an
 * OPTIONS or REGISTER probe, SIPVicious's svmap with its User-Agent left
 * out) is dropped too, and counted as dropped, and so is one whose To tag
 * names no live dialog (a 481 would tell the stranger as much); a request of
 * a live dialog passes from any source, as a peer that moved (a NAT) must
 * still reach its dialog. A CANCEL of an INVITE the door holds never comes
 * here: the transaction layer lets it pass first (layer.ts,
 * cancelsHeldInvite), whatever socket it comes from.
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
import { TAG_LENGTH } from "../../sip/ids";
import { DEFAULT_SIP_PORT, portOr, type AccountConfig } from "../account";
import { isLocalIpv4, isLocalIpv6, parseIpv4 } from "./ipv4";
import { limiterPending, limiterTake } from "./log-limiter";
import { scannerIndex, scannerName } from "./scanner";
import { SourceList } from "./source-list";
import { writeStatelessReject } from "./stateless-reject";
import { type TrustSettings, UntrustedAction } from "./trust-settings";

/** The user agent's view of its dialogs, for in-dialog requests sent straight by the peer. */
export interface DialogPeers {
  /** Does msg belong to an active dialog whose next hop is `address`? */
  isDialogPeer(msg: SipMessage, address: string): boolean;
  /** Does msg belong to an active dialog (Call-ID and tags), from wherever it comes? */
  hasDialog(msg: SipMessage): boolean;
  /** Does msg belong to an active dialog of a call from a trusted source, or one we placed? */
  isTrustedDialog(msg: SipMessage): boolean;
}

export interface TrustClock {
  now(): number;
}

/**
 * The policy's numbers, in one Float64Array (issue #9, idle heap: in XS a
 * property is a heap slot); the To tag of a stateless 403 is made in the
 * bytes after them. Flags are 0/1.
 */
const enum T {
  /** An UntrustedAction. */
  Action = 0,
  AcceptAny = 1,
  DropScanners = 2,
  /** The last source address's parseIpv4() value (-1: not IPv4), and 1 when it is local. */
  V4 = 3,
  Local = 4,
  /**
   * The servers' ports (registrar, outbound proxy), beside server0/server1;
   * 0: no such server. Tested instead of the strings: in XS a string
   * literal in a comparison is made anew each time (a chunk per request).
   */
  Port0 = 5,
  Port1 = 6,
  /** TrustCounters. */
  Rejected = 7,
  Dropped = 8,
  Scanners = 9,
  AcceptedUntrusted = 10,
  /** The key of the stateless 403's To tags (stateless-reject.ts). */
  Key1 = 11,
  Key2 = 12,
  /** The log limiter's LimiterNum.Size numbers (log-limiter.ts). */
  Limiter = 13,
  Count = 17, // Limiter + LimiterNum.Size (log-limiter.ts)
}

/** Monotonic counters, read by the application, tests and the heap line: getters over the policy's numbers. */
export class TrustCounters {
  private readonly n: Float64Array;

  constructor(n: Float64Array) {
    this.n = n;
  }

  /** Requests from untrusted sources answered 403. */
  get rejected(): number {
    return this.n[T.Rejected]!;
  }

  /** Requests from untrusted sources dropped. */
  get dropped(): number {
    return this.n[T.Dropped]!;
  }

  /** Requests from SIP scanners dropped. */
  get scanners(): number {
    return this.n[T.Scanners]!;
  }

  /** Requests from untrusted sources let in because acceptAny is set. */
  get acceptedUntrusted(): number {
    return this.n[T.AcceptedUntrusted]!;
  }
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
  readonly counters: TrustCounters;
  /** The dialogs (the user agent), once built. */
  peers: DialogPeers | null = null;

  private readonly n: Float64Array;
  /** The stateless 403's To tag, in n's buffer after the numbers. */
  private readonly tag: Uint8Array;
  /** The registrar's and the outbound proxy's addresses ("" when none; ports in n): two strings, not two arrays. */
  private server0: string;
  private server1: string;
  /** Made only when an allowlist is configured. */
  private readonly allow: SourceList | null;
  private readonly clock: TrustClock;
  private readonly log: LogHost | undefined;
  /** The last source address seen, and what it is (its IPv4 value and class in n). */
  private lastAddress = "\u0000";
  private canonical = "";

  constructor(o: TrustPolicyOptions) {
    const s = o.settings ?? {};
    const store = new ArrayBuffer(T.Count * 8 + TAG_LENGTH);
    const n = new Float64Array(store, 0, T.Count);
    this.n = n;
    this.tag = new Uint8Array(store, T.Count * 8, TAG_LENGTH);
    this.counters = new TrustCounters(n);
    n[T.Action] = s.untrusted === UntrustedAction.Drop ? UntrustedAction.Drop : UntrustedAction.Reject;
    n[T.AcceptAny] = s.acceptAny === true ? 1 : 0;
    n[T.DropScanners] = s.dropScanners !== false ? 1 : 0;
    n[T.V4] = -1;
    this.clock = o.clock;
    this.log = o.log;
    n[T.Key1] = o.random.u32() | 0;
    n[T.Key2] = o.random.u32() | 0;
    const allow = s.allow !== undefined && s.allow.length > 0 ? new SourceList(s.allow) : null;
    if (allow !== null) for (let i = 0; i < allow.errors.length; i++) this.warn("trust: allowlist entry ignored: " + allow.errors[i]!);
    this.allow = allow !== null && allow.size > 0 ? allow : null;
    const a = o.account;
    const server0 = serverAddress(a.registrarHost);
    const server1 = a.outboundProxyHost !== undefined ? serverAddress(a.outboundProxyHost) : "";
    n[T.Port0] = server0 !== "" ? portOr(a.registrarPort, DEFAULT_SIP_PORT) : 0;
    n[T.Port1] = server1 !== "" ? portOr(a.outboundProxyPort, DEFAULT_SIP_PORT) : 0;
    this.server0 = server0;
    this.server1 = server1;
    if (server0 !== "") this.warnIfName(server0);
    if (server1 !== "") this.warnIfName(server1);
  }

  get action(): UntrustedAction {
    return this.n[T.Action]! as UntrustedAction;
  }

  get acceptAny(): boolean {
    return this.n[T.AcceptAny] === 1;
  }

  get dropScanners(): boolean {
    return this.n[T.DropScanners] === 1;
  }

  /** With no server and no allowlist, the local networks are trusted. */
  get localDefault(): boolean {
    return this.n[T.Port0] === 0 && this.n[T.Port1] === 0 && this.allow === null;
  }

  /** One line for the start-up log: who is trusted. */
  describe(): string {
    let who = "";
    if (this.server0 !== "") who = this.server0 + ":" + this.n[T.Port0]!;
    if (this.server1 !== "") who += (who !== "" ? ", " : "") + this.server1 + ":" + this.n[T.Port1]!;
    const size = this.allow !== null ? this.allow.size : 0;
    if (size > 0) who += (who !== "" ? ", " : "") + size + " allowlist entr" + (size === 1 ? "y" : "ies");
    if (this.localDefault) who = "the local networks (no server, no allowlist)";
    return "trust: calls, INFO, MESSAGE and REFER accepted: " + who + (this.acceptAny ? "; others accepted too (acceptAny), without the door code" : "; others " + (this.action === UntrustedAction.Drop ? "dropped" : "get 403")) +
      (this.dropScanners ? "; SIP scanners dropped" : "");
  }

  /** Is a datagram from address:port from a trusted source (server, allowlist, or the local default)? */
  isTrusted(address: string, port: number): boolean {
    // The server as the transport reports it: string comparison only, nothing parsed.
    if (this.isServer(address, port)) return true;
    this.classify(address);
    const a = this.canonical;
    if (a !== address && this.isServer(a, port)) return true;
    if (this.allow !== null) return this.allow.matches(a, port, this.n[T.V4]!);
    return this.n[T.Port0] === 0 && this.n[T.Port1] === 0 && this.n[T.Local] === 1;
  }

  /**
   * Is `host` (an address, as a URI names it without brackets) the registrar's or the outbound proxy's address, on any
   * port? IPv6 in any case and a dual-stack ::ffff: form count (user-agent.ts ownTarget: where a 3xx may not lead).
   */
  isServerHost(host: string): boolean {
    if (this.serverAt(host)) return true;
    this.classify(host);
    return this.serverAt(this.canonical);
  }

  /** Is `address` the registrar's or the outbound proxy's (a port of 0: no such server)? Numbers, then strings. */
  private serverAt(address: string): boolean {
    const n = this.n;
    return (n[T.Port0] !== 0 && this.server0 === address) || (n[T.Port1] !== 0 && this.server1 === address);
  }

  // ---- RequestScreen ---------------------------------------------------------

  screen(msg: SipMessage, address: string, port: number): ScreenVerdict {
    const n = this.n;
    if (n[T.DropScanners] === 1) {
      const k = scannerIndex(msg);
      if (k >= 0) {
        n[T.Scanners]!++;
        if (this.mayLog()) this.warn("trust: dropped " + msg.methodString() + " sent by " + address + ":" + port + " (SIP scanner, User-Agent " + scannerName(k) + ")");
        return ScreenVerdict.Drop;
      }
    }
    const drop = n[T.Action] === UntrustedAction.Drop;
    const guard = guarded(msg);
    // With "reject" the other methods pass; with "drop" they are screened too: silent to strangers (the file's header).
    if (!guard && !drop) return ScreenVerdict.Pass;
    if (this.isTrusted(address, port)) return ScreenVerdict.Pass;
    const to = msg.to;
    if (to.error < 0 && to.tagLen > 0 && this.inDialog(msg, address, guard)) return ScreenVerdict.Pass;
    // acceptAny lets anyone call the door, not act in the calls the trust let in: a guarded request copied into the
    // dialog of a trusted call (its Call-ID and tags seen on the network) from elsewhere than that dialog's peer
    // would type the door code, move the media or transfer in that call, so it is turned away as above.
    if (n[T.AcceptAny] === 1 && !(guard && to.error < 0 && to.tagLen > 0 && this.peers !== null && this.peers.isTrustedDialog(msg))) {
      if (guard) n[T.AcceptedUntrusted]!++;
      return ScreenVerdict.Pass;
    }
    if (drop) n[T.Dropped]!++;
    else n[T.Rejected]!++;
    if (this.mayLog()) this.warn("trust: " + (drop ? "dropped " : "403 to ") + msg.methodString() + " sent by " + address + ":" + port + (guard ? " (untrusted source)" : " (untrusted source, outside a dialog)"));
    return drop ? ScreenVerdict.Drop : ScreenVerdict.Reject;
  }

  /**
   * Does msg (with a To tag) belong to a live dialog? For INVITE, INFO,
   * MESSAGE, REFER and UPDATE only from the peer the dialog sends its own
   * requests to; for the other methods from anywhere, as a peer behind a NAT
   * may move and a made-up tag matches nothing. With no user agent to ask,
   * the first no and the others yes.
   */
  private inDialog(msg: SipMessage, address: string, guard: boolean): boolean {
    const p = this.peers;
    if (p === null) return !guard;
    return guard ? p.isDialogPeer(msg, address) : p.hasDialog(msg);
  }

  writeRejection(w: SipWriter, msg: SipMessage): boolean {
    return writeStatelessReject(w, msg, this.tag, this.n[T.Key1]!, this.n[T.Key2]!);
  }

  /**
   * The next hop moved to `to` (src/ua/server-name.ts): the outbound proxy
   * when there is one (its name is the one followed then), else the
   * registrar. Its requests come from there now, and the old address is no
   * longer trusted as the server. Doing it twice changes nothing.
   */
  moveServer(to: string, port?: number): void {
    // The server's requests come from its SRV target's port (RFC 3263 §4.2) now; without one the port stays.
    const p = port !== undefined && port > 0 ? port : 0;
    if (this.server1 !== "") {
      this.server1 = serverAddress(to);
      if (p > 0) this.n[T.Port1] = p;
      return;
    }
    if (this.server0 === "") return;
    this.server0 = serverAddress(to);
    if (p > 0) this.n[T.Port0] = p;
  }

  // ---- internals ---------------------------------------------------------------

  private isServer(address: string, port: number): boolean {
    const n = this.n;
    return (n[T.Port0] === port && this.server0 === address) || (n[T.Port1] === port && this.server1 === address);
  }

  /** `host` as serverAddress() gives it (no brackets). */
  private warnIfName(host: string): void {
    if (parseIpv4(host) < 0 && host.indexOf(":") < 0) {
      this.warn("trust: the server \"" + host + "\" is a name, not an address: requests from it are recognised only if the host resolved it (or add its address to the allowlist)");
    }
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
    const v4 = parseIpv4(a);
    this.n[T.V4] = v4;
    this.n[T.Local] = (v4 >= 0 ? isLocalIpv4(v4) : isLocalIpv6(a)) ? 1 : 0;
  }

  private mayLog(): boolean {
    if (this.log === undefined || !limiterTake(this.n, T.Limiter, this.clock.now(), LOG_WINDOW_MS, LOG_LINES)) return false;
    const held = limiterPending(this.n, T.Limiter);
    if (held > 0) this.warn("trust: " + held + " more requests from untrusted sources or scanners were not logged");
    return true;
  }

  private warn(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Warn, text);
  }
}

/** A server's address as the transport reports it: without brackets, IPv6 in lower case; "" for none. */
function serverAddress(host: string): string {
  if (host === "") return "";
  const h = host.charAt(0) === "[" ? host.substring(1, host.length - 1) : host;
  return h.indexOf(":") >= 0 ? h.toLowerCase() : h;
}

/**
 * The requests that start or steer a session, or reach the application: INVITE, INFO, MESSAGE, REFER, UPDATE, and an
 * ACK with a body, which carries the SDP answer when the door's 2xx made the offer (§13.2.1): from a stranger it would
 * send the call's audio elsewhere. (A PRACK's body is never read: the door's reliable 180 carries no offer.)
 */
function guarded(msg: SipMessage): boolean {
  const method = msg.method;
  if (method === Method.ACK) return msg.bodyLen > 0;
  return method === Method.INVITE || method === Method.INFO || method === Method.MESSAGE || method === Method.REFER || method === Method.UPDATE;
}
