/*
 * Byte constants and span helpers. Constants are made once at load from
 * ASCII literals; per-message code compares spans of the receive buffer
 * against them and never builds strings.
 */
import { utf8Length, utf8Write } from "../../util/utf8";
import { LOWER } from "./chars";

export { utf8Length, utf8Write };

/**
 * What a reader's `buf` holds before its first read. One shared, empty
 * array rather than one per reader: in XS each typed array costs 7 slots
 * and a chunk, and a name-addr reader holds four readers.
 */
export const NO_BYTES = new Uint8Array(0);

/** Encode an ASCII (or UTF-8) literal once, at module load. */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(utf8Length(text));
  utf8Write(text, out, 0);
  return out;
}

/** Exact byte comparison of buf[start, start+len) with a constant. */
export function spanEquals(buf: Uint8Array, start: number, len: number, k: Uint8Array): boolean {
  if (len !== k.length) return false;
  for (let i = 0; i < len; i++) if (buf[start + i] !== k[i]) return false;
  return true;
}

/** ASCII case-insensitive comparison; `k` must be lower case. */
export function spanEqualsCI(buf: Uint8Array, start: number, len: number, k: Uint8Array): boolean {
  if (len !== k.length) return false;
  for (let i = 0; i < len; i++) if (LOWER[buf[start + i]!] !== k[i]) return false;
  return true;
}

/** Case-insensitive comparison of two spans (possibly in different buffers). */
export function spansEqualCI(a: Uint8Array, aStart: number, aLen: number, b: Uint8Array, bStart: number, bLen: number): boolean {
  if (aLen !== bLen) return false;
  for (let i = 0; i < aLen; i++) if (LOWER[a[aStart + i]!] !== LOWER[b[bStart + i]!]) return false;
  return true;
}

/** Exact comparison of two spans. */
export function spansEqual(a: Uint8Array, aStart: number, aLen: number, b: Uint8Array, bStart: number, bLen: number): boolean {
  if (aLen !== bLen) return false;
  for (let i = 0; i < aLen; i++) if (a[aStart + i] !== b[bStart + i]) return false;
  return true;
}

/** Decode a UTF-8 span to a string: only when a caller asks for one. Invalid sequences become U+FFFD; nothing throws. */
export function spanToString(buf: Uint8Array, start: number, len: number): string {
  let s = "";
  const end = start + len;
  let i = start;
  while (i < end) {
    const b = buf[i]!;
    if (b < 0x80) {
      s += String.fromCharCode(b);
      i++;
      continue;
    }
    const n = b >= 0xf0 && b < 0xf5 ? 3 : b >= 0xe0 && b < 0xf0 ? 2 : b >= 0xc2 && b < 0xe0 ? 1 : 0;
    let cp = n === 3 ? b & 7 : n === 2 ? b & 15 : b & 31;
    // The whole sequence must lie inside the span: its last byte is at i + n.
    let ok = n > 0 && i + n < end;
    for (let k = 1; ok && k <= n; k++) {
      const c = buf[i + k]!;
      if ((c & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (c & 63);
    }
    // Reject overlong forms, surrogates and values past U+10FFFF.
    if (ok && ((n === 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (n === 3 && (cp < 0x10000 || cp > 0x10ffff)))) ok = false;
    if (ok) {
      s += String.fromCodePoint(cp);
      i += n + 1;
    } else {
      s += "\ufffd";
      i++;
    }
  }
  return s;
}

/** Index of byte `b` in [start, end), or -1. */
export function indexOfByte(buf: Uint8Array, start: number, end: number, b: number): number {
  for (let i = start; i < end; i++) if (buf[i] === b) return i;
  return -1;
}
