/*
 * Server transaction matching keys (RFC 3261 §17.2.3), as bytes in a
 * preallocated buffer so that matching a request is a byte comparison with
 * no strings.
 *
 * - RFC 3261 key, when the top Via branch starts with the magic cookie
 *   "z9hG4bK": branch + sent-by (host and port) + method, where an ACK and a
 *   CANCEL look for INVITE (the caller passes the method to key on).
 * - RFC 2543 fallback, for branches without the cookie: Request-URI, From
 *   tag, Call-ID, CSeq number, the whole top Via, and the method; then the To
 *   tag. An ACK compares everything before the To tag: its To tag is the one
 *   of our response, which the INVITE did not carry (§17.2.3 asks to compare
 *   it with the response's tag; we accept any, the rest already identifies
 *   the INVITE).
 *
 * Every field is written with its length first, so fields cannot run into
 * each other. A key that does not fit the buffer is left unmatchable: its
 * retransmissions then look like new requests, which is safe, only wasteful.
 */
import { LOWER } from "../message/chars";
import { H } from "../message/header";
import type { SipMessage } from "../message/message";
import type { Method } from "../message/method";

export const enum KeyMode {
  None = 0,
  Rfc3261 = 1,
  Rfc2543 = 2,
}

/** Room for a branch and a sent-by with plenty to spare; RFC 2543 keys longer than this are unmatchable. */
export const KEY_BYTES = 256;

export class TransactionKey {
  readonly bytes: Uint8Array;
  length = 0;
  /** RFC 2543 keys: where the To tag starts (ACK matching stops there). */
  prefix = 0;
  mode: KeyMode = KeyMode.None;

  /** `bytes`: where the key is kept (a transaction lends a view of its own buffer), else a new array of KEY_BYTES. */
  constructor(bytes?: Uint8Array) {
    this.bytes = bytes ?? new Uint8Array(KEY_BYTES);
  }

  clear(): void {
    this.mode = KeyMode.None;
    this.length = this.prefix = 0;
  }

  /** Build the key of request `msg` for a transaction of `method` (§17.2.3). False when there is none. */
  fromRequest(msg: SipMessage, method: Method): boolean {
    this.length = this.prefix = 0;
    this.mode = KeyMode.None;
    const via = msg.via;
    if (msg.first[H.Via]! < 0 || via.error >= 0 || msg.cseq < 0) return false;
    const buf = msg.buf;
    let ok: boolean;
    if (via.hasMagicCookie()) {
      ok = this.put(KeyMode.Rfc3261) && this.put(method) && this.span(buf, via.branchStart, via.branchLen, false);
      // sent-by: host names are case-insensitive (§19.1.4); the port as written (absent is not 5060 here:
      // a retransmission carries the very same Via).
      ok = ok && this.span(buf, via.hostStart, via.hostLen, true) && this.put(via.port < 0 ? 255 : 1) && this.put((via.port >> 8) & 255) && this.put(via.port & 255);
      this.prefix = this.length;
    } else {
      ok = this.put(KeyMode.Rfc2543) && this.put(method) && this.span(buf, msg.uriStart, msg.uriLen, false);
      const hasFrom = msg.first[H.From]! >= 0 && msg.from.error < 0;
      ok = ok && this.span(buf, msg.from.tagStart, hasFrom ? msg.from.tagLen : -1, false);
      ok = ok && this.span(buf, msg.callIdStart, msg.callIdLen, false);
      const n = msg.cseq;
      ok = ok && this.put((n >>> 24) & 255) && this.put((n >>> 16) & 255) && this.put((n >>> 8) & 255) && this.put(n & 255);
      ok = ok && this.span(buf, via.protocolStart, via.paramsEnd - via.protocolStart, false);
      this.prefix = this.length;
      const hasTo = msg.first[H.To]! >= 0 && msg.to.error < 0;
      ok = ok && this.span(buf, msg.to.tagStart, hasTo ? msg.to.tagLen : -1, false);
    }
    if (!ok) {
      this.length = this.prefix = 0;
      return false;
    }
    this.mode = via.hasMagicCookie() ? KeyMode.Rfc3261 : KeyMode.Rfc2543;
    return true;
  }

  copyFrom(other: TransactionKey): boolean {
    if (other.length > this.bytes.length) {
      this.clear();
      return false;
    }
    const a = this.bytes;
    const b = other.bytes;
    for (let i = 0; i < other.length; i++) a[i] = b[i]!;
    this.length = other.length;
    this.prefix = other.prefix;
    this.mode = other.mode;
    return true;
  }

  /** Same transaction (§17.2.3), for requests other than ACK. */
  equals(other: TransactionKey): boolean {
    if (this.mode === KeyMode.None || this.mode !== other.mode || this.length !== other.length) return false;
    return same(this.bytes, other.bytes, this.length);
  }

  /** Does an ACK with key `ack` (built for INVITE) belong to this INVITE transaction? */
  matchesAck(ack: TransactionKey): boolean {
    if (this.mode === KeyMode.None || this.mode !== ack.mode) return false;
    if (this.mode === KeyMode.Rfc3261) return this.equals(ack);
    return this.prefix === ack.prefix && same(this.bytes, ack.bytes, this.prefix);
  }

  private put(b: number): boolean {
    if (this.length >= this.bytes.length) return false;
    this.bytes[this.length++] = b;
    return true;
  }

  /** Length (16 bits, 0xffff for "absent") then the bytes, lower-cased when asked. */
  private span(src: Uint8Array, start: number, len: number, lower: boolean): boolean {
    const n = len < 0 ? 0 : len;
    if (this.length + 2 + n > this.bytes.length) return false;
    const out = this.bytes;
    let p = this.length;
    const mark = len < 0 ? 0xffff : len;
    out[p++] = (mark >> 8) & 255;
    out[p++] = mark & 255;
    for (let i = 0; i < n; i++) out[p++] = lower ? LOWER[src[start + i]!]! : src[start + i]!;
    this.length = p;
    return true;
  }
}

function same(a: Uint8Array, b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}
