/*
 * DTMF carried in SIP INFO (RFC 6086 legacy usage, as PBXs send it):
 *   application/dtmf-relay:  "Signal=5\r\nDuration=160\r\n" (Cisco/Asterisk)
 *   application/dtmf:        "5" (the digit alone)
 * Signal values 10 and 11 mean "*" and "#" (as some gateways send them);
 * A-D are kept. The result is the digit's character code, or one of
 * the negative DtmfRead values.
 */
import { ascii, spanEqualsCI } from "../../sip/message/bytes";
import { C, Ch } from "../../sip/message/chars";
import { H } from "../../sip/message/header";
import { skipClass, skipLws } from "../../sip/message/lex";
import type { SipMessage } from "../../sip/message/message";

const K_APPLICATION = ascii("application");
const K_DTMF_RELAY = ascii("dtmf-relay");
const K_DTMF = ascii("dtmf");
const K_SIGNAL = ascii("signal");

/** The character code of a DTMF digit (0-9 * # A-D, case-insensitive letters), or -1. */
export function dtmfDigit(b: number): number {
  if ((b >= 48 && b <= 57) || b === 42 || b === 35) return b;
  if (b >= 65 && b <= 68) return b;
  if (b >= 97 && b <= 100) return b - 32;
  return -1;
}

function isSpace(b: number): boolean {
  return b === 32 || b === 9;
}

/** What dtmfType() found. */
export const enum DtmfType {
  None = 0,
  Relay = 1,
  Bare = 2,
}

/**
 * The message's Content-Type as one of the DTMF types (RFC 3261 §20.15:
 * type "/" subtype, case-insensitive; "*" matches anything, as
 * MediaType.matches has it). The transaction layer's request checker has
 * read this header before (§8.2.3: 400 when it is malformed), so only type
 * and subtype are looked at here: no MediaType reader of its own (issue #9:
 * some 20 heap slots for the station's life).
 */
export function dtmfType(msg: SipMessage): DtmfType {
  const h = msg.first[H.ContentType]!;
  if (h < 0) return DtmfType.None;
  const buf = msg.buf;
  const end = msg.hValueEnd[h]!;
  const ts = skipLws(buf, msg.hValueStart[h]!, end);
  const te = skipClass(buf, ts, end, C.Token);
  let ss = skipLws(buf, te, end);
  if (te === ts || ss >= end || buf[ss] !== Ch.Slash) return DtmfType.None;
  ss = skipLws(buf, ss + 1, end);
  const se = skipClass(buf, ss, end, C.Token);
  if (se === ss) return DtmfType.None;
  if (!isAny(buf, ts, te) && !spanEqualsCI(buf, ts, te - ts, K_APPLICATION)) return DtmfType.None;
  if (isAny(buf, ss, se) || spanEqualsCI(buf, ss, se - ss, K_DTMF_RELAY)) return DtmfType.Relay;
  return spanEqualsCI(buf, ss, se - ss, K_DTMF) ? DtmfType.Bare : DtmfType.None;
}

function isAny(buf: Uint8Array, start: number, end: number): boolean {
  return end - start === 1 && buf[start] === 42;
}

/** What read() returns when it finds no digit (a digit is its character code, 35 and up). */
export const enum DtmfRead {
  /** A DTMF Content-Type whose body holds no digit we can read (400). */
  NoDigit = -1,
  /** The body is not of a DTMF type (415), or there is none. */
  NotDtmf = -2,
}

/** Holds nothing: one for the whole core (see DTMF). */
export class DtmfReader {
  /**
   * The digit an INFO carries, NoDigit when its DTMF body holds none we
   * can read, NotDtmf when the body is of another type: the Content-Type is
   * read once per INFO.
   */
  read(msg: SipMessage): number {
    if (msg.bodyLen <= 0) return DtmfRead.NotDtmf;
    switch (dtmfType(msg)) {
      case DtmfType.Relay: return this.relay(msg.buf, msg.bodyStart, msg.bodyStart + msg.bodyLen);
      case DtmfType.Bare: return this.bare(msg.buf, msg.bodyStart, msg.bodyStart + msg.bodyLen);
      default: return DtmfRead.NotDtmf;
    }
  }

  /** "Signal=<d>" on a line of its own; names are case-insensitive. */
  private relay(buf: Uint8Array, start: number, end: number): number {
    let i = start;
    while (i < end) {
      let e = i;
      while (e < end && buf[e] !== 10 && buf[e] !== 13) e++;
      let s = i;
      while (s < e && isSpace(buf[s]!)) s++;
      if (e - s > K_SIGNAL.length && spanEqualsCI(buf, s, K_SIGNAL.length, K_SIGNAL)) {
        let v = s + K_SIGNAL.length;
        while (v < e && isSpace(buf[v]!)) v++;
        if (v < e && buf[v] === 61 /* = */) {
          v++;
          while (v < e && isSpace(buf[v]!)) v++;
          let ve = e;
          while (ve > v && isSpace(buf[ve - 1]!)) ve--;
          if (ve - v === 1) return dtmfDigit(buf[v]!);
          // Numeric event codes of RFC 4733 §3.2: 10 = "*", 11 = "#".
          if (ve - v === 2 && buf[v] === 49 && buf[v + 1] === 48) return 42;
          if (ve - v === 2 && buf[v] === 49 && buf[v + 1] === 49) return 35;
          return -1;
        }
      }
      i = e + 1;
    }
    return -1;
  }

  private bare(buf: Uint8Array, start: number, end: number): number {
    let s = start;
    while (s < end && (isSpace(buf[s]!) || buf[s] === 13 || buf[s] === 10)) s++;
    let e = end;
    while (e > s && (isSpace(buf[e - 1]!) || buf[e - 1] === 13 || buf[e - 1] === 10)) e--;
    return e - s === 1 ? dtmfDigit(buf[s]!) : -1;
  }
}

/** The one DTMF reader (a module constant: on the device in the read-only preloaded heap). */
export const DTMF = new DtmfReader();
