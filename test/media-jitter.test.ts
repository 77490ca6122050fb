/*
 * The jitter buffer and packet-loss concealment, driven frame by frame as
 * the media clock drives them: packets are put when they "arrive", a frame
 * is taken every 20 ms. Payload bytes carry their own sample index, so every
 * frame played can be checked for exactly which samples it holds.
 */
import { describe, expect, it } from "vitest";
import { Concealment } from "../src/media/concealment";
import { JitterBuffer, JitterPut } from "../src/media/jitter-buffer";

const SILENCE = 0xff;
const BASE = 4294967000; // near the 32-bit wrap, so timestamps wrap during the tests

/** Packet n: 160 bytes whose values are n's low bits (never 0xff), timestamp BASE + 160 n (mod 2^32). */
function packet(n: number): { ts: number; bytes: Uint8Array } {
  return { ts: (BASE + 160 * n) >>> 0, bytes: new Uint8Array(160).fill(n % 200) };
}

function put(jb: JitterBuffer, n: number, marker = false): JitterPut {
  const p = packet(n);
  return jb.put(p.ts, p.bytes, 0, 160, marker);
}

/** Take one frame: the packet number it holds, "lost" (0 covered), "-" (nothing plays). */
function take(jb: JitterBuffer): string {
  const out = new Uint8Array(160);
  const n = jb.get(out, 0, SILENCE);
  if (n < 0) return "-";
  if (n === 0) return "lost";
  expect(n).toBe(160);
  expect(out.every((b) => b === out[0])).toBe(true);
  return String(out[0]);
}

describe("jitter buffer", () => {
  it("waits for the start target (2 frames), then plays every packet once, in order", () => {
    const jb = new JitterBuffer();
    const played: string[] = [];
    for (let n = 0; n < 10; n++) {
      put(jb, n);
      played.push(take(jb));
    }
    expect(played).toEqual(["-", "0", "1", "2", "3", "4", "5", "6", "7", "8"]);
    expect(jb.missing).toBe(0);
  });

  it("puts reordered packets back in order, drops duplicates", () => {
    const jb = new JitterBuffer();
    put(jb, 0);
    put(jb, 1);
    const played = [take(jb)];
    // What arrives before each frame is taken: pairs swapped, and duplicates.
    for (const arrivals of [[3, 2], [2], [5, 4], [4], [7, 6], [6], []]) {
      for (const n of arrivals) put(jb, n);
      played.push(take(jb));
    }
    expect(played).toEqual(["0", "1", "2", "3", "4", "5", "6", "7"]);
    expect(jb.duplicates).toBe(3);
    put(jb, 8);
    expect(put(jb, 8)).toBe(JitterPut.Duplicate);
    // Packet 7 again, after its time: late, not a duplicate.
    expect(put(jb, 7)).toBe(JitterPut.Late);
    expect(jb.missing).toBe(0);
  });

  it("a lost packet gives one lost frame, and play-out goes on", () => {
    const jb = new JitterBuffer();
    const played: string[] = [];
    for (let n = 0; n < 8; n++) {
      if (n !== 4) put(jb, n);
      played.push(take(jb));
    }
    expect(played).toEqual(["-", "0", "1", "2", "3", "lost", "5", "6"]);
    expect(jb.missing).toBe(1);
  });

  it("a late packet is dropped and the target grows by one frame (with one frame of concealment)", () => {
    const jb = new JitterBuffer();
    put(jb, 0);
    put(jb, 1);
    const played = [take(jb), take(jb)]; // 0, 1
    // Packet 2 is delayed; 3 arrives; frame 2 is played as lost; then 2 comes.
    put(jb, 3);
    played.push(take(jb));
    expect(put(jb, 2)).toBe(JitterPut.Late);
    expect(jb.target).toBe(3);
    for (let n = 4; n < 8; n++) {
      put(jb, n);
      played.push(take(jb));
    }
    // The held frame comes right after the late packet: the delay is one frame longer from then on.
    expect(played).toEqual(["0", "1", "lost", "lost", "3", "4", "5"]);
    expect(jb.late).toBe(1);
  });

  it("the target shrinks after 5 s without late packets, dropping a frame", () => {
    const jb = new JitterBuffer();
    jb.target = 4;
    let n = 0;
    for (; n < 4; n++) put(jb, n);
    const played: string[] = [];
    for (let i = 0; i < 260; i++, n++) {
      put(jb, n);
      played.push(take(jb));
    }
    expect(jb.target).toBe(3);
    expect(jb.dropped).toBe(1);
    expect(played.filter((p) => p === "lost" || p === "-")).toEqual([]);
  });

  it("catches up after a burst, and restarts on a large timestamp jump", () => {
    const jb = new JitterBuffer();
    put(jb, 0);
    put(jb, 1);
    take(jb);
    for (let n = 2; n < 9; n++) put(jb, n); // a burst after a stall: depth 8 frames, target 2
    const played: string[] = [];
    for (let i = 0; i < 6; i++) played.push(take(jb));
    expect(jb.dropped).toBeGreaterThan(0);
    expect(played.at(-1)).toBe("8");
    const far = packet(100000);
    expect(jb.put(far.ts, far.bytes, 0, 160, true)).toBe(JitterPut.Restarted);
    expect(take(jb)).toBe("-");
  });

  it("eight late packets in a row restart the play-out from them (the sender's timeline moved back)", () => {
    const jb = new JitterBuffer();
    for (let n = 100; n < 110; n++) {
      put(jb, n);
      take(jb);
    }
    // The stream goes on 40 frames earlier in timestamps, in a burst (no frame taken meanwhile).
    const results: JitterPut[] = [];
    for (let n = 60; n < 68; n++) results.push(put(jb, n));
    expect(results).toEqual([...Array(7).fill(JitterPut.Late), JitterPut.Restarted]);
    expect([take(jb), put(jb, 68), take(jb), take(jb)]).toEqual(["-", JitterPut.Stored, "67", "68"]);
  });

  it("a timeline that moves back while packets come one per frame recovers within eight packets", () => {
    const jb = new JitterBuffer();
    for (let n = 100; n < 110; n++) {
      put(jb, n);
      take(jb);
    }
    const results: JitterPut[] = [];
    const played: string[] = [];
    for (let n = 60; n < 75; n++) {
      results.push(put(jb, n));
      played.push(take(jb));
    }
    expect(results.findIndex((r) => r !== JitterPut.Late)).toBeLessThanOrEqual(7);
    // Playing again, in order; the late packets raised the delay (at most to maxFrames), as late packets do.
    const last = played.slice(-3).map(Number);
    expect(last).toEqual([last[0]!, last[0]! + 1, last[0]! + 2]);
    expect(last[2]).toBeGreaterThanOrEqual(74 - jb.maxFrames);
  });

  it("covers frames from packets of other sizes (30 ms and 10 ms), silence where nothing came", () => {
    const jb = new JitterBuffer({ slotBytes: 240 });
    const ts0 = 1000;
    // 30 ms packets: 240 samples each, values 1, 2, 3...
    for (let i = 0; i < 2; i++) jb.put(ts0 + 240 * i, new Uint8Array(240).fill(i + 1), 0, 240, false);
    const out = new Uint8Array(160);
    expect(jb.get(out, 0, SILENCE)).toBe(160);
    expect([out[0], out[159]]).toEqual([1, 1]);
    expect(jb.get(out, 0, SILENCE)).toBe(160);
    expect([out[0], out[79], out[80], out[159]]).toEqual([1, 1, 2, 2]);
    expect(jb.get(out, 0, SILENCE)).toBe(160);
    expect([out[0], out[159]]).toEqual([2, 2]);
    // 10 ms packets: two make a frame; one alone covers half of it.
    jb.put(ts0 + 480, new Uint8Array(80).fill(7), 0, 80, false);
    jb.put(ts0 + 560, new Uint8Array(80).fill(8), 0, 80, false);
    jb.put(ts0 + 640, new Uint8Array(80).fill(9), 0, 80, false);
    expect(jb.get(out, 0, SILENCE)).toBe(160);
    expect([out[0], out[79], out[80], out[159]]).toEqual([7, 7, 8, 8]);
    expect(jb.get(out, 0, SILENCE)).toBe(80);
    expect([out[0], out[79], out[80], out[159]]).toEqual([9, 9, SILENCE, SILENCE]);
  });

  it("slots of one 20 ms frame (1,600 bytes in all): a 40 ms packet takes two, every sample plays once, in order", () => {
    const jb = new JitterBuffer();
    expect([jb.slots, jb.slotBytes]).toEqual([10, 160]);
    const ts0 = 5000;
    // 40 ms packets: 320 samples each, the first half valued 2k+1, the second 2k+2.
    const frames: number[][] = [];
    const out = new Uint8Array(160);
    for (let k = 0; k < 6; k++) {
      const p = new Uint8Array(320);
      p.fill(2 * k + 1, 0, 160);
      p.fill(2 * k + 2, 160);
      expect(jb.put(ts0 + 320 * k, p, 0, 320, k === 0)).toBe(JitterPut.Stored);
      for (let f = 0; f < 2; f++) {
        const n = jb.get(out, 0, SILENCE);
        frames.push(n < 0 ? [] : [n, out[0]!, out[159]!]);
      }
    }
    // Primed at once (a 40 ms packet is the start target), then frame by frame: 1, 2, 3... with every sample covered.
    expect(frames).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((v) => [160, v, v]));
    expect(jb.duplicates).toBe(0);
    // A buffered 40 ms packet again is a duplicate (known by its first piece); one already played is late.
    const next = new Uint8Array(320).fill(13);
    expect(jb.put(ts0 + 320 * 6, next, 0, 320, false)).toBe(JitterPut.Stored);
    expect(jb.put(ts0 + 320 * 6, next, 0, 320, false)).toBe(JitterPut.Duplicate);
    expect(jb.duplicates).toBe(1);
    expect(jb.put(ts0 + 320 * 5, next, 0, 320, false)).toBe(JitterPut.Late);
    // Longer than half the buffer's 200 ms: cut to 100 ms and counted.
    expect(jb.put(ts0 + 320 * 7, new Uint8Array(960).fill(50), 0, 960, false)).toBe(JitterPut.Stored);
    expect(jb.truncated).toBe(1);
  });

  it("a new talkspurt (marker) after silence gets the target delay again", () => {
    const jb = new JitterBuffer();
    put(jb, 0);
    put(jb, 1);
    expect([take(jb), take(jb)]).toEqual(["0", "1"]);
    // Silence (no packets): nothing covers, the buffer runs dry.
    expect(take(jb)).toBe("lost");
    expect(take(jb)).toBe("-");
    put(jb, 50, true);
    expect(take(jb)).toBe("-");
    put(jb, 51);
    expect([take(jb), take(jb)]).toEqual(["50", "51"]);
  });
});

describe("concealment", () => {
  it("repeats the last frame, then halves it each frame, then is silent; a good frame resets", () => {
    const c = new Concealment();
    const frame = new Int16Array(160).fill(8000);
    c.good(frame);
    const levels: number[] = [];
    for (let i = 0; i < 8; i++) {
      c.conceal(frame);
      levels.push(frame[10]!);
    }
    expect(levels).toEqual([8000, 4000, 2000, 1000, 500, 250, 0, 0]);
    c.good(new Int16Array(160).fill(-300));
    c.conceal(frame);
    expect(frame[0]).toBe(-300);
    const fresh = new Concealment();
    fresh.conceal(frame);
    expect(frame.every((s) => s === 0)).toBe(true);
  });
});
