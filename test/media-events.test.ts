/*
 * RFC 4733 telephone-events as senders really send them (§2.5: start with
 * the marker bit, updates with growing duration, the end bit three times),
 * with loss, reordering, long events (§2.5.1.3) and repeated keys; and the
 * tone generator's frequencies and cadences, checked with a Goertzel filter.
 */
import { describe, expect, it } from "vitest";
import { digitEvent, eventDigit, TelephoneEventReceiver, writeTelephoneEvent } from "../src/media/telephone-event";
import { MediaNumber, mediaNumbers } from "../src/media/media-numbers";
import { Tone, ToneGenerator } from "../src/media/tone";
import { dominant, rms, toneShare } from "./interop/audio/signal";

interface EventPacket {
  ts: number;
  bytes: Uint8Array;
}

/** The packets of one key press (§2.5.1): every 50 ms an update, then three end packets. */
function keyPress(event: number, ts: number, durationMs: number): EventPacket[] {
  const packets: EventPacket[] = [];
  const total = durationMs * 8;
  for (let d = 400; d < total; d += 400) packets.push({ ts, bytes: block(event, false, d) });
  for (let i = 0; i < 3; i++) packets.push({ ts, bytes: block(event, true, total) });
  return packets;
}

function block(event: number, end: boolean, duration: number): Uint8Array {
  const b = new Uint8Array(4);
  writeTelephoneEvent(b, 0, event, end, 10, duration);
  return b;
}

function digits(r: TelephoneEventReceiver, packets: EventPacket[]): string {
  let out = "";
  for (const p of packets) {
    const d = r.receive(p.bytes, 0, p.bytes.length, p.ts);
    if (d >= 0) out += String.fromCharCode(d);
  }
  return out;
}

describe("RFC 4733 receiver", () => {
  it("writes the payload of §2.3 byte by byte", () => {
    const b = new Uint8Array(6).fill(0xee);
    expect(writeTelephoneEvent(b, 1, 11, true, 10, 1600)).toBe(5);
    expect(Buffer.from(b).toString("hex")).toBe("ee" + "0b" + "8a" + "0640" + "ee");
  });

  it("maps events 0-15 to 0-9 * # A-D and back; flash and tones are not digits", () => {
    expect(Array.from({ length: 16 }, (_, e) => String.fromCharCode(eventDigit(e))).join("")).toBe("0123456789*#ABCD");
    expect(eventDigit(16)).toBe(-1);
    expect(eventDigit(70)).toBe(-1);
    expect(digitEvent(35)).toBe(11);
    expect(digitEvent(120)).toBe(-1);
  });

  it("one key press is one digit, whatever the updates and the three end packets", () => {
    const r = new TelephoneEventReceiver();
    expect(digits(r, keyPress(1, 8000, 200))).toBe("1");
    expect(r.ended).toBe(true);
    expect(r.duration).toBe(1600);
  });

  it("the same key twice is two digits (new timestamps); 1, 2, 3, # in a row", () => {
    const r = new TelephoneEventReceiver();
    const packets = [...keyPress(1, 1000, 100), ...keyPress(1, 3000, 100), ...keyPress(2, 5000, 120), ...keyPress(3, 7000, 80), ...keyPress(11, 9000, 100)];
    expect(digits(r, packets)).toBe("1123#");
    expect(r.events).toBe(5);
  });

  it("a lost first packet: the next update reports the digit; lost end packets: the next key still counts", () => {
    const r = new TelephoneEventReceiver();
    const first = keyPress(5, 1000, 200).slice(1);
    const second = keyPress(5, 4000, 200).slice(0, 2); // no end packets at all
    const third = keyPress(5, 7000, 200);
    expect(digits(r, [...first, ...second, ...third])).toBe("555");
  });

  it("reordered and stale packets of an earlier event are not a new key", () => {
    const r = new TelephoneEventReceiver();
    const a = keyPress(7, 1000, 100);
    const b = keyPress(8, 3000, 100);
    // An end packet of 7 arrives after 8 began.
    expect(digits(r, [...a.slice(0, 2), b[0]!, a[a.length - 1]!, ...b.slice(1)])).toBe("78");
  });

  it("a long event's next segment (§2.5.1.3) is the same key", () => {
    const r = new TelephoneEventReceiver();
    const ts = 100;
    const segment1 = [block(4, false, 32000), block(4, false, 65535)].map((bytes) => ({ ts, bytes }));
    const segment2 = [block(4, false, 400), block(4, true, 800), block(4, true, 800)].map((bytes) => ({ ts: ts + 65535, bytes }));
    expect(digits(r, [...segment1, ...segment2])).toBe("4");
    expect(r.ended).toBe(true);
  });

  it("too short a payload is counted and ignored; flash is an event but no digit", () => {
    const r = new TelephoneEventReceiver();
    expect(r.receive(new Uint8Array(3), 0, 3, 10)).toBe(-1);
    expect(r.malformed).toBe(1);
    expect(digits(r, keyPress(16, 500, 100))).toBe("");
    expect(r.events).toBe(1);
  });
});

describe("tone generator", () => {
  const RATE = 8000;
  function render(tone: Tone, frames: number): Int16Array {
    const g = new ToneGenerator();
    g.play(tone);
    const out = new Int16Array(frames * 160);
    const frame = new Int16Array(160);
    for (let i = 0; i < frames; i++) {
      if (!g.fill(frame, false)) break;
      out.set(frame, i * 160);
    }
    return out;
  }

  it("ringback: 425 Hz for 1 s, then 4 s of silence, repeated", () => {
    const s = render(Tone.Ringback, 300); // 6 s
    expect(toneShare(s, 0, 8000, 425, RATE)).toBeGreaterThan(0.9);
    expect(dominant(s, 0, 800, [350, 400, 425, 440, 480, 1000], RATE)).toBe(425);
    expect(rms(s, 8000, 32000)).toBe(0);
    expect(toneShare(s, 40000, 8000, 425, RATE)).toBeGreaterThan(0.9);
    expect(rms(s, 0, 8000)).toBeGreaterThan(5000);
  });

  it("US ringback: 440 + 480 Hz for 2 s", () => {
    const s = render(Tone.RingbackUs, 100);
    expect(toneShare(s, 0, 8000, 440, RATE)).toBeGreaterThan(0.4);
    expect(toneShare(s, 0, 8000, 480, RATE)).toBeGreaterThan(0.4);
    expect(toneShare(s, 0, 8000, 425, RATE)).toBeLessThan(0.05);
  });

  it("door-open confirmation: 1000 Hz beeps, then 1400 Hz, then it ends by itself", () => {
    const g = new ToneGenerator();
    g.play(Tone.DoorOpen);
    const out = new Int16Array(60 * 160);
    const frame = new Int16Array(160);
    let frames = 0;
    while (g.fill(frame, false)) out.set(frame, 160 * frames++);
    // 120 + 80 + 120 + 80 + 400 ms = 800 ms = 40 frames.
    expect(frames).toBe(40);
    expect(g.playing).toBe(false);
    expect(dominant(out, 0, 800, [1000, 1400, 425], RATE)).toBe(1000);
    expect(rms(out, 1000, 500)).toBe(0);
    expect(dominant(out, 3600, 2400, [1000, 1400, 425], RATE)).toBe(1400);
  });

  it("two generators on one table (CallMedia's local and remote tones) each play what a generator of its own plays", () => {
    // CallMedia keeps both generators' state in the media's one table (issue #9), each from its own base.
    const table = mediaNumbers();
    const local = new ToneGenerator(table, MediaNumber.LocalTone);
    const remote = new ToneGenerator(table, MediaNumber.RemoteTone);
    const alone = [new ToneGenerator(), new ToneGenerator()];
    local.play(Tone.RingbackUs);
    alone[0]!.play(Tone.RingbackUs);
    const frames = [new Int16Array(160), new Int16Array(160), new Int16Array(160), new Int16Array(160)];
    const mismatches: string[] = [];
    for (let f = 0; f < 120; f++) {
      // The door opens while the ringback plays: the confirmation starts on the other generator.
      if (f === 10) {
        remote.play(Tone.DoorOpen);
        alone[1]!.play(Tone.DoorOpen);
      }
      const a = [local.fill(frames[0]!, false), remote.fill(frames[1]!, false)];
      const b = [alone[0]!.fill(frames[2]!, false), alone[1]!.fill(frames[3]!, false)];
      for (let g = 0; g < 2; g++) {
        if (a[g] !== b[g] || (a[g] && frames[g]!.some((v, i) => v !== frames[g + 2]![i]))) mismatches.push(`generator ${g} frame ${f}`);
      }
    }
    expect(mismatches).toEqual([]);
    expect(local.tone).toBe(Tone.RingbackUs);
    expect(remote.playing).toBe(false); // the confirmation (40 frames) ended by itself
  });

  it("mixes into a frame with saturation", () => {
    const g = new ToneGenerator();
    g.play(Tone.Ringback);
    const frame = new Int16Array(160).fill(30000);
    g.fill(frame, true);
    expect(Math.max(...frame)).toBe(32767);
    expect(Math.min(...frame)).toBeGreaterThan(30000 - 11001);
  });
});
