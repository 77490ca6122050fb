/*
 * Lower-case hex digits of 32-bit words, written into bytes without building
 * strings. Lower case because SIP compares branch and tag values as opaque
 * tokens and hex-ness should never surprise a case-sensitive peer.
 */

/** ASCII code of hex digit `n` (0..15), lower case. */
export function hexDigit(n: number): number {
  return n < 10 ? 48 + n : 87 + n;
}

/** Write `value` as 8 hex digits at `offset` (caller checks room); returns the new offset. */
export function writeHex32(value: number, out: Uint8Array, offset: number): number {
  for (let shift = 28; shift >= 0; shift -= 4) out[offset++] = hexDigit((value >>> shift) & 15);
  return offset;
}

/** `value` as 8 hex digits (rare paths: nc in digest auth, string ids). */
export function hex32(value: number): string {
  let s = "";
  for (let shift = 28; shift >= 0; shift -= 4) s += String.fromCharCode(hexDigit((value >>> shift) & 15));
  return s;
}
