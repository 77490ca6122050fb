/*
 * RAck = response-num LWS CSeq-num LWS Method (RFC 3262 §7.2); the parser
 * already checked the syntax, this reads the numbers.
 */
import { C } from "./chars";
import { H } from "./header";
import { parseUint, scanToken, skipClass, skipLws } from "./lex";
import type { SipMessage } from "./message";
import { type Method, methodOf } from "./method";

export class RAck {
  rseq = -1;
  cseq = -1;
  method: Method = 0 as Method;
  methodStart = 0;
  methodLen = 0;

  /** Read the message's RAck; false when it has none or it is malformed. */
  read(msg: SipMessage): boolean {
    this.rseq = this.cseq = -1;
    const h = msg.first[H.RAck]!;
    if (h < 0) return false;
    const buf = msg.buf;
    const s = msg.hValueStart[h]!;
    const e = msg.hValueEnd[h]!;
    let d = skipClass(buf, s, e, C.Digit);
    const rseq = parseUint(buf, s, d, 4294967295);
    let i = skipLws(buf, d, e);
    d = skipClass(buf, i, e, C.Digit);
    const cseq = parseUint(buf, i, d, 4294967295);
    i = skipLws(buf, d, e);
    const me = scanToken(buf, i, e);
    if (rseq < 1 || cseq < 0 || me !== e) return false;
    this.rseq = rseq;
    this.cseq = cseq;
    this.methodStart = i;
    this.methodLen = me - i;
    this.method = methodOf(buf, i, me - i);
    return true;
  }
}

/** The RSeq value (RFC 3262 §7.1), or -1. */
export function rseqOf(msg: SipMessage): number {
  const h = msg.first[H.RSeq]!;
  if (h < 0) return -1;
  return parseUint(msg.buf, msg.hValueStart[h]!, msg.hValueEnd[h]!, 4294967295);
}
