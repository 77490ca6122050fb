/*
 * The datagram parser: one SIP message per UDP datagram (RFC 3261 §18.3).
 * It scans the start line and the header lines into the SipMessage index,
 * validates the headers the core relies on, and frames the body by
 * Content-Length. Nothing is allocated per message, and nothing throws: a bad
 * message ends with msg.error, msg.errorOffset, and whatever could still be
 * read (method, Call-ID, CSeq, Via) so that the UA can answer it.
 *
 * Speed comes from reading each byte about once, and from few calls per
 * line. The usual header names are recognised by comparing their bytes in one
 * straight pass (in `headers`), the others by the trie of every known name
 * (header-name.ts). The start line and the usual shapes of the validated
 * headers are read in the same pass that finds where each line ends
 * (usualStartLine; in `headers`: Via.scan, NameAddr.scan, Uri.readTo and
 * readSipAddrSpec, Params.step). Those one-pass readers only ever accept,
 * and then set exactly what the full readers would; whatever they do not
 * recognise, or find malformed, goes to the full readers (startLine,
 * validate: Via.read, NameAddr.read, Uri.read), which judge it and report the
 * error and its offset as they always have. So the one-pass paths change the
 * speed, never the verdict (test/parser-fastpath.test.ts holds them to it).
 */
import { ascii, spanEqualsCI } from "./bytes";
import { C, Ch, CHARS, IS_TOKEN, IS_WORD } from "./chars";
import { ParseError } from "./errors";
import { H, HEADER_COUNT } from "./header";
import { NameCode, trieName } from "./header-name";
import { elementEnd, parseUint, scanToken, skipClass, skipLws } from "./lex";
import { Kind, SipMessage } from "./message";
import { Method, methodOf } from "./method";
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
  // Scratch readers for validating every element of list headers. Each use
  // ends before the next begins (the start line, then one header at a time),
  // so the Request-URI is read with the name-addr reader's URI, and the Via
  // reader uses that reader's parameter cursor.
  private readonly addr = new NameAddr();
  private readonly uri: Uri = this.addr.uri;
  private readonly via = new Via(this.addr.params);
  /**
   * Per header id, how its headers are checked in this message: FAST's value,
   * turned to 1 (left to `validate`) from the first header of the id that the
   * one-pass check did not take (see `headers`), and set back after.
   */
  private readonly mode = Uint8Array.from(FAST);
  /**
   * The indexing pass took the first CSeq's method as the request's own (same
   * bytes): `validate` need not compare them again (§8.1.1.5).
   */
  private cseqSame = false;
  /** How many headers `headers` left for `validate` (listed in msg.hPending). */
  private pending = 0;

  /** Parse buf[0, length) into msg. Returns msg.ok. */
  parse(buf: Uint8Array, length: number, msg: SipMessage): boolean {
    // The top Via, From and To readers are written by reading their header: only where
    // it is absent are they cleared, rather than cleared first and then written.
    msg.begin(buf, length);
    this.cseqSame = false;
    this.message(buf, length, msg);
    const first = msg.first;
    if (first[H.Via]! < 0) msg.via.clear();
    if (first[H.From]! < 0) msg.from.clear();
    if (first[H.To]! < 0) msg.to.clear();
    return msg.error === ParseError.None;
  }

  private message(buf: Uint8Array, length: number, msg: SipMessage): void {
    if (length > MAX_MESSAGE || length > buf.length) {
      msg.fail(ParseError.TooLarge, 0);
      return;
    }
    // Leading CRLFs are keep-alives or stream noise (RFC 3261 §7.5, RFC 5626 §4.4.1), not a message.
    let i = 0;
    while (i < length && (buf[i] === Ch.CR || buf[i] === Ch.LF)) i++;
    if (i >= length) {
      msg.fail(ParseError.Empty, i);
      return;
    }
    // The one-pass readers are given `hl`, the end of the last whole line: its last byte
    // is an LF, which no character class their scans test holds, so those scans stop at
    // it without a bound of their own (one test a byte fewer). A value on a line cut off
    // by the datagram's end is then never taken by them: the full readers judge it.
    let hl = length;
    if (buf[length - 1] !== Ch.LF) hl = buf.lastIndexOf(Ch.LF, length - 1) + 1;
    let lf = this.usualStartLine(buf, i, length, hl, msg);
    if (lf < 0) {
      lf = findLf(buf, i, length);
      if (lf < 0) {
        msg.fail(ParseError.NoEndOfHeaders, length);
        return;
      }
      const lineEnd = lf > i && buf[lf - 1] === Ch.CR ? lf - 1 : lf;
      this.startLine(buf, i, lineEnd, msg);
    }
    const terminated = this.headers(buf, lf + 1, length, hl, msg);
    if (msg.error === ParseError.TooManyHeaders) {
      // No validation at all then: forget what the indexing pass captured.
      msg.forgetCaptures();
      return;
    }
    // Validate what was indexed even when the header section is cut short, so the
    // error reported is the first one in the message. (Nothing to do when the indexing
    // pass checked every header, and a request's CSeq method too.)
    if (this.pending > 0 || (msg.kind === Kind.Request && !this.cseqSame)) this.validate(buf, msg);
    if (!terminated) msg.fail(ParseError.NoEndOfHeaders, length);
    else this.frame(msg);
  }

  /**
   * The start line in its usual shape, read in one pass without looking for its
   * end first: "SIP/2.0 " 3DIGIT SP reason CRLF, or Method SP sip-URI SP
   * "SIP/2.0" CRLF. Returns the offset of the LF ending it, having set exactly
   * what startLine sets for that line; or -1 having set nothing, and startLine
   * reads (and judges) the line. `hl` is the end of the last whole line (see
   * `message`).
   */
  private usualStartLine(buf: Uint8Array, i: number, length: number, hl: number, msg: SipMessage): number {
    let k = i;
    let b = 0;
    if (isSip20(buf, i, length) && i + 12 < length && buf[i + 7] === Ch.SP) {
      // Status-Line = SIP-Version SP Status-Code SP Reason-Phrase
      const cs = i + 8;
      const d0 = buf[cs]! - Ch.Zero;
      const d1 = buf[cs + 1]! - Ch.Zero;
      const d2 = buf[cs + 2]! - Ch.Zero;
      if (d0 < 1 || d0 > 6 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9 || buf[cs + 3] !== Ch.SP) return -1;
      const rs = cs + 4;
      k = rs;
      // (The LF at hl - 1 ends the scan: see hl. Past it no LF is left, and the line is judged by startLine.)
      if (k < hl) while (((b = buf[k]!) >= 0x20 && b !== 0x7f) || b === Ch.HT) k++;
      const lf = k < length && b === Ch.CR ? k + 1 : k;
      if (lf >= length || buf[lf] !== Ch.LF) return -1;
      msg.kind = Kind.Response;
      msg.versionStart = i;
      msg.versionLen = 7;
      msg.status = d0 * 100 + d1 * 10 + d2;
      msg.reasonStart = rs;
      msg.reasonLen = k - rs;
      return lf;
    }
    // Request-Line = Method SP Request-URI SP SIP-Version
    // (buf[hl - 1] is an LF, no token byte: the scan needs no bound of its own.)
    const token = IS_TOKEN;
    if (k < hl) while (token[buf[k]!]!) k++;
    if (k === i || k >= length || buf[k] !== Ch.SP) return -1;
    const us = k + 1;
    const uri = this.uri;
    const ue = uri.readTo(buf, us, hl, Ch.SP);
    // Headers in a Request-URI are an error (startLine reports it).
    if (ue < 0 || uri.headersLen >= 0) return -1;
    const vs = ue + 1;
    if (!isSip20(buf, vs, length)) return -1;
    k = vs + 7;
    const lf = k < length && buf[k] === Ch.CR ? k + 1 : k;
    if (lf >= length || buf[lf] !== Ch.LF) return -1;
    msg.kind = Kind.Request;
    msg.methodStart = i;
    msg.methodLen = us - 1 - i;
    msg.method = methodOf(buf, i, us - 1 - i);
    msg.uriStart = us;
    msg.uriLen = ue - us;
    msg.versionStart = vs;
    msg.versionLen = 7;
    msg.uriScheme = uri.scheme;
    return lf;
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

  /**
   * Index the header fields; returns whether the empty line ending them was found.
   * One pass per line: the name (token bytes), HCOLON, the header id, then the
   * value to the LF that ends the field (folds included). The headers the core
   * relies on most (Via, From, To, Contact, Route, Record-Route, Call-ID, CSeq,
   * Content-Length, Max-Forwards, Expires) are validated in that same pass when
   * their value has a usual shape (the `value` block); any other, or any doubt, is left to
   * `validate`, which judges it exactly as before. Only a malformed line pays
   * for a second look. `hl` is the end of the last whole line (see `message`).
   */
  private headers(buf: Uint8Array, i: number, length: number, hl: number, msg: SipMessage): boolean {
    const hId = msg.hId;
    const hNameStart = msg.hNameStart;
    const hValueStart = msg.hValueStart;
    const hValueEnd = msg.hValueEnd;
    const hNext = msg.hNext;
    const hPending = msg.hPending;
    const first = msg.first;
    const last = msg.last;
    const mode = this.mode;
    const max = msg.maxHeaders;
    let n = msg.headerCount;
    let pending = 0;
    let terminated = false;
    let slowIds = 0;
    let fastEnd = 0;
    for (;;) {
      if (i >= length) break;
      let b = buf[i]!;
      if (b === Ch.LF) {
        msg.bodyStart = i + 1;
        terminated = true;
        break;
      }
      if (b === Ch.CR && i + 1 < length && buf[i + 1] === Ch.LF) {
        msg.bodyStart = i + 2;
        terminated = true;
        break;
      }
      // field-name: token bytes (never CR or LF, so the line end needs no bound here).
      // The usual names are compared byte by byte, here rather than in a function (a
      // call per line costs about what reading a short header does, in V8 and in XS):
      // a switch on the first letter, then each further byte compared with the letter it
      // must be. Names are case-insensitive (RFC 3261 §7.3.1); a byte b is the lower-case
      // letter l in either case exactly when (b | 0x20) === l (the other bytes that
      // | 0x20 maps onto letters are none: it maps "@[\]^_" onto "`{|}~" and DEL), and
      // "-" is compared as it is. Compact forms (§7.3.3) are the single letters. A
      // candidate counts only when the byte after it cannot continue a token (checked
      // below); a name that goes on past it, or any other, is walked down the trie of all
      // known names (header-name.ts). Fewer than 20 bytes left: the trie too (so every
      // byte read here, and the one after the name, is inside the datagram).
      let code = -1;
      name: {
        if (i + 20 > length) break name;
        const c1 = buf[i + 1]! | 0x20;
        switch (buf[i]! | 0x20) {
          case 0x76: // v: Via
            if (c1 === 0x69 && (buf[i + 2]! | 0x20) === 0x61) {
              code = ((i + 3) << NameCode.Shift) | H.Via;
              break name;
            }
            code = ((i + 1) << NameCode.Shift) | H.Via;
            break name;
          case 0x74: // t: To
            if (c1 === 0x6f) {
              code = ((i + 2) << NameCode.Shift) | H.To;
              break name;
            }
            code = ((i + 1) << NameCode.Shift) | H.To;
            break name;
          case 0x66: // f: From
            if (c1 === 0x72 && (buf[i + 2]! | 0x20) === 0x6f && (buf[i + 3]! | 0x20) === 0x6d) {
              code = ((i + 4) << NameCode.Shift) | H.From;
              break name;
            }
            code = ((i + 1) << NameCode.Shift) | H.From;
            break name;
          case 0x69: // i: Call-ID
            code = ((i + 1) << NameCode.Shift) | H.CallId;
            break name;
          case 0x6c: // l: Content-Length
            code = ((i + 1) << NameCode.Shift) | H.ContentLength;
            break name;
          case 0x6b: // k: Supported
            code = ((i + 1) << NameCode.Shift) | H.Supported;
            break name;
          case 0x63: // c: CSeq, Call-ID, Contact, Content-Length, Content-Type
            if (c1 === 0x73) {
              if ((buf[i + 2]! | 0x20) === 0x65 && (buf[i + 3]! | 0x20) === 0x71) {
                code = ((i + 4) << NameCode.Shift) | H.CSeq;
                break name;
              }
              break name;
            }
            if (c1 === 0x61) {
              if (
                (buf[i + 2]! | 0x20) === 0x6c &&
                (buf[i + 3]! | 0x20) === 0x6c &&
                buf[i + 4] === 0x2d &&
                (buf[i + 5]! | 0x20) === 0x69 &&
                (buf[i + 6]! | 0x20) === 0x64
              ) {
                code = ((i + 7) << NameCode.Shift) | H.CallId;
                break name;
              }
              break name;
            }
            if (c1 === 0x6f) {
              if ((buf[i + 2]! | 0x20) !== 0x6e || (buf[i + 3]! | 0x20) !== 0x74) break name;
              const c4 = buf[i + 4]! | 0x20;
              if (c4 === 0x61) {
                if ((buf[i + 5]! | 0x20) === 0x63 && (buf[i + 6]! | 0x20) === 0x74) {
                  code = ((i + 7) << NameCode.Shift) | H.Contact;
                  break name;
                }
                break name;
              }
              if (c4 !== 0x65 || (buf[i + 5]! | 0x20) !== 0x6e || (buf[i + 6]! | 0x20) !== 0x74 || buf[i + 7] !== 0x2d) break name;
              const c8 = buf[i + 8]! | 0x20;
              if (c8 === 0x6c) {
                if (
                  (buf[i + 9]! | 0x20) === 0x65 &&
                  (buf[i + 10]! | 0x20) === 0x6e &&
                  (buf[i + 11]! | 0x20) === 0x67 &&
                  (buf[i + 12]! | 0x20) === 0x74 &&
                  (buf[i + 13]! | 0x20) === 0x68
                ) {
                  code = ((i + 14) << NameCode.Shift) | H.ContentLength;
                  break name;
                }
                break name;
              }
              if (c8 === 0x74 && (buf[i + 9]! | 0x20) === 0x79 && (buf[i + 10]! | 0x20) === 0x70 && (buf[i + 11]! | 0x20) === 0x65) {
                code = ((i + 12) << NameCode.Shift) | H.ContentType;
                break name;
              }
              break name;
            }
            code = ((i + 1) << NameCode.Shift) | H.ContentType;
            break name;
          case 0x6d: // m: Max-Forwards, Contact
            if (c1 === 0x61) {
              if (
                (buf[i + 2]! | 0x20) === 0x78 &&
                buf[i + 3] === 0x2d &&
                (buf[i + 4]! | 0x20) === 0x66 &&
                (buf[i + 5]! | 0x20) === 0x6f &&
                (buf[i + 6]! | 0x20) === 0x72 &&
                (buf[i + 7]! | 0x20) === 0x77 &&
                (buf[i + 8]! | 0x20) === 0x61 &&
                (buf[i + 9]! | 0x20) === 0x72 &&
                (buf[i + 10]! | 0x20) === 0x64 &&
                (buf[i + 11]! | 0x20) === 0x73
              ) {
                code = ((i + 12) << NameCode.Shift) | H.MaxForwards;
                break name;
              }
              break name;
            }
            code = ((i + 1) << NameCode.Shift) | H.Contact;
            break name;
          case 0x72: // Route, Record-Route, Require, Refer-To
            if (c1 === 0x6f) {
              if ((buf[i + 2]! | 0x20) === 0x75 && (buf[i + 3]! | 0x20) === 0x74 && (buf[i + 4]! | 0x20) === 0x65) {
                code = ((i + 5) << NameCode.Shift) | H.Route;
                break name;
              }
              break name;
            }
            if (c1 === 0x65) {
              if (
                (buf[i + 2]! | 0x20) === 0x63 &&
                (buf[i + 3]! | 0x20) === 0x6f &&
                (buf[i + 4]! | 0x20) === 0x72 &&
                (buf[i + 5]! | 0x20) === 0x64 &&
                buf[i + 6] === 0x2d &&
                (buf[i + 7]! | 0x20) === 0x72 &&
                (buf[i + 8]! | 0x20) === 0x6f &&
                (buf[i + 9]! | 0x20) === 0x75 &&
                (buf[i + 10]! | 0x20) === 0x74 &&
                (buf[i + 11]! | 0x20) === 0x65
              ) {
                code = ((i + 12) << NameCode.Shift) | H.RecordRoute;
                break name;
              }
              if (
                (buf[i + 2]! | 0x20) === 0x71 &&
                (buf[i + 3]! | 0x20) === 0x75 &&
                (buf[i + 4]! | 0x20) === 0x69 &&
                (buf[i + 5]! | 0x20) === 0x72 &&
                (buf[i + 6]! | 0x20) === 0x65
              ) {
                code = ((i + 7) << NameCode.Shift) | H.Require;
                break name;
              }
              break name;
            }
            code = ((i + 1) << NameCode.Shift) | H.ReferTo;
            break name;
          case 0x61: // Allow, Accept, Authorization
            if (c1 === 0x6c) {
              if ((buf[i + 2]! | 0x20) === 0x6c && (buf[i + 3]! | 0x20) === 0x6f && (buf[i + 4]! | 0x20) === 0x77) {
                code = ((i + 5) << NameCode.Shift) | H.Allow;
                break name;
              }
              break name;
            }
            if (c1 === 0x63) {
              if (
                (buf[i + 2]! | 0x20) === 0x63 &&
                (buf[i + 3]! | 0x20) === 0x65 &&
                (buf[i + 4]! | 0x20) === 0x70 &&
                (buf[i + 5]! | 0x20) === 0x74
              ) {
                code = ((i + 6) << NameCode.Shift) | H.Accept;
                break name;
              }
              break name;
            }
            if (
              c1 === 0x75 &&
              (buf[i + 2]! | 0x20) === 0x74 &&
              (buf[i + 3]! | 0x20) === 0x68 &&
              (buf[i + 4]! | 0x20) === 0x6f &&
              (buf[i + 5]! | 0x20) === 0x72 &&
              (buf[i + 6]! | 0x20) === 0x69 &&
              (buf[i + 7]! | 0x20) === 0x7a &&
              (buf[i + 8]! | 0x20) === 0x61 &&
              (buf[i + 9]! | 0x20) === 0x74 &&
              (buf[i + 10]! | 0x20) === 0x69 &&
              (buf[i + 11]! | 0x20) === 0x6f &&
              (buf[i + 12]! | 0x20) === 0x6e
            ) {
              code = ((i + 13) << NameCode.Shift) | H.Authorization;
              break name;
            }
            break name;
          case 0x73: // Supported, Server, Session-Expires, Subject
            if (c1 === 0x75) {
              if (
                (buf[i + 2]! | 0x20) === 0x70 &&
                (buf[i + 3]! | 0x20) === 0x70 &&
                (buf[i + 4]! | 0x20) === 0x6f &&
                (buf[i + 5]! | 0x20) === 0x72 &&
                (buf[i + 6]! | 0x20) === 0x74 &&
                (buf[i + 7]! | 0x20) === 0x65 &&
                (buf[i + 8]! | 0x20) === 0x64
              ) {
                code = ((i + 9) << NameCode.Shift) | H.Supported;
                break name;
              }
              break name;
            }
            if (c1 === 0x65) {
              const c2 = buf[i + 2]! | 0x20;
              if (
                c2 === 0x72 &&
                (buf[i + 3]! | 0x20) === 0x76 &&
                (buf[i + 4]! | 0x20) === 0x65 &&
                (buf[i + 5]! | 0x20) === 0x72
              ) {
                code = ((i + 6) << NameCode.Shift) | H.Server;
                break name;
              }
              if (
                c2 === 0x73 &&
                (buf[i + 3]! | 0x20) === 0x73 &&
                (buf[i + 4]! | 0x20) === 0x69 &&
                (buf[i + 5]! | 0x20) === 0x6f &&
                (buf[i + 6]! | 0x20) === 0x6e &&
                buf[i + 7] === 0x2d &&
                (buf[i + 8]! | 0x20) === 0x65 &&
                (buf[i + 9]! | 0x20) === 0x78 &&
                (buf[i + 10]! | 0x20) === 0x70 &&
                (buf[i + 11]! | 0x20) === 0x69 &&
                (buf[i + 12]! | 0x20) === 0x72 &&
                (buf[i + 13]! | 0x20) === 0x65 &&
                (buf[i + 14]! | 0x20) === 0x73
              ) {
                code = ((i + 15) << NameCode.Shift) | H.SessionExpires;
                break name;
              }
              break name;
            }
            code = ((i + 1) << NameCode.Shift) | H.Subject;
            break name;
          case 0x75: // User-Agent, Allow-Events
            if (
              c1 === 0x73 &&
              (buf[i + 2]! | 0x20) === 0x65 &&
              (buf[i + 3]! | 0x20) === 0x72 &&
              buf[i + 4] === 0x2d &&
              (buf[i + 5]! | 0x20) === 0x61 &&
              (buf[i + 6]! | 0x20) === 0x67 &&
              (buf[i + 7]! | 0x20) === 0x65 &&
              (buf[i + 8]! | 0x20) === 0x6e &&
              (buf[i + 9]! | 0x20) === 0x74
            ) {
              code = ((i + 10) << NameCode.Shift) | H.UserAgent;
              break name;
            }
            code = ((i + 1) << NameCode.Shift) | H.AllowEvents;
            break name;
          case 0x65: // Expires, Content-Encoding
            if (
              c1 === 0x78 &&
              (buf[i + 2]! | 0x20) === 0x70 &&
              (buf[i + 3]! | 0x20) === 0x69 &&
              (buf[i + 4]! | 0x20) === 0x72 &&
              (buf[i + 5]! | 0x20) === 0x65 &&
              (buf[i + 6]! | 0x20) === 0x73
            ) {
              code = ((i + 7) << NameCode.Shift) | H.Expires;
              break name;
            }
            code = ((i + 1) << NameCode.Shift) | H.ContentEncoding;
            break name;
          case 0x77: // WWW-Authenticate
            if (
              c1 === 0x77 &&
              (buf[i + 2]! | 0x20) === 0x77 &&
              buf[i + 3] === 0x2d &&
              (buf[i + 4]! | 0x20) === 0x61 &&
              (buf[i + 5]! | 0x20) === 0x75 &&
              (buf[i + 6]! | 0x20) === 0x74 &&
              (buf[i + 7]! | 0x20) === 0x68 &&
              (buf[i + 8]! | 0x20) === 0x65 &&
              (buf[i + 9]! | 0x20) === 0x6e &&
              (buf[i + 10]! | 0x20) === 0x74 &&
              (buf[i + 11]! | 0x20) === 0x69 &&
              (buf[i + 12]! | 0x20) === 0x63 &&
              (buf[i + 13]! | 0x20) === 0x61 &&
              (buf[i + 14]! | 0x20) === 0x74 &&
              (buf[i + 15]! | 0x20) === 0x65
            ) {
              code = ((i + 16) << NameCode.Shift) | H.WwwAuthenticate;
              break name;
            }
            break name;
          case 0x70: // Proxy-Authenticate, Proxy-Authorization, Proxy-Require
            if (c1 !== 0x72 || (buf[i + 2]! | 0x20) !== 0x6f || (buf[i + 3]! | 0x20) !== 0x78 || (buf[i + 4]! | 0x20) !== 0x79 || buf[i + 5] !== 0x2d) break name;
            if ((buf[i + 6]! | 0x20) === 0x61) {
              if (
                (buf[i + 7]! | 0x20) === 0x75 &&
                (buf[i + 8]! | 0x20) === 0x74 &&
                (buf[i + 9]! | 0x20) === 0x68 &&
                (buf[i + 10]! | 0x20) === 0x65 &&
                (buf[i + 11]! | 0x20) === 0x6e &&
                (buf[i + 12]! | 0x20) === 0x74 &&
                (buf[i + 13]! | 0x20) === 0x69 &&
                (buf[i + 14]! | 0x20) === 0x63 &&
                (buf[i + 15]! | 0x20) === 0x61 &&
                (buf[i + 16]! | 0x20) === 0x74 &&
                (buf[i + 17]! | 0x20) === 0x65
              ) {
                code = ((i + 18) << NameCode.Shift) | H.ProxyAuthenticate;
                break name;
              }
              if (
                (buf[i + 7]! | 0x20) === 0x75 &&
                (buf[i + 8]! | 0x20) === 0x74 &&
                (buf[i + 9]! | 0x20) === 0x68 &&
                (buf[i + 10]! | 0x20) === 0x6f &&
                (buf[i + 11]! | 0x20) === 0x72 &&
                (buf[i + 12]! | 0x20) === 0x69 &&
                (buf[i + 13]! | 0x20) === 0x7a &&
                (buf[i + 14]! | 0x20) === 0x61 &&
                (buf[i + 15]! | 0x20) === 0x74 &&
                (buf[i + 16]! | 0x20) === 0x69 &&
                (buf[i + 17]! | 0x20) === 0x6f &&
                (buf[i + 18]! | 0x20) === 0x6e
              ) {
                code = ((i + 19) << NameCode.Shift) | H.ProxyAuthorization;
                break name;
              }
              break name;
            }
            if (
              (buf[i + 6]! | 0x20) === 0x72 &&
              (buf[i + 7]! | 0x20) === 0x65 &&
              (buf[i + 8]! | 0x20) === 0x71 &&
              (buf[i + 9]! | 0x20) === 0x75 &&
              (buf[i + 10]! | 0x20) === 0x69 &&
              (buf[i + 11]! | 0x20) === 0x72 &&
              (buf[i + 12]! | 0x20) === 0x65
            ) {
              code = ((i + 13) << NameCode.Shift) | H.ProxyRequire;
              break name;
            }
            break name;
          default:
            break name;
        }
      }
      let ne = code >> NameCode.Shift;
      // HCOLON = *( SP / HTAB ) ":" SWS. Usually the colon follows the name at once
      // (and ends it: ":" is no token byte).
      let c = ne;
      if (code < 0 || buf[c] !== Ch.Colon) {
        if (code < 0 || IS_TOKEN[buf[ne]!] !== 0) code = trieName(buf, i, length);
        c = ne = code >> NameCode.Shift;
        while (c < length && ((b = buf[c]!) === Ch.SP || b === Ch.HT)) c++;
        if (ne === i || c >= length || b !== Ch.Colon) {
          i = this.badLine(buf, i, ne, c, length, msg);
          continue;
        }
      }
      const id: H = code & NameCode.IdMask;
      if (n >= max) {
        msg.fail(ParseError.TooManyHeaders, i);
        break;
      }
      // SWS after the colon: usually one SP, then the value.
      let vs = c + 1;
      if (vs < length) {
        b = buf[vs]!;
        if (b === Ch.SP) b = ++vs < length ? buf[vs]! : 0;
        if (b === Ch.SP || b === Ch.HT || b === Ch.CR || b === Ch.LF) vs = skipLws(buf, vs, length);
      }
      // The value: validated on the way when it can be, else scanned to the LF ending the
      // field: an LF not followed by SP or HT (a fold, §7.3.1), or the end of the datagram.
      let lf = -1;
      let ve = vs;
      const check = mode[id]!;
      const head = first[id]!;
      if (check === 2) {
        // The one-pass check of the value (inline for the same reason as the name):
        // `lf` becomes the offset of the LF ending the field, and `fastEnd` the end of
        // the value, when the value is valid, ends its line, and every effect on `msg` is
        // the one `validate` would have had. Otherwise `lf` stays -1 with nothing in `msg`
        // changed (the readers written to are cleared), and `validate` reads the header as
        // it always did. `top`: the first header of its id.
        const top = head < 0;
        value: {
          switch (id) {
            case H.Via: {
              let r = top ? msg.via : this.via;
              let k = vs;
              for (;;) {
                const p = r.scan(buf, k, hl);
                if (p < 0) break;
                // The line ends here (usually), or a "," after LWS starts the next element: never both.
                const e = lineEnd(buf, p, length);
                if (e >= 0) {
                  fastEnd = p;
                  lf = e;
                  break value;
                }
                const q = skipLws(buf, p, length);
                if (q >= length || buf[q] !== Ch.Comma) break;
                r = this.via;
                k = q + 1;
              }
              if (top) msg.via.clear();
              break value;
            }
            case H.From:
            case H.To: {
              const r = top ? (id === H.From ? msg.from : msg.to) : this.addr;
              const p = r.scan(buf, vs, hl, false);
              const e = p < 0 ? -1 : lineEnd(buf, p, length);
              if (e < 0) {
                if (top) r.clear();
                break value;
              }
              fastEnd = p;
              lf = e;
              break value;
            }
            case H.Contact:
            case H.Route:
            case H.RecordRoute: {
              const a = this.addr;
              let k = vs;
              for (;;) {
                const p = a.scan(buf, k, hl, true);
                if (p < 0) break value;
                if (id !== H.Contact && !a.angle) break value;
                if (a.expiresLen >= 0 && parseUint(buf, a.expiresStart, a.expiresStart + a.expiresLen, MAX_U32) < 0) break value;
                // The line ends here (usually), or a "," after LWS starts the next element: never both.
                const e = lineEnd(buf, p, length);
                if (e >= 0) {
                  fastEnd = p;
                  lf = e;
                  break value;
                }
                const q = skipLws(buf, p, length);
                if (q >= length || buf[q] !== Ch.Comma) break value;
                k = q + 1;
              }
            }
            case H.CallId: {
              // callid = word [ "@" word ]
              // (Bounded by the LF at hl - 1, which is no word byte: see hl.)
              const word = IS_WORD;
              let k = vs;
              if (k < hl) while (word[buf[k]!]!) k++;
              if (k === vs) break value;
              if (k < hl && buf[k] === Ch.At) {
                const w = ++k;
                while (word[buf[k]!]!) k++;
                if (k === w) break value;
              }
              const e = lineEnd(buf, k, length);
              if (e < 0) break value;
              if (msg.callIdLen < 0) {
                msg.callIdStart = vs;
                msg.callIdLen = k - vs;
              }
              fastEnd = k;
              lf = e;
              break value;
            }
            case H.CSeq: {
              // 1*DIGIT below 2**32, its value taken in the same pass (what parseUint accepts).
              let de = vs;
              let v = 0;
              let d = 0;
              while (de < length && (d = buf[de]! - Ch.Zero) >= 0 && d <= 9) {
                v = v * 10 + d;
                de++;
              }
              if (de === vs || v > MAX_U32) break value;
              const ms = de < length && buf[de] === Ch.SP && de + 1 < length && IS_TOKEN[buf[de + 1]!] !== 0 ? de + 1 : skipLws(buf, de, length);
              if (ms === de) break value;
              // Method: in a request usually the request's own, already identified; else a token.
              let me = ms;
              let method = Method.Extension;
              let same = false;
              const rl = msg.methodLen;
              // (A known request method is compared by methodOf, with constants: one load a byte.)
              if (rl > 0 && ms + rl < length && (msg.method !== Method.Extension ? methodOf(buf, ms, rl) === msg.method : sameBytes(buf, ms, msg.methodStart, rl)) && IS_TOKEN[buf[ms + rl]!] === 0) {
                me = ms + rl;
                method = msg.method;
                same = true;
              } else {
                while (me < length && IS_TOKEN[buf[me]!]!) me++;
                if (me === ms) break value;
                method = methodOf(buf, ms, me - ms);
              }
              const e = lineEnd(buf, me, length);
              if (e < 0) break value;
              if (msg.cseq < 0) {
                msg.cseq = v;
                msg.cseqMethodStart = ms;
                msg.cseqMethodLen = me - ms;
                msg.cseqMethod = method;
                this.cseqSame = same;
              }
              fastEnd = me;
              lf = e;
              break value;
            }
            default: {
              // Content-Length, Max-Forwards, Expires: 1*DIGIT, its value taken in the same pass.
              let de = vs;
              let v = 0;
              let d = 0;
              while (de < length && (d = buf[de]! - Ch.Zero) >= 0 && d <= 9) {
                v = v * 10 + d;
                de++;
              }
              if (de === vs || v > (id === H.MaxForwards ? 255 : MAX_U32)) break value;
              const e = lineEnd(buf, de, length);
              if (e < 0) break value;
              if (id === H.ContentLength) {
                if (msg.contentLength < 0) msg.contentLength = v;
                else if (msg.contentLength !== v) msg.contentLengthConflict = true;
              } else if (id === H.MaxForwards) {
                if (msg.maxForwards < 0) msg.maxForwards = v;
              } else if (msg.expires < 0) msg.expires = v;
              fastEnd = de;
              lf = e;
              break value;
            }
          }
        }
        if (lf >= 0) ve = fastEnd;
        else {
          mode[id] = 1; // later headers of this id go to validate too, in order
          slowIds++;
        }
      }
      if (lf < 0) {
        // Left for validate (headers without a check are never looked at by it).
        if (check !== 0) hPending[pending++] = n;
        lf = vs;
        for (;;) {
          if (lf < hl) {
            // The LF at hl - 1 at the latest ends the search (see hl): no bound needed.
            for (;;) {
              if (buf[lf] === Ch.LF) break;
              if (buf[lf + 1] === Ch.LF) {
                lf += 1;
                break;
              }
              if (buf[lf + 2] === Ch.LF) {
                lf += 2;
                break;
              }
              if (buf[lf + 3] === Ch.LF) {
                lf += 3;
                break;
              }
              lf += 4;
            }
          } else {
            // The line cut off by the datagram's end.
            while (lf < length && buf[lf] !== Ch.LF) lf++;
          }
          if (lf + 1 < length && ((b = buf[lf + 1]!) === Ch.SP || b === Ch.HT)) lf++;
          else break;
        }
        // lf is the field's end (its LF, or length).
        ve = lf;
        while (ve > vs && ((b = buf[ve - 1]!) === Ch.SP || b === Ch.HT || b === Ch.CR || b === Ch.LF)) ve--;
      }
      hId[n] = id;
      hNameStart[n] = i;
      hValueStart[n] = vs;
      hValueEnd[n] = ve;
      // (hNext[n] is already -1, and last[id] is set only from the second header of an
      // id on: see SipMessage.hNext and last. Most headers are the only one of their id.)
      if (head < 0) first[id] = n;
      else {
        const tail = last[id]!;
        hNext[tail < 0 ? head : tail] = n;
        last[id] = n;
        msg.linked = true;
      }
      n++;
      i = lf + 1;
    }
    msg.headerCount = n;
    this.pending = pending;
    if (slowIds > 0) for (let h = 0; h < n; h++) mode[hId[h]!] = FAST[hId[h]!]!;
    return terminated;
  }


  /**
   * A header line without a well-formed name or colon: record why, where, and
   * return where the next field starts (after the LF ending this one, folds
   * included). `ne` is the end of the name, `c` the byte after the blanks following it.
   */
  private badLine(buf: Uint8Array, i: number, ne: number, c: number, length: number, msg: SipMessage): number {
    let lf = findLf(buf, i, length);
    while (lf >= 0 && lf + 1 < length && (buf[lf + 1] === Ch.SP || buf[lf + 1] === Ch.HT)) lf = findLf(buf, lf + 1, length);
    const fieldEnd = lf < 0 ? length : lf;
    if (ne === i) {
      const b = buf[i]!;
      msg.fail(b === Ch.SP || b === Ch.HT ? ParseError.BadHeaderLine : ParseError.BadHeaderName, i);
    } else {
      msg.fail(c < fieldEnd && (CHARS[buf[c]!]! & C.Ws) === 0 && buf[c] !== Ch.CR ? ParseError.BadHeaderName : ParseError.MissingColon, c);
    }
    return lf < 0 ? length : lf + 1;
  }

  /** Validate the headers the core relies on, capturing their values. */
  private validate(buf: Uint8Array, msg: SipMessage): void {
    // Only the headers the indexing pass left (the others it checked, with the same effects).
    const n = this.pending;
    const pending = msg.hPending;
    for (let k = 0; k < n; k++) {
      const h = pending[k]!;
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
    if (msg.kind === Kind.Request && msg.cseq >= 0 && msg.error === ParseError.None && !this.cseqSame) {
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

/** By id: 1 for the headers `validate` checks, 2 for those `headers` can check while indexing. */
const FAST: Uint8Array = buildFast();
function buildFast(): Uint8Array {
  const t = new Uint8Array(HEADER_COUNT);
  t[H.MinExpires] = t[H.RSeq] = t[H.RAck] = t[H.Date] = t[H.RetryAfter] = t[H.Warning] = 1;
  t[H.Via] = t[H.From] = t[H.To] = t[H.Contact] = t[H.Route] = t[H.RecordRoute] = 2;
  t[H.CallId] = t[H.CSeq] = t[H.ContentLength] = t[H.MaxForwards] = t[H.Expires] = 2;
  return t;
}

/**
 * When only SP/HT, then CRLF or LF, follow a value that ends at p, and the LF is
 * not a fold: the offset of that LF (the field ends there, its value at p).
 * Otherwise -1.
 */
function lineEnd(buf: Uint8Array, p: number, length: number): number {
  let b = 0;
  // The usual end first: CRLF, and no fold after it (what the general case finds there).
  if (p + 2 < length && buf[p] === Ch.CR && buf[p + 1] === Ch.LF) return (b = buf[p + 2]!) === Ch.SP || b === Ch.HT ? -1 : p + 1;
  let q = p;
  while (q < length && ((b = buf[q]!) === Ch.SP || b === Ch.HT)) q++;
  if (q < length && buf[q] === Ch.CR) q++;
  if (q >= length || buf[q] !== Ch.LF) return -1;
  if (q + 1 < length && ((b = buf[q + 1]!) === Ch.SP || b === Ch.HT)) return -1;
  return q;
}

/** "SIP/2.0" at i, in capitals as everyone writes it. */
function isSip20(buf: Uint8Array, i: number, length: number): boolean {
  return (
    i + 7 <= length &&
    buf[i] === 83 /* S */ &&
    buf[i + 1] === 73 /* I */ &&
    buf[i + 2] === 80 /* P */ &&
    buf[i + 3] === Ch.Slash &&
    buf[i + 4] === 50 /* 2 */ &&
    buf[i + 5] === Ch.Dot &&
    buf[i + 6] === Ch.Zero
  );
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

