/*
 * Why an SDP body was not usable. The reader stops at the first problem and
 * records it with the byte offset where it was found; nothing throws.
 */

export const enum SdpError {
  None = 0,
  /** The body does not start with "v=0" (RFC 4566 §5.1), or has a second v= line. */
  Version,
  /** A line that is not `<type>=<value>` with a known one-letter type (RFC 4566 §5, RFC 8866 §5), or a NUL or stray CR in a value. */
  Syntax,
  /** Missing, repeated, misplaced or malformed o= line (RFC 4566 §5.2). */
  Origin,
  /** Malformed c= line (RFC 4566 §5.7), or no c= for the audio stream at either level. */
  Connection,
  /** Malformed m= line (RFC 4566 §5.14). */
  Media,
  /** No m=audio line at all. */
  NoAudio,
  /** Malformed a=rtpmap, a=fmtp or a=ptime where we use it (RFC 4566 §6). */
  Attribute,
  /** More m= lines than the reader keeps track of. */
  TooManyMedia,
  /** An empty body. */
  Empty,
}

/** A short readable reason per SdpError, for logs. */
export const SDP_ERROR_REASONS: readonly string[] = Object.freeze([
  "ok",
  "not SDP version 0",
  "malformed SDP line",
  "malformed or missing o= line",
  "malformed or missing c= line",
  "malformed m= line",
  "no audio stream",
  "malformed a=rtpmap, a=fmtp or a=ptime",
  "too many m= lines",
  "empty SDP body",
]);
