/*
 * Scratch space the parts of the user agent share: the message writer,
 * the SDP writer, a message to parse a stored request into, and the
 * readers of name-addrs, comma lists and RAck. On the device each object
 * and typed array costs heap for as long as the station runs, so there is
 * one of each for the whole core rather than one per call, per
 * registration and per keepalive.
 *
 * Sharing is safe because every use ends before control leaves the core's
 * code that began it: a request or response is written and handed to the
 * transaction layer, which copies it into the transaction's own buffer
 * (RFC 3261 §17: the transaction retransmits its copy), or sent at once
 * (an ACK, a stateless reply). Nothing written here is read after a
 * callback that could write here too; a stored message is parsed again
 * right before each use.
 *
 * The Intercom builds one over the transaction layer's own scratch (its
 * writer, parser and re-parse message), so the layer and the user agent
 * share them too.
 */
import { NameAddr } from "../sip/message/name-addr";
import { SipMessage } from "../sip/message/message";
import { SipParser } from "../sip/message/parser";
import { RAck } from "../sip/message/rack";
import { HeaderValues } from "../sip/message/values";
import { SipWriter } from "../sip/message/writer";
import type { DialogScratch } from "../sip/dialog/dialog";

/** §18.1.1: a message that fits the path MTU; what a transaction keeps anyway. */
export const DEFAULT_SCRATCH_BYTES = 1300;
/** Our SDP offer or answer (G.711 + telephone-event): under 400 bytes with a long address. */
export const SDP_BYTES = 640;

export interface ScratchParts {
  /** The message writer (default: a new one of DEFAULT_SCRATCH_BYTES). */
  writer?: SipWriter;
  parser?: SipParser;
  message?: SipMessage;
  values?: HeaderValues;
  addr?: NameAddr;
}

export class Scratch implements DialogScratch {
  /** Requests and responses: copied by their transaction (or sent) before anything else writes here. */
  readonly w: SipWriter;
  /** SDP bodies, written while `w` holds the message they go into. */
  readonly sdp = new SipWriter(SDP_BYTES);
  readonly parser: SipParser;
  /** A stored request parsed again (a call's INVITE). */
  readonly msg: SipMessage;
  readonly values: HeaderValues;
  readonly addr: NameAddr;
  readonly rack = new RAck();

  constructor(parts: ScratchParts = {}) {
    this.w = parts.writer ?? new SipWriter(DEFAULT_SCRATCH_BYTES);
    this.parser = parts.parser ?? new SipParser();
    this.msg = parts.message ?? new SipMessage(64);
    this.values = parts.values ?? new HeaderValues();
    this.addr = parts.addr ?? new NameAddr();
  }
}
