/*
 * o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>
 * (RFC 4566 §5.2). The reader keeps the whole value, so a re-offer can be
 * compared with the previous one: RFC 3264 §8 says an unchanged sess-version
 * means an unchanged session description.
 */
import { C } from "../message/chars";
import { parseUint, skipClass } from "../message/lex";
import { skipNonWs, skipWs, trimWs } from "./scan";

/** 2^53 - 1: larger versions are not exact as numbers. */
const MAX_SAFE = 9007199254740991;

export class OriginField {
  /** The whole value after "o=", trailing white space trimmed. */
  start = 0;
  len = 0;
  sessIdStart = 0;
  sessIdLen = 0;
  versionStart = 0;
  versionLen = 0;
  /** sess-version as a number; -1 when it has more digits than a double holds exactly (RFC 4566 suggests NTP timestamps, 64-bit ones exist). */
  version = -1;
  /** Offset of the first byte that does not fit the grammar. */
  error = 0;

  /** Read the value [i, end) of an o= line. */
  read(buf: Uint8Array, i: number, end: number): boolean {
    end = trimWs(buf, i, end);
    this.start = i;
    this.len = end - i;
    // username: non-ws-string ("-" when there is none)
    let j = skipNonWs(buf, i, end);
    if (j === i) return this.fail(i);
    i = this.gap(buf, j, end);
    if (i < 0) return false;
    // sess-id = 1*DIGIT
    j = skipClass(buf, i, end, C.Digit);
    if (j === i) return this.fail(i);
    this.sessIdStart = i;
    this.sessIdLen = j - i;
    i = this.gap(buf, j, end);
    if (i < 0) return false;
    // sess-version = 1*DIGIT
    j = skipClass(buf, i, end, C.Digit);
    if (j === i) return this.fail(i);
    this.versionStart = i;
    this.versionLen = j - i;
    this.version = parseUint(buf, i, j, MAX_SAFE);
    i = this.gap(buf, j, end);
    if (i < 0) return false;
    // nettype, addrtype: tokens ("IN", "IP4"/"IP6"); not checked further, the origin is an identifier only
    for (let k = 0; k < 2; k++) {
      j = skipClass(buf, i, end, C.Token);
      if (j === i) return this.fail(i);
      i = this.gap(buf, j, end);
      if (i < 0) return false;
    }
    // unicast-address: the rest, one non-ws-string
    j = skipNonWs(buf, i, end);
    if (j === i || j !== end) return this.fail(j);
    return true;
  }

  /** The white space between two fields: returns the start of the next field, or -1. */
  private gap(buf: Uint8Array, i: number, end: number): number {
    const j = skipWs(buf, i, end);
    if (j === i || j >= end) {
      this.error = j;
      return -1;
    }
    return j;
  }

  private fail(at: number): boolean {
    this.error = at;
    return false;
  }
}
