/*
 * The door's microphone and speaker on a computer: the microphone is a WAV
 * file (looped) or a generated tone, the speaker a WAV file; both at the
 * core's 8 kHz, 16-bit mono, 20 ms per call. `doorsip run --mic FILE.wav|
 * tone:HZ --speaker OUT.wav` builds one with fileAudio().
 */
import type { AudioHost } from "../../../src/host";
import { DOOR_RATE, readWav, WavError, WavWriter } from "./wav";

/** Where the microphone's samples come from. */
export interface MicSource {
  /** Fill `frame`; false when there is nothing (silence is sent). */
  read(frame: Int16Array): boolean;
  readonly description: string;
}

/** A sine of `hz` at `level` (peak, 0..32767), continuous in phase across frames. */
export class ToneMic implements MicSource {
  private phase = 0;
  constructor(readonly hz: number, private readonly level = 10000) {}
  get description(): string {
    return `a ${this.hz} Hz tone`;
  }
  read(frame: Int16Array): boolean {
    const step = (2 * Math.PI * this.hz) / DOOR_RATE;
    for (let i = 0; i < frame.length; i++) {
      frame[i] = Math.round(this.level * Math.sin(this.phase));
      this.phase += step;
      if (this.phase > 2 * Math.PI) this.phase -= 2 * Math.PI;
    }
    return true;
  }
}

/** Samples (already 8 kHz mono), played in a loop. */
export class LoopMic implements MicSource {
  private at = 0;
  constructor(private readonly samples: Int16Array, readonly description: string) {}
  read(frame: Int16Array): boolean {
    const s = this.samples;
    if (s.length === 0) return false;
    for (let i = 0; i < frame.length; i++) {
      frame[i] = s[this.at]!;
      this.at = this.at + 1 < s.length ? this.at + 1 : 0;
    }
    return true;
  }
}

export class FileAudio implements AudioHost {
  /** Frames captured and played, for logs and tests. */
  captured = 0;
  played = 0;
  constructor(readonly mic: MicSource | null, readonly speaker: WavWriter | null) {}
  capture(frame: Int16Array): boolean {
    if (this.mic === null) return false;
    this.captured++;
    return this.mic.read(frame);
  }
  play(frame: Int16Array): void {
    this.played++;
    this.speaker?.write(frame);
  }
  close(): void {
    this.speaker?.close();
  }
}

/** "tone:HZ" or a WAV path → a microphone; throws WavError with a clear message. */
export function parseMic(spec: string): MicSource {
  const m = /^tone:(\d+(?:\.\d+)?)$/.exec(spec);
  if (m !== null) {
    const hz = Number(m[1]);
    if (!(hz > 0 && hz < DOOR_RATE / 2)) throw new WavError(`--mic ${spec}: the tone must be between 0 and ${DOOR_RATE / 2} Hz`);
    return new ToneMic(hz);
  }
  if (spec.startsWith("tone:")) throw new WavError(`--mic ${spec}: expected tone:HZ, e.g. tone:440`);
  const { info, samples } = readWav(spec);
  const converted = info.sampleRate !== DOOR_RATE || info.channels !== 1 ? ` (converted from ${info.sampleRate} Hz, ${info.channels} channel${info.channels > 1 ? "s" : ""})` : "";
  return new LoopMic(samples, `${spec}${converted}`);
}

/** The audio host for `--mic` / `--speaker`, or undefined when neither is given. */
export function fileAudio(mic: string | undefined, speaker: string | undefined): FileAudio | undefined {
  if (mic === undefined && speaker === undefined) return undefined;
  return new FileAudio(mic !== undefined ? parseMic(mic) : null, speaker !== undefined ? new WavWriter(speaker) : null);
}
