/*
 * Responses built from a request's own bytes (RFC 3261 §8.2.6.2): the Via
 * fields in order, From, Call-ID and CSeq copied, To copied and given a tag
 * when it has none (except for 100 Trying), Timestamp echoed in 100 Trying.
 * Record-Route is copied into dialog-creating responses when asked
 * (§12.1.1). The caller then adds its own headers and ends the message with
 * writer.body() or writer.end().
 */
import { ascii } from "./bytes";
import { H } from "./header";
import type { SipMessage } from "./message";
import type { SipWriter } from "./writer";

const TAG = ascii(";tag=");

/**
 * Write the status line and the headers copied from `req`. Returns false
 * when the request cannot be answered at all (no readable top Via to send
 * the response to, or no CSeq to match it), so the caller drops it. A
 * request missing From, To or Call-ID is still answered (400, RFC 4475
 * §3.3.1) with what it has.
 */
export function writeResponseHead(w: SipWriter, req: SipMessage, status: number, reason: Uint8Array, toTag: Uint8Array | null, toTagLen: number, recordRoute: boolean): boolean {
  if (!canAnswer(req)) return false;
  const buf = req.buf;
  w.statusLine(status, reason);
  copyAll(w, req, H.Via);
  copyFirst(w, req, H.From);
  const to = req.first[H.To]!;
  if (to >= 0) {
    w.headerName(H.To).span(buf, req.hValueStart[to]!, req.hValueEnd[to]! - req.hValueStart[to]!);
    if (status > 100 && toTag !== null && req.to.tagLen < 0 && req.to.error < 0) w.bytes(TAG).span(toTag, 0, toTagLen);
    w.crlf();
  }
  copyFirst(w, req, H.CallId);
  copyFirst(w, req, H.CSeq);
  if (status === 100) copyFirst(w, req, H.Timestamp);
  if (recordRoute) copyAll(w, req, H.RecordRoute);
  return true;
}

/**
 * A request can be answered when the sent-by of its top Via was read
 * (§18.2.2 sends by the Via; a fault in its parameters does not hide it,
 * RFC 4475 §3.1.2.1) and it has a CSeq to copy, even a malformed one
 * (RFC 4475 §3.1.2.4 asks for a 400 to a request whose CSeq overflows).
 */
export function canAnswer(req: SipMessage): boolean {
  return req.first[H.Via]! >= 0 && req.via.hostLen > 0 && req.first[H.CSeq]! >= 0;
}

/** Copy every header field of this id, each on its own line, in order. */
export function copyAll(w: SipWriter, msg: SipMessage, id: H): void {
  for (let h = msg.first[id]!; h >= 0; h = msg.hNext[h]!) {
    w.header(id, msg.buf, msg.hValueStart[h]!, msg.hValueEnd[h]! - msg.hValueStart[h]!);
  }
}

/** Copy the first header field of this id, if any. */
export function copyFirst(w: SipWriter, msg: SipMessage, id: H): void {
  const h = msg.first[id]!;
  if (h >= 0) w.header(id, msg.buf, msg.hValueStart[h]!, msg.hValueEnd[h]! - msg.hValueStart[h]!);
}

/**
 * Serialize a parsed message as it is: start line, every header (by its
 * canonical name when known, else its own name), and the body, with a fresh
 * Content-Length. parse(serialize(x)) reads the same fields as x.
 */
export function writeMessage(w: SipWriter, msg: SipMessage): void {
  const buf = msg.buf;
  if (msg.status > 0) w.span(buf, msg.versionStart, msg.versionLen).byte(32).uint(msg.status).byte(32).span(buf, msg.reasonStart, msg.reasonLen).crlf();
  else w.span(buf, msg.methodStart, msg.methodLen).byte(32).span(buf, msg.uriStart, msg.uriLen).byte(32).span(buf, msg.versionStart, msg.versionLen).crlf();
  for (let h = 0; h < msg.headerCount; h++) {
    const id = msg.hId[h]! as H;
    if (id === H.ContentLength) continue;
    if (id === H.Other) w.span(buf, msg.hNameStart[h]!, msg.hNameLen[h]!).byte(58).byte(32);
    else w.headerName(id);
    w.span(buf, msg.hValueStart[h]!, msg.hValueEnd[h]! - msg.hValueStart[h]!).crlf();
  }
  w.body(buf, msg.bodyStart, msg.bodyLen);
}
