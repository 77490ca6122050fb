/*
 * WAV (RIFF/WAVE, 16-bit PCM) for the simulator's file audio (files.ts):
 * reading a microphone file's format and samples, and the 44-byte header of
 * the speaker file. Plain TypeScript over byte arrays, no SDK module, so the
 * Node tests check it directly (test/moddable-audio-wav.test.ts).
 *
 * The door runs at G.711's 8 kHz, mono, 16 bits (RFC 3551 §4.5.14). A
 * microphone file at another rate is resampled by linear interpolation, and
 * several channels are averaged; anything but 16-bit PCM is refused with a
 * message that says what the file is.
 */

export const DOOR_RATE = 8000;
/** Bytes of the canonical header: RIFF, "fmt " (16 bytes), "data". */
export const WAV_HEADER_BYTES = 44;

/** Where a WAV file's samples are, and how they are laid out. */
export interface WavFormat {
  rate: number;
  channels: number;
  /** Offset and length (bytes, whole sample frames) of the "data" chunk. */
  dataStart: number;
  dataBytes: number;
}

function tagAt(b: Uint8Array, at: number, tag: string): boolean {
  for (let i = 0; i < 4; i++) if (b[at + i] !== tag.charCodeAt(i)) return false;
  return true;
}

function u16(b: Uint8Array, at: number): number {
  return b[at]! | (b[at + 1]! << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0;
}

/**
 * The format of the WAV file in `b` (its first `length` bytes), or a
 * message saying why it cannot be used. A "data" chunk longer than the
 * bytes at hand (a file cut short, or read in part) is taken as far as it goes.
 */
export function readWavFormat(b: Uint8Array, length: number): WavFormat | string {
  if (length < 12 || !tagAt(b, 0, "RIFF") || !tagAt(b, 8, "WAVE")) return "not a RIFF/WAVE file";
  let format = -1;
  let channels = 0;
  let rate = 0;
  let bits = 0;
  let at = 12;
  while (at + 8 <= length) {
    const size = u32(b, at + 4);
    const body = at + 8;
    if (tagAt(b, at, "fmt ")) {
      if (size < 16 || body + 16 > length) return "\"fmt \" chunk too short";
      format = u16(b, body);
      // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID starts with the format code.
      if (format === 0xfffe && size >= 26 && body + 26 <= length) format = u16(b, body + 24);
      channels = u16(b, body + 2);
      rate = u32(b, body + 4);
      bits = u16(b, body + 14);
    } else if (tagAt(b, at, "data")) {
      if (format < 0) return "no \"fmt \" chunk before \"data\"";
      if (format !== 1 || bits !== 16) {
        const what = format === 3 ? `${bits}-bit float` : format === 1 ? `${bits}-bit PCM` : `format ${format}`;
        return `${what} is not supported; 16-bit PCM is needed (8 kHz mono is used as is, other rates and channels are converted)`;
      }
      if (channels < 1 || channels > 8) return `${channels} channels`;
      if (rate < 1000 || rate > 384000) return `sample rate ${rate} Hz`;
      const avail = length - body;
      let bytes = size < avail ? size : avail;
      bytes -= bytes % (2 * channels);
      return { rate, channels, dataStart: body, dataBytes: bytes };
    }
    at = body + size + (size & 1);
  }
  return format < 0 ? "no \"fmt \" chunk" : "no \"data\" chunk";
}

/** How many 8 kHz samples `f` gives, at most `max`. */
export function doorSampleCount(f: WavFormat, max: number): number {
  const frames = f.dataBytes / (2 * f.channels);
  const n = Math.floor((frames * DOOR_RATE) / f.rate);
  return n < max ? n : max;
}

/** Sample frame `i` of `f` in `b`, its channels averaged. */
function monoAt(b: Uint8Array, f: WavFormat, i: number): number {
  const at = f.dataStart + 2 * f.channels * i;
  let sum = 0;
  for (let c = 0; c < f.channels; c++) sum += (u16(b, at + 2 * c) << 16) >> 16;
  return sum / f.channels;
}

/**
 * Fill `out` with the file's samples at 8 kHz mono: as they are at 8 kHz,
 * else by linear interpolation between the two nearest source samples (a
 * microphone file for tests and demos; no anti-aliasing filter). Returns
 * the count written (out.length at most, doorSampleCount() with that max).
 */
export function readDoorSamples(b: Uint8Array, f: WavFormat, out: Int16Array): number {
  const n = doorSampleCount(f, out.length);
  const frames = f.dataBytes / (2 * f.channels);
  const step = f.rate / DOOR_RATE;
  for (let i = 0; i < n; i++) {
    const pos = i * step;
    const j = Math.floor(pos);
    const frac = pos - j;
    const a = monoAt(b, f, j);
    const v = frac > 0 && j + 1 < frames ? a + (monoAt(b, f, j + 1) - a) * frac : a;
    const r = Math.round(v);
    out[i] = r > 32767 ? 32767 : r < -32768 ? -32768 : r;
  }
  return n;
}

function put32(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
  b[at + 2] = (v >>> 16) & 0xff;
  b[at + 3] = (v >>> 24) & 0xff;
}

function putTag(b: Uint8Array, at: number, tag: string): void {
  for (let i = 0; i < 4; i++) b[at + i] = tag.charCodeAt(i);
}

/** The 44-byte header of an 8 kHz, mono, 16-bit PCM file with `dataBytes` of samples. */
export function writeWavHeader(b: Uint8Array, dataBytes: number): void {
  putTag(b, 0, "RIFF");
  put32(b, 4, 36 + dataBytes);
  putTag(b, 8, "WAVE");
  putTag(b, 12, "fmt ");
  put32(b, 16, 16);
  b[20] = 1; // PCM
  b[21] = 0;
  b[22] = 1; // mono
  b[23] = 0;
  put32(b, 24, DOOR_RATE);
  put32(b, 28, DOOR_RATE * 2); // bytes per second
  b[32] = 2; // bytes per sample frame
  b[33] = 0;
  b[34] = 16; // bits per sample
  b[35] = 0;
  putTag(b, 36, "data");
  put32(b, 40, dataBytes);
}

/** A microphone setting: "tone:HZ" (a sine), a WAV path, or "" (none); or a message when it is no valid tone. */
export type MicSpec = { kind: "none" } | { kind: "tone"; hz: number } | { kind: "file"; path: string } | { kind: "error"; message: string };

export function parseMicSpec(text: string): MicSpec {
  const t = text.trim();
  if (t === "") return { kind: "none" };
  if (t.startsWith("tone:")) {
    const hz = Number(t.slice(5));
    if (t.length > 5 && hz > 0 && hz < DOOR_RATE / 2) return { kind: "tone", hz };
    return { kind: "error", message: `mic ${t}: expected tone:HZ with 0 < HZ < ${DOOR_RATE / 2}, e.g. tone:440` };
  }
  return { kind: "file", path: t };
}
