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
 *     longer 1400 Hz one, once;
 *   - Busy: 425 Hz, 0.5 s on, 0.5 s off (E.180 Suppl. 2, most of Europe),
 *     and BusyUs: 480 + 620 Hz, 0.5 s on, 0.5 s off (North America), four
 *     times: at the door, when a doorbell call reached nobody, so that the
 *     visitor knows nobody is coming.
 */
import { FRAME_SAMPLES } from "./g711";
import { MediaNumber, mediaNumbers, ToneField } from "./media-numbers";

export const enum Tone {
  None = 0,
  Ringback = 1,
  RingbackUs = 2,
  DoorOpen = 3,
  Busy = 4,
  BusyUs = 5,
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
/** Four cadences of busy tone (4 s), played once: the last silence left out. */
const BUSY = new Uint16Array([425, 0, 500, 0, 0, 500, 425, 0, 500, 0, 0, 500, 425, 0, 500, 0, 0, 500, 425, 0, 500]);
const BUSY_US = new Uint16Array([480, 620, 500, 0, 0, 500, 480, 620, 500, 0, 0, 500, 480, 620, 500, 0, 0, 500, 480, 620, 500]);

/** Peak amplitude of a single tone, and of each half of a dual tone (about -9 dBm0 in all). */
const LEVEL_SINGLE = 11000;
const LEVEL_DUAL = 6000;

function cadence(tone: Tone): Uint16Array | null {
  switch (tone) {
    case Tone.Ringback: return RINGBACK;
    case Tone.RingbackUs: return RINGBACK_US;
    case Tone.DoorOpen: return DOOR_OPEN;
    case Tone.Busy: return BUSY;
    case Tone.BusyUs: return BUSY_US;
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

/**
 * A tone's state is ToneField.Count numbers in the media's table
 * (media-numbers.ts) from `base` (CallMedia's two generators: LocalTone and
 * RemoteTone); fill() copies them into locals for the frame's 160 samples
 * and back at its end.
 */
export class ToneGenerator {
  private readonly n: Uint32Array;
  private readonly base: number;

  constructor(numbers?: Uint32Array, base: number = MediaNumber.LocalTone) {
    this.n = numbers !== undefined ? numbers : mediaNumbers();
    this.base = base;
    this.n[base + ToneField.Tone] = Tone.None;
  }

  get tone(): Tone {
    return this.n[this.base + ToneField.Tone]!;
  }

  get playing(): boolean {
    return this.n[this.base + ToneField.Tone] !== Tone.None;
  }

  /** Start `tone` from its beginning (Tone.None stops). */
  play(tone: Tone): void {
    const n = this.n;
    const b = this.base;
    const p = cadence(tone);
    n[b + ToneField.Tone] = p === null ? Tone.None : tone;
    n[b + ToneField.Phase1] = n[b + ToneField.Phase2] = 0;
    if (p !== null) this.enter(p, 0);
  }

  stop(): void {
    this.n[this.base + ToneField.Tone] = Tone.None;
  }

  /**
   * Write the next FRAME_SAMPLES samples of the tone into `frame`, or add
   * them (saturating) when `mix`. False, and the frame untouched, when no
   * tone plays.
   */
  fill(frame: Int16Array, mix: boolean): boolean {
    const n = this.n;
    const b = this.base;
    const tone = n[b + ToneField.Tone]!;
    // Most frames of a call have no tone: no cadence lookup for them.
    if (tone === Tone.None) return false;
    const p = cadence(tone);
    if (p === null) return false;
    const sine = SINE;
    let left = n[b + ToneField.Left]!;
    let phase1 = n[b + ToneField.Phase1]!;
    let phase2 = n[b + ToneField.Phase2]!;
    let step1 = n[b + ToneField.Step1]!;
    let step2 = n[b + ToneField.Step2]!;
    let level = n[b + ToneField.Level]!;
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      while (left === 0) {
        if (!this.next(p)) {
          // Finished: the rest of the frame is left as it was (or silent); a frame with none of the tone is no frame of it.
          n[b + ToneField.Left] = 0;
          n[b + ToneField.Phase1] = phase1;
          n[b + ToneField.Phase2] = phase2;
          if (i === 0) return false;
          if (!mix) for (let j = i; j < FRAME_SAMPLES; j++) frame[j] = 0;
          return true;
        }
        left = n[b + ToneField.Left]!;
        step1 = n[b + ToneField.Step1]!;
        step2 = n[b + ToneField.Step2]!;
        level = n[b + ToneField.Level]!;
      }
      left--;
      let s = 0;
      if (step1 !== 0) {
        s = (sine[phase1 >>> 24]! * level) >> 15;
        phase1 = (phase1 + step1) >>> 0;
        if (step2 !== 0) {
          s += (sine[phase2 >>> 24]! * level) >> 15;
          phase2 = (phase2 + step2) >>> 0;
        }
      }
      if (mix) {
        s += frame[i]!;
        s = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
      }
      frame[i] = s;
    }
    n[b + ToneField.Left] = left;
    n[b + ToneField.Phase1] = phase1;
    n[b + ToneField.Phase2] = phase2;
    return true;
  }

  private enter(p: Uint16Array, segment: number): void {
    const n = this.n;
    const b = this.base;
    n[b + ToneField.Segment] = segment;
    const f1 = p[segment * 3]!;
    const f2 = p[segment * 3 + 1]!;
    n[b + ToneField.Step1] = f1 === 0 ? 0 : phaseStep(f1);
    n[b + ToneField.Step2] = f2 === 0 ? 0 : phaseStep(f2);
    n[b + ToneField.Level] = f2 === 0 ? LEVEL_SINGLE : LEVEL_DUAL;
    n[b + ToneField.Left] = (p[segment * 3 + 2]! * SAMPLE_RATE) / 1000;
  }

  /** On to the next segment of cadence `p`; false when the tone is over. */
  private next(p: Uint16Array): boolean {
    const b = this.base;
    let s = this.n[b + ToneField.Segment]! + 1;
    if (s * 3 >= p.length) {
      if (!repeats(this.n[b + ToneField.Tone]!)) {
        this.stop();
        return false;
      }
      s = 0;
    }
    this.enter(p, s);
    return true;
  }
}
