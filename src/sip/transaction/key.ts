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
 *
 * A key is a byte view and these functions (issue #9, the idle heap: in XS a
 * view costs 4 slots, an object a slot and each property another, 16 bytes
 * each on the device): first KEY_HEAD bytes that belong to its owner (a
 * server transaction keeps the request's source address there, for
 * "received", §18.2.1: one view for both), then the key's numbers as bytes
 * (length and prefix 16 bits each, the mode), then the key itself.
 */
import { LOWER } from "../message/chars";
import { H } from "../message/header";
import type { SipMessage } from "../message/message";
import type { Method } from "../message/method";
import { ADDRESS_BYTES } from "../transport/udp-transport";

export const enum KeyMode {
  None = 0,
  Rfc3261 = 1,
  Rfc2543 = 2,
}

/** Room for a branch and a sent-by with plenty to spare; RFC 2543 keys longer than this are unmatchable. */
export const KEY_BYTES = 256;

/** The owner's bytes at the head of a key's view: a source address (ADDRESS_BYTES). */
export const KEY_HEAD = ADDRESS_BYTES;
const LENGTH_AT = KEY_HEAD;
const PREFIX_AT = KEY_HEAD + 2;
const MODE_AT = KEY_HEAD + 4;
/** Where the key's bytes start in the view. */
const AT = KEY_HEAD + 6;
/** What a key takes of a buffer (its view). */
export const KEY_VIEW_BYTES = AT + KEY_BYTES;

/** A key of its own (tests; the layer's keys are views of its buffer). */
export function newKey(): Uint8Array {
  return new Uint8Array(KEY_VIEW_BYTES);
}

/** Bytes of the key. */
export function keyLength(k: Uint8Array): number {
  return k[LENGTH_AT]! * 256 + k[LENGTH_AT + 1]!;
}

/** RFC 2543 keys: where the To tag starts (ACK matching stops there). */
export function keyPrefix(k: Uint8Array): number {
  return k[PREFIX_AT]! * 256 + k[PREFIX_AT + 1]!;
}

export function keyMode(k: Uint8Array): KeyMode {
  return k[MODE_AT]!;
}

function setLength(k: Uint8Array, n: number): void {
  k[LENGTH_AT] = n >> 8;
  k[LENGTH_AT + 1] = n & 255;
}

function setPrefix(k: Uint8Array, n: number): void {
  k[PREFIX_AT] = n >> 8;
  k[PREFIX_AT + 1] = n & 255;
}

/** No key (matches nothing); the owner's head is left as it is. */
export function keyClear(k: Uint8Array): void {
  k[MODE_AT] = KeyMode.None;
  setLength(k, 0);
  setPrefix(k, 0);
}

/** Build in k the key of request `msg` for a transaction of `method` (§17.2.3). False, k cleared, when there is none. */
export function keyFromRequest(k: Uint8Array, msg: SipMessage, method: Method): boolean {
  keyClear(k);
  const via = msg.via;
  if (msg.first[H.Via]! < 0 || via.error >= 0 || msg.cseq < 0) return false;
  const buf = msg.buf;
  const rfc3261 = via.hasMagicCookie();
  let ok: boolean;
  if (rfc3261) {
    ok = put(k, KeyMode.Rfc3261) && put(k, method) && span(k, buf, via.branchStart, via.branchLen, false);
    // sent-by: host names are case-insensitive (§19.1.4); the port as written (absent is not 5060 here:
    // a retransmission carries the very same Via).
    ok = ok && span(k, buf, via.hostStart, via.hostLen, true) && put(k, via.port < 0 ? 255 : 1) && put(k, (via.port >> 8) & 255) && put(k, via.port & 255);
    setPrefix(k, keyLength(k));
  } else {
    ok = put(k, KeyMode.Rfc2543) && put(k, method) && span(k, buf, msg.uriStart, msg.uriLen, false);
    const hasFrom = msg.first[H.From]! >= 0 && msg.from.error < 0;
    ok = ok && span(k, buf, msg.from.tagStart, hasFrom ? msg.from.tagLen : -1, false);
    ok = ok && span(k, buf, msg.callIdStart, msg.callIdLen, false);
    const n = msg.cseq;
    ok = ok && put(k, (n >>> 24) & 255) && put(k, (n >>> 16) & 255) && put(k, (n >>> 8) & 255) && put(k, n & 255);
    ok = ok && span(k, buf, via.protocolStart, via.paramsEnd - via.protocolStart, false);
    setPrefix(k, keyLength(k));
    const hasTo = msg.first[H.To]! >= 0 && msg.to.error < 0;
    ok = ok && span(k, buf, msg.to.tagStart, hasTo ? msg.to.tagLen : -1, false);
  }
  if (!ok) {
    keyClear(k);
    return false;
  }
  k[MODE_AT] = rfc3261 ? KeyMode.Rfc3261 : KeyMode.Rfc2543;
  return true;
}

/** Copy key `from` into `to` (not the owner's head). */
export function keyCopy(to: Uint8Array, from: Uint8Array): void {
  const n = keyLength(from);
  for (let i = LENGTH_AT; i < AT + n; i++) to[i] = from[i]!;
}

/** Same transaction (§17.2.3), for requests other than ACK. */
export function keyEquals(a: Uint8Array, b: Uint8Array): boolean {
  const mode = a[MODE_AT]!;
  if (mode === KeyMode.None || mode !== b[MODE_AT]) return false;
  const n = keyLength(a);
  return n === keyLength(b) && same(a, b, n);
}

/** Does an ACK with key `ack` (built for INVITE) belong to the INVITE transaction of key `invite`? */
export function keyMatchesAck(invite: Uint8Array, ack: Uint8Array): boolean {
  const mode = invite[MODE_AT]!;
  if (mode === KeyMode.None || mode !== ack[MODE_AT]) return false;
  if (mode === KeyMode.Rfc3261) return keyEquals(invite, ack);
  const n = keyPrefix(invite);
  return n === keyPrefix(ack) && same(invite, ack, n);
}

function put(k: Uint8Array, b: number): boolean {
  const n = keyLength(k);
  if (n >= KEY_BYTES) return false;
  k[AT + n] = b;
  setLength(k, n + 1);
  return true;
}

/** Length (16 bits, 0xffff for "absent") then the bytes, lower-cased when asked. */
function span(k: Uint8Array, src: Uint8Array, start: number, len: number, lower: boolean): boolean {
  const n = len < 0 ? 0 : len;
  const length = keyLength(k);
  if (length + 2 + n > KEY_BYTES) return false;
  let p = AT + length;
  const mark = len < 0 ? 0xffff : len;
  k[p++] = (mark >> 8) & 255;
  k[p++] = mark & 255;
  for (let i = 0; i < n; i++) k[p++] = lower ? LOWER[src[start + i]!]! : src[start + i]!;
  setLength(k, p - AT);
  return true;
}

/** The first n bytes of two keys. */
function same(a: Uint8Array, b: Uint8Array, n: number): boolean {
  for (let i = AT; i < AT + n; i++) if (a[i] !== b[i]) return false;
  return true;
}
