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
import { skipNonWs, skipWs, trimWs } from "./scan";

const K_PCMU = ascii("pcmu");
const K_PCMA = ascii("pcma");
const K_TELEPHONE_EVENT = ascii("telephone-event");
const G711_RATE = 8000;

export class Rtpmap {
  pt = -1;
  kind: PtKind = PtKind.Unknown;
  /** Offset of the first byte that does not fit the grammar. */
  error = 0;

  /** Read the value [i, end) after "a=rtpmap:". */
  read(buf: Uint8Array, i: number, end: number): boolean {
    end = trimWs(buf, i, end);
    let j = skipClass(buf, i, end, C.Digit);
    const pt = parseUint(buf, i, j, MAX_PT);
    if (pt < 0) return this.fail(i);
    i = skipWs(buf, j, end);
    if (i === j) return this.fail(i);
    const nameStart = i;
    j = skipClass(buf, i, end, C.Token);
    if (j === i || j >= end || buf[j] !== Ch.Slash) return this.fail(j);
    const nameLen = j - i;
    i = j + 1;
    j = skipClass(buf, i, end, C.Digit);
    const rate = parseUint(buf, i, j, 0x7fffffff);
    if (rate < 0) return this.fail(i);
    let channels = 1;
    if (j < end && buf[j] === Ch.Slash) {
      i = j + 1;
      j = skipNonWs(buf, i, end);
      channels = parseUint(buf, i, j, 255);
      if (j === i) return this.fail(i);
    }
    if (j !== end) return this.fail(j);
    this.pt = pt;
    if (rate !== G711_RATE) this.kind = PtKind.Other;
    else if (channels === 1 && spanEqualsCI(buf, nameStart, nameLen, K_PCMU)) this.kind = PtKind.PCMU;
    else if (channels === 1 && spanEqualsCI(buf, nameStart, nameLen, K_PCMA)) this.kind = PtKind.PCMA;
    else if (spanEqualsCI(buf, nameStart, nameLen, K_TELEPHONE_EVENT)) this.kind = PtKind.TelephoneEvent;
    else this.kind = PtKind.Other;
    return true;
  }

  private fail(at: number): boolean {
    this.error = at;
    return false;
  }
}

export class Fmtp {
  pt = -1;
  /** The format specific parameters, e.g. "0-16" for telephone-event (RFC 4733 §2.4.1). */
  paramsStart = 0;
  paramsLen = 0;
  error = 0;

  /** Read the value [i, end) after "a=fmtp:". */
  read(buf: Uint8Array, i: number, end: number): boolean {
    end = trimWs(buf, i, end);
    const j = skipClass(buf, i, end, C.Digit);
    const pt = parseUint(buf, i, j, MAX_PT);
    if (pt < 0) {
      this.error = i;
      return false;
    }
    this.pt = pt;
    i = skipWs(buf, j, end);
    if (i === j && i < end) {
      this.error = i;
      return false;
    }
    this.paramsStart = i;
    this.paramsLen = end - i;
    return true;
  }
}
