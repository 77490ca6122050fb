/*
 * The two requests a client transaction derives from its INVITE:
 *
 * - the ACK for a 3xx-6xx response (RFC 3261 §17.1.1.3): Request-URI,
 *   Call-ID, From and CSeq number of the INVITE, its top Via only (same
 *   branch: the ACK is part of the INVITE transaction), its Route headers,
 *   To from the response (it carries the UAS's tag), CSeq method ACK;
 * - the CANCEL (§9.1): Request-URI, Call-ID, To, From and CSeq number of the
 *   INVITE, its top Via (same branch, so the UAS matches the INVITE, §9.2),
 *   its Route headers, CSeq method CANCEL.
 *
 * Both are built from the INVITE as parsed again from the transaction's own
 * buffer, with spans copied: no strings.
 */
import { H } from "../message/header";
import type { SipMessage } from "../message/message";
import { METHOD_BYTES, Method } from "../message/method";
import { copyAll, copyFirst } from "../message/response";
import type { SipWriter } from "../message/writer";

/** §8.1.1.6: the recommended initial Max-Forwards. */
const MAX_FORWARDS = 70;

function head(w: SipWriter, invite: SipMessage, method: Method): void {
  const buf = invite.buf;
  const via = invite.via;
  w.requestLine(method, null, 0, 0, buf, invite.uriStart, invite.uriLen);
  // Only the top Via: the one we wrote, with the transaction's branch.
  w.header(H.Via, buf, via.protocolStart, via.paramsEnd - via.protocolStart);
  w.headerUint(H.MaxForwards, MAX_FORWARDS);
  copyAll(w, invite, H.Route);
  copyFirst(w, invite, H.From);
}

function tail(w: SipWriter, invite: SipMessage, method: Method): boolean {
  copyFirst(w, invite, H.CallId);
  w.headerName(H.CSeq).uint(invite.cseq).byte(32).bytes(METHOD_BYTES[method]!).crlf();
  w.end();
  return !w.overflow;
}

/** The ACK for a non-2xx final `response` to `invite` (§17.1.1.3). */
export function writeAck(w: SipWriter, invite: SipMessage, response: SipMessage): boolean {
  w.reset();
  head(w, invite, Method.ACK);
  copyFirst(w, response, H.To);
  return tail(w, invite, Method.ACK);
}

/** The CANCEL for `invite` (§9.1). */
export function writeCancel(w: SipWriter, invite: SipMessage): boolean {
  w.reset();
  head(w, invite, Method.CANCEL);
  copyFirst(w, invite, H.To);
  return tail(w, invite, Method.CANCEL);
}
