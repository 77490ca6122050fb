/*
 * HTTP Digest as SIP uses it (RFC 3261 §22.4, which takes RFC 2617; RFC 8760
 * adds SHA-256 from RFC 7616). Pure functions: compute the request-digest
 * and format the Authorization / Proxy-Authorization value. Hashing goes
 * through HashHost, so the core carries no MD5 or SHA-256 of its own.
 * Authentication is rare (a REGISTER every few minutes, an INVITE now and
 * then), so strings are fine here.
 */
import type { HashAlgorithm, HashHost } from "../../host";
import { utf8Encode } from "../../util/utf8";
import { hex32 } from "../../util/hex";

/** RFC 7616 §3.3 / RFC 8760 §2.1 algorithms we support ("-sess": session variant). */
export type DigestAlgorithm = "MD5" | "MD5-sess" | "SHA-256" | "SHA-256-sess";

/** "" is the RFC 2069 form: the challenge carried no qop (RFC 2617 §3.2.2.1). */
export type DigestQop = "" | "auth" | "auth-int";

/** The algorithm token of a challenge; absent means MD5 (RFC 2617 §3.2.1). Null when unsupported. */
export function parseAlgorithm(token: string | undefined): DigestAlgorithm | null {
  if (token === undefined || token === "") return "MD5";
  switch (token.toLowerCase()) {
    case "md5": return "MD5";
    case "md5-sess": return "MD5-sess";
    case "sha-256": return "SHA-256";
    case "sha-256-sess": return "SHA-256-sess";
    default: return null;
  }
}

/**
 * Pick a qop from the challenge's qop-options ("auth,auth-int", already
 * unquoted). No options: "" (RFC 2069 compatibility, RFC 2617 §3.2.2.1).
 * "auth" is preferred because it works whatever the body; "auth-int" is used
 * only when it is all the server offers. Null when nothing offered is known.
 */
export function chooseQop(options: string | undefined): DigestQop | null {
  if (options === undefined) return "";
  let auth = false;
  let authInt = false;
  let any = false;
  const parts = options.split(",");
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!.trim().toLowerCase();
    if (p === "") continue;
    any = true;
    if (p === "auth") auth = true;
    else if (p === "auth-int") authInt = true;
  }
  if (!any) return "";
  return auth ? "auth" : authInt ? "auth-int" : null;
}

function hashOf(algorithm: DigestAlgorithm): HashAlgorithm {
  return algorithm === "MD5" || algorithm === "MD5-sess" ? "MD5" : "SHA-256";
}

function isSession(algorithm: DigestAlgorithm): boolean {
  return algorithm === "MD5-sess" || algorithm === "SHA-256-sess";
}

/** H(data) as lower-case hex: RFC 7616 §3.4 "H(data) = <algorithm>(data)", on the UTF-8 bytes. */
function h(hash: HashHost, alg: HashAlgorithm, text: string): string {
  const bytes = utf8Encode(text);
  return hash.hex(alg, bytes, bytes.length);
}

export interface DigestInput {
  algorithm: DigestAlgorithm;
  qop: DigestQop;
  username: string;
  password: string;
  realm: string;
  nonce: string;
  /** Client nonce; needed with a qop and with the -sess algorithms. */
  cnonce: string;
  /** Nonce count, 1 for the first request under a nonce (RFC 7616 §3.4 "nc"). */
  nc: number;
  method: string;
  /** The digest-uri: the Request-URI of the request, as sent (RFC 3261 §22.4). */
  uri: string;
  /** Message body for qop=auth-int (absent means empty). */
  body?: Uint8Array;
  bodyLength?: number;
}

/** nc as the 8 hex digits the header and the digest both use (RFC 7616 §3.4). */
export function formatNc(nc: number): string {
  return hex32(nc);
}

/** The request-digest, "response=" (RFC 7616 §3.4.1, RFC 2617 §3.2.2.1). */
export function digestResponse(hash: HashHost, p: DigestInput): string {
  const alg = hashOf(p.algorithm);
  // A1 (RFC 7616 §3.4.2): the -sess variants fold in nonce and cnonce.
  let ha1 = h(hash, alg, p.username + ":" + p.realm + ":" + p.password);
  if (isSession(p.algorithm)) ha1 = h(hash, alg, ha1 + ":" + p.nonce + ":" + p.cnonce);
  // A2 (RFC 7616 §3.4.3): auth-int adds H(entity-body).
  let a2 = p.method + ":" + p.uri;
  if (p.qop === "auth-int") {
    const body = p.body ?? new Uint8Array(0);
    const length = p.bodyLength ?? body.length;
    a2 += ":" + hash.hex(alg, body, length);
  }
  const ha2 = h(hash, alg, a2);
  if (p.qop === "") return h(hash, alg, ha1 + ":" + p.nonce + ":" + ha2);
  return h(hash, alg, ha1 + ":" + p.nonce + ":" + formatNc(p.nc) + ":" + p.cnonce + ":" + p.qop + ":" + ha2);
}

/** quoted-string per RFC 3261 §25.1: backslash-escape '"' and '\'. */
export function quote(text: string): string {
  let out = "\"";
  for (let i = 0; i < text.length; i++) {
    const c = text.charAt(i);
    out += c === "\"" || c === "\\" ? "\\" + c : c;
  }
  return out + "\"";
}

export interface DigestCredentialsFields {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  qop: DigestQop;
  cnonce: string;
  nc: number;
  opaque?: string;
}

/**
 * The Authorization / Proxy-Authorization value (RFC 3261 §25.1
 * "digest-response"). qop, nc and algorithm are tokens, not quoted; cnonce
 * and nc appear only with a qop (RFC 2617 §3.2.2), except that the -sess
 * algorithms always need cnonce to recompute A1.
 */
export function formatAuthorization(f: DigestCredentialsFields): string {
  let s = "Digest username=" + quote(f.username) +
    ", realm=" + quote(f.realm) +
    ", nonce=" + quote(f.nonce) +
    ", uri=" + quote(f.uri) +
    ", response=\"" + f.response + "\"" +
    ", algorithm=" + f.algorithm;
  if (f.qop !== "" || isSession(f.algorithm)) s += ", cnonce=" + quote(f.cnonce);
  if (f.opaque !== undefined) s += ", opaque=" + quote(f.opaque);
  if (f.qop !== "") s += ", qop=" + f.qop + ", nc=" + formatNc(f.nc);
  return s;
}
