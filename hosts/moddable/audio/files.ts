/*
 * Module "hosts/moddable/audio/board" in the Linux simulator (see board.d.ts):
 * the door's microphone and speaker as files, like the Node host's
 * `--mic FILE.wav|tone:HZ --speaker OUT.wav` (hosts/node/audio/file-audio.ts).
 * The SDK's own lin audio (embedded:io/audio/in and out) is ALSA, which needs
 * libasound2-dev to build and a sound device to run; files need neither.
 *
 * Settings (mc/config, overridden by a preference of the same key, like
 * settings.ts): `mic` is "tone:HZ" (a sine at HZ, 0 < HZ < 4000) or the path
 * of a WAV file (16-bit PCM; other rates and channels are converted, up to
 * MAX_MIC_SECONDS kept, played in a loop); `speaker` is the path of a WAV
 * file (8 kHz, mono, 16-bit) that gets everything the door's speaker plays:
 * the calls' audio, the ringback and the door-open tone. Relative paths are
 * relative to mcsim's working directory. Both empty: no audio (like none.ts).
 *
 * No timer of its own: the core's media clock (src/media/call-media.ts, on
 * the one SDK timer of clock.ts) calls capture() and play() once per 20 ms
 * frame in real time, which is the pace a file needs. A sound card runs on
 * its own clock and needs the rings of i2s.ts; a file does not.
 *
 * The speaker file is created when the app starts (an empty WAV), written a
 * frame at a time (one fixed 320-byte buffer, so nothing is allocated per
 * frame), and its header's sizes are brought up to date every second and
 * whenever the media clock stops (the end of a call or a tone): the file is
 * a valid WAV after every call even if the simulator is then killed.
 */
import { File } from "file";
import config from "mc/config";
import { LogLevel, type LogHost } from "../../../src/host";
import { SINE } from "../../../src/media/tone";
import { PreferenceStorage } from "../storage";
import type { DoorAudio } from "./board";
import { parseMicSpec, readDoorSamples, readWavFormat, WAV_HEADER_BYTES, writeWavHeader, DOOR_RATE } from "./wav";

const FRAME = 160;
const FRAME_BYTES = 2 * FRAME;
/** Microphone samples kept from a file. */
const MAX_MIC_SECONDS = 10;
/** Bytes read of a microphone file at most (10 s of 16 kHz stereo and its header). */
const MAX_MIC_READ = 16000 * 2 * 2 * MAX_MIC_SECONDS + 4096;
/** Peak level of the tone microphone (about -10 dBm0, as the Node host's). */
const TONE_LEVEL = 10000;
/** Frames between header updates of the speaker file: one second. */
const HEADER_EVERY = DOOR_RATE / FRAME;

class FileAudio implements DoorAudio {
  private readonly log: LogHost;
  // The microphone: a tone (phase accumulator over the core's sine table), looped samples, or nothing.
  private toneStep = 0;
  private phase = 0;
  private micSamples: Int16Array | null = null;
  private micAt = 0;
  readonly micDescription: string;
  // The speaker.
  private speaker: File | null = null;
  private readonly speakerPath: string;
  private readonly frameBuffer = new ArrayBuffer(FRAME_BYTES);
  private readonly frameOut = new Int16Array(this.frameBuffer);
  private readonly header = new ArrayBuffer(WAV_HEADER_BYTES);
  private dataBytes = 0;
  private sinceHeader = 0;
  captured = 0;
  played = 0;
  failed = 0;

  constructor(log: LogHost, mic: string, speaker: string) {
    this.log = log;
    this.speakerPath = speaker;
    this.micDescription = this.openMic(mic);
    if (speaker !== "") this.openSpeaker(speaker);
  }

  /** The media clock starts: nothing to power up. */
  start(): void {}

  /** The media clock stopped (a call or tone ended): the speaker file's header gets its sizes. */
  stop(): void {
    this.updateHeader();
  }

  capture(frame: Int16Array): boolean {
    if (this.toneStep !== 0) {
      const step = this.toneStep;
      let phase = this.phase;
      for (let i = 0; i < FRAME; i++) {
        frame[i] = (SINE[phase >>> 24]! * TONE_LEVEL / 32767) | 0;
        phase = (phase + step) >>> 0;
      }
      this.phase = phase;
      this.captured++;
      return true;
    }
    const s = this.micSamples;
    if (s === null) return false;
    let at = this.micAt;
    for (let i = 0; i < FRAME; i++) {
      frame[i] = s[at]!;
      at = at + 1 < s.length ? at + 1 : 0;
    }
    this.micAt = at;
    this.captured++;
    return true;
  }

  play(frame: Int16Array): void {
    const file = this.speaker;
    if (file === null) return;
    const out = this.frameOut;
    for (let i = 0; i < FRAME; i++) out[i] = frame[i]!;
    try {
      file.write(this.frameBuffer);
    } catch {
      this.failed++;
      return;
    }
    this.dataBytes += FRAME_BYTES;
    this.played++;
    if (++this.sinceHeader >= HEADER_EVERY) this.updateHeader();
  }

  counters(): string {
    return `audio in ${this.captured}, out ${this.played} (${this.failed} failed)`;
  }

  close(): void {
    this.updateHeader();
    try {
      this.speaker?.close();
    } catch {
      // already closed
    }
    this.speaker = null;
  }

  /** Set up the microphone; returns what it is, for the log. */
  private openMic(text: string): string {
    const spec = parseMicSpec(text);
    switch (spec.kind) {
      case "none":
        return "none";
      case "error":
        this.log.log(LogLevel.Error, `audio: ${spec.message}`);
        return "none";
      case "tone":
        // A 32-bit phase step per sample; the sine table has 256 entries, indexed by the top 8 bits.
        this.toneStep = Math.round((spec.hz * 4294967296) / DOOR_RATE) >>> 0;
        return `a ${spec.hz} Hz tone`;
      case "file":
        return this.loadMic(spec.path);
    }
  }

  private loadMic(path: string): string {
    let bytes: Uint8Array;
    let length: number;
    try {
      const f = new File(path);
      try {
        const all = f.length;
        length = all < MAX_MIC_READ ? all : MAX_MIC_READ;
        bytes = new Uint8Array(f.read(ArrayBuffer, length));
      } finally {
        f.close();
      }
    } catch (e) {
      this.log.log(LogLevel.Error, `audio: mic ${path}: cannot read: ${String(e)}`);
      return "none";
    }
    const format = readWavFormat(bytes, length);
    if (typeof format === "string") {
      this.log.log(LogLevel.Error, `audio: mic ${path}: ${format}`);
      return "none";
    }
    const samples = new Int16Array(MAX_MIC_SECONDS * DOOR_RATE);
    const n = readDoorSamples(bytes, format, samples);
    if (n === 0) {
      this.log.log(LogLevel.Error, `audio: mic ${path}: no samples`);
      return "none";
    }
    this.micSamples = samples.subarray(0, n);
    const converted = format.rate !== DOOR_RATE || format.channels !== 1 ? `, converted from ${format.rate} Hz, ${format.channels} channel(s)` : "";
    return `${path} (${(n / DOOR_RATE).toFixed(1)} s, looped${converted})`;
  }

  private openSpeaker(path: string): void {
    try {
      if (File.exists(path)) File.delete(path);
      const f = new File(path, true);
      writeWavHeader(new Uint8Array(this.header), 0);
      f.write(this.header);
      this.speaker = f;
    } catch (e) {
      this.log.log(LogLevel.Error, `audio: speaker ${path}: cannot write: ${String(e)}`);
    }
  }

  /** Write the header with the sizes so far, then carry on at the end. */
  private updateHeader(): void {
    this.sinceHeader = 0;
    const file = this.speaker;
    if (file === null) return;
    try {
      writeWavHeader(new Uint8Array(this.header), this.dataBytes);
      file.position = 0;
      file.write(this.header);
      file.position = WAV_HEADER_BYTES + this.dataBytes;
    } catch {
      this.failed++;
    }
  }

  get speakerFile(): string {
    return this.speakerPath;
  }
}

/** A setting: the stored preference, else mc/config, else "". */
function setting(storage: PreferenceStorage, key: string): string {
  const stored = storage.get(key);
  if (stored !== undefined) return stored;
  const value: unknown = (config as Record<string, unknown>)[key];
  return typeof value === "string" ? value : "";
}

export function createAudio(log: LogHost): DoorAudio | undefined {
  const storage = new PreferenceStorage(undefined, log);
  const mic = setting(storage, "mic");
  const speaker = setting(storage, "speaker");
  if (mic.trim() === "" && speaker.trim() === "") {
    log.log(LogLevel.Info, "audio: none (set mic=tone:HZ or a WAV path, speaker=a WAV path)");
    return undefined;
  }
  const audio = new FileAudio(log, mic, speaker.trim());
  log.log(LogLevel.Info, `audio: microphone ${audio.micDescription}, speaker ${audio.speakerFile !== "" ? audio.speakerFile : "none"}`);
  return audio;
}
