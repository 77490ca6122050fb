/*
 * One variable-length store per dialog (issue #9, the idle heap): the
 * Call-ID, the two tags, the local and remote URI, the remote target and
 * the route set (RFC 3261 §12.1.1, §12.1.2: state that must outlive the
 * message it came from) packed end to end in one byte buffer, their starts
 * and lengths in one Uint16Array. Separate buffers at their full caps (six
 * fields and the route set) took 1,856 bytes and eight typed-array views; a
 * real dialog holds a fraction of that (Asterisk, FreeSWITCH, Kamailio,
 * FRITZ!Box and 3CX use Call-IDs of 30-50 bytes, tags of 8-36, URIs of
 * 20-80, a route set of a few hops of 50-100 bytes each), so the store is
 * sized for what dialogs hold, and each
 * field keeps its cap where that protects something (a 4 KB Call-ID must
 * not take the store from the URIs).
 *
 * Rewriting one field (a remote target refresh, §12.2; the remote tag of a
 * 2xx after an early dialog, §13.2.2.4) moves the fields after it, so the
 * others stay intact. No allocation after construction; nothing throws: a
 * field that does not fit is refused (false) and left empty, as a Field is.
 */
import { spansEqual, spanToString } from "../message/bytes";
import type { SipWriter } from "../message/writer";

/**
 * The fields, in their order in the store. The local tag is first, so it
 * always starts at byte 0: responses take the To tag from offset 0 of a
 * buffer (writeResponseHead), and a call writes its tag there before the
 * dialog exists (§8.2.6.2). The route set is last: its routes are appended
 * one by one without moving anything, and the fields a dialog changes
 * (remote tag, remote target) move only the routes.
 */
export const enum DialogField {
  LocalTag = 0,
  CallId = 1,
  LocalUri = 2,
  RemoteUri = 3,
  RemoteTag = 4,
  RemoteTarget = 5,
  Routes = 6,
  Count = 7,
}

/** Per-field caps, as the separate fields had them. */
export const CALL_ID_BYTES = 128;
export const TAG_BYTES = 64;
export const URI_BYTES = 256;
/** Bytes for all routes together. */
export const ROUTE_BYTES = 768;
/** More hops than a door station meets behind any PBX; more are refused rather than cut. */
export const MAX_ROUTES = 8;

/**
 * The whole store: the six fields' caps together, so every dialog without a
 * route set that fitted the separate fields still fits; some twice what the
 * PBXs above put in a dialog with two record-routing proxies; a route set of
 * up to ROUTE_BYTES beside short tags and URIs. Only a route set competes
 * with the fields for room: more than fits is refused (the dialog is not
 * made: 400 for an INVITE, as for a Call-ID over its cap).
 */
export const DIALOG_STORE_BYTES = 1024;

/** Caps by field (a module constant: on the device in the read-only preloaded heap). */
const CAPS = [TAG_BYTES, CALL_ID_BYTES, URI_BYTES, URI_BYTES, TAG_BYTES, URI_BYTES, ROUTE_BYTES];

/**
 * The layout of `spans`: START and LEN of each field, then the route set's
 * count, its loose flag and four numbers per route (see route-set.ts).
 */
const FIELD_SPANS = 2 * DialogField.Count;
export const ROUTE_COUNT = FIELD_SPANS;
export const ROUTE_LOOSE = FIELD_SPANS + 1;
export const ROUTE_SPANS = FIELD_SPANS + 2;
/** Per route: START, LEN, URI_START, URI_LEN (relative to the route field's start). */
export const ROUTE_FIELDS = 4;
const SPANS = ROUTE_SPANS + ROUTE_FIELDS * MAX_ROUTES;
/**
 * After the spans, the dialog's own numbers (dialog.ts: its CSeqs as two
 * 16-bit halves each, its state bits, the fallback port), which clear()
 * leaves alone: in XS a property is a heap slot per dialog (16 bytes on
 * the device), an entry here 2 bytes.
 */
export const LOCAL_SEQ = SPANS;
export const REMOTE_SEQ = SPANS + 2;
export const DIALOG_BITS = SPANS + 4;
export const FALLBACK_PORT = SPANS + 5;
const NUMBERS = SPANS + 6;
/** What a store takes of a buffer it is given (at an even offset): its spans and numbers, then its bytes. */
export const DIALOG_BUFFER_BYTES = 2 * NUMBERS + DIALOG_STORE_BYTES;

export class DialogStore {
  readonly bytes: Uint8Array;
  /** Starts and lengths, and the route set's numbers: one typed array (a view costs 4 slots, its own array 7). */
  readonly spans: Uint16Array;

  /**
   * With `buffer`, the store takes DIALOG_BUFFER_BYTES of it from `offset`
   * (even): views of an owner's one buffer (a call's) cost no ArrayBuffer
   * and no chunk of their own.
   */
  constructor(buffer?: ArrayBuffer, offset = 0) {
    const b = buffer !== undefined ? buffer : new ArrayBuffer(DIALOG_BUFFER_BYTES);
    const at = buffer !== undefined ? offset : 0;
    // The spans first: 16-bit, at an even offset.
    this.spans = new Uint16Array(b, at, NUMBERS);
    this.bytes = new Uint8Array(b, at + 2 * NUMBERS, DIALOG_STORE_BYTES);
    this.clear();
  }

  /** Every field empty, the route set empty and loose (the numbers after the spans stay). */
  clear(): void {
    const s = this.spans;
    for (let i = 0; i < SPANS; i++) s[i] = 0;
    s[ROUTE_LOOSE] = 1;
  }

  start(f: DialogField): number {
    return this.spans[2 * f]!;
  }

  len(f: DialogField): number {
    return this.spans[2 * f + 1]!;
  }

  /** Bytes in use: the end of the last field. */
  get used(): number {
    return this.spans[2 * DialogField.Routes]! + this.spans[2 * DialogField.Routes + 1]!;
  }

  /**
   * Make field `f` `len` bytes long, moving the fields after it (its first
   * min(old, new) bytes stay). Returns its start, or -1 when `len` is over
   * the field's cap or the store's room: the field is then empty.
   */
  resize(f: DialogField, len: number): number {
    const s = this.spans;
    const at = s[2 * f]!;
    const old = s[2 * f + 1]!;
    if (len === old) return at;
    const used = this.used;
    if (len < 0 || len > CAPS[f]! || used - old + len > this.bytes.length) {
      if (old > 0) this.resize(f, 0);
      return -1;
    }
    // Move the tail [at+old, used) to at+len: backwards when it grows, forwards when it shrinks.
    const b = this.bytes;
    const from = at + old;
    const delta = len - old;
    if (delta > 0) for (let i = used - 1; i >= from; i--) b[i + delta] = b[i]!;
    else for (let i = from; i < used; i++) b[i + delta] = b[i]!;
    for (let g = f + 1; g < DialogField.Count; g++) s[2 * g] = s[2 * g]! + delta;
    s[2 * f + 1] = len;
    return at;
  }
}

/**
 * One field of a store, with the API a Field has (set, equals, sameAs,
 * write, toString, len): callers keep their code. Its bytes are
 * bytes[start, start + len): unlike a Field's, they need not start at 0.
 * Which field it is comes from its class (see storeField): in XS a
 * property is a heap slot per object, an accessor on the prototype none.
 */
export abstract class StoreField {
  private readonly store: DialogStore;

  constructor(store: DialogStore) {
    this.store = store;
  }

  abstract get id(): DialogField;

  /** The store's whole buffer: this field is bytes[start, start + len). Valid until a field before or this one changes. */
  get bytes(): Uint8Array {
    return this.store.bytes;
  }

  get start(): number {
    return this.store.spans[2 * this.id]!;
  }

  get len(): number {
    return this.store.spans[2 * this.id + 1]!;
  }

  get cap(): number {
    return CAPS[this.id]!;
  }

  /**
   * Copy a span; false (and the field emptied) when it does not fit. `src`
   * may be the store's own bytes only at this field's own start (initUas
   * re-taking the tag a call wrote).
   */
  set(src: Uint8Array, start: number, len: number): boolean {
    const at = this.store.resize(this.id, len);
    if (at < 0) return false;
    const out = this.store.bytes;
    for (let i = 0; i < len; i++) out[at + i] = src[start + i]!;
    return true;
  }

  /** Copy another dialog's field. */
  copy(from: StoreField): boolean {
    return this.set(from.bytes, from.start, from.len);
  }

  /**
   * Make room for `len` bytes the caller writes itself (a new Call-ID or
   * tag): their start in `bytes`, or -1 (the field empty) when they do not fit.
   */
  reserve(len: number): number {
    return this.store.resize(this.id, len);
  }

  clear(): void {
    this.store.resize(this.id, 0);
  }

  // Below: the spans read once per call (each accessor is a call in XS).

  equals(src: Uint8Array, start: number, len: number): boolean {
    const s = this.store;
    const i = 2 * this.id;
    return spansEqual(s.bytes, s.spans[i]!, s.spans[i + 1]!, src, start, len);
  }

  sameAs(other: StoreField): boolean {
    const s = this.store;
    const i = 2 * this.id;
    return spansEqual(s.bytes, s.spans[i]!, s.spans[i + 1]!, other.bytes, other.start, other.len);
  }

  write(w: SipWriter): SipWriter {
    const s = this.store;
    const i = 2 * this.id;
    return w.span(s.bytes, s.spans[i]!, s.spans[i + 1]!);
  }

  /** On demand, for logs and tests. */
  toString(): string {
    const s = this.store;
    const i = 2 * this.id;
    return spanToString(s.bytes, s.spans[i]!, s.spans[i + 1]!);
  }
}

class LocalTagField extends StoreField {
  get id(): DialogField { return DialogField.LocalTag; }
}
class CallIdField extends StoreField {
  get id(): DialogField { return DialogField.CallId; }
}
class LocalUriField extends StoreField {
  get id(): DialogField { return DialogField.LocalUri; }
}
class RemoteUriField extends StoreField {
  get id(): DialogField { return DialogField.RemoteUri; }
}
class RemoteTagField extends StoreField {
  get id(): DialogField { return DialogField.RemoteTag; }
}
class RemoteTargetField extends StoreField {
  get id(): DialogField { return DialogField.RemoteTarget; }
}

/** Field `id` of `store` (the route set is read through RouteSet, not a StoreField: it gives the LocalTag's). */
export function storeField(store: DialogStore, id: DialogField): StoreField {
  switch (id) {
    case DialogField.CallId: return new CallIdField(store);
    case DialogField.LocalUri: return new LocalUriField(store);
    case DialogField.RemoteUri: return new RemoteUriField(store);
    case DialogField.RemoteTag: return new RemoteTagField(store);
    case DialogField.RemoteTarget: return new RemoteTargetField(store);
    default: return new LocalTagField(store);
  }
}
