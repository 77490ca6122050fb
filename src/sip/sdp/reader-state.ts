/*
 * The SdpReader's numbers, all in one Int32Array (issue 9, idle heap). In
 * XS every number property of an object is a slot (16 bytes on the ESP32), a
 * typed-array view 4 slots more, a sub-object a slot per property; one
 * typed array with its own buffer is 7 slots, and its numbers 4 chunk bytes
 * each. The reader and its field readers (origin.ts, connection.ts,
 * media-field.ts, rtpmap.ts, rtcp-attribute.ts) index this array with the
 * constants below; the reader's public names are getters over it.
 *
 * Every value fits an int32: offsets and lengths within a body, ports,
 * payload types, enums, and -1 sentinels; an IPv4 address is kept as its
 * 32 bits (read back with >>> 0). o= sess-version does not fit (up to
 * 2^53) and stays a property of the reader.
 *
 * Every member is a literal, its sum in a comment: esbuild, which bundles
 * the core for XS, folds a member computed from another enum's into a
 * runtime lookup and leaves the members after it undefined.
 * test/sdp.test.ts checks that the blocks fit the field readers' sizes
 * (OriginOut, ConnOut, MediaOut, RtpmapOut, FmtpOut, RtcpOut, MediaRow).
 */
export const enum Num {
  /** An SdpError. */
  Error = 0,
  /** Absolute offset into buf of the problem. */
  ErrorOffset = 1,
  /** o= (RFC 4566 §5.2): OriginOut.Size numbers, written by readOrigin. */
  Origin = 2,
  MediaCount = 8, // Origin + OriginOut.Size

  // The audio stream we answer
  /** Index among the m= lines, -1 when none. */
  AudioIndex = 9,
  /** 0 = stream disabled by the offerer. */
  AudioPort = 10,
  /** A Codec: the first G.711 format in the m= line's order. */
  Codec = 11,
  /** Its payload type in the offer. */
  CodecPt = 12,
  /** Payload type of telephone-event/8000 (RFC 4733 §7.1.1), -1 when not offered. */
  TelephoneEventPt = 13,
  /** Its a=fmtp parameters; length -1 when there is none. */
  TelephoneEventFmtpStart = 14,
  TelephoneEventFmtpLen = 15,
  /** A Direction. */
  Direction = 16,
  /** a=ptime in ms, 0 when absent. */
  Ptime = 17,
  /** Offset of the chosen m= line. */
  AudioLineStart = 18,
  /** How suitable the chosen stream is (reader.ts Score). */
  BestScore = 19,

  // Connection data (RFC 4566 §5.7): for each, 1 when there is a c= line, then ConnOut.Size numbers from readConnection.
  /** The audio stream's: media-level over session-level. */
  AudioHasConn = 20,
  AudioConn = 21,
  SessHasConn = 25, // AudioConn + ConnOut.Size
  SessConn = 26,
  /** The media description being read. */
  CurHasConn = 30, // SessConn + ConnOut.Size
  CurConn = 31,
  /** Its m= line: MediaOut.Size numbers from readMedia. */
  CurMedia = 35, // CurConn + ConnOut.Size

  /** 1 once the o= line is read. */
  SawOrigin = 42, // CurMedia + MediaOut.Size
  /** a=sendrecv etc. and a=ptime at session level and in the media description being read; -1 and 0 when absent. */
  SessDirection = 43,
  SessPtime = 44,
  CurDirection = 45,
  CurPtime = 46,
  /** The a=fmtp of a payload type already mapped to telephone-event in the current media description. */
  CurEventFmtpPt = 47,
  CurEventFmtpStart = 48,
  CurEventFmtpLen = 49,
  /**
   * a=rtcp (RFC 3605 §2.1), a media-level attribute: RtcpOut.Size numbers
   * from readRtcp, for the audio stream we answer (port 0 when it has
   * none, or none we could read) and for the media description being read.
   */
  Rtcp = 50,
  CurRtcp = 52, // Rtcp + RtcpOut.Size
  /** Where readRtpmap, readFmtp and readRtcp's readConnection put what they read (RtpmapOut, FmtpOut, ConnOut). */
  Scratch = 54, // CurRtcp + RtcpOut.Size
  /**
   * What each payload type means in the current media description: a
   * PtKind (0-4) in each 4-bit nibble, 8 payload types a word, 16 words
   * (64 bytes; a byte per type in a Uint8Array view would cost 4 slots and
   * 128 bytes), cleared when the next description starts. The a=fmtp
   * lines are not kept per type: only telephone-event's is wanted, and it
   * is found again in the chosen section's lines (reader.ts findEventFmtp).
   */
  PtKinds = 58, // Scratch + 4
  /** One MediaRow per m= line, in order (MAX_MEDIA rows). */
  Media = 74, // PtKinds + 16
  /** MAX_MEDIA = 16 rows. */
  Size = 138, // Media + 16 * MediaRow.Size
}

/**
 * Each m= line as the answer repeats it (RFC 3264 §6), in 4 numbers: the
 * line's offset, then pairs of 16-bit halves (low | high << 16; read the
 * high half with >>> 16). The offsets in them are from the line's start,
 * and the reader takes no m= line of 64 KB or more, so every half fits.
 * Its media type starts two bytes after the line ("m=").
 */
export const enum MediaRow {
  LineStart = 0,
  /** media type length | port << 16 */
  TypePort = 1,
  /** proto offset | length << 16 */
  Proto = 2,
  /** format list offset | length << 16: from the first format to the end of the line */
  Fmt = 3,
  Size = 4,
}
