/*
 * The payload-type attributes (RFC 4566 §6):
 *   a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
 *   a=fmtp:<format> <format specific parameters>
 * Encoding names are case-insensitive (RFC 4855 §3). For audio the encoding
 * parameter is the channel count, 1 when absent (RFC 4566 §6); G.711 is ours
 * only mono at 8000 Hz.
 */
import { ascii, spanEqualsCI } from "../message/bytes";
import { C, Ch } from "../message/chars";
import { parseUint, skipClass } from "../message/lex";
import { MAX_PT, PtKind } from "./codec";
import { FieldRead, skipNonWs, skipWs, trimWs } from "./scan";

const K_PCMU = ascii("pcmu");
const K_PCMA = ascii("pcma");
const K_TELEPHONE_EVENT = ascii("telephone-event");
const G711_RATE = 8000;

/** Where readRtpmap puts what it read, from the index it is given. */
export const enum RtpmapOut {
  Pt = 0,
  /** A PtKind. */
  Kind = 1,
  Size = 2,
}

/** Where readFmtp puts what it read, from the index it is given. */
export const enum FmtpOut {
  Pt = 0,
  /** The format specific parameters, e.g. "0-16" for telephone-event (RFC 4733 §2.4.1). */
  ParamsStart = 1,
  ParamsLen = 2,
  Size = 3,
}

/** Read the value [i, end) after "a=rtpmap:" into out[at + RtpmapOut.*]; FieldRead.Ok or the offset of the problem. */
export function readRtpmap(buf: Uint8Array, i: number, end: number, out: Int32Array, at: number): number {
  end = trimWs(buf, i, end);
  let j = skipClass(buf, i, end, C.Digit);
  const pt = parseUint(buf, i, j, MAX_PT);
  if (pt < 0) return i;
  i = skipWs(buf, j, end);
  if (i === j) return i;
  const nameStart = i;
  j = skipClass(buf, i, end, C.Token);
  if (j === i || j >= end || buf[j] !== Ch.Slash) return j;
  const nameLen = j - i;
  i = j + 1;
  j = skipClass(buf, i, end, C.Digit);
  const rate = parseUint(buf, i, j, 0x7fffffff);
  if (rate < 0) return i;
  let channels = 1;
  if (j < end && buf[j] === Ch.Slash) {
    i = j + 1;
    j = skipNonWs(buf, i, end);
    channels = parseUint(buf, i, j, 255);
    if (j === i) return i;
  }
  if (j !== end) return j;
  let kind: PtKind;
  if (rate !== G711_RATE) kind = PtKind.Other;
  else if (channels === 1 && spanEqualsCI(buf, nameStart, nameLen, K_PCMU)) kind = PtKind.PCMU;
  else if (channels === 1 && spanEqualsCI(buf, nameStart, nameLen, K_PCMA)) kind = PtKind.PCMA;
  else if (spanEqualsCI(buf, nameStart, nameLen, K_TELEPHONE_EVENT)) kind = PtKind.TelephoneEvent;
  else kind = PtKind.Other;
  out[at + RtpmapOut.Pt] = pt;
  out[at + RtpmapOut.Kind] = kind;
  return FieldRead.Ok;
}

/** Read the value [i, end) after "a=fmtp:" into out[at + FmtpOut.*]; FieldRead.Ok or the offset of the problem. */
export function readFmtp(buf: Uint8Array, i: number, end: number, out: Int32Array, at: number): number {
  end = trimWs(buf, i, end);
  const j = skipClass(buf, i, end, C.Digit);
  const pt = parseUint(buf, i, j, MAX_PT);
  if (pt < 0) return i;
  i = skipWs(buf, j, end);
  if (i === j && i < end) return i;
  out[at + FmtpOut.Pt] = pt;
  out[at + FmtpOut.ParamsStart] = i;
  out[at + FmtpOut.ParamsLen] = end - i;
  return FieldRead.Ok;
}
