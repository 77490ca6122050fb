/*
 * HTTP Digest for the loopback PBX (RFC 3261 §22, RFC 2617, RFC 7616): the
 * server side (challenges with fresh nonces, verification of Authorization /
 * Proxy-Authorization with MD5 and qop=auth, nonce-count replay check,
 * stale nonces) and the client side the desk phone uses to answer a
 * challenge. node:crypto only; independent of the core's digest code, so
 * the PBX checks the core rather than agreeing with it by construction.
 */
import { createHash } from "node:crypto";
import { randomHex } from "./sip";

function md5(text: string): string {
  return createHash("md5").update(text, "utf8").digest("hex");
}

/** Parameters of a Digest challenge or credentials value, unquoted, names lower-cased. */
export function digestParams(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  const body = value.replace(/^\s*Digest\s+/i, "");
  const re = /([a-zA-Z0-9_-]+)\s*=\s*("((?:[^"\\]|\\.)*)"|[^\s,]+)/g;
  for (const m of body.matchAll(re)) out[m[1]!.toLowerCase()] = m[3] !== undefined ? m[3].replace(/\\(.)/g, "$1") : m[2]!;
  return out;
}

function quote(s: string): string {
  return `"${s.replace(/(["\\])/g, "\\$1")}"`;
}

/** The request-digest (RFC 2617 §3.2.2.1), MD5; "-sess" and qop=auth honoured. */
export function digestResponse(p: {
  username: string; realm: string; password: string; nonce: string; uri: string; method: string;
  qop?: string; nc?: string; cnonce?: string; algorithm?: string;
}): string {
  let ha1 = md5(`${p.username}:${p.realm}:${p.password}`);
  if ((p.algorithm ?? "").toLowerCase() === "md5-sess") ha1 = md5(`${ha1}:${p.nonce}:${p.cnonce ?? ""}`);
  const ha2 = md5(`${p.method}:${p.uri}`);
  return p.qop !== undefined && p.qop !== ""
    ? md5(`${ha1}:${p.nonce}:${p.nc ?? ""}:${p.cnonce ?? ""}:${p.qop}:${ha2}`)
    : md5(`${ha1}:${p.nonce}:${ha2}`);
}

export const enum AuthResult {
  /** No credentials for this realm: challenge. */
  Missing = 0,
  Ok = 1,
  /** Wrong user, password, uri or digest: refuse (403). */
  Bad = 2,
  /** Right password, but a nonce we no longer accept: challenge again with stale=true. */
  Stale = 3,
}

export interface AuthCheck {
  result: AuthResult;
  /** The authenticated (or claimed) user name. */
  username: string;
}

interface NonceState {
  created: number;
  /** Highest nonce-count seen (qop=auth). */
  nc: number;
}

export interface DigestServerOptions {
  realm: string;
  /** user name -> password */
  passwords: ReadonlyMap<string, string>;
  /** How long a nonce stays valid, ms (default 300 000). */
  nonceLifetimeMs?: number;
  /** Clock (ms); default Date.now. */
  now?: () => number;
}

export class DigestServer {
  readonly realm: string;
  private readonly passwords: ReadonlyMap<string, string>;
  private readonly nonces = new Map<string, NonceState>();
  private readonly lifetime: number;
  private readonly now: () => number;

  constructor(o: DigestServerOptions) {
    this.realm = o.realm;
    this.passwords = o.passwords;
    this.lifetime = o.nonceLifetimeMs ?? 300_000;
    this.now = o.now ?? Date.now;
  }

  /** A WWW-Authenticate / Proxy-Authenticate value with a fresh nonce. */
  challenge(stale = false): string {
    this.prune();
    const nonce = randomHex(16);
    this.nonces.set(nonce, { created: this.now(), nc: 0 });
    return `Digest realm=${quote(this.realm)}, nonce=${quote(nonce)}, opaque=${quote("doorsip")}, algorithm=MD5, qop="auth"${stale ? ", stale=true" : ""}`;
  }

  /**
   * Check the credentials among `values` (every Authorization or
   * Proxy-Authorization of the request) for this realm, for a request with
   * this method and Request-URI.
   */
  verify(values: readonly string[], method: string, requestUri: string): AuthCheck {
    let p: Record<string, string> | undefined;
    for (const v of values) {
      if (!/^\s*Digest\s/i.test(v)) continue;
      const q = digestParams(v);
      if (q.realm === this.realm) {
        p = q;
        break;
      }
    }
    if (p === undefined) return { result: AuthResult.Missing, username: "" };
    const username = p.username ?? "";
    const password = this.passwords.get(username);
    const alg = (p.algorithm ?? "MD5").toLowerCase();
    if (password === undefined || (alg !== "md5" && alg !== "md5-sess") || p.nonce === undefined || p.response === undefined) {
      return { result: AuthResult.Bad, username };
    }
    // RFC 3261 §22.4: the digest-uri must be the Request-URI.
    if (p.uri !== requestUri) return { result: AuthResult.Bad, username };
    if (p.qop !== undefined && (p.qop !== "auth" || p.nc === undefined || p.cnonce === undefined)) return { result: AuthResult.Bad, username };
    const expected = digestResponse({
      username, realm: this.realm, password, nonce: p.nonce, uri: p.uri, method,
      qop: p.qop, nc: p.nc, cnonce: p.cnonce, algorithm: p.algorithm,
    });
    if (expected !== p.response.toLowerCase()) return { result: AuthResult.Bad, username };
    const state = this.nonces.get(p.nonce);
    if (state === undefined || this.now() - state.created > this.lifetime) return { result: AuthResult.Stale, username };
    if (p.qop !== undefined) {
      const nc = parseInt(p.nc!, 16);
      // RFC 7616 §3.4.5: a nonce-count not above the last one seen is a replay.
      if (!(nc > state.nc)) return { result: AuthResult.Stale, username };
      state.nc = nc;
    }
    return { result: AuthResult.Ok, username };
  }

  private prune(): void {
    const now = this.now();
    for (const [n, s] of this.nonces) if (now - s.created > this.lifetime) this.nonces.delete(n);
    // Bound the table: a flood of unauthenticated requests must not grow it without limit.
    if (this.nonces.size > 1000) {
      const drop = this.nonces.size - 1000;
      let i = 0;
      for (const n of this.nonces.keys()) {
        if (i++ >= drop) break;
        this.nonces.delete(n);
      }
    }
  }
}

/** Client side: the credentials answering a challenge value (qop=auth when offered, else RFC 2069). */
export function authorize(challenge: string, o: { username: string; password: string; method: string; uri: string; nc?: number }): string {
  const c = digestParams(challenge);
  const realm = c.realm ?? "";
  const nonce = c.nonce ?? "";
  const qops = (c.qop ?? "").split(",").map((s) => s.trim().toLowerCase());
  const qop = qops.includes("auth") ? "auth" : undefined;
  const cnonce = randomHex(8);
  const nc = (o.nc ?? 1).toString(16).padStart(8, "0");
  const algorithm = c.algorithm ?? "MD5";
  const response = digestResponse({ username: o.username, realm, password: o.password, nonce, uri: o.uri, method: o.method, qop, nc, cnonce, algorithm });
  let v = `Digest username=${quote(o.username)}, realm=${quote(realm)}, nonce=${quote(nonce)}, uri=${quote(o.uri)}, response=${quote(response)}, algorithm=${algorithm}`;
  if (c.opaque !== undefined) v += `, opaque=${quote(c.opaque)}`;
  if (qop !== undefined) v += `, qop=${qop}, nc=${nc}, cnonce=${quote(cnonce)}`;
  return v;
}
