/*
 * A byte field with a fixed capacity: bytes that must outlive the message
 * they came from (the user agent's tag and dial URI). Set from a span,
 * compared with a span, written to a SipWriter: no allocation after
 * construction. A dialog's fields (RFC 3261 §12) share one variable-length
 * store instead (dialog-store.ts), with the same API.
 */
import { spansEqual, spanToString, utf8Write } from "../message/bytes";
import type { SipWriter } from "../message/writer";

export class Field {
  readonly bytes: Uint8Array;
  len = 0;

  /**
   * `capacity` bytes of its own, or, with `store`, a view of them at
   * `offset` in its owner's one buffer (a dialog's fields and routes, a
   * call's buffers): in XS a typed array costs 7 slots and a chunk of its
   * own, a view of a shared ArrayBuffer 4 slots and no chunk.
   */
  constructor(capacity: number, store?: ArrayBuffer, offset = 0) {
    this.bytes = store !== undefined ? new Uint8Array(store, offset, capacity) : new Uint8Array(capacity);
  }

  /** Copy a span; false (and the field emptied) when it does not fit. */
  set(src: Uint8Array, start: number, len: number): boolean {
    if (len < 0 || len > this.bytes.length) {
      this.len = 0;
      return false;
    }
    const out = this.bytes;
    for (let i = 0; i < len; i++) out[i] = src[start + i]!;
    this.len = len;
    return true;
  }

  copy(from: Field): boolean {
    return this.set(from.bytes, 0, from.len);
  }

  /** Set from a string (configuration, rare paths); false when it does not fit. */
  setText(text: string): boolean {
    const end = utf8Write(text, this.bytes, 0);
    this.len = end < 0 ? 0 : end;
    return end >= 0;
  }

  clear(): void {
    this.len = 0;
  }

  equals(src: Uint8Array, start: number, len: number): boolean {
    return spansEqual(this.bytes, 0, this.len, src, start, len);
  }

  sameAs(other: Field): boolean {
    return spansEqual(this.bytes, 0, this.len, other.bytes, 0, other.len);
  }

  write(w: SipWriter): SipWriter {
    return w.span(this.bytes, 0, this.len);
  }

  /** On demand, for logs and tests. */
  toString(): string {
    return spanToString(this.bytes, 0, this.len);
  }
}
