/*
 * WAV files for the Node host's microphone and speaker (`doorsip run --mic
 * FILE.wav --speaker OUT.wav`): RIFF/WAVE with a "fmt " chunk of PCM
 * (format 1, or WAVE_FORMAT_EXTENSIBLE with the PCM sub-format) and a
 * "data" chunk. The door speaks G.711 at 8 kHz mono, 16 bits: other rates
 * are resampled (linear interpolation after a box filter when going down),
 * stereo is mixed down; other sample formats are refused with a message
 * that says what the file is and what is needed.
 */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";

export const DOOR_RATE = 8000;

export interface WavInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** Interleaved samples as read (before conversion). */
  frames: number;
}

export class WavError extends Error {}

/** Parse a WAV file's bytes: its format and its samples as 8 kHz mono Int16. */
export function decodeWav(bytes: Uint8Array, name = "WAV file"): { info: WavInfo; samples: Int16Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tag = (at: number): string => String.fromCharCode(bytes[at]!, bytes[at + 1]!, bytes[at + 2]!, bytes[at + 3]!);
  if (bytes.length < 12 || tag(0) !== "RIFF" || tag(8) !== "WAVE") throw new WavError(`${name}: not a RIFF/WAVE file`);
  let fmt: { format: number; channels: number; rate: number; bits: number } | null = null;
  let data: Uint8Array | null = null;
  let at = 12;
  while (at + 8 <= bytes.length) {
    const id = tag(at);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    const end = Math.min(body + size, bytes.length);
    if (id === "fmt ") {
      if (size < 16) throw new WavError(`${name}: "fmt " chunk too short`);
      let format = view.getUint16(body, true);
      // WAVE_FORMAT_EXTENSIBLE: the sub-format GUID's first two bytes are the format code.
      if (format === 0xfffe && size >= 26) format = view.getUint16(body + 24, true);
      fmt = { format, channels: view.getUint16(body + 2, true), rate: view.getUint32(body + 4, true), bits: view.getUint16(body + 14, true) };
    } else if (id === "data") {
      data = bytes.subarray(body, end);
    }
    at = body + size + (size & 1);
  }
  if (fmt === null) throw new WavError(`${name}: no "fmt " chunk`);
  if (data === null) throw new WavError(`${name}: no "data" chunk`);
  if (fmt.format !== 1 || fmt.bits !== 16) {
    const what = fmt.format === 3 ? `${fmt.bits}-bit float` : fmt.format === 1 ? `${fmt.bits}-bit PCM` : `format ${fmt.format}`;
    throw new WavError(`${name}: ${what} is not supported; the door needs 16-bit PCM (8 kHz mono is used as is, other rates and stereo are converted)`);
  }
  if (fmt.channels < 1 || fmt.channels > 8) throw new WavError(`${name}: ${fmt.channels} channels`);
  if (fmt.rate < 1000 || fmt.rate > 384000) throw new WavError(`${name}: sample rate ${fmt.rate} Hz`);
  const frames = Math.floor(data.length / (2 * fmt.channels));
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const mono = new Float64Array(frames);
  for (let i = 0; i < frames; i++) {
    let sum = 0;
    for (let c = 0; c < fmt.channels; c++) sum += dv.getInt16(2 * (i * fmt.channels + c), true);
    mono[i] = sum / fmt.channels;
  }
  const info: WavInfo = { sampleRate: fmt.rate, channels: fmt.channels, bitsPerSample: fmt.bits, frames };
  return { info, samples: resample(mono, fmt.rate, DOOR_RATE) };
}

/** Read and convert a WAV file (see decodeWav). */
export function readWav(path: string): { info: WavInfo; samples: Int16Array } {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new WavError(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return decodeWav(bytes, path);
}

/** `input` at `from` Hz to Int16 at `to` Hz: a box filter of the rate ratio when going down, then linear interpolation. */
export function resample(input: Float64Array, from: number, to: number): Int16Array {
  let src = input;
  if (from > to) {
    // A moving average over one output period: a crude low-pass against aliasing.
    const width = Math.max(1, Math.round(from / to));
    if (width > 1) {
      src = new Float64Array(input.length);
      let acc = 0;
      for (let i = 0; i < input.length; i++) {
        acc += input[i]!;
        if (i >= width) acc -= input[i - width]!;
        src[i] = acc / Math.min(i + 1, width);
      }
    }
  }
  const n = from === to ? src.length : Math.floor((src.length * to) / from);
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    const pos = from === to ? i : (i * from) / to;
    const k = Math.floor(pos);
    const f = pos - k;
    const a = src[k] ?? 0;
    const b = src[k + 1] ?? a;
    const v = Math.round(a + (b - a) * f);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** A 44-byte canonical header for 16-bit PCM mono at `rate`, `dataBytes` long. */
export function wavHeader(rate: number, dataBytes: number): Uint8Array {
  const h = new Uint8Array(44);
  const v = new DataView(h.buffer);
  h.set([82, 73, 70, 70], 0); // RIFF
  v.setUint32(4, 36 + dataBytes, true);
  h.set([87, 65, 86, 69, 102, 109, 116, 32], 8); // WAVEfmt
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true); // PCM
  v.setUint16(22, 1, true); // mono
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  h.set([100, 97, 116, 97], 36); // data
  v.setUint32(40, dataBytes, true);
  return h;
}

/** The bytes of a whole 8 kHz mono 16-bit WAV. */
export function encodeWav(samples: Int16Array, rate = DOOR_RATE): Uint8Array {
  const out = new Uint8Array(44 + samples.length * 2);
  out.set(wavHeader(rate, samples.length * 2), 0);
  const v = new DataView(out.buffer);
  for (let i = 0; i < samples.length; i++) v.setInt16(44 + 2 * i, samples[i]!, true);
  return out;
}

/**
 * A WAV file written as it goes (the speaker): the header first with
 * sizes 0, samples appended, the sizes written on close. The header is also
 * patched every `flushEvery` samples, so a file read while the door runs
 * is valid up to there.
 */
export class WavWriter {
  private fd: number;
  private samples = 0;
  private readonly buf = Buffer.alloc(2 * 160);
  private sinceHeader = 0;

  constructor(readonly path: string, private readonly flushEvery = DOOR_RATE) {
    this.fd = openSync(path, "w");
    writeSync(this.fd, wavHeader(DOOR_RATE, 0), 0, 44, 0);
  }

  get sampleCount(): number {
    return this.samples;
  }

  write(frame: Int16Array): void {
    if (this.fd < 0) return;
    const need = frame.length * 2;
    const buf = need <= this.buf.length ? this.buf : Buffer.alloc(need);
    for (let i = 0; i < frame.length; i++) buf.writeInt16LE(frame[i]!, 2 * i);
    writeSync(this.fd, buf, 0, need, 44 + this.samples * 2);
    this.samples += frame.length;
    this.sinceHeader += frame.length;
    if (this.sinceHeader >= this.flushEvery) {
      this.sinceHeader = 0;
      writeSync(this.fd, wavHeader(DOOR_RATE, this.samples * 2), 0, 44, 0);
    }
  }

  close(): void {
    if (this.fd < 0) return;
    writeSync(this.fd, wavHeader(DOOR_RATE, this.samples * 2), 0, 44, 0);
    closeSync(this.fd);
    this.fd = -1;
  }
}
