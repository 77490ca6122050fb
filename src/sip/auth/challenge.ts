/*
 * A Digest challenge (WWW-Authenticate in a 401, Proxy-Authenticate in a 407;
 * RFC 3261 §22.2, §22.3) as plain strings, and a small parser for the header
 * value for callers that only have the raw text. Quoted values arrive
 * unquoted; names are matched case-insensitively (RFC 3261 §25.1: auth-param
 * names are tokens; RFC 2617 §3.2.1).
 */
import { chooseQop, parseAlgorithm } from "./digest";

export interface DigestChallenge {
  realm: string;
  nonce: string;
  opaque?: string;
  /** Token as received; absent means MD5. */
  algorithm?: string;
  /** qop-options as received, unquoted, e.g. "auth,auth-int"; absent means RFC 2069 style. */
  qop?: string;
  /** "true"/"false" token or a boolean; only "true" (any case) counts (RFC 2617 §3.2.1). */
  stale?: string | boolean;
}

export function isStale(challenge: DigestChallenge): boolean {
  const s = challenge.stale;
  return s === true || (typeof s === "string" && s.toLowerCase() === "true");
}

/** True when we can answer this challenge (algorithm and some qop known). */
export function isSupported(challenge: DigestChallenge): boolean {
  return parseAlgorithm(challenge.algorithm) !== null && chooseQop(challenge.qop) !== null;
}

/**
 * Of several challenges for one realm, the first we support: servers list
 * their preferred algorithm first (RFC 7616 §3.7) and a SIP UAC uses the
 * topmost one it supports (RFC 8760 §2.4).
 */
export function chooseChallenge(challenges: readonly DigestChallenge[]): DigestChallenge | null {
  for (let i = 0; i < challenges.length; i++) if (isSupported(challenges[i]!)) return challenges[i]!;
  return null;
}

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\r" || c === "\n";
}

/**
 * Parse `Digest realm="x", nonce="y", qop="auth", ...`. Null when the
 * scheme is not Digest, the syntax is broken, or realm or nonce is missing.
 */
export function parseDigestChallenge(value: string): DigestChallenge | null {
  let i = 0;
  const n = value.length;
  while (i < n && isSpace(value.charAt(i))) i++;
  if (value.substring(i, i + 6).toLowerCase() !== "digest") return null;
  i += 6;
  if (i < n && !isSpace(value.charAt(i))) return null;
  let realm: string | undefined;
  let nonce: string | undefined;
  const out: DigestChallenge = { realm: "", nonce: "" };
  while (i < n) {
    while (i < n && (isSpace(value.charAt(i)) || value.charAt(i) === ",")) i++;
    if (i >= n) break;
    const nameStart = i;
    while (i < n && value.charAt(i) !== "=" && value.charAt(i) !== "," && !isSpace(value.charAt(i))) i++;
    const name = value.substring(nameStart, i).toLowerCase();
    while (i < n && isSpace(value.charAt(i))) i++;
    if (value.charAt(i) !== "=" || name === "") return null;
    i++;
    while (i < n && isSpace(value.charAt(i))) i++;
    let v = "";
    if (value.charAt(i) === "\"") {
      i++;
      let closed = false;
      while (i < n) {
        const c = value.charAt(i++);
        if (c === "\\" && i < n) v += value.charAt(i++);
        else if (c === "\"") { closed = true; break; }
        else v += c;
      }
      if (!closed) return null;
    } else {
      const start = i;
      while (i < n && value.charAt(i) !== "," && !isSpace(value.charAt(i))) i++;
      v = value.substring(start, i);
    }
    switch (name) {
      case "realm": realm = v; break;
      case "nonce": nonce = v; break;
      case "opaque": out.opaque = v; break;
      case "algorithm": out.algorithm = v; break;
      case "qop": out.qop = v; break;
      case "stale": out.stale = v; break;
      default: break; // domain, charset, userhash, extensions: not needed by a UAC
    }
  }
  if (realm === undefined || nonce === undefined) return null;
  out.realm = realm;
  out.nonce = nonce;
  return out;
}
