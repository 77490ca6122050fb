/*
 * The parsed message: one object, allocated once and reset for every
 * datagram. It holds spans (offset, length) into the receive buffer; typed
 * arrays index the header fields: id, name and value spans, and a chain to
 * the next header with the same id so repeated headers are walked without a
 * search. Strings are made only when a caller asks for one.
 */
import { NO_BYTES, spanToString } from "./bytes";
import { ParseError } from "./errors";
import { H, HEADER_COUNT } from "./header";
import { Method } from "./method";
import { NameAddr } from "./name-addr";
import { Scheme } from "./uri";
import { Via } from "./via";

export const enum Kind {
  None = 0,
  Request = 1,
  Response = 2,
}

/** Default capacity of the header index. */
export const DEFAULT_MAX_HEADERS = 96;

export class SipMessage {
  buf: Uint8Array = NO_BYTES;
  /** Bytes received (the datagram length). */
  length = 0;
  kind: Kind = Kind.None;

  // Request line
  method: Method = Method.Extension;
  methodStart = 0;
  methodLen = 0;
  uriStart = 0;
  uriLen = 0;
  uriScheme: Scheme = Scheme.Other;
  /** The Request-URI carries "?headers" (not allowed, RFC 3261 §19.1.1 Table 1). */
  versionStart = 0;
  versionLen = 0;

  // Status line
  status = 0;
  reasonStart = 0;
  reasonLen = 0;

  // Header index
  readonly maxHeaders: number;
  headerCount = 0;
  readonly hId: Uint8Array;
  readonly hNameStart: Uint16Array;
  readonly hNameLen: Uint16Array;
  readonly hValueStart: Uint16Array;
  readonly hValueEnd: Uint16Array;
  /** Next header index with the same id, or -1. */
  readonly hNext: Int16Array;
  /**
   * 1 when the parser validated this header while indexing it (its own
   * bookkeeping, written only for the headers it checks).
   */
  readonly hValidated: Uint8Array;
  /** First and last header index per id, -1 when absent; and how many there are. */
  readonly first: Int16Array;
  readonly last: Int16Array;
  readonly count: Uint8Array;

  // Body (RFC 3261 §18.3 framing): the message ends at bodyStart + bodyLen; trailing octets are ignored.
  bodyStart = 0;
  bodyLen = 0;

  // Values validated and captured while parsing (-1 when absent)
  contentLength = -1;
  /** Several Content-Length headers with different values (RFC 4475 §3.3.9). */
  contentLengthConflict = false;
  cseq = -1;
  cseqMethod: Method = Method.Extension;
  cseqMethodStart = 0;
  cseqMethodLen = 0;
  maxForwards = -1;
  expires = -1;
  callIdStart = 0;
  callIdLen = -1;
  /** The top Via, From and To, read while validating (valid when their header is present). */
  readonly from = new NameAddr();
  readonly to = new NameAddr();
  /**
   * Via uses a parameter cursor only while its header is read, never while
   * From's is, and keeps nothing in it: it borrows From's.
   */
  readonly via = new Via(this.from.params);

  // Error: the first problem found, with its byte offset.
  error: ParseError = ParseError.None;
  errorOffset = 0;

  constructor(maxHeaders: number = DEFAULT_MAX_HEADERS) {
    this.maxHeaders = maxHeaders;
    // The index is ten arrays viewing one ArrayBuffer: in XS a view costs 4
    // slots and no chunk of its own, an array with a buffer of its own 7
    // slots and a chunk. The 16-bit views come first, so each starts on an
    // even offset.
    const m2 = maxHeaders * 2;
    const n2 = HEADER_COUNT * 2;
    const store = new ArrayBuffer(5 * m2 + 2 * n2 + 2 * maxHeaders + HEADER_COUNT);
    let at = 0;
    this.hNameStart = new Uint16Array(store, at, maxHeaders);
    this.hNameLen = new Uint16Array(store, (at += m2), maxHeaders);
    this.hValueStart = new Uint16Array(store, (at += m2), maxHeaders);
    this.hValueEnd = new Uint16Array(store, (at += m2), maxHeaders);
    this.hNext = new Int16Array(store, (at += m2), maxHeaders);
    this.first = new Int16Array(store, (at += m2), HEADER_COUNT);
    this.last = new Int16Array(store, (at += n2), HEADER_COUNT);
    this.hId = new Uint8Array(store, (at += n2), maxHeaders);
    this.hValidated = new Uint8Array(store, (at += maxHeaders), maxHeaders);
    this.count = new Uint8Array(store, at + maxHeaders, HEADER_COUNT);
    this.first.fill(-1);
    this.last.fill(-1);
  }

  /** Empty this message for the datagram buf[0, length). */
  reset(buf: Uint8Array, length: number): void {
    this.begin(buf, length);
    this.via.clear();
    this.from.clear();
    this.to.clear();
  }

  /**
   * `reset` but for the top Via, From and To readers: the parser writes each
   * by reading its header, and clears those whose header is absent.
   */
  begin(buf: Uint8Array, length: number): void {
    this.buf = buf;
    this.length = length;
    this.kind = Kind.None;
    this.method = Method.Extension;
    this.methodLen = this.uriLen = this.versionLen = 0;
    this.uriScheme = Scheme.Other;
    this.status = 0;
    this.reasonLen = 0;
    // Only the ids the last message used are set: clear those (cheaper than three fills).
    const hId = this.hId;
    const first = this.first;
    const last = this.last;
    const count = this.count;
    for (let h = this.headerCount - 1; h >= 0; h--) {
      const id = hId[h]!;
      first[id] = -1;
      last[id] = -1;
      count[id] = 0;
    }
    this.headerCount = 0;
    this.bodyStart = length;
    this.bodyLen = 0;
    this.forgetValues();
    this.error = ParseError.None;
    this.errorOffset = 0;
  }

  /** The fields the parser's indexing pass captures from headers, back to "absent" (reset, and a parse given up). */
  forgetCaptures(): void {
    this.forgetValues();
    this.via.clear();
    this.from.clear();
    this.to.clear();
  }

  private forgetValues(): void {
    this.contentLength = -1;
    this.contentLengthConflict = false;
    this.cseq = -1;
    this.cseqMethod = Method.Extension;
    this.cseqMethodLen = 0;
    this.maxForwards = -1;
    this.expires = -1;
    this.callIdLen = -1;
  }

  get ok(): boolean {
    return this.error === ParseError.None;
  }

  /** Record the first error only: later ones are usually consequences. */
  fail(e: ParseError, at: number): void {
    if (this.error === ParseError.None) {
      this.error = e;
      this.errorOffset = at;
    }
  }

  /** Index of the first header with this id, or -1. */
  header(id: H): number {
    return this.first[id]!;
  }

  /** Has a header of this id? */
  has(id: H): boolean {
    return this.first[id]! >= 0;
  }

  valueStart(index: number): number {
    return this.hValueStart[index]!;
  }

  valueLen(index: number): number {
    return this.hValueEnd[index]! - this.hValueStart[index]!;
  }

  /** A header value as a string (on demand; folds are kept as they are). */
  valueString(index: number): string {
    return spanToString(this.buf, this.hValueStart[index]!, this.valueLen(index));
  }

  /** The value of the first header with this id as a string, or undefined. */
  getString(id: H): string | undefined {
    const i = this.first[id]!;
    return i < 0 ? undefined : this.valueString(i);
  }

  nameString(index: number): string {
    return spanToString(this.buf, this.hNameStart[index]!, this.hNameLen[index]!);
  }

  methodString(): string {
    return spanToString(this.buf, this.methodStart, this.methodLen);
  }

  uriString(): string {
    return spanToString(this.buf, this.uriStart, this.uriLen);
  }

  reasonString(): string {
    return spanToString(this.buf, this.reasonStart, this.reasonLen);
  }

  callIdString(): string {
    return this.callIdLen < 0 ? "" : spanToString(this.buf, this.callIdStart, this.callIdLen);
  }
}
