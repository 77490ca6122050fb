/*
 * Iteration over the comma-separated values of a header, across repeated
 * header fields of the same id (RFC 3261 §7.3.1: "Via: a, b" equals two Via
 * lines). Commas inside quoted strings and <...> do not separate. Empty
 * elements are skipped. One cursor object, reused: no allocation.
 */
import { elementEnd, skipLws, trimEnd } from "./lex";
import type { SipMessage } from "./message";
import type { H } from "./header";

export class HeaderValues {
  private msg: SipMessage | null = null;
  private header = -1;
  private pos = 0;
  private end = 0;
  /** The current element's span. */
  start = 0;
  len = 0;
  /** The header field (index) the current element belongs to. */
  index = -1;
  /** An unterminated quote or bracket was met. */
  malformed = false;

  begin(msg: SipMessage, id: H): this {
    this.msg = msg;
    this.header = msg.first[id]!;
    this.malformed = false;
    if (this.header >= 0) {
      this.pos = msg.hValueStart[this.header]!;
      this.end = msg.hValueEnd[this.header]!;
    }
    return this;
  }

  next(): boolean {
    const msg = this.msg;
    if (msg === null) return false;
    const buf = msg.buf;
    while (this.header >= 0) {
      if (this.pos < this.end) {
        const s = skipLws(buf, this.pos, this.end);
        const ee = elementEnd(buf, s, this.end);
        if (ee < 0) {
          this.malformed = true;
          this.header = -1;
          return false;
        }
        this.pos = ee + 1;
        const e = trimEnd(buf, s, ee);
        if (e > s) {
          this.start = s;
          this.len = e - s;
          this.index = this.header;
          return true;
        }
        continue;
      }
      this.header = msg.hNext[this.header]!;
      if (this.header >= 0) {
        this.pos = msg.hValueStart[this.header]!;
        this.end = msg.hValueEnd[this.header]!;
      }
    }
    return false;
  }
}
