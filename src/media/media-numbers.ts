/*
 * The media's numbers in one Uint32Array (issue #9, idle heap). In XS each
 * number property of an object is a heap slot (16 bytes on the ESP32), an
 * element of a Uint32Array 4 bytes of its buffer; the prototypes, with the
 * accessors that read the elements by name, are in ROM on the device. So
 * the RTP session, its header reader, statistics, jitter buffer, RFC 4733
 * receiver, concealment and RTCP reader, the RFC 4733 sender, the two tone
 * generators and the media clock each keep their numbers at fixed places in
 * one table, which CallMedia makes as a view of the one ArrayBuffer that
 * also holds the media's byte buffers. A part built on its own (tests,
 * tools) makes a table of its own (mediaNumbers()).
 *
 * Every number kept there is a 32-bit one: RTP's timestamps, SSRCs and
 * sequence numbers (RFC 3550 §5.1), NTP middle bits, phases, counters
 * (which wrap at 2^32 as RTCP's do, §6.4.1), small settings. A few may be
 * negative (-1 for "none", a transit time, a cumulative loss): they are
 * stored modulo 2^32 and read back with `| 0`, as marked below. The clock
 * times (the host's ms, fractional on Node) are in a Float64Array of their
 * own (MediaTime). Flags are 0 or 1. In XS an element costs a few meter
 * ticks more than a property (an indexed access against a named one), so
 * the per-packet loops copy what they use into locals (see jitter-buffer.ts,
 * tone.ts).
 */

/** The numbers of one ToneGenerator, from its base (MediaNumber.LocalTone or RemoteTone). */
export const enum ToneField {
  Tone,
  Segment,
  Left,
  Phase1,
  Phase2,
  Step1,
  Step2,
  Level,
  Count,
}

export const enum MediaNumber {
  // RtpHeader (rtp-packet.ts): the fields of the last packet read (RFC 3550 §5.1).
  /** The first octet (V, P, X, CC): the padding and extension flags and the CSRC count are read from it when asked. */
  HeaderFirst,
  HeaderMarker,
  HeaderPayloadType,
  HeaderSequence,
  HeaderTimestamp,
  HeaderSsrc,
  HeaderPayloadStart,
  HeaderPayloadLength,

  // RtpReceiveStats (rtp-stats.ts): RFC 3550 A.1, A.3, A.8.
  StatsSsrc,
  StatsStarted,
  /** Read with `| 0`: it is the sequence number - 1 (maybe -1) until a packet is taken. */
  StatsMaxSeq,
  StatsCycles,
  StatsBaseSeq,
  StatsBadSeq,
  StatsProbation,
  StatsReceived,
  /** Signed (`| 0`): A.3's expected can be negative during probation. */
  StatsExpectedPrior,
  StatsReceivedPrior,
  StatsJitter16,
  /** Signed (`| 0`). */
  StatsTransit,
  StatsHaveTransit,

  // JitterBuffer (jitter-buffer.ts): its settings, play-out state and counters.
  JitterSlots,
  JitterSlotBytes,
  JitterMinFrames,
  JitterMaxFrames,
  JitterTarget,
  JitterPlayTs,
  JitterPrimed,
  JitterActive,
  JitterLate,
  JitterDuplicates,
  JitterRestarts,
  JitterMissing,
  JitterDropped,
  JitterTruncated,
  JitterEndTs,
  JitterSinceLate,
  JitterHold,
  JitterLateRun,
  JitterTargetBeforeRun,

  // TelephoneEventReceiver (telephone-event.ts): RFC 4733 §2.5.2.
  /** -1 when none: read with `| 0`. */
  RxEvent,
  RxTimestamp,
  RxDuration,
  RxEnded,
  RxEvents,
  RxMalformed,
  RxHave,

  // Concealment (concealment.ts).
  ConcealLost,
  ConcealHaveLast,
  ConcealConcealed,

  // RtcpReader (rtcp.ts): what the peer's last compound packet said (RFC 3550 §6.4).
  RtcpSr,
  RtcpSrSsrc,
  RtcpSrMiddle,
  RtcpAboutUs,
  RtcpFractionLost,
  /** Signed 24 bits (`| 0`). */
  RtcpCumulativeLost,
  RtcpJitter,
  RtcpBye,

  // RtpSession (rtp-session.ts).
  SessionSlot,
  SessionActive,
  SessionAlaw,
  SessionPayloadType,
  /** -1 when not negotiated: read with `| 0`. */
  SessionEventPayloadType,
  SessionSending,
  SessionReceiving,
  SessionRemotePort,
  SessionRemoteRtcpPort,
  SessionSdpPort,
  /** The SDP's a=rtcp port (RFC 3605), 0 when none: RTCP goes to SessionSdpPort + 1 (RFC 3550 §11). */
  SessionSdpRtcpPort,
  /** Its IPv4 address when other than the RTP's, 0 when none. */
  SessionSdpRtcpIp4,
  /** The address RtpSession's rtcpIp4Text is the text of, 0 before the first. */
  SessionRtcpIp4Text,
  /** 1 once the peer's own RTCP came (symmetric RTCP: its source is where reports go); 0 after a new SDP destination. */
  SessionRtcpLearned,
  SessionLatched,
  /** 1 when the SDP's RTP address is a private IPv4 one (RFC 1918, loopback, link-local): its RTP may come through a NAT (rtp-session.ts acceptSource). */
  SessionSdpPrivate,
  /** acceptSource's verdict on the last source address other than the SDP's (RtpSession.foreignAddress): 1 a public address (a NAT's), 0 not. */
  SessionForeignPublic,
  SessionSsrc,
  SessionSequence,
  SessionTimestamp,
  SessionMarker,
  SessionPacketsSent,
  SessionOctetsSent,
  SessionSentSinceReport,
  SessionLastSr,
  SessionPacketsReceived,
  SessionDropped,
  SessionDigits,
  SessionRtcpSent,
  SessionRtcpReceived,

  // TelephoneEventSender (telephone-event.ts): RFC 4733 §2.5.1.
  TxState,
  /** -1 before the first begin(): read with `| 0`. */
  TxEvent,
  TxVolume,
  TxLength,
  TxTimestamp,
  TxDuration,
  TxMarker,
  TxEnd,
  TxPackets,
  TxEvents,
  TxNextUpdate,
  TxEndsLeft,
  TxWait,

  // The two ToneGenerators (tone.ts), ToneField.Count numbers each.
  LocalTone,
  RemoteTone = LocalTone + ToneField.Count,

  // CallMedia (call-media.ts): the media clock and the confirmation.
  /** -1 sends none: read with `| 0`. */
  MediaConfirmEvent = RemoteTone + ToneField.Count,
  MediaRingback,
  MediaFrames,
  MediaSkipped,
  MediaRunning,
  MediaClockFrames,
  /** When in-band DTMF is listened for (InbandDtmfMode). */
  MediaInbandMode,
  /** The frame count until which a received RFC 4733 key equal to the door's own event is its echo (0: none sent yet). */
  MediaEchoUntil,
  /** Keys taken as the echo of the door's own event. */
  MediaEchoes,

  // InbandDtmf (inband-dtmf.ts).
  /** The last received frame's key, -1 none: read with `| 0`. */
  InbandKey,
  InbandFrames,
  /** The media frame count when the door's microphone last heard DTMF, if InbandMicHeard. */
  InbandMicAt,
  InbandMicHeard,
  InbandKeys,
  /** CallMedia's speaker a frame behind while it listens for keys: bit 0 the frame held back holds a key, bit 1 the one before it did, bit 2 a frame is held. */
  InbandHeld,

  Count,
}

/**
 * The clock times the media keeps, ms as the host's clock gives them
 * (fractional on Node, any size): a Float64Array of their own.
 */
export const enum MediaTime {
  /** When the peer's last SR came (RtpSession.lastSrAt), -1 when none. */
  SessionLastSrAt,
  SessionLastRtpAt,
  SessionStartedAt,
  SessionNextReportAt,
  /** When the media clock started (CallMedia). */
  MediaClockStart,
  Count,
}

/** The times' bytes: they go first in a shared ArrayBuffer (8-byte aligned). */
const MEDIA_TIMES_BYTES = 8 * MediaTime.Count;

/** The bytes of both tables at the head of a shared ArrayBuffer (a multiple of 8). */
export const MEDIA_NUMBERS_BYTES = (MEDIA_TIMES_BYTES + 4 * MediaNumber.Count + 7) & ~7;

/** A table of the media's numbers, in `store` (after the times) when given. */
export function mediaNumbers(store?: ArrayBuffer): Uint32Array {
  return store !== undefined ? new Uint32Array(store, MEDIA_TIMES_BYTES, MediaNumber.Count) : new Uint32Array(MediaNumber.Count);
}

/** A table of the media's clock times, at the head of `store` when given. */
export function mediaTimes(store?: ArrayBuffer): Float64Array {
  return store !== undefined ? new Float64Array(store, 0, MediaTime.Count) : new Float64Array(MediaTime.Count);
}
