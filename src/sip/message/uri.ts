/*
 * URIs: SIP and SIPS (RFC 3261 §19.1, §25.1), TEL (RFC 3966) and any other
 * absoluteURI (RFC 2396) as an opaque span. The reader is reused: `read`
 * fills spans into the buffer it was given and allocates nothing.
 */
import { ascii, NO_BYTES, spanEqualsCI } from "./bytes";
import { C, Ch, CHARS, IS_HOST, IS_PARAM_PLAIN } from "./chars";
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
  buf: Uint8Array = NO_BYTES;
  start = 0;
  end = 0;
  scheme: Scheme = Scheme.Other;
  /*
   * The scheme's length and where the userinfo, password and host start are
   * found from the other fields when asked for (few callers ask): no read
   * stores them, and a URI has four slots less.
   */
  /** The scheme ends at the first ":" (no scheme byte is one, §25.1). */
  get schemeLen(): number {
    const buf = this.buf;
    const start = this.start;
    const end = this.end;
    let i = start;
    while (i < end && buf[i] !== Ch.Colon) i++;
    return i - start;
  }
  /**
   * Right after the scheme's ":"; userLen -1: no userinfo. For tel: the
   * telephone-subscriber; for another scheme, the rest of the URI.
   */
  get userStart(): number {
    return this.start + this.schemeLen + 1;
  }
  userLen = -1;
  /** After the user's ":"; passwordLen -1: no password. */
  get passwordStart(): number {
    return this.userStart + this.userLen + 1;
  }
  passwordLen = -1;
  /** Host, brackets included for an IPv6 reference: after the scheme's ":" or the userinfo's "@". */
  get hostStart(): number {
    const u = this.userStart;
    return this.userLen < 0 ? u : u + this.userLen + (this.passwordLen >= 0 ? this.passwordLen + 1 : 0) + 1;
  }
  hostLen = 0;
  /**
   * The host's kind, found from its span when asked for: no parse pays for it
   * (an IPv4 address would be read twice), and few callers ask. Name when the
   * URI has no host (not SIP or SIPS).
   */
  get hostKind(): HostKind {
    if (this.hostLen <= 0) return HostKind.Name;
    const hs = this.hostStart;
    return hostKindOf(this.buf, hs, hs + this.hostLen);
  }
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

  /** A cursor used only inside read and findParam (and holding findParam's answer): a name-addr lends its own. */
  private readonly params: Params;

  constructor(params?: Params) {
    this.params = params ?? new Params();
  }

  /** Read the URI that is exactly [start, end). Returns false (and sets `error`) when malformed. */
  read(buf: Uint8Array, start: number, end: number): boolean {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.scheme = Scheme.Other;
    this.userLen = -1;
    this.passwordLen = -1;
    this.hostLen = 0;
    this.port = -1;
    this.paramsStart = this.paramsEnd = end;
    this.headersLen = -1;
    this.error = -1;
    // scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    if (start >= end || (CHARS[buf[start]!]! & C.Alpha) === 0) return this.fail(start);
    const se = skipClass(buf, start, end, C.Scheme);
    if (se >= end || buf[se] !== Ch.Colon) return this.fail(se);
    const sl = se - start;
    if (sl === 3) {
      if (spanEqualsCI(buf, start, 3, K_SIP)) this.scheme = Scheme.Sip;
      else if (spanEqualsCI(buf, start, 3, K_TEL)) this.scheme = Scheme.Tel;
    } else if (sl === 4 && spanEqualsCI(buf, start, 4, K_SIPS)) this.scheme = Scheme.Sips;
    const i = se + 1;
    if (this.scheme === Scheme.Sip || this.scheme === Scheme.Sips) return this.readSip(buf, i, end);
    if (this.scheme === Scheme.Tel) return this.readTel(buf, i, end);
    // absoluteURI: at least one uric byte, all uric.
    const j = skipEscaped(buf, i, end, C.Uric);
    if (j !== end || j === i) return this.fail(j < 0 ? i : j);
    this.userLen = end - i;
    return true;
  }

  /**
   * For NameAddr.scan: read the SIP or SIPS URI at `start` whose end is not
   * known yet: it ends at the first byte a SIP URI cannot hold, which must be
   * `term` (">" in a name-addr), before `limit`. Returns that offset, with the
   * fields set exactly as `read(buf, start, offset)` sets them; or -1 when this
   * cannot tell (another scheme, something unusual or malformed), the fields
   * then meaning nothing until the next read. buf[limit - 1] is an LF (the end
   * of a whole line), or limit is 0 (as for NameAddr.scan).
   */
  readTo(buf: Uint8Array, start: number, limit: number, term: number): number {
    this.buf = buf;
    this.start = start;
    this.scheme = Scheme.Other;
    // (host, port, parameters and headers are set below for every URI it accepts)
    this.userLen = -1;
    this.passwordLen = -1;
    this.error = -1;
    let se = start + 3;
    if (se < limit && buf[start] === 115 /* s */ && buf[start + 1] === 105 /* i */ && buf[start + 2] === 112 /* p */ && buf[se] === Ch.Colon) {
      // "sip:", as nearly everyone writes it
      this.scheme = Scheme.Sip;
    } else {
      if (start >= limit || (CHARS[buf[start]!]! & C.Alpha) === 0) return -1;
      se = skipClass(buf, start, limit, C.Scheme);
      if (se >= limit || buf[se] !== Ch.Colon) return -1;
      const sl = se - start;
      if (sl === 3 && spanEqualsCI(buf, start, 3, K_SIP)) this.scheme = Scheme.Sip;
      else if (sl === 4 && spanEqualsCI(buf, start, 4, K_SIPS)) this.scheme = Scheme.Sips;
      else return -1;
    }
    // The rest is scanSip's pass for a URI on a whole line, here rather than in a call of
    // its own (a call per URI costs about what reading its host does): buf[limit - 1] is
    // an LF, which no class below holds, so the table scans need no bound of their own.
    // A "?headers" part is left to the full reader (the callers' verdict is the same).
    const i = se + 1;
    const host = IS_HOST;
    // Host-name bytes are user bytes too: scan them once.
    let k = i;
    if (k < limit) while (host[buf[k]!]!) k++;
    let userLen = -1;
    let hs = i;
    let h = k;
    if (k < limit) {
      let b = buf[k]!;
      if (b !== Ch.At && b !== Ch.Colon && b !== Ch.Semi && b !== term) {
        // Another user byte ("*", "+", "%41"...): only a userinfo can hold it.
        k = skipEscaped(buf, k, limit, C.User);
        if (k < 0 || k >= limit) return -1;
        b = buf[k]!;
        if (b !== Ch.At) return -1;
      }
      if (b === Ch.At) {
        if (k === i) return -1;
        userLen = k - i;
        hs = h = k + 1;
        while (host[buf[h]!]!) h++; // (after an "@" before limit - 1)
      }
    }
    if (h === hs) return -1;
    const he = h;
    // [":" port]
    let port = -1;
    if (h < limit && buf[h] === Ch.Colon) {
      const ps = h + 1;
      let pe = ps;
      while (pe < limit && buf[pe]! >= Ch.Zero && buf[pe]! <= Ch.Nine) pe++;
      port = parseUint(buf, ps, pe, 65535);
      if (port < 0) return -1;
      h = pe;
    }
    // *( ";" pname [ "=" pvalue ] ): the plain bytes by table, an escape by skipEscaped.
    const paramsStart = h;
    if (h < limit && buf[h] === Ch.Semi) {
      const param = IS_PARAM_PLAIN;
      while (h < limit && buf[h] === Ch.Semi) {
        const ns = h + 1;
        h = ns;
        while (param[buf[h]!]!) h++;
        if (h < limit && buf[h] === Ch.Percent) h = skipEscaped(buf, h, limit, C.Param);
        if (h <= ns) return -1;
        if (h < limit && buf[h] === Ch.Equals) {
          const vs = h + 1;
          h = vs;
          while (param[buf[h]!]!) h++;
          if (h < limit && buf[h] === Ch.Percent) h = skipEscaped(buf, h, limit, C.Param);
          if (h <= vs) return -1;
        }
      }
    }
    if (h >= limit || buf[h] !== term) return -1;
    if (userLen >= 0) this.userLen = userLen;
    this.hostLen = he - hs;
    this.port = port;
    this.paramsStart = paramsStart;
    this.paramsEnd = h;
    this.headersLen = -1;
    this.end = h;
    return h;
  }

  /**
   * For NameAddr.scan: the addr-spec form's usual URI, "sip:" [user "@"] host
   * [":" port] at `start` (the "s"), whose end is not known yet. In that form
   * the URI ends at the first ";", SP, HT, CR or LF (§20.10; in a list a ","
   * too): returns that offset, with the fields set exactly as
   * `read(buf, start, offset)` sets them; or -1 when the URI holds anything
   * else (escapes, a password, parameters...), the fields then meaning
   * nothing, and NameAddr reads it the long way. start + 4 < limit, and
   * buf[limit - 1] is an LF (as for NameAddr.scan).
   */
  readSipAddrSpec(buf: Uint8Array, start: number, limit: number, list: boolean): number {
    const i = start + 4;
    const host = IS_HOST;
    // Host-name bytes are user bytes too: scan them once. (No bound needed: i < limit, and
    // the LF ending `limit` is no host byte.)
    let k = i;
    while (host[buf[k]!]!) k++;
    if (k >= limit) return -1;
    let b = buf[k]!;
    let userLen = -1;
    let hs = i;
    let h = k;
    if (b === Ch.At) {
      if (k === i) return -1;
      userLen = k - i;
      hs = h = k + 1;
      while (host[buf[h]!]!) h++;
      if (h >= limit) return -1;
      b = buf[h]!;
    }
    if (h === hs) return -1;
    const he = h;
    let port = -1;
    if (b === Ch.Colon) {
      const ps = h + 1;
      let pe = ps;
      while (pe < limit && buf[pe]! >= Ch.Zero && buf[pe]! <= Ch.Nine) pe++;
      port = parseUint(buf, ps, pe, 65535);
      if (port < 0 || pe >= limit) return -1;
      h = pe;
      b = buf[h]!;
    }
    if (b !== Ch.Semi && b !== Ch.SP && b !== Ch.HT && b !== Ch.CR && b !== Ch.LF && (b !== Ch.Comma || !list)) return -1;
    this.buf = buf;
    this.start = start;
    this.end = h;
    this.scheme = Scheme.Sip;
    this.userLen = userLen;
    this.passwordLen = -1;
    this.hostLen = he - hs;
    this.port = port;
    this.paramsStart = this.paramsEnd = h;
    this.headersLen = -1;
    this.error = -1;
    return h;
  }

  private readSip(buf: Uint8Array, i: number, end: number): boolean {
    return this.scanSip(buf, i, end) || this.readSipFull(buf, i, end);
  }

  /**
   * One pass over the common shapes: [user "@"] hostname-or-IPv4 [":" port]
   * [";" params] ["?" headers], exactly [i, end). Returns true having set the
   * fields exactly as readSipFull would; otherwise false without touching
   * them, and readSipFull reads (and judges) the URI.
   *
   * Without a userinfo the URI holds no "@" at all once it is valid (host,
   * port, paramchar and hnv bytes exclude it), which is what readSipFull's
   * search for the "@" would have found.
   */
  private scanSip(buf: Uint8Array, i: number, end: number): boolean {
    const host = IS_HOST;
    // Host-name bytes are user bytes too: scan them once.
    let k = i;
    while (k < end && host[buf[k]!]!) k++;
    let userLen = -1;
    let hs = i;
    if (k < end) {
      let b = buf[k]!;
      if (b !== Ch.At && b !== Ch.Colon && b !== Ch.Semi && b !== Ch.Question) {
        // Another user byte ("*", "+", "%41"...): only a userinfo can hold it.
        k = skipEscaped(buf, k, end, C.User);
        if (k < 0 || k >= end) return false;
        b = buf[k]!;
        if (b !== Ch.At) return false;
      }
      if (b === Ch.At) {
        if (k === i) return false;
        userLen = k - i;
        hs = k + 1;
      }
    }
    // host
    let h = hs;
    if (userLen < 0) h = k;
    else while (h < end && host[buf[h]!]!) h++;
    if (h === hs) return false;
    const he = h;
    // [":" port]
    let port = -1;
    if (h < end && buf[h] === Ch.Colon) {
      const ps = h + 1;
      let pe = ps;
      while (pe < end && buf[pe]! >= Ch.Zero && buf[pe]! <= Ch.Nine) pe++;
      port = parseUint(buf, ps, pe, 65535);
      if (port < 0) return false;
      h = pe;
    }
    // *( ";" pname [ "=" pvalue ] )
    let paramsStart = -1;
    let paramsEnd = -1;
    if (h < end && buf[h] === Ch.Semi) {
      paramsStart = h;
      // The plain bytes by table, an escape by skipEscaped.
      const param = IS_PARAM_PLAIN;
      while (h < end && buf[h] === Ch.Semi) {
        const ns = h + 1;
        h = ns;
        while (h < end && param[buf[h]!]!) h++;
        if (h < end && buf[h] === Ch.Percent) h = skipEscaped(buf, h, end, C.Param);
        if (h <= ns) return false;
        if (h < end && buf[h] === Ch.Equals) {
          const vs = h + 1;
          h = vs;
          while (h < end && param[buf[h]!]!) h++;
          if (h < end && buf[h] === Ch.Percent) h = skipEscaped(buf, h, end, C.Param);
          if (h <= vs) return false;
        }
      }
      paramsEnd = h;
    }
    // ["?" headers]
    let headersStart = 0;
    let headersLen = -1;
    if (h < end && buf[h] === Ch.Question) {
      const hs2 = h + 1;
      let q = hs2;
      for (;;) {
        const n = skipEscaped(buf, q, end, C.Hnv);
        if (n <= q || n >= end || buf[n] !== Ch.Equals) return false;
        const v = skipEscaped(buf, n + 1, end, C.Hnv);
        if (v < 0) return false;
        q = v;
        if (q < end && buf[q] === 38 /* & */) {
          q++;
          continue;
        }
        break;
      }
      headersStart = hs2;
      headersLen = q - hs2;
      h = q;
    }
    if (h !== end) return false;
    if (userLen >= 0) this.userLen = userLen;
    this.hostLen = he - hs;
    this.port = port;
    if (paramsStart < 0) paramsStart = paramsEnd = h;
    this.paramsStart = paramsStart;
    this.paramsEnd = paramsEnd;
    if (headersLen >= 0) this.headersStart = headersStart;
    this.headersLen = headersLen;
    return true;
  }

  private readSipFull(buf: Uint8Array, i: number, end: number): boolean {
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
      this.userLen = u - i;
      if (u < at) {
        if (buf[u] !== Ch.Colon) return this.fail(u);
        const ps = u + 1;
        u = skipEscaped(buf, ps, at, C.Password);
        if (u !== at) return this.fail(u < 0 ? ps : u);
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

  /**
   * Find a URI parameter (e.g. "lr", "transport", "maddr"); its value span is
   * then paramValueStart/Len (paramValueLen -1 without a value).
   */
  findParam(lowerName: Uint8Array): boolean {
    return this.params.find(this.buf, this.paramsStart, this.paramsEnd, false, lowerName);
  }
  /**
   * findParam's answer, read from the cursor (two slots less per URI): valid
   * until the cursor's next use, by this URI or by the name-addr lending it.
   */
  get paramValueStart(): number {
    return this.params.valueStart;
  }
  get paramValueLen(): number {
    return this.params.valueLen;
  }

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
    let d = 0;
    while (i < end && (d = buf[i]! - Ch.Zero) >= 0 && d <= 9) {
      v = v * 10 + d;
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
