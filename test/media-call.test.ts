/*
 * Audio in the intercom's calls, on the virtual clock (test/support/
 * call-harness.ts: the whole Intercom; the test plays the phone). The RTP
 * and RTCP sockets of the call slots are recording hosts; the door's
 * microphone is a 600 Hz tone and its speaker a recorder.
 *
 * Checked: the SDP advertises the RTP socket's port; once the call is up,
 * 20 ms packets of 160 G.711 bytes go to the SDP's address with consecutive
 * sequence numbers, timestamps in steps of 160, one SSRC and the marker on
 * the first; the phone's RTP from another port is latched onto, and a
 * stranger's ignored; the phone's audio reaches the speaker; RFC 4733 '#'
 * opens the door (with the confirmation tone in the call and at the door);
 * RTCP reports come every 2.5-7.5 s, to the offer's a=rtcp (RFC 3605) or
 * the RTP port + 1, then to where the phone's RTCP comes from, following
 * re-offers, and behind a NAT; a hold (sendonly offer) stops our
 * sending; BYE stops everything, with an RTCP BYE. A doorbell call plays
 * ringback at the door while it rings.
 */
import { describe, expect, it } from "vitest";
import type { AudioHost, UdpHost } from "../src/host";
import { FRAME_SAMPLES, decodeG711, encodeG711 } from "../src/media/g711";
import { RtpHeader, writeRtpHeader } from "../src/media/rtp-packet";
import { RtcpReader } from "../src/media/rtcp";
import { writeTelephoneEvent } from "../src/media/telephone-event";
import { CallState } from "../src/ua/call/call-types";
import { Tone } from "../src/media/tone";
import { classifyDtmf } from "../src/media/inband-dtmf";
import { ButtonAction } from "../src/app/intercom";
import { ackFor, offer, OFFER, PEER, reply, request, rig, toTag, type Msg, type Rig } from "./support/call-harness";
import { blocksWithTone, dominant, rms, toneShare } from "./interop/audio/signal";

const PHONE_RTP = 49170;

interface Packet {
  bytes: Uint8Array;
  address: string;
  port: number;
  at: number;
  /** Handed over as a view exactly the datagram long: the device's socket sends it as it is, without cutting a subarray. */
  whole: boolean;
}

class RecordingUdp implements UdpHost {
  readonly localAddress = "192.0.2.10";
  sent: Packet[] = [];
  constructor(readonly localPort: number, private readonly now: () => number) {}
  send(data: Uint8Array, length: number, address: string, port: number): boolean {
    this.sent.push({ bytes: data.slice(0, length), address, port, at: this.now(), whole: data.byteLength === length });
    return true;
  }
}

/** Microphone: a 600 Hz tone (or `mic`'s samples); speaker: everything played, kept. */
class ToneAudio implements AudioHost {
  played: number[] = [];
  starts = 0;
  stops = 0;
  /** The microphone's sample number `i`, instead of the 600 Hz tone. */
  mic: ((i: number) => number) | null = null;
  private phase = 0;
  capture(frame: Int16Array): boolean {
    const mic = this.mic;
    for (let i = 0; i < frame.length; i++, this.phase++) frame[i] = mic !== null ? mic(this.phase) : Math.round(8000 * Math.sin((2 * Math.PI * 600 * this.phase) / 8000));
    return true;
  }
  play(frame: Int16Array): void {
    for (const s of frame) this.played.push(s);
  }
  start(): void {
    this.starts++;
  }
  stop(): void {
    this.stops++;
  }
  speaker(from = 0): Int16Array {
    return Int16Array.from(this.played.slice(from));
  }
}

function setup(settings: Parameters<typeof rig>[0] = {}): { r: Rig; rtp: RecordingUdp; rtcp: RecordingUdp; audio: ToneAudio } {
  const audio = new ToneAudio();
  const r = rig({ doorCode: "#", ...settings });
  // The harness builds the intercom without audio: the media layer takes the host's audio as a property, the same object.
  r.intercom.media.audio = audio;
  const rtp = new RecordingUdp(40100, () => r.clock.now());
  const rtcp = new RecordingUdp(40101, () => r.clock.now());
  r.intercom.attachMedia(0, rtp, rtcp);
  return { r, rtp, rtcp, audio };
}

/** The doorbell pressed: the door's INVITE to its target, 100 ms later. */
function pressed(r: Rig): Msg {
  r.intercom.press();
  r.advance(100);
  const invite = r.take().find((m) => m.kind === "INVITE");
  if (invite === undefined) throw new Error("no INVITE after the doorbell press: " + r.eventNames().join(", "));
  return invite;
}

/** The door CANCELs its ringing doorbell call `invite`: the target answers 200 to the CANCEL and 487 to the INVITE; the hunt is over. */
function cancelled(r: Rig, invite: Msg): void {
  const cancel = r.take().find((m) => m.kind === "CANCEL");
  if (cancel === undefined) throw new Error("no CANCEL: " + r.eventNames().join(", "));
  r.deliver(reply(cancel, 200, "OK"));
  r.deliver(reply(invite, 487, "Request Terminated"));
  expect(r.eventNames()).toContain("hunt over");
}

/** An incoming call answered and acknowledged; returns the 200's SDP. */
function answeredCall(r: Rig, sdp = offer()): string {
  r.deliver(request("INVITE", { body: sdp }));
  r.advance(10);
  const ok = r.take().find((m) => m.kind === "200")!;
  expect(ok).toBeDefined();
  r.deliver(ackFor(ok));
  return ok.text.slice(ok.text.indexOf("\r\n\r\n") + 4);
}

/** An incoming call answered and acknowledged; returns the door's 200 (for in-dialog requests). */
function answeredOk(r: Rig): Msg {
  r.deliver(request("INVITE", { body: offer() }));
  r.advance(10);
  const ok = r.take().find((m) => m.kind === "200")!;
  r.deliver(ackFor(ok));
  return ok;
}

/** A DTMF key by SIP INFO (application/dtmf-relay) in the call `ok` answered. */
function infoKey(r: Rig, ok: Msg, cseq: number, digit: string): void {
  r.deliver(request("INFO", {
    toTag: toTag(ok), callId: ok.msg.callIdString(), cseq, branch: `z9hG4bKkey${cseq}`,
    body: `Signal=${digit}\r\nDuration=160\r\n`, contentType: "application/dtmf-relay", contact: "",
  }));
}

function header(p: Packet): RtpHeader {
  const h = new RtpHeader();
  h.read(p.bytes, p.bytes.length);
  return h;
}

/** The phone's RTP: PCMU packets carrying `hz`, from `port`. */
function phoneAudio(r: Rig, port: number, seq: number, ts: number, hz: number, marker = false, ssrc = 0x0a0b0c0d, address = PEER, slot = 0): void {
  const pcm = new Int16Array(FRAME_SAMPLES);
  for (let i = 0; i < FRAME_SAMPLES; i++) pcm[i] = Math.round(9000 * Math.sin((2 * Math.PI * hz * (ts + i)) / 8000));
  const b = new Uint8Array(12 + FRAME_SAMPLES);
  writeRtpHeader(b, 0, 0, marker, seq, ts, ssrc);
  encodeG711(false, pcm, 0, b, 12, FRAME_SAMPLES);
  r.intercom.rtpReceiver(slot)!.receive(b, b.length, address, port);
}

/** Q.23: a key's row and column frequencies. */
function keyTones(key: string): [number, number] {
  const i = "123A456B789C*0#D".indexOf(key);
  return [[697, 770, 852, 941][i >> 2]!, [1209, 1336, 1477, 1633][i & 3]!];
}

/** A key's tone pair at sample `t` (about -10 dBm0 each). */
function keySample(key: string, t: number): number {
  const [row, col] = keyTones(key);
  return Math.round(7200 * Math.sin((2 * Math.PI * row * t) / 8000) + 7200 * Math.sin((2 * Math.PI * col * t) / 8000));
}

/** The phone's RTP: PCMU packets of `key`'s tones (in-band DTMF), or of a 300 Hz voice-like tone for key "". */
function phoneKeyAudio(r: Rig, seq: number, ts: number, key: string): void {
  const pcm = new Int16Array(FRAME_SAMPLES);
  for (let i = 0; i < FRAME_SAMPLES; i++) pcm[i] = key === "" ? Math.round(6000 * Math.sin((2 * Math.PI * 300 * (ts + i)) / 8000)) : keySample(key, ts + i);
  const b = new Uint8Array(12 + FRAME_SAMPLES);
  writeRtpHeader(b, 0, 0, seq === 1, seq, ts, 0x0a0b0c0d);
  encodeG711(false, pcm, 0, b, 12, FRAME_SAMPLES);
  r.intercom.rtpReceiver(0)!.receive(b, b.length, PEER, PHONE_RTP);
}

/**
 * The phone types `keys` in-band, one frame every 20 ms: each key for
 * `onFrames`, then `offFrames` of its voice-like tone ("-" in `keys` is a
 * pause of onFrames). Returns the next sequence number.
 */
function typeInband(r: Rig, keys: string, seq = 1, onFrames = 5, offFrames = 4): number {
  for (const key of keys) {
    for (let f = 0; f < onFrames; f++, seq++) {
      phoneKeyAudio(r, seq, seq * FRAME_SAMPLES, key === "-" ? "" : key);
      r.advance(20);
    }
    for (let f = 0; f < offFrames; f++, seq++) {
      phoneKeyAudio(r, seq, seq * FRAME_SAMPLES, "");
      r.advance(20);
    }
  }
  return seq;
}

/**
 * The phone types `keys` in-band as a gateway does, its tones not aligned with its packets: each key `onMs` long
 * from `offset` samples into a packet, then `offMs` of silence, sent one packet every 20 ms. Returns the next
 * sequence number.
 */
function typeInbandUnaligned(r: Rig, keys: string, offset: number, onMs: number, offMs: number, seq = 1): number {
  const signal: number[] = new Array<number>(offset).fill(0);
  for (const key of keys) {
    for (let i = 0; i < onMs * 8; i++) signal.push(keySample(key, signal.length));
    for (let i = 0; i < offMs * 8; i++) signal.push(0);
  }
  while (signal.length % FRAME_SAMPLES !== 0) signal.push(0);
  const pcm = Int16Array.from(signal);
  for (let at = 0; at < pcm.length; at += FRAME_SAMPLES, seq++) {
    const b = new Uint8Array(12 + FRAME_SAMPLES);
    writeRtpHeader(b, 0, 0, seq === 1, seq, seq * FRAME_SAMPLES, 0x0a0b0c0d);
    encodeG711(false, pcm, at, b, 12, FRAME_SAMPLES);
    r.intercom.rtpReceiver(0)!.receive(b, b.length, PEER, PHONE_RTP);
    r.advance(20);
  }
  return seq;
}

/** The key whose tone pair is strongest in each burst of sound (20 samples of silence end one) of at least 5 ms in `pcm`: what a recording of the door's speaker gives away. */
function keysInBursts(pcm: Int16Array): string {
  const rows = [697, 770, 852, 941];
  const cols = [1209, 1336, 1477, 1633];
  let out = "";
  let from = -1;
  let last = -1;
  for (let i = 0; i <= pcm.length; i++) {
    const loud = i < pcm.length && pcm[i] !== 0;
    if (loud) {
      if (from < 0) from = i;
      last = i;
    } else if (from >= 0 && (i === pcm.length || i - last > 20)) {
      const n = last + 1 - from;
      if (n >= 40) out += "123A456B789C*0#D"[rows.indexOf(dominant(pcm, from, n, rows, 8000)) * 4 + cols.indexOf(dominant(pcm, from, n, cols, 8000))]!;
      from = -1;
    }
  }
  return out;
}

function phoneEvent(r: Rig, port: number, seq: number, ts: number, event: number, end: boolean, duration: number): void {
  const b = new Uint8Array(16);
  writeRtpHeader(b, 0, 101, duration === 400, seq, ts, 0x0a0b0c0d);
  writeTelephoneEvent(b, 12, event, end, 10, duration);
  r.intercom.rtpReceiver(0)!.receive(b, b.length, PEER, port);
}

/** The phone's RTCP: an empty RR (RFC 3550 §6.4.2), from `port`. */
function phoneRtcp(r: Rig, port: number): void {
  const b = new Uint8Array([0x80, 201, 0, 1, 0x0a, 0x0b, 0x0c, 0x0d]);
  r.intercom.rtcpReceiver(0)!.receive(b, b.length, PEER, port);
}

/** Where the door's next RTCP report goes ("address:port"), within the longest interval (7.5 s, RFC 3550 §6.3.1). */
function nextReport(r: Rig, rtcp: RecordingUdp): string {
  const count = rtcp.sent.length;
  r.advance(7600);
  const p = rtcp.sent[count];
  expect(p).toBeDefined();
  return `${p!.address}:${p!.port}`;
}

/** A re-INVITE in the call with `body` (its o= version raised by `cseq`), answered and acknowledged. */
function reoffer(r: Rig, toTag: string, cseq: number, body: string): void {
  r.deliver(request("INVITE", { cseq, toTag, branch: `z9hG4bKre${cseq}`, body: body.replace("2890844526 2890844526", `2890844526 ${2890844526 + cseq}`) }));
  const ok = r.take().find((m) => m.kind === "200")!;
  expect(ok).toBeDefined();
  r.deliver(ackFor(ok, { branch: `z9hG4bKack${cseq}` }));
}

describe("audio in calls (virtual clock)", () => {
  it("advertises the RTP socket's port; sends 20 ms PCMU packets with correct header fields once the call is up", () => {
    const { r, rtp, audio } = setup();
    const sdp = answeredCall(r);
    expect(sdp).toMatch(/^m=audio 40100 RTP\/AVP 0 101\r$/m);
    const t0 = r.clock.now();
    r.advance(200);
    const sent = rtp.sent;
    expect(sent.length).toBeGreaterThanOrEqual(10);
    expect(sent.length).toBeLessThanOrEqual(11);
    const hs = sent.map(header);
    for (let i = 0; i < sent.length; i++) {
      expect(sent[i]!.address).toBe(PEER);
      expect(sent[i]!.port).toBe(PHONE_RTP);
      expect(sent[i]!.bytes.length).toBe(12 + 160);
      expect(hs[i]!.payloadType).toBe(0);
      expect(hs[i]!.marker).toBe(i === 0);
      expect(hs[i]!.ssrc).toBe(hs[0]!.ssrc);
      expect(hs[i]!.sequence).toBe((hs[0]!.sequence + i) & 0xffff);
      expect(hs[i]!.timestamp).toBe((hs[0]!.timestamp + 160 * i) >>> 0);
      // Every 20 ms.
      expect(sent[i]!.at - t0).toBe(20 * i);
    }
    // What the microphone said is in the payload: 600 Hz.
    const pcm = new Int16Array(160 * sent.length);
    sent.forEach((p, i) => decodeG711(false, p.bytes, 12, pcm, 160 * i, 160));
    expect(toneShare(pcm, 0, pcm.length, 600, 8000)).toBeGreaterThan(0.8);
    expect(audio.starts).toBe(1);
  });

  it("answers PCMA when offered first, and sends PCMA (payload type 8)", () => {
    const { r, rtp } = setup();
    answeredCall(r, offer("sendrecv", "8 0 101"));
    r.advance(60);
    expect(rtp.sent.length).toBeGreaterThan(0);
    expect(rtp.sent.map((p) => header(p).payloadType)).toEqual(rtp.sent.map(() => 8));
  });

  it("latches onto the phone's RTP source (symmetric RTP), ignores a stranger, and plays the phone's audio", () => {
    const { r, rtp, audio } = setup();
    answeredCall(r);
    r.advance(40);
    const before = audio.played.length;
    // The phone is behind a NAT: its RTP comes from port 30000, not the SDP's 49170.
    for (let i = 0; i < 50; i++) {
      phoneAudio(r, 30000, 100 + i, 8000 + 160 * i, 1000);
      // A stranger sends from another port: dropped.
      phoneAudio(r, 31000, 5000 + i, 90000 + 160 * i, 300);
      r.advance(20);
    }
    const last = rtp.sent.slice(-5);
    for (const p of last) expect(p.port).toBe(30000);
    const session = r.intercom.media.session;
    expect(session.latched).toBe(true);
    expect(session.dropped).toBe(50);
    // The speaker played the phone's 1000 Hz (after the jitter buffer's 40 ms), not the stranger's 300 Hz.
    const speaker = audio.speaker(before + 160 * 5);
    expect(rms(speaker)).toBeGreaterThan(3000);
    expect(dominant(speaker, 0, speaker.length, [300, 600, 1000], 8000)).toBe(1000);
    expect(toneShare(speaker, 0, 1600, 1000, 8000)).toBeGreaterThan(0.8);
  });

  it("after a silence (hold), a stranger's address cannot take the stream; a NAT rebinding of the phone's address can", () => {
    const { r, rtp } = setup();
    answeredCall(r);
    for (let i = 0; i < 10; i++) {
      phoneAudio(r, 30000, 100 + i, 8000 + 160 * i, 1000);
      r.advance(20);
    }
    const session = r.intercom.media.session;
    expect(session.remotePort).toBe(30000);
    r.advance(3_000); // the phone is silent longer than RELATCH_MS
    const dropped = session.dropped;
    for (let i = 0; i < 5; i++) phoneAudio(r, 40000, 500 + i, 50000 + 160 * i, 300, false, 0x66666666, "203.0.113.66");
    expect(session.dropped).toBe(dropped + 5);
    r.advance(40);
    expect(rtp.sent.slice(-2).map((p) => `${p.address}:${p.port}`)).toEqual([`${PEER}:30000`, `${PEER}:30000`]);
    // The phone's NAT gave it a new port: the same address is taken again.
    phoneAudio(r, 30002, 120, 8000 + 160 * 20, 1000);
    expect(session.dropped).toBe(dropped + 5);
    expect(session.remotePort).toBe(30002);
    r.advance(40);
    expect(rtp.sent.at(-1)!.port).toBe(30002);
  });

  it("a new source (another SSRC, its own timeline 1 s behind) takes over the play-out at once", () => {
    const { r, audio } = setup();
    answeredCall(r);
    for (let i = 0; i < 25; i++) {
      phoneAudio(r, PHONE_RTP, 100 + i, 80000 + 160 * i, 1000);
      r.advance(20);
    }
    const from = audio.played.length;
    // The PBX switches the media: a new SSRC whose timestamps are 8000 (1 s) behind, sequence numbers elsewhere.
    for (let i = 0; i < 25; i++) {
      phoneAudio(r, PHONE_RTP, 9000 + i, 76000 + 25 * 160 + 160 * i, 400, i === 0, 0x77777777);
      r.advance(20);
    }
    const after = audio.speaker(from + 160 * 5);
    expect(toneShare(after, 0, 1600, 400, 8000)).toBeGreaterThan(0.8);
    expect(r.intercom.media.session.jitter.late).toBe(0);
  });

  it("a phone that sends each key both by SIP INFO and by RFC 4733 has it counted once, whichever copy comes first", () => {
    // Linphone with INFO on, desk phones set to "RFC 2833 + SIP INFO": test/interop-linphone.test.ts found the double count.
    const { r } = setup({ doorCode: "12#" });
    const ok = answeredOk(r);
    r.advance(40);
    let seq = 10, ts = 16000, cseq = 2;
    /** One key by RFC 4733: the event's start; its end packets follow 60 ms later. */
    const rtpKey = (event: number): void => {
      phoneEvent(r, PHONE_RTP, seq++, ts, event, false, 400);
      r.advance(20);
    };
    const rtpEnd = (event: number): void => {
      for (let i = 0; i < 3; i++) phoneEvent(r, PHONE_RTP, seq++, ts, event, true, 1200);
      ts += 4000;
    };
    // '1': RFC 4733 first, the INFO 30 ms later.
    rtpKey(1);
    r.advance(30);
    infoKey(r, ok, cseq++, "1");
    rtpEnd(1);
    r.advance(500);
    // '2': the INFO first (the call's way is RFC 4733 by now), then the events.
    infoKey(r, ok, cseq++, "2");
    r.advance(10);
    rtpKey(2);
    rtpEnd(2);
    r.advance(500);
    // '#': both at once.
    infoKey(r, ok, cseq++, "#");
    rtpKey(11);
    rtpEnd(11);
    expect(r.take().filter((m) => m.kind === "200")).toHaveLength(3); // each INFO answered
    expect(r.events.filter((e) => e.name === "dtmf").map((e) => e.detail).join("")).toBe("12#");
    expect(r.eventNames().filter((n) => n === "door opened")).toEqual(["door opened"]);
    expect(r.eventNames()).not.toContain("wrong code");
  });

  it("the way that gave a call's keys holds for 4 s after its last key; then the other way takes over", () => {
    const { r } = setup({ doorCode: "12#" });
    const ok = answeredOk(r);
    r.advance(40);
    // '1' by RFC 4733 only.
    phoneEvent(r, PHONE_RTP, 10, 16000, 1, false, 400);
    for (let i = 0; i < 3; i++) phoneEvent(r, PHONE_RTP, 11 + i, 16000, 1, true, 1200);
    // An INFO key 3.9 s later is taken as a copy: not counted.
    r.advance(3900);
    infoKey(r, ok, 2, "9");
    expect(r.events.filter((e) => e.name === "dtmf").map((e) => e.detail).join("")).toBe("1");
    // 4 s after the last RFC 4733 key, INFO takes over: the code completes by INFO.
    r.advance(100);
    infoKey(r, ok, 3, "2");
    infoKey(r, ok, 4, "#");
    expect(r.events.filter((e) => e.name === "dtmf").map((e) => e.detail).join("")).toBe("12#");
    expect(r.eventNames().filter((n) => n === "door opened")).toEqual(["door opened"]);
  });

  it("RFC 4733 '#' opens the door once; the confirmation tone goes into the call and to the door's speaker", () => {
    const { r, rtp, audio } = setup();
    answeredCall(r);
    r.advance(40);
    const sentBefore = rtp.sent.length;
    const playedBefore = audio.played.length;
    let seq = 10;
    // '#' (event 11): start, updates, three end packets; all with the timestamp of its start.
    for (const [end, d] of [[false, 400], [false, 800], [false, 1200], [true, 1600], [true, 1600], [true, 1600]] as const) {
      phoneEvent(r, PHONE_RTP, seq++, 16000, 11, end, d);
      r.advance(20);
    }
    expect(r.eventNames().filter((n) => n === "door opened")).toEqual(["door opened"]);
    expect(r.events.find((e) => e.name === "dtmf")!.detail).toBe("#");
    expect(r.pins.relay).toBe(true);
    r.advance(400);
    // 1000 Hz beeps in what the call hears (mixed over the 600 Hz microphone) ...
    const sent = rtp.sent.slice(sentBefore);
    const pcm = new Int16Array(160 * sent.length);
    sent.forEach((p, i) => decodeG711(false, p.bytes, 12, pcm, 160 * i, 160));
    expect(toneShare(pcm, 0, 800, 1000, 8000)).toBeGreaterThan(0.3);
    // ... and at the door's speaker.
    const speaker = audio.speaker(playedBefore);
    expect(toneShare(speaker, 0, 800, 1000, 8000)).toBeGreaterThan(0.3);
  });

  it("in-band DTMF: a phone without telephone-event types the code as tones; the door opens once, and its speaker plays those frames as silence", () => {
    const { r, audio } = setup({ doorCode: "4711#" });
    answeredCall(r, offer("sendrecv", "0 8"));
    const from = audio.played.length;
    typeInband(r, "4711#");
    r.advance(200);
    expect(r.eventNames().filter((n) => n === "door opened")).toEqual(["door opened"]);
    expect(r.events.filter((e) => e.name === "dtmf").map((e) => e.detail).join("")).toBe("4711#");
    expect(r.pins.relay).toBe(true);
    expect(r.intercom.media.inband.keys).toBe(5);
    // What the door's speaker played: the phone's 300 Hz between the keys, and no key's tones (the door code, to
    // whoever stands at the door). A frame is cut when it holds a key; the key's first frame may straddle the jitter
    // buffer's edge, so allow a little of it.
    const speaker = audio.speaker(from);
    expect(dominant(speaker, 0, speaker.length, [300, 697, 770, 852, 941, 1209, 1336, 1477, 1633], 8000)).toBe(300);
    // The phone's 300 Hz in frames of their own: of each pause's 4 frames, the 2 next to no key (the frames next to
    // a key play as silence too: a key's edge frames hold it in part).
    expect(blocksWithTone(speaker, FRAME_SAMPLES, 300, 8000)).toBeGreaterThanOrEqual(8);
    for (const key of "4711#") {
      const [row, col] = keyTones(key);
      expect(toneShare(speaker, 0, speaker.length, row, 8000), `${key} row`).toBeLessThan(0.05);
      expect(toneShare(speaker, 0, speaker.length, col, 8000), `${key} column`).toBeLessThan(0.05);
    }
  });

  it("in-band DTMF: packets lost in the middle of a key (a Wi-Fi stall of 40-100 ms) do not make it two keys; a longer gap ends the press", () => {
    // Each key 12 packets long, 2 to 5 of them in its middle never arrive (the jitter buffer runs dry or conceals):
    // no audio is no evidence that the key was let go. Before, two such frames ended the press and the key's second
    // half counted again ("44771111##", a wrong entry).
    for (const lost of [2, 3, 5]) {
      const { r, audio } = setup({ doorCode: "4711#" });
      answeredCall(r, offer("sendrecv", "0 8"));
      const from = audio.played.length;
      let seq = 1;
      for (const key of "4711#") {
        for (let f = 0; f < 12; f++, seq++) {
          if (f < 4 || f >= 4 + lost) phoneKeyAudio(r, seq, seq * FRAME_SAMPLES, key);
          r.advance(20);
        }
        for (let f = 0; f < 4; f++, seq++) {
          phoneKeyAudio(r, seq, seq * FRAME_SAMPLES, "");
          r.advance(20);
        }
      }
      r.advance(200);
      expect(r.events.filter((e) => e.name === "dtmf").map((e) => e.detail).join(""), `${lost} lost`).toBe("4711#");
      expect(r.eventNames().filter((n) => n === "door opened"), `${lost} lost`).toEqual(["door opened"]);
      // The frames the jitter buffer concealed from a key's are the key's too: the door's speaker plays none of them.
      const speaker = audio.speaker(from);
      const played: number[] = [];
      for (let at = 0; at + FRAME_SAMPLES <= speaker.length; at += FRAME_SAMPLES) if (classifyDtmf(speaker, at) >= 0) played.push(at / FRAME_SAMPLES);
      expect(played, `${lost} lost: frames at the speaker that hold a key`).toEqual([]);
    }
    // Nothing for 300 ms in the middle of a key: the press is over; what comes after is a new one.
    const { r } = setup({ doorCode: "4711#" });
    answeredCall(r, offer("sendrecv", "0 8"));
    let seq = 1;
    for (let f = 0; f < 25; f++, seq++) {
      if (f < 5 || f >= 20) phoneKeyAudio(r, seq, seq * FRAME_SAMPLES, "4");
      r.advance(20);
    }
    for (let f = 0; f < 4; f++, seq++) {
      phoneKeyAudio(r, seq, seq * FRAME_SAMPLES, "");
      r.advance(20);
    }
    r.advance(200);
    expect(r.events.filter((e) => e.name === "dtmf").map((e) => e.detail).join("")).toBe("44");
  });

  it("in-band DTMF: keys whose tones start and end inside packets are read, and the door's speaker plays none of their tones (the frames at a key's edges too)", () => {
    // The code is not complete ("4711" of "4711#"): nothing opens, the door plays no confirmation of its own.
    for (const offset of [70, 110, 30]) {
      const { r, audio } = setup({ doorCode: "4711#" });
      answeredCall(r, offer("sendrecv", "0 8"));
      const from = audio.played.length;
      typeInbandUnaligned(r, "4711", offset, 100, 100);
      r.advance(200);
      expect(r.events.filter((e) => e.name === "dtmf").map((e) => e.detail).join(""), `offset ${offset}`).toBe("4711");
      // The phone sent the keys and silence: whatever the speaker played is a key's tone, and a recording of it
      // would give the code away (a frame that only partly holds a key is no key for classifyDtmf, review of 36fb56c).
      const speaker = audio.speaker(from);
      expect(keysInBursts(speaker), `offset ${offset}: keys in the speaker's bursts`).toBe("");
      expect(speaker.filter((x) => x !== 0).length, `offset ${offset}`).toBe(0);
    }
  });

  it("in-band DTMF: A-D are keys only when the door code uses them (music and speech make them up most)", () => {
    const plain = setup({ doorCode: "#" });
    answeredCall(plain.r, offer("sendrecv", "0 8"));
    typeInband(plain.r, "A#");
    expect(plain.r.events.filter((e) => e.name === "dtmf").map((e) => e.detail).join("")).toBe("#");
    expect(plain.r.eventNames().filter((n) => n === "door opened")).toEqual(["door opened"]);

    const lettered = setup({ doorCode: "A#" });
    answeredCall(lettered.r, offer("sendrecv", "0 8"));
    typeInband(lettered.r, "A#");
    expect(lettered.r.events.filter((e) => e.name === "dtmf").map((e) => e.detail).join("")).toBe("A#");
    expect(lettered.r.eventNames().filter((n) => n === "door opened")).toEqual(["door opened"]);
  });

  it("in-band DTMF: not while the call is on hold (music on hold is where false keys come from); off hold, keys count again", () => {
    const { r } = setup({ doorCode: "#" });
    r.deliver(request("INVITE", { body: offer("sendrecv", "0 8") }));
    r.advance(10);
    const ok = r.take().find((m) => m.kind === "200")!;
    r.deliver(ackFor(ok));
    const tag = toTag(ok);
    // The phone holds the door: a=sendonly (it sends music on hold, the door sends nothing), then types '#' anyway.
    reoffer(r, tag, 2, offer("sendonly", "0 8"));
    const seq = typeInband(r, "#");
    expect(r.eventNames()).not.toContain("door opened");
    expect(r.intercom.media.inband.keys).toBe(0);
    reoffer(r, tag, 3, offer("sendrecv", "0 8"));
    r.advance(40);
    typeInband(r, "#", seq + 10);
    expect(r.eventNames().filter((n) => n === "door opened")).toEqual(["door opened"]);
  });

  it("in-band DTMF: in a call that agreed telephone-event the tones are no keys (auto); with \"on\" they are; with \"off\" never", () => {
    const auto = setup();
    answeredCall(auto.r);
    typeInband(auto.r, "#");
    expect(auto.r.eventNames()).not.toContain("door opened");
    expect(auto.r.intercom.media.inband.keys).toBe(0);

    const on = setup({ inbandDtmf: "on" });
    answeredCall(on.r);
    typeInband(on.r, "#");
    expect(on.r.eventNames().filter((n) => n === "door opened")).toEqual(["door opened"]);

    const off = setup({ inbandDtmf: "off" });
    answeredCall(off.r, offer("sendrecv", "0 8"));
    typeInband(off.r, "#");
    expect(off.r.eventNames()).not.toContain("door opened");
    expect(off.r.intercom.media.inband.keys).toBe(0);
  });

  it("in-band DTMF: tones played into the door's microphone, coming back from the call, are no keys; a second after they stop, the callee's keys count again", () => {
    const { r, audio } = setup({ doorCode: "#" });
    answeredCall(r, offer("sendrecv", "0 8"));
    // Someone at the door plays '#' into the microphone; the callee's speakerphone sends it back 100 ms later.
    audio.mic = (t) => keySample("#", t);
    r.advance(100);
    let seq = typeInband(r, "#");
    audio.mic = () => 0;
    seq = typeInband(r, "#", seq);
    expect(r.eventNames()).not.toContain("door opened");
    // 1 s after the microphone's tones stopped, the callee types '#'.
    r.advance(1000);
    typeInband(r, "#", seq + 50);
    expect(r.eventNames().filter((n) => n === "door opened")).toEqual(["door opened"]);
  });

  it("in-band DTMF: a short key (45 ms) played into the door's microphone at any point of its frames, coming back from the call, is no key", () => {
    // Q.24's shortest key is 40 ms: whatever its alignment, some frame of the microphone holds most of it.
    const opened: number[] = [];
    for (let offset = 0; offset < 2 * FRAME_SAMPLES; offset += 8) {
      const { r, audio } = setup({ doorCode: "#" });
      answeredCall(r, offer("sendrecv", "0 8"));
      r.advance(100);
      let start = -1;
      audio.mic = (t) => {
        if (start < 0) start = t + offset;
        return t >= start && t < start + 360 ? keySample("#", t) : 0;
      };
      r.advance(100);
      // The callee's speakerphone sends it back 100 ms later: 3 frames of it.
      typeInband(r, "#", 1, 3, 4);
      if (r.eventNames().includes("door opened")) opened.push(offset);
    }
    expect(opened, "microphone offsets at which the echo opened the door").toEqual([]);
  });

  it("the door's own RFC 4733 '#' after an opening, and its audio, go to the socket as views the datagram's length (no subarray per packet on the device)", () => {
    const { r, rtp } = setup();
    answeredCall(r);
    r.advance(40);
    const sentBefore = rtp.sent.length;
    let seq = 10;
    for (const [end, d] of [[false, 400], [true, 800], [true, 800], [true, 800]] as const) {
      phoneEvent(r, PHONE_RTP, seq++, 16000, 11, end, d);
      r.advance(20);
    }
    expect(r.pins.relay).toBe(true);
    // The confirmation tone (800 ms), then the door's '#' as telephone-events.
    r.advance(2000);
    const sent = rtp.sent.slice(sentBefore);
    const events = sent.filter((p) => header(p).payloadType === 101);
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(events.every((p) => p.bytes.length === 16)).toBe(true);
    expect(sent.filter((p) => !p.whole).map((p) => `${header(p).payloadType}/${p.bytes.length}`)).toEqual([]);
  });

  it("a phone that loops the door's RTP back (an echo test) hands it its own '#' confirmation: no key, the door opens once (door code '#'); a '#' after the guard is a key again", () => {
    const { r, rtp } = setup();
    answeredCall(r);
    r.advance(40);
    // The phone's key on a timeline behind the door's own (the door's random start, RFC 3550 §5.1): the echo of the
    // door's event then reads as a newer event, not as a stale copy of the phone's.
    const ts = (header(rtp.sent[rtp.sent.length - 1]!).timestamp - 50_000) >>> 0;
    let seq = 10;
    for (const [end, d] of [[false, 400], [true, 800], [true, 800], [true, 800]] as const) {
      phoneEvent(r, PHONE_RTP, seq++, ts, 11, end, d);
      r.advance(20);
    }
    expect(r.eventNames().filter((n) => n === "door opened")).toEqual(["door opened"]);
    // From now on the phone sends back every RTP packet the door sends, as it is (its SSRC, sequence and timestamp),
    // a frame later: the confirmation tone (800 ms), the door's '#' (200 ms), then its echo. No second opening.
    let echoed = rtp.sent.length;
    for (let t = 0; t < 5000; t += 20) {
      r.advance(20);
      for (; echoed < rtp.sent.length; echoed++) {
        const p = rtp.sent[echoed]!;
        r.intercom.rtpReceiver(0)!.receive(p.bytes, p.bytes.length, PEER, PHONE_RTP);
      }
    }
    const sentEvents = rtp.sent.filter((p) => header(p).payloadType === 101);
    expect(sentEvents.length).toBeGreaterThanOrEqual(4);
    expect(r.eventNames().filter((n) => n === "door opened")).toEqual(["door opened"]);
    expect(r.events.filter((e) => e.name === "dtmf").map((e) => e.detail)).toEqual(["#"]);
    expect(r.intercom.media.echoes).toBe(1);
    // A second after the door's last event packet, the callee's own '#' is a key again (and opens again).
    r.advance(1100);
    for (const [end, d] of [[false, 400], [true, 800], [true, 800], [true, 800]] as const) {
      phoneEvent(r, PHONE_RTP, seq++, (ts + 100_000) >>> 0, 11, end, d);
      r.advance(20);
    }
    expect(r.events.filter((e) => e.name === "dtmf").map((e) => e.detail)).toEqual(["#", "#"]);
  });

  it("RTCP: a report within 2.5-7.5 s to the RTP port + 1 (SR, with a block about the phone), and a BYE when the call ends", () => {
    const { r, rtcp } = setup();
    answeredCall(r);
    for (let i = 0; i < 50; i++) {
      phoneAudio(r, PHONE_RTP, 7 + i, 160 * i, 440);
      r.advance(20);
    }
    r.advance(7000);
    expect(rtcp.sent.length).toBeGreaterThanOrEqual(1);
    const first = rtcp.sent[0]!;
    expect(first.at).toBeGreaterThanOrEqual(2500);
    expect(first.at).toBeLessThanOrEqual(7600);
    expect(first.port).toBe(PHONE_RTP + 1);
    expect(first.bytes[1]).toBe(200);
    const session = r.intercom.media.session;
    const reader = new RtcpReader();
    expect(reader.read(first.bytes, first.bytes.length, 0x0a0b0c0d)).toBe(true);
    expect(reader.aboutUs).toBe(true);
    expect(reader.sr && reader.srSsrc === session.ssrc).toBe(true);
    // SDES CNAME (RFC 3550 §6.5.1): "doorsip-" and our SSRC in eight lower-case hex digits.
    const cname = Buffer.from("doorsip-" + (session.ssrc >>> 0).toString(16).padStart(8, "0"));
    expect(Buffer.from(first.bytes).indexOf(cname)).toBeGreaterThan(52);
    // The phone hangs up: BYE → the session ends with an RTCP BYE, the media clock stops.
    const count = rtcp.sent.length;
    r.deliver(request("BYE", { cseq: 2, toTag: r.intercom.ua.calls[0]!.dialog.localTag.toString(), branch: "z9hG4bKbye" }));
    expect(session.active).toBe(false);
    const bye = rtcp.sent[count]!;
    expect(bye.bytes[9]).toBe(203);
    const sent = r.intercom.media.session.packetsSent;
    r.advance(1000);
    expect(r.intercom.media.session.packetsSent).toBe(sent);
  });

  it("RTCP follows the offer's a=rtcp (RFC 3605) from the first report; the phone's own RTCP then wins; re-offers with a new a=rtcp, the same, or none", () => {
    const { r, rtcp } = setup();
    const answer = answeredCall(r, offer() + "a=rtcp:53000\r\n");
    // Our own RTCP is on our RTP port + 1: the answer names no a=rtcp.
    expect(answer).toMatch(/^m=audio 40100 /m);
    expect(answer).not.toMatch(/a=rtcp/);
    const session = r.intercom.media.session;
    expect(session.remoteRtcpPort).toBe(53000);
    r.advance(7600);
    expect(rtcp.sent.length).toBeGreaterThanOrEqual(1);
    expect(rtcp.sent.map((p) => `${p.address}:${p.port}`)).toEqual(rtcp.sent.map(() => `${PEER}:53000`));
    expect(rtcp.sent[0]!.bytes[1]).toBe(200);
    // The phone's RTCP comes from another port (a NAT's mapping): symmetric RTCP, the next report goes there.
    phoneRtcp(r, 53002);
    expect(nextReport(r, rtcp)).toBe(`${PEER}:53002`);
    // A re-offer with the same a=rtcp (a session refresh) keeps what the phone's RTCP taught.
    const toTag = r.intercom.ua.calls[0]!.dialog.localTag.toString();
    reoffer(r, toTag, 2, offer() + "a=rtcp:53000\r\n");
    expect(nextReport(r, rtcp)).toBe(`${PEER}:53002`);
    // A new a=rtcp is followed at once (until the phone's RTCP comes again).
    reoffer(r, toTag, 3, offer() + "a=rtcp:53100\r\n");
    expect(nextReport(r, rtcp)).toBe(`${PEER}:53100`);
    // None: back to the RTP port + 1 (RFC 3550 §11).
    reoffer(r, toTag, 4, offer());
    r.advance(20);
    expect(session.remoteRtcpPort).toBe(PHONE_RTP + 1);
    expect(nextReport(r, rtcp)).toBe(`${PEER}:${PHONE_RTP + 1}`);
  });

  it("RTCP to a=rtcp's own address; the phone's RTP from its SDP address does not move it; the next call without a=rtcp goes to RTP + 1", () => {
    const { r, rtcp } = setup();
    answeredCall(r, offer() + "a=rtcp:53000 IN IP4 203.0.113.9\r\n");
    for (let i = 0; i < 10; i++) {
      phoneAudio(r, PHONE_RTP, 7 + i, 160 * i, 440);
      r.advance(20);
    }
    expect(r.intercom.media.session.latched).toBe(true);
    r.advance(7600);
    expect(rtcp.sent.length).toBeGreaterThanOrEqual(1);
    expect(rtcp.sent.map((p) => `${p.address}:${p.port}`)).toEqual(rtcp.sent.map(() => "203.0.113.9:53000"));
    // The same address as c= in a=rtcp is the usual form (FreeSWITCH): the port with the RTP address.
    const toTag = r.intercom.ua.calls[0]!.dialog.localTag.toString();
    reoffer(r, toTag, 2, offer() + `a=rtcp:53004 IN IP4 ${PEER}\r\n`);
    expect(nextReport(r, rtcp)).toBe(`${PEER}:53004`);
    r.deliver(request("BYE", { cseq: 5, toTag, branch: "z9hG4bKbye" }));
    r.take();
    // The next call's offer has no a=rtcp: nothing of the last call's is left.
    const sent = rtcp.sent.length;
    r.deliver(request("INVITE", { body: offer(), callId: "call-2@phone", fromTag: "phone-tag-2", branch: "z9hG4bKinvite2" }));
    r.advance(10);
    const ok = r.take().find((m) => m.kind === "200")!;
    expect(ok).toBeDefined();
    r.deliver(ackFor(ok, { branch: "z9hG4bKack2b" }));
    r.advance(7600);
    expect(rtcp.sent.length).toBeGreaterThan(sent);
    expect(`${rtcp.sent[sent]!.address}:${rtcp.sent[sent]!.port}`).toBe(`${PEER}:${PHONE_RTP + 1}`);
  });

  it("behind a NAT (RTP from an address the SDP did not name), RTCP goes to that address: the a=rtcp port when the NAT kept the RTP port, else the RTP source's port + 1", () => {
    const natted = offer().replace(/IN IP4 198\.51\.100\.7/g, "IN IP4 10.1.2.3") + "a=rtcp:53000\r\n";
    for (const [rtpFrom, rtcpTo] of [[PHONE_RTP, 53000], [30000, 30001]] as const) {
      const { r, rtcp } = setup();
      answeredCall(r, natted);
      expect(r.intercom.media.session.remoteAddress).toBe("10.1.2.3");
      for (let i = 0; i < 10; i++) {
        phoneAudio(r, rtpFrom, 7 + i, 160 * i, 440);
        r.advance(20);
      }
      r.advance(7600);
      expect(rtcp.sent.length).toBeGreaterThanOrEqual(1);
      expect(`${rtcp.sent[0]!.address}:${rtcp.sent[0]!.port}`).toBe(`${PEER}:${rtcpTo}`);
    }
  });

  it("behind a NAT, RTCP follows the RTP latch until the peer's own RTCP comes: through a re-offer that changes only a=rtcp, and a NAT rebinding", () => {
    const natted = offer().replace(/IN IP4 198\.51\.100\.7/g, "IN IP4 10.1.2.3") + "a=rtcp:53000\r\n";
    const { r, rtcp } = setup();
    answeredCall(r, natted);
    let seq = 7;
    const audioFrom = (port: number): void => {
      for (let i = 0; i < 10; i++, seq++) {
        phoneAudio(r, port, seq, 160 * seq, 440);
        r.advance(20);
      }
    };
    audioFrom(30000);
    expect(nextReport(r, rtcp)).toBe(`${PEER}:30001`);
    // A re-offer that changes only a=rtcp: RTP stays latched to the NAT, so RTCP does too (not the SDP's 10.1.2.3:53100).
    const toTag = r.intercom.ua.calls[0]!.dialog.localTag.toString();
    reoffer(r, toTag, 2, natted.replace("a=rtcp:53000", "a=rtcp:53100"));
    audioFrom(30000);
    expect(nextReport(r, rtcp)).toBe(`${PEER}:30001`);
    // The NAT rebinds: after a silence the same address comes from a new port; RTCP moves along.
    r.advance(5000);
    audioFrom(31000);
    expect(r.intercom.media.session.remotePort).toBe(31000);
    expect(nextReport(r, rtcp)).toBe(`${PEER}:31001`);
  });

  it("RTCP from an address that is not the peer's (not its SDP's, not its RTP's) is dropped and teaches nothing; the peer's own RTCP from its latched address wins", () => {
    const natted = offer().replace(/IN IP4 198\.51\.100\.7/g, "IN IP4 10.1.2.3");
    const { r, rtcp } = setup();
    answeredCall(r, natted);
    const session = r.intercom.media.session;
    const rr = new Uint8Array([0x80, 201, 0, 1, 0x0a, 0x0b, 0x0c, 0x0d]);
    r.intercom.rtcpReceiver(0)!.receive(rr, rr.length, "198.51.100.8", 40001);
    expect(session.rtcpReceived).toBe(0);
    expect(session.dropped).toBe(1);
    for (let i = 0; i < 10; i++) {
      phoneAudio(r, 30000, 7 + i, 160 * i, 440);
      r.advance(20);
    }
    expect(session.remoteAddress).toBe(PEER);
    // Reports follow the RTP latch (the NAT), not the stranger.
    expect(nextReport(r, rtcp)).toBe(`${PEER}:30001`);
    // The stranger again, now that RTP is latched: still nothing.
    r.intercom.rtcpReceiver(0)!.receive(rr, rr.length, "198.51.100.8", 40001);
    expect(nextReport(r, rtcp)).toBe(`${PEER}:30001`);
    // The peer's RTCP from the latched address (another port: the NAT's RTCP mapping) is learned.
    phoneRtcp(r, 40001);
    expect(session.rtcpReceived).toBe(1);
    expect(nextReport(r, rtcp)).toBe(`${PEER}:40001`);
    expect(session.dropped).toBe(2);
  });

  it("symmetric RTCP learns only from the peer's addresses: the SDP's c= before any RTP, a=rtcp's own address; a stranger carrying our SSRC in a report block moves nothing", () => {
    const { r, rtcp } = setup();
    answeredCall(r, offer() + "a=rtcp:53000 IN IP4 203.0.113.9\r\n");
    const session = r.intercom.media.session;
    // An RR with a report block about our own stream (our SSRC), as a stranger who sniffed it would send.
    const ours = session.ssrc;
    const rr = new Uint8Array(32);
    rr.set([0x81, 201, 0, 7, 0x0a, 0x0b, 0x0c, 0x0d, ours >>> 24, (ours >>> 16) & 0xff, (ours >>> 8) & 0xff, ours & 0xff]);
    r.intercom.rtcpReceiver(0)!.receive(rr, rr.length, "192.0.2.66", 9999);
    expect(session.rtcpReceived).toBe(0);
    expect(nextReport(r, rtcp)).toBe("203.0.113.9:53000");
    // From a=rtcp's own address, another port: learned.
    r.intercom.rtcpReceiver(0)!.receive(rr, rr.length, "203.0.113.9", 53010);
    expect(session.rtcpReceived).toBe(1);
    expect(nextReport(r, rtcp)).toBe("203.0.113.9:53010");
    // From the SDP's c= address (no RTP has come: nothing is latched): learned.
    r.intercom.rtcpReceiver(0)!.receive(rr, rr.length, PEER, 53020);
    expect(session.latched).toBe(false);
    expect(session.rtcpReceived).toBe(2);
    expect(nextReport(r, rtcp)).toBe(`${PEER}:53020`);
    // A stranger once more: reports stay with the peer.
    r.intercom.rtcpReceiver(0)!.receive(rr, rr.length, "192.0.2.66", 53020);
    expect(nextReport(r, rtcp)).toBe(`${PEER}:53020`);
    expect(session.rtcpReceived).toBe(2);
    expect(session.dropped).toBe(2);
  });

  it("hold: a sendonly re-INVITE stops our sending; sendrecv again resumes with a marker", () => {
    const { r, rtp } = setup();
    answeredCall(r);
    r.advance(100);
    const toTag = r.intercom.ua.calls[0]!.dialog.localTag.toString();
    r.deliver(request("INVITE", { cseq: 2, toTag, branch: "z9hG4bKhold", body: offer("sendonly").replace("2890844526 2890844526", "2890844526 2890844527") }));
    const ok = r.take().find((m) => m.kind === "200")!;
    expect(ok.text).toMatch(/a=recvonly/);
    r.deliver(ackFor(ok, { branch: "z9hG4bKack2" }));
    r.advance(20);
    const held = rtp.sent.length;
    r.advance(500);
    expect(rtp.sent.length).toBe(held);
    r.deliver(request("INVITE", { cseq: 3, toTag, branch: "z9hG4bKresume", body: offer().replace("2890844526 2890844526", "2890844526 2890844528") }));
    const ok2 = r.take().find((m) => m.kind === "200")!;
    r.deliver(ackFor(ok2, { branch: "z9hG4bKack3" }));
    r.advance(100);
    const resumed = rtp.sent.slice(held).map(header);
    expect(resumed.length).toBeGreaterThan(3);
    expect(resumed[0]!.marker).toBe(true);
    expect(resumed.slice(1).every((h) => !h.marker)).toBe(true);
    // The timestamp kept counting through the hold (it follows the clock).
    expect(((resumed[0]!.timestamp - header(rtp.sent[held - 1]!).timestamp) >>> 0) / 160).toBeGreaterThan(20);
  });

  it("a doorbell call plays ringback (425 Hz) at the door while it rings, and stops when answered", () => {
    const { r, audio } = setup({ targets: ["100"] });
    const invite = pressed(r);
    r.deliver(reply(invite, 180, "Ringing"));
    r.advance(1000);
    const ringing = audio.speaker();
    expect(ringing.length).toBeGreaterThan(8 * 160 * 5);
    expect(toneShare(ringing, 0, 3200, 425, 8000)).toBeGreaterThan(0.9);
    const answer = offer().replace("49170", "49180");
    r.deliver(reply(invite, 200, "OK", { body: answer }));
    r.advance(10);
    const from = audio.played.length;
    r.advance(1000);
    const after = audio.speaker(from);
    // Answered: no ringback any more (nothing is received, so the speaker is silent).
    expect(rms(after)).toBe(0);
  });

  it("a doorbell call that reaches nobody (486): busy tone at the door, 425 Hz 0.5 s on / 0.5 s off four times, then the media clock stops", () => {
    const { r, audio } = setup({ targets: ["100"] });
    const invite = pressed(r);
    r.deliver(reply(invite, 180, "Ringing"));
    r.advance(500);
    const from = audio.played.length;
    r.deliver(reply(invite, 486, "Busy Here"));
    expect(r.eventNames()).toContain("hunt over");
    r.advance(5000);
    const s = audio.speaker(from);
    // Each second: 0.5 s of 425 Hz (4,000 samples; a 3,200-sample window inside it, 170 whole periods), then 0.5 s of silence.
    for (let k = 0; k < 4; k++) {
      expect(toneShare(s, k * 8000 + 400, 3200, 425, 8000), `on ${k}`).toBeGreaterThan(0.9);
      if (k < 3) expect(rms(s, k * 8000 + 4400, 3200), `off ${k}`).toBe(0);
    }
    // Then nothing more: the media clock stopped with the tone (its last frame about 3.5 s after it began).
    expect(s.length).toBeLessThan(28_000 + 2 * 160);
    expect(audio.stops).toBeGreaterThanOrEqual(1);
  });

  it("with ringback \"us\", the busy tone is North America's (480 + 620 Hz)", () => {
    const { r, audio } = setup({ targets: ["100"], ringback: "us" });
    const invite = pressed(r);
    const from = audio.played.length;
    r.deliver(reply(invite, 486, "Busy Here"));
    r.advance(600);
    const s = audio.speaker(from);
    expect(toneShare(s, 400, 3200, 480, 8000) + toneShare(s, 400, 3200, 620, 8000)).toBeGreaterThan(0.9);
    expect(toneShare(s, 400, 3200, 425, 8000)).toBeLessThan(0.05);
  });

  it("no busy tone when the hunt is stopped at the door (the button hangs up a ringing call); a press with no target configured gives one", () => {
    const { r, audio } = setup({ targets: ["100"], buttonDuringCall: ButtonAction.Hangup });
    const invite = pressed(r);
    r.deliver(reply(invite, 180, "Ringing"));
    r.advance(500);
    // The button again (after its guard time): the ringing call is cancelled.
    r.advance(2000);
    r.intercom.press();
    r.advance(100);
    cancelled(r, invite);
    const from = audio.played.length;
    r.advance(2000);
    expect(rms(audio.speaker(from))).toBe(0);

    const none = setup({ targets: [] });
    none.r.intercom.press();
    none.r.advance(600);
    expect(none.r.logs.some((l) => l.includes("no call target is configured"))).toBe(true);
    expect(toneShare(none.audio.speaker(), 400, 3200, 425, 8000)).toBeGreaterThan(0.9);
  });

  it("a busy tone stops as soon as a call to the door rings it (before it is answered); a second press plays ringback instead, then busy again", () => {
    const { r } = setup({ targets: ["100"], calls: { autoAnswerMs: 2000 } });
    let invite = pressed(r);
    r.deliver(reply(invite, 486, "Busy Here"));
    r.advance(300);
    expect(r.intercom.media.localTone.tone).toBe(Tone.Busy);
    // A press during the busy tone (after the button's guard time): a new doorbell call, with ringback.
    r.advance(1700);
    invite = pressed(r);
    expect(r.intercom.media.localTone.tone).toBe(Tone.Ringback);
    r.deliver(reply(invite, 486, "Busy Here"));
    r.advance(100);
    expect(r.intercom.media.localTone.tone).toBe(Tone.Busy);
    // Someone calls the door: it rings (auto-answer in 2 s), and the busy tone is gone at once.
    r.deliver(request("INVITE", { body: offer() }));
    r.advance(20);
    expect(r.intercom.ua.calls.some((c) => c.state === CallState.Incoming)).toBe(true);
    expect(r.intercom.media.localTone.tone).toBe(Tone.None);
  });

  it("no busy tone: when the intercom stops during a ringing doorbell call, or without a speaker", () => {
    const { r, audio } = setup({ targets: ["100"] });
    const invite = pressed(r);
    r.deliver(reply(invite, 180, "Ringing"));
    r.advance(200);
    r.intercom.stop();
    r.advance(100);
    cancelled(r, invite);
    expect(r.intercom.media.localTone.tone).toBe(Tone.None);
    const from = audio.played.length;
    r.advance(1000);
    expect(rms(audio.speaker(from))).toBe(0);

    const mute = rig({ targets: ["100"] });
    const inv = pressed(mute);
    mute.deliver(reply(inv, 486, "Busy Here"));
    expect(mute.eventNames()).toContain("hunt over");
    expect(mute.intercom.media.localTone.tone).toBe(Tone.None);
  });

  it("a phone that answers without G.711 (the door hangs up at once, 488-like): nobody to talk to, so the busy tone too", () => {
    const { r } = setup({ targets: ["100"] });
    const invite = pressed(r);
    r.deliver(reply(invite, 200, "OK", { body: offer("sendrecv", "9") }));
    const bye = r.take().find((m) => m.kind === "BYE")!;
    expect(bye).toBeDefined();
    r.deliver(reply(bye, 200, "OK"));
    expect(r.eventNames()).toContain("hunt over");
    expect(r.intercom.hunt.lastUnanswered).toBe(true);
    expect(r.intercom.media.localTone.tone).toBe(Tone.Busy);
  });

  it("the ring timeout (nobody answers): CANCEL, 487, then the busy tone", () => {
    const { r } = setup({ targets: ["100"], calls: { ringTimeoutMs: 5000 } });
    const invite = pressed(r);
    r.deliver(reply(invite, 180, "Ringing"));
    r.advance(5000);
    cancelled(r, invite);
    expect(r.intercom.media.localTone.tone).toBe(Tone.Busy);
  });

  it("one session for the station: a transferred call that comes up while the first has the audio gets RTP from its own port once the first ends", () => {
    // The target is a phone the owner trusts (a Refer-To names the account's domain or a trusted source).
    const { r, rtp, rtcp, audio } = setup({ trust: { allow: ["198.51.100.8"] } });
    const rtp1 = new RecordingUdp(40102, () => r.clock.now());
    const rtcp1 = new RecordingUdp(40103, () => r.clock.now());
    r.intercom.attachMedia(1, rtp1, rtcp1);
    answeredCall(r);
    r.advance(100);
    const first = r.intercom.ua.calls[0]!;
    const toTag = first.dialog.localTag.toString();
    // The phone transfers the door to 200 (RFC 3515): the door calls the target from its second slot, with that slot's port.
    r.deliver(request("REFER", { cseq: 2, toTag, branch: "z9hG4bKrefer", extra: ["Refer-To: <sip:200@198.51.100.8:5080>"] }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["202", "NOTIFY", "INVITE"]);
    const invite = out[2]!;
    expect(invite.text).toMatch(/^m=audio 40102 /m);
    r.deliver(reply(out[1]!, 200, "OK", { toTag: null }));
    const target = OFFER.replace(/198\.51\.100\.7/g, "198.51.100.8").replace("49170", "49180");
    r.deliver(reply(invite, 200, "OK", { body: target, contact: "<sip:200@198.51.100.8:5080>" }), 5080, "198.51.100.8");
    expect(r.take().map((m) => m.kind)).toEqual(["ACK", "NOTIFY"]);
    const second = r.intercom.ua.calls[1]!;
    expect([first.state, second.state]).toEqual([CallState.Up, CallState.Up]);
    expect(r.logs.some((l) => l.includes("call 1 is up while call 0 has the audio"))).toBe(true);
    // Both calls are up; the audio stays with the first: nothing goes out of the second slot, and what comes to it is not played.
    const sent0 = rtp.sent.length;
    const played = audio.played.length;
    for (let i = 0; i < 10; i++) {
      const b = new Uint8Array(12 + FRAME_SAMPLES);
      writeRtpHeader(b, 0, 0, i === 0, 300 + i, 160 * i, 0x51515151);
      b.fill(0x10, 12);
      r.intercom.rtpReceiver(1)!.receive(b, b.length, "198.51.100.8", 49180);
      r.advance(20);
    }
    expect(rtp.sent.length - sent0).toBeGreaterThanOrEqual(9);
    expect(rtp1.sent).toEqual([]);
    expect(rms(audio.speaker(played))).toBe(0);
    const media = r.intercom.media;
    expect(media.slots[1]!.stray).toBe(10);
    expect([media.slots[0]!.active, media.slots[1]!.active]).toEqual([true, false]);
    // The transferor hangs up: the first session ends (RTCP BYE from the first slot), the second call takes the audio.
    const ssrc0 = media.session.ssrc;
    r.deliver(request("BYE", { cseq: 3, toTag, branch: "z9hG4bKbye" }));
    expect(first.state).not.toBe(CallState.Up);
    expect(rtcp.sent.at(-1)!.bytes[9]).toBe(203);
    const stopped0 = rtp.sent.length;
    r.advance(200);
    expect(rtp.sent.length).toBe(stopped0);
    expect(rtp1.sent.length).toBeGreaterThanOrEqual(9);
    const hs = rtp1.sent.map(header);
    for (const p of rtp1.sent) expect([p.address, p.port]).toEqual(["198.51.100.8", 49180]);
    expect(hs[0]!.marker).toBe(true);
    expect(hs[0]!.ssrc).not.toBe(ssrc0);
    expect([media.slots[0]!.active, media.slots[1]!.active]).toEqual([false, true]);
    expect(media.slots[1]!.packetsSent).toBe(rtp1.sent.length);
    // Its peer's audio now reaches the speaker.
    const from = audio.played.length;
    for (let i = 0; i < 10; i++) {
      phoneAudio(r, 49180, 400 + i, 8000 + 160 * i, 1000, i === 0, 0x0a0b0c0d, "198.51.100.8", 1);
      r.advance(20);
    }
    expect(media.session.packetsReceived).toBe(10);
    expect(rms(audio.speaker(from))).toBeGreaterThan(3000);
    r.deliver(request("BYE", { cseq: 2, toTag: second.dialog.localTag.toString(), callId: second.dialog.callId.toString(), fromTag: second.dialog.remoteTag.toString(), branch: "z9hG4bKbye2" }), 5080, "198.51.100.8");
  });
});
