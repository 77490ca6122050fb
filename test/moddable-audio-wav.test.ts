/*
 * The simulator's WAV handling (hosts/moddable/audio/wav.ts, plain
 * TypeScript used by files.ts in mcsim), checked against the Node host's
 * WAV code (hosts/node/audio/wav.ts, written separately): the speaker
 * header, microphone files at 8 kHz mono as they are, other rates and
 * stereo converted (the tone's frequency kept, by Goertzel), formats that
 * are refused with a reason, and the `mic` setting's forms.
 */
import { describe, expect, it } from "vitest";
import {
  doorSampleCount,
  parseMicSpec,
  readDoorSamples,
  readWavFormat,
  WAV_HEADER_BYTES,
  writeWavHeader,
  type WavFormat,
} from "../hosts/moddable/audio/wav";
import { decodeWav, encodeWav, wavHeader } from "../hosts/node/audio/wav";
import { dominant, toneShare } from "./interop/audio/signal";

function sine(hz: number, rate: number, seconds: number, level = 9000): Int16Array {
  const s = new Int16Array(Math.round(rate * seconds));
  for (let i = 0; i < s.length; i++) s[i] = Math.round(level * Math.sin((2 * Math.PI * hz * i) / rate));
  return s;
}

/** A WAV with any format fields, written by hand (RIFF, fmt, an extra chunk, data). */
function wav(o: { format?: number; channels?: number; rate?: number; bits?: number; data: Uint8Array; extra?: boolean }): Uint8Array {
  const channels = o.channels ?? 1;
  const rate = o.rate ?? 8000;
  const bits = o.bits ?? 16;
  const list = o.extra ? 8 + 6 : 0;
  const out = new Uint8Array(44 + list + o.data.length);
  const v = new DataView(out.buffer);
  out.set([82, 73, 70, 70], 0);
  v.setUint32(4, out.length - 8, true);
  out.set([87, 65, 86, 69, 102, 109, 116, 32], 8);
  v.setUint32(16, 16, true);
  v.setUint16(20, o.format ?? 1, true);
  v.setUint16(22, channels, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, (rate * channels * bits) / 8, true);
  v.setUint16(32, (channels * bits) / 8, true);
  v.setUint16(34, bits, true);
  let at = 36;
  if (o.extra) {
    out.set([76, 73, 83, 84], at); // "LIST", 6 bytes of body
    v.setUint32(at + 4, 6, true);
    at += 14;
  }
  out.set([100, 97, 116, 97], at);
  v.setUint32(at + 4, o.data.length, true);
  out.set(o.data, at + 8);
  return out;
}

function pcm16(samples: Int16Array): Uint8Array {
  return new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
}

describe("the simulator's WAV code", () => {
  it("writes the same 44-byte header as the Node host (8 kHz, mono, 16-bit PCM)", () => {
    const h = new Uint8Array(WAV_HEADER_BYTES);
    writeWavHeader(h, 0);
    expect(Buffer.from(h).toString("hex")).toBe(Buffer.from(wavHeader(8000, 0)).toString("hex"));
    writeWavHeader(h, 320 * 1234);
    expect(Buffer.from(h).toString("hex")).toBe(Buffer.from(wavHeader(8000, 320 * 1234)).toString("hex"));
    // And the Node reader takes a file made with it.
    const body = sine(600, 8000, 0.5);
    const file = new Uint8Array(44 + body.byteLength);
    writeWavHeader(file, body.byteLength);
    file.set(pcm16(body), 44);
    expect(decodeWav(file).samples).toEqual(body);
  });

  it("reads an 8 kHz mono file as it is", () => {
    const samples = sine(440, 8000, 1);
    const bytes = encodeWav(samples);
    const f = readWavFormat(bytes, bytes.length) as WavFormat;
    expect(f).toEqual({ rate: 8000, channels: 1, dataStart: 44, dataBytes: 16000 });
    const out = new Int16Array(8000 * 10);
    expect(readDoorSamples(bytes, f, out)).toBe(8000);
    expect(out.subarray(0, 8000)).toEqual(samples);
  });

  it("converts 16 kHz stereo to 8 kHz mono (channels averaged), skipping chunks it does not know", () => {
    const left = sine(1000, 16000, 1);
    const stereo = new Int16Array(left.length * 2);
    for (let i = 0; i < left.length; i++) {
      stereo[2 * i] = left[i]!;
      stereo[2 * i + 1] = 0;
    }
    const bytes = wav({ channels: 2, rate: 16000, data: pcm16(stereo), extra: true });
    const f = readWavFormat(bytes, bytes.length) as WavFormat;
    expect(f.rate).toBe(16000);
    expect(f.channels).toBe(2);
    expect(f.dataStart).toBe(58);
    const out = new Int16Array(80000);
    const n = readDoorSamples(bytes, f, out);
    expect(n).toBe(8000);
    const got = out.subarray(0, n);
    expect(dominant(got, 0, 8000, [500, 1000, 2000], 8000)).toBe(1000);
    expect(toneShare(got, 0, 8000, 1000, 8000)).toBeGreaterThan(0.95);
    // Half the level: the silent right channel is averaged in.
    expect(Math.max(...got)).toBeGreaterThan(4400);
    expect(Math.max(...got)).toBeLessThanOrEqual(4500);
  });

  it("resamples 44.1 kHz by interpolation, keeping the frequency; caps the samples at the buffer", () => {
    const bytes = encodeWav(sine(700, 44100, 2), 44100);
    const f = readWavFormat(bytes, bytes.length) as WavFormat;
    expect(doorSampleCount(f, 1e9)).toBe(16000);
    const out = new Int16Array(12000);
    expect(readDoorSamples(bytes, f, out)).toBe(12000);
    expect(dominant(out, 0, 8000, [600, 700, 800], 8000)).toBe(700);
    expect(toneShare(out, 0, 8000, 700, 8000)).toBeGreaterThan(0.95);
  });

  it("takes a data chunk cut short (a file still being written, or read in part) as far as it goes", () => {
    const bytes = encodeWav(sine(440, 8000, 1));
    const f = readWavFormat(bytes, 44 + 1001) as WavFormat;
    expect(f.dataBytes).toBe(1000);
  });

  it("refuses what it cannot play, saying what the file is", () => {
    const data = new Uint8Array(64);
    expect(readWavFormat(new TextEncoder().encode("hello, this is no wav file at all"), 33)).toBe("not a RIFF/WAVE file");
    expect(readWavFormat(wav({ format: 3, bits: 32, data }), 108)).toMatch(/^32-bit float is not supported; 16-bit PCM is needed/);
    expect(readWavFormat(wav({ bits: 8, data }), 108)).toMatch(/^8-bit PCM is not supported/);
    expect(readWavFormat(wav({ format: 0x55, data }), 108)).toMatch(/^format 85 is not supported/);
    expect(readWavFormat(wav({ channels: 0, data }), 108)).toBe("0 channels");
    expect(readWavFormat(wav({ rate: 500, data }), 108)).toBe("sample rate 500 Hz");
    const noData = wav({ data }).subarray(0, 36);
    expect(readWavFormat(noData, noData.length)).toBe("no \"data\" chunk");
    const short = wav({ data });
    expect(readWavFormat(short, 30)).toBe("\"fmt \" chunk too short");
  });

  it("reads the mic setting: none, tone:HZ, a path; a bad tone is an error", () => {
    expect(parseMicSpec("")).toEqual({ kind: "none" });
    expect(parseMicSpec("  ")).toEqual({ kind: "none" });
    expect(parseMicSpec("tone:440")).toEqual({ kind: "tone", hz: 440 });
    expect(parseMicSpec("tone:697.5")).toEqual({ kind: "tone", hz: 697.5 });
    expect(parseMicSpec("/tmp/door mic.wav")).toEqual({ kind: "file", path: "/tmp/door mic.wav" });
    for (const bad of ["tone:", "tone:0", "tone:4000", "tone:abc", "tone:-5"]) {
      const spec = parseMicSpec(bad);
      expect(spec.kind, bad).toBe("error");
      expect(spec.kind === "error" && spec.message, bad).toContain("expected tone:HZ");
    }
  });
});
