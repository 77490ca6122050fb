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

/** A value as received, quoted-pairs unescaped (RFC 3261 §25.1); len -1 when absent. The string path's (digest-session.ts); the state keeps its values in its own buffer. */
export class DigestValue {
  readonly buf = new Uint8Array(MAX_VALUE);
  len = -1;
}

/** The values of an accepted challenge the state keeps. */
export const enum DigestField {
  Realm = 0,
  Nonce = 1,
  Opaque = 2,
}

/**
 * The state's numbers, in one Float64Array of one buffer with its bytes
 * (issue #9, idle heap: in XS a DigestValue or a digest's scratch object
 * cost a slot each, a property each, and a typed array of its own 7
 * slots; the state had 8 objects and 7 buffers, now 2 views). The hash
 * input's scratch comes first, so the HashHost reads it from offset 0.
 */
const enum S {
  /** The lengths of realm, nonce and opaque (DigestField order), -1 when absent. */
  ValueLen = 0,
  /** A DigestAlg, a QopKind. */
  Algorithm = 3,
  Qop = 4,
  Count = 5,
}

/** The digests kept as hex (32 digits for MD5, 64 for SHA-256: hexLength()): where they are in the buffer. */
const enum Hex {
  Ha1 = 0,
  Ha2 = 1,
  BodyHash = 2,
  Response = 3,
}

/** Byte offsets in the buffer: the scratch, the numbers, the three values, the cnonce, the four digests. */
const SCRATCH_AT = 0;
const NUMBERS_AT = SCRATCH; // a multiple of 8
const VALUES_AT = NUMBERS_AT + S.Count * 8;
const CNONCE_AT = VALUES_AT + 3 * MAX_VALUE;
const HEX_AT = CNONCE_AT + 16;
const BYTES = HEX_AT + 4 * HEX_MAX;

export class DigestState {
  private readonly n: Float64Array;
  /** The bytes of n's buffer. */
  private readonly b: Uint8Array;
  /** Bytes of the hash input in the scratch, -1 once something did not fit (a property: it changes at every step of a digest, and in XS a property costs fewer ticks than an element). */
  private fill = 0;

  constructor() {
    const n = new Float64Array(new ArrayBuffer(BYTES), NUMBERS_AT, S.Count);
    this.n = n;
    this.b = new Uint8Array(n.buffer);
    n[S.ValueLen + DigestField.Realm] = n[S.ValueLen + DigestField.Nonce] = n[S.ValueLen + DigestField.Opaque] = -1;
  }

  get algorithm(): DigestAlg {
    return this.n[S.Algorithm]! as DigestAlg;
  }

  get qop(): QopKind {
    return this.n[S.Qop]! as QopKind;
  }

  /** Take the algorithm and qop of an accepted challenge. */
  accept(alg: DigestAlg, qop: QopKind): void {
    this.n[S.Algorithm] = alg;
    this.n[S.Qop] = qop;
  }

  /** The length of a value, -1 when absent. */
  length(f: DigestField): number {
    return this.n[S.ValueLen + f]!;
  }

  /** Forget the values (a new challenge must come). */
  clear(): void {
    const n = this.n;
    n[S.ValueLen + DigestField.Realm] = n[S.ValueLen + DigestField.Nonce] = n[S.ValueLen + DigestField.Opaque] = -1;
  }

  /** Store src[start, start+len) as value f, unescaping quoted-pairs (RFC 3261 §25.1); absent when len < 0; false (nothing stored) when too long. */
  set(f: DigestField, src: Uint8Array, start: number, len: number): boolean {
    if (len < 0) {
      this.n[S.ValueLen + f] = -1;
      return true;
    }
    const b = this.b;
    const at = VALUES_AT + f * MAX_VALUE;
    let k = 0;
    const end = start + len;
    for (let i = start; i < end; i++) {
      if (src[i] === 92 && i + 1 < end) i++;
      if (k >= MAX_VALUE) return false;
      b[at + k++] = src[i]!;
    }
    this.n[S.ValueLen + f] = k;
    return true;
  }

  /** Store src[0, len) as value f as it is (already unescaped); absent when len < 0. */
  setRaw(f: DigestField, src: Uint8Array, len: number): void {
    const b = this.b;
    const at = VALUES_AT + f * MAX_VALUE;
    for (let i = 0; i < len; i++) b[at + i] = src[i]!;
    this.n[S.ValueLen + f] = len < 0 ? -1 : len;
  }

  /** Is value f the same bytes as src[start, start+len) once that is unescaped? */
  equals(f: DigestField, src: Uint8Array, start: number, len: number): boolean {
    const have = this.n[S.ValueLen + f]!;
    if (len < 0) return have < 0;
    if (have < 0) return false;
    const b = this.b;
    const at = VALUES_AT + f * MAX_VALUE;
    let k = 0;
    const end = start + len;
    for (let i = start; i < end; i++) {
      if (src[i] === 92 && i + 1 < end) i++;
      if (k >= have || b[at + k] !== src[i]) return false;
      k++;
    }
    return k === have;
  }

  setCnonce(a: number, b: number): void {
    writeHex32(a, this.b, CNONCE_AT);
    writeHex32(b, this.b, CNONCE_AT + 8);
  }

  /**
   * Write the credentials (the Authorization / Proxy-Authorization value,
   * RFC 3261 §25.1 "digest-response") for a request with this method and
   * Request-URI (and body, for qop=auth-int), with nonce-count `nc`, the
   * username and password being spans of `credentials`. False,
   * with nothing written, when an input does not fit.
   */
  write(
    w: SipWriter, hash: HashHost, credentials: Uint8Array, nameStart: number, nameLen: number, pStart: number, pLen: number, nc: number,
    method: Uint8Array, mStart: number, mLen: number, uri: Uint8Array, uStart: number, uLen: number,
    body: Uint8Array | null, bodyLength: number,
  ): boolean {
    const n = this.n;
    const b = this.b;
    const alg = n[S.Algorithm]! as DigestAlg;
    const h = alg === DigestAlg.MD5 || alg === DigestAlg.MD5Sess ? MD5 : SHA256;
    const hexLen = hexLength(h);
    const sess = alg === DigestAlg.MD5Sess || alg === DigestAlg.SHA256Sess;
    const qop = n[S.Qop]! as QopKind;
    const realmLen = n[S.ValueLen + DigestField.Realm]!;
    const nonceAt = VALUES_AT + DigestField.Nonce * MAX_VALUE;
    const nonceLen = n[S.ValueLen + DigestField.Nonce]!;
    // A1 (RFC 7616 §3.4.2): username:realm:password; -sess folds in nonce and cnonce.
    this.fill = 0;
    this.put(credentials, nameStart, nameLen);
    this.colon();
    this.put(b, VALUES_AT, realmLen);
    this.colon();
    this.put(credentials, pStart, pLen);
    if (!this.digest(hash, h, Hex.Ha1)) return false;
    if (sess) {
      this.fill = 0;
      this.put(b, HEX_AT, hexLen);
      this.colon();
      this.put(b, nonceAt, nonceLen);
      this.colon();
      this.put(b, CNONCE_AT, 16);
      if (!this.digest(hash, h, Hex.Ha1)) return false;
    }
    // A2 (§3.4.3): method:uri, and H(entity-body) for auth-int.
    if (qop === QopKind.AuthInt) {
      // Without a body, H of nothing: the buffer, read for 0 bytes.
      const src = body !== null ? body : b;
      if (!this.hexInto(hash.hex(h, src, body !== null ? bodyLength : 0), h, Hex.BodyHash)) return false;
    }
    this.fill = 0;
    this.put(method, mStart, mLen);
    this.colon();
    this.put(uri, uStart, uLen);
    if (qop === QopKind.AuthInt) {
      this.colon();
      this.put(b, HEX_AT + Hex.BodyHash * HEX_MAX, hexLen);
    }
    if (!this.digest(hash, h, Hex.Ha2)) return false;
    // The request-digest (§3.4.1; RFC 2617 §3.2.2.1 without qop).
    this.fill = 0;
    this.put(b, HEX_AT, hexLen);
    this.colon();
    this.put(b, nonceAt, nonceLen);
    this.colon();
    if (qop !== QopKind.None) {
      const fill = this.fill;
      if (fill >= 0) this.fill = fill + 8 > SCRATCH ? -1 : writeHex32(nc, b, SCRATCH_AT + fill) - SCRATCH_AT;
      this.colon();
      this.put(b, CNONCE_AT, 16);
      this.colon();
      this.put(QOP_NAMES[qop]!, 0, QOP_NAMES[qop]!.length);
      this.colon();
    }
    this.put(b, HEX_AT + Hex.Ha2 * HEX_MAX, hexLen);
    if (!this.digest(hash, h, Hex.Response)) return false;

    w.bytes(K_USERNAME);
    quoted(w, credentials, nameStart, nameLen);
    w.bytes(K_REALM);
    quoted(w, b, VALUES_AT, realmLen);
    w.bytes(K_NONCE);
    quoted(w, b, nonceAt, nonceLen);
    w.bytes(K_URI);
    quoted(w, uri, uStart, uLen);
    w.bytes(K_RESPONSE).span(b, HEX_AT + Hex.Response * HEX_MAX, hexLen).bytes(K_ALGORITHM).bytes(ALGORITHM_NAMES[alg]!);
    // cnonce only with a qop (RFC 2617 §3.2.2), and always with -sess (A1 needs it).
    if (qop !== QopKind.None || sess) w.bytes(K_CNONCE).span(b, CNONCE_AT, 16).byte(34);
    const opaqueLen = n[S.ValueLen + DigestField.Opaque]!;
    if (opaqueLen >= 0) {
      w.bytes(K_OPAQUE);
      quoted(w, b, VALUES_AT + DigestField.Opaque * MAX_VALUE, opaqueLen);
      w.byte(34);
    }
    if (qop !== QopKind.None) {
      w.bytes(K_QOP).bytes(QOP_NAMES[qop]!).bytes(K_NC);
      if (w.pos + 8 > w.buf.length) w.overflow = true;
      else w.pos = writeHex32(nc, w.buf, w.pos);
    }
    return true;
  }

  /** Append src[start, start+len) to the hash input (nothing for len <= 0; -1 once it does not fit). */
  private put(src: Uint8Array, start: number, len: number): void {
    const fill = this.fill;
    if (fill < 0 || len <= 0) return;
    if (fill + len > SCRATCH) {
      this.fill = -1;
      return;
    }
    const b = this.b;
    let at = SCRATCH_AT + fill;
    for (let i = 0; i < len; i++) b[at++] = src[start + i]!;
    this.fill = fill + len;
  }

  private colon(): void {
    const fill = this.fill;
    if (fill < 0) return;
    if (fill >= SCRATCH) this.fill = -1;
    else {
      this.b[SCRATCH_AT + fill] = 58;
      this.fill = fill + 1;
    }
  }

  /** H(scratch[0, fill)) into digest `out` as lower-case hex. */
  private digest(hash: HashHost, h: HashAlgorithm, out: Hex): boolean {
    const fill = this.fill;
    if (fill < 0) return false;
    return this.hexInto(hash.hex(h, this.b, fill), h, out);
  }

  /** The host's hex digits into bytes, without a method call on the string (which would allocate in XS). */
  private hexInto(hex: string, h: HashAlgorithm, out: Hex): boolean {
    const len = hexLength(h);
    const b = this.b;
    const at = HEX_AT + out * HEX_MAX;
    for (let i = 0; i < len; i++) {
      const c: number = charCodeAt.call(hex, i);
      // Lower-case hex only (RFC 7616 §3.4.1): anything else is a broken host.
      if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
      b[at + i] = c;
    }
    return true;
  }
}

/** Hex digits of a digest: 32 for MD5, 64 for SHA-256. */
function hexLength(h: HashAlgorithm): number {
  return h === MD5 ? 32 : 64;
}

/** A quoted-string's content (RFC 3261 §25.1): '"' and '\' backslash-escaped; the caller writes the quotes. */
function quoted(w: SipWriter, src: Uint8Array, start: number, len: number): void {
  for (let i = 0; i < len; i++) {
    const b = src[start + i]!;
    if (b === 34 || b === 92) w.byte(92);
    w.byte(b);
  }
}
