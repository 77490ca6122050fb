/*
 * m=<media> <port>[/<number of ports>] <proto> <fmt> ... (RFC 4566 §5.14).
 * For RTP/AVP the formats are RTP payload type numbers (RFC 3551), 0-127.
 */
import { ascii, spanEqualsCI } from "../message/bytes";
import { C, Ch } from "../message/chars";
import { parseUint, skipClass } from "../message/lex";
import { MAX_PT } from "./codec";
import { skipNonWs, skipWs, trimWs } from "./scan";

const K_AUDIO = ascii("audio");
const K_RTP_AVP = ascii("rtp/avp");

export class MediaField {
  typeStart = 0;
  typeLen = 0;
  port = 0;
  protoStart = 0;
  protoLen = 0;
  /** The format list, from the first format to the end of the line. */
  fmtStart = 0;
  fmtLen = 0;
  /** media is "audio" (RFC 4566 §5.14 media types are case-insensitive tokens). */
  audio = false;
  /** proto is RTP/AVP (RFC 3551), the only profile we speak: no SRTP, no AVPF feedback. */
  avp = false;
  /** Offset of the first byte that does not fit the grammar. */
  error = 0;

  /** Read the value [i, end) of an m= line. */
  read(buf: Uint8Array, i: number, end: number): boolean {
    end = trimWs(buf, i, end);
    let j = skipClass(buf, i, end, C.Token);
    if (j === i) return this.fail(i);
    this.typeStart = i;
    this.typeLen = j - i;
    this.audio = spanEqualsCI(buf, i, j - i, K_AUDIO);
    i = skipWs(buf, j, end);
    if (i === j) return this.fail(i);
    j = skipClass(buf, i, end, C.Digit);
    const port = parseUint(buf, i, j, 65535);
    if (port < 0) return this.fail(i);
    this.port = port;
    if (j < end && buf[j] === Ch.Slash) {
      const d = skipClass(buf, j + 1, end, C.Digit);
      if (d === j + 1) return this.fail(j + 1);
      j = d;
    }
    i = skipWs(buf, j, end);
    if (i === j) return this.fail(i);
    // proto = token *("/" token)
    j = i;
    for (;;) {
      const t = skipClass(buf, j, end, C.Token);
      if (t === j) return this.fail(j);
      j = t;
      if (j < end && buf[j] === Ch.Slash) j++;
      else break;
    }
    this.protoStart = i;
    this.protoLen = j - i;
    this.avp = spanEqualsCI(buf, i, j - i, K_RTP_AVP);
    i = skipWs(buf, j, end);
    if (i === j || i >= end) return this.fail(i);
    this.fmtStart = i;
    this.fmtLen = end - i;
    // 1*(SP fmt); numbers 0-127 under RTP/AVP
    while (i < end) {
      j = skipNonWs(buf, i, end);
      if (this.avp && parseUint(buf, i, j, MAX_PT) < 0) return this.fail(i);
      i = skipWs(buf, j, end);
    }
    return true;
  }

  private fail(at: number): boolean {
    this.error = at;
    return false;
  }
}
