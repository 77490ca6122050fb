/*
 * A dialog's route set (RFC 3261 §12.1.1, §12.1.2): the Record-Route
 * values of the request (UAS: in order) or of the response (UAC: reversed),
 * kept as bytes. They are written back as Route header fields on every
 * request in the dialog (§12.2.1.1): loose routing when the first route
 * carries ";lr" (§16.12.1.1), else strict routing with the Request-URI
 * taken from the first route and the remote target appended last.
 *
 * The routes are the last field of the dialog's store (dialog-store.ts),
 * end to end; their count, loose flag and spans (relative to the field's
 * start, so they survive the field moving) are in the store's spans.
 */
import { ascii } from "../message/bytes";
import { H } from "../message/header";
import type { SipMessage } from "../message/message";
import type { NameAddr } from "../message/name-addr";
import type { HeaderValues } from "../message/values";
import type { SipWriter } from "../message/writer";
import { DialogField, DialogStore, MAX_ROUTES, ROUTE_COUNT, ROUTE_FIELDS, ROUTE_LOOSE, ROUTE_SPANS } from "./dialog-store";


const K_LR = ascii("lr");

/** Per route, from ROUTE_SPANS in the store's spans: the whole value (name-addr with its parameters) and its URI. */
const START = 0;
const LEN = 1;
const URI_START = 2;
const URI_LEN = 3;

export class RouteSet {
  /** The dialog's store (the readers it needs are passed to the methods that read: the dialog's scratch, see DialogScratch). */
  private readonly store: DialogStore;

  /** In `store`, the dialog's. */
  constructor(store: DialogStore) {
    this.store = store;
  }

  /** Routes in the set. Numbers in the store's spans rather than properties: a property is a heap slot. */
  get count(): number {
    return this.store.spans[ROUTE_COUNT]!;
  }

  /** The first route has ";lr": loose routing (§12.2.1.1). */
  get loose(): boolean {
    return this.store.spans[ROUTE_LOOSE] !== 0;
  }

  /** Bytes the routes take in the store. */
  get bytes(): number {
    return this.store.len(DialogField.Routes);
  }

  clear(): void {
    const s = this.store;
    s.resize(DialogField.Routes, 0);
    s.spans[ROUTE_COUNT] = 0;
    s.spans[ROUTE_LOOSE] = 1;
  }

  /**
   * Take the Record-Route of `msg` (§12.1.1 UAS: as listed; §12.1.2 UAC:
   * reversed), read with `values` and `a`. False when a value is malformed
   * or the set does not fit (MAX_ROUTES, ROUTE_BYTES, or the dialog's store
   * full); the set is then empty.
   */
  fromRecordRoute(msg: SipMessage, reverse: boolean, values: HeaderValues, a: NameAddr): boolean {
    this.clear();
    const v = values.begin(msg, H.RecordRoute);
    const buf = msg.buf;
    const store = this.store;
    const spans = store.spans;
    while (v.next()) {
      const n = spans[ROUTE_COUNT]!;
      if (n >= MAX_ROUTES) return this.fail();
      if (!a.read(buf, v.start, v.start + v.len) || a.star) return this.fail();
      // Appended at the end of the last field: nothing moves.
      const rel = store.len(DialogField.Routes);
      const at = store.resize(DialogField.Routes, rel + v.len);
      if (at < 0) return this.fail();
      const out = store.bytes;
      const to = at + rel;
      for (let k = 0; k < v.len; k++) out[to + k] = buf[v.start + k]!;
      const o = ROUTE_SPANS + n * ROUTE_FIELDS;
      spans[o + START] = rel;
      spans[o + LEN] = v.len;
      spans[o + URI_START] = rel + (a.uriStart - v.start);
      spans[o + URI_LEN] = a.uriLen;
      spans[ROUTE_COUNT] = n + 1;
    }
    if (v.malformed) return this.fail();
    if (reverse) this.reverse();
    spans[ROUTE_LOOSE] = spans[ROUTE_COUNT] === 0 || this.firstIsLoose(a) ? 1 : 0;
    return true;
  }

  /** Read route i's URI into `into` (its host and port are the next hop, §8.1.2). */
  readUri(i: number, into: NameAddr): boolean {
    if (i < 0 || i >= this.count) return false;
    const s = this.store.spans;
    const o = ROUTE_SPANS + i * ROUTE_FIELDS;
    const at = this.store.start(DialogField.Routes) + s[o + START]!;
    return into.read(this.store.bytes, at, at + s[o + LEN]!);
  }

  /** The first route's URI span, for the Request-URI under strict routing. */
  writeFirstUri(w: SipWriter): void {
    if (this.count === 0) return;
    const s = this.store.spans;
    w.span(this.store.bytes, this.store.start(DialogField.Routes) + s[ROUTE_SPANS + URI_START]!, s[ROUTE_SPANS + URI_LEN]!);
  }

  /**
   * The Route header fields of a request (§12.2.1.1): every route when
   * loose; all but the first when strict, then the remote target
   * (target[start, start+len)) as the last Route.
   */
  writeRoutes(w: SipWriter, target: Uint8Array, targetStart: number, targetLen: number): void {
    const n = this.count;
    const loose = this.loose;
    const s = this.store.spans;
    const base = this.store.start(DialogField.Routes);
    const bytes = this.store.bytes;
    for (let i = loose ? 0 : 1; i < n; i++) {
      const o = ROUTE_SPANS + i * ROUTE_FIELDS;
      w.header(H.Route, bytes, base + s[o + START]!, s[o + LEN]!);
    }
    if (!loose && n > 0) w.headerName(H.Route).byte(60).span(target, targetStart, targetLen).byte(62).crlf();
  }

  /** Route i's value as a string (logs, tests). */
  routeString(i: number): string {
    if (i < 0 || i >= this.count) return "";
    let s = "";
    const o = ROUTE_SPANS + i * ROUTE_FIELDS;
    const spans = this.store.spans;
    const at = this.store.start(DialogField.Routes) + spans[o + START]!;
    for (let k = 0; k < spans[o + LEN]!; k++) s += String.fromCharCode(this.store.bytes[at + k]!);
    return s;
  }

  private firstIsLoose(a: NameAddr): boolean {
    if (!this.readUri(0, a)) return true;
    return a.uri.findParam(K_LR);
  }

  private reverse(): void {
    const n = this.count;
    const spans = this.store.spans;
    for (let i = 0, j = n - 1; i < j; i++, j--) {
      for (let f = 0; f < ROUTE_FIELDS; f++) {
        const p = ROUTE_SPANS + i * ROUTE_FIELDS + f;
        const q = ROUTE_SPANS + j * ROUTE_FIELDS + f;
        const t = spans[p]!;
        spans[p] = spans[q]!;
        spans[q] = t;
      }
    }
  }

  private fail(): boolean {
    this.clear();
    return false;
  }
}
