/*
 * IPv4 addresses as numbers, for matching a datagram's source against
 * address ranges (CIDR, RFC 4632 §3.1). Reading a string's characters
 * allocates in XS, so callers parse a source address only when it changes
 * (see TrustedSources) and configuration once.
 */

/** "192.0.2.7" → its 32-bit value (unsigned), or -1 when the text is not a dotted-quad IPv4 address. */
export function parseIpv4(text: string): number {
  let value = 0;
  let part = -1;
  let parts = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // No leading zeros beyond a lone "0": "010" is octal to some parsers, ambiguous here.
      if (part === 0) return -1;
      part = part < 0 ? c - 48 : part * 10 + (c - 48);
      if (part > 255) return -1;
    } else if (c === 46 /* . */) {
      if (part < 0 || parts === 3) return -1;
      value = value * 256 + part;
      parts++;
      part = -1;
    } else {
      return -1;
    }
  }
  if (part < 0 || parts !== 3) return -1;
  return value * 256 + part;
}

/** The network mask of a prefix length (0-32) as an unsigned 32-bit value. */
export function prefixMask(bits: number): number {
  return bits <= 0 ? 0 : bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
}

/** Is `address` (a parsed IPv4 value) inside net/mask? */
export function inNetwork(address: number, net: number, mask: number): boolean {
  return address >= 0 && ((address & mask) >>> 0) === net;
}

/**
 * The networks a door station without a SIP server takes requests from:
 * loopback (RFC 1122 §3.2.1.3), the private networks of RFC 1918 §3 and
 * link-local (RFC 3927): the local networks, never the Internet.
 */
const LOCAL_V4: readonly number[] = [
  0x7f000000, 8, // 127.0.0.0/8
  0x0a000000, 8, // 10.0.0.0/8
  0xac100000, 12, // 172.16.0.0/12
  0xc0a80000, 16, // 192.168.0.0/16
  0xa9fe0000, 16, // 169.254.0.0/16
];

export function isLocalIpv4(address: number): boolean {
  if (address < 0) return false;
  for (let i = 0; i < LOCAL_V4.length; i += 2) if (inNetwork(address, LOCAL_V4[i]!, prefixMask(LOCAL_V4[i + 1]!))) return true;
  return false;
}

/**
 * The IPv6 counterparts, by text: loopback ::1, unique local fc00::/7
 * (RFC 4193) and link-local fe80::/10 (RFC 4291 §2.5.6).
 */
export function isLocalIpv6(text: string): boolean {
  if (text === "::1") return true;
  if (text.length < 4 || text.indexOf(":") < 0) return false;
  const c0 = text.charCodeAt(0) | 0x20;
  const c1 = text.charCodeAt(1) | 0x20;
  const c2 = text.charCodeAt(2) | 0x20;
  if (c0 !== 0x66 /* f */) return false;
  if (c1 === 0x63 /* c */ || c1 === 0x64 /* d */) return true;
  return c1 === 0x65 /* e */ && (c2 === 0x38 || c2 === 0x39 || c2 === 0x61 || c2 === 0x62); // fe8x-febx
}
