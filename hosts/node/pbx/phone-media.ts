/*
 * The desk phone's audio: RTP (RFC 3550) with G.711 (RFC 3551 §4.5.14) on
 * its own socket pair, written apart from the core's src/media, like the
 * rest of the phone, so that it checks the door rather than sharing its
 * mistakes.
 *
 * When a call is up the phone sends 20 ms packets to the port the door's SDP
 * names: a tone (toneHz) for toneMs, then silence, until the call ends; the
 * marker bit on the first packet, the sequence number +1 and the timestamp
 * +160 per packet, one random SSRC. RFC 4733 digits replace the audio while
 * they last: packets every 20 ms with one timestamp (the event's start),
 * the duration growing by 160, the marker on the first, and the end packet
 * (E bit) sent three times (§2.5.1.4).
 *
 * What the door sends is checked packet by packet: version 2, the
 * negotiated payload type (or telephone-event), 160-byte payloads (20 ms),
 * sequence numbers one apart, timestamps 160 per sequence step (or more: a
 * sender that skipped frames keeps real time), one SSRC, the marker bit on
 * the first packet, and every packet from the port the door's SDP names
 * (symmetric RTP, RFC 4961). The audio is decoded and kept, so a test can
 * look for the door's tone in it.
 */
import { randomInt } from "node:crypto";

export type G711 = "PCMU" | "PCMA";

/** What the door's SDP and the agreed codec say. */
export interface PhoneMediaPlan {
  callId: string;
  /** Where the door wants RTP (its SDP's c= and m=audio port). */
  address: string;
  port: number;
  codec: G711;
  payloadType: number;
  /** The telephone-event payload type both sides have, or -1. */
  eventPayloadType: number;
  toneHz: number;
  toneMs: number;
}

export interface PhoneMediaReport {
  callId: string;
  codec: G711;
  payloadType: number;
  /** Where the phone sent, "address:port". */
  remote: string;
  /** Audio packets sent, and RFC 4733 packets sent. */
  sent: number;
  eventsSent: number;
  /** From the door: audio packets, telephone-event packets, and datagrams that were neither (not RTP v2, other payload types). */
  received: number;
  eventsReceived: number;
  foreign: number;
  /** Every audio packet carried 160 bytes: 20 ms of G.711. */
  ptime20: boolean;
  /** Sequence numbers that were not the previous + 1 (mod 2^16). */
  seqBreaks: number;
  /** Timestamps that did not advance by 160 per sequence step (or a multiple beyond it: frames skipped to keep real time). */
  timestampBreaks: number;
  /** Frames the sender skipped (timestamp steps beyond 160 per packet). */
  skippedFrames: number;
  /** Distinct SSRCs seen. */
  ssrcs: number;
  /** The first packet had the marker bit (the start of a talkspurt). */
  firstMarker: boolean;
  /** Every packet came from the port in the door's SDP (symmetric RTP). */
  fromSdpPort: boolean;
  /** The door's RFC 4733 events, one entry per event (its packets share the start timestamp, §2.5.1.2). */
  eventsSeen: PhoneEventSeen[];
  /** The decoded audio, in arrival order. */
  samples: Int16Array;
}

/** One RFC 4733 event the door sent, as its packets showed it. */
export interface PhoneEventSeen {
  /** The event code (§3.2) and its DTMF character ("" for other events). */
  event: number;
  digit: string;
  timestamp: number;
  packets: number;
  /** The first packet seen had the marker bit. */
  firstMarker: boolean;
  /** Packets with the E bit, and the last duration (timestamp units). */
  ends: number;
  duration: number;
  /** The duration never went down, and stayed the same in the end packets. */
  growing: boolean;
}

/** What is wrong with the door's RFC 4733 events (§2.5.1.2, §2.5.1.4), as short phrases (empty: all good). */
export function eventProblems(r: PhoneMediaReport): string[] {
  const out: string[] = [];
  for (const e of r.eventsSeen) {
    const name = `event ${e.digit || e.event} at ${e.timestamp}`;
    if (!e.firstMarker) out.push(`${name}: no marker bit on its first packet`);
    if (e.ends !== 3) out.push(`${name}: ${e.ends} end packets, not 3`);
    if (!e.growing) out.push(`${name}: its duration went down`);
  }
  return out;
}

/** What is wrong with the door's RTP, as short phrases (empty: all good). */
export function mediaProblems(r: PhoneMediaReport, minPackets = 10): string[] {
  const out: string[] = [];
  if (r.received < minPackets) out.push(`only ${r.received} RTP packets from the door`);
  if (!r.ptime20) out.push("payloads other than 160 bytes (20 ms)");
  if (r.seqBreaks > 0) out.push(`${r.seqBreaks} sequence number breaks`);
  if (r.timestampBreaks > 0) out.push(`${r.timestampBreaks} timestamp breaks`);
  if (r.ssrcs > 1) out.push(`${r.ssrcs} SSRCs`);
  if (r.received > 0 && !r.firstMarker) out.push("no marker bit on the first packet");
  if (!r.fromSdpPort) out.push("RTP from a port other than the SDP's (not symmetric)");
  if (r.foreign > 0) out.push(`${r.foreign} datagrams that were not ${r.codec} or telephone-event RTP`);
  return out;
}

const RATE = 8000;
const FRAME = 160;
const FRAME_MS = 20;
/** Samples kept of what the door sends (60 s). */
const KEEP = 60 * RATE;
/** RFC 4733 §3.2: events 0-9, *, #, A-D. */
const EVENT_CODES = "0123456789*#ABCD";
/** An event's length before its end packets, in 20 ms packets (160 ms). */
const EVENT_PACKETS = 8;

// ---- G.711 by segment search (Sun's g711.c; negative magnitudes as ITU-T G.191's reference takes them) ----

const SEG_UEND = [0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff, 0x1fff];
const SEG_AEND = [0x1f, 0x3f, 0x7f, 0xff, 0x1ff, 0x3ff, 0x7ff, 0xfff];

function segment(v: number, ends: readonly number[]): number {
  for (let i = 0; i < ends.length; i++) if (v <= ends[i]!) return i;
  return ends.length;
}

export function linearToUlaw(sample: number): number {
  const BIAS = 0x84;
  // Magnitude as ITU-T G.191's ulaw_compress takes it: one's complement for negative samples.
  let v = sample >> 2; // 14 bits
  let mask = 0xff;
  if (sample < 0) {
    v = ~sample >> 2;
    mask = 0x7f;
  }
  if (v > 8159) v = 8159;
  v += BIAS >> 2;
  const seg = segment(v, SEG_UEND);
  if (seg >= 8) return 0x7f ^ mask;
  return ((seg << 4) | ((v >> (seg + 1)) & 0xf)) ^ mask;
}

export function ulawToLinear(u: number): number {
  u = ~u & 0xff;
  let t = ((u & 0x0f) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return u & 0x80 ? 0x84 - t : t - 0x84;
}

export function linearToAlaw(sample: number): number {
  let v = sample >> 3; // 13 bits
  let mask: number;
  if (v >= 0) mask = 0xd5;
  else {
    mask = 0x55;
    v = -v - 1;
  }
  const seg = segment(v, SEG_AEND);
  if (seg >= 8) return 0x7f ^ mask;
  const a = (seg << 4) | (seg < 2 ? (v >> 1) & 0xf : (v >> seg) & 0xf);
  return a ^ mask;
}

export function alawToLinear(a: number): number {
  a ^= 0x55;
  let t = (a & 0x0f) << 4;
  const seg = (a & 0x70) >> 4;
  if (seg === 0) t += 8;
  else if (seg === 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return a & 0x80 ? t : -t;
}

// ---- SDP: just what the phone needs of the door's ----

export interface SdpAudio {
  address: string;
  port: number;
  /** The m=audio line's payload types, in order. */
  formats: number[];
  /** rtpmap encoding names (lower case) by payload type. */
  names: Map<number, string>;
}

/** The first m=audio stream of an SDP, with its address (media-level c= over session-level); null when none or port 0. */
export function sdpAudio(sdp: string): SdpAudio | null {
  let address = "";
  let audio: SdpAudio | null = null;
  let inOther = false;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("m=")) {
      if (audio !== null) break;
      const parts = line.slice(2).split(/\s+/);
      if (parts[0] === "audio") {
        audio = { address, port: Number(parts[1]), formats: parts.slice(3).map(Number).filter((n) => Number.isInteger(n)), names: new Map() };
        inOther = false;
      } else {
        inOther = true;
      }
    } else if (line.startsWith("c=") && !inOther) {
      const c = /^c=IN IP[46] ([^\s/]+)/.exec(line);
      if (c !== null) {
        if (audio !== null) audio.address = c[1]!;
        else address = c[1]!;
      }
    } else if (audio !== null && line.startsWith("a=rtpmap:")) {
      const r = /^a=rtpmap:(\d+)\s+([^/\s]+)/.exec(line);
      if (r !== null) audio.names.set(Number(r[1]), r[2]!.toLowerCase());
    }
  }
  if (audio === null || !(audio.port > 0) || audio.address === "" || audio.address === "0.0.0.0") return null;
  return audio;
}

/** The G.711 codec and telephone-event type an SDP answer (or the phone's own answer) settled on. */
export function agreed(answer: SdpAudio): { codec: G711; payloadType: number; eventPayloadType: number } | null {
  const name = (pt: number): string => answer.names.get(pt) ?? (pt === 0 ? "pcmu" : pt === 8 ? "pcma" : "");
  for (const pt of answer.formats) {
    const n = name(pt);
    if (n === "pcmu" || n === "pcma") {
      const ev = answer.formats.find((p) => name(p) === "telephone-event");
      return { codec: n === "pcmu" ? "PCMU" : "PCMA", payloadType: pt, eventPayloadType: ev ?? -1 };
    }
  }
  return null;
}

// ---- the session ----

type Send = (bytes: Uint8Array, address: string, port: number) => void;

interface PendingEvent {
  code: number;
  timestamp: number;
  packets: number;
  ends: number;
  done: (sent: boolean) => void;
}

/** A key sent as its Q.23 tone pair in the audio (in-band). */
interface PendingTones {
  row: number;
  col: number;
  frames: number;
  done: (sent: boolean) => void;
}

/** Q.23: the keypad by row and column, and the rows' and columns' frequencies (key i: row i >> 2, column i & 3). */
const KEYPAD = "123A456B789C*0#D";
const DTMF_ROWS = [697, 770, 852, 941];
const DTMF_COLS = [1209, 1336, 1477, 1633];
/** Each tone of a key at -10 dBm0 (G.711's 0 dBm0 sine peaks near 22,700), the column tone 2 dB louder (as phones pre-emphasise it). */
const ROW_AMPLITUDE = 7180;
const COL_AMPLITUDE = 9040;

/** One call's RTP, both ways. */
export class PhoneMediaSession {
  private readonly plan: PhoneMediaPlan;
  private readonly send: Send;
  private readonly ssrc = randomInt(0, 2 ** 32 - 1) >>> 0;
  private seq = randomInt(0, 65536);
  private timestamp = randomInt(0, 2 ** 32 - 1) >>> 0;
  private phase = 0;
  private frames = 0;
  private readonly started = performance.now();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly events: PendingEvent[] = [];
  private readonly tones: PendingTones[] = [];
  private tonePhase = 0;
  private readonly packet = new Uint8Array(12 + FRAME);
  // Receiving.
  private readonly report: PhoneMediaReport;
  private readonly ssrcSeen = new Set<number>();
  private lastSeq = -1;
  private lastAudioSeq = -1;
  private lastAudioTs = 0;
  private readonly chunks: Int16Array[] = [];
  private kept = 0;

  constructor(plan: PhoneMediaPlan, send: Send) {
    this.plan = plan;
    this.send = send;
    this.report = {
      callId: plan.callId, codec: plan.codec, payloadType: plan.payloadType, remote: `${plan.address}:${plan.port}`,
      sent: 0, eventsSent: 0, received: 0, eventsReceived: 0, foreign: 0, ptime20: true, seqBreaks: 0, timestampBreaks: 0,
      skippedFrames: 0, ssrcs: 0, firstMarker: false, fromSdpPort: true, eventsSeen: [], samples: new Int16Array(0),
    };
    this.schedule();
  }

  /** Send `digit` as an RFC 4733 event; resolves true when its end packets are out (false: the call ended first). */
  sendDigit(digit: string): Promise<boolean> {
    const code = EVENT_CODES.indexOf(digit.toUpperCase());
    if (code < 0 || this.plan.eventPayloadType < 0 || this.stopped) return Promise.resolve(false);
    return new Promise<boolean>((done) => this.events.push({ code, timestamp: -1, packets: 0, ends: 0, done }));
  }

  /** Send `digit` as its tone pair in the audio for `ms` (whole frames); resolves true once sent (false: the call ended first). */
  sendTones(digit: string, ms: number): Promise<boolean> {
    const key = KEYPAD.indexOf(digit.toUpperCase());
    if (key < 0 || this.stopped) return Promise.resolve(false);
    const frames = Math.max(1, Math.round(ms / FRAME_MS));
    return new Promise<boolean>((done) => this.tones.push({ row: DTMF_ROWS[key >> 2]!, col: DTMF_COLS[key & 3]!, frames, done }));
  }

  /** Whether a telephone-event payload type was agreed. */
  get canSendEvents(): boolean {
    return this.plan.eventPayloadType >= 0;
  }

  /** Stop sending; the report of both directions. */
  stop(): PhoneMediaReport {
    if (!this.stopped) {
      this.stopped = true;
      if (this.timer !== null) clearTimeout(this.timer);
      this.timer = null;
      for (const e of this.events.splice(0)) e.done(false);
      for (const t of this.tones.splice(0)) t.done(false);
      const all = new Int16Array(this.kept);
      let at = 0;
      for (const c of this.chunks) {
        all.set(c, at);
        at += c.length;
      }
      this.report.samples = all;
      this.report.ssrcs = this.ssrcSeen.size;
    }
    return this.report;
  }

  /** The report so far (samples only after stop()). */
  get current(): Readonly<PhoneMediaReport> {
    this.report.ssrcs = this.ssrcSeen.size;
    return this.report;
  }

  /** Frame k is due at started + k * 20 ms; a late timer sends what is due (real time, like a sound card). */
  private schedule(): void {
    if (this.stopped) return;
    const due = this.started + this.frames * FRAME_MS;
    this.timer = setTimeout(() => {
      this.timer = null;
      const now = performance.now();
      while (!this.stopped && this.started + this.frames * FRAME_MS <= now) this.frame();
      this.schedule();
    }, Math.max(0, due - performance.now()));
  }

  private frame(): void {
    this.frames++;
    const event = this.events[0];
    if (event !== undefined) this.eventPacket(event);
    else this.audioPacket();
    this.timestamp = (this.timestamp + FRAME) >>> 0;
  }

  private header(pt: number, marker: boolean, timestamp: number): void {
    const p = this.packet;
    p[0] = 0x80;
    p[1] = (marker ? 0x80 : 0) | pt;
    p[2] = this.seq >> 8;
    p[3] = this.seq & 255;
    new DataView(p.buffer).setUint32(4, timestamp >>> 0);
    new DataView(p.buffer).setUint32(8, this.ssrc);
    this.seq = (this.seq + 1) & 0xffff;
  }

  private audioPacket(): void {
    const plan = this.plan;
    this.header(plan.payloadType, this.report.sent === 0, this.timestamp);
    const key = this.tones[0];
    if (key !== undefined) {
      // A key in-band: its two tones instead of the phone's tone for this frame.
      for (let i = 0; i < FRAME; i++) {
        const t = (this.tonePhase + i) / RATE;
        const s = Math.round(ROW_AMPLITUDE * Math.sin(2 * Math.PI * key.row * t) + COL_AMPLITUDE * Math.sin(2 * Math.PI * key.col * t));
        this.packet[12 + i] = plan.codec === "PCMU" ? linearToUlaw(s) : linearToAlaw(s);
      }
      this.tonePhase += FRAME;
      if (--key.frames <= 0) {
        this.tones.shift();
        this.tonePhase = 0;
        key.done(true);
      }
    } else {
      const tone = this.frames * FRAME_MS <= plan.toneMs && plan.toneHz > 0;
      const step = (2 * Math.PI * plan.toneHz) / RATE;
      for (let i = 0; i < FRAME; i++) {
        const s = tone ? Math.round(8000 * Math.sin(this.phase)) : 0;
        if (tone) this.phase = (this.phase + step) % (2 * Math.PI);
        this.packet[12 + i] = plan.codec === "PCMU" ? linearToUlaw(s) : linearToAlaw(s);
      }
    }
    this.report.sent++;
    this.send(this.packet.subarray(0, 12 + FRAME), plan.address, plan.port);
  }

  /** RFC 4733 §2.5: the event's start timestamp throughout, the duration growing, the end packet three times. */
  private eventPacket(e: PendingEvent): void {
    const first = e.timestamp < 0;
    if (first) e.timestamp = this.timestamp;
    e.packets++;
    const end = e.packets >= EVENT_PACKETS;
    const duration = Math.min(e.packets, EVENT_PACKETS) * FRAME;
    this.header(this.plan.eventPayloadType, first, e.timestamp);
    const p = this.packet;
    p[12] = e.code;
    p[13] = (end ? 0x80 : 0) | 10; // E bit, volume -10 dBm0
    p[14] = duration >> 8;
    p[15] = duration & 255;
    this.report.eventsSent++;
    this.send(p.subarray(0, 16), this.plan.address, this.plan.port);
    if (end && ++e.ends >= 3) {
      this.events.shift();
      e.done(true);
    }
  }

  /** An RFC 4733 event block from the door: a new event (a new timestamp), or one more packet of the last. */
  private eventPacket4733(bytes: Uint8Array, at: number, ts: number, marker: boolean): void {
    const event = bytes[at]!;
    const isEnd = (bytes[at + 1]! & 0x80) !== 0;
    const duration = (bytes[at + 2]! << 8) | bytes[at + 3]!;
    const seen = this.report.eventsSeen;
    let e = seen.length > 0 && seen[seen.length - 1]!.timestamp === ts ? seen[seen.length - 1]! : undefined;
    if (e === undefined) {
      e = { event, digit: event < 16 ? EVENT_CODES[event]! : "", timestamp: ts, packets: 0, firstMarker: marker, ends: 0, duration, growing: true };
      seen.push(e);
    }
    if (duration < e.duration || (e.ends > 0 && duration !== e.duration)) e.growing = false;
    e.duration = duration;
    e.packets++;
    if (isEnd) e.ends++;
  }

  /** A datagram on the phone's RTP socket during this call. */
  receive(bytes: Uint8Array, address: string, port: number): void {
    const r = this.report;
    if (bytes.length < 12 || bytes[0]! >> 6 !== 2) {
      r.foreign++;
      return;
    }
    if (port !== this.plan.port || address !== this.plan.address) r.fromSdpPort = false;
    const cc = bytes[0]! & 15;
    const ext = (bytes[0]! & 0x10) !== 0;
    const pad = (bytes[0]! & 0x20) !== 0;
    const marker = (bytes[1]! & 0x80) !== 0;
    const pt = bytes[1]! & 0x7f;
    const seq = (bytes[2]! << 8) | bytes[3]!;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const ts = view.getUint32(4);
    let at = 12 + 4 * cc;
    if (ext && at + 4 <= bytes.length) at += 4 + 4 * view.getUint16(at + 2);
    const end = pad ? bytes.length - bytes[bytes.length - 1]! : bytes.length;
    if (at > end) {
      r.foreign++;
      return;
    }
    const isAudio = pt === this.plan.payloadType;
    const isEvent = pt === this.plan.eventPayloadType && this.plan.eventPayloadType >= 0;
    if (!isAudio && !isEvent) {
      r.foreign++;
      return;
    }
    if (r.received + r.eventsReceived === 0) r.firstMarker = marker;
    this.ssrcSeen.add(view.getUint32(8));
    if (this.lastSeq >= 0 && seq !== ((this.lastSeq + 1) & 0xffff)) r.seqBreaks++;
    this.lastSeq = seq;
    if (isEvent) {
      r.eventsReceived++;
      if (end - at >= 4) this.eventPacket4733(bytes, at, ts, marker);
      return;
    }
    r.received++;
    if (end - at !== FRAME) r.ptime20 = false;
    if (this.lastAudioSeq >= 0) {
      const seqStep = (seq - this.lastAudioSeq) & 0xffff;
      const tsStep = (ts - this.lastAudioTs) >>> 0;
      if (seqStep === 0 || tsStep % FRAME !== 0 || tsStep / FRAME < seqStep) r.timestampBreaks++;
      else r.skippedFrames += tsStep / FRAME - seqStep;
    }
    this.lastAudioSeq = seq;
    this.lastAudioTs = ts;
    if (this.kept < KEEP) {
      const n = Math.min(end - at, KEEP - this.kept);
      const out = new Int16Array(n);
      for (let i = 0; i < n; i++) out[i] = this.plan.codec === "PCMU" ? ulawToLinear(bytes[at + i]!) : alawToLinear(bytes[at + i]!);
      this.chunks.push(out);
      this.kept += n;
    }
  }
}
