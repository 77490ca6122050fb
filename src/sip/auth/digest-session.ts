/*
 * Client-side Digest state for one realm (RFC 3261 §22.2, §22.3): the nonce
 * last received, its nonce-count, and whether a fresh challenge means "try
 * again" or "your password is wrong". Keep one per realm (registrar, outbound
 * proxy) and reuse it for refreshes: requests under the same nonce count nc
 * up (RFC 7616 §3.4), a new nonce restarts it at 1.
 */
import type { HashHost, RandomHost } from "../../host";
import { newCnonce } from "../ids";
import { type DigestChallenge, isStale } from "./challenge";
import {
  type DigestAlgorithm, type DigestQop,
  chooseQop, digestResponse, formatAuthorization, parseAlgorithm,
} from "./digest";

export interface DigestCredentials {
  username: string;
  password: string;
}

/** What to do after a 401/407. */
export const enum DigestVerdict {
  /** Resend the request (new CSeq, §22.2) with authorize()'s value. */
  Retry = 0,
  /** The credentials were rejected: don't resend (RFC 2617 §3.2.1, stale absent or false). */
  Fail = 1,
  /** No algorithm or qop we know: don't resend. */
  Unsupported = 2,
}

export interface DigestSessionOptions {
  /** Retries on stale or expired nonces allowed without a success in between; stops a server that always says stale. Default 3. */
  maxStaleRetries?: number;
}

export class DigestSession {
  private readonly hash: HashHost;
  private readonly random: RandomHost;
  private readonly credentials: DigestCredentials;
  private readonly maxStaleRetries: number;

  realm = "";
  nonce = "";
  private hasNonce = false;
  opaque: string | undefined = undefined;
  algorithm: DigestAlgorithm = "MD5";
  qop: DigestQop = "";
  /** Nonce-count of the last authorize() under the current nonce (0 before the first). */
  nc = 0;
  /** One cnonce per nonce: -sess A1 is computed with the first cnonce (RFC 2617 §3.2.2.2), and nc keeps requests apart. */
  cnonce = "";
  /** The challenge came in a 407, so the answer goes in Proxy-Authorization (§22.3). */
  proxy = false;
  /** Retries on stale (or silently expired) nonces since the last success. */
  staleRetries = 0;
  /** Credentials were sent since the last challenge was accepted. */
  private answered = false;
  /** A request with these credentials succeeded since they were last challenged, so a later plain rechallenge means an expired nonce, not a bad password. */
  private proven = false;

  constructor(hash: HashHost, random: RandomHost, credentials: DigestCredentials, options?: DigestSessionOptions) {
    this.hash = hash;
    this.random = random;
    this.credentials = credentials;
    this.maxStaleRetries = options?.maxStaleRetries ?? 3;
  }

  /** True once a challenge has been accepted, so authorize() has something to answer. */
  get ready(): boolean {
    // A boolean, not `nonce !== ""`: in XS that comparison was measured to allocate (24 chunk bytes).
    return this.hasNonce;
  }

  get headerName(): "Authorization" | "Proxy-Authorization" {
    return this.proxy ? "Proxy-Authorization" : "Authorization";
  }

  /**
   * Take a challenge from a 401 (proxy=false) or 407 (proxy=true). With
   * stale=true (RFC 2617 §3.2.1) the nonce merely expired: retry without
   * counting a failure. Without it, a challenge that follows our credentials
   * means they were rejected, unless the same credentials had already worked
   * (a refresh whose cached nonce the server dropped without saying stale).
   */
  challenge(ch: DigestChallenge, proxy = false): DigestVerdict {
    const algorithm = parseAlgorithm(ch.algorithm);
    const qop = chooseQop(ch.qop);
    if (algorithm === null || qop === null) return DigestVerdict.Unsupported;
    const realmChanged = ch.realm !== this.realm;
    if (this.answered && !realmChanged) {
      if (isStale(ch) || this.proven) {
        if (++this.staleRetries > this.maxStaleRetries) return DigestVerdict.Fail;
      } else {
        return DigestVerdict.Fail;
      }
    }
    if (realmChanged) this.staleRetries = 0;
    if (ch.nonce !== this.nonce || realmChanged) {
      this.nc = 0;
      this.cnonce = newCnonce(this.random);
      this.proven = false;
    }
    this.realm = ch.realm;
    this.nonce = ch.nonce;
    this.hasNonce = ch.nonce.length > 0;
    this.opaque = ch.opaque;
    this.algorithm = algorithm;
    this.qop = qop;
    this.proxy = proxy;
    this.answered = false;
    return DigestVerdict.Retry;
  }

  /**
   * The header value for a request (method, Request-URI as sent; body for
   * qop=auth-int). Counts nc up. "" before any challenge was accepted.
   */
  authorize(method: string, uri: string, body?: Uint8Array, bodyLength?: number): string {
    if (!this.hasNonce) return "";
    this.nc++;
    this.answered = true;
    const c = this.credentials;
    const response = digestResponse(this.hash, {
      algorithm: this.algorithm, qop: this.qop,
      username: c.username, password: c.password, realm: this.realm,
      nonce: this.nonce, cnonce: this.cnonce, nc: this.nc,
      method, uri, body, bodyLength,
    });
    return formatAuthorization({
      username: c.username, realm: this.realm, nonce: this.nonce, uri, response,
      algorithm: this.algorithm, qop: this.qop, cnonce: this.cnonce, nc: this.nc, opaque: this.opaque,
    });
  }

  /** The request carrying our credentials got a final response other than 401/407. */
  succeeded(): void {
    this.answered = false;
    this.proven = true;
    this.staleRetries = 0;
  }

  /** Forget the nonce (e.g. after a failure, or when the account changes). */
  reset(): void {
    this.realm = "";
    this.nonce = "";
    this.hasNonce = false;
    this.opaque = undefined;
    this.nc = 0;
    this.cnonce = "";
    this.answered = false;
    this.proven = false;
    this.staleRetries = 0;
  }
}
