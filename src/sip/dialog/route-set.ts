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

export class RouteSet {
  private readonly store = new Uint8Array(ROUTE_BYTES);
  /** Each route's whole value (name-addr with its parameters) and its URI, as spans into `store`. */
  private readonly start = new Uint16Array(MAX_ROUTES);
  private readonly len = new Uint16Array(MAX_ROUTES);
  private readonly uriStart = new Uint16Array(MAX_ROUTES);
  private readonly uriLen = new Uint16Array(MAX_ROUTES);
  count = 0;
  /** The first route has ";lr": loose routing (§12.2.1.1). */
  loose = true;
  private used = 0;
  private readonly values = new HeaderValues();
  private readonly addr = new NameAddr();

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
    while (v.next()) {
      if (this.count >= MAX_ROUTES || this.used + v.len > ROUTE_BYTES) return this.fail();
      if (!a.read(buf, v.start, v.start + v.len) || a.star) return this.fail();
      const i = this.count;
      const at = this.used;
      const store = this.store;
      for (let k = 0; k < v.len; k++) store[at + k] = buf[v.start + k]!;
      this.start[i] = at;
      this.len[i] = v.len;
      this.uriStart[i] = at + (a.uriStart - v.start);
      this.uriLen[i] = a.uriLen;
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
    this.start.set(other.start);
    this.len.set(other.len);
    this.uriStart.set(other.uriStart);
    this.uriLen.set(other.uriLen);
    this.count = other.count;
    this.used = other.used;
    this.loose = other.loose;
  }

  /** Read route i's URI into `into` (its host and port are the next hop, §8.1.2). */
  readUri(i: number, into: NameAddr): boolean {
    if (i < 0 || i >= this.count) return false;
    return into.read(this.store, this.start[i]!, this.start[i]! + this.len[i]!);
  }

  /** The first route's URI span, for the Request-URI under strict routing. */
  writeFirstUri(w: SipWriter): void {
    if (this.count > 0) w.span(this.store, this.uriStart[0]!, this.uriLen[0]!);
  }

  /**
   * The Route header fields of a request (§12.2.1.1): every route when
   * loose; all but the first when strict, then the remote target as the last
   * Route.
   */
  writeRoutes(w: SipWriter, remoteTarget: Uint8Array, remoteTargetLen: number): void {
    const from = this.loose ? 0 : 1;
    for (let i = from; i < this.count; i++) w.header(H.Route, this.store, this.start[i]!, this.len[i]!);
    if (!this.loose && this.count > 0) w.headerName(H.Route).byte(60).span(remoteTarget, 0, remoteTargetLen).byte(62).crlf();
  }

  /** Route i's value as a string (logs, tests). */
  routeString(i: number): string {
    let s = "";
    for (let k = 0; k < this.len[i]!; k++) s += String.fromCharCode(this.store[this.start[i]! + k]!);
    return s;
  }

  private firstIsLoose(): boolean {
    const a = this.addr;
    if (!a.read(this.store, this.start[0]!, this.start[0]! + this.len[0]!)) return true;
    return a.uri.findParam(K_LR);
  }

  private reverse(): void {
    const n = this.count;
    for (let i = 0, j = n - 1; i < j; i++, j--) {
      swap(this.start, i, j);
      swap(this.len, i, j);
      swap(this.uriStart, i, j);
      swap(this.uriLen, i, j);
    }
  }

  private fail(): boolean {
    this.clear();
    return false;
  }
}

function swap(a: Uint16Array, i: number, j: number): void {
  const t = a[i]!;
  a[i] = a[j]!;
  a[j] = t;
}
