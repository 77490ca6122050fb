/*
 * The codecs we speak: G.711 μ-law and A-law at 8 kHz (ITU-T G.711), whose
 * static RTP payload types are 0 and 8 (RFC 3551 §6, Table 4), and what an
 * a=rtpmap line maps a payload type to.
 */

/** Highest RTP payload type (the PT field is 7 bits, RFC 3550 §5.1). */
export const MAX_PT = 127;

export const enum Codec {
  None = -1,
  PCMU = 0,
  PCMA = 8,
}

/** What a payload type stands for in one media description. */
export const enum PtKind {
  /** No rtpmap: a static type means what RFC 3551 says, a dynamic one nothing. */
  Unknown = 0,
  PCMU = 1,
  PCMA = 2,
  /** telephone-event/8000 (RFC 4733 §7.1.1). */
  TelephoneEvent = 3,
  /** Mapped to an encoding we do not speak. */
  Other = 4,
}

/** The codec a payload type stands for, given what its rtpmap said (Unknown when none). */
export function codecOf(pt: number, kind: PtKind): Codec {
  if (kind === PtKind.PCMU) return Codec.PCMU;
  if (kind === PtKind.PCMA) return Codec.PCMA;
  if (kind === PtKind.Unknown) {
    if (pt === 0) return Codec.PCMU;
    if (pt === 8) return Codec.PCMA;
  }
  return Codec.None;
}
