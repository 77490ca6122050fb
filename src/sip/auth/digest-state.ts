/*
 * The bytes of an accepted Digest challenge and the computation of the
 * credentials (RFC 7616 §3.4, RFC 2617 §3.2.2; RFC 3261 §22.4), written
 * straight into the request: no strings but the hex digests the HashHost
 * returns (its interface gives a string; the digits are read back with
 * String.prototype.charCodeAt.call, which, unlike a method call on a string
 * primitive, allocates nothing in XS). A DigestSession makes one of these on
 * its first challenge and keeps it.
 */
import type { HashAlgorithm, HashHost } from "../../host";
import { ascii } from "../message/bytes";
import type { SipWriter } from "../message/writer";
import { writeHex32 } from "../../util/hex";
import { DigestAlg, QopKind } from "./challenge-reader";

/** Longest realm, nonce or opaque we store; a longer one is not answered. */
export const MAX_VALUE = 256;
/** Room for the hash inputs: user:realm:password, method:uri, ha1:nonce:nc:cnonce:qop:ha2. */
const SCRATCH = 3 * MAX_VALUE + 256;
const HEX_MAX = 64;

const MD5: HashAlgorithm = "MD5";
const SHA256: HashAlgorithm = "SHA-256";
const charCodeAt = String.prototype.charCodeAt;

const K_USERNAME = ascii("Digest username=\"");
const K_REALM = ascii("\", realm=\"");
const K_NONCE = ascii("\", nonce=\"");
const K_URI = ascii("\", uri=\"");
const K_RESPONSE = ascii("\", response=\"");
const K_ALGORITHM = ascii("\", algorithm=");
const K_CNONCE = ascii(", cnonce=\"");
const K_OPAQUE = ascii(", opaque=\"");
const K_QOP = ascii(", qop=");
const K_NC = ascii(", nc=");
const ALGORITHM_NAMES: readonly Uint8Array[] = Object.freeze([ascii("MD5"), ascii("MD5-sess"), ascii("SHA-256"), ascii("SHA-256-sess")]);
const QOP_NAMES: readonly Uint8Array[] = Object.freeze([ascii(""), ascii("auth"), ascii("auth-int")]);

/** A value as received, quoted-pairs unescaped (RFC 3261 §25.1); len -1 when absent. */
export class DigestValue {
  readonly buf = new Uint8Array(MAX_VALUE);
  len = -1;

  /** Copy src[start, start+len) unescaping quoted-pairs; false (nothing stored) when too long. */
  set(src: Uint8Array, start: number, len: number): boolean {
    if (len < 0) {
      this.len = -1;
      return true;
    }
    let n = 0;
    const end = start + len;
    for (let i = start; i < end; i++) {
      if (src[i] === 92 && i + 1 < end) i++;
      if (n >= MAX_VALUE) return false;
      this.buf[n++] = src[i]!;
    }
    this.len = n;
    return true;
  }

  /** Same bytes as src[start, start+len) once that is unescaped? */
  equals(src: Uint8Array, start: number, len: number): boolean {
    if (len < 0) return this.len < 0;
    if (this.len < 0) return false;
    let n = 0;
    const end = start + len;
    for (let i = start; i < end; i++) {
      if (src[i] === 92 && i + 1 < end) i++;
      if (n >= this.len || this.buf[n] !== src[i]) return false;
      n++;
    }
    return n === this.len;
  }

  copy(other: DigestValue): void {
    for (let i = 0; i < other.len; i++) this.buf[i] = other.buf[i]!;
    this.len = other.len;
  }
}

/** Scratch for the hash inputs and the digests. */
class Hex {
  readonly buf = new Uint8Array(HEX_MAX);
  len = 0;
}

export class DigestState {
  readonly realm = new DigestValue();
  readonly nonce = new DigestValue();
  readonly opaque = new DigestValue();
  /** 16 hex digits (§3.4 cnonce), one per nonce. */
  readonly cnonce = new Uint8Array(16);
  algorithm: DigestAlg = DigestAlg.MD5;
  qop: QopKind = QopKind.None;

  private readonly scratch = new Uint8Array(SCRATCH);
  private readonly ha1 = new Hex();
  private readonly ha2 = new Hex();
  private readonly bodyHash = new Hex();
  private readonly response = new Hex();
  private n = 0;

  setCnonce(a: number, b: number): void {
    writeHex32(a, this.cnonce, 0);
    writeHex32(b, this.cnonce, 8);
  }

  /**
   * Write the credentials (the Authorization / Proxy-Authorization value,
   * RFC 3261 §25.1 "digest-response") for a request with this method and
   * Request-URI (and body, for qop=auth-int), with nonce-count `nc`. False,
   * with nothing written, when an input does not fit.
   */
  write(
    w: SipWriter, hash: HashHost, username: Uint8Array, password: Uint8Array, nc: number,
    method: Uint8Array, mStart: number, mLen: number, uri: Uint8Array, uStart: number, uLen: number,
    body: Uint8Array | null, bodyLength: number,
  ): boolean {
    const alg = this.algorithm;
    const h = alg === DigestAlg.MD5 || alg === DigestAlg.MD5Sess ? MD5 : SHA256;
    const sess = alg === DigestAlg.MD5Sess || alg === DigestAlg.SHA256Sess;
    const qop = this.qop;
    // A1 (RFC 7616 §3.4.2): username:realm:password; -sess folds in nonce and cnonce.
    this.n = 0;
    this.put(username, 0, username.length).colon().put(this.realm.buf, 0, this.realm.len).colon().put(password, 0, password.length);
    if (!this.digest(hash, h, this.ha1)) return false;
    if (sess) {
      this.n = 0;
      this.put(this.ha1.buf, 0, this.ha1.len).colon().put(this.nonce.buf, 0, this.nonce.len).colon().put(this.cnonce, 0, 16);
      if (!this.digest(hash, h, this.ha1)) return false;
    }
    // A2 (§3.4.3): method:uri, and H(entity-body) for auth-int.
    if (qop === QopKind.AuthInt) {
      const b = body !== null ? body : this.scratch;
      if (!this.hexInto(hash.hex(h, b, body !== null ? bodyLength : 0), h, this.bodyHash)) return false;
    }
    this.n = 0;
    this.put(method, mStart, mLen).colon().put(uri, uStart, uLen);
    if (qop === QopKind.AuthInt) this.colon().put(this.bodyHash.buf, 0, this.bodyHash.len);
    if (!this.digest(hash, h, this.ha2)) return false;
    // The request-digest (§3.4.1; RFC 2617 §3.2.2.1 without qop).
    this.n = 0;
    this.put(this.ha1.buf, 0, this.ha1.len).colon().put(this.nonce.buf, 0, this.nonce.len).colon();
    if (qop !== QopKind.None) {
      if (this.n + 8 > SCRATCH) this.n = -1;
      else this.n = writeHex32(nc, this.scratch, this.n);
      this.colon().put(this.cnonce, 0, 16).colon().put(QOP_NAMES[qop]!, 0, QOP_NAMES[qop]!.length).colon();
    }
    this.put(this.ha2.buf, 0, this.ha2.len);
    if (!this.digest(hash, h, this.response)) return false;

    w.bytes(K_USERNAME);
    quoted(w, username, 0, username.length);
    w.bytes(K_REALM);
    quoted(w, this.realm.buf, 0, this.realm.len);
    w.bytes(K_NONCE);
    quoted(w, this.nonce.buf, 0, this.nonce.len);
    w.bytes(K_URI);
    quoted(w, uri, uStart, uLen);
    w.bytes(K_RESPONSE).span(this.response.buf, 0, this.response.len).bytes(K_ALGORITHM).bytes(ALGORITHM_NAMES[alg]!);
    // cnonce only with a qop (RFC 2617 §3.2.2), and always with -sess (A1 needs it).
    if (qop !== QopKind.None || sess) w.bytes(K_CNONCE).span(this.cnonce, 0, 16).byte(34);
    if (this.opaque.len >= 0) {
      w.bytes(K_OPAQUE);
      quoted(w, this.opaque.buf, 0, this.opaque.len);
      w.byte(34);
    }
    if (qop !== QopKind.None) {
      w.bytes(K_QOP).bytes(QOP_NAMES[qop]!).bytes(K_NC);
      if (w.pos + 8 > w.buf.length) w.overflow = true;
      else w.pos = writeHex32(nc, w.buf, w.pos);
    }
    return true;
  }

  private put(src: Uint8Array, start: number, len: number): this {
    if (this.n < 0 || len <= 0) return this;
    if (this.n + len > SCRATCH) {
      this.n = -1;
      return this;
    }
    const s = this.scratch;
    let n = this.n;
    for (let i = 0; i < len; i++) s[n++] = src[start + i]!;
    this.n = n;
    return this;
  }

  private colon(): this {
    if (this.n < 0) return this;
    if (this.n >= SCRATCH) this.n = -1;
    else this.scratch[this.n++] = 58;
    return this;
  }

  /** H(scratch[0, n)) into `out` as lower-case hex. */
  private digest(hash: HashHost, h: HashAlgorithm, out: Hex): boolean {
    if (this.n < 0) return false;
    return this.hexInto(hash.hex(h, this.scratch, this.n), h, out);
  }

  /** The host's hex digits into bytes, without a method call on the string (which would allocate in XS). */
  private hexInto(hex: string, h: HashAlgorithm, out: Hex): boolean {
    const len = h === MD5 ? 32 : 64;
    for (let i = 0; i < len; i++) {
      const c: number = charCodeAt.call(hex, i);
      // Lower-case hex only (RFC 7616 §3.4.1): anything else is a broken host.
      if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
      out.buf[i] = c;
    }
    out.len = len;
    return true;
  }
}

/** A quoted-string's content (RFC 3261 §25.1): '"' and '\' backslash-escaped; the caller writes the quotes. */
function quoted(w: SipWriter, src: Uint8Array, start: number, len: number): void {
  for (let i = 0; i < len; i++) {
    const b = src[start + i]!;
    if (b === 34 || b === 92) w.byte(92);
    w.byte(b);
  }
}
