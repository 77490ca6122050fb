/*
 * The DNS wire format of src/dns/dns-message.ts against bytes laid out by
 * hand from RFC 1035 §4.1 (header, question, resource records, §4.1.4
 * compression) and RFC 2782 (SRV RDATA: priority, weight, port, target),
 * and fast-check over malformed and truncated answers: never a throw,
 * never a record that is not in the bytes.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DnsFailure, DnsType, readAnswer, writeQuery } from "../src/dns/dns-message";

/** "example.com" -> 7 e x a m p l e 3 c o m 0 */
function name(n: string): number[] {
  const out: number[] = [];
  for (const label of n.split(".")) {
    if (label === "") continue;
    out.push(label.length, ...Array.from(label, (c) => c.charCodeAt(0)));
  }
  out.push(0);
  return out;
}

const u16 = (v: number): number[] => [v >> 8, v & 0xff];
const ID = 0xbeef;
const QNAME = "_sip._udp.example.com";

/** A response header: ID, flags, QD/AN/NS/AR counts. */
function header(id: number, flags: number, qd: number, an: number, ns: number, ar: number): number[] {
  return [...u16(id), ...u16(flags), ...u16(qd), ...u16(an), ...u16(ns), ...u16(ar)];
}

/** The question as the door writes it: 12 is where it starts, so its name is pointer 0xc00c. */
function question(n: string, type: number): number[] {
  return [...name(n), ...u16(type), ...u16(1)];
}

/** An SRV RR owned by the question's name (pointer to offset 12), target uncompressed. */
function srvRR(priority: number, weight: number, port: number, target: string): number[] {
  const t = name(target);
  return [0xc0, 0x0c, ...u16(33), ...u16(1), 0, 0, 0, 60, ...u16(6 + t.length), ...u16(priority), ...u16(weight), ...u16(port), ...t];
}

function aRR(owner: number[], a: number, b: number, c: number, d: number): number[] {
  return [...owner, ...u16(1), ...u16(1), 0, 0, 0, 60, ...u16(4), a, b, c, d];
}

const RESPONSE = 0x8180; // QR, RD, RA, RCODE 0

describe("writeQuery (RFC 1035 §4.1.1, §4.1.2)", () => {
  it("writes the header with the ID and RD, one question, QTYPE SRV and class IN", () => {
    const buf = new Uint8Array(512);
    const n = writeQuery(buf, 0x1234, QNAME, DnsType.Srv);
    const expected = [0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 4, 0x5f, 0x73, 0x69, 0x70, 4, 0x5f, 0x75, 0x64, 0x70, 7, 101, 120, 97, 109, 112, 108, 101, 3, 99, 111, 109, 0, 0, 33, 0, 1];
    expect(Array.from(buf.subarray(0, n))).toEqual(expected);
  });

  it("writes an A query, lower-casing the name and dropping a trailing dot", () => {
    const buf = new Uint8Array(512);
    const n = writeQuery(buf, 7, "PBX.Example.COM.", DnsType.A);
    expect(Array.from(buf.subarray(0, n))).toEqual([0, 7, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...name("pbx.example.com"), 0, 1, 0, 1]);
  });

  it("refuses names that cannot be asked: empty labels, a label over 63 bytes, a name over 255, spaces, non-ASCII, a small buffer", () => {
    const buf = new Uint8Array(512);
    for (const bad of ["", ".", "a..b", ".a", "x".repeat(64) + ".com", Array(80).fill("abc").join("."), "a b.com", "bücher.de"]) {
      expect(writeQuery(buf, 1, bad, DnsType.A), bad).toBe(0);
    }
    expect(writeQuery(buf, 1, "x".repeat(63) + ".com", DnsType.A)).toBeGreaterThan(0);
    expect(writeQuery(new Uint8Array(20), 1, "example.com", DnsType.A)).toBe(0);
  });
});

describe("readAnswer (RFC 1035 §4.1, RFC 2782)", () => {
  it("reads SRV records and the A records of the additional section, following compression pointers", () => {
    // Additional: the first target uncompressed, the second compressed as "sip2" + pointer to "example.com" in the question (offset 12 + 10).
    const q = question(QNAME, 33);
    const msg = [
      ...header(ID, RESPONSE, 1, 2, 0, 2),
      ...q,
      ...srvRR(10, 60, 5070, "sip1.example.com"),
      ...srvRR(20, 0, 5080, "sip2.example.com"),
      ...aRR(name("sip1.example.com"), 192, 0, 2, 7),
      ...aRR([4, 115, 105, 112, 50, 0xc0, 12 + 10], 192, 0, 2, 8),
    ];
    const r = readAnswer(Uint8Array.from(msg), msg.length, ID, QNAME, DnsType.Srv);
    expect(r.failure).toBe(DnsFailure.None);
    expect(r.srv).toEqual([
      { priority: 10, weight: 60, port: 5070, target: "sip1.example.com" },
      { priority: 20, weight: 0, port: 5080, target: "sip2.example.com" },
    ]);
    expect(r.a).toEqual([
      { name: "sip1.example.com", address: "192.0.2.7" },
      { name: "sip2.example.com", address: "192.0.2.8" },
    ]);
  });

  it("reads A records, after a CNAME, and not those of another owner in the answer section", () => {
    const q = question("door.example.com", 1);
    const cname = [0xc0, 0x0c, ...u16(5), ...u16(1), 0, 0, 0, 60, ...u16(7), 4, 112, 98, 120, 49, 0xc0, 12 + 5];
    const msg = [...header(ID, RESPONSE, 1, 3, 0, 0), ...q, ...cname, ...aRR(name("pbx1.example.com"), 10, 0, 0, 1), ...aRR(name("other.example.com"), 10, 0, 0, 9)];
    const r = readAnswer(Uint8Array.from(msg), msg.length, ID, "door.example.com", DnsType.A);
    expect(r.failure).toBe(DnsFailure.None);
    expect(r.a).toEqual([{ name: "pbx1.example.com", address: "10.0.0.1" }]);
  });

  it("an empty answer (NODATA) is an answer with no records", () => {
    const msg = [...header(ID, RESPONSE, 1, 0, 0, 0), ...question(QNAME, 33)];
    const r = readAnswer(Uint8Array.from(msg), msg.length, ID, QNAME, DnsType.Srv);
    expect(r.failure).toBe(DnsFailure.None);
    expect(r.srv).toEqual([]);
  });

  it("RCODE 3 is NXDOMAIN, RCODE 2 a server failure", () => {
    const nx = [...header(ID, RESPONSE | 3, 1, 0, 0, 0), ...question(QNAME, 33)];
    expect(readAnswer(Uint8Array.from(nx), nx.length, ID, QNAME, DnsType.Srv)).toMatchObject({ failure: DnsFailure.NameError, rcode: 3 });
    const sf = [...header(ID, RESPONSE | 2, 1, 0, 0, 0), ...question(QNAME, 33)];
    expect(readAnswer(Uint8Array.from(sf), sf.length, ID, QNAME, DnsType.Srv)).toMatchObject({ failure: DnsFailure.ServerFailure, rcode: 2 });
  });

  it("rejects another ID, a query (QR 0), another question", () => {
    const msg = [...header(ID, RESPONSE, 1, 1, 0, 0), ...question(QNAME, 33), ...srvRR(1, 1, 5060, "a.example.com")];
    const bytes = Uint8Array.from(msg);
    expect(readAnswer(bytes, bytes.length, ID + 1, QNAME, DnsType.Srv).failure).toBe(DnsFailure.WrongId);
    expect(readAnswer(bytes, bytes.length, ID, "_sip._udp.example.org", DnsType.Srv).failure).toBe(DnsFailure.WrongQuestion);
    expect(readAnswer(bytes, bytes.length, ID, QNAME, DnsType.A).failure).toBe(DnsFailure.WrongQuestion);
    const query = bytes.slice();
    query[2] = 0x01;
    expect(readAnswer(query, query.length, ID, QNAME, DnsType.Srv).failure).toBe(DnsFailure.NotResponse);
    // Case does not matter (RFC 4343): a server may echo "_SIP._UDP.EXAMPLE.COM".
    expect(readAnswer(bytes, bytes.length, ID, "_SIP._udp.Example.com.", DnsType.Srv).srv).toHaveLength(1);
  });

  it("truncation: without TC a cut record is malformed; with TC the complete records are kept", () => {
    const msg = [...header(ID, RESPONSE, 1, 2, 0, 0), ...question(QNAME, 33), ...srvRR(1, 1, 5060, "a.example.com"), ...srvRR(2, 1, 5060, "b.example.com")];
    const cut = Uint8Array.from(msg.slice(0, msg.length - 5));
    expect(readAnswer(cut, cut.length, ID, QNAME, DnsType.Srv).failure).toBe(DnsFailure.Malformed);
    cut[2] |= 0x02; // TC
    const r = readAnswer(cut, cut.length, ID, QNAME, DnsType.Srv);
    expect(r.failure).toBe(DnsFailure.None);
    expect(r.truncated).toBe(true);
    expect(r.srv.map((s) => s.target)).toEqual(["a.example.com"]);
    const short = Uint8Array.from(msg.slice(0, 11));
    expect(readAnswer(short, short.length, ID, QNAME, DnsType.Srv).failure).toBe(DnsFailure.Malformed);
    // `length` shorter than the buffer: only data[0..length) counts.
    expect(readAnswer(Uint8Array.from(msg), 20, ID, QNAME, DnsType.Srv).failure).toBe(DnsFailure.Malformed);
  });

  it("a compression loop ends as malformed, not in a hang", () => {
    // The SRV target is a pointer to itself.
    const q = question(QNAME, 33);
    const start = 12 + q.length;
    const targetAt = start + 12 + 6;
    const rr = [0xc0, 0x0c, ...u16(33), ...u16(1), 0, 0, 0, 60, ...u16(8), ...u16(1), ...u16(1), ...u16(5060), 0xc0 | (targetAt >> 8), targetAt & 0xff];
    const msg = [...header(ID, RESPONSE, 1, 1, 0, 0), ...q, ...rr];
    expect(readAnswer(Uint8Array.from(msg), msg.length, ID, QNAME, DnsType.Srv).failure).toBe(DnsFailure.Malformed);
    // Two pointers to each other in the owner name.
    const loop = [...header(ID, RESPONSE, 1, 1, 0, 0), ...q, 0xc0, start + 2, 0xc0, start, ...u16(33), ...u16(1), 0, 0, 0, 0, 0, 0];
    expect(readAnswer(Uint8Array.from(loop), loop.length, ID, QNAME, DnsType.Srv).failure).toBe(DnsFailure.Malformed);
  });

  it("never throws and never reports a record beyond the bytes, whatever arrives (fast-check)", () => {
    const good = Uint8Array.from([
      ...header(ID, RESPONSE, 1, 2, 0, 1),
      ...question(QNAME, 33),
      ...srvRR(10, 60, 5070, "sip1.example.com"),
      ...srvRR(20, 0, 5080, "sip2.example.com"),
      ...aRR([4, 115, 105, 112, 49, 0xc0, 12 + 10], 192, 0, 2, 7),
    ]);
    const mutated = fc.tuple(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(good.length)).map(([edits, cut]) => {
      const b = good.slice(0, Math.max(cut, 0));
      for (const [at, v] of edits) if (at < b.length) b[at] = v;
      return b;
    });
    const anyBytes = fc.uint8Array({ maxLength: 600 });
    fc.assert(
      fc.property(fc.oneof(mutated, anyBytes), (bytes) => {
        for (const type of [DnsType.Srv, DnsType.A]) {
          const r = readAnswer(bytes, bytes.length, ID, QNAME, type);
          // Each record costs bytes on the wire: at least 11 for an SRV record, 14 for an A record with a pointer owner.
          expect(r.srv.length * 11 + r.a.length * 14).toBeLessThanOrEqual(bytes.length);
          if (r.failure !== DnsFailure.None) expect(r.srv.length + r.a.length).toBe(0);
          for (const s of r.srv) expect(s.port).toBeLessThanOrEqual(65535);
        }
      }),
      { numRuns: 3000, seed: 20261122 },
    );
  });
});
