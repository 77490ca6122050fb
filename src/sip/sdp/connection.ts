/*
 * c=<nettype> <addrtype> <connection-address> (RFC 4566 §5.7). Only
 * nettype IN with IP4 or IP6 is usable for RTP over UDP. A multicast
 * address carries "/ttl" (IP4) and "/number of addresses"; the span kept is
 * the address alone.
 */
import { spanEquals, spanEqualsCI, ascii } from "../message/bytes";
import { C, CHARS, Ch } from "../message/chars";
import { skipClass } from "../message/lex";
import { FieldRead, skipWs, trimWs } from "./scan";

const K_IN = ascii("in");
const K_IP4 = ascii("ip4");
const K_IP6 = ascii("ip6");
/** RFC 3264 §8.4: the RFC 2543 way of putting a call on hold. */
const K_NULL4 = ascii("0.0.0.0");
const K_NULL6 = ascii("::");

/** Where readConnection puts what it read, from the index it is given. */
export const enum ConnOut {
  AddrStart = 0,
  AddrLen = 1,
  /** 1 for IP6, 0 for IP4. */
  Ip6 = 2,
  /** 1 when the address is 0.0.0.0 (or "::"): the peer wants no media sent to it. */
  Null = 3,
  Size = 4,
}

/** Read the value [i, end) of a c= line into out[at + ConnOut.*]; FieldRead.Ok or the offset of the problem. */
export function readConnection(buf: Uint8Array, i: number, end: number, out: Int32Array, at: number): number {
  end = trimWs(buf, i, end);
  let j = skipClass(buf, i, end, C.Token);
  if (!spanEqualsCI(buf, i, j - i, K_IN)) return i;
  i = skipWs(buf, j, end);
  if (i === j) return i;
  j = skipClass(buf, i, end, C.Token);
  let ip6: boolean;
  if (spanEqualsCI(buf, i, j - i, K_IP4)) ip6 = false;
  else if (spanEqualsCI(buf, i, j - i, K_IP6)) ip6 = true;
  else return i;
  i = skipWs(buf, j, end);
  if (i === j) return i;
  // IP4-address / FQDN are alphanumerics, "-" and "."; IP6-address adds ":".
  j = i;
  while (j < end) {
    const b = buf[j]!;
    if ((CHARS[b]! & C.Host) !== 0 || (ip6 && b === Ch.Colon)) j++;
    else break;
  }
  if (j === i) return i;
  const len = j - i;
  // multicast "/ttl" and "/number of addresses": 1*DIGIT each, at most two
  for (let k = 0; k < 2 && j < end && buf[j] === Ch.Slash; k++) {
    const d = skipClass(buf, j + 1, end, C.Digit);
    if (d === j + 1) return j + 1;
    j = d;
  }
  if (j !== end) return j;
  out[at + ConnOut.AddrStart] = i;
  out[at + ConnOut.AddrLen] = len;
  out[at + ConnOut.Ip6] = ip6 ? 1 : 0;
  out[at + ConnOut.Null] = (ip6 ? spanEquals(buf, i, len, K_NULL6) : spanEquals(buf, i, len, K_NULL4)) ? 1 : 0;
  return FieldRead.Ok;
}
