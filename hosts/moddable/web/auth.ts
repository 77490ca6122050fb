/*
 * HTTP Digest authentication of the settings page, the server side of
 * RFC 7616: algorithm MD5, qop "auth" (RFC 7616 §3.3, §3.4), so the
 * password never crosses the network; only a hash bound to a nonce of
 * ours, the request's method and URI does.
 *
 * Nonces (RFC 7616 §3.3 "nonce", §5.4-§5.5): "<time>.<random>.<tag>", the
 * time in hex from the host's millisecond clock, 32 bits from the host's
 * random source, and a tag: 16 hex digits of MD5 over a secret of 128
 * random bits made at start, the time and the random part. A nonce is
 * checked without being stored: its tag proves the device made it, its
 * time how old it is. Older than NONCE_LIFETIME_MS it is refused as stale
 * (with stale=true in the new challenge when the response was right, so a
 * browser retries without asking for the password again). The highest
 * nonce-count seen is kept for the last NONCE_SLOTS nonces answered: a
 * request whose nc is not above it is a replay (§3.4, §5.5). A nonce pushed
 * out of that table, or issued no later than the latest-issued one that was,
 * is taken as stale.
 *
 * Brute force: as the door code (src/app/door-opener.ts), MAX_WRONG wrong
 * passwords in a row lock the page for LOCKOUT_MS, during which every
 * request is refused, the right password too; each further lockout without
 * a right password in between doubles the wait, up to an hour.
 *
 * The core's digestResponse (src/sip/auth/digest.ts) computes the
 * request-digest, the same code the SIP client answers challenges with.
 * No SDK module: tested on Node (test/web-auth.test.ts) with RFC 7616
 * §3.9.1's example.
 */
import type { HashHost, RandomHost } from "../../../src/host";
import { digestResponse } from "../../../src/sip/auth/digest";
import { hex32 } from "../../../src/util/hex";
import { utf8Encode } from "../../../src/util/utf8";

/** The page's one user name (RFC 7616 §3.4 "username"). */
export const WEB_USER = "admin";
export const REALM = "doorsip";
/** How long a nonce is taken: ample to fill in the form, short for a replay. */
export const NONCE_LIFETIME_MS = 600_000;
export const MAX_WRONG = 5;
export const LOCKOUT_MS = 60_000;
export const MAX_LOCKOUT_MS = 3_600_000;
/** Longer Authorization values are refused unread. */
export const MAX_AUTHORIZATION = 1024;
const NONCE_SLOTS = 4;
const TAG_DIGITS = 16;

export const enum AuthResult {
  Ok = 0,
  /** No Authorization, or not Digest: challenge. */
  Missing = 1,
  /** Not a usable answer to our challenge (another realm, algorithm, qop or URI, a nonce we did not make). */
  Malformed = 2,
  /** The right password, but the nonce is too old: challenge again with stale=true. */
  Stale = 3,
  /** A wrong user name or password: counted towards the lockout. */
  Wrong = 4,
  /** Locked after repeated wrong passwords. */
  Locked = 5,
  /** A nonce-count used already. */
  Replay = 6,
}

/** The fields of an Authorization: Digest value the check needs (RFC 7616 §3.4). */
export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: string;
  qop: string;
  nc: string;
  cnonce: string;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 13 || c === 10;
}

/**
 * `Digest username="…", realm="…", …` (RFC 7616 §3.4): quoted values
 * unquoted (a backslash takes the next character, RFC 7230 §3.2.6), names
 * in any case. Null when the scheme is not Digest or the syntax is broken.
 */
export function parseAuthorization(value: string): DigestCredentials | null {
  const n = value.length;
  if (n > MAX_AUTHORIZATION) return null;
  let i = 0;
  while (i < n && isSpace(value.charCodeAt(i))) i++;
  if (value.substring(i, i + 6).toLowerCase() !== "digest" || (i + 6 < n && !isSpace(value.charCodeAt(i + 6)))) return null;
  i += 6;
  const out: DigestCredentials = { username: "", realm: "", nonce: "", uri: "", response: "", algorithm: "", qop: "", nc: "", cnonce: "" };
  while (i < n) {
    while (i < n && (isSpace(value.charCodeAt(i)) || value.charCodeAt(i) === 44 /* , */)) i++;
    if (i >= n) break;
    const nameStart = i;
    while (i < n && value.charCodeAt(i) !== 61 /* = */ && value.charCodeAt(i) !== 44 && !isSpace(value.charCodeAt(i))) i++;
    const name = value.substring(nameStart, i).toLowerCase();
    while (i < n && isSpace(value.charCodeAt(i))) i++;
    if (i >= n || value.charCodeAt(i) !== 61 || name === "") return null;
    i++;
    while (i < n && isSpace(value.charCodeAt(i))) i++;
    let v = "";
    if (i < n && value.charCodeAt(i) === 34 /* " */) {
      i++;
      let closed = false;
      let from = i;
      while (i < n) {
        const c = value.charCodeAt(i);
        if (c === 92 /* \ */ && i + 1 < n) {
          v += value.substring(from, i) + value.charAt(i + 1);
          i += 2;
          from = i;
        } else if (c === 34) {
          v += value.substring(from, i);
          i++;
          closed = true;
          break;
        } else {
          i++;
        }
      }
      if (!closed) return null;
    } else {
      const start = i;
      while (i < n && value.charCodeAt(i) !== 44 && !isSpace(value.charCodeAt(i))) i++;
      v = value.substring(start, i);
    }
    switch (name) {
      case "username": out.username = v; break;
      case "realm": out.realm = v; break;
      case "nonce": out.nonce = v; break;
      case "uri": out.uri = v; break;
      case "response": out.response = v; break;
      case "algorithm": out.algorithm = v; break;
      case "qop": out.qop = v; break;
      case "nc": out.nc = v; break;
      case "cnonce": out.cnonce = v; break;
      default: break; // opaque (we send none), userhash (not offered), extensions
    }
  }
  return out;
}

/** Equal strings, compared in full whatever the first difference (the response is not guessed a digit at a time). */
function sameText(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function isHex(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

export interface AuthClock {
  /** Milliseconds, monotonic (ClockHost.now()). */
  now(): number;
}

/**
 * The page's authentication state: the secret behind the nonces, the last
 * nonces' counts and the lockout. A few hundred bytes, made once when the
 * page is enabled.
 */
export class WebAuth {
  private readonly hash: HashHost;
  private readonly random: RandomHost;
  private readonly clock: AuthClock;
  private readonly password: string;
  private readonly secret: string;
  private readonly nonces: string[] = [];
  private readonly counts: number[] = [];
  private readonly times: number[] = [];
  /** Issue time (low 32 bits) of the last nonce pushed out of the table; -1: none yet. */
  private evicted = -1;
  private nextSlot = 0;
  /** Wrong passwords in a row. */
  wrongInRow = 0;
  /** Lockouts in a row (no right password in between): the next doubles. */
  lockouts = 0;
  private lockedUntil = 0;

  constructor(hash: HashHost, random: RandomHost, clock: AuthClock, password: string) {
    this.hash = hash;
    this.random = random;
    this.clock = clock;
    this.password = password;
    this.secret = hex32(random.u32()) + hex32(random.u32()) + hex32(random.u32()) + hex32(random.u32());
  }

  /** 128 random bits as hex, for the form's anti-forgery token. */
  randomToken(): string {
    return hex32(this.random.u32()) + hex32(this.random.u32()) + hex32(this.random.u32()) + hex32(this.random.u32());
  }

  private tag(time: string, rand: string): string {
    const bytes = utf8Encode(this.secret + ":" + time + ":" + rand);
    return this.hash.hex("MD5", bytes, bytes.length).substring(0, TAG_DIGITS);
  }

  /** A fresh nonce (RFC 7616 §3.3). */
  nonce(): string {
    const time = hex32(this.clock.now() >>> 0);
    const rand = hex32(this.random.u32());
    return time + "." + rand + "." + this.tag(time, rand);
  }

  /** The WWW-Authenticate value of a 401 (RFC 7616 §3.3). */
  challenge(stale: boolean): string {
    return `Digest realm="${REALM}", qop="auth", algorithm=MD5, nonce="${this.nonce()}"${stale ? ", stale=true" : ""}`;
  }

  /** While locked: the milliseconds left; else 0. */
  lockedForMs(): number {
    const left = this.lockedUntil - this.clock.now();
    return left > 0 ? left : 0;
  }

  /** The cool-down a lockout starting now lasts. */
  private cooldownMs(): number {
    let ms = LOCKOUT_MS;
    for (let i = 1; i < this.lockouts && ms < MAX_LOCKOUT_MS; i++) ms *= 2;
    return ms < MAX_LOCKOUT_MS ? ms : MAX_LOCKOUT_MS;
  }

  /** Age of a nonce we made, in ms; -1 when we did not make it. */
  private nonceAge(nonce: string): number {
    const dot1 = nonce.indexOf(".");
    const dot2 = dot1 < 0 ? -1 : nonce.indexOf(".", dot1 + 1);
    if (dot1 !== 8 || dot2 !== 17 || nonce.length !== 18 + TAG_DIGITS) return -1;
    const time = nonce.substring(0, 8);
    const rand = nonce.substring(9, 17);
    if (!isHex(time) || !isHex(rand) || !sameText(this.tag(time, rand), nonce.substring(18))) return -1;
    // 32-bit arithmetic: the clock's low 32 bits went into the nonce.
    return ((this.clock.now() >>> 0) - parseInt(time, 16)) >>> 0;
  }

  /**
   * Check a request's Authorization value (undefined: none) for `method` and
   * the request-target `uri` as received.
   */
  check(method: string, uri: string, authorization: string | undefined): AuthResult {
    if (authorization === undefined) return AuthResult.Missing;
    const c = parseAuthorization(authorization);
    if (c === null) return authorization.trim().toLowerCase().startsWith("digest") ? AuthResult.Malformed : AuthResult.Missing;
    if (this.lockedForMs() > 0) return AuthResult.Locked;
    if (this.lockedUntil !== 0) {
      // The cool-down is over: a fresh count of wrong passwords (the lockouts in a row stay, for the next doubling).
      this.lockedUntil = 0;
      this.wrongInRow = 0;
    }
    // Only what our challenge offered (RFC 7616 §3.4): our realm, MD5, qop=auth with its nc and cnonce, this request's URI.
    if (c.realm !== REALM || (c.algorithm !== "" && c.algorithm.toUpperCase() !== "MD5") || c.qop !== "auth") return AuthResult.Malformed;
    if (c.nc.length !== 8 || !isHex(c.nc) || c.cnonce === "" || c.uri !== uri || c.response.length !== 32) return AuthResult.Malformed;
    const age = this.nonceAge(c.nonce);
    if (age < 0) return AuthResult.Malformed;
    const nc = parseInt(c.nc, 16);
    const expected = digestResponse(this.hash, {
      algorithm: "MD5", qop: "auth", username: c.username, password: this.password, realm: REALM,
      nonce: c.nonce, cnonce: c.cnonce, nc, method, uri: c.uri,
    });
    if (c.username !== WEB_USER || !sameText(expected, c.response.toLowerCase())) {
      this.wrongInRow++;
      if (this.wrongInRow >= MAX_WRONG) {
        this.lockouts++;
        this.lockedUntil = this.clock.now() + this.cooldownMs();
      }
      return AuthResult.Wrong;
    }
    if (age > NONCE_LIFETIME_MS) return AuthResult.Stale;
    const counted = this.countNonce(c.nonce, nc, parseInt(c.nonce.substring(0, 8), 16));
    if (counted !== AuthResult.Ok) return counted;
    this.wrongInRow = 0;
    this.lockouts = 0;
    return AuthResult.Ok;
  }

  /**
   * Record nc for the nonce (issued at `time`, the clock's low 32 bits): Replay when it is not above the highest
   * seen; Stale for a nonce pushed out of the table, or issued no later than the latest-issued one that was (its
   * counts are forgotten).
   */
  private countNonce(nonce: string, nc: number, time: number): AuthResult {
    for (let i = 0; i < this.nonces.length; i++) {
      if (this.nonces[i] === nonce) {
        if (nc <= this.counts[i]!) return AuthResult.Replay;
        this.counts[i] = nc;
        return AuthResult.Ok;
      }
    }
    // Modular: issued after the last nonce pushed out (lifetimes are far below 2^31 ms).
    const since = (time - this.evicted) >>> 0;
    if (this.evicted >= 0 && (since === 0 || since >= 0x80000000)) return AuthResult.Stale;
    if (this.nonces.length < NONCE_SLOTS) {
      this.nonces.push(nonce);
      this.counts.push(nc);
      this.times.push(time);
    } else {
      // Slots are reused in the order nonces were first used, not issued: a nonce issued early and used late is
      // pushed out after later ones, and the bound must not move back to it (it would make the later ones, pushed
      // out with their counts, new again: a recorded request replayed).
      const out = this.times[this.nextSlot]!;
      if (this.evicted < 0 || ((out - this.evicted) >>> 0) < 0x80000000) this.evicted = out;
      this.nonces[this.nextSlot] = nonce;
      this.counts[this.nextSlot] = nc;
      this.times[this.nextSlot] = time;
      this.nextSlot = (this.nextSlot + 1) % NONCE_SLOTS;
    }
    return AuthResult.Ok;
  }
}
