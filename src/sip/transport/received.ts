/*
 * The server transport's mark on a request's top Via (RFC 3261 §18.2.1,
 * RFC 3581 §4): "received" with the source address when the sent-by differs
 * from it (always when the client asked with rport), and the source port as
 * the value of an empty "rport". The request itself is a view of the receive
 * buffer and cannot grow, so the mark is applied to the responses instead:
 * their top Via is a copy of the request's (§8.2.6.2), and it is rewritten
 * while the response is copied into the transaction's buffer.
 */
import { LOWER } from "../message/chars";
import type { SipMessage } from "../message/message";

/**
 * Does the top Via of `msg` need "received" (§18.2.1, RFC 3581 §4)? The
 * source address comes as bytes (UdpTransport.source): reading a string's
 * characters would allocate in XS.
 */
export function needsReceived(msg: SipMessage, address: Uint8Array, addressLen: number): boolean {
  const via = msg.via;
  if (via.receivedLen >= 0) return false;
  if (via.rport >= 0) return true;
  if (via.hostLen !== addressLen) return true;
  for (let i = 0; i < addressLen; i++) if (msg.buf[via.hostStart + i] !== address[i]) return true;
  return false;
}

const RECEIVED = [59, 114, 101, 99, 101, 105, 118, 101, 100, 61]; // ";received="
const RPORT = [59, 114, 112, 111, 114, 116]; // ";rport"

/**
 * Copy the response src[0, n) into dst, adding ";received=" and
 * address[0, addressLen) to the
 * top Via when `received`, and "=<port>" to an empty ";rport" when `port` > 0.
 * Returns the length written, or -1 when dst is too small.
 */
export function copyStamped(src: Uint8Array, n: number, dst: Uint8Array, address: Uint8Array, addressLen: number, received: boolean, port: number): number {
  const line = topViaValue(src, n);
  if (line < 0 || (!received && port <= 0)) return copy(src, 0, n, dst, 0);
  // The top Via element ends at the first comma or line end.
  let end = line;
  while (end < n && src[end] !== 13 && src[end] !== 10 && src[end] !== 44) end++;
  while (end > line && (src[end - 1] === 32 || src[end - 1] === 9)) end--;
  const rport = port > 0 ? emptyRport(src, line, end) : -1;
  let o = 0;
  if (rport >= 0) {
    o = copy(src, 0, rport, dst, 0);
    o = put(dst, o, 61); // "="
    o = digits(dst, o, port);
    o = copy(src, rport, end, dst, o);
  } else {
    o = copy(src, 0, end, dst, 0);
  }
  if (received) {
    for (let i = 0; i < RECEIVED.length; i++) o = put(dst, o, RECEIVED[i]!);
    for (let i = 0; i < addressLen; i++) o = put(dst, o, address[i]!);
  }
  return copy(src, end, n, dst, o);
}

/**
 * copyStamped's mark applied where the response is, buf[0, n): what follows
 * each insertion moves towards the end of buf. For a stateless response,
 * which has no transaction buffer to be copied into, so that it needs no
 * second message buffer. Returns the new length, or -1 when buf is too small
 * (buf is then unchanged).
 */
export function stampInPlace(buf: Uint8Array, n: number, address: Uint8Array, addressLen: number, received: boolean, port: number): number {
  const line = topViaValue(buf, n);
  if (line < 0 || (!received && port <= 0)) return n;
  let end = line;
  while (end < n && buf[end] !== 13 && buf[end] !== 10 && buf[end] !== 44) end++;
  while (end > line && (buf[end - 1] === 32 || buf[end - 1] === 9)) end--;
  const rport = port > 0 ? emptyRport(buf, line, end) : -1;
  const portLen = rport >= 0 ? 1 + digitCount(port) : 0;
  const receivedLen = received ? RECEIVED.length + addressLen : 0;
  const total = n + portLen + receivedLen;
  if (total > buf.length) return -1;
  // From the back, so that nothing is overwritten before it has moved.
  moveRight(buf, end, n, portLen + receivedLen);
  if (received) {
    let o = end + portLen;
    for (let i = 0; i < RECEIVED.length; i++) buf[o++] = RECEIVED[i]!;
    for (let i = 0; i < addressLen; i++) buf[o++] = address[i]!;
  }
  if (rport >= 0) {
    moveRight(buf, rport, end, portLen);
    buf[rport] = 61; // "="
    digits(buf, rport + 1, port);
  }
  return total;
}

/** Move buf[from, to) by `by` bytes towards the end (the room is there). */
function moveRight(buf: Uint8Array, from: number, to: number, by: number): void {
  if (by === 0) return;
  for (let i = to - 1; i >= from; i--) buf[i + by] = buf[i]!;
}

function digitCount(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Offset of the top Via header's value in a serialized message, or -1. */
function topViaValue(src: Uint8Array, n: number): number {
  let i = nextLine(src, 0, n); // past the start line
  while (i < n) {
    if (src[i] === 13 || src[i] === 10) return -1; // the empty line: no Via
    // "Via:" or the compact "v:" (§7.3.3), any case, HCOLON allowing white space before ":".
    if (LOWER[src[i]!] === 118) {
      let j = i + 1;
      if (j + 1 < n && LOWER[src[j]!] === 105 && LOWER[src[j + 1]!] === 97) j += 2;
      while (j < n && (src[j] === 32 || src[j] === 9)) j++;
      if (j < n && src[j] === 58) {
        j++;
        while (j < n && (src[j] === 32 || src[j] === 9)) j++;
        return j;
      }
    }
    i = nextLine(src, i, n);
  }
  return -1;
}

function nextLine(src: Uint8Array, i: number, n: number): number {
  while (i < n && src[i] !== 10) i++;
  return i + 1;
}

/** The offset just after an ";rport" with no value in [start, end), or -1. */
function emptyRport(src: Uint8Array, start: number, end: number): number {
  for (let i = start; i + RPORT.length <= end; i++) {
    let k = 0;
    while (k < RPORT.length && LOWER[src[i + k]!] === RPORT[k]) k++;
    if (k < RPORT.length) continue;
    const after = i + k;
    if (after === end || src[after] === 59 || src[after] === 32 || src[after] === 9) return after;
  }
  return -1;
}

function copy(src: Uint8Array, from: number, to: number, dst: Uint8Array, o: number): number {
  if (o < 0 || o + (to - from) > dst.length) return -1;
  for (let i = from; i < to; i++) dst[o++] = src[i]!;
  return o;
}

function put(dst: Uint8Array, o: number, b: number): number {
  if (o < 0 || o >= dst.length) return -1;
  dst[o] = b;
  return o + 1;
}

function digits(dst: Uint8Array, o: number, n: number): number {
  let div = 1;
  while (n / div >= 10) div *= 10;
  while (div >= 1 && o >= 0) {
    o = put(dst, o, 48 + (Math.floor(n / div) % 10));
    div /= 10;
  }
  return o;
}
