/*
 * The 403 for a request from an untrusted source, sent with no transaction
 * (RFC 3261 §8.2.7, stateless UAS): the request takes no slot of the server
 * pool, so a flood of INVITEs cannot hold the table until Timer H.
 *
 * §8.2.7 asks a stateless UAS to make the To tag "in a manner that will
 * generate the same tag for the same request consistently": the tag is a
 * keyed hash (FNV-1a, two 32-bit lanes) of the Call-ID, the From tag, the
 * top Via branch and the CSeq number, so a retransmitted INVITE gets the
 * same answer; the key comes from the host's randomness at start, so tags
 * cannot be predicted from outside. The key and the tag's bytes are the
 * trust policy's (trust-policy.ts): no object of its own (issue #9).
 */
import { ascii } from "../../sip/message/bytes";
import type { SipMessage } from "../../sip/message/message";
import { writeResponseHead } from "../../sip/message/response";
import type { SipWriter } from "../../sip/message/writer";
import { TAG_LENGTH } from "../../sip/ids";
import { writeHex32 } from "../../util/hex";

/** §21.4.4: refused, and authentication would not help; the phrase says why. */
export const R_FORBIDDEN_UNTRUSTED = ascii("Forbidden - Untrusted Source");
export const FORBIDDEN = 403;

const FNV_PRIME = 0x01000193;

function fnv(h: number, buf: Uint8Array, start: number, len: number): number {
  for (let i = 0; i < len; i++) h = Math.imul(h ^ buf[start + i]!, FNV_PRIME);
  return h;
}

/**
 * Write "403 Forbidden - Untrusted Source" for msg into w (reset by the
 * caller), its To tag made into `tag` (TAG_LENGTH bytes, the caller's
 * scratch) from the key (key1, key2; drawn once from the host's randomness).
 */
export function writeStatelessReject(
  w: SipWriter, msg: SipMessage, tag: Uint8Array, key1: number, key2: number,
): boolean {
  const buf = msg.buf;
  let a = key1 | 0;
  let b = key2 | 0;
  if (msg.callIdLen > 0) {
    a = fnv(a, buf, msg.callIdStart, msg.callIdLen);
    b = fnv(b, buf, msg.callIdStart, msg.callIdLen);
  }
  const from = msg.from;
  if (from.error < 0 && from.tagLen > 0) {
    a = fnv(a, buf, from.tagStart, from.tagLen);
    b = fnv(b ^ 0x5bd1e995, buf, from.tagStart, from.tagLen);
  }
  const via = msg.via;
  if (via.branchLen > 0) {
    a = fnv(a, buf, via.branchStart, via.branchLen);
    b = fnv(b, buf, via.branchStart, via.branchLen);
  }
  a = Math.imul(a ^ (msg.cseq | 0), FNV_PRIME);
  b = Math.imul(b ^ ~(msg.cseq | 0), FNV_PRIME);
  writeHex32(a >>> 0, tag, 0);
  writeHex32(b >>> 0, tag, 8);
  if (!writeResponseHead(w, msg, FORBIDDEN, R_FORBIDDEN_UNTRUSTED, tag, TAG_LENGTH, false)) return false;
  w.end();
  return !w.overflow;
}
