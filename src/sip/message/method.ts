/*
 * SIP methods (RFC 3261 §7.1 and the extensions the intercom understands).
 * Methods are case-sensitive tokens (RFC 3261 §7.1): "invite" is an
 * extension method, not INVITE.
 */
import { ascii } from "./bytes";

export const enum Method {
  /** Any other token: kept as a span in the message. */
  Extension = 0,
  INVITE = 1,
  ACK = 2,
  BYE = 3,
  CANCEL = 4,
  OPTIONS = 5,
  REGISTER = 6,
  PRACK = 7,
  SUBSCRIBE = 8,
  NOTIFY = 9,
  PUBLISH = 10,
  INFO = 11,
  REFER = 12,
  MESSAGE = 13,
  UPDATE = 14,
}

export const METHOD_COUNT = 15;

export const METHOD_NAMES: readonly string[] = Object.freeze([
  "",
  "INVITE",
  "ACK",
  "BYE",
  "CANCEL",
  "OPTIONS",
  "REGISTER",
  "PRACK",
  "SUBSCRIBE",
  "NOTIFY",
  "PUBLISH",
  "INFO",
  "REFER",
  "MESSAGE",
  "UPDATE",
]);

/** The method names as bytes, indexed by Method. */
export const METHOD_BYTES: readonly Uint8Array[] = Object.freeze(METHOD_NAMES.map((n) => ascii(n)));

/** Map a method token span to its code; Extension when it is none of the known ones. */
export function methodOf(buf: Uint8Array, start: number, len: number): Method {
  // Dispatch on the first byte, then the length and the other bytes compared with
  // constants in place: no loop over a name's bytes and no call (a call costs about
  // what comparing a name does, in V8 and in XS).
  switch (buf[start]) {
    case 73 /* I */:
      if (len === 6 && buf[start + 1] === 78 && buf[start + 2] === 86 && buf[start + 3] === 73 && buf[start + 4] === 84 && buf[start + 5] === 69) return Method.INVITE; // INVITE
      if (len === 4 && buf[start + 1] === 78 && buf[start + 2] === 70 && buf[start + 3] === 79) return Method.INFO; // INFO
      break;
    case 65 /* A */:
      if (len === 3 && buf[start + 1] === 67 && buf[start + 2] === 75) return Method.ACK; // ACK
      break;
    case 66 /* B */:
      if (len === 3 && buf[start + 1] === 89 && buf[start + 2] === 69) return Method.BYE; // BYE
      break;
    case 67 /* C */:
      if (len === 6 && buf[start + 1] === 65 && buf[start + 2] === 78 && buf[start + 3] === 67 && buf[start + 4] === 69 && buf[start + 5] === 76) return Method.CANCEL; // CANCEL
      break;
    case 79 /* O */:
      if (len === 7 && buf[start + 1] === 80 && buf[start + 2] === 84 && buf[start + 3] === 73 && buf[start + 4] === 79 && buf[start + 5] === 78 && buf[start + 6] === 83) return Method.OPTIONS; // OPTIONS
      break;
    case 82 /* R */:
      if (len === 8 && buf[start + 1] === 69 && buf[start + 2] === 71 && buf[start + 3] === 73 && buf[start + 4] === 83 && buf[start + 5] === 84 && buf[start + 6] === 69 && buf[start + 7] === 82) return Method.REGISTER; // REGISTER
      if (len === 5 && buf[start + 1] === 69 && buf[start + 2] === 70 && buf[start + 3] === 69 && buf[start + 4] === 82) return Method.REFER; // REFER
      break;
    case 80 /* P */:
      if (len === 5 && buf[start + 1] === 82 && buf[start + 2] === 65 && buf[start + 3] === 67 && buf[start + 4] === 75) return Method.PRACK; // PRACK
      if (len === 7 && buf[start + 1] === 85 && buf[start + 2] === 66 && buf[start + 3] === 76 && buf[start + 4] === 73 && buf[start + 5] === 83 && buf[start + 6] === 72) return Method.PUBLISH; // PUBLISH
      break;
    case 83 /* S */:
      if (len === 9 && buf[start + 1] === 85 && buf[start + 2] === 66 && buf[start + 3] === 83 && buf[start + 4] === 67 && buf[start + 5] === 82 && buf[start + 6] === 73 && buf[start + 7] === 66 && buf[start + 8] === 69) return Method.SUBSCRIBE; // SUBSCRIBE
      break;
    case 78 /* N */:
      if (len === 6 && buf[start + 1] === 79 && buf[start + 2] === 84 && buf[start + 3] === 73 && buf[start + 4] === 70 && buf[start + 5] === 89) return Method.NOTIFY; // NOTIFY
      break;
    case 77 /* M */:
      if (len === 7 && buf[start + 1] === 69 && buf[start + 2] === 83 && buf[start + 3] === 83 && buf[start + 4] === 65 && buf[start + 5] === 71 && buf[start + 6] === 69) return Method.MESSAGE; // MESSAGE
      break;
    case 85 /* U */:
      if (len === 6 && buf[start + 1] === 80 && buf[start + 2] === 68 && buf[start + 3] === 65 && buf[start + 4] === 84 && buf[start + 5] === 69) return Method.UPDATE; // UPDATE
      break;
  }
  return Method.Extension;
}
