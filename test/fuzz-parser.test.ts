/*
 * The fuzz suite on Node (issue #10): fast-check properties and the
 * mutation fuzzer over the parser (src/sip/message) with every structured
 * reader, the SDP reader (src/sip/sdp) and the writer. The properties are
 * those of test/fuzz/properties.ts: no exception; no read outside the input
 * (guard bytes around it must not change any result, every span stays
 * inside, a Proxy throws on a stray index); bounded work per byte; every
 * accepted message, serialized by the writer, parses again to the same
 * fields. Seeded: FUZZ_SEED replays a reported campaign, and fast-check
 * prints its own seed and the shrunk counterexample.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { resolve } from "node:path";
import { formatFailure, makeInput, runCampaign, sdpBodies, shrink } from "./fuzz/campaign";
import { fuzzSeeds, peerSeeds } from "./fuzz/corpus";
import { Inspector } from "./fuzz/inspect";
import { applyOp, OP_COUNT, type Op } from "./fuzz/mutate";
import { Checker, escapeBytes, fromHex, GuardedBytes, hex, READS_PER_BYTE, sameFields, Target } from "./fuzz/properties";
import { Prng } from "./fuzz/prng";

const ROOT = resolve(__dirname, "..");
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const seeds = fuzzSeeds(ROOT).map((s) => s.bytes);
const bodies = sdpBodies(seeds);
const checker = new Checker();

/** Check one input with every property; a failure message carries the input. */
function holds(target: Target, input: Uint8Array, guarded = true, rngSeed = 1): void {
  const p = checker.check(target, input, new Prng(rngSeed), guarded);
  if (p !== "") throw new Error(`${p}\n  input: ${escapeBytes(input, 4000)}\n  hex: ${hex(input)}`);
}

describe("fuzz corpus", () => {
  it("has the torture corpus, the fixtures and the messages captured from kamailio, SIPp and baresip", () => {
    const peers = peerSeeds(ROOT);
    expect(peers.map((s) => s.name.replace(/^seeds\/|-.*$/g, ""))).toEqual(expect.arrayContaining(["kamailio", "sipp", "baresip"]));
    expect(seeds.length).toBeGreaterThanOrEqual(49 + 12 + 11 + 4 + peers.length);
    expect(bodies.length).toBeGreaterThanOrEqual(8);
  });

  it("every seed as it is satisfies every property", () => {
    for (const s of seeds) holds(Target.Sip, s);
    for (const b of bodies) holds(Target.Sdp, b);
    expect(checker.accepted).toBeGreaterThanOrEqual(50);
  });
});

describe("the checks can fail", () => {
  it("the guarded view throws on a read outside the input and counts reads", () => {
    const g = new GuardedBytes(new Uint8Array([1, 2, 3]));
    expect(g.view[2]).toBe(3);
    expect(() => g.view[3]).toThrow(RangeError);
    expect(() => g.view[-1]).toThrow(RangeError);
    expect(g.view.indexOf(3, 0)).toBe(2);
    expect(g.reads).toBe(1 + 3);
  });

  it("a span outside its bounds is reported", () => {
    const ins = new Inspector();
    ins.span("test", 5, 10, 0, 12);
    expect(ins.problem).toBe("test span [5, 15) outside [0, 12)");
  });

  it("a header value that changes in the round trip is reported", () => {
    const parse = (text: string): Inspector => {
      const ins = new Inspector();
      const bytes = Uint8Array.from(text, (ch) => ch.charCodeAt(0));
      expect(ins.inspect(bytes, bytes.length)).toBe(true);
      return ins;
    };
    const head = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n";
    const a = parse(`${head}X-A: 1\r\nContent-Length: 0\r\n\r\n`);
    expect(sameFields(a.msg, parse(`${head}X-A: 1\r\n\r\n`).msg)).toBe("");
    expect(sameFields(a.msg, parse(`${head}X-A: 2\r\n\r\n`).msg)).toBe('header 1 (X-A) value "1" became "2"');
    expect(sameFields(a.msg, parse(`${head}\r\n`).msg)).toBe("header 1 (X-A) is missing after the round trip");
  });

  it("shrinking keeps the failure and reports the seed and the input as text and hex", () => {
    const input = Uint8Array.from("INVITE sip:x SIP/2.0\r\nBAD\r\n", (ch) => ch.charCodeAt(0));
    const small = shrink(input, (b) => b.indexOf(66) >= 0 && b.indexOf(68) >= 0);
    expect(escapeBytes(small)).toBe("BD");
    expect(formatFailure({ run: 3, runSeed: 99, target: "sip", property: "p", ops: ["bit-flip"], hex: hex(small), text: escapeBytes(small), originalLength: input.length }, 7))
      .toBe("fuzz failure (sip): p\n  campaign seed 7, run 3 (run seed 99); operators: bit-flip\n  minimal input (2 bytes, shrunk from 27):\n  text: BD\n  hex:  4244");
  });

  it("a run replays from the campaign seed and its index", () => {
    const a = makeInput(seeds, bodies, SEED, 123);
    const b = makeInput(seeds, bodies, SEED, 123);
    expect(hex(a.input)).toBe(hex(b.input));
    expect(a.ops).toEqual(b.ops);
  });
});

describe("fast-check properties", () => {
  const asBytes = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0) & 0xff);

  it("random bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 400 }), fc.nat(), (b, r) => holds(Target.Sip, b, true, r)), { numRuns: 800, seed: SEED });
  });

  it("SIP-shaped text", () => {
    const piece = fc.constantFrom(
      "INVITE ", "OPTIONS ", "SIP/2.0", "SIP/2.0 200 OK", " ", "\r\n", "\n", "\r", ":", ";", ",", "<", ">", '"', "\\", "sip:", "sips:", "tel:+1", "@", "[", "]", "[::1]",
      "Via: ", "v:", "SIP/2.0/UDP ", "h.example", ";branch=z9hG4bK", ";rport", ";received=", "To: ", "From: ", "f:", "t:", "CSeq: 1 INVITE", "CSeq: ", "Call-ID: ", "i:",
      "Contact: ", "m:", "*", "Content-Length: ", "l:", "Max-Forwards: ", "Expires: ", "RAck: ", "RSeq: ", "Event: ", "Route: ", "Content-Type: application/sdp",
      "WWW-Authenticate: Digest ", "realm=", "nonce=", "qop=auth", "5", "70", "4294967296", "99999999999999999999", "%", "%4", "%41", "tag=", "\r\n\r\n", " \r\n ", "\t",
      "v=0\r\n", "o=- 1 1 IN IP4 1.2.3.4\r\n", "c=IN IP4 1.2.3.4\r\n", "m=audio 4000 RTP/AVP 0 8 101\r\n", "a=rtpmap:101 telephone-event/8000\r\n",
    );
    fc.assert(fc.property(fc.array(piece, { maxLength: 60 }), fc.nat(), (parts, r) => holds(Target.Sip, asBytes(parts.join("")), true, r)), { numRuns: 800, seed: SEED });
  });

  it("well-formed requests built from parts: accepted, and the round trip keeps every field", () => {
    const token = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,12}$/);
    // user = 1*( unreserved / escaped / user-unreserved ) (RFC 3261 §25.1), without ";" and "?"
    const user = fc.stringMatching(/^[A-Za-z0-9.!~*'()&=+$,_\/-]{1,12}$/);
    const host = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}(\.[a-z]{2,5}){0,2}$/), fc.constantFrom("192.0.2.1", "[2001:db8::1]"));
    const port = fc.option(fc.integer({ min: 1, max: 65535 }), { nil: undefined });
    const value = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);
    const extra = fc.array(fc.tuple(fc.stringMatching(/^X-[A-Za-z0-9-]{1,10}$/), value), { maxLength: 5 });
    const arb = fc.record({
      method: fc.oneof(fc.constantFrom("INVITE", "OPTIONS", "BYE", "REGISTER", "INFO", "MESSAGE", "NOTIFY"), fc.stringMatching(/^[A-Z]{3,10}$/)),
      user: fc.option(user, { nil: undefined }),
      host,
      port,
      branch: token,
      tag: token,
      callId: fc.tuple(token, fc.option(token, { nil: undefined })),
      cseq: fc.integer({ min: 0, max: 4294967295 }),
      compact: fc.boolean(),
      lf: fc.boolean(),
      extra,
      body: fc.stringMatching(/^[\x20-\x7e\r\n]{0,60}$/),
    });
    fc.assert(
      fc.property(arb, (m) => {
        const uri = `sip:${m.user !== undefined ? `${m.user}@` : ""}${m.host}${m.port !== undefined ? `:${m.port}` : ""}`;
        const eol = m.lf ? "\n" : "\r\n";
        const lines = [
          `${m.method} ${uri} SIP/2.0`,
          `${m.compact ? "v" : "Via"}: SIP/2.0/UDP ${m.host}${m.port !== undefined ? `:${m.port}` : ""};branch=z9hG4bK${m.branch};rport`,
          `${m.compact ? "f" : "From"}: <${uri}>;tag=${m.tag}`,
          `${m.compact ? "t" : "To"}: <${uri}>`,
          `${m.compact ? "i" : "Call-ID"}: ${m.callId[0]}${m.callId[1] !== undefined ? `@${m.callId[1]}` : ""}`,
          `CSeq: ${m.cseq} ${m.method}`,
          "Max-Forwards: 70",
          ...m.extra.map(([n, v]) => `${n}: ${v}`),
          `${m.compact ? "l" : "Content-Length"}: ${m.body.length}`,
          "",
          m.body,
        ];
        const bytes = asBytes(lines.join(eol));
        const ins = checker.a;
        expect(ins.inspect(bytes, bytes.length)).toBe(true);
        expect(ins.msg.cseq).toBe(m.cseq);
        holds(Target.Sip, bytes);
      }),
      { numRuns: 300, seed: SEED },
    );
  });

  it("mutations chosen by fast-check (shrinkable operator lists)", () => {
    const arb = fc.record({
      seed: fc.nat({ max: seeds.length - 1 }),
      ops: fc.array(fc.tuple(fc.nat({ max: OP_COUNT - 1 }), fc.nat()), { minLength: 1, maxLength: 6 }),
      sdp: fc.boolean(),
    });
    fc.assert(
      fc.property(arb, (m) => {
        const pool = m.sdp ? bodies : seeds;
        let b = pool[m.seed % pool.length]!;
        for (const [op, r] of m.ops) b = applyOp(op as Op, new Prng(r), b, pool);
        holds(m.sdp ? Target.Sdp : Target.Sip, b, true, m.seed);
      }),
      { numRuns: 400, seed: SEED },
    );
  });
});

describe("mutation fuzzer", () => {
  it(`3000 mutated torture, fixture and peer messages (campaign seed ${SEED})`, () => {
    const r = runCampaign({ seeds, runs: 3000, seed: SEED, guardEvery: 8, maxFailures: 3 });
    expect(r.failures.map((f) => formatFailure(f, r.seed))).toEqual([]);
    expect(r.runs).toBe(3000);
    expect(r.accepted).toBeGreaterThan(300);
    expect(r.rejected).toBeGreaterThan(300);
    expect(r.sdpRuns).toBeGreaterThan(300);
    expect(r.maxReadsPerByte).toBeLessThan(READS_PER_BYTE);
  });
});

describe("regressions found by the fuzzer", () => {
  it("spanToString does not read the byte after a span that ends inside a UTF-8 sequence", () => {
    // "5\n%:" then the first two bytes of a three-byte sequence (U+5927): the old check
    // `i + n < end + 1` read one byte past the end; with a continuation byte there the
    // header value's string took it in.
    const input = fromHex("350a253ae5a4");
    holds(Target.Sip, input);
    const ins = new Inspector();
    const buf = new Uint8Array([...input, 0x80, 0x80]);
    ins.inspect(buf, input.length);
    expect(ins.msg.valueString(0)).toBe("\ufffd\ufffd");
  });
});
