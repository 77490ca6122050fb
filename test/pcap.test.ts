/*
 * hosts/node/pcap.ts: the writer's packets are well formed (checked with an
 * independent checksum here), and the reader gets the UDP payloads back out
 * of every supported framing: both byte orders, nanosecond timestamps,
 * Ethernet with VLAN tags, Linux cooked (SLL, SLL2), null/loopback, raw IP,
 * IPv6 with an extension header, IPv4 fragments; non-UDP packets skipped.
 */
import { describe, expect, it } from "vitest";
import {
  formatIpv6,
  isPcap,
  LINKTYPE_ETHERNET,
  LINKTYPE_IPV4,
  LINKTYPE_LINUX_SLL,
  LINKTYPE_LINUX_SLL2,
  LINKTYPE_NULL,
  LINKTYPE_RAW,
  parseIpv6,
  PcapError,
  readPcap,
  writePcapHeader,
  writeUdpPacket,
} from "../hosts/node/pcap";

const enc = new TextEncoder();
const dec = new TextDecoder();
const SIP = enc.encode("OPTIONS sip:door@192.0.2.10 SIP/2.0\r\nCall-ID: abc@192.0.2.1\r\nContent-Length: 0\r\n\r\n");
const T0 = Date.UTC(2024, 0, 2, 3, 4, 5) + 678.901; // ms, with microseconds

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** An independent Internet checksum: the 16-bit one's complement of the one's complement sum. */
function inetSum(bytes: number[] | Uint8Array): number {
  let s = 0;
  for (let i = 0; i < bytes.length; i += 2) s += (bytes[i]! << 8) + (i + 1 < bytes.length ? bytes[i + 1]! : 0);
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** The IP packet inside a record written with LINKTYPE_RAW / LINKTYPE_IPV4. */
function ipOf(record: Uint8Array): Uint8Array {
  return record.subarray(16);
}

/** A pcap file of the given frames, in either byte order, with µs or ns timestamps. */
function pcapFile(linkType: number, frames: Uint8Array[], opts: { bigEndian?: boolean; nano?: boolean; timeMs?: number } = {}): Uint8Array {
  const le = !opts.bigEndian;
  const head = new Uint8Array(24);
  const hv = new DataView(head.buffer);
  hv.setUint32(0, opts.nano ? 0xa1b23c4d : 0xa1b2c3d4, le);
  hv.setUint16(4, 2, le);
  hv.setUint16(6, 4, le);
  hv.setUint32(16, 65535, le);
  hv.setUint32(20, linkType, le);
  const t = opts.timeMs ?? T0;
  const recs = frames.map((f) => {
    const r = new Uint8Array(16 + f.length);
    const v = new DataView(r.buffer);
    const sec = Math.floor(t / 1000);
    v.setUint32(0, sec, le);
    v.setUint32(4, opts.nano ? Math.round((t - sec * 1000) * 1e6) : Math.round((t - sec * 1000) * 1e3), le);
    v.setUint32(8, f.length, le);
    v.setUint32(12, f.length, le);
    r.set(f, 16);
    return r;
  });
  return concat(head, ...recs);
}

describe("pcap writer", () => {
  it("writes a little-endian microsecond header with the link type", () => {
    const h = writePcapHeader(LINKTYPE_IPV4);
    expect(h.length).toBe(24);
    const v = new DataView(h.buffer);
    expect(v.getUint32(0, true)).toBe(0xa1b2c3d4);
    expect(v.getUint16(4, true)).toBe(2);
    expect(v.getUint16(6, true)).toBe(4);
    expect(v.getUint32(20, true)).toBe(228);
    expect(isPcap(h)).toBe(true);
  });

  it("writes an IPv4/UDP packet with correct lengths, IPv4 header checksum and UDP checksum", () => {
    const rec = writeUdpPacket("192.0.2.1", 5060, "192.0.2.10", 5062, SIP, T0, LINKTYPE_IPV4);
    const rv = new DataView(rec.buffer);
    expect(rv.getUint32(0, true)).toBe(Math.floor(T0 / 1000));
    expect(rv.getUint32(4, true)).toBe(678901);
    expect(rv.getUint32(8, true)).toBe(20 + 8 + SIP.length);
    const ip = ipOf(rec);
    const v = new DataView(ip.buffer, ip.byteOffset);
    expect(ip[0]).toBe(0x45);
    expect(v.getUint16(2)).toBe(20 + 8 + SIP.length);
    expect(ip[9]).toBe(17);
    expect([...ip.subarray(12, 16)]).toEqual([192, 0, 2, 1]);
    expect([...ip.subarray(16, 20)]).toEqual([192, 0, 2, 10]);
    // A correct header sums (checksum included) to 0xffff.
    expect(inetSum(ip.subarray(0, 20))).toBe(0xffff);
    expect(v.getUint16(10)).not.toBe(0);
    const udp = ip.subarray(20);
    const uv = new DataView(udp.buffer, udp.byteOffset);
    expect(uv.getUint16(0)).toBe(5060);
    expect(uv.getUint16(2)).toBe(5062);
    expect(uv.getUint16(4)).toBe(8 + SIP.length);
    const pseudo = [...ip.subarray(12, 20), 0, 17, (udp.length >> 8) & 255, udp.length & 255];
    expect(inetSum([...pseudo, ...udp])).toBe(0xffff);
    expect(dec.decode(udp.subarray(8))).toBe(dec.decode(SIP));
  });

  it("writes IPv6 packets with the mandatory UDP checksum", () => {
    const rec = writeUdpPacket("2001:db8::1", 5060, "2001:db8::10", 5060, SIP, T0);
    const ip = ipOf(rec);
    expect(ip[0]! >> 4).toBe(6);
    expect(ip[6]).toBe(17);
    const udp = ip.subarray(40);
    const pseudo = [...ip.subarray(8, 40), 0, 0, (udp.length >> 8) & 255, udp.length & 255, 0, 0, 0, 17];
    expect(inetSum([...pseudo, ...udp])).toBe(0xffff);
  });

  it("refuses mixed or bad addresses and oversized payloads", () => {
    expect(() => writeUdpPacket("192.0.2.1", 1, "2001:db8::1", 2, SIP, 0)).toThrow(RangeError);
    expect(() => writeUdpPacket("192.0.2.300", 1, "192.0.2.1", 2, SIP, 0)).toThrow(RangeError);
    expect(() => writeUdpPacket("2001:db8::1", 1, "2001:db8::2", 2, SIP, 0, LINKTYPE_IPV4)).toThrow(RangeError);
    expect(() => writeUdpPacket("192.0.2.1", 70000, "192.0.2.2", 2, SIP, 0)).toThrow(RangeError);
    expect(() => writeUdpPacket("192.0.2.1", 1, "192.0.2.2", 2, new Uint8Array(65536), 0)).toThrow(RangeError);
  });
});

describe("pcap reader", () => {
  it("round-trips what the writer wrote, for each writable link type", () => {
    for (const lt of [LINKTYPE_RAW, LINKTYPE_IPV4, LINKTYPE_ETHERNET] as const) {
      const file = concat(
        writePcapHeader(lt),
        writeUdpPacket("192.0.2.1", 5060, "192.0.2.10", 5062, SIP, T0, lt),
        writeUdpPacket("192.0.2.10", 5062, "192.0.2.1", 5060, enc.encode("SIP/2.0 200 OK\r\n\r\n"), T0 + 1500, lt),
      );
      const cap = readPcap(file);
      expect(cap.linkType).toBe(lt);
      expect(cap.packets).toBe(2);
      expect(cap.skipped).toBe(0);
      expect(cap.datagrams).toHaveLength(2);
      const [a, b] = cap.datagrams;
      expect(a).toMatchObject({ packet: 1, srcIp: "192.0.2.1", srcPort: 5060, dstIp: "192.0.2.10", dstPort: 5062, truncated: false });
      expect(a!.timeMs).toBeCloseTo(T0, 3);
      expect(dec.decode(a!.payload)).toBe(dec.decode(SIP));
      expect(b).toMatchObject({ packet: 2, srcIp: "192.0.2.10", dstPort: 5060 });
      expect(dec.decode(b!.payload)).toBe("SIP/2.0 200 OK\r\n\r\n");
    }
    const v6 = readPcap(concat(writePcapHeader(), writeUdpPacket("2001:db8::1", 5060, "::ffff:192.0.2.9", 5060, SIP, T0)));
    expect(v6.datagrams[0]).toMatchObject({ srcIp: "2001:db8::1", dstIp: "::ffff:192.0.2.9", srcPort: 5060 });
  });

  const ip4 = ipOf(writeUdpPacket("198.51.100.7", 5060, "198.51.100.8", 5070, SIP, T0, LINKTYPE_IPV4));
  const ip6 = ipOf(writeUdpPacket("2001:db8:0:0:1::5", 5060, "2001:db8::9", 5070, SIP, T0));

  it("reads big-endian files and nanosecond timestamps", () => {
    for (const bigEndian of [false, true]) {
      for (const nano of [false, true]) {
        const cap = readPcap(pcapFile(LINKTYPE_RAW, [ip4], { bigEndian, nano }));
        expect(cap.nanosecond).toBe(nano);
        expect(cap.datagrams).toHaveLength(1);
        expect(cap.datagrams[0]!.timeMs).toBeCloseTo(T0, 3);
        expect(cap.datagrams[0]!.srcIp).toBe("198.51.100.7");
      }
    }
  });

  it("reads Ethernet frames with 802.1Q and 802.1ad tags", () => {
    const mac = new Uint8Array(12).fill(0xaa);
    const plain = concat(mac, Uint8Array.of(0x08, 0x00), ip4);
    const vlan = concat(mac, Uint8Array.of(0x81, 0x00, 0x00, 0x64, 0x08, 0x00), ip4);
    const qinq = concat(mac, Uint8Array.of(0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x64, 0x86, 0xdd), ip6);
    const cap = readPcap(pcapFile(LINKTYPE_ETHERNET, [plain, vlan, qinq]));
    expect(cap.datagrams.map((d) => d.srcIp)).toEqual(["198.51.100.7", "198.51.100.7", "2001:db8::1:0:0:5"]);
    expect(cap.datagrams.map((d) => d.dstPort)).toEqual([5070, 5070, 5070]);
  });

  it("reads Linux cooked captures (SLL and SLL2)", () => {
    const sll = concat(Uint8Array.of(0, 0, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0, 0x86, 0xdd), ip6);
    const sll2 = concat(Uint8Array.of(0x08, 0x00, 0, 0, 0, 0, 0, 2, 0, 1, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0), ip4);
    expect(readPcap(pcapFile(LINKTYPE_LINUX_SLL, [sll])).datagrams[0]!.srcIp).toBe("2001:db8::1:0:0:5");
    expect(readPcap(pcapFile(LINKTYPE_LINUX_SLL2, [sll2])).datagrams[0]!.srcIp).toBe("198.51.100.7");
  });

  it("reads null/loopback captures in either byte order, IPv4 and IPv6 (BSD and macOS family numbers)", () => {
    const le = (n: number) => Uint8Array.of(n, 0, 0, 0);
    const be = (n: number) => Uint8Array.of(0, 0, 0, n);
    const frames = [concat(le(2), ip4), concat(le(30), ip6), concat(le(24), ip6)];
    expect(readPcap(pcapFile(LINKTYPE_NULL, frames)).datagrams).toHaveLength(3);
    const big = [concat(be(2), ip4), concat(be(28), ip6)];
    expect(readPcap(pcapFile(LINKTYPE_NULL, big, { bigEndian: true })).datagrams).toHaveLength(2);
  });

  it("skips an IPv6 extension header on the way to UDP", () => {
    // Insert a destination-options header (8 bytes: next=UDP, len=0, PadN) between IPv6 and UDP.
    const ext = concat(ip6.subarray(0, 40), Uint8Array.of(17, 0, 1, 4, 0, 0, 0, 0), ip6.subarray(40));
    ext[6] = 60;
    new DataView(ext.buffer).setUint16(4, ip6.length - 40 + 8);
    const cap = readPcap(pcapFile(LINKTYPE_RAW, [ext]));
    expect(cap.datagrams).toHaveLength(1);
    expect(dec.decode(cap.datagrams[0]!.payload)).toBe(dec.decode(SIP));
  });

  it("skips packets that are not UDP (TCP, ARP) and counts them", () => {
    const tcp = ip4.slice();
    tcp[9] = 6;
    const arp = concat(new Uint8Array(12), Uint8Array.of(0x08, 0x06), new Uint8Array(28));
    const eth = (ip: Uint8Array) => concat(new Uint8Array(12), Uint8Array.of(0x08, 0x00), ip);
    const cap = readPcap(pcapFile(LINKTYPE_ETHERNET, [eth(tcp), arp, eth(ip4)]));
    expect(cap.packets).toBe(3);
    expect(cap.skipped).toBe(2);
    expect(cap.datagrams).toHaveLength(1);
    expect(cap.datagrams[0]!.packet).toBe(3);
  });

  it("reassembles fragmented IPv4 datagrams, in any order", () => {
    const body = enc.encode("x".repeat(3000));
    const whole = ipOf(writeUdpPacket("192.0.2.1", 5060, "192.0.2.2", 5060, body, T0, LINKTYPE_IPV4));
    const udp = whole.subarray(20);
    const frag = (off: number, len: number, more: boolean): Uint8Array => {
      const h = whole.slice(0, 20);
      const v = new DataView(h.buffer);
      v.setUint16(2, 20 + len);
      v.setUint16(6, (more ? 0x2000 : 0) | (off / 8));
      return concat(h, udp.subarray(off, off + len));
    };
    const parts = [frag(1480, 1480, true), frag(0, 1480, true), frag(2960, udp.length - 2960, false)];
    const cap = readPcap(pcapFile(LINKTYPE_RAW, parts));
    expect(cap.datagrams).toHaveLength(1);
    expect(cap.datagrams[0]!.packet).toBe(3);
    expect(cap.datagrams[0]!.payload).toEqual(body);
  });

  it("marks datagrams cut by the snap length, and files that end inside a record", () => {
    const file = pcapFile(LINKTYPE_RAW, [ip4]);
    const rec = file.slice();
    // Original length larger than the captured length, and the IP total length says more than was captured.
    const cut = concat(rec.subarray(0, 24), rec.subarray(24, 24 + 16), ip4.subarray(0, ip4.length - 10));
    const cv = new DataView(cut.buffer);
    cv.setUint32(24 + 8, ip4.length - 10, true);
    cv.setUint32(24 + 12, ip4.length, true);
    const cap = readPcap(cut);
    expect(cap.datagrams[0]!.truncated).toBe(true);
    expect(cap.datagrams[0]!.payload.length).toBe(SIP.length - 10);
    const short = readPcap(file.subarray(0, file.length - 5));
    expect(short.truncatedFile).toBe(true);
    expect(short.datagrams).toHaveLength(0);
  });

  it("rejects pcapng and other files with a PcapError", () => {
    expect(() => readPcap(Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 0, 0, 0, 0))).toThrow(/pcapng/);
    expect(() => readPcap(enc.encode("INVITE sip:a@b SIP/2.0\r\n\r\n"))).toThrow(PcapError);
    expect(isPcap(SIP)).toBe(false);
  });

  it("formats and parses IPv6 addresses as RFC 5952 says", () => {
    const cases: [string, string][] = [
      ["2001:db8::1", "2001:db8::1"],
      ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"],
      ["::", "::"],
      ["::1", "::1"],
      ["fe80::", "fe80::"],
      ["2001:db8:1:1:1:1:1:1", "2001:db8:1:1:1:1:1:1"],
      ["2001:db8::1:1:1:1:1", "2001:db8:0:1:1:1:1:1"],
      ["[2001:db8::9%eth0]", "2001:db8::9"],
      ["::ffff:192.0.2.1", "::ffff:192.0.2.1"],
    ];
    for (const [input, text] of cases) expect(formatIpv6(parseIpv6(input)!, 0)).toBe(text);
    for (const bad of ["1::2::3", "12345::", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "g::1"]) expect(parseIpv6(bad)).toBeUndefined();
  });
});
