/*
 * IPv4 addresses as numbers, read from bytes (an SDP body) and written as
 * text only on demand. A number is compared without a string: in XS every
 * string made from a body's bytes is a new chunk, and reading a string's
 * characters allocates too (src/ua/trust/ipv4.ts reads strings, for
 * configuration and datagram sources).
 */
import { Ch } from "../message/chars";

/**
 * The dotted quad buf[start, start+len) (RFC 4566 §9 IP4-address: four
 * decimals 0-255; no leading zeros, which some parsers read as octal) as an
 * unsigned 32-bit value; -1 when it is not one (an FQDN, say).
 */
export function readIpv4(buf: Uint8Array, start: number, len: number): number {
  let value = 0;
  let part = -1;
  let dots = 0;
  for (let i = start, end = start + len; i < end; i++) {
    const b = buf[i]!;
    if (b >= Ch.Zero && b <= Ch.Zero + 9) {
      if (part === 0) return -1;
      part = part < 0 ? b - Ch.Zero : part * 10 + (b - Ch.Zero);
      if (part > 255) return -1;
    } else if (b === Ch.Dot) {
      if (part < 0 || dots === 3) return -1;
      value = value * 256 + part;
      dots++;
      part = -1;
    } else {
      return -1;
    }
  }
  if (part < 0 || dots !== 3) return -1;
  return value * 256 + part;
}

/** "a.b.c.d" of an unsigned 32-bit value: a new string (only when an address changes). */
export function ipv4Text(value: number): string {
  return (value >>> 24) + "." + ((value >>> 16) & 255) + "." + ((value >>> 8) & 255) + "." + (value & 255);
}
