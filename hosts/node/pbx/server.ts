/*
 * The loopback PBX proper: a registrar and a proxy on one UDP socket.
 *
 * Registrar (RFC 3261 §10.3): REGISTER is challenged with 401 (Digest, MD5,
 * qop=auth, a fresh nonce each time); the authenticated user must be the
 * address-of-record's; Contact "*" with Expires 0 removes every binding;
 * each Contact's expires (parameter, else Expires header, else 3600) is
 * clamped to maxExpires, 0 removes it, less than minExpires gets 423; the
 * 200 lists every binding of the AOR with its remaining expires. Bindings
 * live in memory.
 *
 * Proxy (§16), stateful enough for a loopback demo:
 * - every received request's top Via gets received/rport (§18.2.1, RFC 3581);
 * - a top Route naming the PBX is removed (§16.4, loose routing);
 * - requests for the PBX itself (no user part): REGISTER, OPTIONS (200 with
 *   Allow), anything else 405 (ACK dropped, CANCEL 481);
 * - requests for sip:user@<domain>: out-of-dialog INVITEs must carry
 *   Proxy-Authorization (407 challenge otherwise, 403 when wrong); unknown
 *   user 404, known but unregistered 480, else retargeted to the user's
 *   newest binding (§16.5);
 * - other requests (in-dialog, after their Route was popped) go to the next
 *   Route or to the Request-URI (§16.6 steps 6-7);
 * - forwarding adds a Via with a branch derived from the incoming one (so a
 *   CANCEL or the ACK of a non-2xx, which share the INVITE's branch, reach
 *   the same downstream transaction, as §16.11 does for stateless proxies),
 *   decrements Max-Forwards (483 at 0), and adds Record-Route ";lr" to
 *   dialog-creating requests (§16.6 step 4) so that ACK, BYE, INFO and
 *   re-INVITE come back through the PBX;
 * - INVITE: 100 Trying at once; a retransmitted INVITE gets the last
 *   response again instead of being forwarded twice; the forwarded INVITE
 *   is sent again downstream on Timer A until a response comes back
 *   (§17.1.1.2: our 100 stopped the caller's retransmissions);
 * - responses: the top Via (ours) is removed and the response goes to the
 *   next Via's received/rport (§16.7, §18.2.2);
 * - CANCEL is forwarded hop by hop to where its INVITE went (stateless: the
 *   phone answers the CANCEL and the 487);
 * - requests the PBX answered itself are remembered by branch: a
 *   retransmission gets the same response, the ACK of a 4xx is absorbed.
 */
import { EventEmitter } from "node:events";
import { createHash } from "node:crypto";
import { AuthResult, DigestServer } from "./digest";
import {
  branchOf, endpoint, formatVia, param, parseNameAddr, parseSip, parseUri, parseVia,
  randomHex, responseTarget, responseTo, type SipMsg, type SipUri, stampVia, stripBrackets, tagOf,
} from "./sip";
import { TappedSocket, type TapHub } from "./tap";

export interface PbxUser {
  user: string;
  password: string;
  /**
   * The digest username when it is not the extension (3CX's "Authentication
   * ID", FreeSWITCH's and Asterisk's auth username): credentials name this,
   * the address-of-record stays sip:user@domain.
   */
  authId?: string;
}

export interface PbxBinding {
  /** The Contact URI. */
  contact: string;
  /** Seconds left. */
  expires: number;
  /** Where the REGISTER came from ("addr:port"). */
  source: string;
}

export interface PbxServerOptions {
  hub: TapHub;
  /** Bind address; default 127.0.0.1. */
  address?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /** The SIP domain; default the bind address. */
  domain?: string;
  /** Digest realm; default the domain. */
  realm?: string;
  /** RFC 3261 T1 of the proxy's client transactions, ms (default 500). */
  t1Ms?: number;
  users: readonly PbxUser[];
  /** Challenge out-of-dialog INVITEs with 407 (default true). */
  authenticateInvite?: boolean;
  /** Longest binding granted, s (default 3600). */
  maxExpires?: number;
  /** Shorter requests get 423 (default 0: none). */
  minExpires?: number;
  log?: (line: string) => void;
}

export interface PbxServerEvents {
  registered: [{ user: string; contact: string; expires: number; source: string }];
  unregistered: [{ user: string; contact: string }];
  /** A request was forwarded. */
  routed: [{ method: string; callId: string; from: string; to: string; target: string }];
  /** The PBX answered a request with a final non-2xx itself. */
  rejected: [{ method: string; callId: string; status: number; reason: string }];
  warning: [{ message: string }];
}

interface Binding {
  contact: string;
  uri: SipUri;
  expiresAt: number;
  source: string;
  callId: string;
  cseq: number;
  order: number;
}

/** A request the PBX answered itself, by branch: retransmissions get the same response. */
interface LocalTx {
  response: Uint8Array;
  address: string;
  port: number;
  final: number;
  at: number;
}

/** An INVITE the PBX forwarded, by incoming branch. */
interface ProxiedInvite {
  /** The Request-URI it was forwarded with. */
  uri: string;
  /** Where responses go back to. */
  upstream: { address: string; port: number };
  /** Where the INVITE went (a CANCEL and the ACK of a non-2xx follow it). */
  downstream: { address: string; port: number };
  outBranch: string;
  /** The last response sent upstream (resent for a retransmitted INVITE). */
  last: Uint8Array | null;
  /** The INVITE as forwarded, and whether anything came back from downstream yet. */
  sent: Uint8Array;
  heard: boolean;
  /** Timer A of our client transaction downstream (§17.1.1.2), until a response or 64*T1. */
  retransmit: NodeJS.Timeout | null;
  /** When it was forwarded, and when a final response went back (0: none yet). */
  at: number;
  finalAt: number;
}

const ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REGISTER, NOTIFY, REFER, UPDATE, PRACK, MESSAGE, SUBSCRIBE";
const SERVER = "doorsip-loopback-pbx";
/** How long answered and forwarded transactions are remembered after their final response (64*T1 plus margin). */
const TX_LIFETIME_MS = 40_000;
/** An INVITE still without a final response is forgotten after this (it may ring for minutes before a CANCEL). */
const PENDING_INVITE_MS = 600_000;

export class PbxServer extends EventEmitter<PbxServerEvents> {
  readonly address: string;
  readonly port: number;
  readonly domain: string;
  readonly realm: string;
  /** sip:<address>:<port>;lr, put in Record-Route. */
  readonly recordRoute: string;
  /** Counters, for tests. */
  readonly stats = { received: 0, unparseable: 0, forwardedRequests: 0, forwardedResponses: 0, answered: 0, absorbed: 0 };

  private readonly socket: TappedSocket;
  private readonly digest: DigestServer;
  private readonly passwords: Map<string, string>;
  /** Digest username -> the extension it authenticates (PbxUser.authId). */
  private readonly authOwners: Map<string, string>;
  private readonly authInvite: boolean;
  private readonly maxExpires: number;
  private readonly minExpires: number;
  private readonly logLine: ((line: string) => void) | undefined;
  private readonly t1: number;
  private readonly bindings = new Map<string, Binding[]>();
  private readonly localTx = new Map<string, LocalTx>();
  private readonly invites = new Map<string, ProxiedInvite>();
  private readonly byOutBranch = new Map<string, string>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly secret = randomHex(8);
  private bindingOrder = 0;
  private stopped = false;

  private constructor(socket: TappedSocket, o: PbxServerOptions) {
    super();
    this.socket = socket;
    this.address = socket.address;
    this.port = socket.port;
    this.domain = o.domain ?? o.address ?? "127.0.0.1";
    this.realm = o.realm ?? this.domain;
    this.passwords = new Map(o.users.map((u) => [u.user, u.password]));
    this.authOwners = new Map(o.users.map((u) => [u.authId ?? u.user, u.user]));
    this.digest = new DigestServer({ realm: this.realm, passwords: new Map(o.users.map((u) => [u.authId ?? u.user, u.password])) });
    this.authInvite = o.authenticateInvite !== false;
    this.maxExpires = o.maxExpires ?? 3600;
    this.minExpires = o.minExpires ?? 0;
    this.logLine = o.log;
    this.t1 = o.t1Ms ?? 500;
    this.recordRoute = `<sip:${endpoint(this.address, this.port)};lr>`;
    this.sweeper = setInterval(() => this.sweep(), 5000);
  }

  static async start(o: PbxServerOptions): Promise<PbxServer> {
    let server: PbxServer | null = null;
    const socket = await TappedSocket.bind(
      o.hub, o.address ?? "127.0.0.1", o.port ?? 0,
      (bytes, address, port) => server?.receive(bytes, address, port),
      (e) => server?.warn(`socket: ${e.message}`),
    );
    server = new PbxServer(socket, o);
    return server;
  }

  /** sip:<user>@<domain> */
  aor(user: string): string {
    return `sip:${user}@${this.domain}`;
  }

  /** The live bindings of a user, newest first. */
  lookup(user: string): PbxBinding[] {
    const now = Date.now();
    return this.live(user).map((b) => ({ contact: b.contact, expires: Math.max(0, Math.round((b.expiresAt - now) / 1000)), source: b.source }));
  }

  /** Users with at least one live binding. */
  registeredUsers(): string[] {
    return [...this.bindings.keys()].filter((u) => this.live(u).length > 0);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.sweeper);
    for (const fwd of this.invites.values()) if (fwd.retransmit !== null) clearTimeout(fwd.retransmit);
    this.localTx.clear();
    this.invites.clear();
    this.byOutBranch.clear();
    await this.socket.close();
  }

  // ------------------------------------------------------------ receiving

  private receive(bytes: Uint8Array, address: string, port: number): void {
    if (this.stopped) return;
    this.stats.received++;
    const parsed = parseSip(bytes);
    if (!parsed.ok) {
      if (parsed.error === "keep-alive") return;
      this.stats.unparseable++;
      this.log(`dropped unparseable datagram from ${endpoint(address, port)}: ${parsed.error} at byte ${parsed.offset}`);
      // Answer a request whose Via and CSeq could be read (§8.2, §18.2.2).
      const p = parsed.partial;
      if (p !== null && p.method !== "ACK" && p.get("Via") !== undefined && p.get("CSeq") !== undefined) {
        const v = parseVia(p.get("Via")!);
        if (v !== null) {
          p.replaceFirst("Via", formatVia(stampVia(v, address, port)));
          this.reply(p, parsed.status, parsed.phrase);
        }
      }
      return;
    }
    const msg = parsed.msg;
    if (msg.isRequest) this.onRequest(msg, address, port);
    else this.onResponse(msg);
  }

  private onRequest(req: SipMsg, address: string, port: number): void {
    const top = req.topVia;
    if (top === null || req.get("CSeq") === undefined || req.get("Call-ID") === undefined || req.get("From") === undefined || req.get("To") === undefined) {
      if (top !== null && req.method !== "ACK") {
        req.replaceFirst("Via", formatVia(stampVia(top, address, port)));
        this.reply(req, 400, "Bad Request - Missing Mandatory Header");
      }
      return;
    }
    // §18.2.1 / RFC 3581 §4: the top Via records where the request really came from.
    const stamped = stampVia(top, address, port);
    req.replaceFirst("Via", formatVia(stamped));
    const branch = branchOf(stamped);
    const txKey = this.txKey(req, branch);

    // A retransmission of a request answered here: the same response again (§17.2).
    const answered = this.localTx.get(`${txKey}|${req.method === "ACK" ? "INVITE" : req.method}`);
    if (answered !== undefined) {
      if (req.method === "ACK") {
        if (answered.final >= 300) {
          this.stats.absorbed++;
          return; // the ACK of our own 4xx (§17.2.1): hop by hop, ends here
        }
      } else {
        this.socket.send(answered.response, answered.address, answered.port);
        return;
      }
    }
    if (req.method === "INVITE") {
      const fwd = this.invites.get(txKey);
      if (fwd !== undefined) {
        if (fwd.last !== null) this.socket.send(fwd.last, fwd.upstream.address, fwd.upstream.port);
        return;
      }
    }

    // §16.4: a Route naming us is ours to remove.
    const route = req.get("Route");
    if (route !== undefined && this.isUs(parseUri(parseNameAddr(route).uri), true)) req.removeFirst("Route");

    // A CANCEL, or the ACK of a non-2xx, of an INVITE we forwarded: same way, same branch (§16.10, §16.11).
    if (req.method === "CANCEL" || req.method === "ACK") {
      const fwd = this.invites.get(txKey);
      if (fwd !== undefined) {
        req.uri = fwd.uri;
        this.forward(req, fwd.downstream, txKey, false);
        return;
      }
    }

    const ruri = parseUri(req.uri);
    if (ruri === null) {
      if (req.method !== "ACK") this.reply(req, 416, "Unsupported URI Scheme", txKey);
      return;
    }
    if (req.get("Route") === undefined && this.isUs(ruri, false)) {
      this.forDomain(req, ruri, txKey);
      return;
    }
    if (req.method === "REGISTER") {
      this.reply(req, 403, "Forbidden - Not Our Domain", txKey);
      return;
    }
    // In-dialog or for someone else: next Route, or the Request-URI (§16.6 steps 6-7).
    const next = this.nextHop(req, ruri);
    if (next === null) {
      if (req.method !== "ACK") this.reply(req, 404, "Not Found - No Route", txKey);
      return;
    }
    this.forward(req, next, txKey, false);
  }

  /** A request whose Request-URI names the PBX or a user of its domain. */
  private forDomain(req: SipMsg, ruri: SipUri, txKey: string): void {
    const method = req.method;
    if (method === "REGISTER") {
      this.register(req, txKey);
      return;
    }
    if (ruri.user === null || ruri.user === "") {
      // The PBX itself.
      if (method === "OPTIONS") {
        this.reply(req, 200, "OK", txKey, ["Allow: " + ALLOW, "Accept: application/sdp", "Supported: path"]);
      } else if (method === "ACK") {
        // nothing to acknowledge here
      } else if (method === "CANCEL") {
        this.reply(req, 481, "Call/Transaction Does Not Exist", txKey);
      } else {
        this.reply(req, 405, "Method Not Allowed", txKey, ["Allow: REGISTER, OPTIONS"]);
      }
      return;
    }
    const user = unescapeUser(ruri.user);
    const inDialog = tagOf(req.get("To")) !== "";
    if (method === "CANCEL") {
      // A CANCEL for an INVITE we never forwarded.
      this.reply(req, 481, "Call/Transaction Does Not Exist", txKey);
      return;
    }
    if (method === "INVITE" && !inDialog && this.authInvite) {
      const check = this.digest.verify(req.all("Proxy-Authorization"), method, req.uri);
      if (check.result === AuthResult.Missing || check.result === AuthResult.Stale) {
        this.reply(req, 407, "Proxy Authentication Required", txKey, [`Proxy-Authenticate: ${this.digest.challenge(check.result === AuthResult.Stale)}`]);
        return;
      }
      if (check.result === AuthResult.Bad) {
        this.reply(req, 403, "Forbidden", txKey);
        return;
      }
    }
    if (!this.passwords.has(user)) {
      if (method !== "ACK") this.reply(req, 404, "Not Found", txKey);
      return;
    }
    const binding = this.live(user)[0];
    if (binding === undefined) {
      if (method !== "ACK") this.reply(req, 480, "Temporarily Unavailable", txKey);
      return;
    }
    // §16.5: the Request-URI becomes the registered contact.
    req.uri = binding.contact;
    const target = this.uriTarget(binding.uri);
    this.forward(req, target, txKey, !inDialog && isDialogCreating(method));
  }

  // ------------------------------------------------------------ registrar

  private register(req: SipMsg, txKey: string): void {
    const check = this.digest.verify(req.all("Authorization"), "REGISTER", req.uri);
    if (check.result === AuthResult.Missing || check.result === AuthResult.Stale) {
      this.reply(req, 401, "Unauthorized", txKey, [`WWW-Authenticate: ${this.digest.challenge(check.result === AuthResult.Stale)}`]);
      return;
    }
    if (check.result === AuthResult.Bad) {
      this.reply(req, 403, "Forbidden", txKey);
      return;
    }
    const aor = parseUri(parseNameAddr(req.get("To")!).uri);
    const user = aor?.user ?? "";
    if (aor === null || !this.isUs({ ...aor, user: null }, false)) {
      this.reply(req, 404, "Not Found - Not Our Domain", txKey);
      return;
    }
    // The authenticated user may register only its own address-of-record.
    if (user !== this.authOwners.get(check.username)) {
      this.reply(req, 403, "Forbidden - Not Your AOR", txKey);
      return;
    }
    const callId = req.callId;
    const cseq = req.cseq.seq;
    const headerExpires = req.get("Expires");
    const defaultExpires = headerExpires !== undefined && /^\d+$/.test(headerExpires.trim()) ? Number(headerExpires) : 3600;
    const contacts = req.all("Contact");
    const list = this.live(user);
    const now = Date.now();
    if (contacts.length === 1 && contacts[0]!.trim() === "*") {
      if (defaultExpires !== 0 || headerExpires === undefined) {
        this.reply(req, 400, "Bad Request - Wildcard Needs Expires 0", txKey);
        return;
      }
      for (const b of list) this.emit("unregistered", { user, contact: b.contact });
      this.bindings.delete(user);
    } else {
      const wanted: { uri: string; parsed: SipUri; expires: number }[] = [];
      for (const c of contacts) {
        const na = parseNameAddr(c);
        const parsed = parseUri(na.uri);
        if (parsed === null) {
          this.reply(req, 400, "Bad Request - Invalid Contact", txKey);
          return;
        }
        const e = param(na.params, "expires");
        const expires = typeof e === "string" && /^\d+$/.test(e) ? Number(e) : defaultExpires;
        if (expires !== 0 && expires < this.minExpires) {
          this.reply(req, 423, "Interval Too Brief", txKey, [`Min-Expires: ${this.minExpires}`]);
          return;
        }
        wanted.push({ uri: na.uri, parsed, expires: Math.min(expires, this.maxExpires) });
      }
      for (const w of wanted) {
        const i = list.findIndex((b) => sameUri(b.uri, w.parsed));
        const old = i >= 0 ? list[i]! : undefined;
        // §10.3 step 7: same Call-ID with a CSeq not higher is out of order.
        if (old !== undefined && old.callId === callId && cseq <= old.cseq) {
          this.reply(req, 500, "Server Internal Error - Out Of Order", txKey, ["Retry-After: 1"]);
          return;
        }
        if (i >= 0) list.splice(i, 1);
        if (w.expires === 0) {
          if (old !== undefined) this.emit("unregistered", { user, contact: old.contact });
          continue;
        }
        const source = endpoint(responseTarget(req.topVia!).address, responseTarget(req.topVia!).port);
        list.unshift({ contact: w.uri, uri: w.parsed, expiresAt: now + w.expires * 1000, source, callId, cseq, order: ++this.bindingOrder });
        this.log(`${user} registered at ${w.uri} for ${w.expires} s`);
        this.emit("registered", { user, contact: w.uri, expires: w.expires, source });
      }
      if (list.length > 0) this.bindings.set(user, list);
      else this.bindings.delete(user);
    }
    const extra = this.live(user).map((b) => `Contact: <${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`);
    extra.push(`Date: ${new Date().toUTCString()}`);
    this.reply(req, 200, "OK", txKey, extra);
  }

  /** Live bindings of a user, newest first (expired ones dropped). */
  private live(user: string): Binding[] {
    const list = this.bindings.get(user);
    if (list === undefined) return [];
    const now = Date.now();
    const alive = list.filter((b) => b.expiresAt > now);
    if (alive.length !== list.length) {
      if (alive.length > 0) this.bindings.set(user, alive);
      else this.bindings.delete(user);
    }
    return alive.sort((a, b) => b.order - a.order);
  }

  // ------------------------------------------------------------ proxy

  private forward(req: SipMsg, dest: { address: string; port: number }, txKey: string, recordRoute: boolean): void {
    const method = req.method;
    if (dest.address === this.address && dest.port === this.port) {
      if (method !== "ACK") this.reply(req, 482, "Loop Detected", txKey);
      return;
    }
    // §16.6 step 3: Max-Forwards.
    const mfv = req.get("Max-Forwards");
    const mf = mfv === undefined ? 70 : Number(mfv.trim());
    if (mf <= 0) {
      if (method !== "ACK") this.reply(req, 483, "Too Many Hops", txKey);
      return;
    }
    const out = req.clone();
    out.set("Max-Forwards", String(mf - 1));
    if (recordRoute) out.prepend("Record-Route", this.recordRoute);
    const outBranch = this.derivedBranch(txKey);
    out.prepend("Via", `SIP/2.0/UDP ${endpoint(this.address, this.port)};branch=${outBranch};rport`);
    const upstream = responseTarget(req.topVia!);
    const bytes = out.toBytes();
    if (method === "INVITE") {
      const trying = this.reply(req, 100, "Trying", null);
      const fwd: ProxiedInvite = { uri: out.uri, upstream, downstream: dest, outBranch, last: trying, sent: bytes, heard: false, retransmit: null, at: Date.now(), finalAt: 0 };
      this.invites.set(txKey, fwd);
      this.byOutBranch.set(outBranch, txKey);
      this.timerA(fwd, this.t1);
    }
    this.stats.forwardedRequests++;
    this.emit("routed", { method, callId: req.callId, from: req.get("From") ?? "", to: req.get("To") ?? "", target: endpoint(dest.address, dest.port) });
    this.socket.send(bytes, dest.address, dest.port);
  }

  private onResponse(res: SipMsg): void {
    const top = res.topVia;
    if (top === null || stripBrackets(top.host) !== this.address || (top.port > 0 ? top.port : 5060) !== this.port) {
      this.log(`dropped a response not sent through us: ${res.status} ${res.reason}`);
      return;
    }
    res.removeFirst("Via");
    const next = res.topVia;
    if (next === null) return; // a response to a request of our own: we send none
    const dest = responseTarget(next);
    const bytes = res.toBytes();
    if (res.cseq.method === "INVITE") {
      const key = this.byOutBranch.get(branchOf(top));
      const fwd = key === undefined ? undefined : this.invites.get(key);
      if (fwd !== undefined) {
        fwd.heard = true;
        if (fwd.retransmit !== null) clearTimeout(fwd.retransmit);
        fwd.retransmit = null;
        fwd.last = bytes;
        if (res.status >= 200 && fwd.finalAt === 0) fwd.finalAt = Date.now();
      }
    }
    this.stats.forwardedResponses++;
    this.socket.send(bytes, dest.address, dest.port);
  }

  /**
   * Timer A of the forwarded INVITE (§16.6 step 10, §17.1.1.2): our 100 Trying stopped the caller's
   * retransmissions, so a lost INVITE downstream is ours to send again, doubling from T1, until
   * something comes back or Timer B (64*T1) runs out.
   */
  private timerA(fwd: ProxiedInvite, interval: number): void {
    fwd.retransmit = setTimeout(() => {
      fwd.retransmit = null;
      if (this.stopped || fwd.heard || Date.now() - fwd.at + interval > 64 * this.t1) return;
      this.socket.send(fwd.sent, fwd.downstream.address, fwd.downstream.port);
      this.timerA(fwd, interval * 2);
    }, interval);
  }

  /** Where a request goes after our Route was popped: the next Route (loose), else the Request-URI. */
  private nextHop(req: SipMsg, ruri: SipUri): { address: string; port: number } | null {
    const route = req.get("Route");
    if (route !== undefined) {
      const r = parseUri(parseNameAddr(route).uri);
      return r === null ? null : this.uriTarget(r);
    }
    return this.uriTarget(ruri);
  }

  /** The address of a URI (maddr, else host; port or 5060). */
  private uriTarget(u: SipUri): { address: string; port: number } {
    const maddr = param(u.params, "maddr");
    return { address: stripBrackets(typeof maddr === "string" ? maddr : u.host), port: u.port > 0 ? u.port : 5060 };
  }

  /**
   * Does this URI name the PBX? With `exact`, the host must be our address
   * or domain and the port ours (or absent for the domain); without, a
   * user-less or user URI of our domain counts when its port is absent or ours.
   */
  private isUs(u: SipUri | null, exact: boolean): boolean {
    if (u === null) return false;
    const host = stripBrackets(u.host).toLowerCase();
    const isAddress = host === this.address.toLowerCase();
    const isDomain = host === this.domain.toLowerCase();
    if (!isAddress && !isDomain) return false;
    if (u.port === this.port) return true;
    // No port: the domain is ours; our address only means us when we are on 5060 (or as a Request-URI).
    if (u.port < 0) return exact ? (isDomain && !isAddress) || this.port === 5060 : true;
    return false;
  }

  /** Transaction key of a request: its branch, or for RFC 2543 peers Call-ID, CSeq number and From tag. */
  private txKey(req: SipMsg, branch: string): string {
    if (branch.startsWith("z9hG4bK")) return branch;
    return `2543|${req.callId}|${req.cseq.seq}|${tagOf(req.get("From"))}|${req.uri}`;
  }

  /** Our branch for a forwarded request: a hash of the incoming transaction (§16.11), same for its CANCEL and non-2xx ACK. */
  private derivedBranch(txKey: string): string {
    return `z9hG4bK${createHash("md5").update(`${this.secret}|${txKey}`).digest("hex").slice(0, 20)}`;
  }

  // ------------------------------------------------------------ answering

  /** Answer a request ourselves; remembered under txKey (unless null) for retransmissions. */
  private reply(req: SipMsg, status: number, reason: string, txKey: string | null = null, extra: string[] = []): Uint8Array | null {
    const res = responseTo(req, status, `pbx${randomHex(4)}`, reason);
    for (const line of extra) {
      const c = line.indexOf(":");
      res.add(line.slice(0, c), line.slice(c + 1).trim());
    }
    res.add("Server", SERVER);
    const top = req.topVia;
    if (top === null) return null;
    const dest = responseTarget(top);
    const bytes = res.toBytes();
    if (txKey !== null && status >= 200) {
      this.localTx.set(`${txKey}|${req.method}`, { response: bytes, address: dest.address, port: dest.port, final: status, at: Date.now() });
    }
    if (status >= 300) this.emit("rejected", { method: req.method, callId: req.callId, status, reason });
    if (status >= 200) this.stats.answered++;
    this.socket.send(bytes, dest.address, dest.port);
    return bytes;
  }

  private sweep(): void {
    const now = Date.now();
    const old = now - TX_LIFETIME_MS;
    for (const [k, t] of this.localTx) if (t.at < old) this.localTx.delete(k);
    for (const [k, t] of this.invites) {
      if (t.finalAt > 0 ? t.finalAt < old : t.at < now - PENDING_INVITE_MS) {
        this.invites.delete(k);
        this.byOutBranch.delete(t.outBranch);
      }
    }
    for (const user of [...this.bindings.keys()]) this.live(user);
  }

  private log(line: string): void {
    this.logLine?.(`pbx: ${line}`);
  }

  private warn(message: string): void {
    this.log(message);
    this.emit("warning", { message });
  }
}

function unescapeUser(user: string): string {
  try {
    return decodeURIComponent(user);
  } catch {
    return user;
  }
}

function isDialogCreating(method: string): boolean {
  return method === "INVITE" || method === "SUBSCRIBE" || method === "REFER";
}

/** URI equality for bindings (§19.1.4, simplified: user, host case-insensitive, port). */
function sameUri(a: SipUri, b: SipUri): boolean {
  return a.user === b.user && a.host.toLowerCase() === b.host.toLowerCase() && a.port === b.port;
}
