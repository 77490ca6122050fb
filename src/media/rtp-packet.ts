/*
 * The RTP fixed header (RFC 3550 §5.1), written and read in place in a
 * Uint8Array:
 *
 *    0                   1                   2                   3
 *   |V=2|P|X|  CC   |M|     PT      |       sequence number         |
 *   |                           timestamp                           |
 *   |           synchronization source (SSRC) identifier            |
 *   |            contributing source (CSRC) identifiers             | (CC of them)
 *   | header extension (§5.3.1), when X: profile, length, words     |
 *   | payload ...                                  | padding, count | (when P)
 *
 * We write V=2, no padding, no extension, no CSRC (we are no mixer). The
 * reader takes every valid packet (§A.1's header checks): CSRCs, an
 * extension and padding are skipped, so the payload span is what is left.
 */
import { readU32 } from "../util/u32";
import { MediaNumber as N, mediaNumbers } from "./media-numbers";

/** Bytes of the fixed header without CSRCs. */
export const RTP_HEADER = 12;

export const enum RtpCheck {
  Ok = 0,
  /** Shorter than the fixed header, or than its CSRC list / extension. */
  TooShort = 1,
  /** Version is not 2 (§5.1). */
  BadVersion = 2,
  /** The padding count is 0 or runs past the header (§5.1: "the last octet ... count of how many padding octets"). */
  BadPadding = 3,
  /** A payload type of 72-76: an RTCP packet on the RTP port (§A.1, RFC 5761 §4). */
  RtcpType = 4,
}

/** Write the 12-byte fixed header at `at`; returns the payload's offset. */
export function writeRtpHeader(buf: Uint8Array, at: number, pt: number, marker: boolean, seq: number, ts: number, ssrc: number): number {
  buf[at] = 0x80; // V=2, P=0, X=0, CC=0
  buf[at + 1] = (marker ? 0x80 : 0) | (pt & 0x7f);
  buf[at + 2] = (seq >>> 8) & 0xff;
  buf[at + 3] = seq & 0xff;
  buf[at + 4] = (ts >>> 24) & 0xff;
  buf[at + 5] = (ts >>> 16) & 0xff;
  buf[at + 6] = (ts >>> 8) & 0xff;
  buf[at + 7] = ts & 0xff;
  buf[at + 8] = (ssrc >>> 24) & 0xff;
  buf[at + 9] = (ssrc >>> 16) & 0xff;
  buf[at + 10] = (ssrc >>> 8) & 0xff;
  buf[at + 11] = ssrc & 0xff;
  return at + RTP_HEADER;
}

/**
 * The fields of one received packet; reused for every packet (read()
 * overwrites them). They live in the media's table (media-numbers.ts), read
 * by name through the accessors below; the session reads the table itself.
 */
export class RtpHeader {
  private readonly n: Uint32Array;

  constructor(numbers?: Uint32Array) {
    this.n = numbers !== undefined ? numbers : mediaNumbers();
  }

  get marker(): boolean {
    return this.n[N.HeaderMarker] !== 0;
  }
  get payloadType(): number {
    return this.n[N.HeaderPayloadType]!;
  }
  get sequence(): number {
    return this.n[N.HeaderSequence]!;
  }
  get timestamp(): number {
    return this.n[N.HeaderTimestamp]!;
  }
  get ssrc(): number {
    return this.n[N.HeaderSsrc]!;
  }
  get csrcCount(): number {
    return this.n[N.HeaderFirst]! & 0x0f;
  }
  get extension(): boolean {
    return (this.n[N.HeaderFirst]! & 0x10) !== 0;
  }
  get padding(): boolean {
    return (this.n[N.HeaderFirst]! & 0x20) !== 0;
  }
  /** The payload: [payloadStart, payloadStart + payloadLength) of the buffer read. */
  get payloadStart(): number {
    return this.n[N.HeaderPayloadStart]!;
  }
  get payloadLength(): number {
    return this.n[N.HeaderPayloadLength]!;
  }

  /** Read the header of `length` bytes of `buf`; the fields are meaningful when the result is Ok. */
  read(buf: Uint8Array, length: number): RtpCheck {
    if (length < RTP_HEADER) return RtpCheck.TooShort;
    const b0 = buf[0]!;
    if ((b0 & 0xc0) !== 0x80) return RtpCheck.BadVersion;
    const b1 = buf[1]!;
    const pt = b1 & 0x7f;
    if (pt >= 72 && pt <= 76) return RtpCheck.RtcpType;
    const n = this.n;
    n[N.HeaderFirst] = b0;
    n[N.HeaderMarker] = b1 >> 7;
    n[N.HeaderPayloadType] = pt;
    n[N.HeaderSequence] = (buf[2]! << 8) | buf[3]!;
    n[N.HeaderTimestamp] = readU32(buf, 4);
    n[N.HeaderSsrc] = readU32(buf, 8);
    let start = RTP_HEADER + 4 * (b0 & 0x0f);
    if (start > length) return RtpCheck.TooShort;
    if ((b0 & 0x10) !== 0) {
      // §5.3.1: 16 bits defined by profile, 16 bits length in 32-bit words, not counting this word.
      if (start + 4 > length) return RtpCheck.TooShort;
      start += 4 + 4 * ((buf[start + 2]! << 8) | buf[start + 3]!);
      if (start > length) return RtpCheck.TooShort;
    }
    let end = length;
    if ((b0 & 0x20) !== 0) {
      const pad = buf[length - 1]!;
      if (pad === 0 || end - pad < start) return RtpCheck.BadPadding;
      end -= pad;
    }
    n[N.HeaderPayloadStart] = start;
    n[N.HeaderPayloadLength] = end - start;
    return RtpCheck.Ok;
  }
}
