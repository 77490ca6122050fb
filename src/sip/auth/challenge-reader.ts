/*
 * The Digest challenge to answer, read from the message's own bytes: of the
 * WWW-Authenticate (401, RFC 3261 §22.2) or Proxy-Authenticate (407, §22.3)
 * headers, the first Digest one whose algorithm and qop we support (servers
 * list their preferred algorithm first, RFC 7616 §3.7; a SIP UAC uses the
 * topmost one it supports, RFC 8760 §2.4). Allocation-free: a refresh is
 * challenged every few minutes and must not feed the garbage collector.
 */
import { ascii, spanEqualsCI } from "../message/bytes";
import { AuthParam, AuthParams } from "../message/auth-params";
import type { H } from "../message/header";
import type { SipMessage } from "../message/message";

/** RFC 7616 §3.3 / RFC 8760 §2.1 algorithms ("-sess": session variant). */
export const enum DigestAlg {
  MD5 = 0,
  MD5Sess = 1,
  SHA256 = 2,
  SHA256Sess = 3,
}

/** None is the RFC 2069 form: the challenge carried no qop (RFC 2617 §3.2.2.1). */
export const enum QopKind {
  None = 0,
  Auth = 1,
  AuthInt = 2,
}

const K_MD5 = ascii("md5");
const K_MD5_SESS = ascii("md5-sess");
const K_SHA256 = ascii("sha-256");
const K_SHA256_SESS = ascii("sha-256-sess");
const K_AUTH = ascii("auth");
const K_AUTH_INT = ascii("auth-int");
const K_TRUE = ascii("true");

/** The algorithm token of a challenge; absent (or empty) means MD5 (RFC 2617 §3.2.1). -1 when unsupported. */
export function algorithmOf(p: AuthParams): DigestAlg | -1 {
  const len = p.valueLen[AuthParam.Algorithm]!;
  if (len <= 0) return DigestAlg.MD5;
  const buf = p.buf;
  const s = p.valueStart[AuthParam.Algorithm]!;
  if (spanEqualsCI(buf, s, len, K_MD5)) return DigestAlg.MD5;
  if (spanEqualsCI(buf, s, len, K_MD5_SESS)) return DigestAlg.MD5Sess;
  if (spanEqualsCI(buf, s, len, K_SHA256)) return DigestAlg.SHA256;
  if (spanEqualsCI(buf, s, len, K_SHA256_SESS)) return DigestAlg.SHA256Sess;
  return -1;
}

function isLws(b: number): boolean {
  return b === 32 || b === 9 || b === 13 || b === 10;
}

/**
 * The qop to use from the challenge's qop-options ("auth,auth-int"): "auth"
 * when offered (it works whatever the body), "auth-int" only when it is all
 * there is; no options: None. -1 when nothing offered is known.
 */
export function qopOf(p: AuthParams): QopKind | -1 {
  const len = p.valueLen[AuthParam.Qop]!;
  if (len < 0) return QopKind.None;
  const buf = p.buf;
  const end = p.valueStart[AuthParam.Qop]! + len;
  let auth = false;
  let authInt = false;
  let any = false;
  let i = p.valueStart[AuthParam.Qop]!;
  while (i < end) {
    while (i < end && (buf[i] === 44 || isLws(buf[i]!))) i++;
    const s = i;
    while (i < end && buf[i] !== 44) i++;
    let e = i;
    while (e > s && isLws(buf[e - 1]!)) e--;
    if (e === s) continue;
    any = true;
    if (spanEqualsCI(buf, s, e - s, K_AUTH)) auth = true;
    else if (spanEqualsCI(buf, s, e - s, K_AUTH_INT)) authInt = true;
  }
  if (!any) return QopKind.None;
  return auth ? QopKind.Auth : authInt ? QopKind.AuthInt : -1;
}

/** stale=true, any case (RFC 2617 §3.2.1): the nonce merely expired. */
export function isStaleParam(p: AuthParams): boolean {
  return p.is(AuthParam.Stale, K_TRUE);
}

export class ChallengeReader {
  /** The chosen challenge's parameters (spans into the message) after find() returned true. */
  readonly params = new AuthParams();
  algorithm: DigestAlg = DigestAlg.MD5;
  qop: QopKind = QopKind.None;

  /**
   * Find the first supported Digest challenge among the `id` headers of
   * `msg`: true when found (params, algorithm and qop describe it); false
   * when there is none, or only ones without realm or nonce, or with an
   * unknown algorithm or qop.
   */
  find(msg: SipMessage, id: H): boolean {
    const p = this.params;
    for (let h = msg.first[id]!; h >= 0; h = msg.hNext[h]!) {
      if (!p.read(msg.buf, msg.hValueStart[h]!, msg.hValueEnd[h]!) || !p.isDigest()) continue;
      if (!p.has(AuthParam.Realm) || !p.has(AuthParam.Nonce)) continue;
      const alg = algorithmOf(p);
      const qop = qopOf(p);
      if (alg === -1 || qop === -1) continue;
      this.algorithm = alg;
      this.qop = qop;
      return true;
    }
    return false;
  }
}
