/*
 * o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
 * (RFC 4566 §5.2). The reader keeps the whole value, so a re-offer can be
 * compared with the previous one: RFC 3264 §8 says an unchanged sess-version
 * means an unchanged session description.
 */
import { C } from "../message/chars";
import { parseUint, skipClass } from "../message/lex";
import { FieldRead, skipNonWs, skipWs, trimWs } from "./scan";

/** 2^53 - 1: larger versions are not exact as numbers. */
const MAX_SAFE = 9007199254740991;

/** Where readOrigin puts the spans it read, from the index it is given. */
export const enum OriginOut {
  /** The whole value after "o=", trailing white space trimmed. */
  Start = 0,
  Len = 1,
  SessIdStart = 2,
  SessIdLen = 3,
  VersionStart = 4,
  VersionLen = 5,
  Size = 6,
}

/** Read the value [i, end) of an o= line into out[at + OriginOut.*]; FieldRead.Ok or the offset of the problem. */
export function readOrigin(buf: Uint8Array, i: number, end: number, out: Int32Array, at: number): number {
  end = trimWs(buf, i, end);
  out[at + OriginOut.Start] = i;
  out[at + OriginOut.Len] = end - i;
  // username: non-ws-string ("-" when there is none)
  let j = skipNonWs(buf, i, end);
  if (j === i) return i;
  // Between two fields: white space, and something after it.
  i = skipWs(buf, j, end);
  if (i === j || i >= end) return i;
  // sess-id = 1*DIGIT
  j = skipClass(buf, i, end, C.Digit);
  if (j === i) return i;
  out[at + OriginOut.SessIdStart] = i;
  out[at + OriginOut.SessIdLen] = j - i;
  i = skipWs(buf, j, end);
  if (i === j || i >= end) return i;
  // sess-version = 1*DIGIT
  j = skipClass(buf, i, end, C.Digit);
  if (j === i) return i;
  out[at + OriginOut.VersionStart] = i;
  out[at + OriginOut.VersionLen] = j - i;
  i = skipWs(buf, j, end);
  if (i === j || i >= end) return i;
  // nettype, addrtype: tokens ("IN", "IP4"/"IP6"); not checked further, the origin is an identifier only
  for (let k = 0; k < 2; k++) {
    j = skipClass(buf, i, end, C.Token);
    if (j === i) return i;
    i = skipWs(buf, j, end);
    if (i === j || i >= end) return i;
  }
  // unicast-address: the rest, one non-ws-string
  j = skipNonWs(buf, i, end);
  if (j === i || j !== end) return j;
  return FieldRead.Ok;
}

/**
 * sess-version as a number, from the span readOrigin kept; -1 when it has
 * more digits than a double holds exactly (RFC 4566 suggests NTP
 * timestamps, 64-bit ones exist).
 */
export function sessVersion(buf: Uint8Array, out: Int32Array, at: number): number {
  const start = out[at + OriginOut.VersionStart]!;
  return parseUint(buf, start, start + out[at + OriginOut.VersionLen]!, MAX_SAFE);
}
