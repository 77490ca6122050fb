/*
 * RTCP (RFC 3550 §6), the small part a two-party G.711 call needs: a
 * compound packet of a sender report (SR, §6.4.1) while we send, else a
 * receiver report (RR, §6.4.2), with one report block about the peer's
 * stream, followed by SDES with our CNAME (§6.5.1; every compound packet
 * must carry it, §6.1); a BYE (§6.6) when the session ends; and, from the
 * peer's reports, the middle bits of its SR's NTP timestamp (for LSR/DLSR,
 * §6.4.1) and what it says about our stream.
 *
 * The device has no wall clock: the NTP timestamp is counted from the
 * host's monotonic clock, which §6.4.1 allows ("a sender MAY use [system
 * uptime] as a reference to calculate relative NTP timestamps").
 */
import { readU32, writeU32 } from "../util/u32";
import { MediaNumber as N, mediaNumbers } from "./media-numbers";
import type { RtpReceiveStats } from "./rtp-stats";

export const enum RtcpType {
  SR = 200,
  RR = 201,
  SDES = 202,
  BYE = 203,
}

/** SDES item type of the canonical name (§6.5.1). */
const SDES_CNAME = 1;
/** A relative NTP epoch, so that seconds never start at 0 (any constant does, see above). */
const NTP_BASE_SECONDS = 3900000000;

/** NTP seconds (32 bits) for a monotonic time in ms. */
export function ntpSeconds(ms: number): number {
  return (NTP_BASE_SECONDS + Math.floor(ms / 1000)) >>> 0;
}

/** NTP fraction (32 bits) for a monotonic time in ms. */
export function ntpFraction(ms: number): number {
  const frac = ms - Math.floor(ms / 1000) * 1000;
  return Math.floor((frac * 4294967296) / 1000) >>> 0;
}

/** What the session knows when it writes a report. */
export interface RtcpSource {
  readonly ssrc: number;
  /** We sent RTP since the last report: an SR, else an RR (§6.4). */
  readonly sentSinceReport: boolean;
  readonly packetsSent: number;
  readonly octetsSent: number;
  /** The RTP timestamp that corresponds to `nowMs` (§6.4.1: same instant as the NTP timestamp). */
  readonly rtpNow: number;
  /** Receiver statistics of the peer's stream; `started` false when nothing came yet (no report block). */
  readonly stats: RtpReceiveStats;
  /** Middle 32 bits of the peer's last SR, and when it came (ms); lastSrAt < 0 when none. */
  readonly lastSr: number;
  readonly lastSrAt: number;
}

function header(buf: Uint8Array, at: number, count: number, type: number, words: number): void {
  buf[at] = 0x80 | (count & 0x1f);
  buf[at + 1] = type;
  buf[at + 2] = (words >>> 8) & 0xff;
  buf[at + 3] = words & 0xff;
}

/** One report block (§6.4.1) about `stats`' source at `at`; returns the end. */
function reportBlock(buf: Uint8Array, at: number, s: RtcpSource, nowMs: number): number {
  const st = s.stats;
  writeU32(buf, at, st.ssrc);
  const lost = st.cumulativeLost & 0xffffff;
  writeU32(buf, at + 4, ((st.takeFractionLost() << 24) | lost) >>> 0);
  writeU32(buf, at + 8, st.extendedMax >>> 0);
  writeU32(buf, at + 12, st.jitter >>> 0);
  writeU32(buf, at + 16, s.lastSrAt >= 0 ? s.lastSr : 0);
  // DLSR: delay since that SR, in units of 1/65536 s.
  writeU32(buf, at + 20, s.lastSrAt >= 0 ? Math.floor(((nowMs - s.lastSrAt) * 65536) / 1000) >>> 0 : 0);
  return at + 24;
}

/** SDES with one chunk: our SSRC and CNAME (`cnameLen` bytes of `cname` from `cnameAt`); returns the end. */
function sdes(buf: Uint8Array, at: number, ssrc: number, cname: Uint8Array, cnameLen: number, cnameAt: number): number {
  const start = at;
  writeU32(buf, at + 4, ssrc);
  let p = at + 8;
  buf[p++] = SDES_CNAME;
  buf[p++] = cnameLen;
  for (let i = 0; i < cnameLen; i++) buf[p++] = cname[cnameAt + i]!;
  // The item list ends with a null octet, then pad to a 32-bit boundary with nulls (§6.5).
  buf[p++] = 0;
  while (((p - start) & 3) !== 0) buf[p++] = 0;
  header(buf, start, 1, RtcpType.SDES, ((p - start) >> 2) - 1);
  return p;
}

/**
 * Write the compound report (SR or RR, then SDES CNAME) at offset 0 of
 * `buf` (at least 84 + cnameLen bytes); returns its length. The CNAME is
 * `cnameLen` bytes of `cname` from `cnameAt`; it may be in `buf` itself,
 * beyond the report's end (the session keeps it in its packet's tail).
 */
export function writeReport(buf: Uint8Array, s: RtcpSource, nowMs: number, cname: Uint8Array, cnameLen: number, cnameAt = 0): number {
  const blocks = s.stats.started ? 1 : 0;
  let p: number;
  if (s.sentSinceReport) {
    header(buf, 0, blocks, RtcpType.SR, 6 + 6 * blocks);
    writeU32(buf, 4, s.ssrc);
    writeU32(buf, 8, ntpSeconds(nowMs));
    writeU32(buf, 12, ntpFraction(nowMs));
    writeU32(buf, 16, s.rtpNow >>> 0);
    writeU32(buf, 20, s.packetsSent >>> 0);
    writeU32(buf, 24, s.octetsSent >>> 0);
    p = 28;
  } else {
    header(buf, 0, blocks, RtcpType.RR, 1 + 6 * blocks);
    writeU32(buf, 4, s.ssrc);
    p = 8;
  }
  if (blocks > 0) p = reportBlock(buf, p, s, nowMs);
  return sdes(buf, p, s.ssrc, cname, cnameLen, cnameAt);
}

/** A BYE for `ssrc` (§6.6), after an RR without blocks (a compound packet starts with a report, §6.1); returns its length. */
export function writeBye(buf: Uint8Array, ssrc: number): number {
  header(buf, 0, 0, RtcpType.RR, 1);
  writeU32(buf, 4, ssrc);
  header(buf, 8, 1, RtcpType.BYE, 1);
  writeU32(buf, 12, ssrc);
  return 16;
}

/** What a received compound RTCP packet said; reused for every packet (its numbers in the media's table, media-numbers.ts). */
export class RtcpReader {
  private readonly n: Uint32Array;

  constructor(numbers?: Uint32Array) {
    this.n = numbers !== undefined ? numbers : mediaNumbers();
  }

  /** The packet held an SR: its sender, and the middle 32 bits of its NTP timestamp (for our LSR). */
  get sr(): boolean {
    return this.n[N.RtcpSr] !== 0;
  }
  get srSsrc(): number {
    return this.n[N.RtcpSrSsrc]!;
  }
  get srMiddle(): number {
    return this.n[N.RtcpSrMiddle]!;
  }
  /** A report block about `ssrc` (ours) was found: its loss fraction (/256) and jitter. */
  get aboutUs(): boolean {
    return this.n[N.RtcpAboutUs] !== 0;
  }
  get fractionLost(): number {
    return this.n[N.RtcpFractionLost]!;
  }
  get cumulativeLost(): number {
    return this.n[N.RtcpCumulativeLost]! | 0;
  }
  get jitter(): number {
    return this.n[N.RtcpJitter]!;
  }
  get bye(): boolean {
    return this.n[N.RtcpBye] !== 0;
  }

  /** Read `length` bytes; false when it is not a valid compound RTCP packet (§6.1, A.2 header checks). */
  read(buf: Uint8Array, length: number, ssrc: number): boolean {
    const n = this.n;
    n[N.RtcpSr] = n[N.RtcpAboutUs] = n[N.RtcpBye] = 0;
    // A.2: the first packet must be an SR or RR, with version 2 and no padding.
    if (length < 8 || (buf[0]! & 0xe0) !== 0x80 || (buf[1]! !== RtcpType.SR && buf[1]! !== RtcpType.RR)) return false;
    let p = 0;
    while (p + 4 <= length) {
      if ((buf[p]! & 0xc0) !== 0x80) return false;
      const count = buf[p]! & 0x1f;
      const type = buf[p + 1]!;
      const end = p + 4 + 4 * ((buf[p + 2]! << 8) | buf[p + 3]!);
      if (end > length) return false;
      let blocks = -1;
      if (type === RtcpType.SR && end >= p + 28) {
        n[N.RtcpSr] = 1;
        n[N.RtcpSrSsrc] = readU32(buf, p + 4);
        n[N.RtcpSrMiddle] = readU32(buf, p + 10);
        blocks = p + 28;
      } else if (type === RtcpType.RR && end >= p + 8) {
        blocks = p + 8;
      } else if (type === RtcpType.BYE) {
        n[N.RtcpBye] = 1;
      }
      if (blocks >= 0) {
        for (let i = 0; i < count && blocks + 24 <= end; i++, blocks += 24) {
          if (readU32(buf, blocks) !== ssrc) continue;
          n[N.RtcpAboutUs] = 1;
          n[N.RtcpFractionLost] = buf[blocks + 4]!;
          const lost = (buf[blocks + 5]! << 16) | (buf[blocks + 6]! << 8) | buf[blocks + 7]!;
          n[N.RtcpCumulativeLost] = lost >= 0x800000 ? lost - 0x1000000 : lost;
          n[N.RtcpJitter] = readU32(buf, blocks + 12);
        }
      }
      p = end;
    }
    return p === length;
  }
}
