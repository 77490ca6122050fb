/*
 * Whether an offer is one we can answer, and the Warning for the 488 (Not
 * Acceptable Here) when it is not (RFC 3261 §13.3.1.3, §21.4.26): the codes
 * of RFC 3261 §20.43 say which part of the session description failed.
 */
import { ascii } from "../message/bytes";
import { H } from "../message/header";
import type { SipWriter } from "../message/writer";
import { Codec } from "./codec";
import { SdpError } from "./errors";
import type { SdpReader } from "./reader";

/** 304 "Media type not available": no audio stream offered. */
export const WARNING_MEDIA_UNAVAILABLE = 304;
/** 305 "Incompatible media format": audio, but no G.711 over RTP/AVP (or SDP we could not read). */
export const WARNING_INCOMPATIBLE = 305;

const TEXT_304 = ascii(" \"Media type not available\"");
const TEXT_305 = ascii(" \"Incompatible media format\"");

/**
 * An offer we can answer (RFC 3264 §6): it read without error, has an audio
 * stream (port 0 included: it is answered with port 0) and a G.711 format.
 */
export function isAcceptableOffer(offer: SdpReader): boolean {
  return offer.error === SdpError.None && offer.audioIndex >= 0 && offer.codec !== Codec.None;
}

/** The warn-code for answering `offer` with 488, or 0 when it is acceptable. */
export function offerWarning(offer: SdpReader): number {
  if (isAcceptableOffer(offer)) return 0;
  if (offer.error === SdpError.NoAudio) return WARNING_MEDIA_UNAVAILABLE;
  return WARNING_INCOMPATIBLE;
}

/**
 * The header line `Warning: <code> <agentHost> "<text>"` (RFC 3261 §20.43;
 * warn-agent is our host, or host:port). Codes other than 304 get 305's text.
 */
export function writeWarning(w: SipWriter, agentHost: Uint8Array, code: number = WARNING_INCOMPATIBLE): SipWriter {
  const c = code === WARNING_MEDIA_UNAVAILABLE ? WARNING_MEDIA_UNAVAILABLE : WARNING_INCOMPATIBLE;
  w.headerName(H.Warning).uint(c).byte(32).bytes(agentHost);
  return w.bytes(c === WARNING_MEDIA_UNAVAILABLE ? TEXT_304 : TEXT_305).crlf();
}
