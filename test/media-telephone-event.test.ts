/*
 * The RFC 4733 sender (src/media/telephone-event.ts), byte by byte: the
 * start packet with the marker bit, duration updates at 50 ms steps, the
 * end packet three times with the same timestamp and duration (§2.5.1.2,
 * §2.5.1.4); then in an RtpSession's stream, interleaved with the audio
 * (one packet per 20 ms frame, sequence numbers in step), and read back by
 * the core's own receiver.
 */
import { describe, expect, it } from "vitest";
import type { ClockHost, RandomHost, UdpHost } from "../src/host";
import { FRAME_SAMPLES } from "../src/media/g711";
import { RtpHeader, RtpCheck, writeRtpHeader } from "../src/media/rtp-packet";
import { RtpSession } from "../src/media/rtp-session";
import {
  EVENT_END_PACKETS,
  EVENT_PACKET_BYTES,
  EventSenderState,
  TelephoneEventReceiver,
  TelephoneEventSender,
} from "../src/media/telephone-event";

const hex = (b: Uint8Array, n = b.length): string => Buffer.from(b.subarray(0, n)).toString("hex");

/** Each frame's packet from write(): its hex, or "" when the frame carries none. */
function frames(sender: TelephoneEventSender, count: number, ts0: number, seq0 = 0x1234): string[] {
  const out: string[] = [];
  let seq = seq0;
  for (let k = 0; k < count; k++) {
    const n = sender.write(101, seq, 0xdeadbeef, (ts0 + k * FRAME_SAMPLES) >>> 0);
    if (n > 0) {
      out.push(hex(sender.packet, n));
      seq = (seq + 1) & 0xffff;
    } else {
      out.push("");
    }
  }
  return out;
}

describe("TelephoneEventSender.write", () => {
  it("a 100 ms '#': start with the marker, an update after 50 ms, three end packets, all with the start timestamp", () => {
    const s = new TelephoneEventSender();
    expect(s.begin(11, 800)).toBe(true);
    expect(s.state).toBe(EventSenderState.Pending);
    const ts0 = 0x00010000;
    expect(frames(s, 9, ts0)).toEqual([
      // V=2 | M=1, PT 101 | seq 0x1234 | ts 0x00010000 | SSRC | event 11, E=0, volume 10, duration 160
      "80" + "e5" + "1234" + "00010000" + "deadbeef" + "0b" + "0a" + "00a0",
      "",
      // frame 2 ends 480 samples in: the first frame at or after 50 ms (400); no marker
      "80" + "65" + "1235" + "00010000" + "deadbeef" + "0b" + "0a" + "01e0",
      "",
      // frame 4 reaches the length (800): the end bit, three times, same timestamp and duration
      "80" + "65" + "1236" + "00010000" + "deadbeef" + "0b" + "8a" + "0320",
      "80" + "65" + "1237" + "00010000" + "deadbeef" + "0b" + "8a" + "0320",
      "80" + "65" + "1238" + "00010000" + "deadbeef" + "0b" + "8a" + "0320",
      "",
      "",
    ]);
    expect(s.state).toBe(EventSenderState.Idle);
    expect(s.busy).toBe(false);
    expect(s.packets).toBe(5);
    expect(s.events).toBe(1);
  });

  it("updates come at each 50 ms step of a long event (durations 160, 480, 800, 1280, 1600, ...)", () => {
    const s = new TelephoneEventSender();
    s.begin(5, 2400, 20);
    const durations: number[] = [];
    const ends: boolean[] = [];
    for (let k = 0; k < 30 && (k === 0 || s.busy); k++) {
      if (s.write(96, k, 1, 1000 + k * 160) > 0) {
        durations.push((s.packet[14]! << 8) | s.packet[15]!);
        ends.push((s.packet[13]! & 0x80) !== 0);
        expect(s.packet[13]! & 0x3f, "volume").toBe(20);
        expect(s.packet[12]).toBe(5);
        expect(s.packet.subarray(4, 8)).toEqual(new Uint8Array([0, 0, 0x03, 0xe8]));
      }
    }
    expect(durations).toEqual([160, 480, 800, 1280, 1600, 2080, 2400, 2400, 2400]);
    expect(ends).toEqual([false, false, false, false, false, false, true, true, true]);
    // Between two updates at most 60 ms, on average 50 ms.
    const gaps = durations.slice(0, 7).map((d, i, a) => (i === 0 ? 0 : d - a[i - 1]!)).slice(1);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(480);
  });

  it("a length shorter than a frame is one frame: the start packet is the first of three end packets", () => {
    const s = new TelephoneEventSender();
    s.begin(0, 1);
    expect(frames(s, 4, 0xfffffff0, 0xffff)).toEqual([
      "80" + "e5" + "ffff" + "fffffff0" + "deadbeef" + "00" + "8a" + "00a0",
      "80" + "65" + "0000" + "fffffff0" + "deadbeef" + "00" + "8a" + "00a0",
      "80" + "65" + "0001" + "fffffff0" + "deadbeef" + "00" + "8a" + "00a0",
      "",
    ]);
  });

  it("frames the clock skipped count in the duration (it follows the timestamps, across the 32-bit wrap)", () => {
    const s = new TelephoneEventSender();
    s.begin(1, 1600);
    const ts0 = 0xffffff00;
    expect(s.write(101, 1, 2, ts0)).toBe(EVENT_PACKET_BYTES);
    // Five frames later (the media clock caught up): 6 frames = 960 samples, an update.
    expect(s.write(101, 2, 2, (ts0 + 5 * 160) >>> 0)).toBe(EVENT_PACKET_BYTES);
    expect(hex(s.packet)).toBe("80650002ffffff0000000002" + "010a03c0");
    // Far beyond the length: the end packets carry the duration reached.
    expect(s.write(101, 3, 2, (ts0 + 20 * 160) >>> 0)).toBe(EVENT_PACKET_BYTES);
    expect(hex(s.packet, 16).slice(24)).toBe("018a0d20");
  });

  it("starts after the frames it was told to wait (the door's confirmation follows its tone)", () => {
    const s = new TelephoneEventSender();
    s.begin(11, 160, 10, 3);
    expect(frames(s, 7, 0)).toEqual([
      "",
      "",
      "",
      "80" + "e5" + "1234" + "000001e0" + "deadbeef" + "0b" + "8a" + "00a0",
      "80" + "65" + "1235" + "000001e0" + "deadbeef" + "0b" + "8a" + "00a0",
      "80" + "65" + "1236" + "000001e0" + "deadbeef" + "0b" + "8a" + "00a0",
      "",
    ]);
  });

  it("refuses events outside 0-255; caps the length at one 16-bit segment; a new begin() replaces the event", () => {
    const s = new TelephoneEventSender();
    expect(s.begin(-1, 800)).toBe(false);
    expect(s.begin(256, 800)).toBe(false);
    expect(s.begin(1.5, 800)).toBe(false);
    expect(s.busy).toBe(false);
    expect(s.begin(16, 1e9)).toBe(true);
    expect(s.length).toBe(65440); // 409 frames of 160
    expect(s.length % FRAME_SAMPLES).toBe(0);
    expect(s.begin(4, 330)).toBe(true);
    expect(s.length).toBe(480);
    s.write(101, 0, 0, 0);
    s.begin(7, 160);
    expect(s.write(101, 1, 0, 160)).toBe(EVENT_PACKET_BYTES);
    expect(s.marker).toBe(true);
    expect(s.packet[12]).toBe(7);
    s.cancel();
    expect(s.write(101, 2, 0, 320)).toBe(0);
  });
});

// ---------------------------------------------------------------------------

class StepClock implements ClockHost {
  time = 1000;
  now(): number {
    return this.time;
  }
  wake(): void {}
}

class SeqRandom implements RandomHost {
  private n = 7;
  u32(): number {
    this.n = (Math.imul(this.n, 1103515245) + 12345) >>> 0;
    return this.n;
  }
}

class RecordingUdp implements UdpHost {
  readonly localAddress = "127.0.0.1";
  readonly localPort = 40000;
  readonly sent: Uint8Array[] = [];
  fail = false;
  send(data: Uint8Array, length: number): boolean {
    if (this.fail) return false;
    this.sent.push(data.slice(0, length));
    return true;
  }
}

function session(eventPt: number): { s: RtpSession; udp: RecordingUdp } {
  const s = new RtpSession({ slot: 0, clock: new StepClock(), random: new SeqRandom() });
  const udp = new RecordingUdp();
  s.rtp = udp;
  s.start(false, 0, eventPt, "192.0.2.1", 5004, true, true);
  return { s, udp };
}

/** The media clock's frame as call-media.ts runs it: the event's packet, or else the audio. */
function frame(sender: TelephoneEventSender, s: RtpSession, pcm: Int16Array): void {
  if (!sender.sendFrame(s)) s.sendFrame(pcm);
}

describe("TelephoneEventSender in an RTP session", () => {
  it.each([
    ["a sender of its own", false],
    // As CallMedia builds it (issue #9): no buffer or numbers of its own; each frame then plays out through the same packet buffer.
    ["a sender that writes into the session's packet buffer and keeps its numbers in the session's table", true],
  ])("shares the stream with the audio: one packet per frame, sequence numbers in step, the event's packets in place of audio (%s)", (_name, lent) => {
    const { s, udp } = session(101);
    // CallMedia lends the head of the session's packet buffer, one event packet long (call-media.ts).
    const sender = lent ? new TelephoneEventSender(new Uint8Array(s.packet.buffer, s.packet.byteOffset, EVENT_PACKET_BYTES), s.numbers) : new TelephoneEventSender();
    if (lent) expect([sender.packet.buffer, sender.packet.byteOffset]).toEqual([s.packet.buffer, s.packet.byteOffset]);
    const pcm = new Int16Array(FRAME_SAMPLES).fill(1000);
    // The phone's audio comes in, so that the frames played out go through the packet buffer between two sends.
    const incoming = new Uint8Array(12 + FRAME_SAMPLES).fill(0x55);
    const played = new Int16Array(FRAME_SAMPLES);
    let heard = 0;
    let k0 = 0;
    const tick = (): void => {
      frame(sender, s, pcm);
      if (!lent) return;
      writeRtpHeader(incoming, 0, 0, k0 === 0, k0, k0 * FRAME_SAMPLES, 0x5eed);
      k0++;
      s.receive(incoming, incoming.length, "192.0.2.1", 5004);
      if (s.playFrame(played) && played[0] !== 0) heard++;
    };
    for (let k = 0; k < 3; k++) tick();
    sender.begin(11, 800);
    for (let k = 0; k < 10; k++) tick();
    expect(udp.sent.length).toBe(13);
    const h = new RtpHeader();
    const kinds: string[] = [];
    let seq = -1;
    let ssrc = -1;
    const audioTs: number[] = [];
    const eventTs = new Set<number>();
    const receiver = new TelephoneEventReceiver();
    let digits = "";
    for (const p of udp.sent) {
      expect(h.read(p, p.length)).toBe(RtpCheck.Ok);
      if (seq >= 0) expect(h.sequence).toBe((seq + 1) & 0xffff);
      seq = h.sequence;
      if (ssrc >= 0) expect(h.ssrc).toBe(ssrc);
      ssrc = h.ssrc;
      if (h.payloadType === 101) {
        expect(h.payloadLength).toBe(4);
        kinds.push(h.marker ? "E*" : (p[13]! & 0x80) !== 0 ? "e" : "E");
        eventTs.add(h.timestamp);
        const d = receiver.receive(p, h.payloadStart, h.payloadLength, h.timestamp);
        if (d >= 0) digits += String.fromCharCode(d);
      } else {
        expect(h.payloadType).toBe(0);
        expect(h.payloadLength).toBe(160);
        kinds.push("a");
        audioTs.push(h.timestamp);
      }
    }
    // a a a | start, audio, update, audio, end x3 | audio ...
    expect(kinds.join(" ")).toBe("a a a E* a E a e e e a a a");
    // The event's timestamp is the frame it started in; the audio's clock ran on through the event's frames.
    expect(eventTs.size).toBe(1);
    expect([...eventTs][0]).toBe((audioTs[2]! + 160) >>> 0);
    expect(audioTs[3]).toBe((audioTs[2]! + 2 * 160) >>> 0);
    expect(audioTs[5]).toBe((audioTs[2]! + 8 * 160) >>> 0);
    expect(digits).toBe("#");
    expect(receiver.ended).toBe(true);
    expect(receiver.duration).toBe(800);
    expect(s.packetsSent).toBe(13);
    expect(s.octetsSent).toBe(8 * 160 + 5 * 4);
    expect(sender.events).toBe(1);
    if (lent) expect(heard).toBeGreaterThan(5);
  });

  it("without telephone-event in the SDP the event is dropped and the audio goes on", () => {
    const { s, udp } = session(-1);
    const sender = new TelephoneEventSender();
    sender.begin(11, 800);
    const pcm = new Int16Array(FRAME_SAMPLES);
    for (let k = 0; k < 5; k++) frame(sender, s, pcm);
    expect(udp.sent.length).toBe(5);
    expect(udp.sent.every((p) => (p[1]! & 0x7f) === 0 && p.length === 172)).toBe(true);
    expect(sender.busy).toBe(false);
    expect(sender.packets).toBe(0);
  });

  it("a session that does not send (on hold: sendonly from the peer's side) drops the event", () => {
    const { s, udp } = session(101);
    s.update(false, 0, 101, "192.0.2.1", 5004, false, true);
    const sender = new TelephoneEventSender();
    sender.begin(11, 800);
    expect(sender.sendFrame(s)).toBe(false);
    expect(sender.busy).toBe(false);
    expect(udp.sent.length).toBe(0);
  });

  it("a failed host send spends the frame but not the sequence number", () => {
    const { s, udp } = session(101);
    const sender = new TelephoneEventSender();
    sender.begin(1, 160);
    const seq = s.sequence;
    const ts = s.timestamp;
    udp.fail = true;
    expect(sender.sendFrame(s)).toBe(true);
    expect(s.sequence).toBe(seq);
    expect(s.timestamp).toBe((ts + 160) >>> 0);
    expect(s.packetsSent).toBe(0);
    udp.fail = false;
    for (let k = 0; k < EVENT_END_PACKETS; k++) sender.sendFrame(s);
    expect(udp.sent.length).toBe(2);
  });
});
