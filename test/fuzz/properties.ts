/*
 * The fuzz properties, checked for one input. Platform-free (bundled into
 * the XS worker).
 *
 *  1. Nothing throws: the parser, every structured reader, the UAS checks,
 *     the response writer, the SDP reader and the SDP answer writer.
 *  2. No read outside the input: the message is parsed at the start of a
 *     longer buffer and again at a random offset inside a larger one, with
 *     different guard bytes after it; every span any reader returns lies in
 *     [0, length), and the two signatures are equal (bytes past the end never
 *     change a result). Every few inputs it is parsed through a Proxy that
 *     throws on any index outside [0, length) and counts the reads.
 *  3. Bounded work: those reads stay under READS_PER_BYTE per input byte
 *     (plus a constant): no quadratic or endless scan.
 *  4. Round trip: a message the parser accepts, written by writeMessage
 *     (src/sip/message/response.ts, the writer), parses again to the same
 *     start line, headers (names and values, in order) and body.
 */
import { H } from "../../src/sip/message/header";
import { Kind, SipMessage } from "../../src/sip/message/message";
import { SipParser } from "../../src/sip/message/parser";
import { writeMessage } from "../../src/sip/message/response";
import { SipWriter } from "../../src/sip/message/writer";
import { Inspector } from "./inspect";
import { Prng } from "./prng";

/** Bytes after the message: at least this many, so a read past the end finds them. */
const GUARD = 64;
/** Guard fills: line ends and separators (what a stray read would act on), and plain letters. */
const FILL_A = [13, 10, 13, 10, 58, 59, 44, 60, 62, 34, 32, 9, 48, 64];
const FILL_B = [97, 98, 99, 120, 49, 50, 51];
/**
 * Reads (of the input's bytes, through the Proxy) allowed per byte of input
 * for the whole inspection: the parse and then every reader over every
 * header, each reading its value a few times. Measured at about 10-20 on the
 * corpus; a scan that restarts per element or per line is far beyond.
 */
export const READS_PER_BYTE = 200;
export const READS_CONSTANT = 20000;

export const enum Target {
  /** A whole datagram: the parser and everything over it. */
  Sip = 0,
  /** An SDP body alone: the SDP reader and our answer. */
  Sdp = 1,
}

export class Checker {
  readonly a = new Inspector();
  readonly b = new Inspector();
  private readonly parser = new SipParser();
  private readonly again = new SipMessage();
  private readonly writer = new SipWriter(140000);
  /** Index reads counted by the guarded view; -1 when the last check did not use it. */
  reads = -1;
  /** Highest reads per byte seen (for reports). */
  maxReadsPerByte = 0;
  accepted = 0;
  rejected = 0;

  /** Check one input; returns a description of the first property broken, or "" when all hold. */
  check(target: Target, input: Uint8Array, rng: Prng, guarded: boolean): string {
    try {
      return this.checkUnsafe(target, input, rng, guarded);
    } catch (e) {
      return `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
    }
  }

  private run(ins: Inspector, target: Target, buf: Uint8Array, length: number): boolean {
    if (target === Target.Sip) return ins.inspect(buf, length);
    ins.sig.length = 0;
    ins.problem = "";
    ins.sdpBody(buf, 0, length);
    return ins.sig[0] === 1;
  }

  private checkUnsafe(target: Target, input: Uint8Array, rng: Prng, guarded: boolean): string {
    const len = input.length;
    this.reads = -1;
    // 1. At the start of a buffer with guard bytes after it.
    const bufA = new Uint8Array(len + GUARD + rng.below(GUARD));
    fill(bufA, FILL_A, rng.below(FILL_A.length));
    bufA.set(input, 0);
    const ok = this.run(this.a, target, bufA, len);
    if (this.a.problem !== "") return this.a.problem;
    // 2. At a random offset inside a larger buffer, other guard bytes.
    const off = 1 + rng.below(256);
    const big = new Uint8Array(off + len + GUARD + rng.below(GUARD));
    fill(big, FILL_B, rng.below(FILL_B.length));
    const view = big.subarray(off, big.length);
    view.set(input, 0);
    this.run(this.b, target, view, len);
    if (this.b.problem !== "") return this.b.problem;
    const d = firstDifference(this.a.sig, this.b.sig);
    if (d >= 0) return `the result depends on the bytes around the message (signature item ${d}: ${this.a.sig[d]} vs ${this.b.sig[d]})`;
    // 3. Through a view that throws on a read outside [0, length), counting reads.
    if (guarded) {
      const g = new GuardedBytes(input);
      this.run(this.b, target, g.view, len);
      this.reads = g.reads;
      if (len > 0 && g.reads / len > this.maxReadsPerByte) this.maxReadsPerByte = g.reads / len;
      if (g.reads > READS_PER_BYTE * len + READS_CONSTANT) return `unbounded work: ${g.reads} reads for ${len} bytes`;
      const dg = firstDifference(this.a.sig, this.b.sig);
      if (dg >= 0) return `the result differs when parsed from an exact-size buffer (signature item ${dg}: ${this.a.sig[dg]} vs ${this.b.sig[dg]})`;
    }
    if (ok) this.accepted++;
    else this.rejected++;
    // 4. Round trip.
    if (ok && target === Target.Sip) return this.roundTrip(this.a.msg);
    return "";
  }

  /** writeMessage, parse again, compare the fields. */
  roundTrip(m: SipMessage): string {
    const w = this.writer.reset();
    writeMessage(w, m);
    if (w.overflow) return "writeMessage overflowed a buffer twice the message size";
    const r = this.again;
    if (!this.parser.parse(w.buf, w.length, r)) return `the serialized message does not parse: error ${r.error} at ${r.errorOffset} in ${escapeBytes(w.buf.subarray(0, w.length), 400)}`;
    return sameFields(m, r);
  }
}

/** Compare what a UA reads from two messages (Content-Length headers aside: the writer writes its own). */
export function sameFields(a: SipMessage, b: SipMessage): string {
  if (a.kind !== b.kind) return `kind ${a.kind} became ${b.kind}`;
  if (a.kind === Kind.Request) {
    if (a.method !== b.method || !same(a.buf, a.methodStart, a.methodLen, b.buf, b.methodStart, b.methodLen)) return "the method changed";
    if (!same(a.buf, a.uriStart, a.uriLen, b.buf, b.uriStart, b.uriLen)) return "the Request-URI changed";
  } else {
    if (a.status !== b.status) return `status ${a.status} became ${b.status}`;
    if (!same(a.buf, a.reasonStart, a.reasonLen, b.buf, b.reasonStart, b.reasonLen)) return "the reason phrase changed";
  }
  if (!same(a.buf, a.versionStart, a.versionLen, b.buf, b.versionStart, b.versionLen)) return "the SIP-Version changed";
  let j = 0;
  for (let i = 0; i < a.headerCount; i++) {
    if (a.hId[i] === H.ContentLength) continue;
    while (j < b.headerCount && b.hId[j] === H.ContentLength) j++;
    if (j >= b.headerCount) return `header ${i} (${a.nameString(i)}) is missing after the round trip`;
    if (a.hId[i] !== b.hId[j]) return `header ${i} id ${a.hId[i]} became ${b.hId[j]}`;
    if (a.hId[i] === H.Other && !same(a.buf, a.hNameStart[i]!, a.hNameLen[i]!, b.buf, b.hNameStart[j]!, b.hNameLen[j]!)) return `header ${i} name changed`;
    if (!same(a.buf, a.hValueStart[i]!, a.valueLen(i), b.buf, b.hValueStart[j]!, b.valueLen(j))) return `header ${i} (${a.nameString(i)}) value "${a.valueString(i)}" became "${b.valueString(j)}"`;
    j++;
  }
  while (j < b.headerCount && b.hId[j] === H.ContentLength) j++;
  if (j < b.headerCount) return `header ${j} (${b.nameString(j)}) appeared after the round trip`;
  if (!same(a.buf, a.bodyStart, a.bodyLen, b.buf, b.bodyStart, b.bodyLen)) return `the body changed (${a.bodyLen} bytes became ${b.bodyLen})`;
  if (a.cseq !== b.cseq || a.cseqMethod !== b.cseqMethod) return "CSeq changed";
  if (!same(a.buf, a.callIdStart, a.callIdLen, b.buf, b.callIdStart, b.callIdLen)) return "Call-ID changed";
  if (a.maxForwards !== b.maxForwards || a.expires !== b.expires) return "Max-Forwards or Expires changed";
  if (!same(a.buf, a.via.branchStart, a.via.branchLen, b.buf, b.via.branchStart, b.via.branchLen)) return "the top Via branch changed";
  if (!same(a.buf, a.from.tagStart, a.from.tagLen, b.buf, b.from.tagStart, b.from.tagLen)) return "the From tag changed";
  if (!same(a.buf, a.to.tagStart, a.to.tagLen, b.buf, b.to.tagStart, b.to.tagLen)) return "the To tag changed";
  return "";
}

function same(a: Uint8Array, as: number, al: number, b: Uint8Array, bs: number, bl: number): boolean {
  if (al < 0 || bl < 0) return al < 0 && bl < 0;
  if (al !== bl) return false;
  for (let k = 0; k < al; k++) if (a[as + k] !== b[bs + k]) return false;
  return true;
}

function fill(buf: Uint8Array, pattern: readonly number[], phase: number): void {
  for (let i = 0; i < buf.length; i++) buf[i] = pattern[(i + phase) % pattern.length]!;
}

function firstDifference(a: readonly number[], b: readonly number[]): number {
  const n = a.length > b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/**
 * The input behind a Proxy: an index outside [0, length) throws, every index
 * read is counted, and methods run on the real bytes (indexOf counts what it
 * scans).
 */
export class GuardedBytes {
  reads = 0;
  readonly view: Uint8Array;

  constructor(bytes: Uint8Array) {
    const length = bytes.length;
    const indexOf = (value: number, from?: number): number => {
      const at = bytes.indexOf(value, from);
      this.reads += (at < 0 ? length : at + 1) - (from ?? 0);
      return at;
    };
    this.view = new Proxy(bytes, {
      get: (target, prop) => {
        if (typeof prop === "string") {
          const c = prop.charCodeAt(0);
          if ((c >= 48 && c <= 57) || c === 45) {
            const i = Number(prop);
            if (Number.isInteger(i)) {
              if (i < 0 || i >= length) throw new RangeError(`read at ${i} outside the input [0, ${length})`);
              this.reads++;
              return target[i];
            }
          }
          if (prop === "indexOf") return indexOf;
        }
        const v: unknown = Reflect.get(target, prop, target);
        return typeof v === "function" ? (v as (...args: unknown[]) => unknown).bind(target) : v;
      },
    });
  }
}

/** Printable text: bytes 0x20-0x7e as they are (backslash doubled), others as \r \n \t or \xHH. */
export function escapeBytes(b: Uint8Array, max = 100000): string {
  let s = "";
  const n = b.length < max ? b.length : max;
  for (let i = 0; i < n; i++) {
    const c = b[i]!;
    if (c === 92) s += "\\\\";
    else if (c >= 32 && c < 127) s += String.fromCharCode(c);
    else if (c === 13) s += "\\r";
    else if (c === 10) s += "\\n";
    else if (c === 9) s += "\\t";
    else s += `\\x${c < 16 ? "0" : ""}${c.toString(16)}`;
  }
  return n < b.length ? `${s}... (${b.length} bytes)` : s;
}

export function hex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (b[i]! < 16 ? "0" : "") + b[i]!.toString(16);
  return s;
}

export function fromHex(h: string): Uint8Array {
  const out = new Uint8Array(h.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.substr(2 * i, 2), 16);
  return out;
}
