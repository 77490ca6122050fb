/*
 * URIs: SIP and SIPS (RFC 3261 §19.1, §25.1), TEL (RFC 3966) and any other
 * absoluteURI (RFC 2396) as an opaque span. The reader is reused: `read`
 * fills spans into the buffer it was given and allocates nothing.
 */
import { ascii, spanEqualsCI } from "./bytes";
import { C, CHARS, Ch } from "./chars";
import { skipEscaped } from "./escape";
import { Params } from "./params";
import { parseUint, skipClass } from "./lex";

export const enum Scheme {
  Other = 0,
  Sip = 1,
  Sips = 2,
  Tel = 3,
}

export const enum HostKind {
  Name = 0,
  IPv4 = 1,
  IPv6 = 2,
}

const K_SIP = ascii("sip");
const K_SIPS = ascii("sips");
const K_TEL = ascii("tel");

export class Uri {
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  end = 0;
  scheme: Scheme = Scheme.Other;
  schemeLen = 0;
  /** userLen -1: no userinfo. For tel: the telephone-subscriber. */
  userStart = 0;
  userLen = -1;
  passwordStart = 0;
  passwordLen = -1;
  /** Host, brackets included for an IPv6 reference. */
  hostStart = 0;
  hostLen = 0;
  hostKind: HostKind = HostKind.Name;
  /** -1 when absent. */
  port = -1;
  /** ";params" span (starting at the first ";"), empty when none. */
  paramsStart = 0;
  paramsEnd = 0;
  /** "?headers" span without the "?", headersLen -1 when none. */
  headersStart = 0;
  headersLen = -1;
  /** Offset of the first syntax error, or -1. */
  error = -1;

  private readonly params = new Params();

  /** Read the URI that is exactly [start, end). Returns false (and sets `error`) when malformed. */
  read(buf: Uint8Array, start: number, end: number): boolean {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.scheme = Scheme.Other;
    this.userLen = -1;
    this.passwordLen = -1;
    this.hostLen = 0;
    this.hostKind = HostKind.Name;
    this.port = -1;
    this.paramsStart = this.paramsEnd = end;
    this.headersLen = -1;
    this.error = -1;
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    if (start >= end || (CHARS[buf[start]!]! & C.Alpha) === 0) return this.fail(start);
    const se = skipClass(buf, start, end, C.Scheme);
    if (se >= end || buf[se] !== Ch.Colon) return this.fail(se);
    this.schemeLen = se - start;
    if (spanEqualsCI(buf, start, se - start, K_SIP)) this.scheme = Scheme.Sip;
    else if (spanEqualsCI(buf, start, se - start, K_SIPS)) this.scheme = Scheme.Sips;
    else if (spanEqualsCI(buf, start, se - start, K_TEL)) this.scheme = Scheme.Tel;
    const i = se + 1;
    if (this.scheme === Scheme.Sip || this.scheme === Scheme.Sips) return this.readSip(buf, i, end);
    if (this.scheme === Scheme.Tel) return this.readTel(buf, i, end);
    // absoluteURI: at least one uric byte, all uric.
    const j = skipEscaped(buf, i, end, C.Uric);
    if (j !== end || j === i) return this.fail(j < 0 ? i : j);
    this.userStart = i;
    this.userLen = end - i;
    return true;
  }

  private readSip(buf: Uint8Array, i: number, end: number): boolean {
    // "@" appears only as the userinfo separator: user, password, parameters and headers cannot hold it unescaped.
    let at = -1;
    for (let k = i; k < end; k++) {
      if (buf[k] === Ch.At) {
        at = k;
        break;
      }
    }
    if (at >= 0) {
      let u = skipEscaped(buf, i, at, C.User);
      if (u < 0 || u === i) return this.fail(u < 0 ? i : u);
      this.userStart = i;
      this.userLen = u - i;
      if (u < at) {
        if (buf[u] !== Ch.Colon) return this.fail(u);
        const ps = u + 1;
        u = skipEscaped(buf, ps, at, C.Password);
        if (u !== at) return this.fail(u < 0 ? ps : u);
        this.passwordStart = ps;
        this.passwordLen = at - ps;
      }
      i = at + 1;
    }
    i = this.readHostPort(buf, i, end);
    if (i < 0) return false;
    if (i < end && buf[i] === Ch.Semi) {
      const ps = i;
      while (i < end && buf[i] !== Ch.Question) i++;
      this.paramsStart = ps;
      this.paramsEnd = i;
      const p = this.params.reset(buf, ps, i, false);
      if (p.validate() >= 0) return this.fail(p.error);
    }
    if (i < end && buf[i] === Ch.Question) {
      // headers = "?" header *( "&" header ), header = hname "=" hvalue
      const hs = i + 1;
      let k = hs;
      for (;;) {
        const n = skipEscaped(buf, k, end, C.Hnv);
        if (n <= k) return this.fail(n < 0 ? k : n);
        if (n >= end || buf[n] !== Ch.Equals) return this.fail(n);
        const v = skipEscaped(buf, n + 1, end, C.Hnv);
        if (v < 0) return this.fail(n + 1);
        k = v;
        if (k < end && buf[k] === 38 /* & */) {
          k++;
          continue;
        }
        break;
      }
      if (k !== end) return this.fail(k);
      this.headersStart = hs;
      this.headersLen = end - hs;
      i = end;
    }
    if (i !== end) return this.fail(i);
    return true;
  }

  /** hostport = host [ ":" port ]; returns the offset after it or -1. */
  private readHostPort(buf: Uint8Array, i: number, end: number): number {
    const hs = i;
    i = scanHost(buf, i, end);
    if (i < 0) return this.failN(hs);
    this.hostKind = hostKindOf(buf, hs, i);
    this.hostStart = hs;
    this.hostLen = i - hs;
    if (i < end && buf[i] === Ch.Colon) {
      const ps = i + 1;
      let pe = ps;
      while (pe < end && buf[pe]! >= Ch.Zero && buf[pe]! <= Ch.Nine) pe++;
      const port = parseUint(buf, ps, pe, 65535);
      if (port < 0) return this.failN(ps);
      this.port = port;
      i = pe;
    }
    return i;
  }

  private readTel(buf: Uint8Array, i: number, end: number): boolean {
    // telephone-subscriber: digits, visual separators, "+", "*", "#", and hex for local numbers (RFC 3966 §3).
    const s = i;
    while (i < end) {
      const b = buf[i]!;
      if ((CHARS[b]! & (C.Hex | C.Digit)) !== 0 || b === Ch.Plus || b === Ch.Minus || b === Ch.Dot || b === Ch.LParen || b === Ch.RParen || b === 42 || b === 35) i++;
      else break;
    }
    if (i === s) return this.fail(s);
    this.userStart = s;
    this.userLen = i - s;
    if (i < end) {
      if (buf[i] !== Ch.Semi) return this.fail(i);
      const p = this.params.reset(buf, i, end, false);
      if (p.validate() >= 0) return this.fail(p.error);
      this.paramsStart = i;
      this.paramsEnd = end;
    }
    return true;
  }

  /** Find a URI parameter (e.g. "lr", "transport", "maddr"); sets paramValueStart/Len. */
  findParam(lowerName: Uint8Array): boolean {
    const p = this.params;
    if (!p.find(this.buf, this.paramsStart, this.paramsEnd, false, lowerName)) return false;
    this.paramValueStart = p.valueStart;
    this.paramValueLen = p.valueLen;
    return true;
  }
  paramValueStart = 0;
  paramValueLen = -1;

  private fail(at: number): boolean {
    this.error = at;
    return false;
  }
  private failN(at: number): number {
    this.error = at;
    return -1;
  }
}

/**
 * host = hostname / IPv4address / IPv6reference (§25.1). Returns the offset
 * after the host, or -1. An IPv6reference is "[" hex, ":" and "." "]" (the
 * dots for an embedded IPv4 tail); the RFC 3261 ABNF's three-colon form is
 * tolerated (RFC 5118 §4.10).
 */
export function scanHost(buf: Uint8Array, i: number, end: number): number {
  const hs = i;
  if (i < end && buf[i] === Ch.LBracket) {
    i++;
    while (i < end && ((CHARS[buf[i]!]! & C.Hex) !== 0 || buf[i] === Ch.Colon || buf[i] === Ch.Dot)) i++;
    if (i >= end || buf[i] !== Ch.RBracket || i === hs + 1) return -1;
    return i + 1;
  }
  i = skipClass(buf, i, end, C.Host);
  return i === hs ? -1 : i;
}

/** The kind of a host span that scanHost accepted. */
export function hostKindOf(buf: Uint8Array, start: number, end: number): HostKind {
  if (buf[start] === Ch.LBracket) return HostKind.IPv6;
  return isIPv4(buf, start, end) ? HostKind.IPv4 : HostKind.Name;
}

/** Four dot-separated decimal octets. */
export function isIPv4(buf: Uint8Array, start: number, end: number): boolean {
  let parts = 0;
  let i = start;
  while (i < end) {
    const s = i;
    let v = 0;
    while (i < end && buf[i]! >= Ch.Zero && buf[i]! <= Ch.Nine) {
      v = v * 10 + buf[i]! - Ch.Zero;
      i++;
    }
    if (i === s || i - s > 3 || v > 255) return false;
    parts++;
    if (i < end) {
      if (buf[i] !== Ch.Dot) return false;
      i++;
      if (i === end) return false;
    }
  }
  return parts === 4;
}
