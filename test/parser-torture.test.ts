/*
 * RFC 4475 and RFC 5118 torture messages (issue: parser).
 * - Every file's verdict matches EXPECTED.tsv.
 * - Valid messages expose the fields the RFC text points at.
 * - Invalid messages yield the error the RFC describes, with its byte offset;
 *   where the RFC says "respond 400" (505, 416, 420, 415, 405, 501...), the
 *   response built by the writer is shown (RFC 3261 §8.2, §8.2.6).
 * - RFC 5118's archive files (bare LF, wrong Content-Length) are treated as stated below.
 */
import { describe, expect, it } from "vitest";
import { ascii, spanToString } from "../src/sip/message/bytes";
import { Extra, RequestChecker } from "../src/sip/message/check";
import { ParseError, PARSE_ERROR_REASONS } from "../src/sip/message/errors";
import { H, HEADER_NAMES } from "../src/sip/message/header";
import { Kind, SipMessage } from "../src/sip/message/message";
import { Method } from "../src/sip/message/method";
import { NameAddr } from "../src/sip/message/name-addr";
import { SipParser } from "../src/sip/message/parser";
import { writeResponseHead } from "../src/sip/message/response";
import { unescapeToString, unescapedLength } from "../src/sip/message/escape";
import { HostKind, Scheme, Uri } from "../src/sip/message/uri";
import { Transport, Via } from "../src/sip/message/via";
import { HeaderValues } from "../src/sip/message/values";
import { SipWriter } from "../src/sip/message/writer";
import { intercomPolicy } from "./support/policy";
import { torture, tortureCases } from "./support/torture";

const parser = new SipParser();
function parse(bytes: Uint8Array): SipMessage {
  const m = new SipMessage();
  parser.parse(bytes, bytes.length, m);
  return m;
}
const str = (m: SipMessage, s: number, l: number): string => spanToString(m.buf, s, l);
function values(m: SipMessage, id: H): string[] {
  const v = new HeaderValues().begin(m, id);
  const out: string[] = [];
  while (v.next()) out.push(str(m, v.start, v.len));
  return out;
}

describe("verdicts match EXPECTED.tsv", () => {
  for (const dir of ["rfc4475", "rfc5118/wire"] as const) {
    for (const c of tortureCases(dir)) {
      it(`${dir}/${c.file} (§${c.section}) is ${c.valid ? "valid" : "invalid"}`, () => {
        const m = parse(c.bytes);
        const detail = m.ok ? "" : `${PARSE_ERROR_REASONS[m.error]} at byte ${m.errorOffset}`;
        expect(m.ok ? "valid" : "invalid", detail).toBe(c.valid ? "valid" : "invalid");
      });
    }
  }
});

describe("RFC 5118 archive files (bare LF, archive quirks)", () => {
  // Bare LF line ends are accepted (liberal in what we receive). The archive's
  // own framing faults are not: a body shorter than Content-Length is an error
  // (RFC 3261 §18.3), and a header section must end with an empty line.
  const stated: Record<string, string> = {
    "ipv6-in-sdp.dat": "Content-Length larger than the message",
    "mult-ip-in-sdp.dat": "Content-Length larger than the message",
    "ipv6-bug-abnf-3-colons.dat": "header section not terminated by an empty line",
    "ipv6-correct-abnf-2-colons.dat": "header section not terminated by an empty line",
    "ipv6-bad.dat": "malformed Request-URI",
  };
  for (const c of tortureCases("rfc5118")) {
    it(`${c.file}: ${stated[c.file] ?? "parses with bare LF line ends"}`, () => {
      const m = parse(c.bytes);
      if (stated[c.file]) {
        expect(m.ok).toBe(false);
        expect(PARSE_ERROR_REASONS[m.error]).toBe(stated[c.file]);
      } else {
        expect(m.ok).toBe(true);
        expect(c.valid).toBe(true);
      }
    });
  }
  it("the wire forms of the quirky files parse", () => {
    for (const f of Object.keys(stated).filter((f) => f !== "ipv6-bad.dat")) expect(parse(torture("rfc5118/wire", f)).ok).toBe(true);
  });
});

describe("valid messages expose the fields the RFC points at", () => {
  it("wsinv (§3.1.1.1): folding, LWS everywhere, compact and odd-case names, escaped display name", () => {
    const m = parse(torture("rfc4475", "wsinv.dat"));
    expect(m.ok).toBe(true);
    expect(m.method).toBe(Method.INVITE);
    expect(m.uriString()).toBe("sip:vivekg@chair-dnrc.example.com;unknownparam");
    expect(m.to.tagLen).toBeGreaterThan(0);
    expect(str(m, m.to.tagStart, m.to.tagLen)).toBe("1918181833n");
    expect(m.from.displayName()).toBe('J Rosenberg \\"');
    expect(str(m, m.from.tagStart, m.from.tagLen)).toBe("98asjd8");
    expect(m.maxForwards).toBe(68);
    expect(m.cseq).toBe(9);
    expect(m.cseqMethod).toBe(Method.INVITE);
    expect(m.callIdString()).toBe("wsinv.ndaksdj@192.0.2.1");
    expect(m.getString(H.Subject)).toBe("");
    expect(m.getString(H.Other)).toBe("newfangled value\r\n continued newfangled value");
    // Three Via values over two header fields, one folded across lines.
    const vias = values(m, H.Via);
    expect(vias).toHaveLength(3);
    expect(m.via.transport).toBe(Transport.UDP);
    expect(str(m, m.via.hostStart, m.via.hostLen)).toBe("192.0.2.2");
    expect(str(m, m.via.branchStart, m.via.branchLen)).toBe("390skdjuw");
    expect(m.via.hasMagicCookie()).toBe(false);
    const v = new Via();
    const it3 = new HeaderValues().begin(m, H.Via);
    it3.next();
    it3.next();
    expect(v.read(m.buf, it3.start, it3.start + it3.len)).toBe(true);
    expect(v.transport).toBe(Transport.TCP);
    expect(str(m, v.hostStart, v.hostLen)).toBe("spindle.example.com");
    expect(str(m, v.branchStart, v.branchLen)).toBe("z9hG4bK9ikj8");
    it3.next();
    expect(v.read(m.buf, it3.start, it3.start + it3.len)).toBe(true);
    expect(str(m, v.branchStart, v.branchLen)).toBe("z9hG4bK30239");
    // m: "Quoted string \"\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33
    const contact = new NameAddr();
    const c = m.header(H.Contact);
    expect(contact.read(m.buf, m.valueStart(c), m.valueStart(c) + m.valueLen(c))).toBe(true);
    expect(contact.displayName()).toBe('Quoted string ""');
    expect(str(m, contact.qStart, contact.qLen)).toBe("0.33");
    const unusual = Array.from({ length: m.headerCount }, (_, i) => i).find((i) => m.nameString(i) === "UnknownHeaderWithUnusualValue")!;
    expect(m.valueString(unusual)).toBe(";;,,;;,;");
    expect(m.bodyLen).toBe(150);
    expect(m.contentLength).toBe(150);
  });

  it("intmeth (§3.1.1.2): every token character in the method, quoted NUL in a display name", () => {
    const m = parse(torture("rfc4475", "intmeth.dat"));
    expect(m.ok).toBe(true);
    expect(m.method).toBe(Method.Extension);
    expect(m.methodString()).toBe("!interesting-Method0123456789_*+`.%indeed'~");
    expect(m.cseqMethod).toBe(Method.Extension);
    expect(m.callIdString()).toBe("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{");
    expect(m.to.displayName()).toBe("BEL:\x07 NUL:\x00 DEL:\x7f");
    expect(str(m, m.via.branchStart, m.via.branchLen)).toBe("z9hG4bK-.!%66*_+`'~");
    const u = new Uri();
    expect(u.read(m.buf, m.uriStart, m.uriStart + m.uriLen)).toBe(true);
    expect(str(m, u.userStart, u.userLen)).toBe("1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*");
    expect(str(m, u.passwordStart, u.passwordLen)).toBe("&it+has=1,weird!*pas$wo~d_too.(doesn't-it)");
    expect(str(m, u.hostStart, u.hostLen)).toBe("example.com");
  });

  it("esc01 (§3.1.1.3): escapes are kept, and unescaped once only", () => {
    const m = parse(torture("rfc4475", "esc01.dat"));
    expect(m.ok).toBe(true);
    const u = new Uri();
    u.read(m.buf, m.uriStart, m.uriStart + m.uriLen);
    expect(str(m, u.userStart, u.userLen)).toBe("sips%3Auser%40example.com");
    expect(unescapeToString(m.buf, u.userStart, u.userLen)).toBe("sips:user@example.com");
    expect(str(m, u.hostStart, u.hostLen)).toBe("example.net");
    expect(m.to.uri.read(m.buf, m.to.uriStart, m.to.uriStart + m.to.uriLen)).toBe(true);
    expect(unescapeToString(m.buf, m.to.uri.userStart, m.to.uri.userLen)).toBe("user");
    expect(unescapeToString(m.buf, m.from.uri.userStart, m.from.uri.userLen)).toBe("I have spaces");
    const c = new NameAddr();
    const h = m.header(H.Contact);
    c.read(m.buf, m.valueStart(h), m.valueStart(h) + m.valueLen(h));
    expect(c.uri.findParam(ascii("lr"))).toBe(false); // the name is escaped: %6C%72
    expect(c.uri.findParam(ascii("n%61me"))).toBe(true);
    expect(unescapeToString(m.buf, c.uri.paramValueStart, c.uri.paramValueLen)).toBe("value%41");
  });

  it("escnull (§3.1.1.4): %00 does not truncate the user; two Contacts", () => {
    const m = parse(torture("rfc4475", "escnull.dat"));
    expect(m.ok).toBe(true);
    expect(unescapedLength(m.buf, m.to.uri.userStart, m.to.uri.userLen)).toBe("null-\0-null".length);
    expect(unescapeToString(m.buf, m.to.uri.userStart, m.to.uri.userLen)).toBe("null-\0-null");
    expect(values(m, H.Contact)).toHaveLength(2);
    expect(m.contentLength).toBe(0);
  });

  it("esc02 (§3.1.1.5): RE%47IST%45R is an extension method; C%6Fntact an unknown header", () => {
    const m = parse(torture("rfc4475", "esc02.dat"));
    expect(m.ok).toBe(true);
    expect(m.method).toBe(Method.Extension);
    expect(values(m, H.Contact)).toHaveLength(2);
    expect(m.count[H.Other]).toBe(1);
    expect(m.nameString(m.header(H.Other))).toBe("C%6Fntact");
    expect(m.from.displayName()).toBe("%Z%45");
  });

  it("lwsdisp (§3.1.1.6): no LWS between display name and <", () => {
    const m = parse(torture("rfc4475", "lwsdisp.dat"));
    expect(m.ok).toBe(true);
    expect(m.from.displayName()).toBe("caller");
    expect(str(m, m.from.uriStart, m.from.uriLen)).toBe("sip:caller@example.com");
  });

  it("longreq (§3.1.1.7): long values", () => {
    const m = parse(torture("rfc4475", "longreq.dat"));
    expect(m.ok).toBe(true);
    expect(m.to.displayLen).toBeGreaterThan(100);
    expect(values(m, H.Via).length).toBeGreaterThan(20);
    expect(m.callIdLen).toBeGreaterThan(100);
  });

  it("dblreq (§3.1.1.8): the trailing octets are ignored", () => {
    const b = torture("rfc4475", "dblreq.dat");
    const m = parse(b);
    expect(m.ok).toBe(true);
    expect(m.method).toBe(Method.REGISTER);
    expect(m.bodyLen).toBe(0);
    expect(m.bodyStart + m.bodyLen).toBeLessThan(b.length);
    expect(spanToString(b, m.bodyStart, b.length - m.bodyStart)).toContain("INVITE sip:joe@example.com SIP/2.0");
  });

  it("semiuri (§3.1.1.9): semicolons in the Request-URI user part", () => {
    const m = parse(torture("rfc4475", "semiuri.dat"));
    const u = new Uri();
    expect(u.read(m.buf, m.uriStart, m.uriStart + m.uriLen)).toBe(true);
    expect(str(m, u.userStart, u.userLen)).toBe("user;par=u%40example.net");
    expect(str(m, u.hostStart, u.hostLen)).toBe("example.com");
    expect(u.paramsEnd - u.paramsStart).toBe(0);
    expect(values(m, H.Accept)).toHaveLength(6);
  });

  it("transports (§3.1.1.10): varied and unknown transports", () => {
    const m = parse(torture("rfc4475", "transports.dat"));
    const v = new Via();
    const it = new HeaderValues().begin(m, H.Via);
    const seen: number[] = [];
    while (it.next()) {
      expect(v.read(m.buf, it.start, it.start + it.len)).toBe(true);
      seen.push(v.transport);
    }
    expect(seen).toEqual([Transport.UDP, Transport.SCTP, Transport.TLS, Transport.Other, Transport.TCP]);
  });

  it("mpart01 (§3.1.1.11): a binary body framed by Content-Length", () => {
    const m = parse(torture("rfc4475", "mpart01.dat"));
    expect(m.ok).toBe(true);
    expect(m.method).toBe(Method.MESSAGE);
    expect(m.bodyLen).toBe(m.contentLength);
    expect(m.bodyLen).toBe(553);
    expect(m.buf.subarray(m.bodyStart, m.bodyStart + m.bodyLen).includes(0)).toBe(true);
  });

  it("unreason (§3.1.1.12) and noreason (§3.1.1.13): unusual and empty reason phrases", () => {
    const u = parse(torture("rfc4475", "unreason.dat"));
    expect(u.kind).toBe(Kind.Response);
    expect(u.status).toBe(200);
    expect(u.reasonString()).toMatch(/^= 2\*\*3 \* 5\*\*2 но сто девяносто девять - простое$/);
    const n = parse(torture("rfc4475", "noreason.dat"));
    expect(n.status).toBe(100);
    expect(n.reasonLen).toBe(0);
  });

  it("RFC 5118: IPv6 references in the Request-URI, Via and Contact", () => {
    const good = parse(torture("rfc5118/wire", "ipv6-good.dat"));
    const u = new Uri();
    u.read(good.buf, good.uriStart, good.uriStart + good.uriLen);
    expect(u.hostKind).toBe(HostKind.IPv6);
    expect(str(good, u.hostStart, u.hostLen)).toBe("[2001:db8::10]");
    const amb = parse(torture("rfc5118/wire", "port-ambiguous.dat"));
    u.read(amb.buf, amb.uriStart, amb.uriStart + amb.uriLen);
    expect(str(amb, u.hostStart, u.hostLen)).toBe("[2001:db8::10:5070]");
    expect(u.port).toBe(-1);
    const unamb = parse(torture("rfc5118/wire", "port-unambiguous.dat"));
    u.read(unamb.buf, unamb.uriStart, unamb.uriStart + unamb.uriLen);
    expect(str(unamb, u.hostStart, u.hostLen)).toBe("[2001:db8::10]");
    expect(u.port).toBe(5070);
    const wd = parse(torture("rfc5118/wire", "via-received-param-with-delim.dat"));
    expect(str(wd, wd.via.receivedStart, wd.via.receivedLen)).toBe("[2001:db8::9:255]");
    const nd = parse(torture("rfc5118/wire", "via-received-param-no-delim.dat"));
    expect(str(nd, nd.via.receivedStart, nd.via.receivedLen)).toBe("2001:db8::9:255");
    expect(nd.via.hostKind).toBe(HostKind.IPv6);
  });

  it("unkscm and unksm2 (§3.3.2, §3.3.4): unknown schemes parse as absolute URIs", () => {
    const m = parse(torture("rfc4475", "unkscm.dat"));
    expect(m.ok).toBe(true);
    expect(m.uriScheme).toBe(Scheme.Other);
    const m2 = parse(torture("rfc4475", "unksm2.dat"));
    expect(m2.ok).toBe(true);
    expect(m2.to.uri.scheme).toBe(Scheme.Other);
    expect(str(m2, m2.to.uriStart, m2.to.uriLen)).toBe("isbn:2983792873");
  });
});

describe("invalid messages: the error the RFC describes, at its byte", () => {
  const expected: Record<string, [ParseError, string]> = {
    "badinv01.dat": [ParseError.BadVia, ";,;,,"], // the second ";": a parameter without a name
    "clerr.dat": [ParseError.ContentLengthTooLarge, "v=0"],
    "ncl.dat": [ParseError.BadContentLength, "-999"],
    "scalar02.dat": [ParseError.BadCSeq, "36893488147419103232 REGISTER"],
    "scalarlg.dat": [ParseError.BadCSeq, "9292394834772304023312 OPTIONS"],
    "quotbal.dat": [ParseError.BadTo, '"Mr. J. User'],
    "ltgtruri.dat": [ParseError.BadRequestUri, "<sip:user@example.com>"],
    "lwsruri.dat": [ParseError.BadRequestUri, "lr SIP/2.0"],
    "lwsstart.dat": [ParseError.BadStartLine, " sip:user@example.com"],
    "trws.dat": [ParseError.BadStartLine, "  \r\n"],
    "escruri.dat": [ParseError.BadRequestUri, "?Route=%3Csip:example.com%3E"],
    "baddate.dat": [ParseError.BadDate, "Fri, 01 Jan 2010 16:00:00 EST"],
    "regbadct.dat": [ParseError.BadContact, "?Route="],
    "badaspec.dat": [ParseError.BadTo, " sip:t.watson"], // the space inside <>
    "baddn.dat": [ParseError.BadFrom, ", Alexander"],
    "badvers.dat": [ParseError.BadVersion, "SIP/7.0"],
    "mismatch01.dat": [ParseError.CSeqMethodMismatch, "INVITE"],
    "mismatch02.dat": [ParseError.CSeqMethodMismatch, "INVITE"],
    "bigcode.dat": [ParseError.BadStatusCode, "4294967301"],
  };
  for (const c of tortureCases("rfc4475").filter((c) => !c.valid)) {
    it(`${c.file} (§${c.section})`, () => {
      const m = parse(c.bytes);
      const [err, at] = expected[c.file]!;
      expect(PARSE_ERROR_REASONS[m.error]).toBe(PARSE_ERROR_REASONS[err]);
      expect(spanToString(c.bytes, m.errorOffset, at.length)).toBe(at);
    });
  }
  it("ipv6-bad (RFC 5118 §4.2): an IPv6 address without brackets", () => {
    const m = parse(torture("rfc5118/wire", "ipv6-bad.dat"));
    expect(m.error).toBe(ParseError.BadRequestUri);
  });
  it("a bad message still keeps method, Call-ID, CSeq and Via", () => {
    const m = parse(torture("rfc4475", "ncl.dat"));
    expect(m.method).toBe(Method.INVITE);
    expect(m.callIdString()).toBe("ncl.0ha0isndaksdj2193423r542w35");
    expect(m.cseq).toBe(0);
    expect(str(m, m.via.branchStart, m.via.branchLen)).toBe("z9hG4bKkdjuw");
  });
});

describe("the answers RFC 4475 asks for, built by the writer", () => {
  // [file, status, reason, extra header expected in the answer]; 0 = drop, "" = accepted
  const answers: [string, number, string, string?][] = [
    ["badinv01.dat", 400, "Bad Request - Invalid Via"],
    ["clerr.dat", 400, "Bad Request - Content-Length Exceeds Message"],
    ["ncl.dat", 400, "Bad Request - Invalid Content-Length"],
    ["scalar02.dat", 400, "Bad Request - Invalid CSeq"],
    ["scalarlg.dat", 0, "response: dropped"],
    ["quotbal.dat", 400, "Bad Request - Invalid To"],
    ["ltgtruri.dat", 400, "Bad Request - Malformed Request-URI"],
    ["lwsruri.dat", 400, "Bad Request - Malformed Request-URI"],
    ["lwsstart.dat", 400, "Bad Request - Malformed Start Line"],
    ["trws.dat", 400, "Bad Request - Malformed Start Line"],
    ["escruri.dat", 400, "Bad Request - Malformed Request-URI"],
    ["baddate.dat", 400, "Bad Request - Invalid Date"],
    ["regbadct.dat", 400, "Bad Request - Invalid Contact"],
    ["badaspec.dat", 400, "Bad Request - Invalid To"],
    ["baddn.dat", 400, "Bad Request - Invalid From"],
    ["badvers.dat", 505, "Version Not Supported"],
    ["mismatch01.dat", 400, "Bad Request - CSeq Method Mismatch"],
    ["mismatch02.dat", 400, "Bad Request - CSeq Method Mismatch"],
    ["bigcode.dat", 0, "response: dropped"],
    ["insuf.dat", 400, "Bad Request - Missing From"],
    ["unkscm.dat", 416, "Unsupported URI Scheme"],
    ["novelsc.dat", 416, "Unsupported URI Scheme"],
    ["unksm2.dat", 405, "Method Not Allowed", "Allow"],
    ["bext01.dat", 420, "Bad Extension", "Unsupported: nothingSupportsThis, nothingSupportsThisEither"],
    ["invut.dat", 415, "Unsupported Media Type", "Accept"],
    ["regaut01.dat", 405, "Method Not Allowed", "Allow"],
    ["multi01.dat", 400, "Bad Request - Multiple From Values"],
    ["mcl01.dat", 400, "Bad Request - Conflicting Content-Length"],
    ["sdp01.dat", 406, "Not Acceptable", "Accept"],
    ["intmeth.dat", 501, "Not Implemented", "Allow"],
    ["esc02.dat", 501, "Not Implemented", "Allow"],
    ["zeromf.dat", 200, "accepted: an endpoint processes Max-Forwards 0 normally"],
    ["inv2543.dat", 200, "accepted"],
    ["wsinv.dat", 200, "accepted"],
    ["badbranch.dat", 200, "accepted"],
  ];
  const checker = new RequestChecker();
  const w = new SipWriter(4096);
  for (const [file, status, reason, extra] of answers) {
    it(`${file}: ${status === 200 ? reason : status === 0 ? reason : `${status} ${reason}`}`, () => {
      const req = parse(torture("rfc4475", file));
      const passed = checker.check(req, intercomPolicy);
      if (status === 200) {
        expect(passed).toBe(true);
        return;
      }
      expect(passed).toBe(false);
      expect(checker.status).toBe(status);
      if (status === 0) return;
      w.reset();
      expect(writeResponseHead(w, req, checker.status, checker.reason, ascii("b7c9e1"), 6, false)).toBe(true);
      if (checker.extra === Extra.Allow) w.headerBytes(H.Allow, ascii("INVITE, ACK, BYE, CANCEL, OPTIONS, INFO, MESSAGE, UPDATE, PRACK, REFER, NOTIFY, SUBSCRIBE"));
      if (checker.extra === Extra.Accept) w.headerBytes(H.Accept, ascii("application/sdp"));
      if (checker.extra === Extra.Unsupported) checker.writeUnsupported(w, req, intercomPolicy);
      w.end();
      expect(w.overflow).toBe(false);
      const res = parse(w.buf.subarray(0, w.length));
      const text = spanToString(w.buf, 0, w.length);
      expect(text.startsWith(`SIP/2.0 ${status} ${reason}\r\n`)).toBe(true);
      // A malformed Via, From, To or CSeq is copied as received (the client must recognise
      // its own request), so our answer carries the same fault; everything else parses.
      if ([ParseError.BadFrom, ParseError.BadTo, ParseError.BadVia, ParseError.BadCSeq].includes(req.error)) {
        expect(res.error).toBe(req.error);
        return;
      }
      expect(res.ok).toBe(true);
      expect(res.kind).toBe(Kind.Response);
      expect(res.status).toBe(status);
      expect(res.reasonString()).toBe(reason);
      // §8.2.6.2: Via values, From, Call-ID and CSeq copied; To gets our tag when it had none.
      expect(values(res, H.Via)).toEqual(values(req, H.Via));
      expect(res.getString(H.CSeq)).toBe(req.getString(H.CSeq));
      if (req.has(H.CallId)) expect(res.callIdString()).toBe(req.callIdString());
      if (req.has(H.To) && req.to.error < 0 && req.to.tagLen < 0) expect(str(res, res.to.tagStart, res.to.tagLen)).toBe("b7c9e1");
      if (extra) expect(text).toContain(extra.includes(":") ? extra : `${extra}: `);
      expect(text.endsWith("Content-Length: 0\r\n\r\n")).toBe(true);
    });
  }
  it("never answers an ACK, even a malformed one", () => {
    const bad = ascii("ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nCSeq: x ACK\r\n\r\n");
    expect(checker.check(parse(bad), intercomPolicy)).toBe(false);
    expect(checker.status).toBe(0);
  });
  it("uses the header names the writer knows", () => {
    expect(HEADER_NAMES[H.Unsupported]).toBe("Unsupported");
  });
});
