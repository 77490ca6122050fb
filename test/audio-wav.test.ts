/*
 * The Node host's audio files: WAV reading (8 kHz mono as is; 48 kHz stereo
 * and 16 kHz converted, a tone keeping its frequency; 8-bit, float and
 * non-WAV files refused with a clear message), the streaming writer (valid
 * while being written, sizes right after close), the microphones (tone:HZ,
 * a looped file), and `doorsip run`'s --mic / --speaker / --rtp-port checks.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fileAudio, LoopMic, parseMic, ToneMic } from "../hosts/node/audio/file-audio";
import { decodeWav, encodeWav, readWav, WavError, WavWriter } from "../hosts/node/audio/wav";
import { plan } from "../hosts/node/commands/run";
import { dominant, rms, toneShare } from "./interop/audio/signal";

const dir = mkdtempSync(join(tmpdir(), "doorsip-wav-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A WAV of `channels` interleaved 16-bit (or other) samples, built by hand (not by the code under test). */
function wav(rate: number, channels: number, bits: number, format: number, frames: number, sample: (i: number, c: number) => number): Uint8Array {
  const bytesPer = bits / 8;
  const data = Buffer.alloc(frames * channels * bytesPer);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) {
      const at = (i * channels + c) * bytesPer;
      if (bits === 16) data.writeInt16LE(sample(i, c), at);
      else if (bits === 8) data.writeUInt8(128 + (sample(i, c) >> 8), at);
      else data.writeFloatLE(sample(i, c) / 32768, at);
    }
  }
  const fmt = Buffer.alloc(24);
  fmt.write("fmt ", 0, "latin1");
  fmt.writeUInt32LE(16, 4);
  fmt.writeUInt16LE(format, 8);
  fmt.writeUInt16LE(channels, 10);
  fmt.writeUInt32LE(rate, 12);
  fmt.writeUInt32LE(rate * channels * bytesPer, 16);
  fmt.writeUInt16LE(channels * bytesPer, 20);
  fmt.writeUInt16LE(bits, 22);
  // A LIST chunk before "data", as many editors write: must be skipped.
  const list = Buffer.concat([Buffer.from("LIST", "latin1"), Buffer.from([5, 0, 0, 0]), Buffer.from("INFOx\0", "latin1")]);
  const head = Buffer.alloc(8);
  head.write("data", 0, "latin1");
  head.writeUInt32LE(data.length, 4);
  const body = Buffer.concat([Buffer.from("WAVE", "latin1"), fmt, list, head, data]);
  const riff = Buffer.alloc(8);
  riff.write("RIFF", 0, "latin1");
  riff.writeUInt32LE(body.length, 4);
  return Buffer.concat([riff, body]);
}

const sine = (hz: number, rate: number, amp = 10000) => (i: number) => Math.round(amp * Math.sin((2 * Math.PI * hz * i) / rate));

describe("WAV reading", () => {
  it("takes 8 kHz mono 16-bit as it is", () => {
    const bytes = wav(8000, 1, 16, 1, 800, (i) => i - 400);
    const { info, samples } = decodeWav(bytes);
    expect(info).toEqual({ sampleRate: 8000, channels: 1, bitsPerSample: 16, frames: 800 });
    expect(Array.from(samples.subarray(0, 3))).toEqual([-400, -399, -398]);
    expect(samples.length).toBe(800);
  });

  it("converts 48 kHz stereo and 16 kHz mono to 8 kHz mono, keeping a 1 kHz tone", () => {
    const f = sine(1000, 48000);
    const stereo = decodeWav(wav(48000, 2, 16, 1, 48000, (i, c) => (c === 0 ? f(i) : f(i))));
    expect(stereo.samples.length).toBe(8000);
    expect(toneShare(stereo.samples, 0, 8000, 1000, 8000)).toBeGreaterThan(0.9);
    // Mixed down: one channel of silence halves the level.
    const half = decodeWav(wav(48000, 2, 16, 1, 48000, (i, c) => (c === 0 ? f(i) : 0)));
    expect(rms(half.samples) / rms(stereo.samples)).toBeCloseTo(0.5, 1);
    const wide = decodeWav(wav(16000, 1, 16, 1, 16000, sine(1000, 16000)));
    expect(wide.samples.length).toBe(8000);
    expect(dominant(wide.samples, 0, 8000, [500, 1000, 2000], 8000)).toBe(1000);
  });

  it("refuses 8-bit, float, non-WAV and chunkless files with a message naming the file and the need", () => {
    expect(() => decodeWav(wav(8000, 1, 8, 1, 10, () => 0), "a.wav")).toThrow(/a\.wav: 8-bit PCM is not supported; the door needs 16-bit PCM/);
    expect(() => decodeWav(wav(8000, 1, 32, 3, 10, () => 0), "b.wav")).toThrow(/b\.wav: 32-bit float is not supported/);
    expect(() => decodeWav(new TextEncoder().encode("ID3 not a wave at all"), "c.mp3")).toThrow(WavError);
    expect(() => decodeWav(new TextEncoder().encode("RIFF\0\0\0\0WAVE"), "d.wav")).toThrow(/no "fmt " chunk/);
    expect(() => readWav(join(dir, "missing.wav"))).toThrow(/missing\.wav: ENOENT/);
  });
});

describe("WAV writing", () => {
  it("writes frames as they come; the header is right after close, and while writing up to the last flush", () => {
    const path = join(dir, "out.wav");
    const w = new WavWriter(path, 320);
    const frame = new Int16Array(160);
    for (let k = 0; k < 3; k++) {
      frame.fill(k * 100 - 100);
      w.write(frame);
    }
    // Two frames (320 samples) flushed so far.
    expect(decodeWav(readFileSync(path)).samples.length).toBe(320);
    w.close();
    const back = decodeWav(readFileSync(path));
    expect(back.info).toEqual({ sampleRate: 8000, channels: 1, bitsPerSample: 16, frames: 480 });
    expect([back.samples[0], back.samples[160], back.samples[479]]).toEqual([-100, 0, 100]);
    expect(readFileSync(path).length).toBe(44 + 960);
  });

  it("encodeWav is the same canonical format", () => {
    const s = Int16Array.from([1, -2, 32767, -32768]);
    const bytes = encodeWav(s);
    expect(Buffer.from(bytes.subarray(0, 4)).toString("latin1")).toBe("RIFF");
    expect(Array.from(decodeWav(bytes).samples)).toEqual([1, -2, 32767, -32768]);
  });
});

describe("microphones", () => {
  it("tone:HZ makes a continuous sine across frames; a file loops", () => {
    const mic = parseMic("tone:440");
    expect(mic).toBeInstanceOf(ToneMic);
    const out = new Int16Array(1600);
    const frame = new Int16Array(160);
    for (let k = 0; k < 10; k++) {
      expect(mic.read(frame)).toBe(true);
      out.set(frame, 160 * k);
    }
    expect(toneShare(out, 0, 1600, 440, 8000)).toBeGreaterThan(0.95);
    const path = join(dir, "short.wav");
    writeFileSync(path, encodeWav(Int16Array.from({ length: 100 }, (_, i) => i)));
    const loop = parseMic(path);
    expect(loop).toBeInstanceOf(LoopMic);
    loop.read(frame);
    expect([frame[0], frame[99], frame[100], frame[159]]).toEqual([0, 99, 0, 59]);
    expect(() => parseMic("tone:9000")).toThrow(/between 0 and 4000 Hz/);
    expect(() => parseMic("tone:abc")).toThrow(/expected tone:HZ/);
  });

  it("fileAudio: none without options; capture and play go to the mic and the speaker file", () => {
    expect(fileAudio(undefined, undefined)).toBeUndefined();
    const speaker = join(dir, "speaker.wav");
    const a = fileAudio("tone:1000", speaker)!;
    const frame = new Int16Array(160);
    expect(a.capture(frame)).toBe(true);
    a.play(frame);
    a.close();
    expect(toneShare(readWav(speaker).samples, 0, 160, 1000, 8000)).toBeGreaterThan(0.9);
    const deaf = fileAudio(undefined, join(dir, "s2.wav"))!;
    expect(deaf.capture(frame)).toBe(false);
    deaf.close();
  });
});

describe("doorsip run: audio options", () => {
  it("--mic, --speaker, --rtp-port are checked and planned", () => {
    const p = plan({ mic: "tone:600", speaker: join(dir, "x.wav"), "rtp-port": "40000" });
    expect(p.mic?.description).toBe("a 600 Hz tone");
    expect(p.speaker).toBe(join(dir, "x.wav"));
    expect(p.rtpPort).toBe(40000);
    expect(() => plan({ "rtp-port": "40001" })).toThrow(/--rtp-port must be even/);
    const bad = join(dir, "bad.wav");
    writeFileSync(bad, wav(8000, 1, 8, 1, 10, () => 0));
    expect(() => plan({ mic: bad })).toThrow(/--mic: .*bad\.wav: 8-bit PCM is not supported/);
    // Bridged into XS too (test/audio-xs.test.ts runs it).
    const xs = plan({ xs: true, mic: "tone:440", speaker: join(dir, "y.wav") });
    expect(xs.xs).toBe(true);
    expect(xs.mic?.description).toBe("a 440 Hz tone");
  });
});
