/*
 * The reader fields found on demand from others rather than stored (issue
 * #9: a slot each per reader): Via's sent-protocol spans, transport and
 * parameters' start; a URI's scheme length and user, password and host
 * starts; a name-addr's URI span, parameters' start, quoted display name and
 * "*" Contact. Each is checked against the bytes it must point at, on the
 * full readers and on the parser's one-pass readers (the top Via, From, To).
 */
import { describe, expect, it } from "vitest";
import { ascii, spanToString } from "../src/sip/message/bytes";
import { SipMessage } from "../src/sip/message/message";
import { NameAddr } from "../src/sip/message/name-addr";
import { SipParser } from "../src/sip/message/parser";
import { HostKind, Scheme, Uri } from "../src/sip/message/uri";
import { Transport, Via } from "../src/sip/message/via";

function s(buf: Uint8Array, start: number, len: number): string {
  return spanToString(buf, start, len);
}

describe("Via: sent-protocol spans, transport and parameters found from protocolStart and the sent-by", () => {
  it("with LWS and folds around the slashes and before the port's colon (RFC 3261 §25.1, RFC 4475 §3.1.1.1)", () => {
    const b = ascii("x: SIP  /   2.0\r\n /tcp\r\n    host.example.com \r\n : 5070 ;branch=z9hG4bKa;received=192.0.2.1");
    const v = new Via();
    expect(v.read(b, 3, b.length)).toBe(true);
    expect(s(b, v.protocolStart, v.protocolLen)).toBe("SIP");
    expect(s(b, v.versionStart, v.versionLen)).toBe("2.0");
    expect(s(b, v.transportStart, v.transportLen)).toBe("tcp");
    expect(v.transport).toBe(Transport.TCP);
    expect(v.isSip20()).toBe(true);
    expect(v.port).toBe(5070);
    expect(s(b, v.paramsStart, v.paramsEnd - v.paramsStart)).toBe(" ;branch=z9hG4bKa;received=192.0.2.1");
    expect(s(b, v.receivedStart, v.receivedLen)).toBe("192.0.2.1");
  });

  it("without a port the parameters start right after the host; an unknown transport is Other", () => {
    const b = ascii("SIP/2.0/SCTPX [2001:db8::1];rport");
    const v = new Via();
    expect(v.read(b, 0, b.length)).toBe(true);
    expect(s(b, v.transportStart, v.transportLen)).toBe("SCTPX");
    expect(v.transport).toBe(Transport.Other);
    expect(v.hostKind).toBe(HostKind.IPv6);
    expect(v.paramsStart).toBe(v.hostStart + v.hostLen);
    expect(v.rport).toBe(0);
  });

  it("the parser's one-pass Via gives the same, and a cleared Via shows none", () => {
    const msg = ascii(
      "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/WSS h.example.com:443;branch=z9hG4bK1\r\nFrom: <sip:x@y>;tag=1\r\nTo: sip:a@b\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n",
    );
    const m = new SipMessage();
    const p = new SipParser();
    expect(p.parse(msg, msg.length, m)).toBe(true);
    const v = m.via;
    expect(s(msg, v.transportStart, v.transportLen)).toBe("WSS");
    expect(v.transport).toBe(Transport.WSS);
    expect(s(msg, v.versionStart, v.versionLen)).toBe("2.0");
    expect(s(msg, v.paramsStart, v.paramsEnd - v.paramsStart)).toBe(";branch=z9hG4bK1");
    v.clear();
    expect([v.protocolLen, v.versionLen, v.transportLen, v.transport, v.paramsStart]).toEqual([0, 0, 0, Transport.Other, 0]);
  });
});

describe("Uri: scheme length and the user, password and host starts found from the spans", () => {
  it("user, password, host and port (§19.1.1)", () => {
    const b = ascii("SIPS:alice:secret@[2001:db8::2]:5061;transport=tls?subject=x");
    const u = new Uri();
    expect(u.read(b, 0, b.length)).toBe(true);
    expect(u.scheme).toBe(Scheme.Sips);
    expect(u.schemeLen).toBe(4);
    expect(s(b, u.userStart, u.userLen)).toBe("alice");
    expect(s(b, u.passwordStart, u.passwordLen)).toBe("secret");
    expect(s(b, u.hostStart, u.hostLen)).toBe("[2001:db8::2]");
    expect(u.port).toBe(5061);
    expect(u.findParam(ascii("transport"))).toBe(true);
    expect(s(b, u.paramValueStart, u.paramValueLen)).toBe("tls");
  });

  it("no userinfo: the host starts after the scheme; tel and other schemes keep their subscriber or rest as the user", () => {
    const u = new Uri();
    const a = ascii("sip:example.com;lr");
    expect(u.read(a, 0, a.length)).toBe(true);
    expect(s(a, u.hostStart, u.hostLen)).toBe("example.com");
    const t = ascii("tel:+1-201-555-0123;ext=1");
    expect(u.read(t, 0, t.length)).toBe(true);
    expect([u.scheme, u.schemeLen]).toEqual([Scheme.Tel, 3]);
    expect(s(t, u.userStart, u.userLen)).toBe("+1-201-555-0123");
    const o = ascii("urn:service:sos");
    expect(u.read(o, 0, o.length)).toBe(true);
    expect([u.scheme, u.schemeLen]).toEqual([Scheme.Other, 3]);
    expect(s(o, u.userStart, u.userLen)).toBe("service:sos");
  });
});

describe("NameAddr: URI span, parameters' start, quoted display name and star found on demand", () => {
  it("name-addr with a quoted display name; addr-spec; a star Contact (§20.10)", () => {
    const a = new NameAddr();
    const q = ascii(' "Bob \\"B\\"" <sip:bob@b.example.com> ;tag=9;expires=60');
    expect(a.read(q, 0, q.length)).toBe(true);
    expect(a.displayQuoted).toBe(true);
    expect(a.displayName()).toBe('Bob "B"');
    expect(s(q, a.uriStart, a.uriLen)).toBe("sip:bob@b.example.com");
    expect(s(q, a.paramsStart, a.paramsEnd - a.paramsStart)).toBe(" ;tag=9;expires=60");
    expect(a.star).toBe(false);

    const t = ascii("Bob <sip:b@c>");
    expect(a.read(t, 0, t.length)).toBe(true);
    expect(a.displayQuoted).toBe(false);
    expect(a.displayName()).toBe("Bob");

    const p = ascii("sip:carol@c.example.com;tag=abc");
    expect(a.read(p, 0, p.length)).toBe(true);
    expect(a.angle).toBe(false);
    expect(s(p, a.uriStart, a.uriLen)).toBe("sip:carol@c.example.com");
    expect(s(p, a.paramsStart, a.paramsEnd - a.paramsStart)).toBe(";tag=abc");
    expect(s(p, a.uri.hostStart, a.uri.hostLen)).toBe("c.example.com");

    const star = ascii(" * ");
    expect(a.read(star, 0, star.length)).toBe(true);
    expect(a.star).toBe(true);
    expect(a.paramsStart).toBe(a.paramsEnd);
    a.clear();
    expect([a.star, a.uriStart, a.uriLen, a.paramsStart, a.displayQuoted]).toEqual([false, 0, 0, 0, false]);
  });

  it("the message's From and To (sharing one parameter cursor) keep their own fields", () => {
    const msg = ascii(
      'INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK2\r\nFrom: "A" <sip:a@x.example>;tag=f1\r\nTo: <sip:b@y.example>;tag=t1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n',
    );
    const m = new SipMessage();
    expect(new SipParser().parse(msg, msg.length, m)).toBe(true);
    expect(m.to.params).toBe(m.from.params);
    expect(s(msg, m.from.uriStart, m.from.uriLen)).toBe("sip:a@x.example");
    expect(s(msg, m.from.tagStart, m.from.tagLen)).toBe("f1");
    expect(m.from.displayQuoted).toBe(true);
    expect(s(msg, m.to.uriStart, m.to.uriLen)).toBe("sip:b@y.example");
    expect(s(msg, m.to.paramsStart, m.to.paramsEnd - m.to.paramsStart)).toBe(";tag=t1");
    expect(s(msg, m.to.uri.hostStart, m.to.uri.hostLen)).toBe("y.example");
  });
});
