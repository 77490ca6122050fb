/*
 * A small adaptive jitter buffer for G.711 (RFC 3550 §6.4.1 names the
 * problem; the method is the usual one). Packets are kept by RTP timestamp
 * in a fixed set of slots (their bytes copied into one preallocated array);
 * the media clock takes one 20 ms frame every 20 ms from the play-out point
 * `playTs`, which runs `target` frames behind the newest packet.
 *
 * Adaptation:
 *   - start (and each talkspurt after silence, RFC 3551 §4.1's marker bit):
 *     nothing is played until `target` frames are buffered;
 *   - a packet that comes after its time was played out is late: it is
 *     dropped, the target grows by one frame (up to `maxFrames`) and one
 *     frame of concealment is inserted, so the delay actually grows;
 *   - after 5 s without a late packet the target shrinks by one frame (down
 *     to `minFrames`), dropping one frame of play-out;
 *   - more than three frames above the target (a burst after a stall) drops
 *     a frame to catch up;
 *   - eight late packets in a row mean the sender's timeline moved back (a
 *     new source after a transfer, a reset clock): play-out starts again
 *     from them.
 *
 * Timestamps are unsigned 32-bit and wrap; differences are taken as signed
 * 32-bit numbers (`| 0`). Nothing here allocates after construction.
 */
import { FRAME_SAMPLES } from "./g711";
import { MediaNumber as N, mediaNumbers } from "./media-numbers";

export const enum JitterPut {
  Stored = 0,
  /** Its play-out time has passed. */
  Late = 1,
  /** The same timestamp is already buffered. */
  Duplicate = 2,
  /** Too far ahead or behind: the stream restarted from this packet. */
  Restarted = 3,
  /** Empty payload. */
  Empty = 4,
}

export interface JitterBufferOptions {
  /** Slots (default 10: 200 ms of 20 ms frames, the 120 ms maximum target and the 3 frames of a burst above it). */
  slots?: number;
  /** Bytes (samples) per slot (default 160: one 20 ms frame; a longer packet takes several slots). */
  slotBytes?: number;
  /** Target delay bounds, frames of 20 ms (default 1 and 6); the start target is 2. */
  minFrames?: number;
  maxFrames?: number;
}

/** Frames (of 20 ms) without a late packet before the target may shrink: 5 s. */
const SHRINK_AFTER = 250;
/** A timestamp jump this large (in either direction) is a new stream: 10 s at 8 kHz. */
const RESTART_SPAN = 80000;
/** Late packets in a row that mean the sender's timeline moved back (a new source, a jump): start again from them. */
const LATE_RUN_RESTART = 8;

function slotCount(o: JitterBufferOptions): number {
  return o.slots !== undefined && o.slots >= 2 ? Math.floor(o.slots) : 10;
}

function slotSize(o: JitterBufferOptions): number {
  return o.slotBytes !== undefined && o.slotBytes >= FRAME_SAMPLES ? Math.floor(o.slotBytes) : FRAME_SAMPLES;
}

/**
 * The buffer's settings, play-out state and counters are in the media's
 * table (media-numbers.ts): the accessors below read them by name; the
 * per-packet methods read the table itself and keep what a loop needs in
 * locals.
 */
export class JitterBuffer {
  private readonly n: Uint32Array;
  private readonly data: Uint8Array;
  private readonly tss: Uint32Array;
  private readonly lens: Uint16Array;

  /**
   * With `store`, the buffer keeps its bytes (bytesFor(o) of them) at
   * `offset` (a multiple of 4) in its owner's buffer: in XS a typed array
   * costs 7 slots and a chunk of its own, a view of a shared ArrayBuffer 4
   * slots and no chunk. `numbers` is the media's table (its owner's).
   */
  constructor(o: JitterBufferOptions = {}, store?: ArrayBuffer, offset = 0, numbers?: Uint32Array) {
    const n = numbers !== undefined ? numbers : mediaNumbers();
    this.n = n;
    const slots = slotCount(o);
    n[N.JitterSlots] = slots;
    n[N.JitterSlotBytes] = slotSize(o);
    // Whole frames (the table keeps 32-bit integers).
    const min = o.minFrames !== undefined && o.minFrames >= 1 ? Math.floor(o.minFrames) : 1;
    n[N.JitterMinFrames] = min;
    const max = o.maxFrames !== undefined && o.maxFrames >= min ? Math.floor(o.maxFrames) : 6;
    // The target can never exceed what the slots hold.
    n[N.JitterMaxFrames] = max < slots - 2 ? max : slots - 2 > min ? slots - 2 : min;
    const b = store !== undefined ? store : new ArrayBuffer(JitterBuffer.bytesFor(o));
    const at = store !== undefined ? offset : 0;
    // Timestamps first: 32-bit, then 16-bit lengths, then the bytes.
    this.tss = new Uint32Array(b, at, slots);
    this.lens = new Uint16Array(b, at + 4 * slots, slots);
    this.data = new Uint8Array(b, at + 6 * slots, slots * n[N.JitterSlotBytes]!);
    this.reset();
  }

  /** The bytes a buffer with options `o` keeps, rounded up to a multiple of 4. */
  static bytesFor(o: JitterBufferOptions = {}): number {
    const slots = slotCount(o);
    return (6 * slots + slots * slotSize(o) + 3) & ~3;
  }

  get slots(): number {
    return this.n[N.JitterSlots]!;
  }
  get slotBytes(): number {
    return this.n[N.JitterSlotBytes]!;
  }
  get minFrames(): number {
    return this.n[N.JitterMinFrames]!;
  }
  get maxFrames(): number {
    return this.n[N.JitterMaxFrames]!;
  }
  /** Target delay, frames. */
  get target(): number {
    return this.n[N.JitterTarget]!;
  }
  set target(v: number) {
    this.n[N.JitterTarget] = v;
  }
  /** Next timestamp to play. */
  get playTs(): number {
    return this.n[N.JitterPlayTs]!;
  }
  /** The first packets have come and `target` frames were buffered: play-out runs. */
  get primed(): boolean {
    return this.n[N.JitterPrimed] !== 0;
  }
  /** Something was ever stored since the last reset. */
  get active(): boolean {
    return this.n[N.JitterActive] !== 0;
  }
  /** Counters, for logs and RTCP. */
  get late(): number {
    return this.n[N.JitterLate]!;
  }
  get duplicates(): number {
    return this.n[N.JitterDuplicates]!;
  }
  get restarts(): number {
    return this.n[N.JitterRestarts]!;
  }
  /** Frames that found no data while playing (the caller conceals them). */
  get missing(): number {
    return this.n[N.JitterMissing]!;
  }
  /** Frames dropped to shrink the delay or catch up. */
  get dropped(): number {
    return this.n[N.JitterDropped]!;
  }
  /** Packets longer than half the buffer's span, cut (no G.711 ptime is that long). */
  get truncated(): number {
    return this.n[N.JitterTruncated]!;
  }

  /** Forget everything (a new call); the target goes back to its start value. */
  reset(): void {
    const n = this.n;
    this.clear(n);
    const min = n[N.JitterMinFrames]!;
    const max = n[N.JitterMaxFrames]!;
    n[N.JitterTarget] = 2 > max ? max : 2 < min ? min : 2;
    n[N.JitterLate] = n[N.JitterDuplicates] = n[N.JitterRestarts] = n[N.JitterMissing] = n[N.JitterDropped] = n[N.JitterTruncated] = 0;
    n[N.JitterActive] = 0;
    n[N.JitterSinceLate] = 0;
  }

  private clear(n: Uint32Array): void {
    const lens = this.lens;
    for (let i = 0; i < lens.length; i++) lens[i] = 0;
    n[N.JitterPrimed] = 0;
    n[N.JitterHold] = 0;
    n[N.JitterLateRun] = 0;
  }

  /** Buffered span: from the play-out point to the end of the newest packet, samples. */
  get depth(): number {
    const n = this.n;
    return n[N.JitterActive] !== 0 ? (n[N.JitterEndTs]! - n[N.JitterPlayTs]!) | 0 : 0;
  }

  /** Take a packet's payload: `length` bytes of `buf` from `start`, for timestamp `ts`. */
  put(ts: number, buf: Uint8Array, start: number, length: number, marker: boolean): JitterPut {
    if (length <= 0) return JitterPut.Empty;
    const n = this.n;
    ts = ts >>> 0;
    let result = JitterPut.Stored;
    if (n[N.JitterActive] === 0) {
      n[N.JitterActive] = 1;
      this.restartAt(n, ts);
    } else {
      const ahead = (ts - n[N.JitterPlayTs]!) | 0;
      if (ahead < -RESTART_SPAN || ahead > RESTART_SPAN) {
        n[N.JitterRestarts]++;
        this.restartAt(n, ts);
        result = JitterPut.Restarted;
      } else if (n[N.JitterPrimed] === 0) {
        // Filling up: play from the earliest packet (reordered ones included, or the first after silence).
        if (this.empty()) this.restartAt(n, ts);
        else if (ahead < 0) n[N.JitterPlayTs] = ts;
      } else if (marker && ahead > 0 && this.empty()) {
        // A new talkspurt after silence: give it the target delay from its start.
        this.restartAt(n, ts);
      } else if (ahead < 0) {
        n[N.JitterLate]++;
        n[N.JitterSinceLate] = 0;
        if (n[N.JitterLateRun] === 0) n[N.JitterTargetBeforeRun] = n[N.JitterTarget]!;
        n[N.JitterLateRun]++;
        if (n[N.JitterLateRun]! >= LATE_RUN_RESTART) {
          // Not jitter: undo what the run did to the target.
          n[N.JitterRestarts]++;
          n[N.JitterTarget] = n[N.JitterTargetBeforeRun]!;
          this.restartAt(n, ts);
          result = JitterPut.Restarted;
        } else {
          if (n[N.JitterTarget]! < n[N.JitterMaxFrames]!) {
            n[N.JitterTarget]++;
            n[N.JitterHold]++;
          }
          return JitterPut.Late;
        }
      }
    }
    n[N.JitterLateRun] = 0;
    const span = n[N.JitterSlots]! * FRAME_SAMPLES;
    let size = length;
    if (size > span >> 1) {
      size = span >> 1;
      n[N.JitterTruncated]++;
    }
    // A packet beyond what the slots can hold pushes the play-out point forward.
    const playTs = n[N.JitterPlayTs]!;
    const over = ((ts + size) - playTs - span) | 0;
    if (over > 0) {
      n[N.JitterPlayTs] = (playTs + over) >>> 0;
      n[N.JitterDropped] += Math.ceil(over / FRAME_SAMPLES);
    }
    // One slot per piece; a duplicate is known by its first piece.
    const slotBytes = n[N.JitterSlotBytes]!;
    const first = this.store(n, ts, buf, start, size < slotBytes ? size : slotBytes);
    if (first === JitterPut.Duplicate) return first;
    for (let at = slotBytes; at < size; at += slotBytes) this.store(n, (ts + at) >>> 0, buf, start + at, size - at < slotBytes ? size - at : slotBytes);
    return result;
  }

  /** One piece of at most a slot: `count` bytes of `buf` from `start`, for timestamp `ts`. */
  private store(n: Uint32Array, ts: number, buf: Uint8Array, start: number, count: number): JitterPut {
    const tss = this.tss;
    const lens = this.lens;
    const slots = n[N.JitterSlots]!;
    const playTs = n[N.JitterPlayTs]!;
    let free = -1;
    for (let i = 0; i < slots; i++) {
      if (lens[i] === 0) {
        if (free < 0) free = i;
        continue;
      }
      if (tss[i] === ts) {
        n[N.JitterDuplicates]++;
        return JitterPut.Duplicate;
      }
      // Played out already: the slot is free again.
      if ((((tss[i]! + lens[i]!) >>> 0) - playTs | 0) <= 0) {
        lens[i] = 0;
        if (free < 0) free = i;
      }
    }
    if (free < 0) free = this.oldest(slots);
    const data = this.data;
    const base = free * n[N.JitterSlotBytes]!;
    for (let i = 0; i < count; i++) data[base + i] = buf[start + i]!;
    tss[free] = ts;
    lens[free] = count;
    const end = (ts + count) >>> 0;
    if (((end - n[N.JitterEndTs]!) | 0) > 0) n[N.JitterEndTs] = end;
    return JitterPut.Stored;
  }

  /**
   * The next frame: FRAME_SAMPLES bytes into `out` from `at`, where no
   * packet covers a sample `silence` is written. Returns how many samples
   * were covered (0: a lost frame, to conceal), or -1 while nothing plays
   * (no stream, or still filling up: play silence, this is no loss).
   */
  get(out: Uint8Array, at: number, silence: number): number {
    const n = this.n;
    if (n[N.JitterActive] === 0) return -1;
    if (n[N.JitterPrimed] === 0) {
      if (((n[N.JitterEndTs]! - n[N.JitterPlayTs]!) | 0) < n[N.JitterTarget]! * FRAME_SAMPLES) return -1;
      n[N.JitterPrimed] = 1;
    }
    if (n[N.JitterHold]! > 0) {
      // A late packet raised the target: one frame of concealment adds the delay.
      n[N.JitterHold]--;
      n[N.JitterMissing]++;
      return 0;
    }
    const sinceLate = n[N.JitterSinceLate]! + 1;
    n[N.JitterSinceLate] = sinceLate;
    const target = n[N.JitterTarget]!;
    const depth = (n[N.JitterEndTs]! - n[N.JitterPlayTs]!) | 0;
    if (sinceLate >= SHRINK_AFTER && target > n[N.JitterMinFrames]!) {
      n[N.JitterSinceLate] = 0;
      n[N.JitterTarget] = target - 1;
      if (depth > target * FRAME_SAMPLES) this.skip(n);
    } else if (depth > (target + 3) * FRAME_SAMPLES) {
      this.skip(n);
    }
    const playTs = n[N.JitterPlayTs]!;
    const covered = this.copy(n, playTs, out, at, silence);
    const next = (playTs + FRAME_SAMPLES) >>> 0;
    n[N.JitterPlayTs] = next;
    if (covered === 0) {
      n[N.JitterMissing]++;
      if (((n[N.JitterEndTs]! - next) | 0) <= 0) {
        // Ran dry: wait for the target again (the next packet re-primes).
        n[N.JitterPrimed] = 0;
        n[N.JitterEndTs] = next;
      }
    }
    return covered;
  }

  private skip(n: Uint32Array): void {
    n[N.JitterPlayTs] = (n[N.JitterPlayTs]! + FRAME_SAMPLES) >>> 0;
    n[N.JitterDropped]++;
  }

  /** Copy the samples of [from, from + FRAME_SAMPLES) that some packet covers. */
  private copy(n: Uint32Array, from: number, out: Uint8Array, at: number, silence: number): number {
    for (let i = 0; i < FRAME_SAMPLES; i++) out[at + i] = silence;
    let covered = 0;
    const tss = this.tss;
    const lens = this.lens;
    const data = this.data;
    const slots = n[N.JitterSlots]!;
    const slotBytes = n[N.JitterSlotBytes]!;
    for (let s = 0; s < slots; s++) {
      const len = lens[s]!;
      if (len === 0) continue;
      // Overlap of the packet [ts, ts+len) with the frame [from, from+160), relative to `from`.
      const rel = (tss[s]! - from) | 0;
      const lo = rel > 0 ? rel : 0;
      const hi = rel + len < FRAME_SAMPLES ? rel + len : FRAME_SAMPLES;
      if (hi <= lo) {
        if (rel + len <= 0) lens[s] = 0; // wholly played: free
        continue;
      }
      const base = s * slotBytes - rel;
      for (let i = lo; i < hi; i++) out[at + i] = data[base + i]!;
      covered += hi - lo;
      if (rel + len <= FRAME_SAMPLES) lens[s] = 0;
    }
    return covered;
  }

  private empty(): boolean {
    const lens = this.lens;
    for (let i = 0; i < lens.length; i++) if (lens[i] !== 0) return false;
    return true;
  }

  private oldest(slots: number): number {
    const tss = this.tss;
    let best = 0;
    for (let i = 1; i < slots; i++) if (((tss[i]! - tss[best]!) | 0) < 0) best = i;
    return best;
  }

  private restartAt(n: Uint32Array, ts: number): void {
    this.clear(n);
    n[N.JitterPlayTs] = ts;
    n[N.JitterEndTs] = ts;
  }
}
