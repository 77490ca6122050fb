/*
 * The usual header names, recognised by their bytes in one straight pass:
 * a switch on the first letter, then each further byte compared with the
 * letter it must be. Names are case-insensitive (RFC 3261 §7.3.1); a byte
 * `b` is the lower-case letter `l` in either case exactly when
 * `(b | 0x20) === l` (the other bytes that `| 0x20` maps onto letters are
 * none: it maps "@[\]^_" onto "`{|}~" and DEL), and "-" is compared as it
 * is. Compact forms (§7.3.3) are the single letters.
 *
 * This is the parser's first try, for the names nearly every message
 * carries; the trie in header.ts knows every name and decides the rest. A
 * candidate found here counts only when the byte after it cannot continue a
 * token (the parser checks): then the name is exactly these bytes and the
 * trie would give the same id.
 */
import { H, NAME_TRIE_CH, NAME_TRIE_FCH, NAME_TRIE_NO_CHILD, NAME_TRIE_ROOT, NAME_TRIE_SIB, NAME_TRIE_TERM } from "./header";
import { IS_TOKEN, LOWER } from "./chars";

/** A name found: (its end << Shift) | its id, one small integer (ids are below 128, ends below 2**16). */
export const enum NameCode {
  Shift = 7,
  IdMask = 127,
}

/**
 * The id and end of the usual header name starting at buf[i] (NameCode);
 * -1 when the name is not one of these, or when fewer than 20 bytes are
 * left (so every byte read here, and the one after the name, is inside the
 * datagram).
 */
export function usualName(buf: Uint8Array, i: number, length: number): number {
  if (i + 20 > length) return -1;
  const c1 = buf[i + 1]! | 0x20;
  switch (buf[i]! | 0x20) {
    case 0x76: // v: Via
      if (c1 === 0x69 && (buf[i + 2]! | 0x20) === 0x61) return ((i + 3) << NameCode.Shift) | H.Via;
      return ((i + 1) << NameCode.Shift) | H.Via;
    case 0x74: // t: To
      if (c1 === 0x6f) return ((i + 2) << NameCode.Shift) | H.To;
      return ((i + 1) << NameCode.Shift) | H.To;
    case 0x66: // f: From
      if (c1 === 0x72 && (buf[i + 2]! | 0x20) === 0x6f && (buf[i + 3]! | 0x20) === 0x6d) return ((i + 4) << NameCode.Shift) | H.From;
      return ((i + 1) << NameCode.Shift) | H.From;
    case 0x69: // i: Call-ID
      return ((i + 1) << NameCode.Shift) | H.CallId;
    case 0x6c: // l: Content-Length
      return ((i + 1) << NameCode.Shift) | H.ContentLength;
    case 0x6b: // k: Supported
      return ((i + 1) << NameCode.Shift) | H.Supported;
    case 0x63: // c: CSeq, Call-ID, Contact, Content-Length, Content-Type
      if (c1 === 0x73) {
        if ((buf[i + 2]! | 0x20) === 0x65 && (buf[i + 3]! | 0x20) === 0x71) return ((i + 4) << NameCode.Shift) | H.CSeq;
        return -1;
      }
      if (c1 === 0x61) {
        if (
          (buf[i + 2]! | 0x20) === 0x6c &&
          (buf[i + 3]! | 0x20) === 0x6c &&
          buf[i + 4] === 0x2d &&
          (buf[i + 5]! | 0x20) === 0x69 &&
          (buf[i + 6]! | 0x20) === 0x64
        ) {
          return ((i + 7) << NameCode.Shift) | H.CallId;
        }
        return -1;
      }
      if (c1 === 0x6f) {
        if ((buf[i + 2]! | 0x20) !== 0x6e || (buf[i + 3]! | 0x20) !== 0x74) return -1;
        const c4 = buf[i + 4]! | 0x20;
        if (c4 === 0x61) {
          if ((buf[i + 5]! | 0x20) === 0x63 && (buf[i + 6]! | 0x20) === 0x74) return ((i + 7) << NameCode.Shift) | H.Contact;
          return -1;
        }
        if (c4 !== 0x65 || (buf[i + 5]! | 0x20) !== 0x6e || (buf[i + 6]! | 0x20) !== 0x74 || buf[i + 7] !== 0x2d) return -1;
        const c8 = buf[i + 8]! | 0x20;
        if (c8 === 0x6c) {
          if (
            (buf[i + 9]! | 0x20) === 0x65 &&
            (buf[i + 10]! | 0x20) === 0x6e &&
            (buf[i + 11]! | 0x20) === 0x67 &&
            (buf[i + 12]! | 0x20) === 0x74 &&
            (buf[i + 13]! | 0x20) === 0x68
          ) {
            return ((i + 14) << NameCode.Shift) | H.ContentLength;
          }
          return -1;
        }
        if (c8 === 0x74 && (buf[i + 9]! | 0x20) === 0x79 && (buf[i + 10]! | 0x20) === 0x70 && (buf[i + 11]! | 0x20) === 0x65) {
          return ((i + 12) << NameCode.Shift) | H.ContentType;
        }
        return -1;
      }
      return ((i + 1) << NameCode.Shift) | H.ContentType;
    case 0x6d: // m: Max-Forwards, Contact
      if (c1 === 0x61) {
        if (
          (buf[i + 2]! | 0x20) === 0x78 &&
          buf[i + 3] === 0x2d &&
          (buf[i + 4]! | 0x20) === 0x66 &&
          (buf[i + 5]! | 0x20) === 0x6f &&
          (buf[i + 6]! | 0x20) === 0x72 &&
          (buf[i + 7]! | 0x20) === 0x77 &&
          (buf[i + 8]! | 0x20) === 0x61 &&
          (buf[i + 9]! | 0x20) === 0x72 &&
          (buf[i + 10]! | 0x20) === 0x64 &&
          (buf[i + 11]! | 0x20) === 0x73
        ) {
          return ((i + 12) << NameCode.Shift) | H.MaxForwards;
        }
        return -1;
      }
      return ((i + 1) << NameCode.Shift) | H.Contact;
    case 0x72: // Route, Record-Route, Require, Refer-To
      if (c1 === 0x6f) {
        if ((buf[i + 2]! | 0x20) === 0x75 && (buf[i + 3]! | 0x20) === 0x74 && (buf[i + 4]! | 0x20) === 0x65) return ((i + 5) << NameCode.Shift) | H.Route;
        return -1;
      }
      if (c1 === 0x65) {
        if (
          (buf[i + 2]! | 0x20) === 0x63 &&
          (buf[i + 3]! | 0x20) === 0x6f &&
          (buf[i + 4]! | 0x20) === 0x72 &&
          (buf[i + 5]! | 0x20) === 0x64 &&
          buf[i + 6] === 0x2d &&
          (buf[i + 7]! | 0x20) === 0x72 &&
          (buf[i + 8]! | 0x20) === 0x6f &&
          (buf[i + 9]! | 0x20) === 0x75 &&
          (buf[i + 10]! | 0x20) === 0x74 &&
          (buf[i + 11]! | 0x20) === 0x65
        ) {
          return ((i + 12) << NameCode.Shift) | H.RecordRoute;
        }
        if (
          (buf[i + 2]! | 0x20) === 0x71 &&
          (buf[i + 3]! | 0x20) === 0x75 &&
          (buf[i + 4]! | 0x20) === 0x69 &&
          (buf[i + 5]! | 0x20) === 0x72 &&
          (buf[i + 6]! | 0x20) === 0x65
        ) {
          return ((i + 7) << NameCode.Shift) | H.Require;
        }
        return -1;
      }
      return ((i + 1) << NameCode.Shift) | H.ReferTo;
    case 0x61: // Allow, Accept, Authorization
      if (c1 === 0x6c) {
        if ((buf[i + 2]! | 0x20) === 0x6c && (buf[i + 3]! | 0x20) === 0x6f && (buf[i + 4]! | 0x20) === 0x77) return ((i + 5) << NameCode.Shift) | H.Allow;
        return -1;
      }
      if (c1 === 0x63) {
        if (
          (buf[i + 2]! | 0x20) === 0x63 &&
          (buf[i + 3]! | 0x20) === 0x65 &&
          (buf[i + 4]! | 0x20) === 0x70 &&
          (buf[i + 5]! | 0x20) === 0x74
        ) {
          return ((i + 6) << NameCode.Shift) | H.Accept;
        }
        return -1;
      }
      if (
        c1 === 0x75 &&
        (buf[i + 2]! | 0x20) === 0x74 &&
        (buf[i + 3]! | 0x20) === 0x68 &&
        (buf[i + 4]! | 0x20) === 0x6f &&
        (buf[i + 5]! | 0x20) === 0x72 &&
        (buf[i + 6]! | 0x20) === 0x69 &&
        (buf[i + 7]! | 0x20) === 0x7a &&
        (buf[i + 8]! | 0x20) === 0x61 &&
        (buf[i + 9]! | 0x20) === 0x74 &&
        (buf[i + 10]! | 0x20) === 0x69 &&
        (buf[i + 11]! | 0x20) === 0x6f &&
        (buf[i + 12]! | 0x20) === 0x6e
      ) {
        return ((i + 13) << NameCode.Shift) | H.Authorization;
      }
      return -1;
    case 0x73: // Supported, Server, Session-Expires, Subject
      if (c1 === 0x75) {
        if (
          (buf[i + 2]! | 0x20) === 0x70 &&
          (buf[i + 3]! | 0x20) === 0x70 &&
          (buf[i + 4]! | 0x20) === 0x6f &&
          (buf[i + 5]! | 0x20) === 0x72 &&
          (buf[i + 6]! | 0x20) === 0x74 &&
          (buf[i + 7]! | 0x20) === 0x65 &&
          (buf[i + 8]! | 0x20) === 0x64
        ) {
          return ((i + 9) << NameCode.Shift) | H.Supported;
        }
        return -1;
      }
      if (c1 === 0x65) {
        const c2 = buf[i + 2]! | 0x20;
        if (
          c2 === 0x72 &&
          (buf[i + 3]! | 0x20) === 0x76 &&
          (buf[i + 4]! | 0x20) === 0x65 &&
          (buf[i + 5]! | 0x20) === 0x72
        ) {
          return ((i + 6) << NameCode.Shift) | H.Server;
        }
        if (
          c2 === 0x73 &&
          (buf[i + 3]! | 0x20) === 0x73 &&
          (buf[i + 4]! | 0x20) === 0x69 &&
          (buf[i + 5]! | 0x20) === 0x6f &&
          (buf[i + 6]! | 0x20) === 0x6e &&
          buf[i + 7] === 0x2d &&
          (buf[i + 8]! | 0x20) === 0x65 &&
          (buf[i + 9]! | 0x20) === 0x78 &&
          (buf[i + 10]! | 0x20) === 0x70 &&
          (buf[i + 11]! | 0x20) === 0x69 &&
          (buf[i + 12]! | 0x20) === 0x72 &&
          (buf[i + 13]! | 0x20) === 0x65 &&
          (buf[i + 14]! | 0x20) === 0x73
        ) {
          return ((i + 15) << NameCode.Shift) | H.SessionExpires;
        }
        return -1;
      }
      return ((i + 1) << NameCode.Shift) | H.Subject;
    case 0x75: // User-Agent, Allow-Events
      if (
        c1 === 0x73 &&
        (buf[i + 2]! | 0x20) === 0x65 &&
        (buf[i + 3]! | 0x20) === 0x72 &&
        buf[i + 4] === 0x2d &&
        (buf[i + 5]! | 0x20) === 0x61 &&
        (buf[i + 6]! | 0x20) === 0x67 &&
        (buf[i + 7]! | 0x20) === 0x65 &&
        (buf[i + 8]! | 0x20) === 0x6e &&
        (buf[i + 9]! | 0x20) === 0x74
      ) {
        return ((i + 10) << NameCode.Shift) | H.UserAgent;
      }
      return ((i + 1) << NameCode.Shift) | H.AllowEvents;
    case 0x65: // Expires, Content-Encoding
      if (
        c1 === 0x78 &&
        (buf[i + 2]! | 0x20) === 0x70 &&
        (buf[i + 3]! | 0x20) === 0x69 &&
        (buf[i + 4]! | 0x20) === 0x72 &&
        (buf[i + 5]! | 0x20) === 0x65 &&
        (buf[i + 6]! | 0x20) === 0x73
      ) {
        return ((i + 7) << NameCode.Shift) | H.Expires;
      }
      return ((i + 1) << NameCode.Shift) | H.ContentEncoding;
    case 0x77: // WWW-Authenticate
      if (
        c1 === 0x77 &&
        (buf[i + 2]! | 0x20) === 0x77 &&
        buf[i + 3] === 0x2d &&
        (buf[i + 4]! | 0x20) === 0x61 &&
        (buf[i + 5]! | 0x20) === 0x75 &&
        (buf[i + 6]! | 0x20) === 0x74 &&
        (buf[i + 7]! | 0x20) === 0x68 &&
        (buf[i + 8]! | 0x20) === 0x65 &&
        (buf[i + 9]! | 0x20) === 0x6e &&
        (buf[i + 10]! | 0x20) === 0x74 &&
        (buf[i + 11]! | 0x20) === 0x69 &&
        (buf[i + 12]! | 0x20) === 0x63 &&
        (buf[i + 13]! | 0x20) === 0x61 &&
        (buf[i + 14]! | 0x20) === 0x74 &&
        (buf[i + 15]! | 0x20) === 0x65
      ) {
        return ((i + 16) << NameCode.Shift) | H.WwwAuthenticate;
      }
      return -1;
    case 0x70: // Proxy-Authenticate, Proxy-Authorization, Proxy-Require
      if (c1 !== 0x72 || (buf[i + 2]! | 0x20) !== 0x6f || (buf[i + 3]! | 0x20) !== 0x78 || (buf[i + 4]! | 0x20) !== 0x79 || buf[i + 5] !== 0x2d) return -1;
      if ((buf[i + 6]! | 0x20) === 0x61) {
        if (
          (buf[i + 7]! | 0x20) === 0x75 &&
          (buf[i + 8]! | 0x20) === 0x74 &&
          (buf[i + 9]! | 0x20) === 0x68 &&
          (buf[i + 10]! | 0x20) === 0x65 &&
          (buf[i + 11]! | 0x20) === 0x6e &&
          (buf[i + 12]! | 0x20) === 0x74 &&
          (buf[i + 13]! | 0x20) === 0x69 &&
          (buf[i + 14]! | 0x20) === 0x63 &&
          (buf[i + 15]! | 0x20) === 0x61 &&
          (buf[i + 16]! | 0x20) === 0x74 &&
          (buf[i + 17]! | 0x20) === 0x65
        ) {
          return ((i + 18) << NameCode.Shift) | H.ProxyAuthenticate;
        }
        if (
          (buf[i + 7]! | 0x20) === 0x75 &&
          (buf[i + 8]! | 0x20) === 0x74 &&
          (buf[i + 9]! | 0x20) === 0x68 &&
          (buf[i + 10]! | 0x20) === 0x6f &&
          (buf[i + 11]! | 0x20) === 0x72 &&
          (buf[i + 12]! | 0x20) === 0x69 &&
          (buf[i + 13]! | 0x20) === 0x7a &&
          (buf[i + 14]! | 0x20) === 0x61 &&
          (buf[i + 15]! | 0x20) === 0x74 &&
          (buf[i + 16]! | 0x20) === 0x69 &&
          (buf[i + 17]! | 0x20) === 0x6f &&
          (buf[i + 18]! | 0x20) === 0x6e
        ) {
          return ((i + 19) << NameCode.Shift) | H.ProxyAuthorization;
        }
        return -1;
      }
      if (
        (buf[i + 6]! | 0x20) === 0x72 &&
        (buf[i + 7]! | 0x20) === 0x65 &&
        (buf[i + 8]! | 0x20) === 0x71 &&
        (buf[i + 9]! | 0x20) === 0x75 &&
        (buf[i + 10]! | 0x20) === 0x69 &&
        (buf[i + 11]! | 0x20) === 0x72 &&
        (buf[i + 12]! | 0x20) === 0x65
      ) {
        return ((i + 13) << NameCode.Shift) | H.ProxyRequire;
      }
      return -1;
    default:
      return -1;
  }
}

/**
 * Any header name at buf[i]: its token bytes walked down the trie of known
 * names (header.ts), as a NameCode; the id is H.Other for an extension
 * header, and the end is i when no token byte is there.
 */
export function trieName(buf: Uint8Array, i: number, length: number): number {
  let ne = i;
  let node = i < length ? NAME_TRIE_ROOT[buf[i]!]! : 0;
  if (node !== 0) {
    ne++;
    while (ne < length) {
      const l = LOWER[buf[ne]!]!;
      const f = NAME_TRIE_FCH[node]!;
      if (f === l) {
        node++; // the first child
        ne++;
        continue;
      }
      if (f === NAME_TRIE_NO_CHILD) break;
      let ch = NAME_TRIE_SIB[node + 1]!;
      while (ch !== 0 && NAME_TRIE_CH[ch] !== l) ch = NAME_TRIE_SIB[ch]!;
      if (ch === 0) break;
      node = ch;
      ne++;
    }
  }
  let id: H = NAME_TRIE_TERM[node]!;
  if (ne < length && IS_TOKEN[buf[ne]!]!) {
    // More name than any known one: an extension header.
    id = H.Other;
    ne++;
    while (ne < length && IS_TOKEN[buf[ne]!]!) ne++;
  }
  return (ne << NameCode.Shift) | id;
}
