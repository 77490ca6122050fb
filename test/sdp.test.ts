/*
 * The SDP layer for G.711 calls: reading offers from real user agents
 * (RFC 4566 syntax), picking the audio stream, codec and telephone-event
 * payload type, rejecting malformed bodies with an error and its offset,
 * and writing offers and answers (RFC 3264) byte for byte, with the o=
 * version following the content.
 */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { SipMessage } from "../src/sip/message/message";
import { SipParser } from "../src/sip/message/parser";
import { SipWriter } from "../src/sip/message/writer";
import { answerDirection, canReceive, canSend, combineDirection, Direction } from "../src/sip/sdp/direction";
import { Codec, MAX_MEDIA, SDP_ERROR_REASONS, SdpError, SdpReader } from "../src/sip/sdp/reader";
import { isAcceptableOffer, offerWarning, WARNING_INCOMPATIBLE, WARNING_MEDIA_UNAVAILABLE, writeWarning } from "../src/sip/sdp/warning";
import { LocalMedia } from "../src/sip/sdp/writer";
import { MAX_PT } from "../src/sip/sdp/codec";
import { ConnOut } from "../src/sip/sdp/connection";
import { MediaOut } from "../src/sip/sdp/media-field";
import { OriginOut } from "../src/sip/sdp/origin";
import { MediaRow, Num } from "../src/sip/sdp/reader-state";
import { FmtpOut, RtpmapOut } from "../src/sip/sdp/rtpmap";
import { RtcpOut } from "../src/sip/sdp/rtcp-attribute";
import * as offers from "./xs/fixtures/sdp";
import { latin1Bytes, sipBytes } from "./xs/fixtures/text";

const text = (w: SipWriter): string => Buffer.from(w.buf.subarray(0, w.pos)).toString("latin1");

function read(body: string, crlf = true): SdpReader {
  const r = new SdpReader();
  const buf = crlf ? sipBytes(body) : latin1Bytes(body);
  r.read(buf, 0, buf.length);
  return r;
}

function ok(body: string, crlf = true): SdpReader {
  const r = read(body, crlf);
  expect({ error: SDP_ERROR_REASONS[r.error], at: r.errorOffset }).toEqual({ error: "ok", at: 0 });
  return r;
}

function summary(r: SdpReader) {
  return {
    audioIndex: r.audioIndex,
    audioPort: r.audioPort,
    codec: r.codec,
    codecPt: r.codecPt,
    telephoneEventPt: r.telephoneEventPt,
    address: r.connectionAddress(),
    ip6: r.connIp6,
    isNull: r.connNull,
    direction: r.direction,
    ptime: r.ptime,
    mediaCount: r.mediaCount,
  };
}

const media = (address = "192.168.178.40"): LocalMedia => new LocalMedia({ sessionId: 12345, address, rtpPort: 40000 });

describe("SdpReader: offers from real user agents", () => {
  it("Asterisk: PCMU first, telephone-event 101", () => {
    const r = ok(offers.ASTERISK);
    expect(summary(r)).toEqual({ audioIndex: 0, audioPort: 17826, codec: Codec.PCMU, codecPt: 0, telephoneEventPt: 101, address: "192.168.1.10", ip6: false, isNull: false, direction: Direction.SendRecv, ptime: 20, mediaCount: 1 });
    expect(r.originVersion).toBe(1715001234);
  });

  it("FreeSWITCH: skips Opus and G.722 to the first G.711 in offer order", () => {
    const r = ok(offers.FREESWITCH);
    expect(summary(r)).toMatchObject({ codec: Codec.PCMU, codecPt: 0, telephoneEventPt: 101, audioPort: 26792, address: "10.0.0.5" });
    expect(r.originVersion).toBe(1715000001);
  });

  it("FreeSWITCH hold: sendonly, answered recvonly", () => {
    const r = ok(offers.FREESWITCH_HOLD);
    expect(r.direction).toBe(Direction.SendOnly);
    expect(answerDirection(r.direction)).toBe(Direction.RecvOnly);
  });

  it("FRITZ!Box: PCMA first, events 0-15 kept", () => {
    const r = ok(offers.FRITZBOX);
    expect(summary(r)).toMatchObject({ codec: Codec.PCMA, codecPt: 8, telephoneEventPt: 101, audioPort: 7078, ptime: 20 });
    expect(Buffer.from(r.buf.subarray(r.telephoneEventFmtpStart, r.telephoneEventFmtpStart + r.telephoneEventFmtpLen)).toString()).toBe("0-15");
  });

  it("baresip over IPv6", () => {
    const r = ok(offers.BARESIP_IP6);
    expect(summary(r)).toMatchObject({ codec: Codec.PCMU, codecPt: 0, telephoneEventPt: 101, address: "2001:db8::20", ip6: true, isNull: false, ptime: 20 });
  });

  it("Linphone: telephone-event/8000 is PT 100, the video stream's PT 96 does not leak into audio", () => {
    const r = ok(offers.LINPHONE);
    expect(summary(r)).toMatchObject({ audioIndex: 0, codec: Codec.PCMU, codecPt: 0, telephoneEventPt: 100, mediaCount: 2, ptime: 0 });
    expect(r.telephoneEventFmtpLen).toBe(-1);
    expect(r.mediaPort(1)).toBe(9078);
  });

  it("SIPp: PCMU only", () => {
    expect(summary(ok(offers.SIPP))).toMatchObject({ codec: Codec.PCMU, codecPt: 0, telephoneEventPt: -1, audioPort: 6000, address: "127.0.0.1" });
  });

  it("static payload types 0 and 8 need no rtpmap", () => {
    expect(summary(ok(offers.STATIC_ONLY))).toMatchObject({ codec: Codec.PCMA, codecPt: 8, telephoneEventPt: -1 });
  });

  it("G.711 under a dynamic payload type, names case-insensitive, telephone-event 96", () => {
    const r = ok(offers.DYNAMIC_G711);
    expect(summary(r)).toMatchObject({ codec: Codec.PCMA, codecPt: 97, telephoneEventPt: 96 });
  });

  it("c=0.0.0.0 hold, with the media-level c= overriding the session's", () => {
    const r = ok(offers.NULL_HOLD);
    expect(summary(r)).toMatchObject({ address: "0.0.0.0", isNull: true, codec: Codec.PCMU });
    expect(r.originVersion).toBe(10);
  });

  it("no G.711: read, but codec None and not acceptable (305)", () => {
    const r = ok(offers.NO_G711);
    expect(summary(r)).toMatchObject({ audioIndex: 0, codec: Codec.None, codecPt: -1, telephoneEventPt: 101, direction: Direction.Inactive, address: "198.51.100.7" });
    expect(isAcceptableOffer(r)).toBe(false);
    expect(offerWarning(r)).toBe(WARNING_INCOMPATIBLE);
    const w = new SipWriter(1500);
    expect(media().writeAnswer(w, r, Direction.SendRecv)).toBe(false);
  });

  it("a removed stream (port 0) before a new one: the stream with a port is answered", () => {
    const r = ok(offers.REPLACED_STREAM);
    expect(summary(r)).toMatchObject({ audioIndex: 1, audioPort: 5012, codec: Codec.PCMA, codecPt: 8, telephoneEventPt: 101, direction: Direction.RecvOnly, mediaCount: 2 });
  });

  it("video first and an SRTP audio stream: the RTP/AVP audio stream is the one", () => {
    const r = ok(offers.VIDEO_FIRST);
    expect(summary(r)).toMatchObject({ audioIndex: 2, audioPort: 5024, codec: Codec.PCMU, codecPt: 0, direction: Direction.SendOnly, mediaCount: 3 });
  });

  it("only an SRTP audio stream: audio, but no usable codec", () => {
    const r = ok("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 5000 RTP/SAVP 0 8\n");
    expect(summary(r)).toMatchObject({ audioIndex: 0, codec: Codec.None });
    expect(offerWarning(r)).toBe(WARNING_INCOMPATIBLE);
  });

  it("the only audio stream disabled (port 0) is still acceptable, answered with port 0", () => {
    const r = ok("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 0 RTP/AVP 0\n");
    expect(summary(r)).toMatchObject({ audioIndex: 0, audioPort: 0, codec: Codec.PCMU, address: "" });
    expect(isAcceptableOffer(r)).toBe(true);
    const w = new SipWriter(1500);
    expect(media().writeAnswer(w, r, Direction.SendRecv)).toBe(true);
    expect(text(w)).toContain("m=audio 0 RTP/AVP 0\r\n");
  });

  it("bare LF line ends, and blank lines at the end", () => {
    const r = ok(offers.FRITZBOX + "\n\n", false);
    expect(summary(r)).toMatchObject({ codec: Codec.PCMA, codecPt: 8, telephoneEventPt: 101, address: "192.168.178.1" });
    ok(offers.SIPP + "\r\n");
  });

  it("the last line may lack its line end", () => {
    expect(ok(offers.SIPP.trimEnd()).codec).toBe(Codec.PCMU);
  });

  it("session-level direction and ptime apply unless the media level has its own", () => {
    const base = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\na=sendonly\na=ptime:30\nm=audio 5000 RTP/AVP 0\n";
    expect(summary(ok(base))).toMatchObject({ direction: Direction.SendOnly, ptime: 30 });
    expect(summary(ok(base + "a=inactive\na=ptime:40\n"))).toMatchObject({ direction: Direction.Inactive, ptime: 40 });
  });

  it("a multicast c= keeps the address alone", () => {
    const r = ok("v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 224.2.36.42/127\nt=0 0\nm=audio 5000 RTP/AVP 0\n");
    expect(r.connectionAddress()).toBe("224.2.36.42");
  });

  it("a 64-bit sess-version is kept as a span, the number -1", () => {
    const r = ok("v=0\no=- 1 18446744073709551615 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 5000 RTP/AVP 0\n");
    expect(r.originVersion).toBe(-1);
    expect(Buffer.from(r.buf.subarray(r.originVersionStart, r.originVersionStart + r.originVersionLen)).toString()).toBe("18446744073709551615");
    expect(Buffer.from(r.buf.subarray(r.originStart, r.originStart + r.originLen)).toString()).toBe("- 1 18446744073709551615 IN IP4 192.0.2.1");
  });

  it("reads the body of a parsed INVITE in place (offsets are absolute)", () => {
    const raw = readFileSync(resolve(__dirname, "fixtures/sip/invite-sdp.sip"));
    const buf = new Uint8Array(raw);
    const msg = new SipMessage();
    expect(new SipParser().parse(buf, buf.length, msg)).toBe(true);
    const r = new SdpReader();
    expect(r.read(buf, msg.bodyStart, msg.bodyLen)).toBe(true);
    expect(r.connStart).toBeGreaterThan(msg.bodyStart);
    expect(summary(r)).toMatchObject({ codec: Codec.PCMA, codecPt: 8, telephoneEventPt: 101, address: "192.168.178.1", audioPort: 7078 });
  });

  it("telephone-event's a=fmtp: found before its rtpmap, any case of the name, the last one wins, and only in the chosen stream", () => {
    const body = [
      "v=0", "o=- 1 1 IN IP4 192.0.2.1", "s=-", "c=IN IP4 192.0.2.1", "t=0 0",
      // A first audio stream without G.711: its fmtp for 101 is not the chosen stream's.
      "m=audio 4000 RTP/AVP 101", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-3",
      "m=audio 5000 RTP/AVP 0 101", "a=FMTP:101 0-11", "a=fmtp:0 x=1", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-15",
      "m=video 6000 RTP/AVP 101", "a=fmtp:101 profile=1", "",
    ].join("\r\n");
    const r = ok(body);
    expect(summary(r)).toMatchObject({ audioIndex: 1, codec: Codec.PCMU, telephoneEventPt: 101, audioPort: 5000, mediaCount: 3 });
    expect(Buffer.from(r.buf.subarray(r.telephoneEventFmtpStart, r.telephoneEventFmtpStart + r.telephoneEventFmtpLen)).toString()).toBe("0-15");
    // Without the second fmtp the first (upper-case name) is the one.
    const r2 = ok(body.replace("a=fmtp:101 0-15\r\n", ""));
    expect(Buffer.from(r2.buf.subarray(r2.telephoneEventFmtpStart, r2.telephoneEventFmtpStart + r2.telephoneEventFmtpLen)).toString()).toBe("0-11");
    // A payload type mapped in the first stream means nothing in the next (no rtpmap there: not an event).
    const r3 = ok(body.replace("a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15", "a=fmtp:101 0-15"));
    expect(r3.telephoneEventPt).toBe(-1);
    expect(r3.telephoneEventFmtpLen).toBe(-1);
  });

  it("keeps every m= line's spans and port, for ports up to 65535 and lines up to 64 KB (16-bit halves in its rows)", () => {
    // 65,535 bytes: the longest m= line kept (a byte more is the malformed case "an m= line over 64 KB")
    const longest = "m=video 65535/2  RTP/AVP" + " 96".repeat(21833) + " 9".repeat(6);
    expect(longest.length).toBe(65535);
    const r = ok(offers.SIPP + longest + "\nm=application  40001 udp wb\nm=audio 32768 RTP/AVP 8\n");
    const span = (start: number, len: number): string => Buffer.from(r.buf.subarray(start, start + len)).toString("latin1");
    const lines = [];
    for (let k = 0; k < r.mediaCount; k++) {
      const fmt = span(r.mediaFmtStart(k), r.mediaFmtLen(k));
      lines.push([span(r.mediaLineStart(k), 2), span(r.mediaTypeStart(k), r.mediaTypeLen(k)), r.mediaPort(k), span(r.mediaProtoStart(k), r.mediaProtoLen(k)), fmt.length, fmt.slice(-5)]);
    }
    expect(lines).toEqual([
      ["m=", "audio", 6000, "RTP/AVP", 1, "0"],
      ["m=", "video", 65535, "RTP/AVP", 65535 - 25, "96 9 9 9".slice(-5)],
      ["m=", "application", 40001, "udp", 2, "wb"],
      ["m=", "audio", 32768, "RTP/AVP", 1, "8"],
    ]);
    expect(r.mediaFmtStart(1) + r.mediaFmtLen(1)).toBe(r.mediaLineStart(1) + 65535);
    expect(summary(r)).toMatchObject({ audioIndex: 0, audioPort: 6000, codecPt: 0 });
  });

  it("one reader reads one body after another, nothing left over", () => {
    const r = new SdpReader();
    const a = sipBytes(offers.LINPHONE);
    const b = sipBytes(offers.SIPP);
    r.read(a, 0, a.length);
    expect(r.read(b, 0, b.length)).toBe(true);
    expect(summary(r)).toMatchObject({ mediaCount: 1, telephoneEventPt: -1, address: "127.0.0.1" });
    expect(r.telephoneEventFmtpLen).toBe(-1);
  });
});

describe("SdpReader: a=rtcp (RFC 3605)", () => {
  const HEAD = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n";
  const AUDIO = "m=audio 49170 RTP/AVP 0\n";
  const rtcp = (r: SdpReader) => ({ port: r.rtcpPort, address: r.rtcpAddress() });

  it("no a=rtcp: port 0 (RTCP goes to the RTP port + 1), no address", () => {
    expect(rtcp(ok(HEAD + AUDIO))).toEqual({ port: 0, address: "" });
    // a=rtcp-xr, a=rtcp-fb and a=rtcp-mux are other attributes.
    expect(rtcp(ok(HEAD + AUDIO + "a=rtcp-xr:rcvr-rtt=all:10000\na=rtcp-fb:* trr-int 1000\na=rtcp-mux\n"))).toEqual({ port: 0, address: "" });
  });

  it("the port alone, as Linphone sends it", () => {
    expect(rtcp(ok(HEAD + AUDIO + "a=rtcp:53000\n"))).toEqual({ port: 53000, address: "" });
    expect(rtcp(ok(offers.LINPHONE_RTCP))).toEqual({ port: 60918, address: "" });
    expect(rtcp(ok(HEAD + AUDIO + "a=RTCP:1\n"))).toEqual({ port: 1, address: "" });
    expect(rtcp(ok(HEAD + AUDIO + "a=rtcp:65535 \n"))).toEqual({ port: 65535, address: "" });
  });

  it("with an IN IP4 address (FreeSWITCH's, and RFC 3605's own example)", () => {
    expect(rtcp(ok(offers.FREESWITCH))).toEqual({ port: 26793, address: "10.0.0.5" });
    const r = ok(HEAD + AUDIO + "a=rtcp:53020 IN IP4 126.16.64.4\n");
    expect(rtcp(r)).toEqual({ port: 53020, address: "126.16.64.4" });
    // A number (no string until asked for), the c= address unchanged.
    expect(r.rtcpIp4).toBe(0x7e104004);
    expect(r.connectionAddress()).toBe("192.0.2.1");
    expect(ok(HEAD + AUDIO + "a=rtcp:53020 IN IP4 255.255.255.254\n").rtcpIp4).toBe(0xfffffffe);
  });

  it("an IP6, 0.0.0.0, host name, or unreadable address keeps the port alone (the c= address applies)", () => {
    expect(rtcp(ok(HEAD + AUDIO + "a=rtcp:53020 IN IP4 media.example.com\n"))).toEqual({ port: 53020, address: "" });
    for (const bad of ["1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1..2.3", "1.2.3.4/127"]) {
      expect({ bad, ...rtcp(ok(HEAD + AUDIO + `a=rtcp:53020 IN IP4 ${bad}\n`)) }).toEqual({ bad, port: 53020, address: bad === "1.2.3.4/127" ? "1.2.3.4" : "" });
    }
    expect(rtcp(ok(HEAD + AUDIO + "a=rtcp:53020 IN IP6 2001:db8::1\n"))).toEqual({ port: 53020, address: "" });
    expect(rtcp(ok(HEAD + AUDIO + "a=rtcp:53020 IN IP4 0.0.0.0\n"))).toEqual({ port: 53020, address: "" });
    expect(rtcp(ok(HEAD + AUDIO + "a=rtcp:53020 IN IP4\n"))).toEqual({ port: 53020, address: "" });
    expect(rtcp(ok(HEAD + AUDIO + "a=rtcp:53020 ATM NSAP 47.0005\n"))).toEqual({ port: 53020, address: "" });
    expect(rtcp(ok(HEAD + AUDIO + "a=rtcp:53020 IN IP4 192.0.2.9 extra\n"))).toEqual({ port: 53020, address: "" });
  });

  it("a malformed port: the attribute is ignored, the offer still read", () => {
    for (const value of ["", "0", "65536", "70000", "abc", "-5", "53000x", "5300O", " 53000"]) {
      const r = ok(HEAD + AUDIO + `a=rtcp:${value}\n`);
      expect({ value, ...rtcp(r) }).toEqual({ value, port: 0, address: "" });
      expect(r.codec).toBe(Codec.PCMU);
    }
    ok(HEAD + AUDIO + "a=rtcp\n");
    // A bad second line leaves a good first one.
    expect(rtcp(ok(HEAD + AUDIO + "a=rtcp:53000\na=rtcp:x\n"))).toEqual({ port: 53000, address: "" });
  });

  it("media-level only: a session-level a=rtcp is ignored (RFC 3605 §2.1), the audio stream's own is taken", () => {
    const session = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\na=rtcp:40001 IN IP4 192.0.2.77\n";
    expect(rtcp(ok(session + AUDIO))).toEqual({ port: 0, address: "" });
    expect(rtcp(ok(session + AUDIO + "a=rtcp:53000\n"))).toEqual({ port: 53000, address: "" });
  });

  it("only the chosen audio stream's: not another stream's, and not carried from one description to the next", () => {
    const two = HEAD + "m=video 5000 RTP/AVP 96\na=rtcp:5555\n" + AUDIO;
    expect(rtcp(ok(two))).toEqual({ port: 0, address: "" });
    // The first audio stream (port 0, disabled) had one; the stream answered has its own.
    const replaced = HEAD + "m=audio 0 RTP/AVP 0\na=rtcp:4001 IN IP4 192.0.2.50\nm=audio 5012 RTP/AVP 0\na=rtcp:6001\n";
    const r = ok(replaced);
    expect([r.audioIndex, r.audioPort]).toEqual([1, 5012]);
    expect(rtcp(r)).toEqual({ port: 6001, address: "" });
    // The one reader, read again without a=rtcp: nothing left over.
    const buf = sipBytes(HEAD + AUDIO);
    expect(r.read(buf, 0, buf.length)).toBe(true);
    expect(rtcp(r)).toEqual({ port: 0, address: "" });
  });
});

describe("SdpReader: its numbers (reader-state.ts)", () => {
  it("gives every block the room its field reader writes, with no gap or overlap, and a row for each of MAX_MEDIA m= lines", () => {
    // [name, first index, how many numbers], in the enum's order
    const blocks: [string, number, number][] = [
      ["Error", Num.Error, 1],
      ["ErrorOffset", Num.ErrorOffset, 1],
      ["Origin", Num.Origin, OriginOut.Size],
      ["MediaCount", Num.MediaCount, 1],
      ["AudioIndex", Num.AudioIndex, 1],
      ["AudioPort", Num.AudioPort, 1],
      ["Codec", Num.Codec, 1],
      ["CodecPt", Num.CodecPt, 1],
      ["TelephoneEventPt", Num.TelephoneEventPt, 1],
      ["TelephoneEventFmtpStart", Num.TelephoneEventFmtpStart, 1],
      ["TelephoneEventFmtpLen", Num.TelephoneEventFmtpLen, 1],
      ["Direction", Num.Direction, 1],
      ["Ptime", Num.Ptime, 1],
      ["AudioLineStart", Num.AudioLineStart, 1],
      ["BestScore", Num.BestScore, 1],
      ["AudioHasConn", Num.AudioHasConn, 1],
      ["AudioConn", Num.AudioConn, ConnOut.Size],
      ["SessHasConn", Num.SessHasConn, 1],
      ["SessConn", Num.SessConn, ConnOut.Size],
      ["CurHasConn", Num.CurHasConn, 1],
      ["CurConn", Num.CurConn, ConnOut.Size],
      ["CurMedia", Num.CurMedia, MediaOut.Size],
      ["SawOrigin", Num.SawOrigin, 1],
      ["SessDirection", Num.SessDirection, 1],
      ["SessPtime", Num.SessPtime, 1],
      ["CurDirection", Num.CurDirection, 1],
      ["CurPtime", Num.CurPtime, 1],
      ["CurEventFmtpPt", Num.CurEventFmtpPt, 1],
      ["CurEventFmtpStart", Num.CurEventFmtpStart, 1],
      ["CurEventFmtpLen", Num.CurEventFmtpLen, 1],
      ["Rtcp", Num.Rtcp, RtcpOut.Size],
      ["CurRtcp", Num.CurRtcp, RtcpOut.Size],
      ["Scratch", Num.Scratch, Math.max(RtpmapOut.Size, FmtpOut.Size, ConnOut.Size)],
      // a nibble per payload type, 8 to an int32
      ["PtKinds", Num.PtKinds, (MAX_PT + 1) / 8],
      ["Media", Num.Media, MAX_MEDIA * MediaRow.Size],
    ];
    let next = 0;
    for (const [name, at, size] of blocks) {
      expect({ name, at }).toEqual({ name, at: next });
      next = at + size;
    }
    expect(next).toBe(Num.Size);
  });
});

describe("SdpReader: malformed bodies", () => {
  const HEAD = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n";
  const cases: [string, string, SdpError, string][] = [
    // name, body ("\n" becomes CRLF), error, the text at the error offset
    ["empty body", "", SdpError.Empty, ""],
    ["blank body", "\n\n", SdpError.Empty, ""],
    ["not starting with v=", "o=- 1 1 IN IP4 192.0.2.1\nv=0\n", SdpError.Version, "o=- 1"],
    ["version 1", "v=1\n", SdpError.Version, "1"],
    ["a second v=", HEAD + "v=0\n", SdpError.Version, "v=0"],
    ["not SDP at all", "hello\n", SdpError.Version, "hello"],
    ["a line without =", HEAD + "hello\n", SdpError.Syntax, "hello"],
    ["white space before =", HEAD + "a =sendrecv\n", SdpError.Syntax, "a =sendrecv"],
    ["an unknown type letter", HEAD + "y=0100000001\n", SdpError.Syntax, "y=01"],
    ["a blank line in the middle", HEAD + "\nm=audio 5000 RTP/AVP 0\n", SdpError.Syntax, "\r\nm=audio"],
    ["no o= before m=", "v=0\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\nm=audio 5000 RTP/AVP 0\n", SdpError.Origin, "m=audio"],
    ["no o= at all", "v=0\ns=-\n", SdpError.Origin, ""],
    ["o= with a non-numeric sess-id", "v=0\no=- abc 1 IN IP4 192.0.2.1\n", SdpError.Origin, "abc"],
    ["o= without an address", "v=0\no=- 1 1 IN IP4\n", SdpError.Origin, "\r\n"],
    ["two o= lines", HEAD + "o=- 1 1 IN IP4 192.0.2.1\n", SdpError.Origin, "o=- 1 1"],
    ["c= with IP5", "v=0\no=- 1 1 IN IP4 192.0.2.1\nc=IN IP5 192.0.2.1\n", SdpError.Connection, "IP5"],
    ["c= with nettype ATM", "v=0\no=- 1 1 IN IP4 192.0.2.1\nc=ATM NSAP 47.0005\n", SdpError.Connection, "ATM"],
    ["c= IP4 with a colon", "v=0\no=- 1 1 IN IP4 192.0.2.1\nc=IN IP4 2001:db8::1\n", SdpError.Connection, ":db8"],
    ["c= missing for the audio stream", "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nt=0 0\nm=audio 5000 RTP/AVP 0\n", SdpError.Connection, "m=audio"],
    ["m= port above 65535", HEAD + "m=audio 70000 RTP/AVP 0\n", SdpError.Media, "70000"],
    ["m= without formats", HEAD + "m=audio 5000 RTP/AVP\n", SdpError.Media, "\r\n"],
    ["m= RTP/AVP format not a number", HEAD + "m=audio 5000 RTP/AVP 0 abc\n", SdpError.Media, "abc"],
    ["m= RTP/AVP format above 127", HEAD + "m=audio 5000 RTP/AVP 0 128\n", SdpError.Media, "128"],
    ["m= without a port", HEAD + "m=audio RTP/AVP 0\n", SdpError.Media, "RTP/AVP 0"],
    ["video only", HEAD + "m=video 5000 RTP/AVP 96\n", SdpError.NoAudio, "v=0"],
    ["session only", HEAD, SdpError.NoAudio, "v=0"],
    ["rtpmap without a clock rate", HEAD + "m=audio 5000 RTP/AVP 96\na=rtpmap:96 PCMU\n", SdpError.Attribute, "\r\n"],
    ["rtpmap with a PT above 127", HEAD + "m=audio 5000 RTP/AVP 0\na=rtpmap:300 PCMU/8000\n", SdpError.Attribute, "300"],
    ["fmtp without a PT", HEAD + "m=audio 5000 RTP/AVP 0\na=fmtp:x 0-15\n", SdpError.Attribute, "x 0-15"],
    ["ptime not a number", HEAD + "m=audio 5000 RTP/AVP 0\na=ptime:abc\n", SdpError.Attribute, "abc"],
    ["too many m= lines", HEAD + "m=audio 5000 RTP/AVP 0\n".repeat(MAX_MEDIA + 1), SdpError.TooManyMedia, "m=audio"],
    ["an m= line over 64 KB", HEAD + "m=video 5000 RTP/AVP" + " 96".repeat(21838) + " 9\n", SdpError.Media, "m=video 5000"],
  ];

  it.each(cases)("%s", (_name, body, error, at) => {
    const buf = sipBytes(body);
    const r = new SdpReader();
    expect(r.read(buf, 0, buf.length)).toBe(false);
    expect(SDP_ERROR_REASONS[r.error]).toBe(SDP_ERROR_REASONS[error]);
    expect(Buffer.from(buf.subarray(r.errorOffset, r.errorOffset + at.length)).toString("latin1")).toBe(at);
    if (at === "") expect([0, buf.length]).toContain(r.errorOffset);
  });

  it("a stray CR or a NUL inside a line", () => {
    const withCr = latin1Bytes("v=0\r\no=- 1 1 IN\rIP4 192.0.2.1\r\n");
    const r = new SdpReader();
    expect(r.read(withCr, 0, withCr.length)).toBe(false);
    expect([r.error, r.errorOffset]).toEqual([SdpError.Syntax, 15]);
    const withNul = latin1Bytes("v=0\r\ns=a\u0000b\r\n");
    expect(r.read(withNul, 0, withNul.length)).toBe(false);
    expect([r.error, r.errorOffset]).toEqual([SdpError.Syntax, 8]);
  });

  it("malformed attributes of a stream we reject are not ours to judge", () => {
    ok(offers.SIPP + "m=video 5002 RTP/AVP 96\na=rtpmap:96\n");
  });

  it("error offsets are absolute when the body starts inside the buffer", () => {
    const prefix = "INVITE sip:door@x SIP/2.0\r\n\r\n";
    const buf = latin1Bytes(prefix + "v=0\r\nv=0\r\n");
    const r = new SdpReader();
    expect(r.read(buf, prefix.length, buf.length - prefix.length)).toBe(false);
    expect([r.error, r.errorOffset]).toEqual([SdpError.Version, prefix.length + 5]);
    expect(r.read(buf, prefix.length, 0)).toBe(false);
    expect([r.error, r.errorOffset]).toEqual([SdpError.Empty, prefix.length]);
    expect(r.reason).toBe("empty SDP body");
  });

  it("has a reason for every error", () => {
    expect(SDP_ERROR_REASONS.length).toBe(SdpError.Empty + 1);
    expect(offerWarning(read("v=0\no=- 1 1 IN IP4 192.0.2.1\nm=video 5000 RTP/AVP 96\n"))).toBe(WARNING_MEDIA_UNAVAILABLE);
    expect(offerWarning(read("v=1\n"))).toBe(WARNING_INCOMPATIBLE);
    expect(offerWarning(read(offers.SIPP))).toBe(0);
  });
});

describe("directions (RFC 3264 §6.1)", () => {
  it("mirrors the offer", () => {
    expect([Direction.SendRecv, Direction.SendOnly, Direction.RecvOnly, Direction.Inactive].map(answerDirection)).toEqual([Direction.SendRecv, Direction.RecvOnly, Direction.SendOnly, Direction.Inactive]);
  });

  it("narrows to what we want, never widens", () => {
    const all = [Direction.SendRecv, Direction.SendOnly, Direction.RecvOnly, Direction.Inactive];
    const table = all.map((offered) => all.map((local) => combineDirection(offered, local)));
    expect(table).toEqual([
      [Direction.SendRecv, Direction.SendOnly, Direction.RecvOnly, Direction.Inactive],
      [Direction.RecvOnly, Direction.Inactive, Direction.RecvOnly, Direction.Inactive],
      [Direction.SendOnly, Direction.SendOnly, Direction.Inactive, Direction.Inactive],
      [Direction.Inactive, Direction.Inactive, Direction.Inactive, Direction.Inactive],
    ]);
    expect(all.map((d) => [canSend(d), canReceive(d)])).toEqual([[true, true], [true, false], [false, true], [false, false]]);
  });
});

describe("LocalMedia: offers", () => {
  const OFFER = [
    "v=0",
    "o=doorsip 12345 1 IN IP4 192.168.178.40",
    "s=-",
    "c=IN IP4 192.168.178.40",
    "t=0 0",
    "m=audio 40000 RTP/AVP 0 8 101",
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    "a=rtpmap:101 telephone-event/8000",
    "a=fmtp:101 0-16",
    "a=ptime:20",
    "a=sendrecv",
    "",
  ].join("\r\n");

  it("writes the offer byte for byte", () => {
    const w = new SipWriter(1500);
    expect(media().writeOffer(w, Direction.SendRecv)).toBe(true);
    expect(text(w)).toBe(OFFER);
  });

  it("its own offer reads back", () => {
    const w = new SipWriter(1500);
    const m = new LocalMedia({ sessionId: 4294967295, address: "[2001:db8::40]", rtpPort: 5004, telephoneEventPt: 96, userName: "door" });
    m.writeOffer(w, Direction.SendOnly);
    expect(text(w)).toContain("o=door 4294967295 1 IN IP6 2001:db8::40\r\ns=-\r\nc=IN IP6 2001:db8::40\r\n");
    const r = new SdpReader();
    expect(r.read(w.buf, 0, w.pos)).toBe(true);
    expect(summary(r)).toEqual({ audioIndex: 0, audioPort: 5004, codec: Codec.PCMU, codecPt: 0, telephoneEventPt: 96, address: "2001:db8::40", ip6: true, isNull: false, direction: Direction.SendOnly, ptime: 20, mediaCount: 1 });
    expect(m.address).toBe("2001:db8::40");
  });

  it("without telephone-event when its PT is -1", () => {
    const w = new SipWriter(1500);
    new LocalMedia({ sessionId: 1, address: "192.0.2.1", rtpPort: 5004, telephoneEventPt: -1 }).writeOffer(w, Direction.SendRecv);
    expect(text(w)).toContain("m=audio 5004 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=ptime:20\r\n");
    expect(text(w)).not.toContain("telephone-event");
  });

  it("the version increases when the content changes, and only then (RFC 3264 §8)", () => {
    const m = media();
    const w = new SipWriter(1500);
    const versions: number[] = [];
    const write = (d: Direction): string => {
      w.reset();
      expect(m.writeOffer(w, d)).toBe(true);
      versions.push(m.version);
      return text(w);
    };
    const first = write(Direction.SendRecv);
    expect(write(Direction.SendRecv)).toBe(first);
    write(Direction.SendOnly); // hold
    write(Direction.SendOnly);
    write(Direction.SendRecv); // resume: same content as the first, but after a change
    m.address = "192.168.178.41"; // a new address
    write(Direction.SendRecv);
    m.address = "192.168.178.41";
    write(Direction.SendRecv);
    m.rtpPort = 40002;
    const last = write(Direction.SendRecv);
    expect(versions).toEqual([1, 1, 2, 2, 3, 4, 4, 5]);
    expect(last).toContain("o=doorsip 12345 5 IN IP4 192.168.178.41\r\n");
    expect(last).toContain("m=audio 40002 ");
  });

  it("a new session starts the version again, with the new id and address", () => {
    const m = media();
    const w = new SipWriter(1500);
    m.writeOffer(w, Direction.SendRecv);
    w.reset();
    m.writeOffer(w, Direction.SendOnly);
    expect(m.version).toBe(2);
    m.newSession(777, "192.0.2.99");
    w.reset();
    m.writeOffer(w, Direction.SendOnly);
    expect(m.version).toBe(1);
    expect(text(w)).toContain("o=doorsip 777 1 IN IP4 192.0.2.99\r\ns=-\r\nc=IN IP4 192.0.2.99\r\n");
    w.reset();
    m.writeOffer(w, Direction.SendOnly);
    expect(m.version).toBe(1);
  });

  it("the version goes past a power of ten with the body intact", () => {
    const m = media();
    m.version = 9;
    const w = new SipWriter(1500);
    m.writeOffer(w, Direction.SendRecv);
    w.reset();
    m.writeOffer(w, Direction.Inactive);
    expect(m.version).toBe(10);
    expect(text(w)).toBe(OFFER.replace(" 1 IN", " 10 IN").replace("a=sendrecv", "a=inactive"));
  });

  it("writes after what the writer already holds", () => {
    const w = new SipWriter(1500);
    w.text("prefix");
    media().writeOffer(w, Direction.SendRecv);
    expect(text(w)).toBe("prefix" + OFFER);
  });

  it("returns false on overflow, wherever it happens, and the version stays", () => {
    const m = media();
    for (let size = 0; size < OFFER.length; size++) {
      const w = new SipWriter(size);
      expect(m.writeOffer(w, Direction.SendRecv), `size ${size}`).toBe(false);
      expect(m.version).toBe(1);
    }
    const w = new SipWriter(OFFER.length);
    expect(m.writeOffer(w, Direction.SendRecv)).toBe(true);
    expect(text(w)).toBe(OFFER);
  });
});

describe("LocalMedia: answers (RFC 3264 §6)", () => {
  function answer(offer: string, local = Direction.SendRecv, m = media()): { text: string; back: SdpReader; offer: SdpReader } {
    const r = ok(offer);
    const w = new SipWriter(1500);
    expect(m.writeAnswer(w, r, local)).toBe(true);
    const back = new SdpReader();
    expect(back.read(w.buf, 0, w.pos)).toBe(true);
    // Consistency: as many m= lines, the same codec and PTs, the same stream.
    expect(back.mediaCount).toBe(r.mediaCount);
    expect(back.audioIndex).toBe(r.audioIndex);
    expect(back.codec).toBe(r.codec);
    expect(back.codecPt).toBe(r.codecPt);
    expect(back.telephoneEventPt).toBe(m.telephoneEventPt >= 0 ? r.telephoneEventPt : -1);
    expect(back.connectionAddress()).toBe(m.address);
    for (let k = 0; k < r.mediaCount; k++) if (k !== r.audioIndex) expect(back.mediaPort(k)).toBe(0);
    return { text: text(w), back, offer: r };
  }

  it("FRITZ!Box: PCMA and its events, byte for byte", () => {
    expect(answer(offers.FRITZBOX).text).toBe(
      [
        "v=0",
        "o=doorsip 12345 1 IN IP4 192.168.178.40",
        "s=-",
        "c=IN IP4 192.168.178.40",
        "t=0 0",
        "m=audio 40000 RTP/AVP 8 101",
        "a=rtpmap:8 PCMA/8000",
        "a=rtpmap:101 telephone-event/8000",
        "a=fmtp:101 0-15",
        "a=ptime:20",
        "a=sendrecv",
        "",
      ].join("\r\n"),
    );
  });

  it("Linphone: PCMU, telephone-event 100 with events 0-16, the video stream rejected, byte for byte", () => {
    expect(answer(offers.LINPHONE).text).toBe(
      [
        "v=0",
        "o=doorsip 12345 1 IN IP4 192.168.178.40",
        "s=-",
        "c=IN IP4 192.168.178.40",
        "t=0 0",
        "m=audio 40000 RTP/AVP 0 100",
        "a=rtpmap:0 PCMU/8000",
        "a=rtpmap:100 telephone-event/8000",
        "a=fmtp:100 0-16",
        "a=ptime:20",
        "a=sendrecv",
        "m=video 0 RTP/AVP 96",
        "",
      ].join("\r\n"),
    );
  });

  it("video first and SRTP audio: three m= lines in order, two rejected", () => {
    const a = answer(offers.VIDEO_FIRST);
    expect(a.text).toContain("t=0 0\r\nm=video 0 RTP/AVP 96 97\r\nm=audio 0 RTP/SAVP 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=recvonly\r\n");
    expect(a.back.direction).toBe(Direction.RecvOnly);
  });

  it("a dynamic G.711 PT and telephone-event 96 keep the offer's numbers", () => {
    const a = answer(offers.DYNAMIC_G711);
    expect(a.text).toContain("m=audio 40000 RTP/AVP 97 96\r\na=rtpmap:97 PCMA/8000\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-15\r\n");
  });

  it("SIPp: no telephone-event offered, none answered", () => {
    const a = answer(offers.SIPP);
    expect(a.text).toContain("m=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=ptime:20\r\na=sendrecv\r\n");
    expect(a.text).not.toContain("telephone-event");
  });

  it("no telephone-event answered when ours is off", () => {
    const m = new LocalMedia({ sessionId: 1, address: "192.0.2.1", rtpPort: 5004, telephoneEventPt: -1 });
    expect(answer(offers.ASTERISK, Direction.SendRecv, m).text).not.toContain("telephone-event");
  });

  it("the removed stream stays at port 0 and the new one is answered", () => {
    const a = answer(offers.REPLACED_STREAM);
    expect(a.text).toContain("t=0 0\r\nm=audio 0 RTP/AVP 0\r\nm=audio 40000 RTP/AVP 8 101\r\n");
    expect(a.text).toContain("a=sendonly\r\n");
  });

  it("hold: sendonly is answered recvonly, inactive with inactive; our own wish narrows it", () => {
    expect(answer(offers.FREESWITCH_HOLD).back.direction).toBe(Direction.RecvOnly);
    expect(answer(offers.FREESWITCH_HOLD, Direction.Inactive).back.direction).toBe(Direction.Inactive);
    expect(answer(offers.ASTERISK, Direction.SendOnly).back.direction).toBe(Direction.SendOnly);
    expect(answer(offers.ASTERISK.replace("a=sendrecv", "a=inactive")).back.direction).toBe(Direction.Inactive);
  });

  it("IPv6 offer answered from an IPv4 address, and the other way round", () => {
    expect(answer(offers.BARESIP_IP6).text).toContain("c=IN IP4 192.168.178.40\r\n");
    expect(answer(offers.ASTERISK, Direction.SendRecv, media("2001:db8::40")).text).toContain("o=doorsip 12345 1 IN IP6 2001:db8::40\r\ns=-\r\nc=IN IP6 2001:db8::40\r\n");
  });

  it("answering the same offer again keeps the version; a different answer raises it", () => {
    const m = media();
    answer(offers.FRITZBOX, Direction.SendRecv, m);
    answer(offers.FRITZBOX, Direction.SendRecv, m);
    expect(m.version).toBe(1);
    answer(offers.FREESWITCH_HOLD, Direction.SendRecv, m);
    expect(m.version).toBe(2);
  });

  it("refuses offers it cannot answer, writing nothing", () => {
    const w = new SipWriter(1500);
    const m = media();
    expect(m.writeAnswer(w, read("v=1\n"), Direction.SendRecv)).toBe(false);
    expect(m.writeAnswer(w, read(offers.NO_G711), Direction.SendRecv)).toBe(false);
    expect(w.pos).toBe(0);
    expect(m.writeAnswer(new SipWriter(100), ok(offers.LINPHONE), Direction.SendRecv)).toBe(false);
  });
});

describe("488 Warning (RFC 3261 §20.43)", () => {
  it("writes the header line", () => {
    const host = latin1Bytes("192.168.178.40:5060");
    const w = new SipWriter(200);
    writeWarning(w, host);
    writeWarning(w, host, WARNING_MEDIA_UNAVAILABLE);
    expect(text(w)).toBe('Warning: 305 192.168.178.40:5060 "Incompatible media format"\r\nWarning: 304 192.168.178.40:5060 "Media type not available"\r\n');
  });
});
