/*
 * Digest challenges and credentials (RFC 3261 §20.27, §20.44, §25.1;
 * RFC 7616 §3.3-3.4): auth-scheme LWS auth-param *( COMMA auth-param ),
 * auth-param = token EQUAL ( token / quoted-string ). The reader captures
 * the parameters digest authentication needs, as spans; a quoted value's
 * span excludes its quotes.
 */
import { ascii, NO_BYTES, spanEqualsCI, spanToString } from "./bytes";
import { C, Ch } from "./chars";
import { scanQuoted, skipClass, skipLws, trimEnd } from "./lex";

const K_DIGEST = ascii("digest");

export const enum AuthParam {
  Realm = 0,
  Nonce,
  Opaque,
  Algorithm,
  Qop,
  Stale,
  Domain,
  Username,
  Uri,
  Response,
  Cnonce,
  Nc,
  Nextnonce,
  Rspauth,
}
const AUTH_PARAM_COUNT = AuthParam.Rspauth + 1;
const NAMES: readonly Uint8Array[] = Object.freeze(
  ["realm", "nonce", "opaque", "algorithm", "qop", "stale", "domain", "username", "uri", "response", "cnonce", "nc", "nextnonce", "rspauth"].map((n) => ascii(n)),
);

export class AuthParams {
  buf: Uint8Array = NO_BYTES;
  schemeStart = 0;
  schemeLen = 0;
  /** Value spans per AuthParam (quotes excluded); length -1 when absent. */
  readonly valueStart = new Uint16Array(AUTH_PARAM_COUNT);
  readonly valueLen = new Int32Array(AUTH_PARAM_COUNT);
  error = -1;

  /** Read a WWW-Authenticate, Proxy-Authenticate, Authorization or Authentication-Info value. */
  read(buf: Uint8Array, start: number, end: number, withScheme = true): boolean {
    this.buf = buf;
    this.valueLen.fill(-1);
    this.error = -1;
    let i = skipLws(buf, start, end);
    end = trimEnd(buf, i, end);
    if (withScheme) {
      const se = skipClass(buf, i, end, C.Token);
      if (se === i) return this.fail(i);
      this.schemeStart = i;
      this.schemeLen = se - i;
      i = skipLws(buf, se, end);
      if (i === se && i < end) return this.fail(i);
    } else this.schemeLen = 0;
    while (i < end) {
      const ns = i;
      const ne = skipClass(buf, i, end, C.Token);
      if (ne === ns) return this.fail(ns);
      i = skipLws(buf, ne, end);
      if (i >= end || buf[i] !== Ch.Equals) return this.fail(i);
      i = skipLws(buf, i + 1, end);
      let vs = i;
      let ve: number;
      if (i < end && buf[i] === Ch.DQuote) {
        const q = scanQuoted(buf, i, end);
        if (q < 0) return this.fail(i);
        vs = i + 1;
        ve = q - 1;
        i = q;
      } else {
        ve = skipClass(buf, i, end, C.Token);
        if (ve === vs) return this.fail(i);
        i = ve;
      }
      for (let p = 0; p < AUTH_PARAM_COUNT; p++) {
        if (spanEqualsCI(buf, ns, ne - ns, NAMES[p]!)) {
          this.valueStart[p] = vs;
          this.valueLen[p] = ve - vs;
          break;
        }
      }
      i = skipLws(buf, i, end);
      if (i < end) {
        if (buf[i] !== Ch.Comma) return this.fail(i);
        i = skipLws(buf, i + 1, end);
      }
    }
    return true;
  }

  isDigest(): boolean {
    return spanEqualsCI(this.buf, this.schemeStart, this.schemeLen, K_DIGEST);
  }

  has(p: AuthParam): boolean {
    return this.valueLen[p]! >= 0;
  }

  /** Compare a parameter's value, case-insensitively, with a lower-case constant. */
  is(p: AuthParam, lower: Uint8Array): boolean {
    return this.valueLen[p]! >= 0 && spanEqualsCI(this.buf, this.valueStart[p]!, this.valueLen[p]!, lower);
  }

  /** A parameter's value as a string (digest computation is rare: strings are fine there). Quoted-pairs are unescaped. */
  string(p: AuthParam): string | undefined {
    const len = this.valueLen[p]!;
    if (len < 0) return undefined;
    const s = this.valueStart[p]!;
    let backslash = false;
    for (let k = s; k < s + len; k++) if (this.buf[k] === Ch.Backslash) backslash = true;
    if (!backslash) return spanToString(this.buf, s, len);
    const tmp = new Uint8Array(len);
    let n = 0;
    for (let k = s; k < s + len; k++) {
      if (this.buf[k] === Ch.Backslash && k + 1 < s + len) k++;
      tmp[n++] = this.buf[k]!;
    }
    return spanToString(tmp, 0, n);
  }

  private fail(at: number): boolean {
    this.error = at;
    return false;
  }
}
