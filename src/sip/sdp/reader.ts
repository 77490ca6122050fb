/*
 * The SDP reader (RFC 4566 syntax) for G.711 calls: one object, allocated
 * once and reused for every offer. It walks the body line by line, keeps
 * spans into the body buffer, and picks the audio stream to answer
 * (RFC 3264 §6): the first m=audio over RTP/AVP with a port and a G.711
 * format, else the first such one with port 0, else the first m=audio at
 * all (which then has no usable codec). Every m= line is recorded, so the
 * answer can repeat each one in order, rejected with port 0.
 *
 * Malformed SDP stops the reader with an error code and the byte offset of
 * the problem; nothing throws and nothing is allocated per body.
 *
 * Its numbers live in one Int32Array (reader-state.ts), read through
 * getters, so that the reader costs the idle heap a few slots rather than
 * one per number (issue 9); the field readers write into that array too.
 */
import { ascii, spanEquals, spanEqualsCI, spanToString } from "../message/bytes";
import { C, Ch } from "../message/chars";
import { parseUint, skipClass } from "../message/lex";
import { Codec, codecOf, MAX_PT, PtKind } from "./codec";
import { ConnOut, readConnection } from "./connection";
import { Direction } from "./direction";
import { SDP_ERROR_REASONS, SdpError } from "./errors";
import { MediaFlag, MediaOut, readMedia } from "./media-field";
import { OriginOut, readOrigin, sessVersion } from "./origin";
import { MediaRow, Num } from "./reader-state";
import { readRtcp, RtcpOut } from "./rtcp-attribute";
import { ipv4Text } from "./ipv4";
import { FmtpOut, readFmtp, readRtpmap, RtpmapOut } from "./rtpmap";
import { FieldRead, skipNonWs, skipWs, trimWs } from "./scan";

export { Codec } from "./codec";
export { SDP_ERROR_REASONS, SdpError } from "./errors";

/** How many m= lines are kept (Num.Media's rows); the answer must repeat every one (RFC 3264 §6), so more is an error. */
export const MAX_MEDIA = 16;

const EMPTY = new Uint8Array(0);
const K_ZERO = ascii("0");
const K_RTPMAP = ascii("rtpmap");
const K_FMTP = ascii("fmtp");
const K_PTIME = ascii("ptime");
const K_RTCP = ascii("rtcp");
const K_SENDRECV = ascii("sendrecv");
const K_SENDONLY = ascii("sendonly");
const K_RECVONLY = ascii("recvonly");
const K_INACTIVE = ascii("inactive");
/** Longest packet time we take as meant (RFC 4566 §6 gives no bound; a minute is clearly not). */
const MAX_PTIME = 60000;

/** The line types of RFC 4566 §5; any other is an error (RFC 8866 §5: a parser must ignore or reject such a description). */
const KNOWN_TYPES = knownTypes("vosiuepcbtrzkam");

function knownTypes(letters: string): Uint8Array {
  const t = new Uint8Array(256);
  for (let i = 0; i < letters.length; i++) t[letters.charCodeAt(i)] = 1;
  return t;
}

const enum T {
  A = 97,
  C = 99,
  M = 109,
  O = 111,
  V = 118,
}

/** Both: a stream we can answer with RTP/AVP audio. */
const AUDIO_AVP = MediaFlag.Audio | MediaFlag.Avp;
/** A connection's numbers with its "has a c= line" flag before them. */
const CONN_BLOCK = 1 + ConnOut.Size;
/** The longest m= line kept: its row holds offsets and lengths within the line in 16-bit halves (reader-state.ts MediaRow). */
const MAX_MEDIA_LINE = 0xffff;
/** The low half of such a number. */
const LOW = 0xffff;

/** How suitable an audio stream is; the first stream with the highest score is the one answered. */
const enum Score {
  None = 0,
  /** m=audio, but not RTP/AVP or no G.711 format. */
  Audio = 1,
  /** RTP/AVP with G.711, but port 0 (disabled by the offerer, RFC 3264 §5.1). */
  Disabled = 2,
  Usable = 3,
}

export class SdpReader {
  /** Every number but originVersion, indexed by Num (reader-state.ts); first, as it is looked up most. */
  private readonly n = new Int32Array(Num.Size);
  buf: Uint8Array = EMPTY;
  /** o= sess-version; -1 when too long to be exact as a number (compare the span then). A double: it has no room among the int32s. */
  originVersion = -1;

  constructor() {
    this.reset(EMPTY);
  }

  /**
   * Read the SDP body buf[start, start+len). Returns false (error and
   * errorOffset set) when it is not SDP we can use. Lines end in CRLF
   * (RFC 4566 §5); a bare LF is accepted too, and so are blank lines at the
   * very end.
   */
  read(buf: Uint8Array, start: number, len: number): boolean {
    this.reset(buf);
    const end = start + len;
    let i = start;
    let lines = 0;
    while (i < end) {
      const lineStart = i;
      let e = i;
      // A value is a byte-string (RFC 4566 §9): no NUL, no CR or LF but the line end.
      while (e < end) {
        const b = buf[e]!;
        if (b === Ch.LF || (b === Ch.CR && (e + 1 === end || buf[e + 1] === Ch.LF))) break;
        if (b === Ch.CR || b === 0) return this.fail(lines === 0 ? SdpError.Version : SdpError.Syntax, e);
        e++;
      }
      let next = e;
      if (next < end && buf[next] === Ch.CR) next++;
      if (next < end && buf[next] === Ch.LF) next++;
      if (e === lineStart) {
        if (!blankToEnd(buf, next, end)) return this.fail(lines === 0 ? SdpError.Version : SdpError.Syntax, lineStart);
        break;
      }
      if (!this.line(buf, lineStart, e, lines === 0)) return false;
      lines++;
      i = next;
    }
    if (lines === 0) return this.fail(SdpError.Empty, start);
    return this.finish(start, end);
  }

  get error(): SdpError {
    return this.n[Num.Error]!;
  }

  /** Absolute offset into buf of the problem. */
  get errorOffset(): number {
    return this.n[Num.ErrorOffset]!;
  }

  /** The reason for `error`, for logs. */
  get reason(): string {
    return SDP_ERROR_REASONS[this.n[Num.Error]!] ?? "unknown";
  }

  // o= (RFC 4566 §5.2)
  get originStart(): number {
    return this.n[Num.Origin + OriginOut.Start]!;
  }
  get originLen(): number {
    return this.n[Num.Origin + OriginOut.Len]!;
  }
  get originSessIdStart(): number {
    return this.n[Num.Origin + OriginOut.SessIdStart]!;
  }
  get originSessIdLen(): number {
    return this.n[Num.Origin + OriginOut.SessIdLen]!;
  }
  get originVersionStart(): number {
    return this.n[Num.Origin + OriginOut.VersionStart]!;
  }
  get originVersionLen(): number {
    return this.n[Num.Origin + OriginOut.VersionLen]!;
  }

  // Every m= line, in order (RFC 3264 §6: the answer has as many, in the same order); k < mediaCount.
  get mediaCount(): number {
    return this.n[Num.MediaCount]!;
  }
  mediaLineStart(k: number): number {
    return this.n[Num.Media + k * MediaRow.Size + MediaRow.LineStart]!;
  }
  /** The media type starts the value, after "m=". */
  mediaTypeStart(k: number): number {
    return this.n[Num.Media + k * MediaRow.Size + MediaRow.LineStart]! + 2;
  }
  mediaTypeLen(k: number): number {
    return this.n[Num.Media + k * MediaRow.Size + MediaRow.TypePort]! & LOW;
  }
  mediaPort(k: number): number {
    return this.n[Num.Media + k * MediaRow.Size + MediaRow.TypePort]! >>> 16;
  }
  mediaProtoStart(k: number): number {
    const row = Num.Media + k * MediaRow.Size;
    return this.n[row + MediaRow.LineStart]! + (this.n[row + MediaRow.Proto]! & LOW);
  }
  mediaProtoLen(k: number): number {
    return this.n[Num.Media + k * MediaRow.Size + MediaRow.Proto]! >>> 16;
  }
  /** The format list, from the first format to the end of the line. */
  mediaFmtStart(k: number): number {
    const row = Num.Media + k * MediaRow.Size;
    return this.n[row + MediaRow.LineStart]! + (this.n[row + MediaRow.Fmt]! & LOW);
  }
  mediaFmtLen(k: number): number {
    return this.n[Num.Media + k * MediaRow.Size + MediaRow.Fmt]! >>> 16;
  }

  // The audio stream we answer
  /** Index among the m= lines, -1 when none. */
  get audioIndex(): number {
    return this.n[Num.AudioIndex]!;
  }
  /** 0 = stream disabled by the offerer. */
  get audioPort(): number {
    return this.n[Num.AudioPort]!;
  }
  /** Connection address: media-level c= over session-level (RFC 4566 §5.7). */
  get connStart(): number {
    return this.n[Num.AudioConn + ConnOut.AddrStart]!;
  }
  get connLen(): number {
    return this.n[Num.AudioConn + ConnOut.AddrLen]!;
  }
  get connIp6(): boolean {
    return this.n[Num.AudioConn + ConnOut.Ip6] !== 0;
  }
  /** 0.0.0.0: the RFC 2543 hold (RFC 3264 §8.4); send nothing to it. */
  get connNull(): boolean {
    return this.n[Num.AudioConn + ConnOut.Null] !== 0;
  }
  /** The first G.711 format in the m= line's order, and its payload type in the offer. */
  get codec(): Codec {
    return this.n[Num.Codec]!;
  }
  get codecPt(): number {
    return this.n[Num.CodecPt]!;
  }
  /** Payload type of telephone-event/8000 (RFC 4733 §7.1.1), -1 when not offered. */
  get telephoneEventPt(): number {
    return this.n[Num.TelephoneEventPt]!;
  }
  /** Its a=fmtp parameters (the events, RFC 4733 §2.4.1); length -1 when there is no a=fmtp for it. */
  get telephoneEventFmtpStart(): number {
    return this.n[Num.TelephoneEventFmtpStart]!;
  }
  get telephoneEventFmtpLen(): number {
    return this.n[Num.TelephoneEventFmtpLen]!;
  }
  /** a=sendrecv/sendonly/recvonly/inactive: media-level over session-level, default sendrecv (RFC 3264 §5.1). */
  get direction(): Direction {
    return this.n[Num.Direction]!;
  }
  /** a=ptime in ms (media-level over session-level), 0 when absent. */
  get ptime(): number {
    return this.n[Num.Ptime]!;
  }
  /** The audio stream's a=rtcp port (RFC 3605), 0 when it has none: RTCP then goes to its RTP port + 1 (RFC 3550 §11). */
  get rtcpPort(): number {
    return this.n[Num.Rtcp + RtcpOut.Port]!;
  }
  /** Its IPv4 address as a 32-bit number, when it names one (rtcp-attribute.ts); 0 when not: the c= address applies. */
  get rtcpIp4(): number {
    return this.n[Num.Rtcp + RtcpOut.Ip4]! >>> 0;
  }

  /** The audio stream's connection address as a string (on demand: allocates). */
  connectionAddress(): string {
    return spanToString(this.buf, this.n[Num.AudioConn + ConnOut.AddrStart]!, this.n[Num.AudioConn + ConnOut.AddrLen]!);
  }

  /** Its a=rtcp address as a string, "" when it has none (on demand: allocates). */
  rtcpAddress(): string {
    const ip4 = this.n[Num.Rtcp + RtcpOut.Ip4]!;
    return ip4 !== 0 ? ipv4Text(ip4 >>> 0) : "";
  }

  /** One line "<type>=<value>" in [s, e). */
  private line(buf: Uint8Array, s: number, e: number, first: boolean): boolean {
    const type = buf[s]!;
    if (e - s < 2 || buf[s + 1] !== Ch.Equals || KNOWN_TYPES[type] === 0) return this.fail(first ? SdpError.Version : SdpError.Syntax, s);
    const v = s + 2;
    // RFC 4566 §5.1: the description starts with v=0, and only one is read.
    if (first !== (type === T.V)) return this.fail(SdpError.Version, s);
    switch (type) {
      case T.V:
        if (!spanEquals(buf, v, trimWs(buf, v, e) - v, K_ZERO)) return this.fail(SdpError.Version, v);
        return true;
      case T.O:
        return this.originLine(buf, s, v, e);
      case T.C:
        return this.connectionLine(buf, v, e);
      case T.M:
        return this.mediaLine(buf, s, v, e);
      case T.A:
        return this.attributeLine(buf, v, e);
      default:
        // s=, i=, u=, e=, p=, b=, t=, r=, z=, k=: nothing in them changes the answer.
        return true;
    }
  }

  private originLine(buf: Uint8Array, s: number, v: number, e: number): boolean {
    const n = this.n;
    // RFC 4566 §5: exactly one o=, at session level.
    if (n[Num.SawOrigin] !== 0 || n[Num.MediaCount]! > 0) return this.fail(SdpError.Origin, s);
    const at = readOrigin(buf, v, e, n, Num.Origin);
    if (at !== FieldRead.Ok) return this.fail(SdpError.Origin, at);
    n[Num.SawOrigin] = 1;
    this.originVersion = sessVersion(buf, n, Num.Origin);
    return true;
  }

  private connectionLine(buf: Uint8Array, v: number, e: number): boolean {
    const n = this.n;
    const inMedia = n[Num.MediaCount]! > 0;
    const at = readConnection(buf, v, e, n, inMedia ? Num.CurConn : Num.SessConn);
    if (at !== FieldRead.Ok) return this.fail(SdpError.Connection, at);
    n[inMedia ? Num.CurHasConn : Num.SessHasConn] = 1;
    return true;
  }

  private mediaLine(buf: Uint8Array, s: number, v: number, e: number): boolean {
    const n = this.n;
    if (n[Num.SawOrigin] === 0) return this.fail(SdpError.Origin, s);
    this.endSection(s);
    const k = n[Num.MediaCount]!;
    if (k >= MAX_MEDIA) return this.fail(SdpError.TooManyMedia, s);
    // Longer than its row's 16-bit halves hold; no offer has such a line.
    if (e - s > MAX_MEDIA_LINE) return this.fail(SdpError.Media, s);
    const at = readMedia(buf, v, e, n, Num.CurMedia);
    if (at !== FieldRead.Ok) return this.fail(SdpError.Media, at);
    const row = Num.Media + k * MediaRow.Size;
    n[row + MediaRow.LineStart] = s;
    n[row + MediaRow.TypePort] = n[Num.CurMedia + MediaOut.TypeLen]! | (n[Num.CurMedia + MediaOut.Port]! << 16);
    n[row + MediaRow.Proto] = (n[Num.CurMedia + MediaOut.ProtoStart]! - s) | (n[Num.CurMedia + MediaOut.ProtoLen]! << 16);
    n[row + MediaRow.Fmt] = (n[Num.CurMedia + MediaOut.FmtStart]! - s) | (n[Num.CurMedia + MediaOut.FmtLen]! << 16);
    n[Num.MediaCount] = k + 1;
    n[Num.CurHasConn] = 0;
    n[Num.CurDirection] = -1;
    n[Num.CurPtime] = 0;
    n[Num.CurEventFmtpPt] = -1;
    n[Num.CurRtcp + RtcpOut.Port] = 0;
    n[Num.CurRtcp + RtcpOut.Ip4] = 0;
    // A new media description: every payload type mapping of the previous one lapses.
    n.fill(PtKind.Unknown, Num.PtKinds, Num.Media);
    return true;
  }

  /** a=<attribute>[:<value>] (RFC 4566 §5.13). Only the attributes that shape the answer are read. */
  private attributeLine(buf: Uint8Array, v: number, e: number): boolean {
    const n = this.n;
    const inMedia = n[Num.MediaCount]! > 0;
    // Attributes of streams we will reject are not ours to judge.
    if (inMedia && (n[Num.CurMedia + MediaOut.Flags]! & AUDIO_AVP) !== AUDIO_AVP) return true;
    let c = v;
    while (c < e && buf[c] !== Ch.Colon) c++;
    const nameLen = c - v;
    const val = c < e ? c + 1 : e;
    const d = directionOf(buf, v, nameLen);
    if (d >= 0) {
      n[inMedia ? Num.CurDirection : Num.SessDirection] = d;
      return true;
    }
    if (spanEqualsCI(buf, v, nameLen, K_PTIME)) {
      // a=ptime:<packet time> in ms; a fraction ("20.0") is read as its integer part.
      const j = skipClass(buf, val, e, C.Digit);
      const p = parseUint(buf, val, j, MAX_PTIME);
      if (p < 0) return this.fail(SdpError.Attribute, val);
      n[inMedia ? Num.CurPtime : Num.SessPtime] = p;
      return true;
    }
    // rtpmap and fmtp are media-level only (RFC 4566 §6), and so is rtcp (RFC 3605 §2.1: it "MUST NOT be used as a session level attribute").
    if (!inMedia) return true;
    if (spanEqualsCI(buf, v, nameLen, K_RTCP)) {
      // A malformed a=rtcp is ignored, not a reason to refuse the offer: RTCP is not needed for the call's audio,
      // RFC 3550 §11's default (RTP port + 1) remains, and the peer's own RTCP corrects it (symmetric RTCP,
      // rtp-session.ts). RFC 8866 §5.13 has a receiver ignore an attribute it does not understand.
      readRtcp(buf, val, e, n, Num.CurRtcp, Num.Scratch);
    } else if (spanEqualsCI(buf, v, nameLen, K_RTPMAP)) {
      const at = readRtpmap(buf, val, e, n, Num.Scratch);
      if (at !== FieldRead.Ok) return this.fail(SdpError.Attribute, at);
      // Its nibble in the payload-type table (reader-state.ts Num.PtKinds), written in place.
      const pt = n[Num.Scratch + RtpmapOut.Pt]!;
      const w = Num.PtKinds + (pt >> 3);
      const shift = (pt & 7) << 2;
      n[w] = (n[w]! & ~(15 << shift)) | (n[Num.Scratch + RtpmapOut.Kind]! << shift);
    } else if (spanEqualsCI(buf, v, nameLen, K_FMTP)) {
      // Kept when it is for telephone-event (mapped above it, as offers do); otherwise findEventFmtp looks again if need be.
      const at = readFmtp(buf, val, e, n, Num.Scratch);
      if (at !== FieldRead.Ok) return this.fail(SdpError.Attribute, at);
      const pt = n[Num.Scratch + FmtpOut.Pt]!;
      if (((n[Num.PtKinds + (pt >> 3)]! >> ((pt & 7) << 2)) & 15) === PtKind.TelephoneEvent) {
        n[Num.CurEventFmtpPt] = pt;
        n[Num.CurEventFmtpStart] = n[Num.Scratch + FmtpOut.ParamsStart]!;
        n[Num.CurEventFmtpLen] = n[Num.Scratch + FmtpOut.ParamsLen]!;
      }
    }
    return true;
  }

  /** The media description just read, which ends at `end`, is complete: is its stream a better one to answer? */
  private endSection(end: number): void {
    const n = this.n;
    const count = n[Num.MediaCount]!;
    if (count === 0) return;
    const flags = n[Num.CurMedia + MediaOut.Flags]!;
    if ((flags & MediaFlag.Audio) === 0) return;
    const port = n[Num.CurMedia + MediaOut.Port]!;
    let score = Score.Audio;
    let codec = Codec.None;
    let codecPt = -1;
    let te = -1;
    if ((flags & MediaFlag.Avp) !== 0) {
      const buf = this.buf;
      let i = n[Num.CurMedia + MediaOut.FmtStart]!;
      const fmtEnd = i + n[Num.CurMedia + MediaOut.FmtLen]!;
      // The offerer lists formats in order of preference (RFC 3264 §5.1).
      while (i < fmtEnd) {
        const j = skipNonWs(buf, i, fmtEnd);
        const pt = parseUint(buf, i, j, MAX_PT);
        // pt's nibble in the payload-type table (reader-state.ts Num.PtKinds)
        const kind: PtKind = pt >= 0 ? (n[Num.PtKinds + (pt >> 3)]! >> ((pt & 7) << 2)) & 15 : PtKind.Unknown;
        if (codec === Codec.None) {
          codec = codecOf(pt, kind);
          if (codec !== Codec.None) codecPt = pt;
        }
        if (te < 0 && kind === PtKind.TelephoneEvent) te = pt;
        i = skipWs(buf, j, fmtEnd);
      }
      if (codec !== Codec.None) score = port > 0 ? Score.Usable : Score.Disabled;
    }
    if (score <= n[Num.BestScore]!) return;
    n[Num.BestScore] = score;
    n[Num.AudioIndex] = count - 1;
    const lineStart = n[Num.Media + (count - 1) * MediaRow.Size + MediaRow.LineStart]!;
    n[Num.AudioLineStart] = lineStart;
    n[Num.AudioPort] = port;
    n[Num.Codec] = codec;
    n[Num.CodecPt] = codecPt;
    n[Num.TelephoneEventPt] = te;
    n[Num.TelephoneEventFmtpStart] = 0;
    n[Num.TelephoneEventFmtpLen] = -1;
    if (te >= 0 && te === n[Num.CurEventFmtpPt]) {
      n[Num.TelephoneEventFmtpStart] = n[Num.CurEventFmtpStart]!;
      n[Num.TelephoneEventFmtpLen] = n[Num.CurEventFmtpLen]!;
    } else if (te >= 0) this.findEventFmtp(te, lineStart, end);
    const cur = n[Num.CurDirection]!;
    const sess = n[Num.SessDirection]!;
    n[Num.Direction] = cur >= 0 ? cur : sess >= 0 ? sess : Direction.SendRecv;
    const ptime = n[Num.CurPtime]!;
    n[Num.Ptime] = ptime > 0 ? ptime : n[Num.SessPtime]!;
    n.copyWithin(Num.Rtcp, Num.CurRtcp, Num.CurRtcp + RtcpOut.Size);
    // The media-level c= if there is one, else the session's (its flag says whether there is that).
    const from = n[Num.CurHasConn] !== 0 ? Num.CurHasConn : Num.SessHasConn;
    n.copyWithin(Num.AudioHasConn, from, from + CONN_BLOCK);
  }

  /**
   * The a=fmtp of payload type `pt` among the lines of [from, to), the
   * chosen media description (RFC 4566 §6: fmtp is media-level). Its lines
   * were checked on the first pass; as there, a later a=fmtp for the same
   * type replaces an earlier one.
   */
  private findEventFmtp(pt: number, from: number, to: number): void {
    const buf = this.buf;
    const n = this.n;
    let i = from;
    while (i < to) {
      let e = i;
      while (e < to && buf[e] !== Ch.CR && buf[e] !== Ch.LF) e++;
      // "a=fmtp:" (the name case-insensitive, as attributeLine reads it)
      if (
        e - i > 7 && buf[i] === T.A && buf[i + 1] === Ch.Equals && buf[i + 6] === Ch.Colon && spanEqualsCI(buf, i + 2, 4, K_FMTP) &&
        readFmtp(buf, i + 7, e, n, Num.Scratch) === FieldRead.Ok && n[Num.Scratch + FmtpOut.Pt] === pt
      ) {
        n[Num.TelephoneEventFmtpStart] = n[Num.Scratch + FmtpOut.ParamsStart]!;
        n[Num.TelephoneEventFmtpLen] = n[Num.Scratch + FmtpOut.ParamsLen]!;
      }
      i = e;
      while (i < to && (buf[i] === Ch.CR || buf[i] === Ch.LF)) i++;
    }
  }

  private finish(start: number, end: number): boolean {
    const n = this.n;
    if (n[Num.SawOrigin] === 0) return this.fail(SdpError.Origin, end);
    this.endSection(end);
    if (n[Num.AudioIndex]! < 0) return this.fail(SdpError.NoAudio, start);
    // RFC 4566 §5.7: a c= at session level or in every media description; a stream in use needs one.
    if (n[Num.AudioPort]! > 0 && n[Num.AudioHasConn] === 0) return this.fail(SdpError.Connection, n[Num.AudioLineStart]!);
    return true;
  }

  private reset(buf: Uint8Array): void {
    const n = this.n;
    this.buf = buf;
    this.originVersion = -1;
    // Everything before the per-description tables is 0 (SdpError.None, Codec and Direction aside) ...
    n.fill(0, 0, Num.PtKinds);
    // ... but the "none" values.
    n[Num.AudioIndex] = -1;
    n[Num.Codec] = Codec.None;
    n[Num.CodecPt] = -1;
    n[Num.TelephoneEventPt] = -1;
    n[Num.TelephoneEventFmtpLen] = -1;
    n[Num.Direction] = Direction.SendRecv;
    n[Num.SessDirection] = -1;
  }

  private fail(error: SdpError, at: number): boolean {
    this.n[Num.Error] = error;
    this.n[Num.ErrorOffset] = at;
    return false;
  }
}

/** The direction an attribute name stands for (RFC 4566 §6), or -1. */
function directionOf(buf: Uint8Array, start: number, len: number): number {
  if (spanEqualsCI(buf, start, len, K_SENDRECV)) return Direction.SendRecv;
  if (spanEqualsCI(buf, start, len, K_SENDONLY)) return Direction.SendOnly;
  if (spanEqualsCI(buf, start, len, K_RECVONLY)) return Direction.RecvOnly;
  if (spanEqualsCI(buf, start, len, K_INACTIVE)) return Direction.Inactive;
  return -1;
}

/** Only CR, LF, SP and HT in [i, end). */
function blankToEnd(buf: Uint8Array, i: number, end: number): boolean {
  for (; i < end; i++) {
    const b = buf[i]!;
    if (b !== Ch.CR && b !== Ch.LF && b !== Ch.SP && b !== Ch.HT) return false;
  }
  return true;
}
