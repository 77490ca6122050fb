/*
 * UAS request checks, in the order of RFC 3261 §8.2: a request that fails
 * gets the status and the precise reason phrase to answer with, and which
 * extra header that answer needs (Allow, Unsupported, Accept). Responses and
 * ACKs are never answered (§17.2.3, §18.1.2): they get status 0, "drop".
 */
import { ascii, spanEqualsCI } from "./bytes";
import { PARSE_ERROR_PHRASES, ParseError, statusForParseError } from "./errors";
import { H } from "./header";
import { Kind, type SipMessage } from "./message";
import { Method } from "./method";
import { MediaType } from "./media-type";
import type { Params } from "./params";
import { canAnswer } from "./response";
import { Scheme } from "./uri";
import { HeaderValues } from "./values";
import type { SipWriter } from "./writer";

/** What the UA accepts: supplied by the layer above (the intercom's capabilities). */
export interface UasPolicy {
  /** Methods this UA implements and allows (§8.2.1: others get 405 with Allow). */
  isAllowed(method: Method): boolean;
  /** Is this option tag (a span) supported (§8.2.2.3)? */
  isSupported(buf: Uint8Array, start: number, len: number): boolean;
  /** Can this method's body of this media type be processed (§8.2.3)? */
  acceptsContent(method: Method, type: MediaType): boolean;
}

export const enum Extra {
  None = 0,
  Allow = 1,
  Unsupported = 2,
  Accept = 3,
  AcceptEncoding = 4,
}

const P = (s: string): Uint8Array => ascii(s);
const R_NOT_IMPLEMENTED = P("Not Implemented");
const R_NOT_ALLOWED = P("Method Not Allowed");
const R_MISSING_FROM = P("Bad Request - Missing From");
const R_MISSING_TO = P("Bad Request - Missing To");
const R_MISSING_CALL_ID = P("Bad Request - Missing Call-ID");
const R_MULTI_FROM = P("Bad Request - Multiple From Values");
const R_MULTI_TO = P("Bad Request - Multiple To Values");
const R_MULTI_CALL_ID = P("Bad Request - Multiple Call-ID Values");
const R_MULTI_CSEQ = P("Bad Request - Multiple CSeq Values");
const R_MULTI_MAX_FORWARDS = P("Bad Request - Multiple Max-Forwards Values");
const R_CONFLICTING_LENGTH = P("Bad Request - Conflicting Content-Length");
const R_UNSUPPORTED_SCHEME = P("Unsupported URI Scheme");
const R_BAD_EXTENSION = P("Bad Extension");
const R_UNSUPPORTED_MEDIA = P("Unsupported Media Type");
const R_BAD_CONTENT_TYPE = P("Bad Request - Invalid Content-Type");
const R_NOT_ACCEPTABLE = P("Not Acceptable");
const PARSE_PHRASES: readonly Uint8Array[] = Object.freeze(PARSE_ERROR_PHRASES.map((s) => ascii(s)));
const K_IDENTITY = ascii("identity");
const K_APPLICATION = ascii("application");
const K_SDP = ascii("sdp");

export class RequestChecker {
  /** 0: drop silently. */
  status = 0;
  reason: Uint8Array = R_NOT_IMPLEMENTED;
  extra: Extra = Extra.None;
  private readonly values: HeaderValues;
  /** Content-Type and Accept elements (§8.2.3); its parameter cursor may be lent (see the constructor). */
  private readonly type: MediaType;

  /**
   * `values`: a comma-list reader to share (the transaction layer's), else
   * one of its own. `params`: a parameter cursor for the media types to
   * borrow (the transaction layer lends its re-parse message's: that
   * message is read only inside the layer's own sends and the TU's
   * callbacks, never while check() runs), else one of their own.
   */
  constructor(values?: HeaderValues, params?: Params) {
    this.values = values ?? new HeaderValues();
    this.type = new MediaType(params);
  }

  /** True when the request may go on to the transaction and dialog layers. */
  check(msg: SipMessage, policy: UasPolicy): boolean {
    this.status = 0;
    this.extra = Extra.None;
    if (msg.kind !== Kind.Request) return false;
    if (msg.error !== ParseError.None) {
      if (msg.method === Method.ACK || !canAnswer(msg)) return false;
      return this.reject(statusForParseError(msg.error), PARSE_PHRASES[msg.error]!, Extra.None);
    }
    if (!canAnswer(msg)) {
      // Nowhere to send an answer: drop (a missing Via cannot be answered, §18.2.2).
      return false;
    }
    const ack = msg.method === Method.ACK;
    // §8.2.2: the mandatory headers (§8.1.1), each present once (RFC 4475 §3.3.8).
    if (!msg.has(H.From)) return this.bad(ack, R_MISSING_FROM);
    if (!msg.has(H.To)) return this.bad(ack, R_MISSING_TO);
    if (msg.callIdLen < 0) return this.bad(ack, R_MISSING_CALL_ID);
    if (msg.several(H.From)) return this.bad(ack, R_MULTI_FROM);
    if (msg.several(H.To)) return this.bad(ack, R_MULTI_TO);
    if (msg.several(H.CallId)) return this.bad(ack, R_MULTI_CALL_ID);
    if (msg.several(H.CSeq)) return this.bad(ack, R_MULTI_CSEQ);
    if (msg.several(H.MaxForwards)) return this.bad(ack, R_MULTI_MAX_FORWARDS);
    // RFC 4475 §3.3.9: conflicting lengths leave the framing unknown.
    if (msg.contentLengthConflict) return this.bad(ack, R_CONFLICTING_LENGTH);
    if (ack) return true;
    // §8.2.1 method inspection.
    if (msg.method === Method.Extension) return this.reject(501, R_NOT_IMPLEMENTED, Extra.Allow);
    if (!policy.isAllowed(msg.method)) return this.reject(405, R_NOT_ALLOWED, Extra.Allow);
    // §8.2.2.1: Request-URI scheme.
    if (msg.uriScheme !== Scheme.Sip && msg.uriScheme !== Scheme.Sips) return this.reject(416, R_UNSUPPORTED_SCHEME, Extra.None);
    // §8.2.2.3: Require (not for CANCEL, whose Require is not inspected).
    if (msg.method !== Method.CANCEL && this.firstUnsupported(msg, policy) >= 0) return this.reject(420, R_BAD_EXTENSION, Extra.Unsupported);
    // §8.2.3: content processing.
    if (msg.bodyLen > 0 && msg.has(H.ContentType)) {
      const h = msg.first[H.ContentType]!;
      if (!this.type.read(msg.buf, msg.hValueStart[h]!, msg.hValueEnd[h]!)) return this.reject(400, R_BAD_CONTENT_TYPE, Extra.None);
      if (!policy.acceptsContent(msg.method, this.type)) return this.reject(415, R_UNSUPPORTED_MEDIA, Extra.Accept);
    }
    if (msg.bodyLen > 0 && msg.has(H.ContentEncoding)) {
      const v = this.values.begin(msg, H.ContentEncoding);
      while (v.next()) if (!spanEqualsCI(msg.buf, v.start, v.len, K_IDENTITY)) return this.reject(415, R_UNSUPPORTED_MEDIA, Extra.AcceptEncoding);
    }
    // An INVITE whose Accept excludes SDP cannot get our session description (§21.4.7, RFC 4475 §3.3.15).
    if (msg.method === Method.INVITE && msg.has(H.Accept) && !this.acceptsSdp(msg)) return this.reject(406, R_NOT_ACCEPTABLE, Extra.Accept);
    return true;
  }

  /** The header index of the first Require value this UA does not support, or -1; its span in `values`. */
  firstUnsupported(msg: SipMessage, policy: UasPolicy): number {
    const v = this.values.begin(msg, H.Require);
    while (v.next()) if (!policy.isSupported(msg.buf, v.start, v.len)) return v.index;
    return -1;
  }

  /** Write "Unsupported: tag, tag" listing the Require tags this UA lacks (§20.40), after check() returned 420. */
  writeUnsupported(w: SipWriter, msg: SipMessage, policy: UasPolicy): void {
    const v = this.values.begin(msg, H.Require);
    let first = true;
    while (v.next()) {
      if (policy.isSupported(msg.buf, v.start, v.len)) continue;
      if (first) w.headerName(H.Unsupported);
      else w.byte(44).byte(32);
      w.span(msg.buf, v.start, v.len);
      first = false;
    }
    if (!first) w.crlf();
  }

  private acceptsSdp(msg: SipMessage): boolean {
    const v = this.values.begin(msg, H.Accept);
    while (v.next()) {
      if (this.type.read(msg.buf, v.start, v.start + v.len) && this.type.matches(K_APPLICATION, K_SDP)) return true;
    }
    // An Accept without an SDP type, or an empty one (no body is acceptable, §20.1), excludes our SDP.
    return false;
  }

  private bad(ack: boolean, reason: Uint8Array): boolean {
    if (ack) return false;
    return this.reject(400, reason, Extra.None);
  }

  private reject(status: number, reason: Uint8Array, extra: Extra): boolean {
    this.status = status;
    this.reason = reason;
    this.extra = extra;
    return false;
  }
}

