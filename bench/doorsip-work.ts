/*
 * The work the parser benchmark does per message with doorsip's parser:
 * parse the datagram, then read Call-ID, CSeq (number and method), the top
 * Via branch and the From/To tags through the message's spans. The figures
 * read are folded into a checksum that the caller keeps, so no engine can
 * drop the work. Platform-free: the XS measurement (bench/xs-parse.ts) runs
 * exactly this code.
 */
import { H } from "../src/sip/message/header";
import { Kind, SipMessage } from "../src/sip/message/message";
import { SipParser } from "../src/sip/message/parser";

/**
 * Parse `bytes` into `msg` and read the dialog/transaction fields. Returns a
 * checksum of what was read (>= 0), or -1 when the message did not parse.
 */
export function doorsipParseAndRead(parser: SipParser, msg: SipMessage, bytes: Uint8Array): number {
  if (!parser.parse(bytes, bytes.length, msg)) return -1;
  const buf = msg.buf;
  let sum = msg.kind === Kind.Request ? msg.method : msg.status;
  // Call-ID: the span, its length and first byte.
  if (msg.callIdLen > 0) sum += msg.callIdLen + buf[msg.callIdStart]!;
  // CSeq: the number and the method (an id, its span for extension methods).
  sum += (msg.cseq & 0xffff) + msg.cseqMethod + msg.cseqMethodLen;
  // Top Via branch. (msg.via/from/to are only rewritten when their header is
  // present: check that first, as the UA does.)
  const via = msg.via;
  if (msg.first[H.Via]! >= 0 && via.branchLen > 0) sum += via.branchLen + buf[via.branchStart]!;
  // From and To tags.
  const from = msg.from;
  if (msg.first[H.From]! >= 0 && from.tagLen > 0) sum += from.tagLen + buf[from.tagStart]!;
  const to = msg.to;
  if (msg.first[H.To]! >= 0 && to.tagLen > 0) sum += to.tagLen + buf[to.tagStart]!;
  return sum;
}
