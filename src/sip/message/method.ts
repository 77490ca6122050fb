/*
 * SIP methods (RFC 3261 §7.1 and the extensions the intercom understands).
 * Methods are case-sensitive tokens (RFC 3261 §7.1): "invite" is an
 * extension method, not INVITE.
 */
import { ascii, spanEquals } from "./bytes";

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
  // Dispatch on the first byte so at most two comparisons run.
  switch (buf[start]) {
    case 73 /* I */:
      if (spanEquals(buf, start, len, METHOD_BYTES[Method.INVITE]!)) return Method.INVITE;
      if (spanEquals(buf, start, len, METHOD_BYTES[Method.INFO]!)) return Method.INFO;
      break;
    case 65 /* A */:
      if (spanEquals(buf, start, len, METHOD_BYTES[Method.ACK]!)) return Method.ACK;
      break;
    case 66 /* B */:
      if (spanEquals(buf, start, len, METHOD_BYTES[Method.BYE]!)) return Method.BYE;
      break;
    case 67 /* C */:
      if (spanEquals(buf, start, len, METHOD_BYTES[Method.CANCEL]!)) return Method.CANCEL;
      break;
    case 79 /* O */:
      if (spanEquals(buf, start, len, METHOD_BYTES[Method.OPTIONS]!)) return Method.OPTIONS;
      break;
    case 82 /* R */:
      if (spanEquals(buf, start, len, METHOD_BYTES[Method.REGISTER]!)) return Method.REGISTER;
      if (spanEquals(buf, start, len, METHOD_BYTES[Method.REFER]!)) return Method.REFER;
      break;
    case 80 /* P */:
      if (spanEquals(buf, start, len, METHOD_BYTES[Method.PRACK]!)) return Method.PRACK;
      if (spanEquals(buf, start, len, METHOD_BYTES[Method.PUBLISH]!)) return Method.PUBLISH;
      break;
    case 83 /* S */:
      if (spanEquals(buf, start, len, METHOD_BYTES[Method.SUBSCRIBE]!)) return Method.SUBSCRIBE;
      break;
    case 78 /* N */:
      if (spanEquals(buf, start, len, METHOD_BYTES[Method.NOTIFY]!)) return Method.NOTIFY;
      break;
    case 77 /* M */:
      if (spanEquals(buf, start, len, METHOD_BYTES[Method.MESSAGE]!)) return Method.MESSAGE;
      break;
    case 85 /* U */:
      if (spanEquals(buf, start, len, METHOD_BYTES[Method.UPDATE]!)) return Method.UPDATE;
      break;
  }
  return Method.Extension;
}
