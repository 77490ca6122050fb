/*
 * a=rtcp:<port> [<nettype> <addrtype> <connection-address>] (RFC 3605 §2.1):
 * where the peer wants RTCP when that is not its RTP port + 1 (RFC 3550
 * §11), as a NAT's port mapping or a phone's random ports make it.
 *
 * The address is read with the c= grammar (RFC 4566 §5.7, readConnection),
 * and kept only when it is "IN IP4" with a dotted-quad unicast address, as
 * a number: the door's media sockets are IPv4, 0.0.0.0 is no destination,
 * and a host name would need a lookup the media cannot wait for. An IP6,
 * FQDN or unreadable address keeps the port alone, which then applies to
 * the stream's c= address, as when the attribute names none.
 */
import { C } from "../message/chars";
import { parseUint, skipClass } from "../message/lex";
import { ConnOut, readConnection } from "./connection";
import { readIpv4 } from "./ipv4";
import { FieldRead, skipWs, trimWs } from "./scan";

/** Where readRtcp puts what it read, from the index it is given. */
export const enum RtcpOut {
  /** 1-65535; 0 when there is no usable a=rtcp. */
  Port = 0,
  /** The IPv4 address's 32 bits (read with >>> 0); 0 when the attribute names none we use. */
  Ip4 = 1,
  Size = 2,
}

/**
 * Read the value [i, end) of an a=rtcp line into out[at + RtcpOut.*], using
 * ConnOut.Size numbers at out[scratch] for the address. FieldRead.Ok, or the
 * offset of a port that is not 1-65535 (or not followed by white space), in
 * which case nothing is written.
 */
export function readRtcp(buf: Uint8Array, i: number, end: number, out: Int32Array, at: number, scratch: number): number {
  end = trimWs(buf, i, end);
  const j = skipClass(buf, i, end, C.Digit);
  const port = parseUint(buf, i, j, 65535);
  // RFC 3605's port is the m= line's (RFC 4566 §9: 1*DIGIT); 0 would be no destination at all.
  if (port <= 0) return i;
  let ip4 = 0;
  if (j < end) {
    const a = skipWs(buf, j, end);
    if (a === j) return j;
    if (readConnection(buf, a, end, out, scratch) === FieldRead.Ok && out[scratch + ConnOut.Ip6] === 0 && out[scratch + ConnOut.Null] === 0) {
      const v = readIpv4(buf, out[scratch + ConnOut.AddrStart]!, out[scratch + ConnOut.AddrLen]!);
      if (v > 0) ip4 = v;
    }
  }
  out[at + RtcpOut.Port] = port;
  out[at + RtcpOut.Ip4] = ip4 | 0;
  return FieldRead.Ok;
}
