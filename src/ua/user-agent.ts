/*
 * The user agent core above the transaction layer (RFC 3261 §8.2, §12.2.2):
 * it receives every new request, routes those inside a dialog to their call
 * (or answers 481), and answers those outside any dialog itself: INVITE
 * starts a call (or 486 Busy Here), OPTIONS gets the capabilities (§11.2),
 * MESSAGE is taken (RFC 3428), SUBSCRIBE gets 489 (no event package is
 * served, RFC 6665), NOTIFY 481 (we subscribe to nothing; an unsolicited
 * message-summary, voicemail news PBXs send to every phone, 200), an out-of-dialog
 * REFER 403. Methods not allowed (PUBLISH, REGISTER) and unknown ones are
 * answered 405/501 with Allow by the layer, from the same CallPolicy.
 *
 * It owns the fixed pool of call slots and places outgoing calls. Requests
 * from untrusted sources never get here: trust/trust-policy.ts screens them
 * before the layer takes a transaction; the user agent serves it the
 * dialogs (DialogPeers) and remembers which calls came from trusted sources
 * (only those may open the door).
 */
import { type HashHost, LogLevel, type LogHost, type RandomHost } from "../host";
import { ascii, spanEqualsCI, spanToString } from "../sip/message/bytes";
import type { SipMessage } from "../sip/message/message";
import { Method } from "../sip/message/method";
import type { NameAddr } from "../sip/message/name-addr";
import type { SipParser } from "../sip/message/parser";
import { writeResponseHead } from "../sip/message/response";
import type { SipWriter } from "../sip/message/writer";
import { Dialog } from "../sip/dialog/dialog";
import { dialogHash } from "../sip/dialog/dialog-hash";
import { readU32, writeU32 } from "../util/u32";
import { SdpReader } from "../sip/sdp/reader";
import type { TimerQueue } from "../sip/timer/timer-queue";
import type { TimerValues } from "../sip/timer/timers";
import type {
  ClientTransactionUser, ServerTransactionHandle, ServerTransactionUser, TransactionLayerApi,
} from "../sip/transaction/api";
import { writeTag, TAG_LENGTH } from "../sip/ids";
import { HostKind, Scheme, type Uri } from "../sip/message/uri";
import { type AccountConfig } from "./account";
import { ContactAddress } from "./contact-address";
import { Scratch } from "./scratch";
import { Call } from "./call/call";
import { CallDirection, CallState } from "./call/call-types";
import { CallPolicy, isUnsolicitedMwi, K_ACCEPT_SDP } from "./call/capabilities";
import { CallConfig, type CallOptions } from "./call/config";
import { DTMF, type DtmfReader } from "./call/dtmf";
import { sendAck2xx, writeCapabilities } from "./call/headers";
import type { CallOwner } from "./call/owner";
import * as P from "./call/phrases";
import type { DialogPeers } from "./trust/trust-policy";

/** What the application hears from the user agent. */
export interface UserAgentListener {
  /** A call changed state; CallState.Ended comes once, with call.endReason and call.endStatus. */
  onCallState?(call: Call): void;
  /** A DTMF digit (character code: "0".."9", "*", "#", "A".."D") in an established call. */
  onDtmf?(call: Call, digit: number): void;
  /** A MESSAGE (RFC 3428): sender URI and text (made only for this event). */
  onMessage?(call: Call | null, from: string, text: string): void;
}

/** Whether a source is trusted (trust/trust-policy.ts): calls from others never get the door code. */
export interface SourceTrust {
  isTrusted(address: string, port: number): boolean;
  /** Is `host` the registrar's or the outbound proxy's address (any port)? */
  isServerHost(host: string): boolean;
  /** No server and no allowlist: every host on the local networks is trusted. */
  readonly localDefault: boolean;
}

export interface UserAgentOptions {
  account: AccountConfig;
  calls?: CallOptions;
  layer: TransactionLayerApi;
  timers: TimerQueue;
  timerValues: TimerValues;
  random: RandomHost;
  hash: HashHost;
  log?: LogHost;
  listener?: UserAgentListener;
  /** Without it every source is trusted (tests of the layers below). */
  trust?: SourceTrust;
  /** Scratch shared with the rest of the core (the Intercom gives the layer's); default: the user agent's own. */
  scratch?: Scratch;
}

const K_ACCEPT = ascii("Accept: ");
const K_MADDR = ascii("maddr");
/** The longest call target URI (dial()). */
const DIAL_URI_BYTES = 256;
/** Where in UserAgent.ids the ended dialogs' hashes are (4 bytes each, big-endian). */
const FORK_ENDED_AT = TAG_LENGTH + DIAL_URI_BYTES;
/** Per entry of the lists at FORK_ENDED_AT: a dialog's hash (4 bytes), and a call's hash and last CSeq (8). */
const ENDED_ENTRY_BYTES = 12;

/** Room for a new first entry of `size` bytes in the list ids[at, end): the others move one place back, the oldest gives way. */
function makeRoom(ids: Uint8Array, at: number, end: number, size: number): void {
  for (let i = end - 1; i >= at + size; i--) ids[i] = ids[i - size]!;
}

/** Where the ended calls' list starts: after the ended dialogs' (the two lists have as many entries). */
function endedCallsAt(ids: Uint8Array): number {
  return FORK_ENDED_AT + ((ids.length - FORK_ENDED_AT) / ENDED_ENTRY_BYTES) * 4;
}

/** A URI's host as the transport reports a source: an IPv6 reference without its brackets (RFC 3261 §25.1). */
function hostText(u: Uri): string {
  const v6 = u.hostKind === HostKind.IPv6;
  return spanToString(u.buf, v6 ? u.hostStart + 1 : u.hostStart, v6 ? u.hostLen - 2 : u.hostLen);
}

/**
 * Does the URI's host name `name`, in any case, either of them with a trailing dot (an FQDN written from the DNS root,
 * RFC 1034 §3.1) or not? Makes a string of `name` (a 3xx or a REFER: rare, never per packet).
 */
function sameName(u: Uri, name: string): boolean {
  let len = u.hostLen;
  if (len > 1 && u.buf[u.hostStart + len - 1] === 0x2e) len--;
  let n = name.toLowerCase();
  if (n.length > 1 && n.charCodeAt(n.length - 1) === 0x2e) n = n.substring(0, n.length - 1);
  return n !== "" && spanEqualsCI(u.buf, u.hostStart, len, ascii(n));
}

/** Ends a second answered fork (§13.2.2.4): its BYE's answer needs nothing. */
class ForkCleaner implements ClientTransactionUser {
  onResponse(): void {}
  onFailure(): void {}
}

/*
 * Objects that hold nothing, one for the whole core: module constants (on
 * the device in the read-only preloaded heap), read through getters (in
 * XS a property is a heap slot per user agent, an accessor none).
 */
const FORK_CLEANER = new ForkCleaner();
/** Made once: in XS a string literal evaluated in a function can cost a chunk each time. */
const I_FORK_NO_ROOM = "user agent: a 2xx of no live call, and no room for its BYE yet: left for its next copy";
const CALL_POLICY = new CallPolicy();

export class UserAgent implements ServerTransactionUser, CallOwner, DialogPeers {
  readonly layer: TransactionLayerApi;
  readonly timers: TimerQueue;
  readonly timerValues: TimerValues;
  readonly random: RandomHost;
  readonly hash: HashHost;
  readonly log: LogHost | undefined;
  readonly config: CallConfig;
  /** Writers, a message to parse stored requests into, readers: one set for every call (src/ua/scratch.ts). */
  readonly scratch: Scratch;
  readonly sdp = new SdpReader();
  readonly calls: Call[] = [];
  listener: UserAgentListener | undefined;
  readonly trust: SourceTrust | undefined;
  /** Exceptions caught at the core's boundary. */
  errors = 0;

  private readonly ourContact = new ContactAddress();
  /**
   * Our To tag for responses outside any call (bytes [0, TAG_LENGTH):
   * writeResponseHead takes a tag at offset 0), then the URI of the last
   * target dial() resolved ([TAG_LENGTH, TAG_LENGTH + dialUriLen)), then
   * the dialogs ended last that no call slot keeps (FORK_ENDED_AT: two and
   * one per call slot, dialogHash each, 0 none, the latest first): one
   * typed array (in XS 7 slots; two Fields over views of one buffer were
   * 17, and each number a property would be a slot of its own). Forks
   * answer together (a forking proxy's 2xx from several phones) and their
   * copies come interleaved; each call slot keeps its last call's ended
   * dialog (Call.endedDialog) and hands it on here when its next call ends,
   * so every slot can push one in while a fork's copies still come.
   * After them, as many pairs of an ended call (Call.endedSeq's hash of
   * Call-ID and our tag) and the last CSeq it sent, handed on the same way
   * (endedCallBefore), for the BYE of a fork answering after the call's
   * slot took its next call (endedSeqOf).
   */
  private readonly ids: Uint8Array;
  private dialUriLen = 0;
  /** forkAnswered's dialog when no call slot is idle: made on the first such need, then kept (see forkDialog). */
  private spareDialog: Dialog | null = null;
  /** The last target dial() resolved: its URI (in ids) and next hop (see resolve()). */
  private dialTarget: string | null = null;
  private dialAddress = "";
  private dialPort = 0;
  /** The DNS name the server was found by (account.serverName), "" when it was given as an address: ownTarget. */
  private readonly serverName: string;

  constructor(options: UserAgentOptions) {
    this.layer = options.layer;
    this.timers = options.timers;
    this.timerValues = options.timerValues;
    this.random = options.random;
    this.hash = options.hash;
    this.log = options.log;
    this.listener = options.listener;
    this.trust = options.trust;
    this.scratch = options.scratch ?? new Scratch();
    this.config = new CallConfig(options.account, options.calls);
    this.serverName = options.account.serverName ?? "";
    this.ids = new Uint8Array(FORK_ENDED_AT + ENDED_ENTRY_BYTES * (2 + this.config.maxCalls));
    for (let i = 0; i < this.config.maxCalls; i++) this.calls.push(new Call(this, i));
  }

  /** The shared parser, writer and name-addr reader (the scratch's; accessors, not properties: see CALL_POLICY). */
  get parser(): SipParser {
    return this.scratch.parser;
  }

  private get w(): SipWriter {
    return this.scratch.w;
  }

  private get addr(): NameAddr {
    return this.scratch.addr;
  }

  /** What the user agent allows, supports and accepts (stateless). */
  get policy(): CallPolicy {
    return CALL_POLICY;
  }

  /** The DTMF reader (stateless: src/ua/call/dtmf.ts). */
  get dtmf(): DtmfReader {
    return DTMF;
  }

  /** Calls not idle. */
  get activeCalls(): number {
    let n = 0;
    for (let i = 0; i < this.calls.length; i++) if (this.calls[i]!.active) n++;
    return n;
  }

  /**
   * Place a call. `target` is a SIP URI ("sip:100@pbx", "sips:...") or an
   * extension / number ("100", "**610"), which is called as
   * sip:<target>@<domain> through the registrar or outbound proxy. Returns
   * the call, or null when no slot is free or the target is unusable.
   */
  dial(target: string): Call | null {
    const call = this.freeCall();
    if (call === null) {
      this.warn("user agent: no free call slot");
      return null;
    }
    return this.dialOn(call, target);
  }

  /** dial() on the free slot `call`. */
  private dialOn(call: Call, target: string): Call | null {
    try {
      if (target !== this.dialTarget && !this.resolve(target)) return null;
      if (!call.dial(this.ids, TAG_LENGTH, this.dialUriLen, this.dialAddress, this.dialPort)) return null;
      // Our own call (the doorbell, or a transfer a trusted peer asked for).
      call.trusted = true;
      return call;
    } catch (e) {
      this.caught(e);
      return null;
    }
  }

  /**
   * The URI and next hop of `target`, kept for the next dial() of the same
   * target (the doorbell calls the same few again and again: working them
   * out again would build strings and byte arrays each time).
   */
  private resolve(target: string): boolean {
    const cfg = this.config;
    const isUri = target.indexOf("sip:") === 0 || target.indexOf("sips:") === 0;
    const uri = ascii(isUri ? target : "sip:" + target + "@" + cfg.domain);
    let address = cfg.proxyHost;
    let port = cfg.proxyPort;
    if (isUri && !cfg.outboundProxy) {
      // A full URI goes to its own host, unless that host is our domain (the registrar serves it, §8.1.2).
      const a = this.addr;
      if (!a.read(uri, 0, uri.length) || (a.uri.scheme !== Scheme.Sip && a.uri.scheme !== Scheme.Sips)) {
        this.warn("user agent: unusable call target " + target);
        return false;
      }
      const u = a.uri;
      // The server's own name (its SRV records may give another port than 5060) and a trailing dot count as the domain.
      if (!this.viaServer(u)) {
        const host = spanToString(uri, u.hostKind === 2 ? u.hostStart + 1 : u.hostStart, u.hostKind === 2 ? u.hostLen - 2 : u.hostLen);
        address = host;
        port = u.port > 0 ? u.port : 5060;
      }
    }
    if (uri.length > DIAL_URI_BYTES) {
      this.warn("user agent: call target too long: " + target);
      this.dialTarget = null;
      this.dialUriLen = 0;
      return false;
    }
    const ids = this.ids;
    for (let i = 0; i < uri.length; i++) ids[TAG_LENGTH + i] = uri[i]!;
    this.dialUriLen = uri.length;
    this.dialTarget = target;
    this.dialAddress = address;
    this.dialPort = port;
    return true;
  }

  /**
   * The next hop moved to `to` (src/ua/server-name.ts: the registrar's
   * name without an outbound proxy, the proxy's with one): new calls go
   * there. The target dial() worked out last (the doorbell's,
   * dialled again and again) is worked out again. Calls under way keep
   * their dialog's remote target and route set (§12.2.1.1). Doing it twice
   * changes nothing.
   */
  moveServer(to: string, port?: number): void {
    // The next hop moved: the registrar's address, or with an outbound proxy the proxy's (its name is the one the
    // intercom follows then), and its Route with it. Dialogs keep their route set (§12.2.1.1).
    const cfg = this.config;
    cfg.moveNextHop(to, port !== undefined && port > 0 ? port : cfg.proxyPort);
    this.dialTarget = null;
  }

  /** Hang up every call (shutdown). */
  hangupAll(): void {
    for (let i = 0; i < this.calls.length; i++) {
      const c = this.calls[i]!;
      if (c.active) c.hangup();
    }
  }

  // ---- ServerTransactionUser ---------------------------------------------

  onRequest(tx: ServerTransactionHandle, msg: SipMessage, address: string, port: number): void {
    try {
      // Sources were screened by the trust policy before the transaction was taken (layer.screen).
      if (msg.to.tagLen > 0) {
        this.inDialog(tx, msg);
        return;
      }
      switch (msg.method) {
        case Method.INVITE:
          this.invite(tx, msg, address, port);
          return;
        case Method.OPTIONS:
          this.options(tx, msg);
          return;
        case Method.MESSAGE:
          this.respond(tx, msg, 200, P.R_OK);
          this.messageReceived(null, msg);
          return;
        case Method.SUBSCRIBE:
          this.respond(tx, msg, 489, P.R_BAD_EVENT);
          return;
        case Method.NOTIFY:
          if (isUnsolicitedMwi(msg)) this.respond(tx, msg, 200, P.R_OK);
          else this.respond(tx, msg, 481, P.R_NO_SUBSCRIPTION);
          return;
        case Method.REFER:
          // A transfer outside a call would let anyone make the door dial out.
          this.respond(tx, msg, this.config.allowRefer ? 403 : 603, this.config.allowRefer ? P.R_FORBIDDEN_REFER : P.R_DECLINE);
          return;
        default:
          // BYE, INFO, UPDATE, PRACK... outside a dialog (§12.2.2).
          this.respond(tx, msg, 481, P.R_NO_TRANSACTION);
      }
    } catch (e) {
      this.caught(e);
    }
  }

  onAck(msg: SipMessage, _address: string, _port: number): void {
    try {
      const call = this.findDialog(msg);
      if (call !== null) call.ack(msg);
    } catch (e) {
      this.caught(e);
    }
  }

  onCancel(inviteTx: ServerTransactionHandle, _msg: SipMessage): void {
    try {
      for (let i = 0; i < this.calls.length; i++) {
        const c = this.calls[i]!;
        if (c.isInviteTx(inviteTx)) {
          c.cancelled();
          return;
        }
      }
    } catch (e) {
      this.caught(e);
    }
  }

  onServerTimeout(_tx: ServerTransactionHandle): void {
    // Timer H of a rejected INVITE: the call had already ended.
  }

  /** A 2xx to INVITE with no transaction (RFC 6026): a call's retransmitted 2xx, or another fork's answer. */
  onStray2xx(msg: SipMessage): void {
    try {
      const calls = this.calls;
      for (let i = 0; i < calls.length; i++) if (calls[i]!.stray2xx(msg)) return;
      // A fork of a call that ended (its INVITE's 487 or 408 came first, or the callee's BYE in its early dialog, and
      // its slot may have had a call since), or of an INVITE a live call retried: its BYE goes above the CSeqs the call sent.
      let floor = this.endedSeqOf(ourCall(msg));
      for (let i = 0; i < calls.length; i++) {
        const seq = calls[i]!.liveSeq(msg);
        if (seq > floor) floor = seq;
      }
      this.forkAnswered(msg, floor);
    } catch (e) {
      this.caught(e);
    }
  }

  // ---- DialogPeers -----------------------------------------------------------

  /** An in-dialog request sent straight by the peer: its source is where the dialog sends (§12.2.1.1). */
  isDialogPeer(msg: SipMessage, address: string): boolean {
    const call = this.findDialog(msg);
    return call !== null && call.dialog.hop.address === address;
  }

  hasDialog(msg: SipMessage): boolean {
    return this.findDialog(msg) !== null;
  }

  isTrustedDialog(msg: SipMessage): boolean {
    const call = this.findDialog(msg);
    return call !== null && this.isTrustedCall(call);
  }

  /** Did this call come from a trusted source (or did we place it)? */
  isTrustedCall(call: Call): boolean {
    return call.index < this.calls.length && this.calls[call.index] === call && call.trusted;
  }

  // ---- CallOwner -----------------------------------------------------------

  contact(): ContactAddress {
    this.ourContact.set(this.layer.advertisedAddress, this.layer.advertisedPort);
    return this.ourContact;
  }

  stateChanged(call: Call): void {
    const l = this.listener;
    if (l === undefined || l.onCallState === undefined) return;
    try {
      l.onCallState(call);
    } catch (e) {
      this.caught(e);
    }
  }

  dtmfReceived(call: Call, digit: number): void {
    const l = this.listener;
    if (l === undefined || l.onDtmf === undefined) return;
    try {
      l.onDtmf(call, digit);
    } catch (e) {
      this.caught(e);
    }
  }

  messageReceived(call: Call | null, msg: SipMessage): void {
    const l = this.listener;
    const from = msg.from.error < 0 ? spanToString(msg.buf, msg.from.uriStart, msg.from.uriLen) : "";
    const text = spanToString(msg.buf, msg.bodyStart, msg.bodyLen);
    this.info("user agent: MESSAGE (" + from + "): " + text);
    if (l === undefined || l.onMessage === undefined) return;
    try {
      l.onMessage(call, from, text);
    } catch (e) {
      this.caught(e);
    }
  }

  placeReferredCall(referrer: Call, buf: Uint8Array, start: number, len: number, rbStart: number, rbLen: number): Call | null {
    const call = this.freeCall();
    if (call === null) {
      this.warn("user agent: no free call slot for the transfer");
      return null;
    }
    // Before the call starts: its first state already names its referrer (the hunt counts it), its INVITE carries the Referred-By.
    call.expectReferral(referrer, buf, rbStart, rbLen);
    const placed = this.dialOn(call, spanToString(buf, start, len));
    if (placed === null) call.expectReferral(null, buf, 0, 0);
    return placed;
  }

  /**
   * May a REFER in `call` make the door call `target`? The call it triggers
   * is placed with the door's account (its credentials, its bill), so a
   * transfer is taken only in a call that came from a trusted source or
   * that the door placed (an untrusted caller, let in by acceptAny, could
   * otherwise have the door dial any number), and only to the account's
   * domain without a port (the call goes through the server, which applies
   * its own dialling rules) or to a host:port that is itself a trusted
   * source (the server's address, an allowlist entry, the local networks
   * without a server): never straight to a host on the Internet, nor
   * through an outbound proxy to another domain.
   */
  transferAllowed(call: Call, target: Uri): boolean {
    return this.isTrustedCall(call) && this.trustedTarget(target);
  }

  /** Is `target` the account's domain without a port, or a host:port that is a trusted source? (Without a trust policy: yes.) */
  trustedTarget(target: Uri): boolean {
    const trust = this.trust;
    if (trust === undefined) return true;
    if (target.hostLen <= 0) return false;
    // A maddr (RFC 3261 §19.1.1) names the host the request goes to instead of the URI's: the door ignores it, but a
    // proxy that gets it in the Request-URI sends there (§16.5), so sip:200@<domain>;maddr=<anywhere> would leave the
    // server's dialling rules behind. No PBX's transfer names one.
    if (target.findParam(K_MADDR)) return false;
    if (this.viaServer(target)) return true;
    return trust.isTrusted(hostText(target), target.port > 0 ? target.port : 5060);
  }

  /**
   * A challenge to an in-dialog request sent to address:port (call.ts challenge): in a trusted call, to a source the
   * owner configured (the server's address and port, an allow_from entry), not the local networks' default (any host
   * on the LAN). Parses the address only when it is new to the trust policy (a BYE's challenge: rare).
   */
  serverPeer(call: Call, address: string, port: number): boolean {
    const trust = this.trust;
    return trust !== undefined && !trust.localDefault && this.isTrustedCall(call) && trust.isTrusted(address, port);
  }

  /**
   * Is `target` the account's own, where the server is reached: its domain or the server's name (any case, any port,
   * a trailing dot: each still leads to the server), or the server's address (config.proxyHost, and the trust
   * policy's registrar and proxy addresses: IPv6 in any case)? A 3xx of a target elsewhere may not lead here
   * (call.ts redirect), so every form counts. A name of the attacker's own that resolves to the server's address is
   * not seen here (the host resolves it when sending): see README, Security.
   */
  ownTarget(target: Uri): boolean {
    if (target.hostLen <= 0) return false;
    if (sameName(target, this.config.domain) || (this.serverName !== "" && sameName(target, this.serverName))) return true;
    const host = hostText(target);
    return host === this.config.proxyHost || (this.trust !== undefined && this.trust.isServerHost(host));
  }

  /**
   * Does `target` go through the server (resolve)? The account's domain or the server's own name (when it was given
   * by name: its SRV port), without a port, any case, a trailing dot or not.
   */
  private viaServer(target: Uri): boolean {
    return target.port <= 0 && (sameName(target, this.config.domain) || (this.serverName !== "" && sameName(target, this.serverName)));
  }

  /**
   * §13.2.2.4: a 2xx from a fork we do not want (a call already answered
   * elsewhere, or gone): acknowledge it, then end that dialog with BYE.
   */
  forkAnswered(msg: SipMessage, seqFloor: number): void {
    const d = this.forkDialog();
    // The fork's requests go where its 2xx says (Contact, Record-Route), not to a slot's outbound proxy fallback.
    const fallbackAddress = d.fallbackAddress;
    const fallbackPort = d.fallbackPort;
    d.fallbackAddress = "";
    d.fallbackPort = 0;
    this.endFork(d, msg, seqFloor);
    // Not left confirmed: an idle slot's dialog must match no request (findDialog).
    d.reset();
    d.fallbackAddress = fallbackAddress;
    d.fallbackPort = fallbackPort;
  }

  /**
   * A dialog to end a fork with: an idle call slot's, which nothing reads
   * until that slot's next call resets it (Call.begin), else one made on
   * the first need and kept. A whole dialog held for this rare case alone
   * would be 3 KB of the idle heap on the device (issue #9).
   */
  private forkDialog(): Dialog {
    const calls = this.calls;
    for (let i = 0; i < calls.length; i++) if (calls[i]!.idle) return calls[i]!.dialog;
    if (this.spareDialog === null) this.spareDialog = new Dialog(this.scratch);
    return this.spareDialog;
  }

  private endFork(d: Dialog, msg: SipMessage, seqFloor: number): void {
    const from = msg.from;
    if (msg.callIdLen <= 0 || from.error >= 0 || from.tagLen <= 0) return;
    const buf = msg.buf;
    // Our own request (From tag ours): rebuild the fork's dialog from the response.
    d.reset();
    d.uac = true;
    if (!d.callId.set(buf, msg.callIdStart, msg.callIdLen) || !d.localTag.set(buf, from.tagStart, from.tagLen)) return;
    if (!d.localUri.set(buf, from.uriStart, from.uriLen) || msg.to.error >= 0 || !d.remoteUri.set(buf, msg.to.uriStart, msg.to.uriLen)) return;
    // The BYE's CSeq: above the INVITE's, and above any request the call sent in this fork's early dialog (a PRACK,
    // an UPDATE): the same number twice in a dialog is a stale or merged request there (§12.2.1.1).
    d.localSeq = seqFloor > msg.cseq ? seqFloor : msg.cseq;
    if (!d.fromResponse(msg)) return;
    // The same fork's 2xx again (duplicated on the way, or resent before our ACK reached it) is ACKed again (§13.2.2.4),
    // but its dialog already has our BYE, whose transaction resends it: a second BYE, same CSeq and a new branch, would
    // be a merged request there (§8.2.2.2) in a dialog that has ended. So would a BYE in a call's own dialog after the
    // call ended (a late copy of its 2xx, or of one to its re-INVITE): the dialogs ended last and each slot's last
    // ended call are known by a hash of Call-ID (unique to the call) and To tag, and none is ended twice.
    const h = dialogHash(buf, msg.callIdStart, msg.callIdLen, buf, msg.to.tagStart, msg.to.tagLen);
    if (this.dialogEnded(h)) {
      sendAck2xx(this.w, d, this.layer, this.config, msg.cseq);
      return;
    }
    // No client transaction for the BYE (the pool full: a parallel hunt's INVITEs, their CANCELs): neither ACK nor
    // BYE yet. The phone resends its 2xx until ACKed (§13.3.1.4, T1 doubling for 64*T1), and a copy that finds room
    // is ACKed and ended; one that never does leaves the phone to end the call itself, as it does a 2xx never ACKed.
    // ACKed then and not ended, the phone stayed in a call with nobody until someone hung it up.
    const tx = this.layer.createClient(FORK_CLEANER, Method.BYE);
    if (tx === null) {
      this.info(I_FORK_NO_ROOM);
      return;
    }
    sendAck2xx(this.w, d, this.layer, this.config, msg.cseq);
    this.endedNow(h, msg);
    const w = this.w;
    w.reset();
    d.writeRequestLine(w, Method.BYE);
    this.layer.writeVia(w, tx);
    d.writeHeaders(w, Method.BYE, d.nextLocalSeq());
    this.config.writeUserAgent(w);
    w.end();
    this.info("user agent: a 2xx of no live call (a second fork, or a target given up); acknowledged and ended");
    this.layer.send(tx, w, d.hop.address, d.hop.port);
  }

  /**
   * Remember fork `h` (dialogHash of `msg`, its 2xx), not ended before (dialogEnded), as ended. A fork of a call that ended without a dialog of its own (no answer, 487, 408: a parallel hunt
   * ends several such calls at once) is kept by that call's slot, so the forks of other calls do not push it out.
   */
  private endedNow(h: number, msg: SipMessage): void {
    const calls = this.calls;
    const call = ourCall(msg);
    for (let i = 0; i < calls.length; i++) if (calls[i]!.keepEndedFork(call, h)) return;
    this.endedBefore(h);
  }

  dialogEnded(h: number): boolean {
    const ids = this.ids;
    const end = endedCallsAt(ids);
    for (let at = FORK_ENDED_AT; at < end; at += 4) if (h === readU32(ids, at)) return true;
    const calls = this.calls;
    for (let i = 0; i < calls.length; i++) if (calls[i]!.endedDialog === h) return true;
    return false;
  }

  endedBefore(h: number): void {
    const ids = this.ids;
    if (h === readU32(ids, FORK_ENDED_AT)) return;
    makeRoom(ids, FORK_ENDED_AT, endedCallsAt(ids), 4);
    writeU32(ids, FORK_ENDED_AT, h);
  }

  endedCallBefore(call: number, seq: number): void {
    const ids = this.ids;
    const at = endedCallsAt(ids);
    if (call === readU32(ids, at)) return;
    makeRoom(ids, at, ids.length, 8);
    writeU32(ids, at, call);
    writeU32(ids, at + 4, seq);
  }

  /**
   * The last CSeq ended call `call` (ourCall's hash) sent, from its slot or the list the slots hand on to; 0 when no
   * longer known. A fork's BYE goes above it: that fork's early dialog may have had the call's PRACK or UPDATE.
   */
  private endedSeqOf(call: number): number {
    const calls = this.calls;
    let floor = 0;
    for (let i = 0; i < calls.length; i++) {
      const seq = calls[i]!.endedSeq(call);
      if (seq > floor) floor = seq;
    }
    if (floor > 0 || call === 0) return floor;
    const ids = this.ids;
    for (let at = endedCallsAt(ids); at < ids.length; at += 8) if (call === readU32(ids, at)) return readU32(ids, at + 4);
    return 0;
  }

  released(call: Call): void {
    // Referred calls report through their referrer; nothing else to do: the slot is free.
    void call;
  }

  // ---- internals -------------------------------------------------------------

  private inDialog(tx: ServerTransactionHandle, msg: SipMessage): void {
    const call = this.findDialog(msg);
    if (call !== null) {
      call.request(tx, msg);
      return;
    }
    // §12.2.2: no dialog matches.
    this.respond(tx, msg, 481, msg.method === Method.NOTIFY ? P.R_NO_SUBSCRIPTION : P.R_NO_TRANSACTION);
  }

  private invite(tx: ServerTransactionHandle, msg: SipMessage, address: string, port: number): void {
    const calls = this.calls;
    let busy = false;
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i]!;
      if (!c.active) continue;
      // §8.2.2.2: the same request again by another path (same From tag, Call-ID, CSeq): a merged request.
      if (c.direction === CallDirection.Inbound && c.state === CallState.Incoming && this.sameRequest(c, msg)) {
        this.respond(tx, msg, 482, P.R_LOOP);
        return;
      }
      busy = true;
    }
    const call = busy ? null : this.freeCall();
    if (call === null) {
      this.respond(tx, msg, 486, P.R_BUSY);
      return;
    }
    call.trusted = this.trust === undefined || this.trust.isTrusted(address, port);
    call.incoming(tx, msg);
  }

  private sameRequest(c: Call, msg: SipMessage): boolean {
    const d = c.dialog;
    const from = msg.from;
    return msg.callIdLen > 0 && d.callId.equals(msg.buf, msg.callIdStart, msg.callIdLen) && from.tagLen > 0 && d.remoteTag.equals(msg.buf, from.tagStart, from.tagLen) && d.remoteSeq === msg.cseq;
  }

  /** §11.2: 200 with Allow, Accept, Supported (every option tag the door supports: 100rel and timer). */
  private options(tx: ServerTransactionHandle, msg: SipMessage): void {
    const w = this.begin(msg, 200, P.R_OK);
    if (w === null) return;
    writeCapabilities(w, true);
    w.bytes(K_ACCEPT).bytes(K_ACCEPT_SDP).crlf();
    this.config.writeServer(w);
    w.end();
    tx.respond(w, 200);
  }

  private respond(tx: ServerTransactionHandle, msg: SipMessage, status: number, reason: Uint8Array): void {
    const w = this.begin(msg, status, reason);
    if (w === null) return;
    this.config.writeServer(w);
    w.end();
    tx.respond(w, status);
  }

  /** A response outside any call: a fresh To tag when the request had none (§8.2.6.2). */
  private begin(msg: SipMessage, status: number, reason: Uint8Array): SipWriter | null {
    const ids = this.ids;
    const tagLen = writeTag(this.random, ids, 0) < 0 ? 0 : TAG_LENGTH;
    const w = this.w.reset();
    return writeResponseHead(w, msg, status, reason, ids, tagLen, false) ? w : null;
  }

  private findDialog(msg: SipMessage): Call | null {
    const calls = this.calls;
    for (let i = 0; i < calls.length; i++) {
      const c = calls[i]!;
      if (c.active && c.dialog.matchesRequest(msg)) return c;
    }
    return null;
  }

  private freeCall(): Call | null {
    const calls = this.calls;
    for (let i = 0; i < calls.length; i++) if (calls[i]!.idle) return calls[i]!;
    return null;
  }

  private caught(e: unknown): void {
    this.errors++;
    if (this.log !== undefined) this.log.log(LogLevel.Error, "user agent: " + String(e));
  }

  private info(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Info, text);
  }

  private warn(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Warn, text);
  }
}

/**
 * The call a response answers, as Call.end keeps it: dialogHash of its Call-ID and its From tag (ours); 0 when it
 * has no Call-ID or no From tag.
 */
function ourCall(msg: SipMessage): number {
  const from = msg.from;
  if (msg.callIdLen <= 0 || from.error >= 0 || from.tagLen <= 0) return 0;
  return dialogHash(msg.buf, msg.callIdStart, msg.callIdLen, msg.buf, from.tagStart, from.tagLen);
}
