/*
 * The few fields of a response to REGISTER or OPTIONS the UA acts on:
 * the expiry granted to our Contact (RFC 3261 §10.2.4), Min-Expires of a
 * 423 (§10.3 step 7, §20.23), Retry-After (§20.33), and the Digest
 * challenges of a 401/407 (§22.2, §22.3). Reading is allocation-free, except
 * for challenges: auth is rare, and DigestSession works on strings.
 */
import { type DigestChallenge, chooseChallenge, parseDigestChallenge } from "../sip/auth/challenge";
import { spansEqual } from "../sip/message/bytes";
import { H } from "../sip/message/header";
import { parseUint, skipDigits, skipLws } from "../sip/message/lex";
import type { SipMessage } from "../sip/message/message";
import type { NameAddr } from "../sip/message/name-addr";
import { Scheme } from "../sip/message/uri";
import type { HeaderValues } from "../sip/message/values";
import type { ContactAddress } from "./contact-address";

const MAX_U32 = 4294967295;
const DEFAULT_PORT = 5060;

/**
 * Seconds granted to our binding: the "expires" parameter of the Contact in
 * the 200 that is ours (same user, host and port: a registrar lists every
 * binding of the AOR, §10.3 step 8; our user part is user[userStart,
 * userStart + userLen)), else the Expires header, else -1.
 */
export function grantedExpires(
  msg: SipMessage, user: Uint8Array, userStart: number, userLen: number, ours: ContactAddress, values: HeaderValues, addr: NameAddr,
): number {
  const buf = msg.buf;
  values.begin(msg, H.Contact);
  while (values.next()) {
    if (!addr.read(buf, values.start, values.start + values.len) || addr.star) continue;
    const uri = addr.uri;
    if (uri.scheme !== Scheme.Sip && uri.scheme !== Scheme.Sips) continue;
    if (!spansEqual(buf, uri.userStart, uri.userLen, user, userStart, userLen)) continue;
    if (!ours.sameHost(buf, uri.hostStart, uri.hostLen)) continue;
    if ((uri.port < 0 ? DEFAULT_PORT : uri.port) !== ours.port) continue;
    if (addr.expiresLen > 0) {
      const v = parseUint(buf, addr.expiresStart, addr.expiresStart + addr.expiresLen, MAX_U32);
      if (v >= 0) return v;
    }
    break;
  }
  return msg.expires;
}

/** Min-Expires of a 423 (§20.23), or -1. */
export function minExpires(msg: SipMessage): number {
  const h = msg.first[H.MinExpires]!;
  if (h < 0) return -1;
  const buf = msg.buf;
  const s = skipLws(buf, msg.hValueStart[h]!, msg.hValueEnd[h]!);
  return parseUint(buf, s, skipDigits(buf, s, msg.hValueEnd[h]!), MAX_U32);
}

/** Retry-After delta-seconds (§20.33: the comment and parameters after it are ignored), or -1. */
export function retryAfter(msg: SipMessage): number {
  const h = msg.first[H.RetryAfter]!;
  if (h < 0) return -1;
  const buf = msg.buf;
  const s = skipLws(buf, msg.hValueStart[h]!, msg.hValueEnd[h]!);
  return parseUint(buf, s, skipDigits(buf, s, msg.hValueEnd[h]!), MAX_U32);
}

/**
 * The challenge to answer among the WWW-Authenticate (401) or
 * Proxy-Authenticate (407) headers: the first Digest one we support
 * (RFC 8760 §2.4: servers list their preferred algorithm first). Null when
 * none: the request then fails like any other 4xx.
 */
export function readChallenge(msg: SipMessage, id: H): DigestChallenge | null {
  const list: DigestChallenge[] = [];
  for (let h = msg.first[id]!; h >= 0; h = msg.hNext[h]!) {
    const ch = parseDigestChallenge(msg.valueString(h));
    if (ch !== null) list.push(ch);
  }
  return chooseChallenge(list);
}
