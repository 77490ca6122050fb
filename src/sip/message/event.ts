/*
 * Event (RFC 6665 §8.2.1: event-type *( SEMI event-param )) and
 * Subscription-State (RFC 6665 §8.2.3: substate-value *( SEMI subexp-params )).
 * Both are a token followed by header parameters.
 */
import { ascii, NO_BYTES } from "./bytes";
import { C } from "./chars";
import { parseUint, skipClass, skipLws, trimEnd } from "./lex";
import { Params } from "./params";

const K_ID = ascii("id");
const K_EXPIRES = ascii("expires");
const K_REASON = ascii("reason");

/** A token with header parameters: Event, Subscription-State, Content-Disposition, Info-Package. */
export class TokenParams {
  buf: Uint8Array = NO_BYTES;
  tokenStart = 0;
  tokenLen = 0;
  paramsStart = 0;
  paramsEnd = 0;
  /** Event "id" (RFC 6665), valueLen -1 when absent. */
  idStart = 0;
  idLen = -1;
  /** Subscription-State "expires", -1 when absent. */
  expires = -1;
  reasonStart = 0;
  reasonLen = -1;
  error = -1;
  readonly params = new Params();

  read(buf: Uint8Array, start: number, end: number): boolean {
    this.buf = buf;
    this.error = -1;
    this.idLen = this.reasonLen = -1;
    this.expires = -1;
    const i = skipLws(buf, start, end);
    end = trimEnd(buf, i, end);
    const te = skipClass(buf, i, end, C.Token);
    if (te === i) return this.fail(i);
    this.tokenStart = i;
    this.tokenLen = te - i;
    this.paramsStart = te;
    this.paramsEnd = end;
    const p = this.params.reset(buf, te, end, true);
    while (p.next()) {
      if (p.is(K_ID)) {
        this.idStart = p.valueStart;
        this.idLen = p.valueLen;
      } else if (p.is(K_EXPIRES)) {
        this.expires = p.valueLen > 0 ? parseUint(buf, p.valueStart, p.valueStart + p.valueLen, 4294967295) : -1;
        if (this.expires < 0) return this.fail(p.nameStart);
      } else if (p.is(K_REASON)) {
        this.reasonStart = p.valueStart;
        this.reasonLen = p.valueLen;
      }
    }
    if (p.error >= 0) return this.fail(p.error);
    return true;
  }

  private fail(at: number): boolean {
    this.error = at;
    return false;
  }
}
