/*
 * media-type = m-type SLASH m-subtype *( SEMI m-parameter ) (RFC 3261 §20.15,
 * §25.1), for Content-Type and the elements of Accept.
 */
import { NO_BYTES, spanEqualsCI } from "./bytes";
import { C, Ch } from "./chars";
import { skipClass, skipLws, trimEnd } from "./lex";
import { Params } from "./params";

export class MediaType {
  buf: Uint8Array = NO_BYTES;
  typeStart = 0;
  typeLen = 0;
  subtypeStart = 0;
  subtypeLen = 0;
  paramsStart = 0;
  paramsEnd = 0;
  error = -1;
  /** The cursor read() validates the parameters with: lent, or its own (see the constructor). */
  readonly params: Params;

  /**
   * `params`: a cursor to share, else one of its own (issue #9: a cursor is
   * 10 heap slots in XS). read() uses it only while it runs, and nothing
   * is kept in it afterwards, so a cursor whose other users are never in
   * the middle of a read when this one reads may be lent.
   */
  constructor(params?: Params) {
    this.params = params ?? new Params();
  }

  read(buf: Uint8Array, start: number, end: number): boolean {
    this.buf = buf;
    this.error = -1;
    let i = skipLws(buf, start, end);
    end = trimEnd(buf, i, end);
    const te = skipClass(buf, i, end, C.Token);
    if (te === i) return this.fail(i);
    this.typeStart = i;
    this.typeLen = te - i;
    i = skipLws(buf, te, end);
    if (i >= end || buf[i] !== Ch.Slash) return this.fail(i);
    i = skipLws(buf, i + 1, end);
    const se = skipClass(buf, i, end, C.Token);
    if (se === i) return this.fail(i);
    this.subtypeStart = i;
    this.subtypeLen = se - i;
    this.paramsStart = se;
    this.paramsEnd = end;
    const p = this.params.reset(buf, se, end, true);
    if (p.validate() >= 0) return this.fail(p.error);
    return true;
  }

  /** Does this media type match type/subtype (lower case), honouring "*" wildcards on this side? */
  matches(type: Uint8Array, subtype: Uint8Array): boolean {
    const buf = this.buf;
    const anyType = this.typeLen === 1 && buf[this.typeStart] === 42;
    const anySub = this.subtypeLen === 1 && buf[this.subtypeStart] === 42;
    return (anyType || spanEqualsCI(buf, this.typeStart, this.typeLen, type)) && (anySub || spanEqualsCI(buf, this.subtypeStart, this.subtypeLen, subtype));
  }

  private fail(at: number): boolean {
    this.error = at;
    return false;
  }
}
