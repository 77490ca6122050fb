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
 */
import { ascii, spanEquals, spanEqualsCI, spanToString } from "../message/bytes";
import { C, Ch } from "../message/chars";
import { parseUint, skipClass } from "../message/lex";
import { Codec, codecOf, MAX_PT, PtKind } from "./codec";
import { ConnectionField } from "./connection";
import { Direction } from "./direction";
import { SDP_ERROR_REASONS, SdpError } from "./errors";
import { MediaField } from "./media-field";
import { OriginField } from "./origin";
import { Fmtp, Rtpmap } from "./rtpmap";
import { skipNonWs, skipWs, trimWs } from "./scan";

export { Codec } from "./codec";
export { SDP_ERROR_REASONS, SdpError } from "./errors";

/** How many m= lines are kept; the answer must repeat every one (RFC 3264 §6), so more is an error. */
export const MAX_MEDIA = 16;

const EMPTY = new Uint8Array(0);
const K_ZERO = ascii("0");
const K_RTPMAP = ascii("rtpmap");
const K_FMTP = ascii("fmtp");
const K_PTIME = ascii("ptime");
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
  buf: Uint8Array = EMPTY;
  error: SdpError = SdpError.None;
  /** Absolute offset into buf of the problem. */
  errorOffset = 0;

  // o= (RFC 4566 §5.2)
  originStart = 0;
  originLen = 0;
  originSessIdStart = 0;
  originSessIdLen = 0;
  originVersionStart = 0;
  originVersionLen = 0;
  /** sess-version; -1 when too long to be exact as a number (compare the span then). */
  originVersion = -1;

  // Every m= line, in order (RFC 3264 §6: the answer has as many, in the same order).
  // Views of one buffer (`lines`): in XS a view costs 4 slots and no chunk of its own, a typed array 7 and a chunk.
  mediaCount = 0;
  readonly mediaLineStart: Int32Array;
  readonly mediaTypeStart: Int32Array;
  readonly mediaTypeLen: Int32Array;
  readonly mediaPort: Int32Array;
  readonly mediaProtoStart: Int32Array;
  readonly mediaProtoLen: Int32Array;
  /** The format list, from the first format to the end of the line. */
  readonly mediaFmtStart: Int32Array;
  readonly mediaFmtLen: Int32Array;

  // The audio stream we answer
  /** Index among the m= lines, -1 when none. */
  audioIndex = -1;
  /** 0 = stream disabled by the offerer. */
  audioPort = 0;
  /** Connection address: media-level c= over session-level (RFC 4566 §5.7). */
  connStart = 0;
  connLen = 0;
  connIp6 = false;
  /** 0.0.0.0: the RFC 2543 hold (RFC 3264 §8.4); send nothing to it. */
  connNull = false;
  /** The first G.711 format in the m= line's order, and its payload type in the offer. */
  codec: Codec = Codec.None;
  codecPt = -1;
  /** Payload type of telephone-event/8000 (RFC 4733 §7.1.1), -1 when not offered. */
  telephoneEventPt = -1;
  /** Its a=fmtp parameters (the events, RFC 4733 §2.4.1); length -1 when there is no a=fmtp for it. */
  telephoneEventFmtpStart = 0;
  telephoneEventFmtpLen = -1;
  /** a=sendrecv/sendonly/recvonly/inactive: media-level over session-level, default sendrecv (RFC 3264 §5.1). */
  direction: Direction = Direction.SendRecv;
  /** a=ptime in ms (media-level over session-level), 0 when absent. */
  ptime = 0;

  private readonly origin = new OriginField();
  private readonly conn = new ConnectionField();
  private readonly media = new MediaField();
  private readonly rtpmap = new Rtpmap();
  private readonly fmtp = new Fmtp();
  /**
   * What each payload type means in the current media description, cleared
   * when the next one starts (128 bytes; a per-type stamp would spare the
   * clearing at four times the bytes). The a=fmtp lines are not kept per
   * type: only telephone-event's is wanted, and it is found again in the
   * chosen section's lines (findEventFmtp). A view of the m= lines'
   * buffer (a typed array of its own costs 3 slots and a chunk more).
   */
  private readonly ptKind: Uint8Array;

  private sawOrigin = false;
  private sessConn = false;
  private sessConnStart = 0;
  private sessConnLen = 0;
  private sessConnIp6 = false;
  private sessConnNull = false;
  private sessDirection = -1;
  private sessPtime = 0;

  // The media description being read
  private curAudio = false;
  private curAvp = false;
  private curPort = 0;
  private curFmtStart = 0;
  private curFmtEnd = 0;
  private curConn = false;
  private curConnStart = 0;
  private curConnLen = 0;
  private curConnIp6 = false;
  private curConnNull = false;
  private curDirection = -1;
  private curPtime = 0;
  /** The a=fmtp of a payload type already mapped to telephone-event in this section (the usual order): no second look needed. */
  private curEventFmtpPt = -1;
  private curEventFmtpStart = 0;
  private curEventFmtpLen = 0;

  private bestScore: Score = Score.None;
  private audioConn = false;
  private audioLineStart = 0;

  constructor() {
    const lines = new ArrayBuffer(8 * MAX_MEDIA * 4 + MAX_PT + 1);
    this.ptKind = new Uint8Array(lines, 8 * MAX_MEDIA * 4, MAX_PT + 1);
    const view = (k: number): Int32Array => new Int32Array(lines, k * MAX_MEDIA * 4, MAX_MEDIA);
    this.mediaLineStart = view(0);
    this.mediaTypeStart = view(1);
    this.mediaTypeLen = view(2);
    this.mediaPort = view(3);
    this.mediaProtoStart = view(4);
    this.mediaProtoLen = view(5);
    this.mediaFmtStart = view(6);
    this.mediaFmtLen = view(7);
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

  /** The reason for `error`, for logs. */
  get reason(): string {
    return SDP_ERROR_REASONS[this.error] ?? "unknown";
  }

  /** The audio stream's connection address as a string (on demand: allocates). */
  connectionAddress(): string {
    return spanToString(this.buf, this.connStart, this.connLen);
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
    // RFC 4566 §5: exactly one o=, at session level.
    if (this.sawOrigin || this.mediaCount > 0) return this.fail(SdpError.Origin, s);
    const o = this.origin;
    if (!o.read(buf, v, e)) return this.fail(SdpError.Origin, o.error);
    this.sawOrigin = true;
    this.originStart = o.start;
    this.originLen = o.len;
    this.originSessIdStart = o.sessIdStart;
    this.originSessIdLen = o.sessIdLen;
    this.originVersionStart = o.versionStart;
    this.originVersionLen = o.versionLen;
    this.originVersion = o.version;
    return true;
  }

  private connectionLine(buf: Uint8Array, v: number, e: number): boolean {
    const c = this.conn;
    if (!c.read(buf, v, e)) return this.fail(SdpError.Connection, c.error);
    if (this.mediaCount === 0) {
      this.sessConn = true;
      this.sessConnStart = c.addrStart;
      this.sessConnLen = c.addrLen;
      this.sessConnIp6 = c.ip6;
      this.sessConnNull = c.isNull;
    } else {
      this.curConn = true;
      this.curConnStart = c.addrStart;
      this.curConnLen = c.addrLen;
      this.curConnIp6 = c.ip6;
      this.curConnNull = c.isNull;
    }
    return true;
  }

  private mediaLine(buf: Uint8Array, s: number, v: number, e: number): boolean {
    if (!this.sawOrigin) return this.fail(SdpError.Origin, s);
    this.endSection(s);
    if (this.mediaCount >= MAX_MEDIA) return this.fail(SdpError.TooManyMedia, s);
    const m = this.media;
    if (!m.read(buf, v, e)) return this.fail(SdpError.Media, m.error);
    const k = this.mediaCount++;
    this.mediaLineStart[k] = s;
    this.mediaTypeStart[k] = m.typeStart;
    this.mediaTypeLen[k] = m.typeLen;
    this.mediaPort[k] = m.port;
    this.mediaProtoStart[k] = m.protoStart;
    this.mediaProtoLen[k] = m.protoLen;
    this.mediaFmtStart[k] = m.fmtStart;
    this.mediaFmtLen[k] = m.fmtLen;
    this.curAudio = m.audio;
    this.curAvp = m.avp;
    this.curPort = m.port;
    this.curFmtStart = m.fmtStart;
    this.curFmtEnd = m.fmtStart + m.fmtLen;
    this.curConn = false;
    this.curDirection = -1;
    this.curPtime = 0;
    // A new media description: every payload type mapping of the previous one lapses.
    this.ptKind.fill(PtKind.Unknown);
    this.curEventFmtpPt = -1;
    return true;
  }

  /** a=<attribute>[:<value>] (RFC 4566 §5.13). Only the attributes that shape the answer are read. */
  private attributeLine(buf: Uint8Array, v: number, e: number): boolean {
    const inMedia = this.mediaCount > 0;
    // Attributes of streams we will reject are not ours to judge.
    if (inMedia && !(this.curAudio && this.curAvp)) return true;
    let n = v;
    while (n < e && buf[n] !== Ch.Colon) n++;
    const nameLen = n - v;
    const val = n < e ? n + 1 : e;
    const d = directionOf(buf, v, nameLen);
    if (d >= 0) {
      if (inMedia) this.curDirection = d;
      else this.sessDirection = d;
      return true;
    }
    if (spanEqualsCI(buf, v, nameLen, K_PTIME)) {
      // a=ptime:<packet time> in ms; a fraction ("20.0") is read as its integer part.
      const j = skipClass(buf, val, e, C.Digit);
      const p = parseUint(buf, val, j, MAX_PTIME);
      if (p < 0) return this.fail(SdpError.Attribute, val);
      if (inMedia) this.curPtime = p;
      else this.sessPtime = p;
      return true;
    }
    // rtpmap and fmtp are media-level only (RFC 4566 §6).
    if (!inMedia) return true;
    if (spanEqualsCI(buf, v, nameLen, K_RTPMAP)) {
      const r = this.rtpmap;
      if (!r.read(buf, val, e)) return this.fail(SdpError.Attribute, r.error);
      this.ptKind[r.pt] = r.kind;
    } else if (spanEqualsCI(buf, v, nameLen, K_FMTP)) {
      // Kept when it is for telephone-event (mapped above it, as offers do); otherwise findEventFmtp looks again if need be.
      const f = this.fmtp;
      if (!f.read(buf, val, e)) return this.fail(SdpError.Attribute, f.error);
      if (this.ptKind[f.pt] === PtKind.TelephoneEvent) {
        this.curEventFmtpPt = f.pt;
        this.curEventFmtpStart = f.paramsStart;
        this.curEventFmtpLen = f.paramsLen;
      }
    }
    return true;
  }

  /** The media description just read, which ends at `end`, is complete: is its stream a better one to answer? */
  private endSection(end: number): void {
    if (this.mediaCount === 0 || !this.curAudio) return;
    let score = Score.Audio;
    let codec = Codec.None;
    let codecPt = -1;
    let te = -1;
    if (this.curAvp) {
      const buf = this.buf;
      const fmtEnd = this.curFmtEnd;
      let i = this.curFmtStart;
      // The offerer lists formats in order of preference (RFC 3264 §5.1).
      while (i < fmtEnd) {
        const j = skipNonWs(buf, i, fmtEnd);
        const pt = parseUint(buf, i, j, MAX_PT);
        const kind: PtKind = pt >= 0 ? this.ptKind[pt]! : PtKind.Unknown;
        if (codec === Codec.None) {
          codec = codecOf(pt, kind);
          if (codec !== Codec.None) codecPt = pt;
        }
        if (te < 0 && kind === PtKind.TelephoneEvent) te = pt;
        i = skipWs(buf, j, fmtEnd);
      }
      if (codec !== Codec.None) score = this.curPort > 0 ? Score.Usable : Score.Disabled;
    }
    if (score <= this.bestScore) return;
    this.bestScore = score;
    const k = this.mediaCount - 1;
    this.audioIndex = k;
    this.audioLineStart = this.mediaLineStart[k]!;
    this.audioPort = this.curPort;
    this.codec = codec;
    this.codecPt = codecPt;
    this.telephoneEventPt = te;
    this.telephoneEventFmtpStart = 0;
    this.telephoneEventFmtpLen = -1;
    if (te >= 0 && te === this.curEventFmtpPt) {
      this.telephoneEventFmtpStart = this.curEventFmtpStart;
      this.telephoneEventFmtpLen = this.curEventFmtpLen;
    } else if (te >= 0) this.findEventFmtp(te, this.audioLineStart, end);
    this.direction = this.curDirection >= 0 ? this.curDirection : this.sessDirection >= 0 ? this.sessDirection : Direction.SendRecv;
    this.ptime = this.curPtime > 0 ? this.curPtime : this.sessPtime;
    if (this.curConn) {
      this.audioConn = true;
      this.connStart = this.curConnStart;
      this.connLen = this.curConnLen;
      this.connIp6 = this.curConnIp6;
      this.connNull = this.curConnNull;
    } else {
      this.audioConn = this.sessConn;
      this.connStart = this.sessConnStart;
      this.connLen = this.sessConnLen;
      this.connIp6 = this.sessConnIp6;
      this.connNull = this.sessConnNull;
    }
  }

  /**
   * The a=fmtp of payload type `pt` among the lines of [from, to), the
   * chosen media description (RFC 4566 §6: fmtp is media-level). Its lines
   * were checked on the first pass; as there, a later a=fmtp for the same
   * type replaces an earlier one.
   */
  private findEventFmtp(pt: number, from: number, to: number): void {
    const buf = this.buf;
    const f = this.fmtp;
    let i = from;
    while (i < to) {
      let e = i;
      while (e < to && buf[e] !== Ch.CR && buf[e] !== Ch.LF) e++;
      // "a=fmtp:" (the name case-insensitive, as attributeLine reads it)
      if (e - i > 7 && buf[i] === T.A && buf[i + 1] === Ch.Equals && buf[i + 6] === Ch.Colon && spanEqualsCI(buf, i + 2, 4, K_FMTP) && f.read(buf, i + 7, e) && f.pt === pt) {
        this.telephoneEventFmtpStart = f.paramsStart;
        this.telephoneEventFmtpLen = f.paramsLen;
      }
      i = e;
      while (i < to && (buf[i] === Ch.CR || buf[i] === Ch.LF)) i++;
    }
  }

  private finish(start: number, end: number): boolean {
    if (!this.sawOrigin) return this.fail(SdpError.Origin, end);
    this.endSection(end);
    if (this.audioIndex < 0) return this.fail(SdpError.NoAudio, start);
    // RFC 4566 §5.7: a c= at session level or in every media description; a stream in use needs one.
    if (this.audioPort > 0 && !this.audioConn) return this.fail(SdpError.Connection, this.audioLineStart);
    return true;
  }

  private reset(buf: Uint8Array): void {
    this.buf = buf;
    this.error = SdpError.None;
    this.errorOffset = 0;
    this.originStart = 0;
    this.originLen = 0;
    this.originSessIdStart = 0;
    this.originSessIdLen = 0;
    this.originVersionStart = 0;
    this.originVersionLen = 0;
    this.originVersion = -1;
    this.mediaCount = 0;
    this.audioIndex = -1;
    this.audioPort = 0;
    this.connStart = 0;
    this.connLen = 0;
    this.connIp6 = false;
    this.connNull = false;
    this.codec = Codec.None;
    this.codecPt = -1;
    this.telephoneEventPt = -1;
    this.telephoneEventFmtpStart = 0;
    this.telephoneEventFmtpLen = -1;
    this.direction = Direction.SendRecv;
    this.ptime = 0;
    this.sawOrigin = false;
    this.sessConn = false;
    this.sessDirection = -1;
    this.sessPtime = 0;
    this.curAudio = false;
    this.bestScore = Score.None;
    this.audioConn = false;
    this.audioLineStart = 0;
  }

  private fail(error: SdpError, at: number): boolean {
    this.error = error;
    this.errorOffset = at;
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
