/*
 * G.711 against the standard's own tables (ITU-T G.711 (11/88), Table 1a
 * "A-law, positive input values" and Table 2a "µ-law, positive input
 * values"), written out here as the standard gives them: per segment, the
 * decision value where it starts, the step between decision values, and the
 * character signal of its first interval; each decoder output value is the
 * midpoint of its interval (for µ-law's first interval, 0). The tables
 * below are in the standard's units (A-law: 4096 = full scale of 12 bits
 * plus sign; µ-law: 8159), scaled to 16-bit linear (×8, ×4) for the checks.
 *
 * Decoding must give exactly those output values for all 256 characters;
 * encoding must put every 16-bit input that lies inside an interval (away
 * from the decision values by one input step, where G.711 leaves the choice
 * open) on that interval's character; and the inversions (µ-law: all bits;
 * A-law: the even bits) are the standard's.
 */
import { describe, expect, it } from "vitest";
import {
  ALAW_TO_LINEAR, alawDecode, alawEncode, decodeG711, encodeG711, ULAW_TO_LINEAR, ulawDecode, ulawEncode,
} from "../src/media/g711";

interface Interval {
  /** Decision values bounding the interval, standard units. */
  lo: number;
  hi: number;
  /** Decoder output, standard units. */
  out: number;
  /** Character signal for a positive input, as transmitted (after the inversion). */
  positive: number;
  /** ... and for the negative input of the same magnitude. */
  negative: number;
}

/**
 * Table 1a, A-law: segments 1 to 8 (the standard counts the first two
 * 16-interval groups, both of step 2, as segments 1 and 2). Character
 * signals before inversion are 1SSSQQQQ for positive, 0SSSQQQQ for negative
 * values; the even bits are inverted for transmission (XOR 0x55).
 */
const A_SEGMENTS = [
  { start: 0, step: 2 },
  { start: 32, step: 2 },
  { start: 64, step: 4 },
  { start: 128, step: 8 },
  { start: 256, step: 16 },
  { start: 512, step: 32 },
  { start: 1024, step: 64 },
  { start: 2048, step: 128 },
];

/**
 * Table 2a, µ-law: the decision values 0, 1, 31, 95, 223, 479, 991, 2015,
 * 4063, 8159; 16 intervals per segment of steps 2, 4, ..., 256, except that
 * the first segment's first interval is 0..1 with output 0. Character
 * signals before inversion: positive 1SSSQQQQ counted down from 1111 1111
 * (0 input) ... as transmitted (all bits inverted) positive values run from
 * 0xFF (zero) down to 0x80 (largest), negative from 0x7F down to 0x00.
 */
const U_BOUNDARIES = [-1, 31, 95, 223, 479, 991, 2015, 4063, 8159];

function alawIntervals(): Interval[] {
  const out: Interval[] = [];
  A_SEGMENTS.forEach((seg, s) => {
    for (let q = 0; q < 16; q++) {
      const lo = seg.start + q * seg.step;
      const hi = lo + seg.step;
      const n = (s << 4) | q;
      out.push({ lo, hi, out: (lo + hi) / 2, positive: (0x80 | n) ^ 0x55, negative: n ^ 0x55 });
    }
  });
  return out;
}

function ulawIntervals(): Interval[] {
  const out: Interval[] = [];
  for (let s = 0; s < 8; s++) {
    const start = U_BOUNDARIES[s]!;
    const step = (U_BOUNDARIES[s + 1]! - start) / 16;
    for (let q = 0; q < 16; q++) {
      const lo = s === 0 && q === 0 ? 0 : start + q * step;
      const hi = start + (q + 1) * step;
      const n = (s << 4) | q;
      out.push({ lo, hi, out: s === 0 && q === 0 ? 0 : (lo + hi) / 2, positive: 0xff - n, negative: 0x7f - n });
    }
  }
  return out;
}

describe("G.711 A-law (Table 1a)", () => {
  const intervals = alawIntervals();
  it("the table is the standard's: 128 intervals per sign up to 4096, known corner values", () => {
    expect(intervals.length).toBe(128);
    expect(intervals.at(-1)!.hi).toBe(4096);
    expect(intervals[0]).toMatchObject({ out: 1, positive: 0xd5, negative: 0x55 });
    expect(intervals.at(-1)).toMatchObject({ out: 4032, positive: 0xaa, negative: 0x2a });
  });

  it("decodes every character to the standard's output value (×8 in 16-bit)", () => {
    const seen = new Set<number>();
    for (const iv of intervals) {
      expect(alawDecode(iv.positive)).toBe(iv.out * 8);
      expect(alawDecode(iv.negative)).toBe(-iv.out * 8);
      expect(ALAW_TO_LINEAR[iv.positive]).toBe(iv.out * 8);
      seen.add(iv.positive).add(iv.negative);
    }
    expect(seen.size).toBe(256);
    expect([alawDecode(0xd5), alawDecode(0x55), alawDecode(0xaa), alawDecode(0x2a)]).toEqual([8, -8, 32256, -32256]);
  });

  it("encodes every 16-bit input inside an interval to its character, both signs", () => {
    let checked = 0;
    const wrong: string[] = [];
    for (const iv of intervals) {
      for (let x = iv.lo * 8 + 8; x <= iv.hi * 8 - 8; x++) {
        if (alawEncode(x) !== iv.positive) wrong.push(`${x} -> ${alawEncode(x)}, not ${iv.positive}`);
        if (alawEncode(-x) !== iv.negative) wrong.push(`${-x} -> ${alawEncode(-x)}, not ${iv.negative}`);
        checked++;
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(checked).toBeGreaterThan(30000);
    // Beyond the last decision value: the largest character (overload).
    expect(alawEncode(32767)).toBe(0xaa);
    expect(alawEncode(-32768)).toBe(0x2a);
  });

  it("decode then encode returns every character (an idempotent pair)", () => {
    for (let c = 0; c < 256; c++) expect(alawEncode(alawDecode(c))).toBe(c);
  });
});

describe("G.711 µ-law (Table 2a)", () => {
  const intervals = ulawIntervals();
  it("the table is the standard's: 128 intervals per sign up to 8159, known corner values", () => {
    expect(intervals.length).toBe(128);
    expect(intervals.at(-1)!.hi).toBe(8159);
    expect(intervals[0]).toMatchObject({ lo: 0, hi: 1, out: 0, positive: 0xff, negative: 0x7f });
    expect(intervals[1]).toMatchObject({ lo: 1, hi: 3, out: 2 });
    expect(intervals.at(-1)).toMatchObject({ out: 8031, positive: 0x80, negative: 0x00 });
  });

  it("decodes every character to the standard's output value (×4 in 16-bit)", () => {
    for (const iv of intervals) {
      expect(ulawDecode(iv.positive)).toBe(iv.out * 4);
      // 0x7F is "negative zero": 0.
      expect(ulawDecode(iv.negative)).toBe(iv.out === 0 ? 0 : -iv.out * 4);
      expect(ULAW_TO_LINEAR[iv.negative]).toBe(iv.out === 0 ? 0 : -iv.out * 4);
    }
    expect([ulawDecode(0xff), ulawDecode(0x80), ulawDecode(0x00), ulawDecode(0x7f)]).toEqual([0, 32124, -32124, 0]);
  });

  it("encodes every 16-bit input inside an interval to its character, both signs", () => {
    let checked = 0;
    const wrong: string[] = [];
    for (const iv of intervals) {
      for (let x = iv.lo * 4 + 4; x <= iv.hi * 4 - 4; x++) {
        if (ulawEncode(x) !== iv.positive) wrong.push(`${x} -> ${ulawEncode(x)}, not ${iv.positive}`);
        if (ulawEncode(-x) !== iv.negative) wrong.push(`${-x} -> ${ulawEncode(-x)}, not ${iv.negative}`);
        checked++;
      }
    }
    expect(wrong.slice(0, 10)).toEqual([]);
    expect(checked).toBeGreaterThan(30000);
    expect(ulawEncode(0)).toBe(0xff);
    expect(ulawEncode(32767)).toBe(0x80);
    expect(ulawEncode(-32768)).toBe(0x00);
  });

  it("decode then encode returns every character but negative zero", () => {
    for (let c = 0; c < 256; c++) expect(ulawEncode(ulawDecode(c))).toBe(c === 0x7f ? 0xff : c);
  });
});

describe("G.711 frames", () => {
  it("encodes and decodes a frame at offsets, both laws", () => {
    const pcm = new Int16Array(200);
    for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(20000 * Math.sin(i / 7));
    for (const alaw of [false, true]) {
      const bytes = new Uint8Array(180);
      encodeG711(alaw, pcm, 10, bytes, 12, 160);
      for (let i = 0; i < 160; i++) expect(bytes[12 + i]).toBe(alaw ? alawEncode(pcm[10 + i]!) : ulawEncode(pcm[10 + i]!));
      const back = new Int16Array(170);
      decodeG711(alaw, bytes, 12, back, 5, 160);
      for (let i = 0; i < 160; i++) {
        const x = pcm[10 + i]!;
        expect(back[5 + i]).toBe(alaw ? alawDecode(bytes[12 + i]!) : ulawDecode(bytes[12 + i]!));
        // Quantisation error within half a step of the segment: under 1/16 of the value, plus the smallest step.
        expect(Math.abs(back[5 + i]! - x)).toBeLessThanOrEqual(Math.abs(x) / 16 + 16);
      }
    }
  });
});
