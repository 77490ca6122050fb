/*
 * Session timers (RFC 4028): reading Session-Expires and Min-SE, the
 * door's choice for a session refresh request it answers (§9), and the
 * header lines it writes. Pure functions over the message's bytes: a
 * decision is one number (see Decision), so nothing is allocated.
 *
 * Session-Expires = delta-seconds *(SEMI se-params), se-params =
 * refresher-param / generic-param, refresher-param = "refresher" EQUAL
 * ("uas" / "uac") (§4). Min-SE = delta-seconds *(SEMI generic-param) (§5).
 * "refresher" names the side that refreshes as seen in the transaction
 * carrying it: uac is whoever sent that request (§7.4, §9).
 */
import { ascii, spanEqualsCI } from "../../sip/message/bytes";
import { C, Ch } from "../../sip/message/chars";
import { H } from "../../sip/message/header";
import { parseUint, scanQuoted, scanToken, skipClass, skipLws, trimEnd } from "../../sip/message/lex";
import type { SipMessage } from "../../sip/message/message";
import type { HeaderValues } from "../../sip/message/values";
import type { SipWriter } from "../../sip/message/writer";
import { hasOptionTag } from "./capabilities";

/** The door's Min-SE (s): the RFC's floor (§4: "MUST NOT be less than 90 seconds"), so the door asks for no more than any peer must accept. */
export const MIN_SE = 90;

export const enum Refresher {
  None = 0,
  /** The sender of the request carrying it. */
  Uac = 1,
  /** Its receiver. */
  Uas = 2,
}

/** What reading a header gave when it is not a value (values are >= 0). */
export const enum Read {
  Absent = -1,
  Malformed = -2,
}

/**
 * The door's answer to a session refresh request (§9), as one number:
 * negative for a rejection, 0 for no session timer, else
 * seconds * 8 + (the request indicated support ? 4 : 0) + refresher.
 */
export const enum Decision {
  NoTimer = 0,
  /** 400: Session-Expires is not delta-seconds with a uac/uas refresher. */
  BadSessionExpires = -1,
  /** 400: Min-SE is not delta-seconds. */
  BadMinSe = -2,
  /** 422 with Min-SE (§9): the interval is below MIN_SE and the request indicated support. */
  TooSmall = -3,
}

export function decisionSeconds(d: number): number {
  return d > 0 ? Math.floor(d / 8) : 0;
}

export function decisionRefresher(d: number): Refresher {
  return d > 0 ? (d % 4) as Refresher : Refresher.None;
}

/** Did the request say Supported or Require: timer (then the 2xx carries Require: timer, §9)? */
export function decisionSupported(d: number): boolean {
  return d > 0 && Math.floor(d / 4) % 2 === 1; // not d & 4: a decision may pass 2^31
}

/** Largest delta-seconds taken (2^32 - 1, as RFC 3261 §20.19 bounds Expires). */
const MAX_DELTA = 4294967295;

const K_TIMER = ascii("timer");
const K_REFRESHER = ascii("refresher");
const K_UAC = ascii("uac");
const K_UAS = ascii("uas");
const K_SE_H = ascii("Session-Expires: ");
const K_REFRESHER_UAC = ascii(";refresher=uac\r\n");
const K_REFRESHER_UAS = ascii(";refresher=uas\r\n");
const K_MIN_SE_H = ascii("Min-SE: ");
const K_REQUIRE_TIMER = ascii("Require: timer\r\n");

/**
 * The Session-Expires of `msg` (also its compact form "x"): seconds * 4 +
 * refresher, or Read.Absent, or Read.Malformed (not delta-seconds, a
 * refresher other than uac/uas, a broken parameter, or several values).
 */
export function readSessionExpires(msg: SipMessage): number {
  const h = msg.first[H.SessionExpires]!;
  if (h < 0) return Read.Absent;
  if (msg.several(H.SessionExpires)) return Read.Malformed;
  const buf = msg.buf;
  const s = skipLws(buf, msg.hValueStart[h]!, msg.hValueEnd[h]!);
  const e = trimEnd(buf, s, msg.hValueEnd[h]!);
  const d = skipClass(buf, s, e, C.Digit);
  const seconds = parseUint(buf, s, d, MAX_DELTA);
  if (seconds < 0) return Read.Malformed;
  let refresher = Refresher.None;
  let i = d;
  while (i < e) {
    i = skipLws(buf, i, e);
    if (i >= e || buf[i] !== Ch.Semi) return Read.Malformed;
    i = skipLws(buf, i + 1, e);
    const ne = scanToken(buf, i, e);
    if (ne < 0) return Read.Malformed;
    const isRefresher = spanEqualsCI(buf, i, ne - i, K_REFRESHER);
    i = skipLws(buf, ne, e);
    if (i < e && buf[i] === Ch.Equals) {
      i = skipLws(buf, i + 1, e);
      const ve = buf[i] === Ch.DQuote ? scanQuoted(buf, i, e) : scanToken(buf, i, e);
      if (ve < 0) return Read.Malformed;
      if (isRefresher) {
        if (spanEqualsCI(buf, i, ve - i, K_UAC)) refresher = Refresher.Uac;
        else if (spanEqualsCI(buf, i, ve - i, K_UAS)) refresher = Refresher.Uas;
        else return Read.Malformed;
      }
      i = ve;
    } else if (isRefresher) return Read.Malformed;
  }
  return seconds * 4 + refresher;
}

/** The Min-SE of `msg` in seconds (its generic parameters skipped), or Read.Absent, or Read.Malformed. */
export function readMinSe(msg: SipMessage): number {
  const h = msg.first[H.MinSE]!;
  if (h < 0) return Read.Absent;
  const buf = msg.buf;
  const s = skipLws(buf, msg.hValueStart[h]!, msg.hValueEnd[h]!);
  const e = trimEnd(buf, s, msg.hValueEnd[h]!);
  const d = skipClass(buf, s, e, C.Digit);
  const seconds = parseUint(buf, s, d, MAX_DELTA);
  if (seconds < 0) return Read.Malformed;
  const i = skipLws(buf, d, e);
  return i >= e || buf[i] === Ch.Semi ? seconds : Read.Malformed;
}

/** Does a Supported or Require header of `msg` list "timer" (§7.1)? */
export function indicatesTimer(msg: SipMessage, values: HeaderValues): boolean {
  return hasOptionTag(msg, H.Supported, K_TIMER, values) || hasOptionTag(msg, H.Require, K_TIMER, values);
}

/**
 * §9: what the door answers to a session refresh request (the INVITE, a
 * re-INVITE or an UPDATE). No Session-Expires: no timer (the door does not
 * ask for one). Below MIN_SE: 422 when the request indicated support, else
 * raised to MIN_SE (§9 as corrected by erratum 1687: a UAC that knows no
 * timers could not retry). Never below the request's Min-SE (§9). The
 * refresher is the request's choice; absent, uac (the peer refreshes and the
 * door only watches), or uas when the request did not indicate support
 * (§9: only a UAC that supports timers can be made the refresher).
 */
export function decide(msg: SipMessage, values: HeaderValues): number {
  const se = readSessionExpires(msg);
  if (se === Read.Malformed) return Decision.BadSessionExpires;
  const minSe = readMinSe(msg);
  if (minSe === Read.Malformed) return Decision.BadMinSe;
  if (se === Read.Absent) return Decision.NoTimer;
  const supported = indicatesTimer(msg, values);
  let seconds = Math.floor(se / 4);
  let refresher: Refresher = se % 4;
  if (seconds < MIN_SE) {
    if (supported) return Decision.TooSmall;
    seconds = MIN_SE;
  }
  if (seconds < minSe) seconds = minSe;
  if (!supported) refresher = Refresher.Uas;
  else if (refresher === Refresher.None) refresher = Refresher.Uac;
  return seconds * 8 + (supported ? 4 : 0) + refresher;
}

/**
 * §10: when the side that does not refresh gives up on the session: BYE
 * "before the session expires", at SE - min(32, SE/3) seconds, in ms.
 */
export function expiryMs(seconds: number): number {
  const margin = seconds / 3 < 32 ? seconds / 3 : 32;
  return (seconds - margin) * 1000;
}

/** §10: the refresher refreshes once half the interval has passed, in ms. */
export function refreshMs(seconds: number): number {
  return seconds * 500;
}

/** "Session-Expires: N;refresher=uac|uas" (§4). */
export function writeSessionExpires(w: SipWriter, seconds: number, refresher: Refresher): void {
  w.bytes(K_SE_H).uint(seconds).bytes(refresher === Refresher.Uas ? K_REFRESHER_UAS : K_REFRESHER_UAC);
}

/** "Min-SE: N" (§5): in a 422 (§9) and in the door's refresh requests (§7.4). */
export function writeMinSe(w: SipWriter, seconds: number): void {
  w.bytes(K_MIN_SE_H).uint(seconds).crlf();
}

/** "Require: timer" in a 2xx whose request indicated support (§9). */
export function writeRequireTimer(w: SipWriter): void {
  w.bytes(K_REQUIRE_TIMER);
}
