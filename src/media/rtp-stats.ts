/*
 * Receiver statistics of one RTP source, as RFC 3550 computes them for the
 * reception report (§6.4.1): the sequence number bookkeeping of Appendix A.1
 * (probation, wrap-around cycles, restart on a large jump), the expected and
 * lost counts and the loss fraction of A.3, and the interarrival jitter of
 * A.8, all in plain numbers.
 */

const RTP_SEQ_MOD = 65536;
/** A.1: a jump of more than this many packets is a restart, not loss. */
const MAX_DROPOUT = 3000;
/** A.1: packets that far behind are taken as duplicates or very late ones. */
const MAX_MISORDER = 100;
/** A.1: sequential packets needed before a new source is valid. */
const MIN_SEQUENTIAL = 2;

export class RtpReceiveStats {
  /** The SSRC being counted; valid once `started`. */
  ssrc = 0;
  started = false;
  maxSeq = 0;
  /** Shifted count of sequence number cycles (A.1). */
  cycles = 0;
  baseSeq = 0;
  badSeq = RTP_SEQ_MOD + 1;
  probation = 0;
  received = 0;
  expectedPrior = 0;
  receivedPrior = 0;
  /** A.8 interarrival jitter, in timestamp units, scaled by 16 as the RFC's code keeps it. */
  jitter16 = 0;
  private transit = 0;
  private haveTransit = false;

  reset(): void {
    this.started = false;
    this.ssrc = 0;
    this.maxSeq = this.cycles = this.baseSeq = 0;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.probation = 0;
    this.received = this.expectedPrior = this.receivedPrior = 0;
    this.jitter16 = 0;
    this.transit = 0;
    this.haveTransit = false;
  }

  private initSeq(seq: number): void {
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.receivedPrior = 0;
    this.expectedPrior = 0;
  }

  /**
   * A packet from `ssrc` with sequence number `seq` (A.1 update_seq). False
   * while a new source is on probation or for a packet that looks like a
   * restart of the sequence; such packets are not played.
   */
  update(ssrc: number, seq: number): boolean {
    if (!this.started || ssrc !== this.ssrc) {
      // A new source (or the first): probation until MIN_SEQUENTIAL packets in order.
      this.started = true;
      this.ssrc = ssrc;
      this.initSeq(seq);
      this.maxSeq = seq - 1;
      this.probation = MIN_SEQUENTIAL;
      this.haveTransit = false;
      this.jitter16 = 0;
    }
    const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    if (this.probation > 0) {
      if (seq === (this.maxSeq + 1) % RTP_SEQ_MOD) {
        this.probation--;
        this.maxSeq = seq;
        if (this.probation === 0) {
          this.initSeq(seq);
          this.received++;
          return true;
        }
      } else {
        this.probation = MIN_SEQUENTIAL - 1;
        this.maxSeq = seq;
      }
      return false;
    }
    if (udelta < MAX_DROPOUT) {
      // In order, with a permissible gap.
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: two sequential packets in a row mean the other side restarted.
      if (seq === this.badSeq) {
        this.initSeq(seq);
      } else {
        this.badSeq = (seq + 1) % RTP_SEQ_MOD;
        return false;
      }
    }
    // Otherwise a duplicate or reordered packet: counted, and left to the jitter buffer.
    this.received++;
    return true;
  }

  /**
   * A.8: the packet's RTP timestamp and its arrival time in the same units
   * (8 kHz ticks for G.711). Updates the jitter estimate.
   */
  arrival(timestamp: number, arrivalTicks: number): void {
    const transit = (arrivalTicks - timestamp) | 0;
    if (this.haveTransit) {
      let d = (transit - this.transit) | 0;
      if (d < 0) d = -d;
      this.jitter16 += d - ((this.jitter16 + 8) >> 4);
    }
    this.transit = transit;
    this.haveTransit = true;
  }

  /** The extended highest sequence number received (§6.4.1). */
  get extendedMax(): number {
    return this.cycles + this.maxSeq;
  }

  /** Interarrival jitter for the report, timestamp units (§6.4.1). */
  get jitter(): number {
    return this.jitter16 >> 4;
  }

  /** Cumulative packets lost (A.3), clamped to the 24-bit signed field. */
  get cumulativeLost(): number {
    const expected = this.extendedMax - this.baseSeq + 1;
    const lost = expected - this.received;
    return lost > 0x7fffff ? 0x7fffff : lost < -0x800000 ? -0x800000 : lost;
  }

  /** A.3: the loss fraction since the last call, 8-bit fixed point; advances the interval. */
  takeFractionLost(): number {
    const expected = this.extendedMax - this.baseSeq + 1;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.received - this.receivedPrior;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    if (expectedInterval === 0 || lostInterval <= 0) return 0;
    return Math.floor((lostInterval << 8) / expectedInterval) & 0xff;
  }
}
