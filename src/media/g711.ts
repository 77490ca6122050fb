/*
 * ITU-T G.711 µ-law and A-law (RTP payload types 0 and 8, RFC 3551 §4.5.14).
 *
 * Every conversion is one table lookup. The four tables are typed arrays
 * built once, when this module is loaded: on the device the module is
 * preloaded, so they are made at build time and live in flash, costing no
 * RAM. Encoding indexes the table with the top bits of the 16-bit sample
 * (14 bits for µ-law, 13 for A-law: the resolution G.711 itself works at),
 * so the encoder tables are 16 KiB and 8 KiB, the decoder tables 512 bytes.
 *
 * The tables follow the standard's segment structure (G.711 Tables 1a/2a):
 * eight segments per sign of sixteen intervals each; a decoder output value
 * is the midpoint of its interval. In 16-bit linear units µ-law reaches
 * ±32124 (0x80 / 0x00), A-law ±32256 (0xAA / 0x2A).
 */

/** One frame: 20 ms at 8000 samples/s, the packet size we send (a=ptime:20). */
export const FRAME_SAMPLES = 160;

/** µ-law of silence (G.711: 0xFF, "positive zero"). */
export const ULAW_SILENCE = 0xff;
/** A-law of silence (the smallest positive value, 0xD5: 0x80 with the even bits inverted). */
export const ALAW_SILENCE = 0xd5;

/**
 * µ-law magnitude (in the standard's 14-bit units, 0..8159) of interval
 * `n` (0..127) of a sign: segment n >> 4 starts at 2^(seg+5) - 33 and has
 * steps of 2^(seg+1); the first interval of segment 0 is the single point 0.
 */
function ulawMagnitude(n: number): number {
  const seg = n >> 4;
  const step = 2 << seg;
  const start = (32 << seg) - 33;
  const q = n & 15;
  // Decoder output: the midpoint of the interval (start + q*step, start + (q+1)*step].
  const out = start + q * step + (step >> 1);
  return out < 0 ? 0 : out;
}

/**
 * A-law magnitude (in the standard's units, 0..4096) of interval `n`
 * (0..127): segment 0 spans 0..32 in steps of 2, segment s >= 1 spans
 * 2^(s+4)..2^(s+5) in steps of 2^s.
 */
function alawMagnitude(n: number): number {
  const seg = n >> 4;
  const q = n & 15;
  const step = seg === 0 ? 2 : 1 << seg;
  const start = seg === 0 ? 0 : 16 << seg;
  return start + q * step + (step >> 1);
}

function buildUlawDecode(): Int16Array {
  const t = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    // Code words are sent inverted (G.711 §3.2); after inversion bit 7 is the sign (1 = negative).
    const v = ~code & 0xff;
    const mag = ulawMagnitude(v & 0x7f) * 4;
    t[code] = (v & 0x80) !== 0 ? -mag : mag;
  }
  return t;
}

function buildAlawDecode(): Int16Array {
  const t = new Int16Array(256);
  for (let code = 0; code < 256; code++) {
    // Even bits inverted (G.711 §2.2, "0x55"); bit 7 set = positive.
    const v = code ^ 0x55;
    const mag = alawMagnitude(v & 0x7f) * 8;
    t[code] = (v & 0x80) !== 0 ? mag : -mag;
  }
  return t;
}

/** The interval (0..127) a µ-law magnitude (14-bit units) falls in: the segment's decision values. */
function ulawInterval(mag: number): number {
  if (mag > 8158) mag = 8158;
  const biased = mag + 33;
  let seg = 0;
  while (seg < 7 && biased >= (64 << seg)) seg++;
  return (seg << 4) | ((biased >> (seg + 1)) & 15);
}

/** The interval (0..127) an A-law magnitude (13-bit units) falls in. */
function alawInterval(mag: number): number {
  if (mag > 4095) mag = 4095;
  if (mag < 32) return mag >> 1;
  let seg = 1;
  while (seg < 7 && mag >= (32 << seg)) seg++;
  return (seg << 4) | ((mag >> seg) & 15);
}

function buildUlawEncode(): Uint8Array {
  const t = new Uint8Array(16384);
  for (let i = 0; i < 16384; i++) {
    // i is the 14-bit two's-complement value sample >> 2; a negative value -k covers magnitudes k-1 .. k (in these units).
    const v = i < 8192 ? i : i - 16384;
    const negative = v < 0;
    const interval = ulawInterval(negative ? -v - 1 : v);
    t[i] = ~((negative ? 0x80 : 0) | interval) & 0xff;
  }
  return t;
}

function buildAlawEncode(): Uint8Array {
  const t = new Uint8Array(8192);
  for (let i = 0; i < 8192; i++) {
    const v = i < 4096 ? i : i - 8192;
    const negative = v < 0;
    const interval = alawInterval(negative ? -v - 1 : v);
    t[i] = ((negative ? 0 : 0x80) | interval) ^ 0x55;
  }
  return t;
}

/** µ-law code → 16-bit linear sample. */
export const ULAW_TO_LINEAR: Int16Array = buildUlawDecode();
/** A-law code → 16-bit linear sample. */
export const ALAW_TO_LINEAR: Int16Array = buildAlawDecode();
/** (16-bit sample >> 2) & 0x3FFF → µ-law code. */
export const LINEAR_TO_ULAW: Uint8Array = buildUlawEncode();
/** (16-bit sample >> 3) & 0x1FFF → A-law code. */
export const LINEAR_TO_ALAW: Uint8Array = buildAlawEncode();

export function ulawEncode(sample: number): number {
  return LINEAR_TO_ULAW[(sample >> 2) & 0x3fff]!;
}

export function alawEncode(sample: number): number {
  return LINEAR_TO_ALAW[(sample >> 3) & 0x1fff]!;
}

export function ulawDecode(code: number): number {
  return ULAW_TO_LINEAR[code & 0xff]!;
}

export function alawDecode(code: number): number {
  return ALAW_TO_LINEAR[code & 0xff]!;
}

/** Encode `count` samples of `pcm` from `from` into `out` at `at`; `alaw` picks the law (PCMA) over µ-law (PCMU). */
export function encodeG711(alaw: boolean, pcm: Int16Array, from: number, out: Uint8Array, at: number, count: number): void {
  if (alaw) {
    const t = LINEAR_TO_ALAW;
    for (let i = 0; i < count; i++) out[at + i] = t[(pcm[from + i]! >> 3) & 0x1fff]!;
  } else {
    const t = LINEAR_TO_ULAW;
    for (let i = 0; i < count; i++) out[at + i] = t[(pcm[from + i]! >> 2) & 0x3fff]!;
  }
}

/** Decode `count` codes of `data` from `from` into `pcm` at `at`. */
export function decodeG711(alaw: boolean, data: Uint8Array, from: number, pcm: Int16Array, at: number, count: number): void {
  const t = alaw ? ALAW_TO_LINEAR : ULAW_TO_LINEAR;
  for (let i = 0; i < count; i++) pcm[at + i] = t[data[from + i]!]!;
}
