/*
 * The parsed message: one object, allocated once and reset for every
 * datagram. It holds spans (offset, length) into the receive buffer; typed
 * arrays index the header fields: id, name and value spans, and a chain to
 * the next header with the same id so repeated headers are walked without a
 * search. Strings are made only when a caller asks for one.
 */
import { NO_BYTES, spanToString } from "./bytes";
import { IS_TOKEN } from "./chars";
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
  /** `hPending` holds the name lengths once they were asked for (see `hNameLen`). */
  private nameLensFound = false;
  readonly hValueStart: Uint16Array;
  readonly hValueEnd: Uint16Array;
  /**
   * Next header index with the same id, or -1. Every entry is -1 between
   * messages: the parser writes only the links of repeated headers (and says
   * so in `linked`), and `begin` sets those back, rather than a -1 being
   * stored for every header.
   */
  readonly hNext: Int16Array;
  /** hNext holds links of the last message (for `begin` to clear). */
  linked = false;
  /**
   * While the parser runs, its own bookkeeping: the indexes of the headers it
   * left for its second pass to check, in order. Only those are written (a
   * header checked while indexing costs no store), and only until the parse
   * ends: then the same storage holds the name lengths (see `hNameLen`).
   */
  readonly hPending: Uint16Array;
  /** First header index per id, -1 when absent. */
  readonly first: Int16Array;
  /**
   * Last header index per id when there are several, else -1 (the parser
   * stores it only for the repeated headers: the last of one is its first).
   */
  readonly last: Int16Array;
  /** How many headers of each id (up to 255), counted only when asked for: see `count`. */
  private readonly counts: Uint8Array;

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
  /**
   * To and Via use a parameter cursor only while their header is read, never
   * while From's is, and the message keeps nothing in it: they borrow From's
   * (in XS 10 slots less per reader).
   */
  readonly to = new NameAddr(this.from.params);
  readonly via = new Via(this.from.params);

  // Error: the first problem found, with its byte offset.
  error: ParseError = ParseError.None;
  errorOffset = 0;

  constructor(maxHeaders: number = DEFAULT_MAX_HEADERS) {
    this.maxHeaders = maxHeaders;
    // The index is nine arrays viewing one ArrayBuffer: in XS a view costs 4
    // slots and no chunk of its own, an array with a buffer of its own 7
    // slots and a chunk. The 16-bit views come first, so each starts on an
    // even offset.
    const m2 = maxHeaders * 2;
    const n2 = HEADER_COUNT * 2;
    const store = new ArrayBuffer(5 * m2 + 2 * n2 + maxHeaders + HEADER_COUNT);
    let at = 0;
    this.hNameStart = new Uint16Array(store, at, maxHeaders);
    this.hPending = new Uint16Array(store, (at += m2), maxHeaders);
    this.hValueStart = new Uint16Array(store, (at += m2), maxHeaders);
    this.hValueEnd = new Uint16Array(store, (at += m2), maxHeaders);
    this.hNext = new Int16Array(store, (at += m2), maxHeaders);
    this.first = new Int16Array(store, (at += m2), HEADER_COUNT);
    this.last = new Int16Array(store, (at += n2), HEADER_COUNT);
    this.hId = new Uint8Array(store, (at += n2), maxHeaders);
    this.counts = new Uint8Array(store, at + maxHeaders, HEADER_COUNT);
    this.hNext.fill(-1);
    this.first.fill(-1);
    this.last.fill(-1);
  }

  /**
   * The length of each header's name, by index. A name is the token bytes at
   * hNameStart up to the first other byte (the HCOLON's blank or colon, RFC
   * 3261 §7.3.1), so the parser stores no length per header: they are found
   * here, for the whole message, the first time one is asked for.
   */
  get hNameLen(): Uint16Array {
    const lens = this.hPending; // (the parser's list is not needed once it is done)
    if (this.nameLensFound) return lens;
    const buf = this.buf;
    const end = this.length;
    const starts = this.hNameStart;
    for (let h = this.headerCount - 1; h >= 0; h--) {
      const s = starts[h]!;
      let e = s;
      while (e < end && IS_TOKEN[buf[e]!]!) e++;
      lens[h] = e - s;
    }
    this.nameLensFound = true;
    return lens;
  }

  /**
   * How many headers of each id this message has (up to 255), by id. Counted
   * here, on demand, from the index (the parser keeps no count per header);
   * to ask only whether there are several, `several` is cheaper.
   */
  get count(): Uint8Array {
    const c = this.counts;
    const hId = this.hId;
    for (let id = c.length - 1; id >= 0; id--) c[id] = 0;
    for (let h = this.headerCount - 1; h >= 0; h--) {
      const id = hId[h]!;
      if (c[id]! < 255) c[id]!++;
    }
    return c;
  }

  /** More than one header with this id? (Only then is a last one recorded.) */
  several(id: H): boolean {
    return this.last[id]! >= 0;
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
    // Only the ids the last message used are set: clear those (cheaper than fills), and
    // `last` and the links only when it repeated a header.
    const hId = this.hId;
    const first = this.first;
    for (let h = this.headerCount - 1; h >= 0; h--) first[hId[h]!] = -1;
    if (this.linked) {
      const last = this.last;
      const next = this.hNext;
      for (let h = this.headerCount - 1; h >= 0; h--) {
        last[hId[h]!] = -1;
        next[h] = -1;
      }
      this.linked = false;
    }
    this.headerCount = 0;
    this.nameLensFound = false;
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
