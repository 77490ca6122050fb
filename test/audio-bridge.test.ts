/*
 * The pieces of the audio paths around the core, on their own:
 * - the XS bridge's hex (blocks of String.fromCharCode) and frame layout
 *   (hosts/xs/bridge-protocol.ts), against Node's Buffer;
 * - the desk phone's own G.711 (hosts/node/pbx/phone-media.ts), written
 *   apart from src/media, against the core's tables (which
 *   test/media-g711.test.ts checks against the ITU-T tables): two
 *   implementations that must agree on every code and every sample;
 * - the phone's checks of the door's RTP: each fault it must report, fed
 *   packets that have it;
 * - the phone's RFC 4733 packets, received on a real UDP socket on 127.0.0.1.
 */
import { createSocket, type Socket } from "node:dgram";
import { describe, expect, it } from "vitest";
import { alawDecode, alawEncode, ulawDecode, ulawEncode } from "../src/media/g711";
import { FRAME_BYTES, frameToBytes, isRtcpSocket, rtcpSocket, rtpSocket, socketSlot, toHex } from "../hosts/xs/bridge-protocol";
import {
  agreed, alawToLinear, linearToAlaw, linearToUlaw, mediaProblems, PhoneMediaSession, sdpAudio, ulawToLinear, type PhoneMediaPlan,
} from "../hosts/node/pbx/phone-media";
import { sdpAnswer, sdpOffer } from "../hosts/node/pbx/phone";

describe("the XS bridge's encoding", () => {
  it("toHex agrees with Buffer for every length around its 1024-byte blocks", () => {
    for (const n of [0, 1, 2, 172, 1023, 1024, 1025, 2048, 3001]) {
      const data = new Uint8Array(n + 5);
      for (let i = 0; i < data.length; i++) data[i] = (i * 167 + 13) & 255;
      expect(toHex(data, n)).toBe(Buffer.from(data.subarray(0, n)).toString("hex"));
    }
  });

  it("a frame is 160 little-endian signed samples; socket ids name the slot and RTP or RTCP", () => {
    const frame = new Int16Array(160);
    for (let i = 0; i < 160; i++) frame[i] = i * 409 - 32768;
    const bytes = new Uint8Array(FRAME_BYTES);
    frameToBytes(frame, bytes);
    const back = Buffer.from(bytes);
    for (let i = 0; i < 160; i++) expect(back.readInt16LE(2 * i)).toBe(frame[i]);
    expect([rtpSocket(0), rtcpSocket(0), rtpSocket(3), rtcpSocket(3)]).toEqual([1, 2, 7, 8]);
    expect([socketSlot(7), isRtcpSocket(7), socketSlot(8), isRtcpSocket(8), isRtcpSocket(0)]).toEqual([3, false, 3, true, false]);
  });
});

describe("the desk phone's G.711", () => {
  it("decodes every code and encodes every 16-bit sample as the core's tables do", () => {
    let decode = 0;
    for (let c = 0; c < 256; c++) {
      if (ulawToLinear(c) !== ulawDecode(c)) decode++;
      if (alawToLinear(c) !== alawDecode(c)) decode++;
    }
    let encode = 0;
    for (let s = -32768; s < 32768; s++) {
      if (linearToUlaw(s) !== ulawEncode(s)) encode++;
      if (linearToAlaw(s) !== alawEncode(s)) encode++;
    }
    expect({ decode, encode }).toEqual({ decode: 0, encode: 0 });
  });

  it("reads the door's SDP: address, port, the agreed codec and telephone-event type", () => {
    const offer = sdpOffer("127.0.0.1", 40000);
    const a = sdpAudio(offer)!;
    expect({ address: a.address, port: a.port, formats: a.formats }).toEqual({ address: "127.0.0.1", port: 40000, formats: [0, 8, 101] });
    const answer = sdpAnswer(offer.replace("RTP/AVP 0 8 101", "RTP/AVP 8 101"), "127.0.0.2", 41000)!;
    expect(agreed(sdpAudio(answer)!)).toEqual({ codec: "PCMA", payloadType: 8, eventPayloadType: 101 });
    expect(sdpAudio(offer.replace("m=audio 40000", "m=audio 0"))).toBeNull();
  });
});

/** An RTP packet as the door would send it. */
function rtp(seq: number, ts: number, o: { pt?: number; marker?: boolean; ssrc?: number; payload?: number } = {}): Uint8Array {
  const p = new Uint8Array(12 + (o.payload ?? 160));
  const v = new DataView(p.buffer);
  p[0] = 0x80;
  p[1] = (o.marker === true ? 0x80 : 0) | (o.pt ?? 0);
  v.setUint16(2, seq & 0xffff);
  v.setUint32(4, ts >>> 0);
  v.setUint32(8, o.ssrc ?? 0x11223344);
  p.fill(0xff, 12); // µ-law silence
  return p;
}

const PLAN: PhoneMediaPlan = { callId: "c1", address: "127.0.0.1", port: 9, codec: "PCMU", payloadType: 0, eventPayloadType: 101, toneHz: 0, toneMs: 0 };

/** A session that sends into the void: only its receiving side is looked at. */
function checker(): PhoneMediaSession {
  return new PhoneMediaSession(PLAN, () => {});
}

describe("the desk phone's checks of the door's RTP", () => {
  it("a clean stream has no problems; each fault is reported", () => {
    const feed = (mutate: (i: number) => Uint8Array | null, port = 9): ReturnType<typeof mediaProblems> => {
      const s = checker();
      for (let i = 0; i < 20; i++) {
        const p = mutate(i);
        if (p !== null) s.receive(p, "127.0.0.1", port);
      }
      return mediaProblems(s.stop());
    };
    const seq0 = 65530; // wraps around 65535
    const ts0 = 0xfffff000;
    expect(feed((i) => rtp(seq0 + i, ts0 + 160 * i, { marker: i === 0 }))).toEqual([]);
    expect(feed((i) => (i === 7 ? null : rtp(seq0 + i, ts0 + 160 * i, { marker: i === 0 })))).toEqual(["1 sequence number breaks"]);
    expect(feed((i) => rtp(seq0 + i, ts0 + 100 * i, { marker: i === 0 }))).toEqual(["19 timestamp breaks"]);
    expect(feed((i) => rtp(seq0 + i, ts0 + 160 * i, { marker: i === 0, payload: 240 }))).toEqual(["payloads other than 160 bytes (20 ms)"]);
    expect(feed((i) => rtp(seq0 + i, ts0 + 160 * i, { marker: false }))).toEqual(["no marker bit on the first packet"]);
    expect(feed((i) => rtp(seq0 + i, ts0 + 160 * i, { marker: i === 0, ssrc: i < 10 ? 1 : 2 }))).toEqual(["2 SSRCs"]);
    expect(feed((i) => rtp(seq0 + i, ts0 + 160 * i, { marker: i === 0 }), 11)).toEqual(["RTP from a port other than the SDP's (not symmetric)"]);
    expect(feed((i) => rtp(seq0 + i, ts0 + 160 * i, { marker: i === 0, pt: i === 5 ? 8 : 0 }))).toEqual([
      "1 sequence number breaks", "1 datagrams that were not PCMU or telephone-event RTP",
    ]);
    expect(feed(() => null)).toEqual(["only 0 RTP packets from the door"]);
    // Frames skipped to keep real time (the timestamp jumps, the sequence does not) are no fault.
    const s = checker();
    for (let i = 0; i < 20; i++) s.receive(rtp(100 + i, 1000 + 160 * i + (i >= 10 ? 480 : 0), { marker: i === 0 }), "127.0.0.1", 9);
    const r = s.stop();
    expect(mediaProblems(r)).toEqual([]);
    expect(r.skippedFrames).toBe(3);
    expect(r.received).toBe(20);
    expect(r.samples.length).toBe(20 * 160);
  });
});

describe("the desk phone's RFC 4733 events", () => {
  it("'#' as the RFC 4733 §2.5 packets: one timestamp, the duration growing, the marker first, the end packet three times", async () => {
    const socket: Socket = createSocket("udp4");
    const packets: Buffer[] = [];
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
    socket.on("message", (m) => packets.push(m));
    const port = socket.address().port;
    const out = createSocket("udp4");
    const session = new PhoneMediaSession({ ...PLAN, port }, (bytes, address, p) => out.send(Buffer.from(bytes), p, address));
    try {
      const timeout = new Promise<boolean>((_, reject) => setTimeout(() => reject(new Error("no end of the event within 5 s")), 5000));
      expect(await Promise.race([session.sendDigit("#"), timeout])).toBe(true);
      const report = session.stop();
      expect(report.eventsSent).toBe(10);
      // Until the last event packet has arrived (loopback; bounded).
      const end = Date.now() + 2000;
      while (packets.filter((p) => (p[1]! & 0x7f) === 101).length < 10 && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
      const events = packets.filter((p) => (p[1]! & 0x7f) === 101);
      expect(events).toHaveLength(10);
      const ts = events.map((p) => p.readUInt32BE(4));
      expect(new Set(ts).size).toBe(1);
      expect(events.map((p) => p[12])).toEqual(Array(10).fill(11)); // '#' is event 11
      expect(events.map((p) => (p[1]! & 0x80) !== 0)).toEqual([true, ...Array(9).fill(false)]);
      expect(events.map((p) => (p[13]! & 0x80) !== 0)).toEqual([...Array(7).fill(false), true, true, true]);
      expect(events.map((p) => p.readUInt16BE(14))).toEqual([160, 320, 480, 640, 800, 960, 1120, 1280, 1280, 1280]);
      // The sequence numbers run on through audio and events alike.
      const seqs = packets.map((p) => p.readUInt16BE(2));
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1]! + 1) & 0xffff);
      expect(await session.sendDigit("x")).toBe(false);
    } finally {
      session.stop();
      out.close();
      socket.close();
    }
  });
});
