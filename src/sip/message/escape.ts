/*
 * %-escapes (RFC 3261 §25.1 "escaped", RFC 2396 §2.4.1). Escaped spans stay
 * escaped in the message; these helpers check, compare and decode them once,
 * on demand ("value%25%41" decodes to "value%41", never to "valueA").
 */
import { spanToString } from "./bytes";
import { C, CHARS, Ch, HEX_VALUE, LOWER } from "./chars";

/** Skip bytes of class `cls` and valid %HH escapes. Returns -1 on a bad escape. */
export function skipEscaped(buf: Uint8Array, i: number, end: number, cls: number): number {
  while (i < end) {
    const b = buf[i]!;
    if (b === Ch.Percent) {
      if (i + 2 >= end || (CHARS[buf[i + 1]!]! & C.Hex) === 0 || (CHARS[buf[i + 2]!]! & C.Hex) === 0) return -1;
      i += 3;
    } else if ((CHARS[b]! & cls) !== 0) i++;
    else break;
  }
  return i;
}

/** Decode an escaped span into `out` at `at`; returns the offset after it (or -1 if out is too small). */
export function unescapeInto(buf: Uint8Array, start: number, len: number, out: Uint8Array, at: number): number {
  const end = start + len;
  for (let i = start; i < end; i++) {
    if (at >= out.length) return -1;
    const b = buf[i]!;
    if (b === Ch.Percent && i + 2 < end && HEX_VALUE[buf[i + 1]!]! < 16 && HEX_VALUE[buf[i + 2]!]! < 16) {
      out[at++] = (HEX_VALUE[buf[i + 1]!]! << 4) | HEX_VALUE[buf[i + 2]!]!;
      i += 2;
    } else out[at++] = b;
  }
  return at;
}

/** The decoded length of an escaped span. */
export function unescapedLength(buf: Uint8Array, start: number, len: number): number {
  let n = 0;
  const end = start + len;
  for (let i = start; i < end; i++) {
    if (buf[i] === Ch.Percent && i + 2 < end && HEX_VALUE[buf[i + 1]!]! < 16 && HEX_VALUE[buf[i + 2]!]! < 16) i += 2;
    n++;
  }
  return n;
}

/**
 * Compare an escaped span with a constant, decoding as it goes
 * (RFC 3261 §19.1.4: escaped and unescaped forms of a character are equal).
 * With `ci`, ASCII letters compare case-insensitively and `k` must be lower case.
 */
export function unescapedEquals(buf: Uint8Array, start: number, len: number, k: Uint8Array, ci: boolean): boolean {
  const end = start + len;
  let j = 0;
  for (let i = start; i < end; i++) {
    let b = buf[i]!;
    if (b === Ch.Percent && i + 2 < end && HEX_VALUE[buf[i + 1]!]! < 16 && HEX_VALUE[buf[i + 2]!]! < 16) {
      b = (HEX_VALUE[buf[i + 1]!]! << 4) | HEX_VALUE[buf[i + 2]!]!;
      i += 2;
    }
    if (j >= k.length) return false;
    if (ci ? LOWER[b] !== k[j] : b !== k[j]) return false;
    j++;
  }
  return j === k.length;
}

/** Decode an escaped span to a string, reading the decoded bytes as UTF-8. */
export function unescapeToString(buf: Uint8Array, start: number, len: number): string {
  const tmp = new Uint8Array(unescapedLength(buf, start, len));
  unescapeInto(buf, start, len, tmp, 0);
  return spanToString(tmp, 0, tmp.length);
}
