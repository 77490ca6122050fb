/*
 * A dialog's route set (RFC 3261 §12.1.1, §12.1.2): the Record-Route
 * values of the request (UAS: in order) or of the response (UAC: reversed),
 * kept as bytes. They are written back as Route header fields on every
 * request in the dialog (§12.2.1.1): loose routing when the first route
 * carries ";lr" (§16.12.1.1), else strict routing with the Request-URI
 * taken from the first route and the remote target appended last.
 */
import { ascii } from "../message/bytes";
import { H } from "../message/header";
import type { SipMessage } from "../message/message";
import { NameAddr } from "../message/name-addr";
import { HeaderValues } from "../message/values";
import type { SipWriter } from "../message/writer";

/** More hops than a door station meets behind any PBX; more are refused rather than cut. */
export const MAX_ROUTES = 8;
/** Bytes for all routes together. */
export const ROUTE_BYTES = 768;

const K_LR = ascii("lr");

/** Per route, in `spans`: the whole value (name-addr with its parameters) and its URI, as spans into `store`. */
const START = 0;
const LEN = 1;
const URI_START = 2;
const URI_LEN = 3;
const FIELDS = 4;

/** What a route set keeps, in bytes: the routes, then their spans (for a caller's shared buffer; `offset` even). */
export const ROUTE_SET_BYTES = ROUTE_BYTES + 2 * FIELDS * MAX_ROUTES;

export class RouteSet {
  private readonly store: Uint8Array;
  /** Four numbers per route (START, LEN, URI_START, URI_LEN): one typed array rather than four, each of which costs heap slots. */
  private readonly spans: Uint16Array;
  count = 0;
  /** The first route has ";lr": loose routing (§12.2.1.1). */
  loose = true;
  private used = 0;
  /** Scratch readers, shared with the dialog (see DialogScratch). */
  private readonly values: HeaderValues;
  private readonly addr: NameAddr;

  /** With `buffer`, the set lives in its ROUTE_SET_BYTES from `offset` (views: see Field). */
  constructor(addr: NameAddr = new NameAddr(), values: HeaderValues = new HeaderValues(), buffer?: ArrayBuffer, offset = 0) {
    this.addr = addr;
    this.values = values;
    const b = buffer !== undefined ? buffer : new ArrayBuffer(ROUTE_SET_BYTES);
    const at = buffer !== undefined ? offset : 0;
    this.store = new Uint8Array(b, at, ROUTE_BYTES);
    this.spans = new Uint16Array(b, at + ROUTE_BYTES, FIELDS * MAX_ROUTES);
  }

  clear(): void {
    this.count = 0;
    this.used = 0;
    this.loose = true;
  }

  /**
   * Take the Record-Route of `msg` (§12.1.1 UAS: as listed; §12.1.2 UAC:
   * reversed). False when a value is malformed or the set does not fit;
   * the set is then empty.
   */
  fromRecordRoute(msg: SipMessage, reverse: boolean): boolean {
    this.clear();
    const v = this.values.begin(msg, H.RecordRoute);
    const a = this.addr;
    const buf = msg.buf;
    const spans = this.spans;
    while (v.next()) {
      if (this.count >= MAX_ROUTES || this.used + v.len > ROUTE_BYTES) return this.fail();
      if (!a.read(buf, v.start, v.start + v.len) || a.star) return this.fail();
      const at = this.used;
      const store = this.store;
      for (let k = 0; k < v.len; k++) store[at + k] = buf[v.start + k]!;
      const o = this.count * FIELDS;
      spans[o + START] = at;
      spans[o + LEN] = v.len;
      spans[o + URI_START] = at + (a.uriStart - v.start);
      spans[o + URI_LEN] = a.uriLen;
      this.used += v.len;
      this.count++;
    }
    if (v.malformed) return this.fail();
    if (reverse) this.reverse();
    this.loose = this.count === 0 || this.firstIsLoose();
    return true;
  }

  /** Copy another route set (a new call that inherits nothing uses clear()). */
  copy(other: RouteSet): void {
    this.store.set(other.store);
    this.spans.set(other.spans);
    this.count = other.count;
    this.used = other.used;
    this.loose = other.loose;
  }

  /** Read route i's URI into `into` (its host and port are the next hop, §8.1.2). */
  readUri(i: number, into: NameAddr): boolean {
    if (i < 0 || i >= this.count) return false;
    const o = i * FIELDS;
    return into.read(this.store, this.spans[o + START]!, this.spans[o + START]! + this.spans[o + LEN]!);
  }

  /** The first route's URI span, for the Request-URI under strict routing. */
  writeFirstUri(w: SipWriter): void {
    if (this.count > 0) w.span(this.store, this.spans[URI_START]!, this.spans[URI_LEN]!);
  }

  /**
   * The Route header fields of a request (§12.2.1.1): every route when
   * loose; all but the first when strict, then the remote target as the last
   * Route.
   */
  writeRoutes(w: SipWriter, remoteTarget: Uint8Array, remoteTargetLen: number): void {
    const from = this.loose ? 0 : 1;
    for (let i = from; i < this.count; i++) w.header(H.Route, this.store, this.spans[i * FIELDS + START]!, this.spans[i * FIELDS + LEN]!);
    if (!this.loose && this.count > 0) w.headerName(H.Route).byte(60).span(remoteTarget, 0, remoteTargetLen).byte(62).crlf();
  }

  /** Route i's value as a string (logs, tests). */
  routeString(i: number): string {
    let s = "";
    const o = i * FIELDS;
    for (let k = 0; k < this.spans[o + LEN]!; k++) s += String.fromCharCode(this.store[this.spans[o + START]! + k]!);
    return s;
  }

  private firstIsLoose(): boolean {
    const a = this.addr;
    if (!a.read(this.store, this.spans[START]!, this.spans[START]! + this.spans[LEN]!)) return true;
    return a.uri.findParam(K_LR);
  }

  private reverse(): void {
    const n = this.count;
    const spans = this.spans;
    for (let i = 0, j = n - 1; i < j; i++, j--) {
      for (let f = 0; f < FIELDS; f++) {
        const t = spans[i * FIELDS + f]!;
        spans[i * FIELDS + f] = spans[j * FIELDS + f]!;
        spans[j * FIELDS + f] = t;
      }
    }
  }

  private fail(): boolean {
    this.clear();
    return false;
  }
}
