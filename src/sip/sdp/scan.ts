/*
 * Scanners shared by the SDP field readers. RFC 4566 §9 separates fields
 * with a single SP; runs of SP or HT are accepted too (robustness: some
 * stacks pad), but a field never starts or ends with white space.
 */
import { C, CHARS } from "../message/chars";
import { skipClass } from "../message/lex";

/** Skip 1*(SP / HT); returns i unchanged when there is none. */
export function skipWs(buf: Uint8Array, i: number, end: number): number {
  return skipClass(buf, i, end, C.Ws);
}

/** non-ws-string = 1*(VCHAR / %x80-FF) (RFC 4566 §9); returns i unchanged when empty. */
export function skipNonWs(buf: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const b = buf[i]!;
    if (b <= 0x20 || b === 0x7f) break;
    i++;
  }
  return i;
}

/** Offset after the last non-white byte of [start, end). */
export function trimWs(buf: Uint8Array, start: number, end: number): number {
  while (end > start && (CHARS[buf[end - 1]!]! & C.Ws) !== 0) end--;
  return end;
}

/**
 * What the field readers (origin.ts, connection.ts, media-field.ts,
 * rtpmap.ts) return: Ok, or else the offset of the first byte that does not
 * fit the grammar (always >= 0). They write what they read into the
 * reader's numbers rather than into objects of their own, which would each
 * cost the idle heap a slot per property (issue 9).
 */
export const enum FieldRead {
  Ok = -1,
}
