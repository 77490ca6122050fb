/*
 * The datagram parser: one SIP message per UDP datagram (RFC 3261 §18.3).
 * It scans the start line and the header lines into the SipMessage index,
 * validates the headers the core relies on, and frames the body by
 * Content-Length. Nothing is allocated per message, and nothing throws: a bad
 * message ends with msg.error, msg.errorOffset, and whatever could still be
 * read (method, Call-ID, CSeq, Via) so that the UA can answer it.
 */
import { ascii, spanEqualsCI } from "./bytes";
import { C, CHARS, Ch } from "./chars";
import { ParseError } from "./errors";
import { H, headerIdOf } from "./header";
import { elementEnd, parseUint, scanToken, skipClass, skipLws, trimEnd } from "./lex";
import { Kind, SipMessage } from "./message";
import { methodOf } from "./method";
import { NameAddr } from "./name-addr";
import { Scheme, Uri } from "./uri";
import { Via } from "./via";

const K_SIP_SLASH = ascii("sip/");
const K_SIP_20 = ascii("sip/2.0");
const K_GMT = ascii("GMT");
const MAX_U32 = 4294967295;
/** A datagram larger than this cannot be indexed with 16-bit offsets (UDP's own limit is 65,507). */
export const MAX_MESSAGE = 65535;

export class SipParser {
  // Scratch readers for validating every element of list headers.
  private readonly uri = new Uri();
  private readonly via = new Via();
  private readonly addr = new NameAddr();

  /** Parse buf[0, length) into msg. Returns msg.ok. */
  parse(buf: Uint8Array, length: number, msg: SipMessage): boolean {
    msg.reset(buf, length);
    if (length > MAX_MESSAGE || length > buf.length) {
      msg.fail(ParseError.TooLarge, 0);
      return false;
    }
    // Leading CRLFs are keep-alives or stream noise (RFC 3261 §7.5, RFC 5626 §4.4.1), not a message.
    let i = 0;
    while (i < length && (buf[i] === Ch.CR || buf[i] === Ch.LF)) i++;
    if (i >= length) {
      msg.fail(ParseError.Empty, i);
      return false;
    }
    const lf = findLf(buf, i, length);
    if (lf < 0) {
      msg.fail(ParseError.NoEndOfHeaders, length);
      return false;
    }
    const lineEnd = lf > i && buf[lf - 1] === Ch.CR ? lf - 1 : lf;
    this.startLine(buf, i, lineEnd, msg);
    const terminated = this.headers(buf, lf + 1, length, msg);
    if (msg.error === ParseError.TooManyHeaders) return false;
    // Validate what was indexed even when the header section is cut short, so the
    // error reported is the first one in the message.
    this.validate(buf, msg);
    if (!terminated) msg.fail(ParseError.NoEndOfHeaders, length);
    else this.frame(msg);
    return msg.error === ParseError.None;
  }

  private startLine(buf: Uint8Array, i: number, end: number, msg: SipMessage): void {
    if (end - i >= 4 && spanEqualsCI(buf, i, 4, K_SIP_SLASH)) {
      this.statusLine(buf, i, end, msg);
      return;
    }
    msg.kind = Kind.Request;
    // Request-Line = Method SP Request-URI SP SIP-Version (RFC 3261 §7.1): single SPs.
    const me = scanToken(buf, i, end);
    if (me < 0) {
      msg.fail(ParseError.BadMethod, i);
      return;
    }
    msg.methodStart = i;
    msg.methodLen = me - i;
    msg.method = methodOf(buf, i, me - i);
    if (me >= end || buf[me] !== Ch.SP) {
      msg.fail(me < end && (CHARS[buf[me]!]! & C.Ws) === 0 ? ParseError.BadMethod : ParseError.BadStartLine, me);
      return;
    }
    const us = me + 1;
    let ue = us;
    while (ue < end && buf[ue] !== Ch.SP && buf[ue] !== Ch.HT) ue++;
    if (ue === us) {
      msg.fail(ParseError.BadStartLine, us); // several SP between elements (RFC 4475 §3.1.2.9)
      return;
    }
    msg.uriStart = us;
    msg.uriLen = ue - us;
    if (ue >= end) {
      msg.fail(ParseError.BadStartLine, ue);
      return;
    }
    const vs = ue + 1;
    // The rest must be exactly a SIP-Version. More white space means LWS inside the
    // Request-URI (§3.1.2.8) or trailing white space after the version (§3.1.2.10).
    let sp = vs;
    while (sp < end && buf[sp] !== Ch.SP && buf[sp] !== Ch.HT) sp++;
    if (sp < end) {
      const versionFirst = end - vs >= 4 && spanEqualsCI(buf, vs, 4, K_SIP_SLASH);
      msg.fail(versionFirst ? ParseError.BadStartLine : ParseError.BadRequestUri, versionFirst ? sp : vs);
      return;
    }
    msg.versionStart = vs;
    msg.versionLen = end - vs;
    if (!this.version(buf, vs, end, msg)) return;
    const uri = this.uri;
    if (!uri.read(buf, us, ue)) {
      msg.fail(ParseError.BadRequestUri, uri.error);
      return;
    }
    msg.uriScheme = uri.scheme;
    // Headers are not allowed in a Request-URI (RFC 3261 §19.1.1, Table 1; RFC 4475 §3.1.2.11).
    if ((uri.scheme === Scheme.Sip || uri.scheme === Scheme.Sips) && uri.headersLen >= 0) {
      msg.fail(ParseError.BadRequestUri, uri.headersStart - 1);
    }
  }

  private statusLine(buf: Uint8Array, i: number, end: number, msg: SipMessage): void {
    msg.kind = Kind.Response;
    // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase (RFC 3261 §7.2)
    let ve = i;
    while (ve < end && buf[ve] !== Ch.SP) ve++;
    msg.versionStart = i;
    msg.versionLen = ve - i;
    if (!this.version(buf, i, ve, msg)) return;
    if (ve >= end) {
      msg.fail(ParseError.BadStartLine, ve);
      return;
    }
    const cs = ve + 1;
    const ce = skipClass(buf, cs, end, C.Digit);
    const code = ce - cs === 3 ? parseUint(buf, cs, ce, 999) : -1;
    if (code < 100 || code > 699 || (ce < end && buf[ce] !== Ch.SP)) {
      msg.fail(ParseError.BadStatusCode, cs);
      return;
    }
    msg.status = code;
    // An empty reason phrase is valid (RFC 4475 §3.1.1.13); be liberal when even the SP is missing.
    const rs = ce < end ? ce + 1 : ce;
    for (let k = rs; k < end; k++) {
      const b = buf[k]!;
      if ((b < 0x20 && b !== Ch.HT) || b === 0x7f) {
        msg.fail(ParseError.BadReasonPhrase, k);
        return;
      }
    }
    msg.reasonStart = rs;
    msg.reasonLen = end - rs;
  }

  /** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT; only 2.0 is supported (§8.2.2 → 505). */
  private version(buf: Uint8Array, vs: number, ve: number, msg: SipMessage): boolean {
    if (spanEqualsCI(buf, vs, ve - vs, K_SIP_20)) return true;
    const k = vs + 4;
    const d1 = skipClass(buf, k, ve, C.Digit);
    const wellFormed = ve - vs > 4 && spanEqualsCI(buf, vs, 4, K_SIP_SLASH) && d1 > k && d1 < ve && buf[d1] === Ch.Dot && skipClass(buf, d1 + 1, ve, C.Digit) === ve && ve > d1 + 1;
    msg.fail(wellFormed ? ParseError.BadVersion : ParseError.BadStartLine, vs);
    return false;
  }

  /** Index the header fields; returns whether the empty line ending them was found. */
  private headers(buf: Uint8Array, i: number, length: number, msg: SipMessage): boolean {
    for (;;) {
      if (i >= length) return false;
      const b = buf[i]!;
      if (b === Ch.LF) {
        msg.bodyStart = i + 1;
        return true;
      }
      if (b === Ch.CR && i + 1 < length && buf[i + 1] === Ch.LF) {
        msg.bodyStart = i + 2;
        return true;
      }
      // The header field runs to the end of its last continuation line (§7.3.1).
      let lf = findLf(buf, i, length);
      while (lf >= 0 && lf + 1 < length && (buf[lf + 1] === Ch.SP || buf[lf + 1] === Ch.HT)) lf = findLf(buf, lf + 1, length);
      const next = lf < 0 ? length : lf + 1;
      const fieldEnd = lf < 0 ? length : lf;
      const ne = skipClass(buf, i, fieldEnd, C.Token);
      if (ne === i) {
        msg.fail(b === Ch.SP || b === Ch.HT ? ParseError.BadHeaderLine : ParseError.BadHeaderName, i);
        i = next;
        continue;
      }
      // HCOLON = *( SP / HTAB ) ":" SWS
      let c = ne;
      while (c < fieldEnd && (buf[c] === Ch.SP || buf[c] === Ch.HT)) c++;
      if (c >= fieldEnd || buf[c] !== Ch.Colon) {
        msg.fail(c < fieldEnd && (CHARS[buf[c]!]! & C.Ws) === 0 && buf[c] !== Ch.CR ? ParseError.BadHeaderName : ParseError.MissingColon, c);
        i = next;
        continue;
      }
      const vs = skipLws(buf, c + 1, fieldEnd);
      const ve = trimEnd(buf, vs, fieldEnd);
      const n = msg.headerCount;
      if (n >= msg.maxHeaders) {
        msg.fail(ParseError.TooManyHeaders, i);
        return false;
      }
      const id = headerIdOf(buf, i, ne - i);
      msg.hId[n] = id;
      msg.hNameStart[n] = i;
      msg.hNameLen[n] = ne - i;
      msg.hValueStart[n] = vs;
      msg.hValueEnd[n] = ve;
      msg.hNext[n] = -1;
      const last = msg.last[id]!;
      if (last < 0) msg.first[id] = n;
      else msg.hNext[last] = n;
      msg.last[id] = n;
      if (msg.count[id]! < 255) msg.count[id]!++;
      msg.headerCount = n + 1;
      i = next;
    }
  }

  /** Validate the headers the core relies on, capturing their values. */
  private validate(buf: Uint8Array, msg: SipMessage): void {
    const n = msg.headerCount;
    for (let h = 0; h < n; h++) {
      const s = msg.hValueStart[h]!;
      const e = msg.hValueEnd[h]!;
      switch (msg.hId[h]) {
        case H.ContentLength: {
          const v = parseUint(buf, s, e, MAX_U32);
          if (v < 0) msg.fail(ParseError.BadContentLength, s);
          else if (msg.contentLength < 0) msg.contentLength = v;
          else if (msg.contentLength !== v) msg.contentLengthConflict = true;
          break;
        }
        case H.CSeq:
          this.cseq(buf, s, e, msg);
          break;
        case H.MaxForwards: {
          // Max-Forwards is an integer in the range 0-255 (§20.22).
          const v = parseUint(buf, s, e, 255);
          if (v < 0) msg.fail(ParseError.BadMaxForwards, s);
          else if (msg.maxForwards < 0) msg.maxForwards = v;
          break;
        }
        case H.Expires: {
          const v = parseUint(buf, s, e, MAX_U32);
          if (v < 0) msg.fail(ParseError.BadExpires, s);
          else if (msg.expires < 0) msg.expires = v;
          break;
        }
        case H.MinExpires:
          if (parseUint(buf, s, e, MAX_U32) < 0) msg.fail(ParseError.BadMinExpires, s);
          break;
        case H.RSeq:
          if (parseUint(buf, s, e, MAX_U32) < 1) msg.fail(ParseError.BadRSeq, s);
          break;
        case H.RAck:
          if (!rack(buf, s, e)) msg.fail(ParseError.BadRAck, s);
          break;
        case H.CallId:
          if (!callId(buf, s, e)) msg.fail(ParseError.BadCallId, s);
          else if (msg.callIdLen < 0) {
            msg.callIdStart = s;
            msg.callIdLen = e - s;
          }
          break;
        case H.Via:
          this.vias(buf, s, e, msg, h === msg.first[H.Via]);
          break;
        case H.From: {
          const r = h === msg.first[H.From] ? msg.from : this.addr;
          if (!r.read(buf, s, e)) msg.fail(ParseError.BadFrom, r.error);
          break;
        }
        case H.To: {
          const r = h === msg.first[H.To] ? msg.to : this.addr;
          if (!r.read(buf, s, e)) msg.fail(ParseError.BadTo, r.error);
          break;
        }
        case H.Contact:
          this.addrList(buf, s, e, msg, ParseError.BadContact, false);
          break;
        case H.Route:
        case H.RecordRoute:
          this.addrList(buf, s, e, msg, ParseError.BadRoute, true);
          break;
        case H.Date:
          if (!date(buf, s, e)) msg.fail(ParseError.BadDate, s);
          break;
        case H.RetryAfter:
          if (!retryAfter(buf, s, e)) msg.fail(ParseError.BadRetryAfter, s);
          break;
        case H.Warning:
          if (!warning(buf, s, e)) msg.fail(ParseError.BadWarning, s);
          break;
      }
    }
    if (msg.kind === Kind.Request && msg.cseq >= 0 && msg.error === ParseError.None) {
      // The CSeq method matches the request method (§8.1.1.5, RFC 4475 §3.1.2.17).
      if (msg.cseqMethodLen !== msg.methodLen || !sameBytes(buf, msg.cseqMethodStart, msg.methodStart, msg.methodLen)) {
        msg.fail(ParseError.CSeqMethodMismatch, msg.cseqMethodStart);
      }
    }
  }

  /** CSeq = 1*DIGIT LWS Method, the number below 2**32 (§8.1.1.5). */
  private cseq(buf: Uint8Array, s: number, e: number, msg: SipMessage): void {
    const de = skipClass(buf, s, e, C.Digit);
    const v = parseUint(buf, s, de, MAX_U32);
    const ms = skipLws(buf, de, e);
    const me = scanToken(buf, ms, e);
    if (v < 0 || ms === de || me !== e) {
      msg.fail(ParseError.BadCSeq, v < 0 ? s : ms);
      return;
    }
    if (msg.cseq < 0) {
      msg.cseq = v;
      msg.cseqMethodStart = ms;
      msg.cseqMethodLen = me - ms;
      msg.cseqMethod = methodOf(buf, ms, me - ms);
    }
  }

  private vias(buf: Uint8Array, s: number, e: number, msg: SipMessage, firstHeader: boolean): void {
    let i = s;
    let top = firstHeader;
    for (;;) {
      const ee = elementEnd(buf, i, e);
      if (ee < 0) {
        msg.fail(ParseError.BadVia, i);
        return;
      }
      const reader = top ? msg.via : this.via;
      if (!reader.read(buf, i, ee)) {
        msg.fail(ParseError.BadVia, reader.error);
        return;
      }
      top = false;
      if (ee >= e) return;
      i = ee + 1;
    }
  }

  private addrList(buf: Uint8Array, s: number, e: number, msg: SipMessage, err: ParseError, angleRequired: boolean): void {
    const a = this.addr;
    let i = s;
    for (;;) {
      const ee = elementEnd(buf, i, e);
      if (ee < 0) {
        msg.fail(err, i);
        return;
      }
      if (!a.read(buf, i, ee)) {
        msg.fail(err, a.error);
        return;
      }
      if (angleRequired && !a.angle) {
        msg.fail(err, i);
        return;
      }
      // Contact "expires" is delta-seconds (§20.10), below 2**32.
      if (a.expiresLen >= 0 && parseUint(buf, a.expiresStart, a.expiresStart + a.expiresLen, MAX_U32) < 0) {
        msg.fail(err, a.expiresStart);
        return;
      }
      if (ee >= e) return;
      i = ee + 1;
    }
  }

  /** RFC 3261 §18.3: Content-Length frames the body; extra octets are ignored; a short body is an error. */
  private frame(msg: SipMessage): void {
    const available = msg.length - msg.bodyStart;
    if (msg.contentLength < 0) {
      msg.bodyLen = available;
      return;
    }
    if (msg.contentLength > available) {
      msg.fail(ParseError.ContentLengthTooLarge, msg.bodyStart);
      msg.bodyLen = available;
      return;
    }
    msg.bodyLen = msg.contentLength;
  }
}

/** The next LF in [i, end): the native indexOf is a memchr on Node and allocates nothing in XS (measured). */
function findLf(buf: Uint8Array, i: number, end: number): number {
  const at = buf.indexOf(Ch.LF, i);
  return at >= 0 && at < end ? at : -1;
}

function sameBytes(buf: Uint8Array, a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (buf[a + k] !== buf[b + k]) return false;
  return true;
}

/** callid = word [ "@" word ] (§25.1). */
function callId(buf: Uint8Array, s: number, e: number): boolean {
  let i = skipClass(buf, s, e, C.Word);
  if (i === s) return false;
  if (i < e && buf[i] === Ch.At) {
    const w = i + 1;
    i = skipClass(buf, w, e, C.Word);
    if (i === w) return false;
  }
  return i === e;
}

/** RAck = response-num LWS CSeq-num LWS Method (RFC 3262 §7.2). */
function rack(buf: Uint8Array, s: number, e: number): boolean {
  let d = skipClass(buf, s, e, C.Digit);
  if (parseUint(buf, s, d, MAX_U32) < 1) return false;
  let i = skipLws(buf, d, e);
  if (i === d) return false;
  d = skipClass(buf, i, e, C.Digit);
  if (parseUint(buf, i, d, MAX_U32) < 0) return false;
  i = skipLws(buf, d, e);
  if (i === d) return false;
  return scanToken(buf, i, e) === e;
}

/** rfc1123-date = wkday "," SP date1 SP time SP "GMT" (§20.17); only GMT is allowed. */
function date(buf: Uint8Array, s: number, e: number): boolean {
  // "Thu, 21 Feb 2002 13:02:03 GMT" is 29 bytes.
  if (e - s !== 29) return false;
  if (buf[s + 3] !== Ch.Comma || buf[s + 4] !== Ch.SP || buf[s + 7] !== Ch.SP || buf[s + 11] !== Ch.SP || buf[s + 16] !== Ch.SP) return false;
  if (buf[s + 19] !== Ch.Colon || buf[s + 22] !== Ch.Colon || buf[s + 25] !== Ch.SP) return false;
  if (!digits(buf, s + 5, 2) || !digits(buf, s + 12, 4) || !digits(buf, s + 17, 2) || !digits(buf, s + 20, 2) || !digits(buf, s + 23, 2)) return false;
  return buf[s + 26] === K_GMT[0] && buf[s + 27] === K_GMT[1] && buf[s + 28] === K_GMT[2];
}

function digits(buf: Uint8Array, s: number, n: number): boolean {
  for (let k = 0; k < n; k++) if ((CHARS[buf[s + k]!]! & C.Digit) === 0) return false;
  return true;
}

/** Retry-After = delta-seconds [ comment ] *( SEMI retry-param ) (§20.33). */
function retryAfter(buf: Uint8Array, s: number, e: number): boolean {
  const d = skipClass(buf, s, e, C.Digit);
  return parseUint(buf, s, d, MAX_U32) >= 0;
}

/** warning-value = warn-code SP warn-agent SP warn-text, warn-code = 3DIGIT (§20.43). */
function warning(buf: Uint8Array, s: number, e: number): boolean {
  let i = s;
  for (;;) {
    const d = skipClass(buf, i, e, C.Digit);
    if (d - i !== 3 || d >= e || buf[d] !== Ch.SP) return false;
    const ee = elementEnd(buf, d, e);
    if (ee < 0) return false;
    if (ee >= e) return true;
    i = skipLws(buf, ee + 1, e);
  }
}

