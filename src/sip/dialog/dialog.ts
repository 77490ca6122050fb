/*
 * A dialog (RFC 3261 §12): the peer-to-peer relationship an INVITE
 * creates, identified by Call-ID, local tag and remote tag (§12). It keeps
 * what §12.1.1 (UAS) and §12.1.2 (UAC) list as dialog state: local and
 * remote sequence numbers, local and remote URI, the remote target and the
 * route set; and it writes requests inside the dialog (§12.2.1.1) and
 * checks those that arrive (§12.2.2).
 *
 * All state is copied into one store (dialog-store.ts), which the dialog
 * is (a subclass: one object, not two): a dialog is allocated once and
 * reused call after call.
 */
import { ascii } from "../message/bytes";
import { H } from "../message/header";
import type { SipMessage } from "../message/message";
import { type Method, METHOD_BYTES } from "../message/method";
import { NameAddr } from "../message/name-addr";
import { HeaderValues } from "../message/values";
import type { SipWriter } from "../message/writer";
import { DIALOG_BITS, DialogField, DialogStore, FALLBACK_PORT, LOCAL_SEQ, REMOTE_SEQ, type StoreField, storeField } from "./dialog-store";
import { NextHop } from "./next-hop";
import { RouteSet } from "./route-set";

export { DIALOG_BUFFER_BYTES } from "./dialog-store";

export const enum DialogState {
  None = 0,
  /** Created by a provisional response with a To tag (§12.1). */
  Early = 1,
  /** Created or confirmed by a 2xx (§12.1). */
  Confirmed = 2,
  Terminated = 3,
}

/** Why a request cannot enter this dialog (§12.2.2). */
export const enum DialogCheck {
  Ok = 0,
  /** Lower CSeq than the last one: out of order, answer 500 (§12.2.2). */
  OutOfOrder = 1,
  /** A target-refresh request whose Contact cannot be read: 400. */
  BadContact = 2,
}

/**
 * The flags of a dialog in one 16-bit entry of its store's numbers
 * (DIALOG_BITS, behind the accessors state, uac and remoteSeq); its CSeqs
 * (32 bits, §8.1.1.5) are two 16-bit halves each there, its fallback port
 * one entry: in XS each property is a heap slot per dialog (16 bytes on
 * the device).
 */
const enum Bits {
  /** DialogState, 2 bits. */
  StateMask = 3,
  Uac = 4,
  /** remoteSeq holds a CSeq (otherwise it reads -1). */
  HasRemoteSeq = 8,
}

const K_FROM_OPEN = ascii("From: <");
const K_TO_OPEN = ascii("To: <");
const K_TAG_CLOSE = ascii(">;tag=");
const K_SIP_20 = ascii(" SIP/2.0\r\n");
const K_MAX_FORWARDS = ascii("Max-Forwards: 70\r\n");
const K_CSEQ = ascii("CSeq: ");

/**
 * Readers a dialog uses only inside one of its methods, so dialogs (and
 * whoever else holds them) can share one of each: on the device a NameAddr
 * costs some 90 heap slots. Default: the dialog's own.
 */
export interface DialogScratch {
  readonly addr: NameAddr;
  readonly values: HeaderValues;
}

export class Dialog extends DialogStore {
  readonly callId: StoreField;
  /** Always at byte 0 of the store (see DialogField). */
  readonly localTag: StoreField;
  readonly remoteTag: StoreField;
  /** URIs only: display names are not part of the dialog state (§12.2.1.1 asks for the URIs). */
  readonly localUri: StoreField;
  readonly remoteUri: StoreField;
  /** The Contact URI of the peer (§12.1.1), refreshed by target-refresh requests (§12.2). */
  readonly remoteTarget: StoreField;
  readonly routes: RouteSet;
  /** Where requests in this dialog go: the first route, else the remote target (§12.2.1.1, §8.1.2). */
  readonly hop = new NextHop();
  /** Used when the route set is empty, instead of the remote target: a configured outbound proxy (and fallbackPort). */
  fallbackAddress = "";

  /** The readers the dialog borrows inside its methods (see DialogScratch). */
  private readonly scratch: DialogScratch;

  /** With `buffer`, the dialog's store is DIALOG_BUFFER_BYTES of it from `offset` (even; see DialogStore). */
  constructor(scratch?: DialogScratch, buffer?: ArrayBuffer, offset = 0) {
    super(buffer, offset);
    this.scratch = scratch !== undefined ? scratch : { addr: new NameAddr(), values: new HeaderValues() };
    this.routes = new RouteSet(this);
    this.callId = storeField(this, DialogField.CallId);
    this.localTag = storeField(this, DialogField.LocalTag);
    this.remoteTag = storeField(this, DialogField.RemoteTag);
    this.localUri = storeField(this, DialogField.LocalUri);
    this.remoteUri = storeField(this, DialogField.RemoteUri);
    this.remoteTarget = storeField(this, DialogField.RemoteTarget);
    this.remoteSeq = -1;
  }

  /** Call-ID, tags, URIs, remote target and routes, end to end (issue #9: one buffer, not seven): the dialog itself. */
  get store(): DialogStore {
    return this;
  }

  private get addr(): NameAddr {
    return this.scratch.addr;
  }

  get state(): DialogState {
    return this.spans[DIALOG_BITS]! & Bits.StateMask;
  }
  set state(v: DialogState) {
    const s = this.spans;
    s[DIALOG_BITS] = (s[DIALOG_BITS]! & ~Bits.StateMask) | (v & Bits.StateMask);
  }

  /** Created by our INVITE (UAC) rather than by one we received. */
  get uac(): boolean {
    return (this.spans[DIALOG_BITS]! & Bits.Uac) !== 0;
  }
  set uac(v: boolean) {
    const s = this.spans;
    s[DIALOG_BITS] = (s[DIALOG_BITS]! & ~Bits.Uac) | (v ? Bits.Uac : 0);
  }

  /** Our last CSeq in this dialog (§12.2.1.1: increments by one per request, ACK and CANCEL excepted); kept modulo 2^32 (§8.1.1.5: under 2^31). */
  get localSeq(): number {
    const s = this.spans;
    return s[LOCAL_SEQ]! * 65536 + s[LOCAL_SEQ + 1]!;
  }
  set localSeq(v: number) {
    const s = this.spans;
    s[LOCAL_SEQ] = v >>> 16;
    s[LOCAL_SEQ + 1] = v & 65535;
  }

  /** The peer's last CSeq, -1 while empty (§12.2.2). */
  get remoteSeq(): number {
    const s = this.spans;
    return (s[DIALOG_BITS]! & Bits.HasRemoteSeq) !== 0 ? s[REMOTE_SEQ]! * 65536 + s[REMOTE_SEQ + 1]! : -1;
  }
  set remoteSeq(v: number) {
    const s = this.spans;
    if (v < 0) {
      s[DIALOG_BITS] = s[DIALOG_BITS]! & ~Bits.HasRemoteSeq;
      return;
    }
    s[DIALOG_BITS] = s[DIALOG_BITS]! | Bits.HasRemoteSeq;
    s[REMOTE_SEQ] = v >>> 16;
    s[REMOTE_SEQ + 1] = v & 65535;
  }

  /** The port of fallbackAddress; 0: none. */
  get fallbackPort(): number {
    return this.spans[FALLBACK_PORT]!;
  }
  set fallbackPort(v: number) {
    // Not a port (RFC 3261 §25.1: 16 bits): none.
    this.spans[FALLBACK_PORT] = v > 0 && v <= 65535 ? v : 0;
  }

  reset(): void {
    this.state = DialogState.None;
    this.uac = false;
    this.clear();
    this.localSeq = 0;
    this.remoteSeq = -1;
    this.hop.clear();
  }

  /**
   * §12.1.1: the dialog of a UAS answering `req` with our `localTag`. The
   * route set is the Record-Route list in order, the remote target the
   * Contact, remote CSeq the request's; remote URI is From, local URI To.
   * Returns false when the request lacks what a dialog needs (a Contact
   * with a SIP URI, §8.1.1.8) or its state does not fit the store: the
   * caller answers 400. `localTag` may be this dialog's own localTag (the
   * call wrote its tag there, at byte 0 of the store): it is set first, so
   * that the 400 still carries it (§8.2.6.2).
   */
  initUas(req: SipMessage, localTag: Uint8Array, tagStart: number, tagLen: number): boolean {
    this.reset();
    this.uac = false;
    if (!this.localTag.set(localTag, tagStart, tagLen)) return false;
    const buf = req.buf;
    if (req.callIdLen <= 0 || !this.callId.set(buf, req.callIdStart, req.callIdLen)) return false;
    const from = req.from;
    const to = req.to;
    if (from.error >= 0 || to.error >= 0) return false;
    // In the store's order (nothing moves): local URI, remote URI, remote tag.
    if (!this.localUri.set(buf, to.uriStart, to.uriLen)) return false;
    if (!this.remoteUri.set(buf, from.uriStart, from.uriLen)) return false;
    // An RFC 2543 peer may send no From tag: the remote tag is then empty (§12.1.1).
    if (from.tagLen > 0 && !this.remoteTag.set(buf, from.tagStart, from.tagLen)) return false;
    if (!this.routes.fromRecordRoute(req, false, this.scratch.values, this.addr)) return false;
    if (!this.refreshTarget(req)) return false;
    this.remoteSeq = req.cseq;
    this.localSeq = 0;
    this.state = DialogState.Early;
    return true;
  }

  /**
   * Before a response: the UAC's half of the state, from the request we
   * send (§12.1.2): Call-ID, our tag, local and remote URIs, our CSeq.
   */
  prepareUac(callId: StoreField, localTag: StoreField, localUri: StoreField, remoteUri: StoreField, cseq: number): boolean {
    this.reset();
    const ok = this.localTag.copy(localTag) && this.callId.copy(callId) && this.localUri.copy(localUri) && this.remoteUri.copy(remoteUri);
    this.restartUac(cseq);
    return ok;
  }

  /**
   * Before each INVITE of our call, when the caller wrote the UAC's half of
   * the state (Call-ID, our tag, local and remote URIs) into this dialog's
   * own fields: they stay (a retry after a challenge or a redirect keeps
   * them, §8.1.3.5), what the responses will bring is cleared. The call
   * keeps no copies of them (issue #9).
   */
  restartUac(cseq: number): void {
    this.state = DialogState.None;
    this.uac = true;
    this.remoteTag.clear();
    this.remoteTarget.clear();
    this.routes.clear();
    this.localSeq = cseq;
    this.remoteSeq = -1;
    this.hop.clear();
  }

  /**
   * §12.1.2: a 1xx (with a To tag) or 2xx to our INVITE creates the dialog:
   * remote tag from To, the route set from Record-Route reversed, the remote
   * target from Contact. A 2xx confirms an early dialog and replaces its
   * route set and target (§13.2.2.4). Returns false when the response
   * cannot make a dialog (no To tag, no usable Contact in a 2xx).
   */
  fromResponse(resp: SipMessage): boolean {
    const to = resp.to;
    if (to.error >= 0 || to.tagLen <= 0) return false;
    const buf = resp.buf;
    const confirm = resp.status >= 200;
    if (this.state === DialogState.Early && !this.remoteTag.equals(buf, to.tagStart, to.tagLen)) return false;
    if (this.state === DialogState.Confirmed) return this.remoteTag.equals(buf, to.tagStart, to.tagLen);
    if (!this.remoteTag.set(buf, to.tagStart, to.tagLen)) return false;
    if (!this.routes.fromRecordRoute(resp, true, this.scratch.values, this.addr)) return false;
    if (!this.refreshTarget(resp)) {
      // A 1xx without Contact still makes an early dialog; requests then wait for a target.
      if (confirm) return false;
      this.remoteTarget.clear();
      this.hop.clear();
    }
    this.state = confirm ? DialogState.Confirmed : DialogState.Early;
    return true;
  }

  /** A 2xx was sent (UAS) or received: the dialog is confirmed (§12.1). */
  confirm(): void {
    if (this.state === DialogState.Early) this.state = DialogState.Confirmed;
  }

  terminate(): void {
    this.state = DialogState.Terminated;
  }

  /**
   * Is resp a response in this dialog after it ended (its fields are kept until the next reset): Call-ID, our tag in
   * From and its remote tag in To? A late 2xx to its INVITE or re-INVITE is then ACKed from it (§13.2.2.4).
   */
  endedMatches(resp: SipMessage): boolean {
    if (this.state !== DialogState.Terminated || resp.callIdLen <= 0) return false;
    const buf = resp.buf;
    const from = resp.from;
    const to = resp.to;
    return this.callId.equals(buf, resp.callIdStart, resp.callIdLen) && from.error < 0 && from.tagLen > 0 && this.localTag.equals(buf, from.tagStart, from.tagLen) &&
      to.error < 0 && to.tagLen > 0 && this.remoteTag.equals(buf, to.tagStart, to.tagLen);
  }

  get active(): boolean {
    return this.state === DialogState.Early || this.state === DialogState.Confirmed;
  }

  /**
   * Does a request belong to this dialog (§12.2.2)? Call-ID, To tag = our
   * tag, From tag = the remote tag (both empty for an RFC 2543 peer).
   */
  matchesRequest(req: SipMessage): boolean {
    if (!this.active || req.callIdLen <= 0) return false;
    const buf = req.buf;
    if (!this.callId.equals(buf, req.callIdStart, req.callIdLen)) return false;
    const to = req.to;
    const from = req.from;
    if (to.error >= 0 || from.error >= 0 || to.tagLen <= 0) return false;
    if (!this.localTag.equals(buf, to.tagStart, to.tagLen)) return false;
    return from.tagLen > 0 ? this.remoteTag.equals(buf, from.tagStart, from.tagLen) : this.remoteTag.len === 0;
  }

  /** Same Call-ID and our tag in From: a response to one of our requests in this dialog (or its early forms). */
  matchesResponse(resp: SipMessage): boolean {
    if (this.state === DialogState.None || this.state === DialogState.Terminated || resp.callIdLen <= 0) return false;
    const buf = resp.buf;
    const from = resp.from;
    return this.callId.equals(buf, resp.callIdStart, resp.callIdLen) && from.error < 0 && from.tagLen > 0 && this.localTag.equals(buf, from.tagStart, from.tagLen);
  }

  /**
   * §12.2.2: a request's CSeq against the remote sequence number. Lower is
   * out of order (500); otherwise it becomes the remote sequence number.
   * ACK and CANCEL carry the CSeq of the request they refer to and are not
   * counted.
   */
  acceptRemoteCSeq(req: SipMessage): DialogCheck {
    const cseq = req.cseq;
    if (this.remoteSeq >= 0 && cseq < this.remoteSeq) return DialogCheck.OutOfOrder;
    this.remoteSeq = cseq;
    return DialogCheck.Ok;
  }

  /**
   * A target refresh (§12.2: re-INVITE, UPDATE, and their 2xx): the remote
   * target becomes the message's Contact URI. False when there is no
   * readable Contact with a SIP URI.
   */
  refreshTarget(msg: SipMessage): boolean {
    const h = msg.first[H.Contact]!;
    if (h < 0) return false;
    const a = this.addr;
    const buf = msg.buf;
    // One Contact value (§8.1.1.8); with several, the first is taken.
    let end = msg.hValueEnd[h]!;
    const start = msg.hValueStart[h]!;
    for (let i = start, depth = 0, quoted = false; i < end; i++) {
      const b = buf[i]!;
      if (b === 34) quoted = !quoted;
      else if (!quoted && b === 60) depth++;
      else if (!quoted && b === 62) depth--;
      else if (!quoted && depth === 0 && b === 44) {
        end = i;
        break;
      }
    }
    if (!a.read(buf, start, end) || a.star) return false;
    if (!this.hop.fromUri(a.uri) && this.routes.count === 0) return false;
    if (!this.remoteTarget.set(buf, a.uriStart, a.uriLen)) return false;
    this.updateHop();
    return true;
  }

  /** Recompute the next hop: first route, else the fallback (outbound proxy), else the remote target. */
  updateHop(): void {
    const a = this.addr;
    if (this.routes.count > 0) {
      if (this.routes.readUri(0, a) && this.hop.fromUri(a.uri)) return;
    }
    if (this.fallbackPort > 0) {
      this.hop.set(this.fallbackAddress, this.fallbackPort);
      return;
    }
    const t = this.remoteTarget;
    if (t.len > 0 && a.read(t.bytes, t.start, t.start + t.len)) this.hop.fromUri(a.uri);
  }

  /** The next local CSeq (§12.2.1.1). */
  nextLocalSeq(): number {
    this.localSeq = this.localSeq <= 0 ? 1 : this.localSeq + 1;
    return this.localSeq;
  }

  /**
   * The Request-Line of a request in the dialog (§12.2.1.1): the remote
   * target, or the first route under strict routing. The caller writes the
   * Via next, then calls writeHeaders().
   */
  writeRequestLine(w: SipWriter, method: Method): void {
    w.bytes(METHOD_BYTES[method]!).byte(32);
    if (this.routes.count > 0 && !this.routes.loose) this.routes.writeFirstUri(w);
    else this.remoteTarget.write(w);
    w.bytes(K_SIP_20);
  }

  /** Max-Forwards, Route, From, To, Call-ID and CSeq of a request in the dialog (§12.2.1.1, §8.1.1). */
  writeHeaders(w: SipWriter, method: Method, cseq: number): void {
    w.bytes(K_MAX_FORWARDS);
    const t = this.remoteTarget;
    this.routes.writeRoutes(w, t.bytes, t.start, t.len);
    w.bytes(K_FROM_OPEN);
    this.localUri.write(w).bytes(K_TAG_CLOSE);
    this.localTag.write(w).crlf();
    w.bytes(K_TO_OPEN);
    this.remoteUri.write(w);
    if (this.remoteTag.len > 0) this.remoteTag.write(w.bytes(K_TAG_CLOSE));
    else w.byte(62);
    w.crlf();
    w.headerName(H.CallId);
    this.callId.write(w).crlf();
    w.bytes(K_CSEQ).uint(cseq).byte(32).bytes(METHOD_BYTES[method]!).crlf();
  }
}
