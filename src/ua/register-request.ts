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
 *
 * The fixed texts live in the registration's buffer (packNumbers,
 * util/packed-numbers.ts): registerTexts() gives them in RegText order,
 * and the writers below take that buffer's bytes, its numbers, and where
 * the texts' table starts among them (issue #9: no object and no view per
 * text).
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
  hasOutboundProxy, hostForUri, portOr, proxyRouteLine,
} from "./account";
import type { ContactAddress } from "./contact-address";
import { writePacked } from "./packed-text";

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

/** The texts of registerTexts(), in order: their entries in the table of starts. */
export const enum RegText {
  /** "sip:domain": the Request-URI, also the digest-uri (RFC 3261 §22.4). */
  RequestUri = 0,
  /** "REGISTER sip:domain SIP/2.0\r\n" */
  RequestLine = 1,
  /** "Max-Forwards: 70\r\n" [+ "Route: <sip:proxy:port;lr>\r\n"] */
  Head = 2,
  /** "From: <sip:user@domain" (then ">;tag=..." per request) */
  FromPrefix = 3,
  /** "To: <sip:user@domain>\r\nCall-ID: ...\r\n" */
  ToAndCallId = 4,
  /** "Allow: ...\r\nUser-Agent: ...\r\n" */
  Tail = 5,
  /** "user@" for the Contact URI; without its "@", the user part that finds our Contact in a 200 (§10.3 lists every binding of the AOR). */
  UserAt = 6,
  /** The Call-ID, 32 hex digits (§8.1.1.4), the same for the life of the registration. */
  CallId = 7,
  /** Table entries: a start per text and the last one's end. */
  Entries = 9,
}

/** RegText.Head without an outbound proxy: "Max-Forwards: 70\r\n" (§8.1.1.6); longer, it holds the proxy's Route. */
export const REGISTER_HEAD_BYTES = 18;

/** RegText.Head: Max-Forwards, and with an outbound proxy (`proxy` not "") §8.1.2's preloaded Route to it. */
export function registerHead(proxy: string, port: number): string {
  return "Max-Forwards: 70\r\n" + (proxy !== "" ? proxyRouteLine(proxy, port) : "");
}

/** The REGISTER's fixed texts for this account, with a new Call-ID, in RegText order. */
export function registerTexts(account: AccountConfig, random: RandomHost): string[] {
  const domain = account.domain !== undefined && account.domain !== "" ? account.domain : hostForUri(account.registrarHost);
  const aor = "sip:" + account.user + "@" + domain;
  const requestUri = "sip:" + domain;
  const head = registerHead(hasOutboundProxy(account) ? account.outboundProxyHost : "", portOr(account.outboundProxyPort, DEFAULT_SIP_PORT));
  const id = new Uint8Array(CALL_ID_LENGTH);
  writeCallId(random, id, 0);
  let callId = "";
  for (let i = 0; i < id.length; i++) callId += String.fromCharCode(id[i]!);
  return [
    requestUri,
    "REGISTER " + requestUri + " SIP/2.0\r\n",
    head,
    "From: <" + aor,
    "To: <" + aor + ">\r\nCall-ID: " + callId + "\r\n",
    "Allow: " + (account.allow ?? DEFAULT_ALLOW) + "\r\n" + "User-Agent: " + (account.userAgent ?? DEFAULT_USER_AGENT) + "\r\n",
    account.user + "@",
    callId,
  ];
}

/**
 * Write the start of a REGISTER: Request-Line, the layer's Via, and the
 * headers up to CSeq. The layer fixes its advertised address when it
 * writes the Via, so the caller reads it for the Contact after this.
 * `b` and `n` are the bytes and numbers of the texts' buffer, `t` where
 * their table starts in n.
 */
export function beginRegister(
  w: SipWriter, b: Uint8Array, n: Float64Array, t: number, layer: TransactionLayerApi, tx: ClientTransactionHandle, random: RandomHost, cseq: number,
): void {
  w.reset();
  writePacked(w, b, n, t + RegText.RequestLine);
  layer.writeVia(w, tx);
  writePacked(w, b, n, t + RegText.Head);
  writePacked(w, b, n, t + RegText.FromPrefix);
  w.bytes(K_FROM_TAG);
  const at = writeTag(random, w.buf, w.pos);
  if (at < 0) w.overflow = true;
  else w.pos = at;
  w.crlf();
  writePacked(w, b, n, t + RegText.ToAndCallId);
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
export function finishRegister(
  w: SipWriter, b: Uint8Array, n: Float64Array, t: number, contact: ContactAddress, expires: number, remove: ContactAddress | null,
  www: DigestSession | null, proxy: DigestSession | null,
): boolean {
  writeContact(w, b, n, t, contact, expires);
  if (remove !== null) writeContact(w, b, n, t, remove, 0);
  // §10.2.1.1: Expires applies to Contacts without their own parameter; both are sent, matching.
  w.headerUint(H.Expires, expires);
  writePacked(w, b, n, t + RegText.Tail);
  // The credentials are computed into the writer: a challenged refresh allocates nothing here (the HashHost's digests aside).
  if (www !== null) writeCredentials(w, b, n, t, H.Authorization, www);
  if (proxy !== null) writeCredentials(w, b, n, t, H.ProxyAuthorization, proxy);
  w.end();
  return !w.overflow;
}

function writeCredentials(w: SipWriter, b: Uint8Array, n: Float64Array, t: number, header: H, session: DigestSession): void {
  const at = w.pos;
  w.headerName(header);
  const uri = n[t + RegText.RequestUri]!;
  if (session.writeAuthorization(w, K_METHOD, 0, K_METHOD.length, b, uri, n[t + RegText.RequestUri + 1]! - uri)) w.crlf();
  else if (!w.overflow) w.pos = at; // no accepted challenge: no header
}

function writeContact(w: SipWriter, b: Uint8Array, n: Float64Array, t: number, a: ContactAddress, expires: number): void {
  w.bytes(K_CONTACT_SIP);
  writePacked(w, b, n, t + RegText.UserAt);
  writeHostPort(w, a);
  w.bytes(K_EXPIRES_PARAM).uint(expires).crlf();
}
