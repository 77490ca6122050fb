/*
 * Call-progress and confirmation tones, made from one fixed sine table and a
 * phase accumulator per frequency (direct digital synthesis): no Math.sin
 * per sample, no floating point per sample, nothing allocated.
 *
 * The tones (each a cadence of segments: two frequencies, or silence, for
 * so many ms):
 *   - Ringback: 425 Hz, 1 s on, 4 s off (ITU-T E.180 Suppl. 2, most of
 *     Europe), repeated;
 *   - RingbackUs: 440 + 480 Hz, 2 s on, 4 s off (ANSI T1.401 / E.180 for
 *     North America), repeated;
 *   - DoorOpen: the door-open confirmation, two short 1000 Hz beeps and a
 *     longer 1400 Hz one, once.
 */
import { FRAME_SAMPLES } from "./g711";

export const enum Tone {
  None = 0,
  Ringback = 1,
  RingbackUs = 2,
  DoorOpen = 3,
}

export const SAMPLE_RATE = 8000;
const TABLE_BITS = 8;
const TABLE_SIZE = 1 << TABLE_BITS;

/** One period of a sine, full scale; built once at load (preloaded into flash on the device). */
function buildSine(): Int16Array {
  const t = new Int16Array(TABLE_SIZE);
  for (let i = 0; i < TABLE_SIZE; i++) t[i] = Math.round(32767 * Math.sin((2 * Math.PI * i) / TABLE_SIZE));
  return t;
}
export const SINE: Int16Array = buildSine();

/** Cadences: [frequency 1, frequency 2 (0 = none), milliseconds] per segment; frequency 0 is silence. */
const RINGBACK = new Uint16Array([425, 0, 1000, 0, 0, 4000]);
const RINGBACK_US = new Uint16Array([440, 480, 2000, 0, 0, 4000]);
const DOOR_OPEN = new Uint16Array([1000, 0, 120, 0, 0, 80, 1000, 0, 120, 0, 0, 80, 1400, 0, 400]);

/** Peak amplitude of a single tone, and of each half of a dual tone (about -9 dBm0 in all). */
const LEVEL_SINGLE = 11000;
const LEVEL_DUAL = 6000;

function cadence(tone: Tone): Uint16Array | null {
  switch (tone) {
    case Tone.Ringback: return RINGBACK;
    case Tone.RingbackUs: return RINGBACK_US;
    case Tone.DoorOpen: return DOOR_OPEN;
    default: return null;
  }
}

function repeats(tone: Tone): boolean {
  return tone === Tone.Ringback || tone === Tone.RingbackUs;
}

/** The phase step of `hz` for a 32-bit accumulator at 8 kHz. */
function phaseStep(hz: number): number {
  return Math.round((hz * 4294967296) / SAMPLE_RATE) >>> 0;
}

export class ToneGenerator {
  tone: Tone = Tone.None;
  private pattern: Uint16Array | null = null;
  private segment = 0;
  private left = 0;
  private phase1 = 0;
  private phase2 = 0;
  private step1 = 0;
  private step2 = 0;
  private level = 0;

  get playing(): boolean {
    return this.tone !== Tone.None;
  }

  /** Start `tone` from its beginning (Tone.None stops). */
  play(tone: Tone): void {
    this.pattern = cadence(tone);
    this.tone = this.pattern === null ? Tone.None : tone;
    this.phase1 = this.phase2 = 0;
    if (this.pattern !== null) this.enter(0);
  }

  stop(): void {
    this.tone = Tone.None;
    this.pattern = null;
  }

  /**
   * Write the next FRAME_SAMPLES samples of the tone into `frame`, or add
   * them (saturating) when `mix`. False, and the frame untouched, when no
   * tone plays.
   */
  fill(frame: Int16Array, mix: boolean): boolean {
    if (this.pattern === null) return false;
    const sine = SINE;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      while (this.left === 0) {
        if (!this.next()) {
          // Finished: the rest of the frame is left as it was (or silent); a frame with none of the tone is no frame of it.
          if (i === 0) return false;
          if (!mix) for (let j = i; j < FRAME_SAMPLES; j++) frame[j] = 0;
          return true;
        }
      }
      this.left--;
      let s = 0;
      if (this.step1 !== 0) {
        s = (sine[this.phase1 >>> 24]! * this.level) >> 15;
        this.phase1 = (this.phase1 + this.step1) >>> 0;
        if (this.step2 !== 0) {
          s += (sine[this.phase2 >>> 24]! * this.level) >> 15;
          this.phase2 = (this.phase2 + this.step2) >>> 0;
        }
      }
      if (mix) {
        s += frame[i]!;
        s = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
      }
      frame[i] = s;
    }
    return true;
  }

  private enter(segment: number): void {
    const p = this.pattern!;
    this.segment = segment;
    const f1 = p[segment * 3]!;
    const f2 = p[segment * 3 + 1]!;
    this.step1 = f1 === 0 ? 0 : phaseStep(f1);
    this.step2 = f2 === 0 ? 0 : phaseStep(f2);
    this.level = f2 === 0 ? LEVEL_SINGLE : LEVEL_DUAL;
    this.left = (p[segment * 3 + 2]! * SAMPLE_RATE) / 1000;
  }

  /** On to the next segment; false when the tone is over. */
  private next(): boolean {
    const p = this.pattern;
    if (p === null) return false;
    let s = this.segment + 1;
    if (s * 3 >= p.length) {
      if (!repeats(this.tone)) {
        this.stop();
        return false;
      }
      s = 0;
    }
    this.enter(s);
    return true;
  }
}
