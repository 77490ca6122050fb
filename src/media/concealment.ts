/*
 * Packet-loss concealment for G.711, the simple kind (in the spirit of
 * ITU-T G.711 Appendix I, without its pitch search): a lost frame repeats
 * the last good one; each further lost frame repeats it at half the level
 * (-6 dB), so a long gap fades to silence instead of buzzing. The next good
 * frame starts again at full level.
 */
import { FRAME_SAMPLES } from "./g711";
import { MediaNumber as N, mediaNumbers } from "./media-numbers";

/** Consecutive concealed frames before the output is silent (1 + 5 halvings: 120 ms). */
const MAX_CONCEALED = 6;

/** The bytes a Concealment keeps (for an owner's shared buffer). */
export const CONCEALMENT_BYTES = 2 * FRAME_SAMPLES;

/** Its three numbers are in the media's table (media-numbers.ts). */
export class Concealment {
  private readonly last: Int16Array;
  private readonly n: Uint32Array;

  /** With `store`, the last frame is kept at `offset` (even) in it (a view: see JitterBuffer); `numbers` is the media's table. */
  constructor(store?: ArrayBuffer, offset = 0, numbers?: Uint32Array) {
    this.last = store !== undefined ? new Int16Array(store, offset, FRAME_SAMPLES) : new Int16Array(FRAME_SAMPLES);
    this.n = numbers !== undefined ? numbers : mediaNumbers();
    this.reset();
  }

  /** Frames concealed, for statistics. */
  get concealed(): number {
    return this.n[N.ConcealConcealed]!;
  }

  reset(): void {
    const n = this.n;
    n[N.ConcealLost] = 0;
    n[N.ConcealHaveLast] = 0;
    n[N.ConcealConcealed] = 0;
  }

  /** A good frame was played: remember it. */
  good(frame: Int16Array): void {
    const last = this.last;
    for (let i = 0; i < FRAME_SAMPLES; i++) last[i] = frame[i]!;
    const n = this.n;
    n[N.ConcealLost] = 0;
    n[N.ConcealHaveLast] = 1;
  }

  /** Fill `frame` for a lost one: repeat, then attenuate. */
  conceal(frame: Int16Array): void {
    const n = this.n;
    n[N.ConcealConcealed]++;
    const shift = n[N.ConcealLost]!;
    if (shift < MAX_CONCEALED) n[N.ConcealLost] = shift + 1;
    if (n[N.ConcealHaveLast] === 0 || shift >= MAX_CONCEALED) {
      for (let i = 0; i < FRAME_SAMPLES; i++) frame[i] = 0;
      return;
    }
    const last = this.last;
    for (let i = 0; i < FRAME_SAMPLES; i++) frame[i] = last[i]! >> shift;
  }
}
