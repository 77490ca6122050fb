/*
 * The bytes of a REGISTER (RFC 3261 §10.2). Everything that does not change
 * between requests is encoded once, at construction: the Request-Line, the
 * To header, the From prefix, Call-ID, Max-Forwards, Route, Allow and
 * User-Agent. Per request only the Via (the layer's branch), the From tag,
 * CSeq, Contact/Expires and, when a challenge was accepted, the
 * credentials are written.
 *
 * §10.2: the Request-URI names the registrar's domain with no user part
 * (FRITZ!Box drops REGISTERs with one), To and From carry the
 * address-of-record, Call-ID is the same for every REGISTER of the binding
 * (§10.2.4 "SHOULD"), CSeq increases (§10.2). From gets a fresh tag per
 * request (§8.1.1.3).
 */
import type { RandomHost } from "../host";
import type { DigestSession } from "../sip/auth/digest-session";
import { ascii } from "../sip/message/bytes";
import { H } from "../sip/message/header";
import type { SipWriter } from "../sip/message/writer";
import { writeCallId, writeTag, CALL_ID_LENGTH } from "../sip/ids";
import type { ClientTransactionHandle, TransactionLayerApi } from "../sip/transaction/api";
import {
  type AccountConfig, DEFAULT_ALLOW, DEFAULT_SIP_PORT, DEFAULT_USER_AGENT,
  hostForUri, portOr,
} from "./account";
import type { ContactAddress } from "./contact-address";
import { packedText } from "./packed-text";

const K_CONTACT_SIP = ascii("Contact: <sip:");
const K_EXPIRES_PARAM = ascii(">;expires=");
const K_REGISTER = ascii(" REGISTER");
const K_CSEQ = ascii("CSeq: ");
const K_FROM_TAG = ascii(">;tag=");
/** The method as the digest's A2 names it (RFC 7616 §3.4.3). */
const K_METHOD = ascii("REGISTER");

/** Write "user@" (or nothing when the user is empty) + host[:port] into w, brackets around IPv6. */
export function writeHostPort(w: SipWriter, a: ContactAddress): void {
  if (a.v6) w.byte(91);
  w.span(a.bytes, 0, a.len);
  if (a.v6) w.byte(93);
  w.byte(58).uint(a.port);
}

export class RegisterRequest {
  /** "sip:domain": the Request-URI, also the digest-uri (RFC 3261 §22.4). */
  readonly requestUri: string;
  /** The same as bytes, for the digest computed into the writer. */
  private readonly requestUriBytes: Uint8Array;
  /** "REGISTER sip:domain SIP/2.0\r\n" */
  private readonly requestLine: Uint8Array;
  /** "Max-Forwards: 70\r\n" [+ "Route: <sip:proxy:port;lr>\r\n"] */
  private readonly head: Uint8Array;
  /** "From: <sip:user@domain" (then ">;tag=..." per request) */
  private readonly fromPrefix: Uint8Array;
  /** "To: <sip:user@domain>\r\nCall-ID: ...\r\n" */
  private readonly toAndCallId: Uint8Array;
  /** "Allow: ...\r\nUser-Agent: ...\r\n" */
  private readonly tail: Uint8Array;
  /** "user@" for the Contact URI. */
  readonly userAt: Uint8Array;
  /** The user part alone, to find our Contact in a 200 (§10.3 lists every binding of the AOR). */
  readonly user: Uint8Array;
  /** The Call-ID, 32 hex digits (§8.1.1.4), the same for the life of this object. */
  readonly callId: Uint8Array;

  constructor(account: AccountConfig, random: RandomHost) {
    const domain = account.domain !== undefined && account.domain !== "" ? account.domain : hostForUri(account.registrarHost);
    const aor = "sip:" + account.user + "@" + domain;
    this.requestUri = "sip:" + domain;
    let head = "Max-Forwards: 70\r\n";
    if (account.outboundProxyHost !== undefined && account.outboundProxyHost !== "") {
      // §8.1.2: a preloaded Route to the outbound proxy, loose-routing (";lr", §16.12.1.1).
      const port = portOr(account.outboundProxyPort, DEFAULT_SIP_PORT);
      head += "Route: <sip:" + hostForUri(account.outboundProxyHost) + ":" + port + ";lr>\r\n";
    }
    const id = new Uint8Array(CALL_ID_LENGTH);
    writeCallId(random, id, 0);
    let callId = "";
    for (let i = 0; i < id.length; i++) callId += String.fromCharCode(id[i]!);
    // One buffer for all of them (packed-text.ts).
    const bytes = packedText([
      this.requestUri,
      "REGISTER " + this.requestUri + " SIP/2.0\r\n",
      head,
      "From: <" + aor,
      "To: <" + aor + ">\r\nCall-ID: " + callId + "\r\n",
      "Allow: " + (account.allow ?? DEFAULT_ALLOW) + "\r\n" + "User-Agent: " + (account.userAgent ?? DEFAULT_USER_AGENT) + "\r\n",
      account.user,
      account.user + "@",
      callId,
    ]);
    this.requestUriBytes = bytes[0]!;
    this.requestLine = bytes[1]!;
    this.head = bytes[2]!;
    this.fromPrefix = bytes[3]!;
    this.toAndCallId = bytes[4]!;
    this.tail = bytes[5]!;
    this.user = bytes[6]!;
    this.userAt = bytes[7]!;
    this.callId = bytes[8]!;
  }

  /**
   * Write the start of a REGISTER: Request-Line, the layer's Via, and the
   * headers up to CSeq. The layer fixes its advertised address when it
   * writes the Via, so the caller reads it for the Contact after this.
   */
  begin(w: SipWriter, layer: TransactionLayerApi, tx: ClientTransactionHandle, random: RandomHost, cseq: number): void {
    w.reset();
    w.bytes(this.requestLine);
    layer.writeVia(w, tx);
    w.bytes(this.head);
    w.bytes(this.fromPrefix).bytes(K_FROM_TAG);
    const at = writeTag(random, w.buf, w.pos);
    if (at < 0) w.overflow = true;
    else w.pos = at;
    w.crlf();
    w.bytes(this.toAndCallId);
    w.bytes(K_CSEQ).uint(cseq).bytes(K_REGISTER).crlf();
  }

  /**
   * The rest: Contact `contact` asking for `expires` seconds (0 removes
   * the binding, §10.2.2). `remove`, when given, is a previous Contact of
   * ours to remove in the same request (expires=0), e.g. after a NAT
   * mapping change. Credentials are added for each session given (those
   * holding an accepted challenge): a refresh reuses the nonce with nc
   * counted up (RFC 7616 §3.4), so it needs no new challenge. Returns false
   * on overflow.
   */
  finish(w: SipWriter, contact: ContactAddress, expires: number, remove: ContactAddress | null, www: DigestSession | null, proxy: DigestSession | null): boolean {
    this.contact(w, contact, expires);
    if (remove !== null) this.contact(w, remove, 0);
    // §10.2.1.1: Expires applies to Contacts without their own parameter; both are sent, matching.
    w.headerUint(H.Expires, expires);
    w.bytes(this.tail);
    // The credentials are computed into the writer: a challenged refresh allocates nothing here (the HashHost's digests aside).
    if (www !== null) this.credentials(w, H.Authorization, www);
    if (proxy !== null) this.credentials(w, H.ProxyAuthorization, proxy);
    w.end();
    return !w.overflow;
  }

  private credentials(w: SipWriter, header: H, session: DigestSession): void {
    const at = w.pos;
    w.headerName(header);
    if (session.writeAuthorization(w, K_METHOD, 0, K_METHOD.length, this.requestUriBytes, 0, this.requestUriBytes.length)) w.crlf();
    else if (!w.overflow) w.pos = at; // no accepted challenge: no header
  }

  private contact(w: SipWriter, a: ContactAddress, expires: number): void {
    w.bytes(K_CONTACT_SIP).bytes(this.userAt);
    writeHostPort(w, a);
    w.bytes(K_EXPIRES_PARAM).uint(expires).crlf();
  }
}
