/*
 * RTP and RTCP packets byte by byte (RFC 3550 §5.1, §6.4, §6.5, §6.6), the
 * header reader on CSRCs, extensions and padding, and the receiver
 * statistics of Appendix A (sequence wrap, restart, loss, jitter).
 */
import { describe, expect, it } from "vitest";
import { RtcpReader, RtcpType, ntpFraction, ntpSeconds, writeBye, writeReport, type RtcpSource } from "../src/media/rtcp";
import { RTP_HEADER, RtpCheck, RtpHeader, writeRtpHeader } from "../src/media/rtp-packet";
import { RtpReceiveStats } from "../src/media/rtp-stats";

function hex(bytes: Uint8Array, from = 0, to = bytes.length): string {
  return Buffer.from(bytes.subarray(from, to)).toString("hex");
}

describe("RTP header", () => {
  it("writes V=2, no P/X/CC, M, PT, sequence, timestamp and SSRC big-endian", () => {
    const buf = new Uint8Array(20).fill(0xee);
    expect(writeRtpHeader(buf, 2, 8, true, 0xbeef, 0x01020304, 0xdeadbeef)).toBe(14);
    expect(hex(buf, 2, 14)).toBe("80" + "88" + "beef" + "01020304" + "deadbeef");
    expect(buf[0]).toBe(0xee);
    expect(buf[14]).toBe(0xee);
    writeRtpHeader(buf, 0, 0, false, 0, 0xffffffff, 1);
    expect(hex(buf, 0, 12)).toBe("80000000ffffffff00000001");
  });

  it("reads back what it wrote, payload after the header", () => {
    const buf = new Uint8Array(RTP_HEADER + 160);
    writeRtpHeader(buf, 0, 101, true, 65535, 4294967295, 0x80000001);
    const h = new RtpHeader();
    expect(h.read(buf, buf.length)).toBe(RtpCheck.Ok);
    expect(h).toMatchObject({
      marker: true, payloadType: 101, sequence: 65535, timestamp: 4294967295, ssrc: 0x80000001,
      csrcCount: 0, extension: false, padding: false, payloadStart: 12, payloadLength: 160,
    });
  });

  it("skips CSRCs and a header extension, and removes padding", () => {
    // V=2 P=1 X=1 CC=2, PT 0, seq 7, ts 9, ssrc 1; 2 CSRCs; extension 0xBEDE with 1 word; 4 payload bytes; 3 padding bytes.
    const bytes = Buffer.from(
      "b2" + "00" + "0007" + "00000009" + "00000001" + "0000000a" + "0000000b" + "bede0001" + "11223344" + "ffeeddcc" + "000003",
      "hex",
    );
    const h = new RtpHeader();
    expect(h.read(bytes, bytes.length)).toBe(RtpCheck.Ok);
    expect(h).toMatchObject({ padding: true, extension: true, csrcCount: 2, sequence: 7, timestamp: 9, payloadStart: 28, payloadLength: 4 });
    expect(hex(bytes, h.payloadStart, h.payloadStart + h.payloadLength)).toBe("ffeeddcc");
  });

  it("rejects short packets, other versions, bad padding, and RTCP on the RTP port", () => {
    const h = new RtpHeader();
    const ok = new Uint8Array(16);
    writeRtpHeader(ok, 0, 0, false, 1, 2, 3);
    expect(h.read(ok, 11)).toBe(RtpCheck.TooShort);
    const v1 = ok.slice();
    v1[0] = 0x40;
    expect(h.read(v1, 16)).toBe(RtpCheck.BadVersion);
    const cc = ok.slice();
    cc[0] = 0x82; // two CSRCs announced, 4 bytes left
    expect(h.read(cc, 16)).toBe(RtpCheck.TooShort);
    const x = ok.slice();
    x[0] = 0x90; // extension announced; its length word says 255 words
    x[14] = 0;
    x[15] = 255;
    expect(h.read(x, 16)).toBe(RtpCheck.TooShort);
    const pad0 = ok.slice();
    pad0[0] = 0xa0;
    pad0[15] = 0;
    expect(h.read(pad0, 16)).toBe(RtpCheck.BadPadding);
    const padBig = ok.slice();
    padBig[0] = 0xa0;
    padBig[15] = 9;
    expect(h.read(padBig, 16)).toBe(RtpCheck.BadPadding);
    const rr = Buffer.from("81c90001deadbeef", "hex"); // an RTCP RR: PT byte 201 reads as M=1, PT=73
    expect(h.read(rr, 8)).toBe(RtpCheck.TooShort);
    const rr12 = Buffer.from("80c8000600000001000000000000", "hex");
    expect(h.read(rr12, rr12.length)).toBe(RtpCheck.RtcpType);
  });
});

describe("receiver statistics (RFC 3550 A.1, A.3, A.8)", () => {
  it("a new source is valid after two packets in sequence; the first is held back", () => {
    const s = new RtpReceiveStats();
    expect(s.update(7, 100)).toBe(false);
    expect(s.update(7, 101)).toBe(true);
    expect(s.update(7, 102)).toBe(true);
    expect(s.extendedMax).toBe(102);
    expect(s.cumulativeLost).toBe(0);
  });

  it("counts sequence wrap-around as a cycle", () => {
    const s = new RtpReceiveStats();
    s.update(1, 65534);
    s.update(1, 65535);
    expect(s.update(1, 0)).toBe(true);
    expect(s.update(1, 1)).toBe(true);
    expect(s.extendedMax).toBe(65536 + 1);
    expect(s.cumulativeLost).toBe(0);
  });

  it("loss: cumulative count and the fraction per interval", () => {
    const s = new RtpReceiveStats();
    s.update(1, 0);
    // Packet 0 is the probation packet; from 1 on, every fourth is lost: 101 expected (1..101), 76 received.
    for (let seq = 1; seq <= 101; seq++) if (seq % 4 !== 0) s.update(1, seq);
    expect(s.cumulativeLost).toBe(25);
    expect(s.takeFractionLost()).toBe(Math.floor((25 * 256) / 101));
    for (let seq = 101; seq <= 110; seq++) s.update(1, seq);
    expect(s.takeFractionLost()).toBe(0);
  });

  it("a report during probation keeps A.3's expected_prior signed (it is negative while the first packets are out of order)", () => {
    const s = new RtpReceiveStats();
    // Probation: base_seq 1000, then an out-of-order packet moves max_seq below it, so expected (max - base + 1) is -499.
    expect(s.update(9, 1000)).toBe(false);
    expect(s.update(9, 500)).toBe(false);
    expect(s.started).toBe(true);
    expect(s.takeFractionLost()).toBe(0);
    // A.3 keeps expected_prior as an int: the value as counted, not that value modulo 2^32.
    expect(s.expectedPrior).toBe(500 - 1000 + 1);
    expect(s.takeFractionLost()).toBe(0);
    expect(s.expectedPrior).toBe(-499);
    // Two in sequence end the probation: the counts start again from there.
    expect(s.update(9, 501)).toBe(true);
    expect(s.expectedPrior).toBe(0);
  });

  it("a large jump is taken as a restart after two sequential packets", () => {
    const s = new RtpReceiveStats();
    s.update(1, 10);
    s.update(1, 11);
    expect(s.update(1, 30000)).toBe(false);
    expect(s.update(1, 30001)).toBe(true);
    expect(s.extendedMax).toBe(30001);
    expect(s.cumulativeLost).toBe(0);
  });

  it("jitter: zero for a regular stream, and J += (|D| - J) / 16 for an irregular one", () => {
    const s = new RtpReceiveStats();
    for (let i = 0; i < 50; i++) s.arrival(i * 160, 1000 + i * 160);
    expect(s.jitter).toBe(0);
    const t = new RtpReceiveStats();
    let expected = 0;
    for (let i = 0; i < 50; i++) {
      const late = i % 2 === 0 ? 0 : 80;
      t.arrival(i * 160, i * 160 + late);
      if (i > 0) expected += (80 - expected) / 16;
    }
    expect(Math.abs(t.jitter - expected)).toBeLessThanOrEqual(1);
    expect(t.jitter).toBeGreaterThan(60);
  });
});

describe("RTCP", () => {
  function source(over: Partial<RtcpSource> = {}): RtcpSource {
    const stats = new RtpReceiveStats();
    stats.update(0x11223344, 1000);
    for (let seq = 1001; seq <= 1010; seq++) if (seq !== 1005) stats.update(0x11223344, seq);
    return {
      ssrc: 0xcafebabe, sentSinceReport: true, packetsSent: 250, octetsSent: 40000, rtpNow: 123456,
      stats, lastSr: 0x01020304, lastSrAt: 1000, ...over,
    };
  }
  const cname = new TextEncoder().encode("doorsip-cafebabe");

  it("an SR with one report block, then SDES CNAME, byte by byte", () => {
    const buf = new Uint8Array(128);
    const now = 3500;
    const n = writeReport(buf, source(), now, cname, cname.length);
    // SR: 28 + 24 bytes; SDES: 4 + 4 + 2 + 16 + 1 null = 27, padded to 28.
    expect(n).toBe(52 + 28);
    expect(hex(buf, 0, 8)).toBe("81c8000c" + "cafebabe");
    expect(hex(buf, 8, 16)).toBe(ntpSeconds(now).toString(16).padStart(8, "0") + ntpFraction(now).toString(16).padStart(8, "0"));
    expect(ntpFraction(now)).toBe(Math.floor(0.5 * 2 ** 32));
    expect(hex(buf, 16, 28)).toBe("0001e240" + "000000fa" + "00009c40");
    // Report block: SSRC, fraction lost 1/10 → 25, cumulative 1, ext. max 1010, jitter 0, LSR, DLSR = 2.5 s * 65536.
    expect(hex(buf, 28, 52)).toBe("11223344" + "19000001" + "000003f2" + "00000000" + "01020304" + (2.5 * 65536).toString(16).padStart(8, "0"));
    expect(hex(buf, 52, 80)).toBe("81ca0006" + "cafebabe" + "0110" + Buffer.from("doorsip-cafebabe").toString("hex") + "00" + "00");
  });

  it("an RR when we did not send, without a block before anything was received", () => {
    const buf = new Uint8Array(128);
    const empty = new RtpReceiveStats();
    const n = writeReport(buf, source({ sentSinceReport: false, stats: empty, lastSrAt: -1 }), 0, cname, cname.length);
    expect(hex(buf, 0, 8)).toBe("80c90001cafebabe");
    expect(buf[9]).toBe(RtcpType.SDES);
    expect(n).toBe(8 + 28);
  });

  it("a BYE after an empty RR", () => {
    const buf = new Uint8Array(32);
    expect(writeBye(buf, 0xcafebabe)).toBe(16);
    expect(hex(buf, 0, 16)).toBe("80c90001cafebabe81cb0001cafebabe");
  });

  it("reads an SR's NTP middle bits and the block about our SSRC; rejects junk", () => {
    const buf = new Uint8Array(128);
    const n = writeReport(buf, source(), 3500, cname, cname.length);
    const r = new RtcpReader();
    expect(r.read(buf, n, 0x11223344)).toBe(true);
    expect(r.sr).toBe(true);
    expect(r.srSsrc).toBe(0xcafebabe);
    expect(r.srMiddle).toBe((((ntpSeconds(3500) & 0xffff) * 65536) + (ntpFraction(3500) >>> 16)) >>> 0);
    expect(r.aboutUs).toBe(true);
    expect(r.fractionLost).toBe(25);
    expect(r.cumulativeLost).toBe(1);
    expect(r.read(buf, n, 0x99)).toBe(true);
    expect(r.aboutUs).toBe(false);
    expect(r.read(buf, n - 1, 0x11223344)).toBe(false);
    const bye = new Uint8Array(16);
    writeBye(bye, 5);
    expect(r.read(bye, 16, 1)).toBe(true);
    expect(r.bye).toBe(true);
    expect(r.read(Buffer.from("80000000"), 4, 1)).toBe(false);
  });
});
