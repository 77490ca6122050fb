/*
 * Receiver statistics of one RTP source, as RFC 3550 computes them for the
 * reception report (§6.4.1): the sequence number bookkeeping of Appendix A.1
 * (probation, wrap-around cycles, restart on a large jump), the expected and
 * lost counts and the loss fraction of A.3, and the interarrival jitter of
 * A.8, all in plain numbers (32-bit, as the RFC's code keeps them), in the
 * media's table (media-numbers.ts).
 */
import { MediaNumber as N, mediaNumbers } from "./media-numbers";

const RTP_SEQ_MOD = 65536;
/** A.1: a jump of more than this many packets is a restart, not loss. */
const MAX_DROPOUT = 3000;
/** A.1: packets that far behind are taken as duplicates or very late ones. */
const MAX_MISORDER = 100;
/** A.1: sequential packets needed before a new source is valid. */
const MIN_SEQUENTIAL = 2;

/** The statistics' numbers are in the media's table (media-numbers.ts), read by name through the accessors. */
export class RtpReceiveStats {
  private readonly n: Uint32Array;

  constructor(numbers?: Uint32Array) {
    this.n = numbers !== undefined ? numbers : mediaNumbers();
    this.reset();
  }

  /** The SSRC being counted; valid once `started`. */
  get ssrc(): number {
    return this.n[N.StatsSsrc]!;
  }
  get started(): boolean {
    return this.n[N.StatsStarted] !== 0;
  }
  get maxSeq(): number {
    return this.n[N.StatsMaxSeq]! | 0;
  }
  /** Shifted count of sequence number cycles (A.1). */
  get cycles(): number {
    return this.n[N.StatsCycles]!;
  }
  get baseSeq(): number {
    return this.n[N.StatsBaseSeq]!;
  }
  get badSeq(): number {
    return this.n[N.StatsBadSeq]!;
  }
  get probation(): number {
    return this.n[N.StatsProbation]!;
  }
  get received(): number {
    return this.n[N.StatsReceived]!;
  }
  /** Signed (`| 0`): expected is negative while probation still sees packets out of order. */
  get expectedPrior(): number {
    return this.n[N.StatsExpectedPrior]! | 0;
  }
  get receivedPrior(): number {
    return this.n[N.StatsReceivedPrior]!;
  }
  /** A.8 interarrival jitter, in timestamp units, scaled by 16 as the RFC's code keeps it. */
  get jitter16(): number {
    return this.n[N.StatsJitter16]!;
  }

  reset(): void {
    const n = this.n;
    n[N.StatsStarted] = 0;
    n[N.StatsSsrc] = 0;
    n[N.StatsMaxSeq] = n[N.StatsCycles] = n[N.StatsBaseSeq] = 0;
    n[N.StatsBadSeq] = RTP_SEQ_MOD + 1;
    n[N.StatsProbation] = 0;
    n[N.StatsReceived] = n[N.StatsExpectedPrior] = n[N.StatsReceivedPrior] = 0;
    n[N.StatsJitter16] = 0;
    n[N.StatsTransit] = 0;
    n[N.StatsHaveTransit] = 0;
  }

  private initSeq(n: Uint32Array, seq: number): void {
    n[N.StatsBaseSeq] = seq;
    n[N.StatsMaxSeq] = seq;
    n[N.StatsBadSeq] = RTP_SEQ_MOD + 1;
    n[N.StatsCycles] = 0;
    n[N.StatsReceived] = 0;
    n[N.StatsReceivedPrior] = 0;
    n[N.StatsExpectedPrior] = 0;
  }

  /**
   * A packet from `ssrc` with sequence number `seq` (A.1 update_seq). False
   * while a new source is on probation or for a packet that looks like a
   * restart of the sequence; such packets are not played.
   */
  update(ssrc: number, seq: number): boolean {
    const n = this.n;
    if (n[N.StatsStarted] === 0 || ssrc !== n[N.StatsSsrc]) {
      // A new source (or the first): probation until MIN_SEQUENTIAL packets in order.
      n[N.StatsStarted] = 1;
      n[N.StatsSsrc] = ssrc;
      this.initSeq(n, seq);
      n[N.StatsMaxSeq] = seq - 1;
      n[N.StatsProbation] = MIN_SEQUENTIAL;
      n[N.StatsHaveTransit] = 0;
      n[N.StatsJitter16] = 0;
    }
    const maxSeq = n[N.StatsMaxSeq]! | 0;
    const udelta = (seq - maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    const probation = n[N.StatsProbation]!;
    if (probation > 0) {
      if (seq === (maxSeq + 1) % RTP_SEQ_MOD) {
        n[N.StatsProbation] = probation - 1;
        n[N.StatsMaxSeq] = seq;
        if (probation === 1) {
          this.initSeq(n, seq);
          n[N.StatsReceived]++;
          return true;
        }
      } else {
        n[N.StatsProbation] = MIN_SEQUENTIAL - 1;
        n[N.StatsMaxSeq] = seq;
      }
      return false;
    }
    if (udelta < MAX_DROPOUT) {
      // In order, with a permissible gap.
      if (seq < maxSeq) n[N.StatsCycles] += RTP_SEQ_MOD;
      n[N.StatsMaxSeq] = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: two sequential packets in a row mean the other side restarted.
      if (seq === n[N.StatsBadSeq]) {
        this.initSeq(n, seq);
      } else {
        n[N.StatsBadSeq] = (seq + 1) % RTP_SEQ_MOD;
        return false;
      }
    }
    // Otherwise a duplicate or reordered packet: counted, and left to the jitter buffer.
    n[N.StatsReceived]++;
    return true;
  }

  /**
   * A.8: the packet's RTP timestamp and its arrival time in the same units
   * (8 kHz ticks for G.711). Updates the jitter estimate.
   */
  arrival(timestamp: number, arrivalTicks: number): void {
    const n = this.n;
    const transit = (arrivalTicks - timestamp) | 0;
    if (n[N.StatsHaveTransit] !== 0) {
      let d = (transit - n[N.StatsTransit]!) | 0;
      if (d < 0) d = -d;
      const j = n[N.StatsJitter16]!;
      n[N.StatsJitter16] = j + d - ((j + 8) >> 4);
    }
    n[N.StatsTransit] = transit;
    n[N.StatsHaveTransit] = 1;
  }

  /** The extended highest sequence number received (§6.4.1). */
  get extendedMax(): number {
    return this.n[N.StatsCycles]! + (this.n[N.StatsMaxSeq]! | 0);
  }

  /** Interarrival jitter for the report, timestamp units (§6.4.1). */
  get jitter(): number {
    return this.n[N.StatsJitter16]! >> 4;
  }

  /** Cumulative packets lost (A.3), clamped to the 24-bit signed field. */
  get cumulativeLost(): number {
    const expected = this.extendedMax - this.n[N.StatsBaseSeq]! + 1;
    const lost = expected - this.n[N.StatsReceived]!;
    return lost > 0x7fffff ? 0x7fffff : lost < -0x800000 ? -0x800000 : lost;
  }

  /** A.3: the loss fraction since the last call, 8-bit fixed point; advances the interval. */
  takeFractionLost(): number {
    const n = this.n;
    const expected = this.extendedMax - n[N.StatsBaseSeq]! + 1;
    const expectedInterval = expected - (n[N.StatsExpectedPrior]! | 0);
    n[N.StatsExpectedPrior] = expected;
    const received = n[N.StatsReceived]!;
    const receivedInterval = received - n[N.StatsReceivedPrior]!;
    n[N.StatsReceivedPrior] = received;
    const lostInterval = expectedInterval - receivedInterval;
    if (expectedInterval === 0 || lostInterval <= 0) return 0;
    return Math.floor((lostInterval << 8) / expectedInterval) & 0xff;
  }
}
