/*
 * The server transport's mark on a response's top Via (RFC 3261 §18.2.1,
 * RFC 3581 §4), made two ways: copied into a transaction's buffer
 * (copyStamped) and where the response is, for a stateless reply, so that
 * the layer needs no second message buffer (stampInPlace). Both must write
 * the same bytes, and neither may write past the buffer.
 */
import { describe, expect, it } from "vitest";
import { copyStamped, stampInPlace } from "../src/sip/transport/received";

const enc = new TextEncoder();
const dec = new TextDecoder();
const SOURCE = enc.encode("203.0.113.9");

function response(via: string): string {
  return `SIP/2.0 404 Not Found\r\nVia: ${via}\r\nVia: SIP/2.0/UDP proxy.example.com;branch=z9hG4bKp\r\nTo: <sip:door@example.com>;tag=t1\r\nCall-ID: c1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`;
}

/** Both ways, into a buffer of `room` bytes; the texts they give (null when it did not fit). */
function both(text: string, received: boolean, port: number, room = 1300): { copied: string | null; inPlace: string | null } {
  const src = enc.encode(text);
  const dst = new Uint8Array(room);
  const n = copyStamped(src, src.length, dst, SOURCE, SOURCE.length, received, port);
  const buf = new Uint8Array(room);
  buf.set(src.subarray(0, Math.min(src.length, room)));
  const m = stampInPlace(buf, src.length, SOURCE, SOURCE.length, received, port);
  return { copied: n < 0 ? null : dec.decode(dst.subarray(0, n)), inPlace: m < 0 ? null : dec.decode(buf.subarray(0, m)) };
}

describe("the top Via's mark, copied and in place", () => {
  const cases: [string, string, boolean, number, string][] = [
    ["rport and received", "SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bKa;rport", true, 40123, "SIP/2.0/UDP 10.0.0.2:5062;branch=z9hG4bKa;rport=40123;received=203.0.113.9"],
    ["rport in the middle", "SIP/2.0/UDP 10.0.0.2;rport;branch=z9hG4bKb", true, 7, "SIP/2.0/UDP 10.0.0.2;rport=7;branch=z9hG4bKb;received=203.0.113.9"],
    ["received only (sent-by differs, no rport)", "SIP/2.0/UDP host.example.com;branch=z9hG4bKc", true, 0, "SIP/2.0/UDP host.example.com;branch=z9hG4bKc;received=203.0.113.9"],
    ["rport only", "SIP/2.0/UDP 203.0.113.9:5060;branch=z9hG4bKd;rport", false, 5060, "SIP/2.0/UDP 203.0.113.9:5060;branch=z9hG4bKd;rport=5060"],
    ["nothing to mark", "SIP/2.0/UDP 203.0.113.9;branch=z9hG4bKe", false, 0, "SIP/2.0/UDP 203.0.113.9;branch=z9hG4bKe"],
    ["rport with a value is left", "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKf;rport=9", true, 40123, "SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKf;rport=9;received=203.0.113.9"],
    ["a list in one field: only the first element", "SIP/2.0/UDP 10.0.0.2;rport;branch=z9hG4bKg , SIP/2.0/UDP b.example.com;rport", true, 3, "SIP/2.0/UDP 10.0.0.2;rport=3;branch=z9hG4bKg;received=203.0.113.9 , SIP/2.0/UDP b.example.com;rport"],
  ];
  for (const [name, via, received, port, marked] of cases) {
    it(name, () => {
      const r = both(response(via), received, port);
      expect(r.copied).toBe(response(marked));
      expect(r.inPlace).toBe(r.copied);
    });
  }

  it("leaves a message without Via as it is", () => {
    const text = "SIP/2.0 200 OK\r\nCall-ID: c\r\n\r\n";
    expect(both(text, true, 5)).toEqual({ copied: text, inPlace: text });
  });

  it("refuses, and leaves the buffer as it was, when the mark does not fit", () => {
    const text = response("SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKh;rport");
    const exact = text.length + "=40123;received=203.0.113.9".length;
    expect(both(text, true, 40123, exact).inPlace).toBe(response("SIP/2.0/UDP 10.0.0.2;branch=z9hG4bKh;rport=40123;received=203.0.113.9"));
    const src = enc.encode(text);
    const buf = new Uint8Array(exact - 1);
    buf.set(src);
    const before = buf.slice();
    expect(stampInPlace(buf, src.length, SOURCE, SOURCE.length, true, 40123)).toBe(-1);
    expect(buf).toEqual(before);
    expect(both(text, true, 40123, exact - 1)).toEqual({ copied: null, inPlace: null });
  });
});
