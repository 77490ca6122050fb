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
 * cannot be predicted from outside.
 */
import type { RandomHost } from "../../host";
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

export class StatelessReject {
  private readonly tag = new Uint8Array(TAG_LENGTH);
  private readonly key1: number;
  private readonly key2: number;

  constructor(random: RandomHost) {
    this.key1 = random.u32() | 0;
    this.key2 = random.u32() | 0;
  }

  /** Write "403 Forbidden - Untrusted Source" for msg into w (reset by the caller). */
  write(w: SipWriter, msg: SipMessage, serverHeader: Uint8Array | null): boolean {
    const tag = this.tag;
    const buf = msg.buf;
    let a = this.key1;
    let b = this.key2;
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
    if (serverHeader !== null) w.bytes(serverHeader);
    w.end();
    return !w.overflow;
  }
}
