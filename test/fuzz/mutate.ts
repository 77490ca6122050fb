/*
 * The mutation fuzzer's operators: each takes a message and returns a
 * changed copy. They aim at what breaks SIP parsers: bit flips, bytes of the
 * grammar's separators inserted or deleted, header lines spliced in from
 * other messages, repeated, folded or deleted, truncation, CRLF/LF swaps,
 * huge numbers where numbers are, Content-Length lies, and SDP-shaped edits
 * for bodies. Platform-free (bundled into the XS worker); allocation is fine
 * here, this is test code.
 */
import { Prng } from "./prng";

export const enum Op {
  BitFlip,
  SetByte,
  InsertBytes,
  InsertToken,
  DeleteRange,
  Truncate,
  SpliceLine,
  RepeatLine,
  DeleteLine,
  SwapLines,
  CrlfToLf,
  LfToCrlf,
  Fold,
  HugeNumber,
  ContentLengthLie,
  CaseFlip,
  DuplicateRange,
}
export const OP_COUNT = Op.DuplicateRange + 1;
export const OP_NAMES: readonly string[] = [
  "bit-flip",
  "set-byte",
  "insert-bytes",
  "insert-token",
  "delete-range",
  "truncate",
  "splice-line",
  "repeat-line",
  "delete-line",
  "swap-lines",
  "crlf-to-lf",
  "lf-to-crlf",
  "fold",
  "huge-number",
  "content-length-lie",
  "case-flip",
  "duplicate-range",
];

/** Bytes with a meaning in the SIP and SDP grammars (RFC 3261 §25.1, RFC 4566 §9), and a few outside them. */
const INTERESTING = [0, 9, 10, 13, 32, 34, 35, 37, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 57, 58, 59, 60, 61, 62, 63, 64, 65, 91, 92, 93, 97, 122, 126, 127, 128, 192, 255];

function bytesOf(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
}

/** Tokens of the grammars, spliced in whole. */
const TOKENS: readonly Uint8Array[] = [
  "SIP/2.0", "SIP/2.0/UDP ", "sip:", "sips:", "tel:", "<", ">", "<sip:a@b>", ";tag=", ";branch=z9hG4bK", ";branch=", ";rport", ";received=",
  ";maddr=", ";ttl=", ";expires=", ";q=0.5", ";lr", "@", ":", "::", "[", "]", "[::1]", "[2001:db8::1]:5060", ":5060", ":65535", ":65536", ":99999999999",
  "%", "%4", "%41", "%00", "%zz", "\"", "\\", "\"\\\"", "\r\n", "\r\n ", "\n", "\r", "\n\t", " ", "\t", ",", ", ", ";", "=", "==", "?", "?a=b", "&",
  "*", "\r\n\r\n", "Via: ", "v: ", "From: ", "f: ", "To: ", "t: ", "Call-ID: ", "i: ", "CSeq: ", "CSeq: 1 INVITE", "Contact: ", "m: ", "Content-Length: ",
  "l: ", "Content-Type: application/sdp", "c: ", "Max-Forwards: ", "Expires: ", "RAck: 1 1 INVITE", "RSeq: ", "Event: ", "o: ", "Route: ", "Record-Route: ",
  "WWW-Authenticate: Digest ", "Authorization: Digest ", "realm=\"a\"", "nonce=", "qop=auth", "Date: ", "Retry-After: ", "Warning: 399 ", "Require: ",
  "4294967295", "4294967296", "18446744073709551616", "99999999999999999999999999", "-1", "0", "00000000000000000000000001", "255", "256", "65535", "65536",
  "v=0\r\n", "o=- 1 1 IN IP4 ", "c=IN IP4 ", "c=IN IP6 ", "m=audio ", "m=video 0 RTP/AVP 31\r\n", "RTP/AVP", " 0 8 101", "a=rtpmap:", "a=fmtp:", "a=ptime:",
  "a=sendonly", "a=inactive", "telephone-event/8000", "PCMU/8000", "/", "0.0.0.0", "127.0.0.1", "255.255.255.256", "1.2.3", "\u00e9", "\u00c3\u00a9",
].map(bytesOf);

const HUGE: readonly Uint8Array[] = [
  "4294967295", "4294967296", "99999999999999999999999999999999", "18446744073709551616", "65535", "65536", "255", "256", "0", "000000000000000000000",
  "00000000000000000000001", "-1", "1e9", "0x10", "9007199254740993", "1.5", "",
].map(bytesOf);

const K_CONTENT_LENGTH = bytesOf("content-length");

function concat(a: Uint8Array, aEnd: number, mid: Uint8Array, b: Uint8Array, bStart: number): Uint8Array {
  const tail = b.length - bStart;
  const out = new Uint8Array(aEnd + mid.length + (tail > 0 ? tail : 0));
  out.set(a.subarray(0, aEnd), 0);
  out.set(mid, aEnd);
  if (tail > 0) out.set(b.subarray(bStart), aEnd + mid.length);
  return out;
}

/** Replace [at, at+n) of `b` with `mid`. */
export function replace(b: Uint8Array, at: number, n: number, mid: Uint8Array): Uint8Array {
  return concat(b, at, mid, b, at + n);
}

/** Offsets where lines start (0 and after each LF), up to the end of the header section when `headersOnly`. */
export function lineStarts(b: Uint8Array, headersOnly: boolean): number[] {
  const out = [0];
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== 10) continue;
    if (headersOnly && (i + 1 >= b.length || b[i + 1] === 10 || (b[i + 1] === 13 && b[i + 2] === 10))) {
      out.push(i + 1);
      break;
    }
    if (i + 1 < b.length) out.push(i + 1);
  }
  return out;
}

/** The end of the line starting at s: after its LF (or the end). */
function lineEnd(b: Uint8Array, s: number): number {
  let e = s;
  while (e < b.length && b[e] !== 10) e++;
  return e < b.length ? e + 1 : e;
}

/** The end of the header section (offset of the body), or the length. */
export function headerEnd(b: Uint8Array): number {
  for (let i = 0; i + 1 < b.length; i++) {
    if (b[i] === 10 && (b[i + 1] === 10 || (b[i + 1] === 13 && i + 2 < b.length && b[i + 2] === 10))) return b[i + 1] === 10 ? i + 2 : i + 3;
  }
  return b.length;
}

function randomLine(rng: Prng, b: Uint8Array, headersOnly: boolean): [number, number] {
  const starts = lineStarts(b, headersOnly);
  // Not the start line, when there is more.
  const k = starts.length > 2 ? 1 + rng.below(starts.length - 2) : 0;
  const s = starts[k]!;
  return [s, lineEnd(b, s)];
}

/** A position biased towards the header section, where most of the grammar is. */
function position(rng: Prng, b: Uint8Array): number {
  if (b.length === 0) return 0;
  if (rng.chance(3, 4)) return rng.below(headerEnd(b) + 1);
  return rng.below(b.length + 1);
}

function findDigits(rng: Prng, b: Uint8Array): [number, number] {
  // Start from a random place and take the next run of digits (wrapping round).
  const n = b.length;
  const from = rng.below(n);
  for (let k = 0; k < n; k++) {
    const i = (from + k) % n;
    if (b[i]! >= 48 && b[i]! <= 57) {
      let s = i;
      while (s > 0 && b[s - 1]! >= 48 && b[s - 1]! <= 57) s--;
      let e = i;
      while (e < n && b[e]! >= 48 && b[e]! <= 57) e++;
      return [s, e];
    }
  }
  return [-1, -1];
}

/** The value span of the first Content-Length (or "l") header, or [-1, -1]. */
function contentLengthValue(b: Uint8Array): [number, number] {
  const starts = lineStarts(b, true);
  for (let k = 1; k < starts.length; k++) {
    const s = starts[k]!;
    let c = s;
    while (c < b.length && b[c] !== 58 && b[c] !== 10) c++;
    if (c >= b.length || b[c] !== 58) continue;
    let ne = c;
    while (ne > s && (b[ne - 1] === 32 || b[ne - 1] === 9)) ne--;
    const long = ne - s === K_CONTENT_LENGTH.length && K_CONTENT_LENGTH.every((x, j) => (b[s + j]! | 0x20) === x);
    const compact = ne - s === 1 && (b[s]! | 0x20) === 108;
    if (!long && !compact) continue;
    let vs = c + 1;
    while (vs < b.length && (b[vs] === 32 || b[vs] === 9)) vs++;
    let ve = vs;
    while (ve < b.length && b[ve] !== 13 && b[ve] !== 10) ve++;
    return [vs, ve];
  }
  return [-1, -1];
}

function decimal(n: number): Uint8Array {
  return bytesOf(String(n));
}

/** Apply one operator. `donors` are other messages to take lines from. */
export function applyOp(op: Op, rng: Prng, b: Uint8Array, donors: readonly Uint8Array[]): Uint8Array {
  const n = b.length;
  switch (op) {
    case Op.BitFlip: {
      if (n === 0) return b;
      const out = b.slice();
      const at = position(rng, b) % n;
      out[at] = out[at]! ^ (1 << rng.below(8));
      return out;
    }
    case Op.SetByte: {
      if (n === 0) return b;
      const out = b.slice();
      out[position(rng, b) % n] = rng.chance(3, 4) ? rng.pick(INTERESTING) : rng.below(256);
      return out;
    }
    case Op.InsertBytes: {
      const k = 1 + rng.below(4);
      const mid = new Uint8Array(k);
      for (let i = 0; i < k; i++) mid[i] = rng.chance(3, 4) ? rng.pick(INTERESTING) : rng.below(256);
      return replace(b, position(rng, b), 0, mid);
    }
    case Op.InsertToken: {
      const at = position(rng, b);
      // Sometimes in place of what is there.
      const del = rng.chance(1, 3) ? Math.min(rng.below(8), n - at) : 0;
      return replace(b, at, del, rng.pick(TOKENS));
    }
    case Op.DeleteRange: {
      if (n === 0) return b;
      const at = position(rng, b) % n;
      return replace(b, at, Math.min(1 + rng.below(rng.chance(1, 4) ? 64 : 8), n - at), new Uint8Array(0));
    }
    case Op.Truncate:
      return b.slice(0, position(rng, b));
    case Op.SpliceLine: {
      const donor = donors.length > 0 && rng.chance(3, 4) ? rng.pick(donors) : b;
      const [ds, de] = randomLine(rng, donor, true);
      const [s] = randomLine(rng, b, true);
      return replace(b, s, 0, donor.slice(ds, de));
    }
    case Op.RepeatLine: {
      const [s, e] = randomLine(rng, b, true);
      const times = rng.chance(1, 8) ? 100 + rng.below(200) : 1 + rng.below(4);
      const line = b.subarray(s, e);
      const mid = new Uint8Array(line.length * times);
      for (let i = 0; i < times; i++) mid.set(line, i * line.length);
      return replace(b, e, 0, mid);
    }
    case Op.DeleteLine: {
      const [s, e] = randomLine(rng, b, rng.chance(3, 4));
      return replace(b, s, e - s, new Uint8Array(0));
    }
    case Op.SwapLines: {
      const [s1, e1] = randomLine(rng, b, true);
      const [s2, e2] = randomLine(rng, b, true);
      if (s1 === s2) return b;
      const [as, ae, bs, be] = s1 < s2 ? [s1, e1, s2, e2] : [s2, e2, s1, e1];
      if (ae > bs) return b;
      const out = new Uint8Array(n);
      out.set(b.subarray(0, as), 0);
      out.set(b.subarray(bs, be), as);
      out.set(b.subarray(ae, bs), as + be - bs);
      out.set(b.subarray(as, ae), be - (ae - as));
      out.set(b.subarray(be), be);
      return out;
    }
    case Op.CrlfToLf: {
      // One CRLF, or every one.
      const all = rng.chance(1, 3);
      const out: number[] = [];
      let done = false;
      const pick = rng.below(n);
      for (let i = 0; i < n; i++) {
        if (b[i] === 13 && b[i + 1] === 10 && (all || (!done && i >= pick))) {
          done = true;
          continue;
        }
        out.push(b[i]!);
      }
      return Uint8Array.from(out);
    }
    case Op.LfToCrlf: {
      // A bare LF to CRLF, or a CRLF to a bare CR, or an LF to CR.
      const at = position(rng, b);
      for (let i = at; i < n; i++) {
        if (b[i] !== 10) continue;
        const k = rng.below(3);
        if (k === 0) return replace(b, i, 1, bytesOf("\r\n"));
        if (k === 1 && i > 0 && b[i - 1] === 13) return replace(b, i - 1, 2, bytesOf("\r"));
        return replace(b, i, 1, bytesOf("\r"));
      }
      return b;
    }
    case Op.Fold: {
      const at = position(rng, b);
      return replace(b, at, 0, rng.pick([bytesOf("\r\n "), bytesOf("\r\n\t"), bytesOf("\n "), bytesOf(" \r\n  ")]));
    }
    case Op.HugeNumber: {
      const [s, e] = findDigits(rng, b);
      if (s < 0) return b;
      return replace(b, s, e - s, rng.pick(HUGE));
    }
    case Op.ContentLengthLie: {
      const [vs, ve] = contentLengthValue(b);
      const body = n - headerEnd(b);
      const k = rng.below(6);
      if (vs < 0 || k === 5) {
        // Add one (a second one when there is one already).
        const [s] = randomLine(rng, b, true);
        return replace(b, s, 0, bytesOf(`Content-Length: ${rng.below(body + 20)}\r\n`));
      }
      if (k === 0) return replace(b, vs, ve - vs, decimal(body + 1 + rng.below(100)));
      if (k === 1) return replace(b, vs, ve - vs, decimal(body > 0 ? rng.below(body) : 0));
      if (k === 2) return replace(b, vs, ve - vs, rng.pick(HUGE));
      if (k === 3) {
        // Remove the header.
        let s = vs;
        while (s > 0 && b[s - 1] !== 10) s--;
        return replace(b, s, lineEnd(b, s) - s, new Uint8Array(0));
      }
      return replace(b, vs, ve - vs, decimal(rng.below(70000)));
    }
    case Op.CaseFlip: {
      if (n === 0) return b;
      const out = b.slice();
      const at = position(rng, b) % n;
      const len = 1 + rng.below(12);
      for (let i = at; i < n && i < at + len; i++) {
        const c = out[i]!;
        if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) out[i] = c ^ 0x20;
      }
      return out;
    }
    case Op.DuplicateRange: {
      if (n === 0) return b;
      const at = position(rng, b) % n;
      const len = Math.min(1 + rng.below(40), n - at);
      return replace(b, at + len, 0, b.slice(at, at + len));
    }
  }
  return b;
}

/** 1 to 4 random operators, most often 1 (small changes keep messages nearly valid, which reaches deeper). */
export function mutate(rng: Prng, b: Uint8Array, donors: readonly Uint8Array[], ops?: number[]): Uint8Array {
  const count = rng.chance(1, 2) ? 1 : 1 + rng.below(4);
  let out = b;
  for (let i = 0; i < count; i++) {
    const op = rng.below(OP_COUNT) as Op;
    ops?.push(op);
    out = applyOp(op, rng, out, donors);
    if (out.length > 65535) out = out.slice(0, 65535);
  }
  return out;
}
