/*
 * Big-endian unsigned 32-bit numbers read and written in place in a
 * Uint8Array (network byte order: RTP and RTCP fields, and the user agent's
 * hashes of ended dialogs kept in its ids array). Allocation-free.
 */

/** A big-endian unsigned 32-bit number at `at`. */
export function readU32(buf: Uint8Array, at: number): number {
  return ((buf[at]! << 24) | (buf[at + 1]! << 16) | (buf[at + 2]! << 8) | buf[at + 3]!) >>> 0;
}

/** `v` as a big-endian unsigned 32-bit number at `at`. */
export function writeU32(buf: Uint8Array, at: number, v: number): void {
  buf[at] = (v >>> 24) & 0xff;
  buf[at + 1] = (v >>> 16) & 0xff;
  buf[at + 2] = (v >>> 8) & 0xff;
  buf[at + 3] = v & 0xff;
}
