/*
 * m=<media> <port>[/<number of ports>] <proto> <fmt> ... (RFC 4566 §5.14).
 * For RTP/AVP the formats are RTP payload type numbers (RFC 3551), 0-127.
 */
import { ascii, spanEqualsCI } from "../message/bytes";
import { C, Ch } from "../message/chars";
import { parseUint, skipClass } from "../message/lex";
import { MAX_PT } from "./codec";
import { FieldRead, skipNonWs, skipWs, trimWs } from "./scan";

const K_AUDIO = ascii("audio");
const K_RTP_AVP = ascii("rtp/avp");

/** Where readMedia puts what it read, from the index it is given. */
export const enum MediaOut {
  /** The media type starts the value. */
  TypeLen = 0,
  Port = 1,
  ProtoStart = 2,
  ProtoLen = 3,
  /** The format list, from the first format to the end of the line. */
  FmtStart = 4,
  FmtLen = 5,
  /** MediaFlag bits. */
  Flags = 6,
  Size = 7,
}

export const enum MediaFlag {
  /** media is "audio" (RFC 4566 §5.14 media types are case-insensitive tokens). */
  Audio = 1,
  /** proto is RTP/AVP (RFC 3551), the only profile we speak: no SRTP, no AVPF feedback. */
  Avp = 2,
}

/** Read the value [i, end) of an m= line into out[at + MediaOut.*]; FieldRead.Ok or the offset of the problem. */
export function readMedia(buf: Uint8Array, i: number, end: number, out: Int32Array, at: number): number {
  end = trimWs(buf, i, end);
  let j = skipClass(buf, i, end, C.Token);
  if (j === i) return i;
  out[at + MediaOut.TypeLen] = j - i;
  let flags = spanEqualsCI(buf, i, j - i, K_AUDIO) ? MediaFlag.Audio : 0;
  i = skipWs(buf, j, end);
  if (i === j) return i;
  j = skipClass(buf, i, end, C.Digit);
  const port = parseUint(buf, i, j, 65535);
  if (port < 0) return i;
  out[at + MediaOut.Port] = port;
  if (j < end && buf[j] === Ch.Slash) {
    const d = skipClass(buf, j + 1, end, C.Digit);
    if (d === j + 1) return j + 1;
    j = d;
  }
  i = skipWs(buf, j, end);
  if (i === j) return i;
  // proto = token *("/" token)
  j = i;
  for (;;) {
    const t = skipClass(buf, j, end, C.Token);
    if (t === j) return j;
    j = t;
    if (j < end && buf[j] === Ch.Slash) j++;
    else break;
  }
  out[at + MediaOut.ProtoStart] = i;
  out[at + MediaOut.ProtoLen] = j - i;
  const avp = spanEqualsCI(buf, i, j - i, K_RTP_AVP);
  if (avp) flags |= MediaFlag.Avp;
  out[at + MediaOut.Flags] = flags;
  i = skipWs(buf, j, end);
  if (i === j || i >= end) return i;
  out[at + MediaOut.FmtStart] = i;
  out[at + MediaOut.FmtLen] = end - i;
  // 1*(SP fmt); numbers 0-127 under RTP/AVP
  while (i < end) {
    j = skipNonWs(buf, i, end);
    if (avp && parseUint(buf, i, j, MAX_PT) < 0) return i;
    i = skipWs(buf, j, end);
  }
  return FieldRead.Ok;
}
