/*
 * Classic libpcap files (not pcapng), Node side: a reader that extracts the
 * UDP datagrams of a capture (one SIP message each), and a writer for the
 * Node host's own traffic (`--pcap FILE`).
 *
 * Reader: both byte orders, microsecond (0xa1b2c3d4) and nanosecond
 * (0xa1b23c4d) timestamps; link types null/loopback (0, 108), Ethernet (1,
 * with 802.1Q / 802.1ad VLAN tags), raw IP (101, and 12/14 as some BSDs
 * wrote it), IPv4 (228), IPv6 (229), Linux cooked SLL (113) and SLL2 (276);
 * IPv4 and IPv6 (extension headers skipped), fragments reassembled. Packets
 * that are not UDP are skipped and counted.
 *
 * Writer: IPv4 or IPv6 UDP packets over LINKTYPE_RAW (101, the default: the
 * IP version nibble tells them apart), LINKTYPE_IPV4 (228) or Ethernet (1,
 * with fixed fake MAC addresses); IPv4 header checksum and UDP checksum
 * computed.
 * See https://www.tcpdump.org/linktypes.html and pcap-savefile(5).
 */
import { closeSync, openSync, writeSync } from "node:fs";

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_LINUX_SLL2 = 276;
/** DLT_RAW as some systems wrote it in files (the link-type registry maps both to LINKTYPE_RAW). */
const DLT_RAW_BSD = 12;
const DLT_RAW_OPENBSD = 14;

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const MAGIC_US_SWAPPED = 0xd4c3b2a1;
const MAGIC_NS_SWAPPED = 0x4d3cb2a1;
const PCAPNG_MAGIC = 0x0a0d0d0a;
const FILE_HEADER = 24;
const RECORD_HEADER = 16;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;
const IPPROTO_UDP = 17;

export class PcapError extends Error {
  override name = "PcapError";
}

/** One UDP datagram found in a capture. */
export interface UdpDatagram {
  /** The record number in the file, from 1 (Wireshark's frame number); for a reassembled datagram, its last fragment's. */
  packet: number;
  /** Capture time, milliseconds since the epoch (fractional). */
  timeMs: number;
  srcIp: string;
  srcPort: number;
  dstIp: string;
  dstPort: number;
  payload: Uint8Array;
  /** The capture cut the datagram short (snap length): the payload is incomplete. */
  truncated: boolean;
}

export interface PcapContents {
  linkType: number;
  /** Timestamps had nanosecond resolution. */
  nanosecond: boolean;
  /** Records in the file. */
  packets: number;
  datagrams: UdpDatagram[];
  /** Records skipped: not IP, not UDP, or an unsupported link type. */
  skipped: number;
  /** The file ends inside a record. */
  truncatedFile: boolean;
}

/** Does this look like a classic pcap file? */
export function isPcap(buf: Uint8Array): boolean {
  if (buf.length < 4) return false;
  const m = new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0, false);
  return m === MAGIC_US || m === MAGIC_NS || m === MAGIC_US_SWAPPED || m === MAGIC_NS_SWAPPED;
}

/** Does this look like a pcapng file (which this reader does not read)? */
export function isPcapng(buf: Uint8Array): boolean {
  return buf.length >= 4 && new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0, false) === PCAPNG_MAGIC;
}

/** Read a classic pcap file. Throws PcapError when the file header is not one. */
export function readPcap(buf: Uint8Array): PcapContents {
  if (isPcapng(buf)) {
    throw new PcapError("pcapng files are not supported: convert with `editcap -F pcap IN OUT` or `tshark -F pcap -r IN -w OUT`");
  }
  if (buf.length < FILE_HEADER || !isPcap(buf)) throw new PcapError("not a pcap file");
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const magic = view.getUint32(0, false);
  const le = magic === MAGIC_US_SWAPPED || magic === MAGIC_NS_SWAPPED;
  const nanosecond = magic === MAGIC_NS || magic === MAGIC_NS_SWAPPED;
  // The link type's low 16 bits (the upper bits may carry FCS information).
  const linkType = view.getUint32(20, le) & 0xffff;
  const out: PcapContents = { linkType, nanosecond, packets: 0, datagrams: [], skipped: 0, truncatedFile: false };
  const frags = new Reassembler();
  let at = FILE_HEADER;
  while (at < buf.length) {
    if (at + RECORD_HEADER > buf.length) {
      out.truncatedFile = true;
      break;
    }
    const sec = view.getUint32(at, le);
    const frac = view.getUint32(at + 4, le);
    const incl = view.getUint32(at + 8, le);
    const orig = view.getUint32(at + 12, le);
    const start = at + RECORD_HEADER;
    if (start + incl > buf.length) {
      out.truncatedFile = true;
      break;
    }
    at = start + incl;
    out.packets++;
    const rec: Rec = {
      packet: out.packets,
      timeMs: sec * 1000 + (nanosecond ? frac / 1e6 : frac / 1e3),
      cut: orig > incl,
    };
    const d = decodeLink(buf.subarray(start, start + incl), linkType, le, rec, frags);
    if (d) out.datagrams.push(d);
    else if (d === null) out.skipped++;
  }
  return out;
}

interface Rec {
  packet: number;
  timeMs: number;
  cut: boolean;
}

/** A datagram, null when the packet is skipped, undefined when it is a fragment held for reassembly. */
type Decoded = UdpDatagram | null | undefined;

function decodeLink(p: Uint8Array, linkType: number, fileLe: boolean, rec: Rec, frags: Reassembler): Decoded {
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  switch (linkType) {
    case LINKTYPE_ETHERNET: {
      if (p.length < 14) return null;
      let type = v.getUint16(12, false);
      let off = 14;
      while ((type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) && off + 4 <= p.length) {
        type = v.getUint16(off + 2, false);
        off += 4;
      }
      return decodeEtherType(p.subarray(off), type, rec, frags);
    }
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP: {
      if (p.length < 4) return null;
      // NULL: the AF_ value in the writer's byte order (taken as the file's, with a fallback); LOOP: network order.
      let family = linkType === LINKTYPE_LOOP ? v.getUint32(0, false) : v.getUint32(0, fileLe);
      if (family > 0xffff) family = v.getUint32(0, !fileLe);
      // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
      if (family === 2) return decodeIp(p.subarray(4), 4, rec, frags);
      if (family === 10 || family === 24 || family === 28 || family === 30) return decodeIp(p.subarray(4), 6, rec, frags);
      return null;
    }
    case LINKTYPE_RAW:
    case DLT_RAW_BSD:
    case DLT_RAW_OPENBSD:
      return p.length > 0 ? decodeIp(p, p[0]! >> 4, rec, frags) : null;
    case LINKTYPE_IPV4:
      return decodeIp(p, 4, rec, frags);
    case LINKTYPE_IPV6:
      return decodeIp(p, 6, rec, frags);
    case LINKTYPE_LINUX_SLL:
      return p.length < 16 ? null : decodeEtherType(p.subarray(16), v.getUint16(14, false), rec, frags);
    case LINKTYPE_LINUX_SLL2:
      return p.length < 20 ? null : decodeEtherType(p.subarray(20), v.getUint16(0, false), rec, frags);
    default:
      return null;
  }
}

function decodeEtherType(p: Uint8Array, type: number, rec: Rec, frags: Reassembler): Decoded {
  if (type === ETHERTYPE_IPV4) return decodeIp(p, 4, rec, frags);
  if (type === ETHERTYPE_IPV6) return decodeIp(p, 6, rec, frags);
  return null;
}

function decodeIp(p: Uint8Array, version: number, rec: Rec, frags: Reassembler): Decoded {
  if (p.length < 1 || p[0]! >> 4 !== version) return null;
  return version === 4 ? decodeIpv4(p, rec, frags) : version === 6 ? decodeIpv6(p, rec, frags) : null;
}

function decodeIpv4(p: Uint8Array, rec: Rec, frags: Reassembler): Decoded {
  if (p.length < 20) return null;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const ihl = (p[0]! & 15) * 4;
  if (ihl < 20 || p.length < ihl) return null;
  const total = v.getUint16(2, false);
  const proto = p[9]!;
  if (proto !== IPPROTO_UDP) return null;
  const src = formatIpv4(p, 12);
  const dst = formatIpv4(p, 16);
  // total may be 0 with TCP segmentation offload; then the capture length is all there is.
  const end = total >= ihl && total <= p.length ? total : p.length;
  const cut = rec.cut || (total > p.length && total !== 0);
  const flagsFrag = v.getUint16(6, false);
  const more = (flagsFrag & 0x2000) !== 0;
  const fragOffset = (flagsFrag & 0x1fff) * 8;
  let data = p.subarray(ihl, end);
  if (more || fragOffset > 0) {
    const whole = frags.add(`4 ${src} ${dst} ${v.getUint16(4, false)}`, fragOffset, more, data, rec.timeMs);
    if (!whole) return undefined;
    data = whole;
  }
  return decodeUdp(data, src, dst, rec, cut);
}

function decodeIpv6(p: Uint8Array, rec: Rec, frags: Reassembler): Decoded {
  if (p.length < 40) return null;
  const v = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const payloadLen = v.getUint16(4, false);
  const src = formatIpv6(p, 8);
  const dst = formatIpv6(p, 24);
  // A payload length of 0 is a jumbogram (or offload): take the capture length.
  const end = payloadLen > 0 && 40 + payloadLen <= p.length ? 40 + payloadLen : p.length;
  const cut = rec.cut || 40 + payloadLen > p.length;
  let next = p[6]!;
  let off = 40;
  let fragment: { offset: number; more: boolean; id: number } | undefined;
  // Extension headers: hop-by-hop (0), routing (43), fragment (44), destination options (60), mobility (135).
  for (;;) {
    if (next === IPPROTO_UDP) break;
    if (next === 0 || next === 43 || next === 60 || next === 135) {
      if (off + 8 > end) return null;
      const n = p[off]!;
      off += (p[off + 1]! + 1) * 8;
      next = n;
    } else if (next === 44) {
      if (off + 8 > end) return null;
      const n = p[off]!;
      const fo = v.getUint16(off + 2, false);
      fragment = { offset: fo & 0xfff8, more: (fo & 1) !== 0, id: v.getUint32(off + 4, false) };
      off += 8;
      next = n;
    } else return null;
    if (off > end) return null;
  }
  let data = p.subarray(off, end);
  if (fragment && (fragment.more || fragment.offset > 0)) {
    const whole = frags.add(`6 ${src} ${dst} ${fragment.id}`, fragment.offset, fragment.more, data, rec.timeMs);
    if (!whole) return undefined;
    data = whole;
  }
  return decodeUdp(data, src, dst, rec, cut);
}

function decodeUdp(u: Uint8Array, srcIp: string, dstIp: string, rec: Rec, cut: boolean): UdpDatagram | null {
  if (u.length < 8) return null;
  const v = new DataView(u.buffer, u.byteOffset, u.byteLength);
  const len = v.getUint16(4, false);
  // Length 0 happens for IPv6 jumbograms; otherwise it bounds the payload.
  const end = len >= 8 && len <= u.length ? len : u.length;
  return {
    packet: rec.packet,
    timeMs: rec.timeMs,
    srcIp,
    srcPort: v.getUint16(0, false),
    dstIp,
    dstPort: v.getUint16(2, false),
    payload: u.subarray(8, end),
    truncated: cut || len > u.length,
  };
}

/** IP fragment reassembly, keyed by addresses and identification. */
class Reassembler {
  private readonly pending = new Map<string, { parts: { offset: number; data: Uint8Array }[]; total: number; firstMs: number }>();

  /** Add a fragment of the IP payload; returns the whole payload once every part is there. */
  add(key: string, offset: number, more: boolean, data: Uint8Array, timeMs: number): Uint8Array | undefined {
    let e = this.pending.get(key);
    // A stale entry (fragments time out after 60 s, RFC 791/8200) is dropped.
    if (e && timeMs - e.firstMs > 60_000) e = undefined;
    if (!e) {
      e = { parts: [], total: -1, firstMs: timeMs };
      this.pending.set(key, e);
    }
    e.parts.push({ offset, data: data.slice() });
    if (!more) e.total = offset + data.length;
    if (e.total < 0) return undefined;
    const whole = new Uint8Array(e.total);
    const parts = e.parts.slice().sort((a, b) => a.offset - b.offset);
    let covered = 0;
    for (const part of parts) {
      if (part.offset > covered) return undefined;
      const n = Math.min(part.data.length, e.total - part.offset);
      if (n > 0) whole.set(part.data.subarray(0, n), part.offset);
      covered = Math.max(covered, part.offset + n);
    }
    if (covered < e.total) return undefined;
    this.pending.delete(key);
    return whole;
  }
}

function formatIpv4(p: Uint8Array, at: number): string {
  return `${p[at]}.${p[at + 1]}.${p[at + 2]}.${p[at + 3]}`;
}

/** RFC 5952 text form: lower-case hex, the longest run (2+) of zero groups as "::", IPv4-mapped as ::ffff:a.b.c.d. */
export function formatIpv6(p: Uint8Array, at: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((p[at + 2 * i]! << 8) | p[at + 2 * i + 1]!);
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return `::ffff:${formatIpv4(p, at + 12)}`;
  }
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (a: number, b: number): string => g.slice(a, b).map((x) => x.toString(16)).join(":");
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** Parse a dotted IPv4 address into 4 bytes; undefined when it is not one. */
export function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const s = parts[i]!;
    if (!/^\d{1,3}$/.test(s) || Number(s) > 255) return undefined;
    out[i] = Number(s);
  }
  return out;
}

/** Parse an IPv6 address (with "::", an embedded IPv4 tail, optional [] and %zone) into 16 bytes. */
export function parseIpv6(text: string): Uint8Array | undefined {
  let t = text;
  if (t.startsWith("[") && t.endsWith("]")) t = t.slice(1, -1);
  const pct = t.indexOf("%");
  if (pct >= 0) t = t.slice(0, pct);
  const halves = t.split("::");
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === "") return [];
    const out: number[] = [];
    const items = s.split(":");
    for (let i = 0; i < items.length; i++) {
      const item = items[i]!;
      if (i === items.length - 1 && item.includes(".")) {
        const v4 = parseIpv4(item);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) out.push(parseInt(item, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const all = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i]! >> 8;
    out[2 * i + 1] = all[i]! & 0xff;
  }
  return out;
}

// ---------------------------------------------------------------- writing

export type WritableLinkType = typeof LINKTYPE_RAW | typeof LINKTYPE_IPV4 | typeof LINKTYPE_ETHERNET;

/** The 24-byte file header (little-endian, microsecond timestamps). */
export function writePcapHeader(linkType: WritableLinkType = LINKTYPE_RAW, snapLength = 65535): Uint8Array {
  const out = new Uint8Array(FILE_HEADER);
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC_US, true);
  v.setUint16(4, 2, true);
  v.setUint16(6, 4, true);
  v.setInt32(8, 0, true); // thiszone
  v.setUint32(12, 0, true); // sigfigs
  v.setUint32(16, snapLength, true);
  v.setUint32(20, linkType, true);
  return out;
}

/** Fake MAC addresses for Ethernet framing: locally administered, unicast. */
const FAKE_SRC_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
const FAKE_DST_MAC = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

let nextIpId = 1;

/**
 * One pcap record holding a UDP datagram, for a file whose header was written
 * with the same `linkType` (default LINKTYPE_RAW). Addresses are IPv4 dotted
 * quads or IPv6 text; with LINKTYPE_IPV4 only IPv4. `timeMs` is milliseconds
 * since the epoch (fractions kept to the microsecond).
 */
export function writeUdpPacket(
  srcIp: string,
  srcPort: number,
  dstIp: string,
  dstPort: number,
  payload: Uint8Array,
  timeMs: number,
  linkType: WritableLinkType = LINKTYPE_RAW,
): Uint8Array {
  const s4 = parseIpv4(srcIp);
  const d4 = parseIpv4(dstIp);
  const s6 = s4 ? undefined : parseIpv6(srcIp);
  const d6 = d4 ? undefined : parseIpv6(dstIp);
  const v4 = s4 !== undefined && d4 !== undefined;
  if (!v4 && !(s6 && d6)) throw new RangeError(`addresses must both be IPv4 or both IPv6: ${srcIp}, ${dstIp}`);
  if (!v4 && linkType === LINKTYPE_IPV4) throw new RangeError("LINKTYPE_IPV4 cannot carry IPv6 packets");
  checkPort(srcPort);
  checkPort(dstPort);
  const ipHeader = v4 ? 20 : 40;
  const udpLen = 8 + payload.length;
  if (udpLen > 65535 || (v4 && ipHeader + udpLen > 65535)) throw new RangeError(`UDP payload too large: ${payload.length} bytes`);
  const link = linkType === LINKTYPE_ETHERNET ? 14 : 0;
  const caplen = link + ipHeader + udpLen;
  const out = new Uint8Array(RECORD_HEADER + caplen);
  const v = new DataView(out.buffer);
  const ms = Math.floor(timeMs);
  let sec = Math.floor(ms / 1000);
  let usec = (ms - sec * 1000) * 1000 + Math.round((timeMs - ms) * 1000);
  if (usec >= 1_000_000) {
    sec++;
    usec -= 1_000_000;
  }
  v.setUint32(0, sec >>> 0, true);
  v.setUint32(4, usec, true);
  v.setUint32(8, caplen, true);
  v.setUint32(12, caplen, true);
  let at = RECORD_HEADER;
  if (link) {
    out.set(FAKE_DST_MAC, at);
    out.set(FAKE_SRC_MAC, at + 6);
    v.setUint16(at + 12, v4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6, false);
    at += 14;
  }
  const ip = at;
  const udp = ip + ipHeader;
  if (v4) {
    out[ip] = 0x45;
    out[ip + 1] = 0; // DSCP/ECN
    v.setUint16(ip + 2, ipHeader + udpLen, false);
    v.setUint16(ip + 4, nextIpId, false);
    nextIpId = (nextIpId + 1) & 0xffff;
    v.setUint16(ip + 6, 0x4000, false); // don't fragment
    out[ip + 8] = 64; // TTL
    out[ip + 9] = IPPROTO_UDP;
    out.set(s4!, ip + 12);
    out.set(d4!, ip + 16);
    v.setUint16(ip + 10, ~onesComplementSum(out, ip, 20, 0) & 0xffff, false);
  } else {
    v.setUint32(ip, 0x60000000, false);
    v.setUint16(ip + 4, udpLen, false);
    out[ip + 6] = IPPROTO_UDP;
    out[ip + 7] = 64; // hop limit
    out.set(s6!, ip + 8);
    out.set(d6!, ip + 24);
  }
  v.setUint16(udp, srcPort, false);
  v.setUint16(udp + 2, dstPort, false);
  v.setUint16(udp + 4, udpLen, false);
  out.set(payload, udp + 8);
  // UDP checksum over the pseudo-header (addresses, protocol, length) and the datagram.
  const addrStart = v4 ? ip + 12 : ip + 8;
  let sum = onesComplementSum(out, addrStart, v4 ? 8 : 32, IPPROTO_UDP + udpLen);
  sum = onesComplementSum(out, udp, udpLen, sum);
  let check = ~sum & 0xffff;
  if (check === 0) check = 0xffff; // 0 means "no checksum" (RFC 768)
  v.setUint16(udp + 6, check, false);
  return out;
}

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`bad port ${port}`);
}

/** The folded 16-bit one's complement sum of buf[start, start+len) plus `initial`. */
export function onesComplementSum(buf: Uint8Array, start: number, len: number, initial: number): number {
  let sum = initial;
  const end = start + len;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Append UDP packets to a pcap file as they happen (synchronous writes: a crash loses nothing written). */
export class PcapFileWriter {
  private fd: number;

  constructor(
    readonly path: string,
    readonly linkType: WritableLinkType = LINKTYPE_RAW,
    /**
     * Strings never to write (passwords), masked with as many '*' in each
     * payload (lengths kept, so the capture still parses). Digest never puts
     * a password on the wire; this guards against a peer that echoes one.
     * Read at each packet, so secrets learnt later count.
     */
    readonly redact: readonly string[] = [],
  ) {
    this.fd = openSync(path, "w");
    writeSync(this.fd, writePcapHeader(linkType));
  }

  /** Record one datagram; `timeMs` defaults to now. */
  udp(srcIp: string, srcPort: number, dstIp: string, dstPort: number, payload: Uint8Array, timeMs: number = Date.now()): void {
    if (this.fd < 0) return;
    writeSync(this.fd, writeUdpPacket(srcIp, srcPort, dstIp, dstPort, maskSecrets(payload, this.redact), timeMs, this.linkType));
  }

  close(): void {
    if (this.fd < 0) return;
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** `payload`, or a copy with every occurrence of each non-empty secret (UTF-8) overwritten by '*'. */
export function maskSecrets(payload: Uint8Array, secrets: readonly string[]): Uint8Array {
  let out = payload;
  for (const secret of secrets) {
    if (secret === "") continue;
    const needle = Buffer.from(secret, "utf8");
    let at = Buffer.from(out.buffer, out.byteOffset, out.byteLength).indexOf(needle);
    while (at >= 0) {
      if (out === payload) out = Uint8Array.from(payload);
      out.fill(0x2a, at, at + needle.length);
      at = Buffer.from(out.buffer, out.byteOffset, out.byteLength).indexOf(needle, at + needle.length);
    }
  }
  return out;
}
