/*
 * name-addr / addr-spec with header parameters, as in From, To, Contact,
 * Route, Record-Route, Reply-To, Refer-To, Referred-By, P-Asserted-Identity
 * (RFC 3261 §20.10, §20.20, §20.39, §25.1):
 *   ( name-addr / addr-spec ) *( SEMI param )
 *   name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
 *   display-name = *( token LWS ) / quoted-string
 * In the addr-spec form the URI ends at the first ";" : its parameters are
 * header parameters, and a URI holding "?" or "," must be in <> (§20.10).
 */
import { ascii, NO_BYTES, spanToString } from "./bytes";
import { Ch, IS_PVALUE, IS_QDTEXT, IS_TOKEN } from "./chars";
import { scanQuoted, skipLws, trimEnd } from "./lex";
import { Params } from "./params";
import { Uri } from "./uri";

const K_TAG = ascii("tag");
const K_EXPIRES = ascii("expires");
const K_Q = ascii("q");

export class NameAddr {
  buf: Uint8Array = NO_BYTES;
  /** Display name span as written (quotes included when quoted); displayLen -1 when none. */
  displayStart = 0;
  displayLen = -1;
  /**
   * Is the display name a quoted-string? Found from its span (a token-form
   * name cannot start with a quote): a property would cost every name-addr
   * a slot and every read a store.
   */
  get displayQuoted(): boolean {
    return this.displayLen >= 0 && this.buf[this.displayStart] === Ch.DQuote;
  }
  /**
   * The URI span, without the angle brackets: the URI reader's own span (it
   * read exactly that), or a "*" Contact's star.
   */
  get uriStart(): number {
    return this.uri.start;
  }
  get uriLen(): number {
    return this.uri.end - this.uri.start;
  }
  angle = false;
  /**
   * Header parameters span, from the first ";" to the end. They start right
   * after the URI (its ">" in the name-addr form, or a "*" Contact's star),
   * so where is found from the URI's span rather than kept.
   */
  get paramsStart(): number {
    return this.uriStart + this.uriLen + (this.angle ? 1 : 0);
  }
  paramsEnd = 0;
  /** Frequently used parameters, found while validating (-1 when absent). */
  tagStart = 0;
  tagLen = -1;
  expiresStart = 0;
  expiresLen = -1;
  qStart = 0;
  qLen = -1;
  /**
   * A Contact of "*" (RFC 3261 §10.2.2). The only URI span of one byte (a
   * URI is at least "scheme:x"), so found from it rather than kept.
   */
  get star(): boolean {
    return this.uriLen === 1;
  }
  error = -1;

  /**
   * The header parameters' cursor, lent to `uri` as well (one object less
   * per reader): the URI is read before the parameters, and Uri copies what
   * it finds out of the cursor. So `params` holds findParam's answer until
   * the next read or findParam of this name-addr or of its URI (or of the
   * readers it is lent to: see the constructor).
   */
  readonly params: Params;
  readonly uri: Uri;

  /**
   * `params`: a cursor to share, else one of its own. The readers sharing one
   * must use it one at a time, and none may keep a findParam answer in it
   * across another's read (a message's From, To and Via share theirs: the
   * parser reads one header at a time).
   */
  constructor(params?: Params) {
    this.params = params ?? new Params();
    this.uri = new Uri(this.params);
  }

  /** Forget the last element read (a message without this header must not show a stale one). */
  clear(): void {
    this.displayLen = -1;
    this.angle = false;
    this.uri.start = this.uri.end = 0;
    this.paramsEnd = 0;
    this.tagLen = this.expiresLen = this.qLen = -1;
    this.error = -1;
  }

  /** Read one element that is exactly [start, end) (LWS around it allowed). */
  read(buf: Uint8Array, start: number, end: number): boolean {
    this.buf = buf;
    this.clear();
    let i = skipLws(buf, start, end);
    end = trimEnd(buf, i, end);
    if (i >= end) return this.fail(i);
    if (buf[i] === 42 /* * */ && skipLws(buf, i + 1, end) === end) {
      this.uri.start = i; // (a one-byte URI span: `star`)
      this.uri.end = i + 1;
      this.paramsEnd = end;
      return true;
    }
    if (buf[i] === Ch.DQuote) {
      const q = scanQuoted(buf, i, end);
      if (q < 0) return this.fail(i);
      this.displayStart = i;
      this.displayLen = q - i;
      i = skipLws(buf, q, end);
      if (i >= end || buf[i] !== Ch.LAngle) return this.fail(i);
    } else if (buf[i] !== Ch.LAngle) {
      // Either display-name tokens followed by "<", or an addr-spec (which starts with "scheme:").
      const ds = i;
      let last = i;
      let j = i;
      for (;;) {
        const t = j;
        while (j < end && IS_TOKEN[buf[j]!]!) j++;
        if (j === t) break;
        last = j;
        if (j < end && buf[j] === Ch.Colon && t === ds) break; // a scheme: this is an addr-spec
        const k = skipLws(buf, j, end);
        if (k === j) break;
        j = k;
      }
      if (j < end && buf[j] === Ch.LAngle && last > ds) {
        this.displayStart = ds;
        this.displayLen = last - ds;
        i = j;
      } else if (j < end && buf[j] === Ch.Colon && last > ds) {
        return this.readAddrSpec(buf, ds, end);
      } else return this.fail(j);
    }
    // name-addr: "<" addr-spec ">" with nothing inside the brackets but the URI (no LWS).
    const us = i + 1;
    let ue = us;
    while (ue < end && buf[ue] !== Ch.RAngle) ue++;
    if (ue >= end) return this.fail(i);
    if (!this.uri.read(buf, us, ue)) return this.fail(this.uri.error);
    this.angle = true;
    return this.readParams(buf, ue + 1, end);
  }

  /**
   * The parser's one-pass read of an element whose end is not known yet: the
   * element starting at `start` (LWS before it allowed) runs as far as the
   * grammar goes, at most to `limit`; in a list (`list`) a "," ends it too.
   * Returns the offset just after its last byte, having set the fields exactly
   * as `read(buf, start, that offset)` does; or -1 when it is malformed or
   * unusual (a "*" Contact included), leaving the fields to be forgotten
   * (clear) and the element to be read, and judged, by `read`. buf[limit - 1]
   * is an LF (the end of a whole line), or limit is 0: the table scans stop at
   * it (no class holds an LF) without a bound of their own.
   */
  scan(buf: Uint8Array, start: number, limit: number, list: boolean): number {
    this.buf = buf;
    // What `clear` does, but for the spans every accepted element sets below.
    this.displayLen = -1;
    this.angle = false;
    this.tagLen = this.expiresLen = this.qLen = -1;
    this.error = -1;
    let b0 = 0;
    // (LWS before the element: rare, the parser has skipped the blanks after the colon)
    let i = start;
    if (i < limit && ((b0 = buf[i]!) === Ch.SP || b0 === Ch.HT || b0 === Ch.CR || b0 === Ch.LF)) i = skipLws(buf, i, limit);
    // The element, to where its parameters start (i); then the parameters, here rather
    // than in a method of their own (a call per element costs about what reading its
    // tag does).
    element: {
      if (i >= limit) return -1;
      let b = buf[i]!;
      if (b === Ch.DQuote) {
        // The usual display name, plain qdtext to the closing quote then SP "<", is read
        // here (scanQuoted and skipLws otherwise). (buf[i] is a quote, so i + 1 < limit,
        // and the LF ending `limit` is no qdtext byte.)
        const qdtext = IS_QDTEXT;
        let q = i + 1;
        while (qdtext[buf[q]!]!) q++;
        if (buf[q] === Ch.DQuote) q++;
        else {
          q = scanQuoted(buf, i, limit);
          if (q < 0) return -1;
        }
        this.displayStart = i;
        this.displayLen = q - i;
          if (q + 1 < limit && buf[q] === Ch.SP && buf[q + 1] === Ch.LAngle) i = q + 1;
        else {
          i = skipLws(buf, q, limit);
          if (i >= limit || buf[i] !== Ch.LAngle) return -1;
        }
      } else if (b !== Ch.LAngle) {
        if (b === 42 /* * */) return -1;
        if (b === 115 /* s */ && i + 4 < limit && buf[i + 1] === 105 /* i */ && buf[i + 2] === 112 /* p */ && buf[i + 3] === Ch.Colon) {
          // "sip:" starts an addr-spec (a display name would have ended its token at the ":"):
          // the usual one is read in one pass, to where it ends.
          const ue = this.uri.readSipAddrSpec(buf, i, limit, list);
          if (ue >= 0) {
            i = ue;
            break element;
          }
        }
        // Either display-name tokens followed by "<", or an addr-spec (which starts with "scheme:").
        const ds = i;
        let last = i;
        let j = i;
        for (;;) {
          const t = j;
          while (j < limit && IS_TOKEN[buf[j]!]!) j++;
          if (j === t) break;
          last = j;
          if (j < limit && buf[j] === Ch.Colon && t === ds) break;
          const k = skipLws(buf, j, limit);
          if (k === j) break;
          j = k;
        }
        if (j < limit && buf[j] === Ch.LAngle && last > ds) {
          this.displayStart = ds;
          this.displayLen = last - ds;
          i = j;
        } else if (j < limit && buf[j] === Ch.Colon && last > ds) {
          // addr-spec: the URI runs to ";", LWS or the line end (or a list's ",").
          let ue = ds;
          while (ue < limit) {
            b = buf[ue]!;
            if (b === Ch.Semi || b === Ch.SP || b === Ch.HT || b === Ch.CR || b === Ch.LF) break;
            if (b === Ch.Comma && list) break;
            if (b === Ch.Question || b === Ch.Comma) return -1;
            ue++;
          }
          if (!this.uri.read(buf, ds, ue)) return -1;
          i = ue;
          break element;
        } else return -1;
      }
      // name-addr: "<" addr-spec ">". A SIP URI ends at the first ">" (no SIP URI byte is one).
      const us = i + 1;
      let ue = this.uri.readTo(buf, us, limit, Ch.RAngle);
      if (ue < 0) {
        ue = us;
        while (ue < limit && (b = buf[ue]!) !== Ch.RAngle) {
          if (b === Ch.CR || b === Ch.LF) return -1; // not on this line: for read to judge
          ue++;
        }
        if (ue >= limit) return -1;
        if (!this.uri.read(buf, us, ue)) return -1;
      }
      this.angle = true;
      i = ue + 1;
    }
    // The cursor's step and is need only its buffer (no reset: it would only set what
    // step does not read).
    const p = this.params;
    p.buf = buf;
    const pvalue = IS_PVALUE;
    for (;;) {
      if (i + 5 < limit && buf[i] === Ch.Semi && buf[i + 1] === 116 /* t */ && buf[i + 2] === 97 /* a */ && buf[i + 3] === 103 /* g */ && buf[i + 4] === Ch.Equals) {
        // ";tag=" and a plain value: what step would read.
        const vs = i + 5;
        let k = vs;
        while (pvalue[buf[k]!]!) k++; // (vs < limit, and the LF ending `limit` is no pvalue byte)
        if (k > vs) {
          this.tagStart = vs;
          this.tagLen = k - vs;
          i = k;
          continue;
        }
      }
      if (i + 2 < limit && buf[i] === Ch.CR && buf[i + 1] === Ch.LF && buf[i + 2] !== Ch.SP && buf[i + 2] !== Ch.HT) break; // the line ends: no more
      const k = p.step(buf, i, limit);
      if (k < 0) return -1;
      if (k === i) break;
      switch (p.nameLen) {
        case 3:
          if (p.is(K_TAG)) {
            if (p.valueLen <= 0) return -1;
            this.tagStart = p.valueStart;
            this.tagLen = p.valueLen;
          }
          break;
        case 7:
          if (p.is(K_EXPIRES)) {
            this.expiresStart = p.valueStart;
            this.expiresLen = p.valueLen;
          }
          break;
        case 1:
          if (p.is(K_Q)) {
            this.qStart = p.valueStart;
            this.qLen = p.valueLen;
          }
          break;
      }
      i = k;
    }
    this.paramsEnd = i;
    return i;
  
  }

  private readAddrSpec(buf: Uint8Array, start: number, end: number): boolean {
    let ue = start;
    while (ue < end) {
      const b = buf[ue]!;
      if (b === Ch.Semi || b === Ch.SP || b === Ch.HT || b === Ch.CR || b === Ch.LF) break;
      if (b === Ch.Question || b === Ch.Comma) return this.fail(ue);
      ue++;
    }
    if (!this.uri.read(buf, start, ue)) return this.fail(this.uri.error);
    return this.readParams(buf, ue, end);
  }

  private readParams(buf: Uint8Array, i: number, end: number): boolean {
    this.paramsEnd = end;
    const p = this.params.reset(buf, i, end, true);
    while (p.next()) {
      if (p.is(K_TAG)) {
        if (p.valueLen <= 0) return this.fail(p.nameStart);
        this.tagStart = p.valueStart;
        this.tagLen = p.valueLen;
      } else if (p.is(K_EXPIRES)) {
        this.expiresStart = p.valueStart;
        this.expiresLen = p.valueLen;
      } else if (p.is(K_Q)) {
        this.qStart = p.valueStart;
        this.qLen = p.valueLen;
      }
    }
    if (p.error >= 0) return this.fail(p.error);
    return true;
  }

  /** Find a header parameter by lower-case name; its value span is in `params`. */
  findParam(lowerName: Uint8Array): boolean {
    return this.params.find(this.buf, this.paramsStart, this.paramsEnd, true, lowerName);
  }

  /** The display name as a string, quotes removed and quoted-pairs unescaped (on demand). */
  displayName(): string {
    if (this.displayLen < 0) return "";
    const buf = this.buf;
    if (!this.displayQuoted) return spanToString(buf, this.displayStart, this.displayLen);
    const tmp = new Uint8Array(this.displayLen);
    let n = 0;
    const end = this.displayStart + this.displayLen - 1;
    for (let i = this.displayStart + 1; i < end; i++) {
      let b = buf[i]!;
      if (b === Ch.Backslash && i + 1 < end) b = buf[++i]!;
      tmp[n++] = b;
    }
    return spanToString(tmp, 0, n);
  }

  private fail(at: number): boolean {
    this.error = at;
    return false;
  }
}
