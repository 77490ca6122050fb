/*
 * Packet-loss concealment for G.711, the simple kind (in the spirit of
 * ITU-T G.711 Appendix I, without its pitch search): a lost frame repeats
 * the last good one; each further lost frame repeats it at half the level
 * (-6 dB), so a long gap fades to silence instead of buzzing. The next good
 * frame starts again at full level.
 */
import { FRAME_SAMPLES } from "./g711";

/** Consecutive concealed frames before the output is silent (1 + 5 halvings: 120 ms). */
const MAX_CONCEALED = 6;

/** The bytes a Concealment keeps (for an owner's shared buffer). */
export const CONCEALMENT_BYTES = 2 * FRAME_SAMPLES;

export class Concealment {
  private readonly last: Int16Array;
  private lost = 0;
  private haveLast = false;
  /** Frames concealed, for statistics. */
  concealed = 0;

  /** With `store`, the last frame is kept at `offset` (even) in it (a view: see JitterBuffer). */
  constructor(store?: ArrayBuffer, offset = 0) {
    this.last = store !== undefined ? new Int16Array(store, offset, FRAME_SAMPLES) : new Int16Array(FRAME_SAMPLES);
  }

  reset(): void {
    this.lost = 0;
    this.haveLast = false;
    this.concealed = 0;
  }

  /** A good frame was played: remember it. */
  good(frame: Int16Array): void {
    const last = this.last;
    for (let i = 0; i < FRAME_SAMPLES; i++) last[i] = frame[i]!;
    this.lost = 0;
    this.haveLast = true;
  }

  /** Fill `frame` for a lost one: repeat, then attenuate. */
  conceal(frame: Int16Array): void {
    this.concealed++;
    const shift = this.lost;
    if (this.lost < MAX_CONCEALED) this.lost++;
    if (!this.haveLast || shift >= MAX_CONCEALED) {
      for (let i = 0; i < FRAME_SAMPLES; i++) frame[i] = 0;
      return;
    }
    const last = this.last;
    for (let i = 0; i < FRAME_SAMPLES; i++) frame[i] = last[i]! >> shift;
  }
}
