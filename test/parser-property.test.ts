/*
 * Property-based tests of the parser (fast-check): random and mutated
 * messages never throw, never loop, and never read outside the input; and
 * every accepted message, serialized again, parses to the same fields.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { spanToString } from "../src/sip/message/bytes";
import { H } from "../src/sip/message/header";
import { SipMessage } from "../src/sip/message/message";
import { SipParser } from "../src/sip/message/parser";
import { writeMessage } from "../src/sip/message/response";
import { HeaderValues } from "../src/sip/message/values";
import { SipWriter } from "../src/sip/message/writer";
import { tortureCases } from "./support/torture";

const seeds: Uint8Array[] = [
  ...tortureCases("rfc4475").map((c) => c.bytes),
  ...tortureCases("rfc5118/wire").map((c) => c.bytes),
  ...readdirSync(join(__dirname, "fixtures/sip")).map((f) => new Uint8Array(readFileSync(join(__dirname, "fixtures/sip", f)))),
];

/**
 * A view of the input that throws on any read outside [0, length): the
 * parser indexes its buffer directly, so a stray index shows up here.
 */
function guarded(bytes: Uint8Array): Uint8Array {
  const length = bytes.length;
  return new Proxy(bytes, {
    get(target, prop, receiver) {
      if (typeof prop === "string" && /^-?\d+$/.test(prop)) {
        const i = Number(prop);
        if (i < 0 || i >= length) throw new RangeError(`read at ${i} outside [0, ${length})`);
        return target[i];
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
      void receiver;
    },
  });
}

const parser = new SipParser();
const msg = new SipMessage();

function parseGuarded(bytes: Uint8Array): boolean {
  return parser.parse(guarded(bytes), bytes.length, msg);
}

/** The fields a UA reads, as plain values for comparison. */
function fields(m: SipMessage): unknown {
  const vias: string[] = [];
  const v = new HeaderValues().begin(m, H.Via);
  while (v.next()) vias.push(spanToString(m.buf, v.start, v.len));
  return {
    kind: m.kind,
    method: m.method,
    methodName: m.methodString(),
    uri: m.uriString(),
    status: m.status,
    reason: m.reasonString(),
    callId: m.callIdString(),
    cseq: m.cseq,
    cseqMethod: m.cseqMethod,
    maxForwards: m.maxForwards,
    expires: m.expires,
    vias,
    fromTag: m.from.tagLen < 0 ? null : spanToString(m.buf, m.from.tagStart, m.from.tagLen),
    toTag: m.to.tagLen < 0 ? null : spanToString(m.buf, m.to.tagStart, m.to.tagLen),
    headers: Array.from({ length: m.headerCount }, (_, i) => [m.hId[i], m.valueString(i)]),
    body: spanToString(m.buf, m.bodyStart, m.bodyLen),
  };
}

const mutation = fc.record({
  seed: fc.nat({ max: seeds.length - 1 }),
  edits: fc.array(
    fc.record({
      kind: fc.constantFrom("set", "insert", "delete", "truncate", "dup"),
      at: fc.nat(),
      byte: fc.constantFrom(0, 9, 10, 13, 32, 34, 37, 44, 58, 59, 60, 62, 64, 91, 92, 93, 255, 48, 65, 122),
      len: fc.nat({ max: 40 }),
    }),
    { maxLength: 8 },
  ),
});

function mutate(m: { seed: number; edits: { kind: string; at: number; byte: number; len: number }[] }): Uint8Array {
  let b = Array.from(seeds[m.seed]!);
  for (const e of m.edits) {
    const at = b.length === 0 ? 0 : e.at % (b.length + 1);
    if (e.kind === "set" && at < b.length) b[at] = e.byte;
    else if (e.kind === "insert") b.splice(at, 0, e.byte);
    else if (e.kind === "delete") b.splice(at, e.len);
    else if (e.kind === "truncate") b = b.slice(0, at);
    else if (e.kind === "dup") b.splice(at, 0, ...b.slice(at, at + e.len));
  }
  return Uint8Array.from(b);
}

describe("parser properties", () => {
  it("the guard itself catches an out-of-range read", () => {
    expect(() => guarded(new Uint8Array(3))[3]).toThrow(RangeError);
  });

  it("random bytes: never throws, never reads outside the input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        parseGuarded(bytes);
        expect(msg.ok || msg.error > 0).toBe(true);
        expect(msg.errorOffset).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 3000 },
    );
  });

  it("SIP-looking text: never throws, never reads outside the input", () => {
    const piece = fc.constantFrom("INVITE ", "SIP/2.0", " ", "\r\n", "\n", ":", ";", ",", "<", ">", '"', "\\", "sip:", "@", "[", "]", "Via: ", "v:", "SIP/2.0/UDP ", "branch=z9hG4bK", "To: ", "From: ", "CSeq: 1 INVITE", "Content-Length: ", "l:", "5", "99999999999", "%", "%4", "tag=", "\r\n\r\n", " \r\n ");
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 80 }), (parts) => {
        const bytes = new TextEncoder().encode(parts.join(""));
        parseGuarded(bytes);
        expect(msg.errorOffset).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 3000 },
    );
  });

  it("mutated torture and real messages: never throws, never reads outside the input", () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const bytes = mutate(m);
        parseGuarded(bytes);
        expect(msg.errorOffset).toBeLessThanOrEqual(bytes.length);
      }),
      { numRuns: 3000 },
    );
  });

  it("round trip: every accepted message, serialized, parses to the same fields", () => {
    const w = new SipWriter(70000);
    const again = new SipMessage();
    let accepted = 0;
    const check = (bytes: Uint8Array): void => {
      if (!parser.parse(bytes, bytes.length, msg)) return;
      accepted++;
      const before = fields(msg);
      w.reset();
      writeMessage(w, msg);
      expect(w.overflow).toBe(false);
      const out = w.buf.slice(0, w.length);
      expect(parser.parse(out, out.length, again)).toBe(true);
      const after = fields(again) as { headers: unknown[] };
      const b = before as { headers: [number, string][] };
      // Content-Length is written afresh; everything else is the same.
      expect({ ...after, headers: (after.headers as [number, string][]).filter(([id]) => id !== H.ContentLength) }).toEqual({ ...b, headers: b.headers.filter(([id]) => id !== H.ContentLength) });
    };
    for (const s of seeds) check(s);
    expect(accepted).toBeGreaterThanOrEqual(40);
    fc.assert(fc.property(mutation, (m) => check(mutate(m))), { numRuns: 1500 });
  });
});
