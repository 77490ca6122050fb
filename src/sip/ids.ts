/*
 * Fresh identifiers for the UA core, from the host's randomness, as
 * lower-case hex (token characters, RFC 3261 §25.1):
 *
 * - branch: starts with the magic cookie "z9hG4bK" so RFC 2543 peers can tell
 *   it apart (§8.1.1.7), then 64 random bits; unique per transaction.
 * - tag: "at least 32 bits of randomness" (§19.3); we use 64.
 * - Call-ID: 128 random bits (§8.1.1.4 asks for global uniqueness; the
 *   optional "@host" part is left to the caller).
 * - cnonce: 64 random bits (RFC 7616 §3.4: opaque, client-chosen).
 *
 * The write* functions are allocation-free: they write into a caller's
 * buffer at `offset` and return the new offset, or -1 (writing nothing) when
 * the buffer is too short. The string variants are for rare paths.
 */
import type { RandomHost } from "../host";
import { hex32, writeHex32 } from "../util/hex";

/** RFC 3261 §8.1.1.7. */
export const BRANCH_COOKIE = "z9hG4bK";
const COOKIE_LENGTH = 7;

export const BRANCH_LENGTH = COOKIE_LENGTH + 16;
export const TAG_LENGTH = 16;
export const CALL_ID_LENGTH = 32;
export const CNONCE_LENGTH = 16;

function writeWords(random: RandomHost, words: number, out: Uint8Array, offset: number): number {
  if (offset < 0 || offset + 8 * words > out.length) return -1;
  for (let i = 0; i < words; i++) offset = writeHex32(random.u32(), out, offset);
  return offset;
}

/** Write a branch id ("z9hG4bK" + 16 hex digits). */
export function writeBranch(random: RandomHost, out: Uint8Array, offset: number): number {
  if (offset < 0 || offset + BRANCH_LENGTH > out.length) return -1;
  // "z9hG4bK", byte by byte: no string is touched.
  out[offset] = 0x7a;
  out[offset + 1] = 0x39;
  out[offset + 2] = 0x68;
  out[offset + 3] = 0x47;
  out[offset + 4] = 0x34;
  out[offset + 5] = 0x62;
  out[offset + 6] = 0x4b;
  return writeWords(random, 2, out, offset + COOKIE_LENGTH);
}

/** Write a From/To tag (16 hex digits). */
export function writeTag(random: RandomHost, out: Uint8Array, offset: number): number {
  return writeWords(random, 2, out, offset);
}

/** Write a Call-ID (32 hex digits). */
export function writeCallId(random: RandomHost, out: Uint8Array, offset: number): number {
  return writeWords(random, 4, out, offset);
}

/** Write a digest cnonce (16 hex digits). */
export function writeCnonce(random: RandomHost, out: Uint8Array, offset: number): number {
  return writeWords(random, 2, out, offset);
}

function words(random: RandomHost, n: number): string {
  let s = "";
  for (let i = 0; i < n; i++) s += hex32(random.u32());
  return s;
}

export function newBranch(random: RandomHost): string {
  return BRANCH_COOKIE + words(random, 2);
}

export function newTag(random: RandomHost): string {
  return words(random, 2);
}

export function newCallId(random: RandomHost): string {
  return words(random, 4);
}

export function newCnonce(random: RandomHost): string {
  return words(random, 2);
}

/** True when a Via branch carries the RFC 3261 magic cookie (§17.2.3 matching applies). */
export function hasMagicCookie(branch: string): boolean {
  return branch.startsWith(BRANCH_COOKIE);
}
