/*
 * What the door station's user agent understands, in one place: the
 * request checks of RFC 3261 §8.2 (UasPolicy), and the Allow, Supported,
 * Accept header values that describe the same capabilities in OPTIONS
 * answers (§11.2), 405 and 501 (§8.2.1, §21.5.2), 415 (§21.4.13) and
 * dialog-creating messages (§13.2.1, §20.5, §20.37).
 *
 * Methods: INVITE, ACK, CANCEL, BYE (RFC 3261), OPTIONS, PRACK (RFC 3262),
 * UPDATE (RFC 3311), INFO (RFC 6086, DTMF), MESSAGE (RFC 3428), REFER
 * (RFC 3515), NOTIFY (answered 481 outside a subscription, except an
 * unsolicited message-summary: isUnsolicitedMwi) and SUBSCRIBE
 * (answered 489: no event package is served, RFC 6665 §4.2.2.1). PUBLISH
 * and REGISTER are known but not allowed: 405 with Allow. Any other method
 * is 501 with Allow (the transaction layer answers both).
 *
 * Option tags: 100rel (RFC 3262) and timer (RFC 4028: session-timer.ts).
 * A Require of anything else is 420 with Unsupported (§8.2.2.3). Supported
 * lists timer in OPTIONS answers (§11.2: all the door supports), in answers
 * to requests that indicated it and in the door's own refresh requests
 * (SUPPORTED_TIMER): the doorbell's INVITE does
 * not ask for timers (a UAS that wants them refreshes itself, RFC 4028 §9),
 * and other answers stay as PBXs have seen them.
 */
import { ascii, spanEqualsCI } from "../../sip/message/bytes";
import type { UasPolicy } from "../../sip/message/check";
import type { MediaType } from "../../sip/message/media-type";
import { H } from "../../sip/message/header";
import type { SipMessage } from "../../sip/message/message";
import { Method } from "../../sip/message/method";
import type { HeaderValues } from "../../sip/message/values";

export const ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, MESSAGE, REFER, NOTIFY, SUBSCRIBE";
export const SUPPORTED = "100rel";
/** RFC 4028 §7.1, §9: where the door takes part in session timers. */
export const SUPPORTED_TIMER = "100rel, timer";
/** Bodies accepted, for 415 answers (the layer writes it). */
export const ACCEPT_ALL = "application/sdp, application/dtmf-relay, application/dtmf, text/plain, message/sipfrag, application/simple-message-summary";
/** Session descriptions, for OPTIONS (§11.2) and dialog-creating requests. */
export const ACCEPT_SDP = "application/sdp";

export const K_ALLOW = ascii(ALLOW);
export const K_SUPPORTED = ascii(SUPPORTED);
export const K_SUPPORTED_TIMER = ascii(SUPPORTED_TIMER);
export const K_ACCEPT_ALL = ascii(ACCEPT_ALL);
export const K_ACCEPT_SDP = ascii(ACCEPT_SDP);
/** What legacy INFO bodies may be (RFC 6086 §8.2.2 style DTMF), for its 415. */
export const K_ACCEPT_DTMF = ascii("application/dtmf-relay, application/dtmf");

const K_100REL = ascii("100rel");
const K_TIMER = ascii("timer");
const K_APPLICATION = ascii("application");
const K_SDP = ascii("sdp");
const K_TEXT = ascii("text");
const K_PLAIN = ascii("plain");
const K_MESSAGE = ascii("message");
const K_SIPFRAG = ascii("sipfrag");
const K_SIMPLE_MESSAGE_SUMMARY = ascii("simple-message-summary");
const K_MESSAGE_SUMMARY = ascii("message-summary");

export class CallPolicy implements UasPolicy {
  /** REFER can be switched off by configuration; it is then still allowed, and answered 603. */
  isAllowed(method: Method): boolean {
    switch (method) {
      case Method.INVITE:
      case Method.ACK:
      case Method.CANCEL:
      case Method.BYE:
      case Method.OPTIONS:
      case Method.PRACK:
      case Method.UPDATE:
      case Method.INFO:
      case Method.MESSAGE:
      case Method.REFER:
      case Method.NOTIFY:
      case Method.SUBSCRIBE:
        return true;
      default:
        return false;
    }
  }

  isSupported(buf: Uint8Array, start: number, len: number): boolean {
    return spanEqualsCI(buf, start, len, K_100REL) || spanEqualsCI(buf, start, len, K_TIMER);
  }

  acceptsContent(method: Method, type: MediaType): boolean {
    switch (method) {
      case Method.INVITE:
      case Method.ACK:
      case Method.PRACK:
      case Method.UPDATE:
        return type.matches(K_APPLICATION, K_SDP);
      case Method.INFO:
        // RFC 6086: an INFO for an Info Package gets 469 whatever its body, so the call checks INFO bodies itself (415 there).
        return true;
      case Method.MESSAGE:
        return type.matches(K_TEXT, K_PLAIN);
      case Method.NOTIFY:
        // sipfrag: a REFER's progress; simple-message-summary: unsolicited voicemail news (isUnsolicitedMwi).
        return type.matches(K_MESSAGE, K_SIPFRAG) || type.matches(K_APPLICATION, K_SIMPLE_MESSAGE_SUMMARY);
      default:
        // BYE, CANCEL, OPTIONS, REFER...: a body is ignored, whatever it is.
        return true;
    }
  }
}

/** Does a Require/Supported header list this option tag (case-insensitive, §19.2)? */
export function hasOptionTag(msg: SipMessage, id: H, tag: Uint8Array, values: HeaderValues): boolean {
  const v = values.begin(msg, id);
  while (v.next()) if (spanEqualsCI(msg.buf, v.start, v.len, tag)) return true;
  return false;
}

/**
 * A NOTIFY outside any dialog with `Event: message-summary` (RFC 3842): the
 * voicemail news Asterisk (`mailboxes=` on an endpoint), FreeSWITCH and the
 * FRITZ!Box send to the phones of a mailbox without a SUBSCRIBE. No
 * subscription matches (RFC 6665 §4.1.3 would answer 481), but phones
 * answer these 200 and PBXs expect that; the door has no lamp for them and
 * takes them as read. Only the event type counts (before any parameter).
 */
export function isUnsolicitedMwi(msg: SipMessage): boolean {
  const h = msg.header(H.Event);
  if (h < 0) return false;
  const buf = msg.buf;
  const start = msg.valueStart(h);
  const end = start + msg.valueLen(h);
  let i = start;
  // The event-type token ends at its parameters or whitespace (RFC 6665 §8.4: Event = event-type *( SEMI event-param )).
  while (i < end && buf[i] !== 0x3b && buf[i] !== 0x20 && buf[i] !== 0x09) i++;
  return spanEqualsCI(buf, start, i - start, K_MESSAGE_SUMMARY);
}
