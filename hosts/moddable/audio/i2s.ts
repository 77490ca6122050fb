/*
 * Module "hosts/moddable/audio/board" on boards with an I2S microphone and
 * speaker (see board.d.ts): ECMA-419 `embedded:io/audio/in` and `embedded:io/audio/out`
 * (modules/io/audioin/esp32, modules/io/audioout/esp32 in the SDK) at the
 * core's 8 kHz, 16-bit mono, with the I2S pins of the board's
 * `defines.audioIn` / `defines.audioOut`.
 *
 * No board maps it now (manifest.json gives every ESP32 board audio/none.ts):
 *   - M5Stack Atom Echo: the SDK's m5atom_echo target always includes the
 *     legacy modules/pins/audioin, whose C file is also called audioin.c;
 *     mcmanifest names C objects by base name (tools/mcmanifest.js:2149), so
 *     the ECMA-419 one is never built and the link fails. And the board is
 *     half-duplex: the PDM microphone's clock and the speaker's word clock
 *     share G33 (modules/io/audioin/esp32/audioin.c:510,
 *     modules/io/audioout/esp32/audioout-esp32.c:269-272).
 *   - ESP32-LyraT: nothing in the SDK sets up its ES8388 codec (it stays
 *     powered down), and the input and output take two I2S controllers for
 *     one codec (AudioOut always asks for I2S_NUM_AUTO and ignores `i2s.num`:
 *     audioout-esp32.c:237), with a race for I2S0 that can crash the first
 *     call (audioin.c:500-526, :716).
 * See boards/README.md ("Audio") for what a real fix needs.
 *
 * The core's media clock asks for one 20 ms frame (160 samples) to send and
 * gives one to play, every 20 ms. The drivers run on their own clocks, so
 * both sides keep a small ring of frames:
 *   - capture: onReadable reads whole frames into the ring (the oldest is
 *     dropped when the core falls behind); capture() takes the oldest;
 *   - playback: play() writes a frame at once when the driver said there is
 *     room (onWritable), else keeps it in the ring for the next onWritable.
 * Every buffer is made here once: the per-frame path allocates nothing
 * (read(buffer) and write(buffer) take our own views).
 *
 * Not run here: building for the ESP32 needs ESP-IDF, which this project's
 * machines do not have; this file is type-checked against @moddable/typings.
 */
import AudioIn from "embedded:io/audio/in";
import AudioOut from "embedded:io/audio/out";
import { LogLevel, type LogHost } from "../../../src/host";
import type { DoorAudio } from "./board";

const RATE = 8000;
const FRAME = 160;
const FRAME_BYTES = 2 * FRAME;
/**
 * Frames kept each way: 160 ms. The SDK's input task reads 2,048 bytes at a
 * time (MAX_INPUT_BLOCK, modules/io/audioin/esp32/audioin.c:89, :669-671),
 * one 32-bit word per mono sample (:341, :384): 512 samples, 64 ms, about
 * 3.2 frames reported at once (:680-685). Four frames left under one frame of
 * slack, so bursts dropped frames and capture() came up empty before one.
 * (Playback: AudioOut sends to DMA only in whole 4,092-byte buffers,
 * audioout-esp32.c:241-246, :697-741, 256 ms at 8 kHz: the speaker runs
 * 0.25-0.5 s late whatever this ring holds.)
 */
const RING = 8;

class I2sAudio implements DoorAudio {
  private readonly log: LogHost;
  private input: AudioIn | null = null;
  private output: AudioOut | null = null;
  private readonly inRing = new Int16Array(RING * FRAME);
  private readonly inBytes: Uint8Array[] = [];
  private inHead = 0;
  private inCount = 0;
  private readonly outRing = new Int16Array(RING * FRAME);
  private readonly outBytes: Uint8Array[] = [];
  private outHead = 0;
  private outCount = 0;
  /** Bytes the output driver said it can take now. */
  private writable = 0;
  private running = false;
  captured = 0;
  played = 0;
  inDropped = 0;
  outDropped = 0;

  constructor(log: LogHost) {
    this.log = log;
    // One byte view per ring slot, made once: read() and write() take them as they are.
    for (let i = 0; i < RING; i++) {
      this.inBytes.push(new Uint8Array(this.inRing.buffer, i * FRAME_BYTES, FRAME_BYTES));
      this.outBytes.push(new Uint8Array(this.outRing.buffer, i * FRAME_BYTES, FRAME_BYTES));
    }
  }

  /** Open the drivers once; false (logged) when the board refuses. */
  open(): boolean {
    try {
      const self = this;
      this.input = new AudioIn({
        sampleRate: RATE, bitsPerSample: 16, channels: 1,
        onReadable(byteLength: number) {
          self.readable(byteLength);
        },
      });
      this.output = new AudioOut({
        sampleRate: RATE, bitsPerSample: 16, channels: 1,
        onWritable(byteLength: number) {
          self.writableNow(byteLength);
        },
      });
      return true;
    } catch (e) {
      this.log.log(LogLevel.Error, `audio: cannot open I2S audio: ${String(e)}`);
      this.close();
      return false;
    }
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.inHead = this.inCount = this.outHead = this.outCount = 0;
    try {
      this.input?.start();
      this.output?.start();
    } catch (e) {
      this.log.log(LogLevel.Warn, `audio: start: ${String(e)}`);
    }
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    try {
      this.input?.stop();
      this.output?.stop({ flush: true });
    } catch (e) {
      this.log.log(LogLevel.Warn, `audio: stop: ${String(e)}`);
    }
  }

  capture(frame: Int16Array): boolean {
    if (this.inCount === 0) return false;
    const ring = this.inRing;
    const base = this.inHead * FRAME;
    for (let i = 0; i < FRAME; i++) frame[i] = ring[base + i]!;
    this.inHead = (this.inHead + 1) % RING;
    this.inCount--;
    this.captured++;
    return true;
  }

  play(frame: Int16Array): void {
    if (this.outCount === RING) {
      // The speaker is behind: drop the oldest frame rather than add delay.
      this.outHead = (this.outHead + 1) % RING;
      this.outCount--;
      this.outDropped++;
    }
    const slot = (this.outHead + this.outCount) % RING;
    const ring = this.outRing;
    const base = slot * FRAME;
    for (let i = 0; i < FRAME; i++) ring[base + i] = frame[i]!;
    this.outCount++;
    this.played++;
    this.flush();
  }

  counters(): string {
    return `audio in ${this.captured} (${this.inDropped} dropped), out ${this.played} (${this.outDropped} dropped)`;
  }

  close(): void {
    this.running = false;
    try {
      this.input?.close();
    } catch {
      // already closed
    }
    try {
      (this.output as { close?: () => void } | null)?.close?.();
    } catch {
      // already closed
    }
    this.input = null;
    this.output = null;
  }

  /** The input driver has `byteLength` bytes: take whole frames. */
  private readable(byteLength: number): void {
    const input = this.input;
    if (input === null) return;
    while (byteLength >= FRAME_BYTES) {
      if (this.inCount === RING) {
        this.inHead = (this.inHead + 1) % RING;
        this.inCount--;
        this.inDropped++;
      }
      const slot = (this.inHead + this.inCount) % RING;
      // read() throws "invalid size" when fewer bytes are there than asked for
      // (audioin.c:358-359), e.g. after stop() emptied the buffer under a queued onReadable.
      // This runs inside xsBeginHost: an exception out of it aborts, a reboot (xs.h:1314-1319).
      try {
        input.read(this.inBytes[slot]!);
      } catch {
        this.inDropped++;
        return;
      }
      this.inCount++;
      byteLength -= FRAME_BYTES;
    }
  }

  private writableNow(byteLength: number): void {
    this.writable = byteLength;
    this.flush();
  }

  /** Write queued frames while the driver has room. */
  private flush(): void {
    const output = this.output;
    if (output === null) return;
    while (this.outCount > 0 && this.writable >= FRAME_BYTES) {
      // write() throws on "insufficient space" or "write failed" (audioout-esp32.c:444-452);
      // play() runs on the core's timer, where an exception would abort the machine. The frame
      // stays queued; the next onWritable says how much room there is.
      try {
        output.write(this.outBytes[this.outHead]!);
      } catch {
        this.writable = 0;
        return;
      }
      this.writable -= FRAME_BYTES;
      this.outHead = (this.outHead + 1) % RING;
      this.outCount--;
    }
  }
}

export function createAudio(log: LogHost): I2sAudio | undefined {
  const audio = new I2sAudio(log);
  if (!audio.open()) return undefined;
  log.log(LogLevel.Info, `audio: I2S microphone and speaker at ${RATE} Hz`);
  return audio;
}
