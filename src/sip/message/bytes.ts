/*
 * Byte constants and span helpers. Constants are made once at load from
 * ASCII literals; per-message code compares spans of the receive buffer
 * against them and never builds strings.
 */
import { utf8Length, utf8Write } from "../../util/utf8";
import { LOWER } from "./chars";

export { utf8Length, utf8Write };

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

/** Decode a UTF-8 span to a string: only when a caller asks for one. */
export function spanToString(buf: Uint8Array, start: number, len: number): string {
  let s = "";
  const end = start + len;
  let i = start;
  while (i < end) {
    const b = buf[i]!;
    if (b < 0x80) {
      s += String.fromCharCode(b);
      i++;
    } else if (b >= 0xc2 && b < 0xe0 && i + 1 < end) {
      s += String.fromCharCode(((b & 31) << 6) | (buf[i + 1]! & 63));
      i += 2;
    } else if (b >= 0xe0 && b < 0xf0 && i + 2 < end) {
      s += String.fromCharCode(((b & 15) << 12) | ((buf[i + 1]! & 63) << 6) | (buf[i + 2]! & 63));
      i += 3;
    } else if (b >= 0xf0 && b < 0xf5 && i + 3 < end) {
      s += String.fromCodePoint(((b & 7) << 18) | ((buf[i + 1]! & 63) << 12) | ((buf[i + 2]! & 63) << 6) | (buf[i + 3]! & 63));
      i += 4;
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
