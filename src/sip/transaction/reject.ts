/*
 * Responses the layer writes itself, from the request's own spans
 * (§8.2.6.2): the answers to requests failing the checks of §8.2 (with the
 * Allow, Unsupported or Accept header the status calls for, §8.2.1-§8.2.3),
 * 481 to a CANCEL that matches nothing (§9.2), 503 with Retry-After when the
 * server pool is full (§21.5.4), 500 when the TU threw. One scratch writer,
 * one tag buffer: nothing is allocated per response.
 */
import type { RandomHost } from "../../host";
import { ascii } from "../message/bytes";
import { Extra, type UasPolicy } from "../message/check";
import { H } from "../message/header";
import type { SipMessage } from "../message/message";
import { writeResponseHead } from "../message/response";
import { HeaderValues } from "../message/values";
import { SipWriter } from "../message/writer";
import { TAG_LENGTH, writeTag } from "../ids";

export const R_OK = ascii("OK");
export const R_TRYING = ascii("Trying");
export const R_NO_TRANSACTION = ascii("Call/Transaction Does Not Exist");
export const R_UNAVAILABLE = ascii("Service Unavailable");
export const R_SERVER_ERROR = ascii("Server Internal Error");
const ACCEPT_SDP = ascii("application/sdp");
const IDENTITY = ascii("identity");
const COMMA_SP = ascii(", ");
/** §8.2.1: what a UA is expected to allow when the TU did not say. */
const DEFAULT_ALLOW = ascii("INVITE, ACK, CANCEL, BYE, OPTIONS");

export class Responder {
  readonly w: SipWriter;
  private readonly tag: Uint8Array;
  private readonly values: HeaderValues;
  private readonly random: RandomHost;
  private readonly allow: Uint8Array;
  private readonly accept: Uint8Array;

  /**
   * `w`: a writer of its own (a size) or one given; `values`: a comma-list
   * reader to share (null: its own); `tag`: TAG_LENGTH bytes for the To
   * tag (a view of a shared buffer, say; by default its own).
   */
  constructor(w: number | SipWriter, values: HeaderValues | null, random: RandomHost, allow: Uint8Array | undefined, accept: Uint8Array | undefined, tag?: Uint8Array) {
    this.w = typeof w === "number" ? new SipWriter(w) : w;
    this.tag = tag ?? new Uint8Array(TAG_LENGTH);
    this.values = values ?? new HeaderValues();
    this.random = random;
    this.allow = allow ?? DEFAULT_ALLOW;
    this.accept = accept ?? ACCEPT_SDP;
  }

  /** Start a response to `req`: status line and copied headers, with a fresh To tag (§8.2.6.2). */
  head(req: SipMessage, status: number, reason: Uint8Array): boolean {
    const w = this.w.reset();
    writeTag(this.random, this.tag, 0);
    return writeResponseHead(w, req, status, reason, this.tag, TAG_LENGTH, false);
  }

  /** A complete response with no extra header. */
  simple(req: SipMessage, status: number, reason: Uint8Array): boolean {
    if (!this.head(req, status, reason)) return false;
    this.w.end();
    return !this.w.overflow;
  }

  /** The answer to a request that failed RequestChecker: its status, reason and extra header. */
  rejection(req: SipMessage, status: number, reason: Uint8Array, extra: Extra, policy: UasPolicy | undefined): boolean {
    if (!this.head(req, status, reason)) return false;
    const w = this.w;
    switch (extra) {
      case Extra.Allow:
        w.headerBytes(H.Allow, this.allow);
        break;
      case Extra.Accept:
        w.headerBytes(H.Accept, this.accept);
        break;
      case Extra.AcceptEncoding:
        w.headerBytes(H.AcceptEncoding, IDENTITY);
        break;
      case Extra.Unsupported:
        // §8.2.2.3: list the option tags of Require we do not support.
        if (policy !== undefined) this.unsupported(req, policy);
        break;
    }
    w.end();
    return !w.overflow;
  }

  /** 503 with Retry-After (§21.5.4, §20.33). */
  unavailable(req: SipMessage, retryAfter: number): boolean {
    if (!this.head(req, 503, R_UNAVAILABLE)) return false;
    this.w.headerUint(H.RetryAfter, retryAfter);
    this.w.end();
    return !this.w.overflow;
  }

  private unsupported(req: SipMessage, policy: UasPolicy): void {
    const w = this.w;
    const v = this.values.begin(req, H.Require);
    let n = 0;
    while (v.next()) {
      if (policy.isSupported(req.buf, v.start, v.len)) continue;
      if (n === 0) w.headerName(H.Unsupported);
      else w.bytes(COMMA_SP);
      w.span(req.buf, v.start, v.len);
      n++;
    }
    if (n > 0) w.crlf();
  }
}
