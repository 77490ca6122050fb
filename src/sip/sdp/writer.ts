/*
 * Our side of the media session: the SDP offers and answers we send
 * (RFC 4566 syntax, RFC 3264 offer/answer) for one G.711 audio stream with
 * RFC 4733 telephone events. Every constant is encoded once at load, the
 * address when it is set, and numbers go through SipWriter.uint, so writing
 * a body allocates nothing.
 *
 * o= sess-version (RFC 3264 §8): it must increase whenever the description
 * changes and stay the same when it does not (the peer takes an unchanged
 * version to mean an unchanged description). The version sits before the
 * content it depends on, so the o= line is written last: everything after
 * it is written first, hashed and compared with the previous description's
 * hash; then those bytes are moved up in place to make room for the o= line.
 * LocalMediaOptions.sessionId may come from RandomHost once per boot, or per
 * call through newSession.
 */
import { ascii } from "../message/bytes";
import type { SipWriter } from "../message/writer";
import { Codec } from "./codec";
import { combineDirection, Direction } from "./direction";
import { SdpError } from "./errors";
import type { SdpReader } from "./reader";

export interface LocalMediaOptions {
  /** o= sess-id (RFC 4566 §5.2), e.g. from RandomHost; newSession sets a new one per call. */
  sessionId: number;
  /** The address we receive RTP on (IPv4 dotted quad or IPv6). */
  address: string;
  rtpPort: number;
  /** RTP payload type we offer for telephone-event/8000 (RFC 4733); default 101, -1 for none. */
  telephoneEventPt?: number;
  /** o= username (RFC 4566 §5.2: no spaces); default "doorsip". */
  userName?: string;
  /**
   * Where to keep the numbers (session id, port, version, hash...): the
   * first LocalMediaNum.Count entries of this array (a call's table, whose
   * own numbers follow); default an array of its own. In XS each property
   * of an object is a heap slot per LocalMedia (16 bytes on the device).
   */
  numbers?: Float64Array;
}

/** Where each number of a LocalMedia is in its array (see LocalMediaOptions.numbers). */
export const enum LocalMediaNum {
  SessionId, RtpPort, TelephoneEventPt, Version, AddressIp6, LastHash, LastLen,
  Count,
}

/** Default dynamic payload type for telephone-event, as most PBXs use. */
export const DEFAULT_TELEPHONE_EVENT_PT = 101;

const V0_O = ascii("v=0\r\no=");
const IN_IP4 = ascii(" IN IP4 ");
const IN_IP6 = ascii(" IN IP6 ");
/** s= must not be empty (RFC 4566 §5.3); "-" is the usual placeholder. */
const S_C_IP4 = ascii("s=-\r\nc=IN IP4 ");
const S_C_IP6 = ascii("s=-\r\nc=IN IP6 ");
/** t=0 0: an unbounded session (RFC 3264 §5). */
const T_0_0 = ascii("\r\nt=0 0\r\n");
const M_AUDIO = ascii("m=audio ");
const RTP_AVP = ascii(" RTP/AVP ");
const OFFER_FORMATS = ascii("0 8");
const OFFER_RTPMAPS = ascii("a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n");
const A_RTPMAP = ascii("a=rtpmap:");
const PCMU_8000 = ascii(" PCMU/8000\r\n");
const PCMA_8000 = ascii(" PCMA/8000\r\n");
const TELEPHONE_EVENT_8000 = ascii(" telephone-event/8000\r\n");
const A_FMTP = ascii("a=fmtp:");
/** DTMF 0-9, *, #, A-D and flash (RFC 4733 §3.2 table 3). */
const EVENTS_0_16 = ascii("0-16");
/** We send 20 ms packets and ask for the same (RFC 4566 §6). */
const A_PTIME_20 = ascii("a=ptime:20\r\n");
const M_EQ = ascii("m=");
const PORT_ZERO = ascii(" 0 ");
const CRLF = ascii("\r\n");
/** a=<direction> lines, indexed by Direction. */
const DIRECTION_LINES: readonly Uint8Array[] = Object.freeze([ascii("a=sendrecv\r\n"), ascii("a=sendonly\r\n"), ascii("a=recvonly\r\n"), ascii("a=inactive\r\n")]);

/** The first o= sess-version of a session. */
const FIRST_VERSION = 1;
/**
 * Shared by every LocalMedia (one per call slot): the default o= user name
 * and the unspecified address a slot starts with, so an idle slot holds no
 * byte arrays of its own (in XS each costs 7 slots and a chunk).
 */
const DEFAULT_USER = ascii("doorsip");
const UNSPECIFIED = "0.0.0.0";
const UNSPECIFIED_BYTES = ascii(UNSPECIFIED);

export class LocalMedia {
  private addressText = "";
  private addressBytes: Uint8Array = UNSPECIFIED_BYTES;
  private readonly user: Uint8Array;
  /** The numbers, behind the accessors below (see LocalMediaOptions.numbers). */
  private readonly n: Float64Array;

  constructor(opts: LocalMediaOptions) {
    this.n = opts.numbers !== undefined ? opts.numbers : new Float64Array(LocalMediaNum.Count);
    this.sessionId = opts.sessionId;
    this.rtpPort = opts.rtpPort;
    this.n[LocalMediaNum.TelephoneEventPt] = opts.telephoneEventPt ?? DEFAULT_TELEPHONE_EVENT_PT;
    this.version = FIRST_VERSION;
    this.lastHash = 0;
    this.lastLen = -1;
    this.user = opts.userName !== undefined ? ascii(opts.userName) : DEFAULT_USER;
    this.address = opts.address;
  }

  /** o= sess-id (RFC 4566 §5.2); a new one per session, see newSession. */
  get sessionId(): number { return this.n[LocalMediaNum.SessionId]!; }
  set sessionId(v: number) { this.n[LocalMediaNum.SessionId] = v; }
  get rtpPort(): number { return this.n[LocalMediaNum.RtpPort]!; }
  set rtpPort(v: number) { this.n[LocalMediaNum.RtpPort] = v; }
  get telephoneEventPt(): number { return this.n[LocalMediaNum.TelephoneEventPt]!; }
  /** o= sess-version of the last description written (the next one keeps it if nothing changed). */
  get version(): number { return this.n[LocalMediaNum.Version]!; }
  set version(v: number) { this.n[LocalMediaNum.Version] = v; }
  private get addressIp6(): boolean { return this.n[LocalMediaNum.AddressIp6] !== 0; }
  private set addressIp6(v: boolean) { this.n[LocalMediaNum.AddressIp6] = v ? 1 : 0; }
  /** Hash and length of everything after the o= line of the last description written; lastLen -1 before the first. */
  private get lastHash(): number { return this.n[LocalMediaNum.LastHash]!; }
  private set lastHash(v: number) { this.n[LocalMediaNum.LastHash] = v; }
  private get lastLen(): number { return this.n[LocalMediaNum.LastLen]!; }
  private set lastLen(v: number) { this.n[LocalMediaNum.LastLen] = v; }

  get address(): string {
    return this.addressText;
  }

  /** Encoded here, once, so that writing never allocates. A changed address changes c=, so the next version increases. */
  set address(text: string) {
    if (text === this.addressText) return;
    // SDP carries IPv6 addresses bare (RFC 4566 §9), not in URI brackets.
    if (text.length > 1 && text.charCodeAt(0) === 91 && text.charCodeAt(text.length - 1) === 93) text = text.slice(1, -1);
    this.addressText = text;
    this.addressBytes = text === UNSPECIFIED ? UNSPECIFIED_BYTES : ascii(text);
    this.addressIp6 = text.indexOf(":") >= 0;
  }

  /**
   * Start a new session (a new call): a new o= sess-id, the address to
   * advertise, and the version back to its first value with no previous
   * description to compare with (RFC 3264 §8 versions count within one
   * session). Encodes the address only when it changed.
   */
  newSession(sessionId: number, address: string): void {
    this.sessionId = sessionId;
    this.address = address;
    this.version = FIRST_VERSION;
    this.lastHash = 0;
    this.lastLen = -1;
  }

  /**
   * A full offer (RFC 3264 §5): PCMU and PCMA, telephone-event, 20 ms, and
   * the given direction. Returns false on overflow.
   */
  writeOffer(w: SipWriter, direction: Direction): boolean {
    const from = this.head(w);
    w.bytes(M_AUDIO).uint(this.rtpPort).bytes(RTP_AVP).bytes(OFFER_FORMATS);
    const te = this.telephoneEventPt;
    if (te >= 0) w.byte(32).uint(te);
    w.crlf().bytes(OFFER_RTPMAPS);
    if (te >= 0) this.telephoneEvent(w, te, null, 0, -1);
    w.bytes(A_PTIME_20).bytes(directionLine(direction));
    return this.finish(w, from);
  }

  /**
   * The answer to `offer` (RFC 3264 §6): as many m= lines as offered, in
   * order; the chosen audio stream with exactly the chosen codec under the
   * offer's payload type, telephone-event under the offer's payload type
   * when both sides have it, 20 ms, and the offer's direction mirrored and
   * narrowed to `localDirection` (RFC 3264 §6.1); every other stream
   * rejected with port 0. An offered port 0 stays 0 (RFC 3264 §6).
   * Returns false on overflow, or when the offer has no usable audio (the
   * caller answers 488 with a Warning, see warning.ts).
   */
  writeAnswer(w: SipWriter, offer: SdpReader, localDirection: Direction): boolean {
    if (offer.error !== SdpError.None || offer.audioIndex < 0 || offer.codec === Codec.None) return false;
    const from = this.head(w);
    const src = offer.buf;
    const n = offer.mediaCount;
    for (let k = 0; k < n; k++) {
      if (k !== offer.audioIndex) {
        // Rejected (RFC 3264 §6): port 0, with the offered media, proto and formats.
        w.bytes(M_EQ).span(src, offer.mediaTypeStart(k), offer.mediaTypeLen(k)).bytes(PORT_ZERO);
        w.span(src, offer.mediaProtoStart(k), offer.mediaProtoLen(k)).byte(32).span(src, offer.mediaFmtStart(k), offer.mediaFmtLen(k)).crlf();
        continue;
      }
      const te = this.telephoneEventPt >= 0 ? offer.telephoneEventPt : -1;
      w.bytes(M_AUDIO).uint(offer.audioPort > 0 ? this.rtpPort : 0).bytes(RTP_AVP).uint(offer.codecPt);
      if (te >= 0) w.byte(32).uint(te);
      w.crlf().bytes(A_RTPMAP).uint(offer.codecPt).bytes(offer.codec === Codec.PCMU ? PCMU_8000 : PCMA_8000);
      if (te >= 0) this.telephoneEvent(w, te, src, offer.telephoneEventFmtpStart, offer.telephoneEventFmtpLen);
      w.bytes(A_PTIME_20).bytes(directionLine(combineDirection(offer.direction, localDirection)));
    }
    return this.finish(w, from);
  }

  /** "v=0", then the session-level lines after o= (s=, c=, t=). Returns where the o= line goes. */
  private head(w: SipWriter): number {
    w.bytes(V0_O);
    const from = w.pos;
    w.bytes(this.addressIp6 ? S_C_IP6 : S_C_IP4).bytes(this.addressBytes).bytes(T_0_0);
    return from;
  }

  /** a=rtpmap and a=fmtp for telephone-event; the events from the offer when it gave them, else 0-16. */
  private telephoneEvent(w: SipWriter, pt: number, src: Uint8Array | null, start: number, len: number): void {
    w.bytes(A_RTPMAP).uint(pt).bytes(TELEPHONE_EVENT_8000).bytes(A_FMTP).uint(pt).byte(32);
    if (src !== null && len > 0) w.span(src, start, len);
    else w.bytes(EVENTS_0_16);
    w.crlf();
  }

  /** Decide the version from the content written after `from`, then insert the o= line there. */
  private finish(w: SipWriter, from: number): boolean {
    if (w.overflow) return false;
    const buf = w.buf;
    const end = w.pos;
    const len = end - from;
    // FNV-1a (32 bits) over the content: a collision, odds 2^-32, would only keep the version unchanged.
    let h = 0x811c9dc5;
    for (let i = from; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193) >>> 0;
    let version = this.version;
    if (this.lastLen >= 0 && (h !== this.lastHash || len !== this.lastLen)) version++;
    // o=<username> <sess-id> <sess-version> IN IP4|IP6 <address>CRLF (RFC 4566 §5.2)
    const oLen = this.user.length + 1 + digits(this.sessionId) + 1 + digits(version) + IN_IP4.length + this.addressBytes.length + CRLF.length;
    if (end + oLen > buf.length) {
      w.overflow = true;
      return false;
    }
    for (let i = end - 1; i >= from; i--) buf[i + oLen] = buf[i]!;
    w.pos = from;
    w.bytes(this.user).byte(32).uint(this.sessionId).byte(32).uint(version).bytes(this.addressIp6 ? IN_IP6 : IN_IP4).bytes(this.addressBytes).crlf();
    w.pos = end + oLen;
    this.version = version;
    this.lastHash = h;
    this.lastLen = len;
    return true;
  }
}

/** The a=<direction> line; an out-of-range value (a caller's bug) reads as its low bits rather than throwing. */
function directionLine(d: Direction): Uint8Array {
  return DIRECTION_LINES[d & 3]!;
}

/** Number of decimal digits SipWriter.uint writes for n. */
function digits(n: number): number {
  if (n < 0 || n !== Math.floor(n)) return 1;
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}
