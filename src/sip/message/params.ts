/*
 * Parameter lists: ";name[=value]" repeated. Two grammars share this cursor:
 *  - URI parameters (RFC 3261 §19.1.1 uri-parameters): no white space, paramchar bytes;
 *  - header parameters (generic-param, §25.1): SEMI and EQUAL allow LWS, and
 *    a value is a token, a host (IPv6 reference too) or a quoted-string.
 * The cursor is reused: `reset` then `next()` until it returns false.
 */
import { NO_BYTES, spanEqualsCI } from "./bytes";
import { C, Ch, CHARS, IS_PVALUE, IS_TOKEN } from "./chars";
import { skipEscaped } from "./escape";
import { scanQuoted, skipLws } from "./lex";

export class Params {
  buf: Uint8Array = NO_BYTES;
  /** Where the next parameter starts (at its ";"), and the end of the list. */
  pos = 0;
  end = 0;
  header = true;
  /** The current parameter: name span, value span (valueLen -1 when it has no "=value"). */
  nameStart = 0;
  nameLen = 0;
  valueStart = 0;
  valueLen = -1;
  /** Offset of the first syntax error, or -1. */
  error = -1;

  /** Start iterating over [start, end), which begins at the first ";" (or is empty). */
  reset(buf: Uint8Array, start: number, end: number, header: boolean): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    this.header = header;
    this.error = -1;
    this.valueLen = -1;
    return this;
  }

  /** Advance to the next parameter. False at the end of the list or on error (check `error`). */
  next(): boolean {
    const buf = this.buf;
    const end = this.end;
    let i = this.header ? skipLws(buf, this.pos, end) : this.pos;
    if (i >= end) return false;
    if (buf[i] !== Ch.Semi) return this.fail(i);
    i++;
    if (this.header) i = skipLws(buf, i, end);
    const ns = i;
    i = this.header ? skipTokenOrFail(buf, i, end) : skipEscaped(buf, i, end, C.Param);
    if (i <= ns) return this.fail(i < 0 ? ns : i);
    this.nameStart = ns;
    this.nameLen = i - ns;
    this.valueLen = -1;
    let j = this.header ? skipLws(buf, i, end) : i;
    if (j < end && buf[j] === Ch.Equals) {
      j++;
      if (this.header) {
        j = skipLws(buf, j, end);
        const vs = j;
        if (j < end && buf[j] === Ch.DQuote) {
          j = scanQuoted(buf, j, end);
          if (j < 0) return this.fail(vs);
        } else {
          while (j < end && IS_PVALUE[buf[j]!]!) j++;
          if (j === vs) return this.fail(vs);
        }
        this.valueStart = vs;
        this.valueLen = j - vs;
      } else {
        const vs = j;
        j = skipEscaped(buf, j, end, C.Param);
        if (j < 0 || j === vs) return this.fail(vs);
        this.valueStart = vs;
        this.valueLen = j - vs;
      }
      i = j;
    }
    this.pos = i;
    return true;
  }

  /**
   * The parser's one-pass form of `next` for header parameters, when the end of
   * the list is not known yet: read "[LWS] ; [LWS] name [ [LWS] = [LWS] value ]"
   * at `i` (bounded by `limit`). Returns the offset after it with the current
   * parameter set as `next` sets it; `i` itself when no ";" follows (the list
   * ends at i); -1 when what follows the ";" is malformed. buf[limit - 1] is an
   * LF (the end of a whole line), or limit is 0: the table scans stop at it (no
   * class holds an LF) without a bound of their own.
   */
  step(buf: Uint8Array, i: number, limit: number): number {
    // ";" token "=" pvalue with no LWS, as nearly every parameter is written. (buf[i] is ";", so
    // i < limit - 1, and the LF ending `limit` is neither a token nor a pvalue byte.)
    if (i < limit && buf[i] === Ch.Semi) {
      const token = IS_TOKEN;
      const pvalue = IS_PVALUE;
      const ns = i + 1;
      let ne = ns;
      while (token[buf[ne]!]!) ne++;
      if (ne > ns && buf[ne] === Ch.Equals) {
        const vs = ne + 1;
        let ve = vs;
        while (pvalue[buf[ve]!]!) ve++;
        if (ve > vs) {
          this.nameStart = ns;
          this.nameLen = ne - ns;
          this.valueStart = vs;
          this.valueLen = ve - vs;
          return ve;
        }
      }
    }
    let j = i;
    let b = j < limit ? buf[j]! : 0;
    if (b !== Ch.Semi) {
      if (b !== Ch.SP && b !== Ch.HT && b !== Ch.CR && b !== Ch.LF) return i;
      j = skipLws(buf, j, limit);
      if (j >= limit || buf[j] !== Ch.Semi) return i;
    }
    j++;
    if (j < limit && (CHARS[buf[j]!]! & C.Token) === 0) j = skipLws(buf, j, limit);
    const ns = j;
    const token = IS_TOKEN;
    if (j < limit) while (token[buf[j]!]!) j++; // (the LF ending `limit` is no token byte)
    if (j === ns) return -1;
    this.nameStart = ns;
    this.nameLen = j - ns;
    this.valueLen = -1;
    let k = j;
    if (k < limit && (b = buf[k]!) !== Ch.Equals && (b === Ch.SP || b === Ch.HT || b === Ch.CR || b === Ch.LF)) k = skipLws(buf, k, limit);
    if (k < limit && buf[k] === Ch.Equals) {
      k++;
      if (k < limit && ((b = buf[k]!) === Ch.SP || b === Ch.HT || b === Ch.CR || b === Ch.LF)) k = skipLws(buf, k, limit);
      const vs = k;
      if (k < limit && buf[k] === Ch.DQuote) {
        k = scanQuoted(buf, k, limit);
        if (k < 0) return -1;
      } else {
        const pvalue = IS_PVALUE;
        if (k < limit) while (pvalue[buf[k]!]!) k++;
        if (k === vs) return -1;
      }
      this.valueStart = vs;
      this.valueLen = k - vs;
      return k;
    }
    return j;
  }

  /** Is the current parameter's name `lowerName` (case-insensitive)? */
  is(lowerName: Uint8Array): boolean {
    return spanEqualsCI(this.buf, this.nameStart, this.nameLen, lowerName);
  }

  /** Check the whole list; returns the error offset or -1. */
  validate(): number {
    while (this.next()) {
      /* walk */
    }
    return this.error;
  }

  /** Find a parameter by lower-case name from the start of [start, end); leaves it current. */
  find(buf: Uint8Array, start: number, end: number, header: boolean, lowerName: Uint8Array): boolean {
    this.reset(buf, start, end, header);
    while (this.next()) if (this.is(lowerName)) return true;
    return false;
  }

  private fail(at: number): boolean {
    this.error = at;
    this.pos = this.end;
    return false;
  }
}

function skipTokenOrFail(buf: Uint8Array, i: number, end: number): number {
  while (i < end && IS_TOKEN[buf[i]!]!) i++;
  return i;
}
