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

export class JitterBuffer {
  readonly slots: number;
  readonly slotBytes: number;
  readonly minFrames: number;
  readonly maxFrames: number;
  /** Target delay, frames. */
  target = 2;
  /** Next timestamp to play. */
  playTs = 0;
  /** The first packets have come and `target` frames were buffered: play-out runs. */
  primed = false;
  /** Something was ever stored since the last reset. */
  active = false;
  /** Counters, for logs and RTCP. */
  late = 0;
  duplicates = 0;
  restarts = 0;
  /** Frames that found no data while playing (the caller conceals them). */
  missing = 0;
  /** Frames dropped to shrink the delay or catch up. */
  dropped = 0;
  /** Packets longer than half the buffer's span, cut (no G.711 ptime is that long). */
  truncated = 0;

  private readonly data: Uint8Array;
  private readonly tss: Uint32Array;
  private readonly lens: Uint16Array;
  /** One past the newest buffered timestamp. */
  private endTs = 0;
  private sinceLate = 0;
  private hold = 0;
  private lateRun = 0;
  private targetBeforeRun = 0;

  /**
   * With `store`, the buffer keeps its bytes (bytesFor(o) of them) at
   * `offset` (a multiple of 4) in its owner's buffer: in XS a typed array
   * costs 7 slots and a chunk of its own, a view of a shared ArrayBuffer 4
   * slots and no chunk.
   */
  constructor(o: JitterBufferOptions = {}, store?: ArrayBuffer, offset = 0) {
    this.slots = slotCount(o);
    this.slotBytes = slotSize(o);
    this.minFrames = o.minFrames !== undefined && o.minFrames >= 1 ? o.minFrames : 1;
    const max = o.maxFrames !== undefined && o.maxFrames >= this.minFrames ? o.maxFrames : 6;
    // The target can never exceed what the slots hold.
    this.maxFrames = max < this.slots - 2 ? max : this.slots - 2 > this.minFrames ? this.slots - 2 : this.minFrames;
    const b = store !== undefined ? store : new ArrayBuffer(JitterBuffer.bytesFor(o));
    const at = store !== undefined ? offset : 0;
    // Timestamps first: 32-bit, then 16-bit lengths, then the bytes.
    this.tss = new Uint32Array(b, at, this.slots);
    this.lens = new Uint16Array(b, at + 4 * this.slots, this.slots);
    this.data = new Uint8Array(b, at + 6 * this.slots, this.slots * this.slotBytes);
    this.target = 2 > this.maxFrames ? this.maxFrames : 2 < this.minFrames ? this.minFrames : 2;
  }

  /** The bytes a buffer with options `o` keeps, rounded up to a multiple of 4. */
  static bytesFor(o: JitterBufferOptions = {}): number {
    const slots = slotCount(o);
    return (6 * slots + slots * slotSize(o) + 3) & ~3;
  }

  /** Forget everything (a new call); the target goes back to its start value. */
  reset(): void {
    this.clear();
    this.target = 2 > this.maxFrames ? this.maxFrames : 2 < this.minFrames ? this.minFrames : 2;
    this.late = this.duplicates = this.restarts = this.missing = this.dropped = this.truncated = 0;
    this.active = false;
    this.sinceLate = 0;
  }

  private clear(): void {
    const lens = this.lens;
    for (let i = 0; i < lens.length; i++) lens[i] = 0;
    this.primed = false;
    this.hold = 0;
    this.lateRun = 0;
  }

  /** Buffered span: from the play-out point to the end of the newest packet, samples. */
  get depth(): number {
    return this.active ? (this.endTs - this.playTs) | 0 : 0;
  }

  /** Take a packet's payload: `length` bytes of `buf` from `start`, for timestamp `ts`. */
  put(ts: number, buf: Uint8Array, start: number, length: number, marker: boolean): JitterPut {
    if (length <= 0) return JitterPut.Empty;
    ts = ts >>> 0;
    let result = JitterPut.Stored;
    if (!this.active) {
      this.active = true;
      this.restartAt(ts);
    } else {
      const ahead = (ts - this.playTs) | 0;
      if (ahead < -RESTART_SPAN || ahead > RESTART_SPAN) {
        this.restarts++;
        this.restartAt(ts);
        result = JitterPut.Restarted;
      } else if (!this.primed) {
        // Filling up: play from the earliest packet (reordered ones included, or the first after silence).
        if (this.empty()) this.restartAt(ts);
        else if (ahead < 0) this.playTs = ts;
      } else if (marker && ahead > 0 && this.empty()) {
        // A new talkspurt after silence: give it the target delay from its start.
        this.restartAt(ts);
      } else if (ahead < 0) {
        this.late++;
        this.sinceLate = 0;
        if (this.lateRun === 0) this.targetBeforeRun = this.target;
        if (++this.lateRun >= LATE_RUN_RESTART) {
          // Not jitter: undo what the run did to the target.
          this.restarts++;
          this.target = this.targetBeforeRun;
          this.restartAt(ts);
          result = JitterPut.Restarted;
        } else {
          if (this.target < this.maxFrames) {
            this.target++;
            this.hold++;
          }
          return JitterPut.Late;
        }
      }
    }
    this.lateRun = 0;
    const span = this.slots * FRAME_SAMPLES;
    let n = length;
    if (n > span >> 1) {
      n = span >> 1;
      this.truncated++;
    }
    // A packet beyond what the slots can hold pushes the play-out point forward.
    const over = ((ts + n) - this.playTs - span) | 0;
    if (over > 0) {
      this.playTs = (this.playTs + over) >>> 0;
      this.dropped += Math.ceil(over / FRAME_SAMPLES);
    }
    // One slot per piece; a duplicate is known by its first piece.
    const size = this.slotBytes;
    const first = this.store(ts, buf, start, n < size ? n : size);
    if (first === JitterPut.Duplicate) return first;
    for (let at = size; at < n; at += size) this.store((ts + at) >>> 0, buf, start + at, n - at < size ? n - at : size);
    return result;
  }

  /** One piece of at most a slot: `n` bytes of `buf` from `start`, for timestamp `ts`. */
  private store(ts: number, buf: Uint8Array, start: number, n: number): JitterPut {
    const tss = this.tss;
    const lens = this.lens;
    let free = -1;
    for (let i = 0; i < this.slots; i++) {
      if (lens[i] === 0) {
        if (free < 0) free = i;
        continue;
      }
      if (tss[i] === ts) {
        this.duplicates++;
        return JitterPut.Duplicate;
      }
      // Played out already: the slot is free again.
      if ((((tss[i]! + lens[i]!) >>> 0) - this.playTs | 0) <= 0) {
        lens[i] = 0;
        if (free < 0) free = i;
      }
    }
    if (free < 0) free = this.oldest();
    const data = this.data;
    const base = free * this.slotBytes;
    for (let i = 0; i < n; i++) data[base + i] = buf[start + i]!;
    tss[free] = ts;
    lens[free] = n;
    const end = (ts + n) >>> 0;
    if (((end - this.endTs) | 0) > 0) this.endTs = end;
    return JitterPut.Stored;
  }

  /**
   * The next frame: FRAME_SAMPLES bytes into `out` from `at`, where no
   * packet covers a sample `silence` is written. Returns how many samples
   * were covered (0: a lost frame, to conceal), or -1 while nothing plays
   * (no stream, or still filling up: play silence, this is no loss).
   */
  get(out: Uint8Array, at: number, silence: number): number {
    if (!this.active) return -1;
    if (!this.primed) {
      if (this.depth < this.target * FRAME_SAMPLES) return -1;
      this.primed = true;
    }
    if (this.hold > 0) {
      // A late packet raised the target: one frame of concealment adds the delay.
      this.hold--;
      this.missing++;
      return 0;
    }
    this.sinceLate++;
    if (this.sinceLate >= SHRINK_AFTER && this.target > this.minFrames) {
      this.sinceLate = 0;
      this.target--;
      if (this.depth > (this.target + 1) * FRAME_SAMPLES) this.skip();
    } else if (this.depth > (this.target + 3) * FRAME_SAMPLES) {
      this.skip();
    }
    const covered = this.copy(this.playTs, out, at, silence);
    this.playTs = (this.playTs + FRAME_SAMPLES) >>> 0;
    if (covered === 0) this.missing++;
    if (this.depth <= 0 && covered === 0) {
      // Ran dry: wait for the target again (the next packet re-primes).
      this.primed = false;
      this.endTs = this.playTs;
    }
    return covered;
  }

  private skip(): void {
    this.playTs = (this.playTs + FRAME_SAMPLES) >>> 0;
    this.dropped++;
  }

  /** Copy the samples of [from, from + FRAME_SAMPLES) that some packet covers. */
  private copy(from: number, out: Uint8Array, at: number, silence: number): number {
    for (let i = 0; i < FRAME_SAMPLES; i++) out[at + i] = silence;
    let covered = 0;
    const tss = this.tss;
    const lens = this.lens;
    const data = this.data;
    for (let s = 0; s < this.slots; s++) {
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
      const base = s * this.slotBytes - rel;
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

  private oldest(): number {
    let best = 0;
    for (let i = 1; i < this.slots; i++) if (((this.tss[i]! - this.tss[best]!) | 0) < 0) best = i;
    return best;
  }

  private restartAt(ts: number): void {
    this.clear();
    this.playTs = ts;
    this.endTs = ts;
  }
}
