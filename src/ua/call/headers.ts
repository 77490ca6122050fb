/*
 * Header lines the user agent writes into many messages: Contact (§20.10,
 * our address as the layer advertises it), Allow and Supported (§20.5,
 * §20.37: sent in INVITEs, dialog-creating responses and OPTIONS answers,
 * §13.2.1, §11.2), the SDP Content-Type, and Warning for 488 (§20.43).
 */
import { ascii } from "../../sip/message/bytes";
import type { Dialog } from "../../sip/dialog/dialog";
import { Method } from "../../sip/message/method";
import type { SipWriter } from "../../sip/message/writer";
import type { TransactionLayerApi } from "../../sip/transaction/api";
import type { ContactAddress } from "../contact-address";
import { writeHostPort } from "../register-request";
import { K_ALLOW, K_SUPPORTED, K_SUPPORTED_TIMER } from "./capabilities";
import type { CallConfig } from "./config";

const K_CONTACT = ascii("Contact: <sip:");
const K_CLOSE = ascii(">\r\n");
const K_ALLOW_H = ascii("Allow: ");
const K_SUPPORTED_H = ascii("Supported: ");
const K_REQUIRE_100REL = ascii("Require: 100rel\r\n");
const K_RSEQ = ascii("RSeq: ");
const K_RACK = ascii("RAck: ");
const K_INVITE = ascii(" INVITE\r\n");
export const K_CONTENT_TYPE_SDP = ascii("Content-Type: application/sdp\r\n");
/** RFC 3261 §20.43: 305 "Incompatible media format". */
const K_WARNING_305 = ascii("Warning: 305 ");
const K_WARNING_TEXT = ascii(" \"Incompatible media format\"\r\n");
const K_RECV_INFO_EMPTY = ascii("Recv-Info: \r\n");
const K_RETRY_AFTER = ascii("Retry-After: ");

/** Contact: <sip:user@host:port> (the user from the call settings, the host and port as the layer advertises them). */
export function writeContact(w: SipWriter, cfg: CallConfig, a: ContactAddress): void {
  cfg.writeUserAt(w.bytes(K_CONTACT));
  writeHostPort(w, a);
  w.bytes(K_CLOSE);
}

/** Allow and Supported; Supported lists timer when the message takes part in session timers (RFC 4028 §7.1, §9). */
export function writeCapabilities(w: SipWriter, timer = false): void {
  w.bytes(K_ALLOW_H).bytes(K_ALLOW).crlf();
  w.bytes(K_SUPPORTED_H).bytes(timer ? K_SUPPORTED_TIMER : K_SUPPORTED).crlf();
}

/** RFC 3262 §3: a reliable provisional response carries Require: 100rel and RSeq. */
export function writeReliable(w: SipWriter, rseq: number): void {
  w.bytes(K_REQUIRE_100REL).bytes(K_RSEQ).uint(rseq).crlf();
}

/** RFC 3262 §7.2: "RAck: <rseq> <cseq> INVITE". */
export function writeRAck(w: SipWriter, rseq: number, cseq: number): void {
  w.bytes(K_RACK).uint(rseq).byte(32).uint(cseq).bytes(K_INVITE);
}

export function writeWarning305(w: SipWriter, agent: ContactAddress): void {
  w.bytes(K_WARNING_305);
  if (agent.v6) w.byte(91);
  w.span(agent.bytes, 0, agent.len);
  if (agent.v6) w.byte(93);
  w.bytes(K_WARNING_TEXT);
}

/** RFC 6086 §4.2.2: a 469 lists the packages we take: none (legacy INFO only). */
export function writeEmptyRecvInfo(w: SipWriter): void {
  w.bytes(K_RECV_INFO_EMPTY);
}

export function writeRetryAfter(w: SipWriter, seconds: number): void {
  w.bytes(K_RETRY_AFTER).uint(seconds).crlf();
}

/**
 * The ACK of a 2xx in dialog `d` whose INVITE had CSeq `cseq` (RFC 3261
 * §13.2.2.4): a request of its own, in the dialog, written afresh and sent
 * without a transaction to the dialog's next hop.
 */
export function sendAck2xx(w: SipWriter, d: Dialog, layer: TransactionLayerApi, cfg: CallConfig, cseq: number): void {
  w.reset();
  d.writeRequestLine(w, Method.ACK);
  layer.writeStatelessVia(w);
  d.writeHeaders(w, Method.ACK, cseq);
  cfg.writeUserAgent(w);
  w.end();
  layer.sendStateless(w, d.hop.address, d.hop.port);
}
