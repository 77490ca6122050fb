/*
 * c=<nettype> <addrtype> <connection-address> (RFC 4566 §5.7). Only
 * nettype IN with IP4 or IP6 is usable for RTP over UDP. A multicast
 * address carries "/ttl" (IP4) and "/number of addresses"; the span kept is
 * the address alone.
 */
import { spanEquals, spanEqualsCI, ascii } from "../message/bytes";
import { C, CHARS, Ch } from "../message/chars";
import { skipClass } from "../message/lex";
import { skipWs, trimWs } from "./scan";

const K_IN = ascii("in");
const K_IP4 = ascii("ip4");
const K_IP6 = ascii("ip6");
/** RFC 3264 §8.4: the RFC 2543 way of putting a call on hold. */
const K_NULL4 = ascii("0.0.0.0");
const K_NULL6 = ascii("::");

export class ConnectionField {
  addrStart = 0;
  addrLen = 0;
  ip6 = false;
  /** The address is 0.0.0.0 (or "::"): the peer wants no media sent to it. */
  isNull = false;
  /** Offset of the first byte that does not fit the grammar. */
  error = 0;

  /** Read the value [i, end) of a c= line. */
  read(buf: Uint8Array, i: number, end: number): boolean {
    end = trimWs(buf, i, end);
    let j = skipClass(buf, i, end, C.Token);
    if (!spanEqualsCI(buf, i, j - i, K_IN)) return this.fail(i);
    i = skipWs(buf, j, end);
    if (i === j) return this.fail(i);
    j = skipClass(buf, i, end, C.Token);
    if (spanEqualsCI(buf, i, j - i, K_IP4)) this.ip6 = false;
    else if (spanEqualsCI(buf, i, j - i, K_IP6)) this.ip6 = true;
    else return this.fail(i);
    i = skipWs(buf, j, end);
    if (i === j) return this.fail(i);
    // IP4-address / FQDN are alphanumerics, "-" and "."; IP6-address adds ":".
    j = i;
    while (j < end) {
      const b = buf[j]!;
      if ((CHARS[b]! & C.Host) !== 0 || (this.ip6 && b === Ch.Colon)) j++;
      else break;
    }
    if (j === i) return this.fail(i);
    this.addrStart = i;
    this.addrLen = j - i;
    // multicast "/ttl" and "/number of addresses": 1*DIGIT each, at most two
    for (let k = 0; k < 2 && j < end && buf[j] === Ch.Slash; k++) {
      const d = skipClass(buf, j + 1, end, C.Digit);
      if (d === j + 1) return this.fail(j + 1);
      j = d;
    }
    if (j !== end) return this.fail(j);
    this.isNull = this.ip6 ? spanEquals(buf, i, this.addrLen, K_NULL6) : spanEquals(buf, i, this.addrLen, K_NULL4);
    return true;
  }

  private fail(at: number): boolean {
    this.error = at;
    return false;
  }
}
