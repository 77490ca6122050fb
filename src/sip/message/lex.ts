/*
 * Low-level scanners over one header value span [i, end). Values keep their
 * folded line breaks (RFC 3261 §7.3.1: CRLF followed by SP/HT is linear white
 * space), so every scanner treats "CRLF WSP" and "LF WSP" as white space and
 * nothing is copied to unfold a header.
 *
 * Each scanner returns the offset after what it matched, or -1 when the
 * grammar does not match.
 */
import { C, CHARS, Ch } from "./chars";

/** Skip LWS: SP, HT and folds (CRLF or LF followed by SP/HT). */
export function skipLws(buf: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const b = buf[i]!;
    if (b === Ch.SP || b === Ch.HT) i++;
    else if (b === Ch.CR && i + 2 < end && buf[i + 1] === Ch.LF && isWs(buf[i + 2]!)) i += 3;
    else if (b === Ch.LF && i + 1 < end && isWs(buf[i + 1]!)) i += 2;
    else break;
  }
  return i;
}

function isWs(b: number): boolean {
  return b === Ch.SP || b === Ch.HT;
}

/** Offset after the last non-LWS byte of [start, end). */
export function trimEnd(buf: Uint8Array, start: number, end: number): number {
  while (end > start) {
    const b = buf[end - 1]!;
    if (b === Ch.SP || b === Ch.HT || b === Ch.CR || b === Ch.LF) end--;
    else break;
  }
  return end;
}

/** Skip 1*(bytes of class `cls`). Returns i unchanged when none matched. */
export function skipClass(buf: Uint8Array, i: number, end: number, cls: number): number {
  while (i < end && (CHARS[buf[i]!]! & cls) !== 0) i++;
  return i;
}

/** A token: 1*token-char. Returns -1 if empty. */
export function scanToken(buf: Uint8Array, i: number, end: number): number {
  const j = skipClass(buf, i, end, C.Token);
  return j === i ? -1 : j;
}

/**
 * A quoted-string starting at the DQUOTE at i (RFC 3261 §25.1):
 * qdtext = LWS / %x21 / %x23-5B / %x5D-7E / UTF8-NONASCII, quoted-pair = "\" (%x00-09 / %x0B-0C / %x0E-7F).
 * Returns the offset after the closing DQUOTE, or -1 when unterminated.
 */
export function scanQuoted(buf: Uint8Array, i: number, end: number): number {
  if (i >= end || buf[i] !== Ch.DQuote) return -1;
  i++;
  while (i < end) {
    const b = buf[i]!;
    if (b === Ch.DQuote) return i + 1;
    if (b === Ch.Backslash) {
      if (i + 1 >= end) return -1;
      const q = buf[i + 1]!;
      if (q === Ch.LF || q === Ch.CR || q > 0x7f) return -1;
      i += 2;
    } else if (b === Ch.CR || b === Ch.LF) {
      const j = skipLws(buf, i, end);
      if (j === i) return -1;
      i = j;
    } else if (b < 0x20 && b !== Ch.HT) return -1;
    else if (b === 0x7f) return -1;
    else i++;
  }
  return -1;
}

/**
 * Find the end of one comma-separated element starting at i: the offset of
 * the next top-level comma, or `end`. Commas inside quoted strings and
 * <...> are not separators. Returns -1 for an unterminated quote or bracket.
 */
export function elementEnd(buf: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const b = buf[i]!;
    if (b === Ch.Comma) return i;
    if (b === Ch.DQuote) {
      const j = scanQuoted(buf, i, end);
      if (j < 0) return -1;
      i = j;
    } else if (b === Ch.LAngle) {
      while (i < end && buf[i] !== Ch.RAngle) i++;
      if (i >= end) return -1;
      i++;
    } else i++;
  }
  return end;
}

/**
 * Parse an unsigned decimal in [i, end) with no sign. Leading zeros are
 * allowed (RFC 4475 §3.1.1.1). Returns the value, or -1 when not all digits,
 * empty, or above `max`.
 */
export function parseUint(buf: Uint8Array, i: number, end: number, max: number): number {
  if (i >= end) return -1;
  let v = 0;
  for (; i < end; i++) {
    const d = buf[i]! - Ch.Zero;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
    if (v > max) return -1;
  }
  return v;
}

/** Skip digits; returns the offset after them. */
export function skipDigits(buf: Uint8Array, i: number, end: number): number {
  return skipClass(buf, i, end, C.Digit);
}
