/*
 * The media receive path under hostile datagrams (src/media/rtp-session.ts and
 * what it feeds: the RTP header reader, the receiver statistics, the jitter
 * buffer, the RFC 4733 receiver, the RTCP reader, concealment and play-out).
 * RTP and RTCP come from anyone who learns the port, so each session here
 * gets a seeded mix of plausible streams (G.711 and telephone-events from the
 * peer, with sequence and timestamp jumps and wraps, reordering, a new SSRC,
 * CSRCs, extensions, padding, odd payload sizes), the same mutated (bit
 * flips, truncation, random bytes), and copies from a stranger and from other
 * ports, while the clock plays a frame every 20 ms, reports go out, and now
 * and then the SDP changes (a re-INVITE: hold, another address).
 *
 * What must hold for every datagram:
 *  - nothing throws;
 *  - nothing is read outside the datagram (every few packets through
 *    GuardedBytes, test/fuzz/properties.ts), and at most a few reads a byte;
 *  - a key (RFC 4733) is taken only from a source the session accepts, never
 *    from the stranger: a door code cannot come from someone else's RTP;
 *  - the stream never latches to the stranger, nor do reports go to it (the
 *    SDP names a public address here, so no NAT mapping may take it).
 * FUZZ_MEDIA_SEED and FUZZ_MEDIA_SESSIONS replay or stretch it.
 */
import { describe, expect, it } from "vitest";
import type { ClockHost, UdpHost, UdpReceiver } from "../src/host";
import { FRAME_SAMPLES } from "../src/media/g711";
import { RtpSession } from "../src/media/rtp-session";
import { GuardedBytes } from "./fuzz/properties";
import { Prng, runSeed } from "./fuzz/prng";

const SEED = Number(process.env.FUZZ_MEDIA_SEED ?? 20261123);
const SESSIONS = Number(process.env.FUZZ_MEDIA_SESSIONS ?? 300);
const STEPS = 400;
/** The peer's SDP address (public: no other address may latch as its NAT) and the PBX that signals the call. */
const PEER = "198.51.100.50";
const PEER_PORT = 40_000;
const PBX = "198.51.100.7";
const STRANGER = "203.0.113.66";
/** Reads of the datagram allowed per byte, plus a constant (the header, an event block, an RTCP walk). */
const READS_PER_BYTE = 4;
const READS_CONSTANT = 64;

class StepClock implements ClockHost {
  time = 1_000_000;
  now(): number {
    return this.time;
  }
  wake(): void {}
}

class Random {
  constructor(private readonly p: Prng) {}
  u32(): number {
    return this.p.u32();
  }
}

class NullUdp implements UdpHost {
  localAddress = "192.0.2.10";
  localPort = 40_002;
  sent = 0;
  listen(_r: UdpReceiver): void {}
  send(_d: Uint8Array, _l: number, _a: string, _p: number): boolean {
    this.sent++;
    return true;
  }
}

/** One plausible RTP stream of the peer, mutated now and then. */
class Stream {
  seq: number;
  ts: number;
  ssrc: number;
  constructor(private readonly p: Prng) {
    this.seq = p.below(65536);
    this.ts = p.chance(1, 4) ? 0xffffffff - p.below(4000) : p.u32();
    this.ssrc = p.u32();
  }

  /** An RTP datagram: payload type `pt` (the audio's, the events', or any), fields moving on as a stream's do. */
  next(pt: number, eventPt: number): Uint8Array {
    const p = this.p;
    const r = p.below(100);
    if (r < 70) {
      this.seq = (this.seq + 1) & 0xffff;
      this.ts = (this.ts + FRAME_SAMPLES) >>> 0;
    } else if (r < 80) {
      const d = p.below(20) - 10; // reordered or lost
      this.seq = (this.seq + d) & 0xffff;
      this.ts = (this.ts + d * FRAME_SAMPLES) >>> 0;
    } else if (r < 85) {
      this.seq = p.below(65536);
      this.ts = p.u32(); // a jump
    } else if (r < 88) {
      this.ssrc = p.u32(); // a new source
    } else if (r < 92) {
      this.ts = (this.ts + (p.chance(1, 2) ? 0x7fffffff : 0x80000001)) >>> 0; // half the timestamp space
    }
    const csrc = p.chance(1, 10) ? p.below(16) : 0;
    const ext = p.chance(1, 10) ? p.below(4) : -1;
    const pad = p.chance(1, 10) ? 1 + p.below(8) : 0;
    const choice = p.below(10);
    const payloadPt = choice < 6 ? pt : choice < 9 ? eventPt & 0x7f : p.below(128);
    const payload = payloadPt === (eventPt & 0x7f) && p.chance(4, 5) ? 4 * (1 + (p.chance(1, 6) ? p.below(4) : 0)) : p.pick([0, 1, 3, 80, 159, 160, 161, 320, 480, 1000, 1400]);
    const len = 12 + 4 * csrc + (ext >= 0 ? 4 + 4 * ext : 0) + payload + pad;
    const b = new Uint8Array(len);
    b[0] = 0x80 | (pad > 0 ? 0x20 : 0) | (ext >= 0 ? 0x10 : 0) | csrc;
    b[1] = (p.chance(1, 8) ? 0x80 : 0) | payloadPt;
    b[2] = this.seq >> 8;
    b[3] = this.seq & 0xff;
    writeU32(b, 4, this.ts);
    writeU32(b, 8, this.ssrc);
    let at = 12;
    for (let i = 0; i < csrc; i++, at += 4) writeU32(b, at, p.u32());
    if (ext >= 0) {
      b[at] = 0xbe;
      b[at + 1] = 0xde;
      b[at + 2] = 0;
      b[at + 3] = ext;
      at += 4;
      for (let i = 0; i < ext; i++, at += 4) writeU32(b, at, p.u32());
    }
    if (payloadPt === (eventPt & 0x7f) && payload >= 4) {
      // RFC 4733 §2.3: event, E|R|volume, duration; mostly keys 0-15, some other events.
      for (let i = 0; i < payload; i += 4) {
        b[at + i] = p.chance(4, 5) ? p.below(16) : p.below(256);
        b[at + i + 1] = (p.chance(1, 3) ? 0x80 : 0) | p.below(64);
        const duration = p.chance(1, 10) ? p.below(65536) : 160 * (1 + p.below(20));
        b[at + i + 2] = duration >> 8;
        b[at + i + 3] = duration & 0xff;
      }
    } else {
      for (let i = 0; i < payload; i++) b[at + i] = p.below(256);
    }
    at += payload;
    if (pad > 0) {
      for (let i = 0; i < pad - 1; i++) b[at + i] = 0;
      b[len - 1] = p.chance(9, 10) ? pad : p.below(256); // a pad count that lies, now and then
    }
    return b;
  }
}

/** A compound RTCP packet (§6.1): an SR or RR first, then SDES, BYE, APP or junk, lengths now and then lying. */
function rtcp(p: Prng, ourSsrc: number): Uint8Array {
  const parts: number[] = [];
  const count = 1 + p.below(3);
  for (let k = 0; k < count; k++) {
    const type = k === 0 ? p.pick([200, 201]) : p.pick([200, 201, 202, 203, 204, p.below(256)]);
    const blocks = type === 200 || type === 201 ? p.below(4) : p.below(32);
    const body = type === 200 ? 24 + 24 * blocks : type === 201 ? 4 + 24 * blocks : 4 * p.below(8);
    const words = body / 4;
    const lying = p.chance(1, 12) ? p.below(300) : words;
    parts.push(0x80 | blocks, type, lying >> 8, lying & 0xff);
    for (let i = 0; i < body; i++) parts.push(p.below(256));
    if (type === 200 || type === 201) {
      // Some report blocks are about us.
      const first = type === 200 ? 4 + 24 + 4 : 4 + 4;
      const at = parts.length - body - 4 + first;
      for (let i = 0; i < blocks; i++) {
        if (p.chance(1, 2)) {
          const o = at + 24 * i;
          parts[o] = ourSsrc >>> 24;
          parts[o + 1] = (ourSsrc >>> 16) & 0xff;
          parts[o + 2] = (ourSsrc >>> 8) & 0xff;
          parts[o + 3] = ourSsrc & 0xff;
        }
      }
    }
  }
  return Uint8Array.from(parts);
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}

/** Bit flips, a truncation or random bytes. */
function mutate(p: Prng, b: Uint8Array): Uint8Array {
  const r = p.below(3);
  if (r === 0) {
    const out = b.slice();
    for (let i = 1 + p.below(4); i > 0 && out.length > 0; i--) out[p.below(out.length)] ^= 1 << p.below(8);
    return out;
  }
  if (r === 1) return b.subarray(0, p.below(b.length + 1)).slice();
  const out = new Uint8Array(p.below(64));
  for (let i = 0; i < out.length; i++) out[i] = p.below(256);
  return out;
}

interface Tally {
  packets: number;
  guarded: number;
  digits: number;
  strangerPackets: number;
  rtcp: number;
  played: number;
  maxReadsPerByte: number;
}

function fuzzSession(seed: number, t: Tally): string | null {
  const p = new Prng(seed);
  const clock = new StepClock();
  const digits: number[] = [];
  const session = new RtpSession({ clock, random: new Random(new Prng(seed ^ 0x5eed)), listener: { onTelephoneEvent: (_s, d) => digits.push(d) } });
  session.rtp = new NullUdp();
  session.rtcp = new NullUdp();
  session.signalAddress = PBX;
  const eventPt = p.pick([101, 96, 127, -1]);
  let pt = p.pick([0, 8]);
  let sdpAddress = PEER;
  session.start(pt === 8, pt, eventPt, sdpAddress, PEER_PORT, true, true);
  const peer = new Stream(p);
  const stranger = new Stream(p);
  const pcm = new Int16Array(FRAME_SAMPLES);
  let nextFrame = clock.time + 20;
  for (let step = 0; step < STEPS; step++) {
    const where = `seed ${seed} step ${step}`;
    const r = p.below(100);
    try {
      if (r < 80) {
        // An RTP datagram: from the peer (its SDP address, its PBX, another port of either) or from the stranger.
        const fromStranger = p.chance(1, 6);
        let bytes = (fromStranger ? stranger : peer).next(pt, eventPt);
        if (p.chance(1, 8)) bytes = mutate(p, bytes);
        const address = fromStranger ? STRANGER : p.chance(1, 8) ? PBX : sdpAddress;
        const port = p.chance(1, 10) ? 1024 + p.below(60_000) : PEER_PORT;
        const before = digits.length;
        t.packets++;
        if (fromStranger) t.strangerPackets++;
        if (step % 7 === 0) {
          const g = new GuardedBytes(bytes);
          session.receive(g.view, bytes.length, address, port);
          t.guarded++;
          const limit = READS_PER_BYTE * bytes.length + READS_CONSTANT;
          if (g.reads > limit) return `${where}: ${g.reads} reads of a ${bytes.length}-byte datagram`;
          if (bytes.length > 0) t.maxReadsPerByte = Math.max(t.maxReadsPerByte, g.reads / bytes.length);
        } else {
          session.receive(bytes, bytes.length, address, port);
        }
        if (digits.length > before) {
          t.digits++;
          if (fromStranger) return `${where}: a key ${String.fromCharCode(digits[digits.length - 1]!)} taken from the stranger's RTP`;
          const d = digits[digits.length - 1]!;
          if (!"0123456789*#ABCD".includes(String.fromCharCode(d))) return `${where}: key code ${d} is no DTMF key`;
        }
        if (session.remoteAddress === STRANGER) return `${where}: the stream latched to ${session.remoteAddress}`;
      } else if (r < 90) {
        // RTCP, plausible or mutated, from the peer or the stranger.
        let bytes = rtcp(p, session.ssrc);
        if (p.chance(1, 4)) bytes = mutate(p, bytes);
        const fromStranger = p.chance(1, 4);
        const g = new GuardedBytes(bytes);
        session.receiveRtcp(g.view, bytes.length, fromStranger ? STRANGER : sdpAddress, PEER_PORT + 1);
        t.rtcp++;
        if (g.reads > READS_PER_BYTE * bytes.length + READS_CONSTANT) return `${where}: ${g.reads} reads of a ${bytes.length}-byte RTCP datagram`;
        if (session.remoteRtcpAddress === STRANGER) return `${where}: RTCP answered to the stranger`;
      } else if (r < 93) {
        // A re-INVITE: hold (no address), back, another address, the other law.
        const c = p.below(4);
        if (c === 0) sdpAddress = "";
        else if (c === 1 || sdpAddress === "") sdpAddress = sdpAddress === PEER ? "198.51.100.51" : PEER;
        if (c === 2) pt = pt === 0 ? 8 : 0;
        session.update(pt === 8, pt, eventPt, sdpAddress, c === 0 ? 0 : PEER_PORT, c !== 3, c !== 3 || p.chance(1, 2));
      }
      // Time moves on: 0-60 ms, now and then seconds; a frame played every 20 ms, a report when due.
      clock.time += p.chance(1, 30) ? p.below(10_000) : p.below(60);
      while (nextFrame <= clock.time) {
        session.playFrame(pcm);
        session.tickRtcp(nextFrame);
        t.played++;
        nextFrame += 20;
      }
      if (nextFrame < clock.time - 1000) nextFrame = clock.time; // a long pause: the media clock skips ahead
    } catch (e) {
      return `${where}: threw ${e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e)}`;
    }
  }
  return null;
}

describe("the media receive path under hostile datagrams", () => {
  it(`${SESSIONS} sessions of ${STEPS} steps (seed ${SEED}): no throw, no read outside a datagram, no key or latch from a stranger`, () => {
    const t: Tally = { packets: 0, guarded: 0, digits: 0, strangerPackets: 0, rtcp: 0, played: 0, maxReadsPerByte: 0 };
    for (let i = 0; i < SESSIONS; i++) {
      const failure = fuzzSession(runSeed(SEED, i), t);
      if (failure !== null) expect.fail(`FUZZ_MEDIA_SEED=${SEED} session ${i}: ${failure}`);
    }
    // The fuzzer reached what it is there for: keys taken from the peer, the stranger's packets, RTCP, play-out.
    expect(t.digits).toBeGreaterThan(SESSIONS);
    expect(t.strangerPackets).toBeGreaterThan(SESSIONS * 10);
    expect(t.rtcp).toBeGreaterThan(SESSIONS * 10);
    expect(t.guarded).toBeGreaterThan(SESSIONS * 10);
    expect(t.played).toBeGreaterThan(SESSIONS * 100);
  });
});
