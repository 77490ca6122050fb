/*
 * One Via element (RFC 3261 §20.42, §25.1):
 *   sent-protocol LWS sent-by *( SEMI via-params )
 *   sent-protocol = protocol-name SLASH protocol-version SLASH transport
 * SLASH allows LWS on both sides, so "SIP / 2.0 / UDP" is valid
 * (RFC 4475 §3.1.1.1). Parameters of interest are captured while validating:
 * branch, received, rport (RFC 3581), maddr, ttl.
 */
import { ascii, NO_BYTES, spanEqualsCI } from "./bytes";
import { C, Ch, IS_HOST, IS_PVALUE, IS_TOKEN } from "./chars";
import { parseUint, skipClass, skipLws, trimEnd } from "./lex";
import { Params } from "./params";
import { HostKind, hostKindOf, scanHost } from "./uri";

export const enum Transport {
  Other = 0,
  UDP = 1,
  TCP = 2,
  TLS = 3,
  SCTP = 4,
  WS = 5,
  WSS = 6,
}

const K_SIP = ascii("sip");
const K_20 = ascii("2.0");
const K_BRANCH = ascii("branch");
const K_RECEIVED = ascii("received");
const K_RPORT = ascii("rport");
const K_MADDR = ascii("maddr");
const K_TTL = ascii("ttl");
const TRANSPORTS: readonly Uint8Array[] = Object.freeze([
  new Uint8Array(0),
  ascii("udp"),
  ascii("tcp"),
  ascii("tls"),
  ascii("sctp"),
  ascii("ws"),
  ascii("wss"),
]);
/**
 * The transport token's id (case-insensitive); Other when unknown. The names
 * are letters only, so `b | 0x20` equals one of their bytes exactly when b is
 * that letter in either case.
 */
function transportOf(buf: Uint8Array, start: number, len: number): Transport {
  const a = buf[start]! | 0x20;
  if (len === 3) {
    const b = buf[start + 1]! | 0x20;
    const c = buf[start + 2]! | 0x20;
    if (a === 0x75 /* u */) return b === 0x64 /* d */ && c === 0x70 /* p */ ? Transport.UDP : Transport.Other;
    if (a === 0x74 /* t */) {
      if (b === 0x63 /* c */ && c === 0x70 /* p */) return Transport.TCP;
      if (b === 0x6c /* l */ && c === 0x73 /* s */) return Transport.TLS;
      return Transport.Other;
    }
    return a === 0x77 /* w */ && b === 0x73 /* s */ && c === 0x73 /* s */ ? Transport.WSS : Transport.Other;
  }
  if (len === 2) return a === 0x77 /* w */ && (buf[start + 1]! | 0x20) === 0x73 /* s */ ? Transport.WS : Transport.Other;
  if (len === 4) return spanEqualsCI(buf, start, 4, TRANSPORTS[Transport.SCTP]!) ? Transport.SCTP : Transport.Other;
  return Transport.Other;
}

/** The end of the token at i (i itself when none), before `end`. */
function tokenEnd(buf: Uint8Array, i: number, end: number): number {
  while (i < end && IS_TOKEN[buf[i]!]!) i++;
  return i;
}

/** Past SLASH = SWS "/" SWS at i (§25.1), in a sent-protocol a read accepted (so the "/" is there). */
function afterSlash(buf: Uint8Array, i: number, end: number): number {
  return skipLws(buf, skipLws(buf, i, end) + 1, end);
}

/** RFC 3261 §8.1.1.7: branches of RFC 3261 elements start with this. */
export const MAGIC_COOKIE = ascii("z9hG4bK");

export class Via {
  buf: Uint8Array = NO_BYTES;
  /**
   * Where sent-protocol starts. Its three tokens' spans and the transport's
   * id are found from here when asked for (see `protocolLen` and after): they
   * end before the sent-by host, and few callers ask, so no read stores them
   * (six slots less per reader, six stores less per Via read).
   */
  protocolStart = 0;
  /** protocol-name's length; 0 when no Via was read (as for the spans below). */
  get protocolLen(): number {
    return this.hostLen > 0 ? tokenEnd(this.buf, this.protocolStart, this.hostStart) - this.protocolStart : 0;
  }
  /** protocol-version: after protocol-name and SLASH (LWS on both sides allowed, §25.1). */
  get versionStart(): number {
    return this.hostLen > 0 ? afterSlash(this.buf, tokenEnd(this.buf, this.protocolStart, this.hostStart), this.hostStart) : 0;
  }
  get versionLen(): number {
    if (this.hostLen <= 0) return 0;
    const vs = this.versionStart;
    return tokenEnd(this.buf, vs, this.hostStart) - vs;
  }
  /** transport: after protocol-version and SLASH. */
  get transportStart(): number {
    if (this.hostLen <= 0) return 0;
    const buf = this.buf;
    const hs = this.hostStart;
    return afterSlash(buf, tokenEnd(buf, afterSlash(buf, tokenEnd(buf, this.protocolStart, hs), hs), hs), hs);
  }
  get transportLen(): number {
    if (this.hostLen <= 0) return 0;
    const ts = this.transportStart;
    return tokenEnd(this.buf, ts, this.hostStart) - ts;
  }
  /** The transport token's id (case-insensitive); Other when unknown or no Via was read. */
  get transport(): Transport {
    if (this.hostLen <= 0) return Transport.Other;
    const ts = this.transportStart;
    return transportOf(this.buf, ts, tokenEnd(this.buf, ts, this.hostStart) - ts);
  }
  hostStart = 0;
  hostLen = 0;
  /**
   * The sent-by host's kind, found from its span when asked for: no parse pays
   * for it (an IPv4 address would be read twice), and few callers ask.
   */
  get hostKind(): HostKind {
    return this.hostLen > 0 ? hostKindOf(this.buf, this.hostStart, this.hostStart + this.hostLen) : HostKind.Name;
  }
  /** -1 when absent. */
  port = -1;
  /**
   * The via-params span, [paramsStart, paramsEnd). They start right after the
   * sent-by (its port's digits when it has one), so where is found from it
   * rather than kept.
   */
  get paramsStart(): number {
    if (this.hostLen <= 0) return 0;
    const he = this.hostStart + this.hostLen;
    if (this.port < 0) return he;
    // COLON = SWS ":" SWS, then the digits (§25.1)
    const buf = this.buf;
    const end = this.paramsEnd;
    let i = skipLws(buf, skipLws(buf, he, end) + 1, end);
    while (i < end && buf[i]! >= Ch.Zero && buf[i]! <= Ch.Nine) i++;
    return i;
  }
  paramsEnd = 0;
  /** branchLen -1 when absent. */
  branchStart = 0;
  branchLen = -1;
  receivedStart = 0;
  receivedLen = -1;
  /** -1 absent, 0 present without a value (a request asking for it), else the port. */
  rport = -1;
  maddrStart = 0;
  maddrLen = -1;
  /** -1 when absent. */
  ttl = -1;
  error = -1;

  readonly params: Params;

  /** `params`: a cursor to share (the parser lends its name-addr reader's), else one of its own. */
  constructor(params?: Params) {
    this.params = params ?? new Params();
  }

  /** Forget the last Via read (a message without Via must not show a stale one). */
  clear(): void {
    this.hostLen = 0;
    this.port = -1;
    this.branchLen = this.receivedLen = this.maddrLen = -1;
    this.rport = -1;
    this.ttl = -1;
    this.error = -1;
    this.paramsEnd = 0;
  }

  read(buf: Uint8Array, start: number, end: number): boolean {
    this.buf = buf;
    this.clear();
    let i = skipLws(buf, start, end);
    end = trimEnd(buf, i, end);
    // protocol-name SLASH protocol-version SLASH transport
    let j = skipClass(buf, i, end, C.Token);
    if (j === i) return this.fail(i);
    this.protocolStart = i;
    i = this.slash(buf, j, end);
    if (i < 0) return this.fail(j);
    j = skipClass(buf, i, end, C.Token);
    if (j === i) return this.fail(i);
    i = this.slash(buf, j, end);
    if (i < 0) return this.fail(j);
    j = skipClass(buf, i, end, C.Token);
    if (j === i) return this.fail(i);
    // LWS sent-by
    i = skipLws(buf, j, end);
    if (i === j) return this.fail(j);
    const hs = i;
    i = scanHost(buf, i, end);
    if (i < 0) return this.fail(hs);
    this.hostStart = hs;
    this.hostLen = i - hs;
    j = skipLws(buf, i, end);
    if (j < end && buf[j] === Ch.Colon) {
      const ps = skipLws(buf, j + 1, end);
      let pe = ps;
      while (pe < end && buf[pe]! >= Ch.Zero && buf[pe]! <= Ch.Nine) pe++;
      const port = parseUint(buf, ps, pe, 65535);
      if (port < 0) return this.fail(ps);
      this.port = port;
      i = pe;
    }
    this.paramsEnd = end;
    const p = this.params.reset(buf, i, end, true);
    while (p.next()) {
      if (p.is(K_BRANCH)) {
        if (p.valueLen <= 0) return this.fail(p.nameStart);
        this.branchStart = p.valueStart;
        this.branchLen = p.valueLen;
      } else if (p.is(K_RECEIVED)) {
        if (p.valueLen <= 0) return this.fail(p.nameStart);
        this.receivedStart = p.valueStart;
        this.receivedLen = p.valueLen;
      } else if (p.is(K_RPORT)) {
        if (p.valueLen < 0) this.rport = 0;
        else {
          const v = parseUint(buf, p.valueStart, p.valueStart + p.valueLen, 65535);
          if (v < 0) return this.fail(p.valueStart);
          this.rport = v;
        }
      } else if (p.is(K_MADDR)) {
        if (p.valueLen <= 0) return this.fail(p.nameStart);
        this.maddrStart = p.valueStart;
        this.maddrLen = p.valueLen;
      } else if (p.is(K_TTL)) {
        const v = p.valueLen > 0 ? parseUint(buf, p.valueStart, p.valueStart + p.valueLen, 255) : -1;
        if (v < 0) return this.fail(p.nameStart);
        this.ttl = v;
      }
    }
    if (p.error >= 0) return this.fail(p.error);
    return true;
  }

  /**
   * The parser's one-pass read of a Via element whose end is not known yet:
   * the element starting at `start` (LWS before it allowed) runs as far as the
   * grammar goes, at most to `limit`. Returns the offset just after its last
   * byte, having set the fields exactly as `read(buf, start, that offset)`
   * does; or -1 when it is malformed or unusual, leaving the fields to be
   * forgotten (clear) and the element to be read, and judged, by `read`.
   * buf[limit - 1] is an LF (the end of a whole line), or limit is 0: the table
   * scans stop at it (no class holds an LF) without a bound of their own.
   */
  scan(buf: Uint8Array, start: number, limit: number): number {
    this.buf = buf;
    // What `clear` does, but for the fields every accepted element sets below.
    this.port = -1;
    this.branchLen = this.receivedLen = this.maddrLen = -1;
    this.rport = -1;
    this.ttl = -1;
    this.error = -1;
    let b0 = 0;
    // (LWS before the element: rare, the parser has skipped the blanks after the colon)
    let i = start;
    if (i < limit && ((b0 = buf[i]!) === Ch.SP || b0 === Ch.HT || b0 === Ch.CR || b0 === Ch.LF)) i = skipLws(buf, i, limit);
    // sent-protocol = protocol-name SLASH protocol-version SLASH transport
    let j = i;
    const token = IS_TOKEN;
    if (
      i + 8 < limit &&
      buf[i] === 83 /* S */ &&
      buf[i + 1] === 73 /* I */ &&
      buf[i + 2] === 80 /* P */ &&
      buf[i + 3] === Ch.Slash &&
      buf[i + 4] === 50 /* 2 */ &&
      buf[i + 5] === Ch.Dot &&
      buf[i + 6] === Ch.Zero &&
      buf[i + 7] === Ch.Slash &&
      token[buf[i + 8]!]!
    ) {
      // "SIP/2.0/" as everyone writes it: what the token scans below would find.
      this.protocolStart = i;
      if (i + 12 < limit && buf[i + 11] === Ch.SP && token[buf[i + 9]!]! && token[buf[i + 10]!]!) {
        j = i + 11; // "UDP " (or any transport of three bytes): what the transport scan would find
      } else {
        j = i + 8;
        while (j < limit && token[buf[j]!]!) j++;
      }
    } else {
      j = i;
      while (j < limit && token[buf[j]!]!) j++;
      if (j === i) return -1;
      this.protocolStart = i;
      i = this.slash(buf, j, limit);
      if (i < 0) return -1;
      j = i;
      while (j < limit && token[buf[j]!]!) j++;
      if (j === i) return -1;
      i = this.slash(buf, j, limit);
      if (i < 0) return -1;
      j = i;
      while (j < limit && token[buf[j]!]!) j++;
      if (j === i) return -1;
    }
    // LWS sent-by: usually one SP.
    i = j + 1 < limit && buf[j] === Ch.SP && (b0 = buf[j + 1]!) !== Ch.SP && b0 !== Ch.HT && b0 !== Ch.CR && b0 !== Ch.LF ? j + 1 : skipLws(buf, j, limit);
    if (i === j) return -1;
    const hs = i;
    if (i < limit && buf[i] === Ch.LBracket) {
      i = scanHost(buf, i, limit);
      if (i < 0) return -1;
    } else {
      const host = IS_HOST;
      if (i < limit) while (host[buf[i]!]!) i++; // (the LF ending `limit` is no host byte)
      if (i === hs) return -1;
    }
    this.hostStart = hs;
    this.hostLen = i - hs;
    // [ COLON port ], COLON = SWS ":" SWS: LWS before the colon only where a blank or a fold is.
    j = i;
    if (
      i < limit &&
      ((b0 = buf[i]!) === Ch.SP ||
        b0 === Ch.HT ||
        (b0 === Ch.CR && i + 2 < limit && buf[i + 1] === Ch.LF && ((b0 = buf[i + 2]!) === Ch.SP || b0 === Ch.HT)) ||
        (b0 === Ch.LF && i + 1 < limit && ((b0 = buf[i + 1]!) === Ch.SP || b0 === Ch.HT)))
    ) {
      j = skipLws(buf, i, limit);
    }
    if (j < limit && buf[j] === Ch.Colon) {
      // port = 1*DIGIT, below 65536 (what parseUint would accept), read in the same pass.
      const ps = skipLws(buf, j + 1, limit);
      let pe = ps;
      let port = 0;
      let d = 0;
      while (pe < limit && (d = buf[pe]! - Ch.Zero) >= 0 && d <= 9) {
        port = port * 10 + d;
        pe++;
      }
      if (pe === ps || port > 65535) return -1;
      this.port = port;
      i = pe;
    }
    // *( SEMI via-params ), the ones of interest captured as `read` does.
    // The cursor's step and is need only its buffer (no reset: it would only set what
    // step does not read).
    const p = this.params;
    p.buf = buf;
    const pvalue = IS_PVALUE;
    let b = 0;
    for (;;) {
      if (
        i + 8 < limit &&
        buf[i] === Ch.Semi &&
        buf[i + 1] === 98 /* b */ &&
        buf[i + 2] === 114 /* r */ &&
        buf[i + 3] === 97 /* a */ &&
        buf[i + 4] === 110 /* n */ &&
        buf[i + 5] === 99 /* c */ &&
        buf[i + 6] === 104 /* h */ &&
        buf[i + 7] === Ch.Equals
      ) {
        // ";branch=" and a plain value, the usual first parameter: what step would read.
        const vs = i + 8;
        let k = vs;
        while (pvalue[buf[k]!]!) k++; // (vs < limit, and the LF ending `limit` is no pvalue byte)
        if (k > vs) {
          this.branchStart = vs;
          this.branchLen = k - vs;
          i = k;
          continue;
        }
      }
      if (i + 2 < limit && buf[i] === Ch.CR && buf[i + 1] === Ch.LF && buf[i + 2] !== Ch.SP && buf[i + 2] !== Ch.HT) break; // the line ends: no more
      if (
        i + 6 < limit &&
        buf[i] === Ch.Semi &&
        buf[i + 1] === 114 /* r */ &&
        buf[i + 2] === 112 /* p */ &&
        buf[i + 3] === 111 /* o */ &&
        buf[i + 4] === 114 /* r */ &&
        buf[i + 5] === 116 /* t */ &&
        ((b = buf[i + 6]!) === Ch.Semi || b === Ch.CR || b === Ch.Comma)
      ) {
        // ";rport" without a value (RFC 3581 §3: a request asking for it), then the next
        // parameter, the line's end or the next element: what step would read.
        this.rport = 0;
        i += 6;
        continue;
      }
      const k = p.step(buf, i, limit);
      if (k < 0) return -1;
      if (k === i) break;
      const vl = p.valueLen;
      switch (p.nameLen) {
        case 6:
          if (p.is(K_BRANCH)) {
            if (vl <= 0) return -1;
            this.branchStart = p.valueStart;
            this.branchLen = vl;
          }
          break;
        case 8:
          if (p.is(K_RECEIVED)) {
            if (vl <= 0) return -1;
            this.receivedStart = p.valueStart;
            this.receivedLen = vl;
          }
          break;
        case 5:
          if (p.is(K_RPORT)) {
            if (vl < 0) this.rport = 0;
            else {
              const v = parseUint(buf, p.valueStart, p.valueStart + vl, 65535);
              if (v < 0) return -1;
              this.rport = v;
            }
          } else if (p.is(K_MADDR)) {
            if (vl <= 0) return -1;
            this.maddrStart = p.valueStart;
            this.maddrLen = vl;
          }
          break;
        case 3:
          if (p.is(K_TTL)) {
            const v = vl > 0 ? parseUint(buf, p.valueStart, p.valueStart + vl, 255) : -1;
            if (v < 0) return -1;
            this.ttl = v;
          }
          break;
      }
      i = k;
    }
    this.paramsEnd = i;
    return i;
  }

  /** Is this "SIP/2.0"? */
  isSip20(): boolean {
    return spanEqualsCI(this.buf, this.protocolStart, this.protocolLen, K_SIP) && spanEqualsCI(this.buf, this.versionStart, this.versionLen, K_20);
  }

  /** Does the branch start with the RFC 3261 magic cookie (and have more after it)? */
  hasMagicCookie(): boolean {
    if (this.branchLen <= MAGIC_COOKIE.length) return false;
    for (let k = 0; k < MAGIC_COOKIE.length; k++) if (this.buf[this.branchStart + k] !== MAGIC_COOKIE[k]) return false;
    return true;
  }

  private slash(buf: Uint8Array, i: number, end: number): number {
    i = skipLws(buf, i, end);
    if (i >= end || buf[i] !== Ch.Slash) return -1;
    return skipLws(buf, i + 1, end);
  }

  private fail(at: number): boolean {
    this.error = at;
    return false;
  }
}
