/*
 * Registration against a scripted registrar through the fake layer, on the
 * virtual clock. Rules checked, on the bytes of every REGISTER:
 * - RFC 3261 §10.2: Request-URI "sip:domain" with no user part; To and From
 *   are the AOR; From has a tag (§8.1.1.3); Contact carries the advertised
 *   address:port with user part; Expires and Contact expires; Max-Forwards 70
 *   (§8.1.1.6); Content-Length 0 (§18.3); Allow, User-Agent.
 * - §10.2.4 / §8.1.1.4: one Call-ID for all REGISTERs, CSeq increasing by one;
 *   §8.1.1.7: a new branch for every request.
 * - §10.2.4: refresh before expiry, at the documented rule, from the expiry
 *   the registrar granted to OUR Contact (§10.3 step 8 lists all bindings).
 * - §10.2.8 / §21.4.17: 423 -> retry with Min-Expires.
 * - §10.2.2: shutdown removes the binding (expires=0) with the same Call-ID
 *   and the next CSeq, then reports Unregistered.
 * - RFC 3581 §4: received/rport differing from our Contact -> re-register at
 *   once with the corrected Contact (old binding removed), once per change.
 * - §8.1.2: an outbound proxy gets the request, with a loose Route.
 */
import { describe, expect, it } from "vitest";
import { RegState, refreshDelayMs } from "../src/ua/registration";
import { CONTACT_ADDRESS_BYTES, ContactAddress, MAX_ADDRESS } from "../src/ua/contact-address";
import { packNumbers } from "../src/util/packed-numbers";
import { SipParser } from "../src/sip/message/parser";
import { SipMessage } from "../src/sip/message/message";
import { header, type ParsedRequest, parseRequest } from "./support/registrar";
import { setup } from "./support/registrar-setup";

function cseqOf(r: ParsedRequest): number {
  const v = header(r, "CSeq")!;
  expect(v).toMatch(/^\d+ REGISTER$/);
  return Number(v.split(" ")[0]);
}

function branchOf(r: ParsedRequest): string {
  return /branch=([^;]+)/.exec(header(r, "Via")!)![1]!;
}

/** Checks every REGISTER must pass, whatever the scenario. */
function checkCommon(reqs: ParsedRequest[]): void {
  const parser = new SipParser();
  const msg = new SipMessage();
  const callIds = new Set<string>();
  const branches = new Set<string>();
  let lastCseq = 0;
  const fromTags = new Set<string>();
  for (const r of reqs) {
    const bytes = Buffer.from(r.text);
    expect(parser.parse(bytes, bytes.length, msg), r.text).toBe(true);
    expect(r.method).toBe("REGISTER");
    expect(r.uri).toBe("sip:fritz.box");
    expect(header(r, "To")).toBe("<sip:door@fritz.box>");
    expect(header(r, "From")).toMatch(/^<sip:door@fritz\.box>;tag=[0-9a-f]{16}$/);
    fromTags.add(header(r, "From")!);
    expect(header(r, "Max-Forwards")).toBe("70");
    expect(header(r, "Content-Length")).toBe("0");
    expect(header(r, "User-Agent")).toBe("doorsip");
    // The methods the door's calls take, as its OPTIONS answers and calls say (a PBX may read them to decide what to send).
    expect(header(r, "Allow")).toBe("INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, MESSAGE, REFER, NOTIFY, SUBSCRIBE");
    expect(header(r, "Via")).toMatch(/^SIP\/2\.0\/UDP [^ ]+;branch=z9hG4bK[^;]+;rport$/);
    callIds.add(header(r, "Call-ID")!);
    branches.add(branchOf(r));
    const cseq = cseqOf(r);
    expect(cseq).toBe(lastCseq + 1);
    lastCseq = cseq;
    // Contact expires and Expires agree for the (first) Contact.
    const contact = header(r, "Contact")!;
    expect(contact).toMatch(/^<sip:door@[^>]+>;expires=\d+$/);
    expect(contact.split("expires=")[1]).toBe(header(r, "Expires"));
  }
  expect(callIds.size).toBe(1);
  expect(branches.size).toBe(reqs.length);
  expect(fromTags.size).toBe(reqs.length);
}

describe("registration", () => {
  it("registers with digest: 401 then 200, the whole exchange", () => {
    const s = setup();
    s.reg.start();
    expect(s.reg.state).toBe(RegState.Registering);
    s.clock.advance(1000);
    const regs = s.registrar.registers;
    expect(regs.map((e) => [e.status, e.auth])).toEqual([[401, "none"], [200, "ok"]]);
    checkCommon(regs.map((e) => e.request));
    const [first, second] = regs.map((e) => e.request);
    expect(header(first!, "Authorization")).toBeUndefined();
    expect(header(first!, "Contact")).toBe("<sip:door@192.168.1.50:5060>;expires=3600");
    expect(header(second!, "Authorization")).toMatch(/^Digest username="door", realm="doorsip.test", nonce="[^"]+", uri="sip:fritz.box", response="[0-9a-f]{32}", algorithm=MD5, cnonce="[0-9a-f]{16}", opaque="op4que", qop=auth, nc=00000001$/);
    expect(s.layer.sent.every((x) => x.address === "192.168.1.1" && x.port === 5060)).toBe(true);
    expect(s.reg.state).toBe(RegState.Registered);
    expect(s.reg.granted).toBe(3600);
    expect(s.states.map((x) => [x.state, x.status])).toEqual([[RegState.Registering, 0], [RegState.Registered, 200]]);
    expect(s.registrar.bindings).toEqual(new Map([["sip:door@192.168.1.50:5060", 3600]]));
    expect(s.layer.clientCount).toBe(0);
    expect(s.log.errors).toEqual([]);
  });

  it("moveServer (src/ua/server-name.ts): the REGISTER under way to the old address is given back, and one goes to the new address at once", () => {
    const s = setup();
    s.reg.start();
    s.clock.advance(1000);
    expect(s.reg.state).toBe(RegState.Registered);
    // The server stops answering: the refresh is under way (Timer E retransmitting) when the station moves.
    s.registrar.down = true;
    s.reg.refreshNow();
    s.clock.advance(2000);
    expect(s.layer.clientCount).toBe(1);
    const sent = s.layer.sent.length;
    s.registrar.down = false;
    s.reg.moveServer("198.51.100.20");
    s.clock.advance(1000);
    const after = s.layer.sent.slice(sent);
    // At once (a new nonce may be asked for first: 401, then the REGISTER again).
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(after[0]!.time).toBe(3000);
    expect(after.every((x) => x.method === "REGISTER" && x.address === "198.51.100.20")).toBe(true);
    expect(s.reg.state).toBe(RegState.Registered);
    // Nothing left of the old one: no transaction retransmits to the old address any more.
    expect(s.layer.clientCount).toBe(0);
    s.clock.advance(60_000);
    expect(s.layer.sent.slice(sent).every((x) => x.address === "198.51.100.20")).toBe(true);
  });

  it("refreshes over a virtual day: one round trip each, nonce reused with nc counting up", () => {
    const s = setup();
    s.reg.start();
    s.clock.advance(86_400_000);
    const regs = s.registrar.registers;
    checkCommon(regs.map((e) => e.request));
    // 3600 s granted: refresh at 3240 s (90 %): 86400 / 3240 -> 26 refreshes after the first registration.
    expect(refreshDelayMs(3600)).toBe(3_240_000);
    expect(regs.length).toBe(2 + 26);
    const refreshes = regs.slice(2);
    expect(refreshes.every((e) => e.status === 200 && e.auth === "ok")).toBe(true);
    const ncs = regs.slice(1).map((e) => header(e.request, "Authorization")!.match(/nc=([0-9a-f]{8})/)![1]);
    expect(ncs).toEqual(regs.slice(1).map((_, i) => (i + 1).toString(16).padStart(8, "0")));
    const nonces = new Set(regs.slice(1).map((e) => /nonce="([^"]+)"/.exec(header(e.request, "Authorization")!)![1]));
    expect(nonces.size).toBe(1);
    // Each refresh comes 3240 s after the previous REGISTER was sent (the binding's earliest start; its 200 came 20 ms later).
    const times = s.layer.sent.map((x) => x.time);
    for (let i = 2; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(3_240_000);
    expect(s.states.map((x) => x.state)).toEqual([RegState.Registering, RegState.Registered]);
    expect(s.reg.cseq).toBe(28);
  });

  it("uses the expiry granted to our own Contact, not another device's, nor the one asked for", () => {
    const s = setup({ maxExpires: 600, otherBinding: "sip:door@192.168.1.77:5060" }, { expires: 7200 });
    s.reg.start();
    s.clock.advance(1000);
    expect(header(s.registrar.registers[0]!.request, "Expires")).toBe("7200");
    expect(s.reg.granted).toBe(600);
    // 600 s: refresh 60 s early, counted from the REGISTER of 20 ms.
    s.clock.advance(540_000 - 1000 + 19);
    expect(s.registrar.registers.length).toBe(2);
    s.clock.advance(1);
    expect(s.registrar.registers.length).toBe(3);
  });

  it("falls back to the Expires header of the 200", () => {
    const s = setup({ maxExpires: 120, expiresHeaderOnly: true });
    s.reg.start();
    s.clock.advance(1000);
    expect(s.reg.granted).toBe(120);
    expect(refreshDelayMs(120)).toBe(60_000);
    expect(refreshDelayMs(60)).toBe(30_000);
    s.clock.advance(60_000);
    expect(s.registrar.registers.length).toBe(3);
  });

  it("423 Interval Too Brief: retries with Min-Expires at once", () => {
    const s = setup({ minExpires: 7200 }, { expires: 600 });
    s.reg.start();
    s.clock.advance(1000);
    const regs = s.registrar.registers;
    expect(regs.map((e) => e.status)).toEqual([401, 423, 200]);
    checkCommon(regs.map((e) => e.request));
    expect(regs.map((e) => header(e.request, "Expires"))).toEqual(["600", "600", "7200"]);
    expect(header(regs[2]!.request, "Contact")).toBe("<sip:door@192.168.1.50:5060>;expires=7200");
    expect(s.reg.state).toBe(RegState.Registered);
    expect(s.reg.expires).toBe(7200);
    expect(s.states.map((x) => x.state)).toEqual([RegState.Registering, RegState.Registered]);
  });

  it("unregisters on shutdown: expires=0, same Call-ID, next CSeq, then Unregistered", () => {
    const s = setup();
    s.reg.start();
    s.clock.advance(1000);
    s.reg.stop();
    expect(s.reg.state).toBe(RegState.Unregistering);
    s.clock.advance(1000);
    const regs = s.registrar.registers;
    checkCommon(regs.map((e) => e.request));
    const last = regs[regs.length - 1]!;
    expect(cseqOf(last.request)).toBe(3);
    expect(header(last.request, "Contact")).toBe("<sip:door@192.168.1.50:5060>;expires=0");
    expect(header(last.request, "Expires")).toBe("0");
    expect(last.auth).toBe("ok");
    expect(last.status).toBe(200);
    expect(s.registrar.bindings.size).toBe(0);
    expect(s.reg.state).toBe(RegState.Unregistered);
    expect(s.states.map((x) => x.state)).toEqual([RegState.Registering, RegState.Registered, RegState.Unregistering, RegState.Unregistered]);
    // Nothing is left running: no refresh fires later.
    s.clock.advance(86_400_000);
    expect(s.registrar.registers.length).toBe(3);
    expect(s.timers.size).toBe(0);
  });

  it("unregister answers a challenge when the nonce was dropped (stale)", () => {
    const s = setup();
    s.reg.start();
    s.clock.advance(1000);
    s.registrar.newNonce();
    s.reg.stop();
    s.clock.advance(1000);
    const tail = s.registrar.registers.slice(2);
    expect(tail.map((e) => [e.status, e.auth])).toEqual([[401, "stale"], [200, "ok"]]);
    checkCommon(s.registrar.registers.map((e) => e.request));
    expect(tail.every((e) => header(e.request, "Expires") === "0")).toBe(true);
    expect(s.reg.state).toBe(RegState.Unregistered);
  });

  it("stop() with a REGISTER in flight gives that transaction back to the layer: only the unregister is left", () => {
    const s = setup();
    s.registrar.down = true;
    s.reg.start();
    s.clock.advance(1);
    expect(s.layer.clientCount).toBe(1);
    s.reg.stop();
    // The REGISTER may still make a binding, so one unregister goes; the REGISTER's own transaction is not kept
    // retransmitting for Timer F (32 s) beside it.
    expect(s.reg.state).toBe(RegState.Unregistering);
    expect(s.layer.clientCount).toBe(1);
    s.clock.advance(40_000);
    expect(s.reg.state).toBe(RegState.Unregistered);
    expect(s.layer.clientCount).toBe(0);
  });

  it("stop() without a binding reports Unregistered at once, sending nothing", () => {
    const s = setup({}, {}, {});
    s.registrar.down = true;
    s.reg.start();
    s.clock.advance(40_000); // the first REGISTER times out
    expect(s.reg.state).toBe(RegState.Backoff);
    const n = s.layer.sent.length;
    s.reg.stop();
    expect(s.reg.state).toBe(RegState.Unregistered);
    expect(s.layer.sent.length).toBe(n);
    // and start() works again, with the same Call-ID and the next CSeq
    s.registrar.down = false;
    s.reg.start();
    s.clock.advance(1000);
    expect(s.reg.state).toBe(RegState.Registered);
    const all = s.layer.sent.map((x) => parseRequest(x.text));
    checkCommon(all);
  });

  it("rport/received: re-registers once with the corrected Contact and removes the old binding", () => {
    const s = setup();
    s.layer.publicAddress = "203.0.113.7";
    s.layer.publicPort = 40_001;
    s.reg.start();
    s.clock.advance(1000);
    const regs = s.registrar.registers;
    expect(regs.map((e) => e.status)).toEqual([401, 200, 200]);
    checkCommon(regs.map((e) => e.request));
    expect(s.layer.setAdvertisedCalls).toEqual([["203.0.113.7", 40_001]]);
    const fixed = regs[2]!.request;
    expect(fixed.headers.get("contact")).toEqual([
      "<sip:door@203.0.113.7:40001>;expires=3600",
      "<sip:door@192.168.1.50:5060>;expires=0",
    ]);
    expect(header(fixed, "Via")).toContain("SIP/2.0/UDP 203.0.113.7:40001;");
    expect(s.registrar.bindings).toEqual(new Map([["sip:door@203.0.113.7:40001", 3600]]));
    expect(s.reg.state).toBe(RegState.Registered);
    expect(s.states.map((x) => x.state)).toEqual([RegState.Registering, RegState.Registered]);
    // Refreshes keep the corrected Contact and do not re-register again.
    s.clock.advance(3_300_000);
    expect(s.registrar.registers.length).toBe(4);
    expect(s.registrar.registers[3]!.request.headers.get("contact")).toEqual(["<sip:door@203.0.113.7:40001>;expires=3600"]);
    // The NAT mapping changes: corrected once more.
    s.layer.publicPort = 40_002;
    s.clock.advance(3_300_000);
    expect(s.registrar.registers.map((e) => e.status).slice(4)).toEqual([200, 200]);
    expect(s.layer.setAdvertisedCalls).toEqual([["203.0.113.7", 40_001], ["203.0.113.7", 40_002]]);
    checkCommon(s.registrar.registers.map((e) => e.request));
  });

  it("rport/received: no loop when the layer does not take the corrected address", () => {
    const s = setup();
    s.layer.publicAddress = "203.0.113.7";
    s.layer.publicPort = 40_001;
    s.layer.setAdvertised = (address: string, port: number) => {
      s.layer.setAdvertisedCalls.push([address, port]); // ignored
    };
    s.reg.start();
    s.clock.advance(10_000);
    expect(s.registrar.registers.map((e) => e.status)).toEqual([401, 200, 200]);
    expect(s.layer.setAdvertisedCalls.length).toBe(1);
    expect(s.reg.state).toBe(RegState.Registered);
  });

  it("sends through the outbound proxy with a loose Route", () => {
    const s = setup({}, { outboundProxyHost: "10.0.0.9", outboundProxyPort: 5070 });
    s.reg.start();
    s.clock.advance(1000);
    expect(s.layer.sent.every((x) => x.address === "10.0.0.9" && x.port === 5070)).toBe(true);
    const r = s.registrar.registers[0]!.request;
    expect(r.uri).toBe("sip:fritz.box");
    expect(header(r, "Route")).toBe("<sip:10.0.0.9:5070;lr>");
    expect(s.reg.state).toBe(RegState.Registered);
  });

  it("advertises an IPv6 Contact in brackets", () => {
    const s = setup({ authenticate: false });
    s.layer.advertisedAddress = "2001:db8::5";
    s.reg.start();
    s.clock.advance(1000);
    expect(header(s.registrar.registers[0]!.request, "Contact")).toBe("<sip:door@[2001:db8::5]:5060>;expires=3600");
    expect(s.reg.state).toBe(RegState.Registered);
  });
});

describe("the registration's packed state", () => {
  it("packNumbers: zeroed numbers, then each text's UTF-8 where the table says, then the extra bytes", () => {
    const texts = ["REGISTER sip:pbx SIP/2.0\r\n", "", "Tür", "door@"];
    const n = packNumbers(8, 2, texts, 10);
    const b = new Uint8Array(n.buffer);
    expect(n.length).toBe(8);
    expect([n[0], n[1], n[7]]).toEqual([0, 0, 0]);
    expect(n[2]).toBe(8 * 8);
    const decoded = texts.map((_t, i) => Buffer.from(b.subarray(n[2 + i]!, n[3 + i]!)).toString("utf8"));
    expect(decoded).toEqual(texts);
    expect(n[3 + texts.length - 1]! - n[2]!).toBe(Buffer.byteLength(texts.join(""), "utf8"));
    expect(b.length - n[2 + texts.length]!).toBe(10);
  });

  it("ContactAddress: its length, port and IPv6 flag are bytes after it; addresses in one store stay apart", () => {
    const store = new ArrayBuffer(2 * CONTACT_ADDRESS_BYTES + 8);
    const a = new ContactAddress(store, 8);
    const c = new ContactAddress(store, 8 + CONTACT_ADDRESS_BYTES);
    expect([a.len, a.port, a.v6]).toEqual([0, 0, false]);
    expect(a.set("[2001:db8::7]", 65535)).toBe(true);
    expect(a.set("[2001:db8::7]", 65535)).toBe(false);
    expect([a.len, a.port, a.v6, a.source]).toEqual([11, 65535, true, "[2001:db8::7]"]);
    c.set("Door.Example", 5062);
    expect([c.len, c.port, c.v6]).toEqual([12, 5062, false]);
    expect(Buffer.from(a.bytes.subarray(0, a.len)).toString()).toBe("2001:db8::7");
    expect(a.sameHost(Buffer.from("[2001:DB8::7]"), 0, 13)).toBe(true);
    c.copy(a);
    expect([c.len, c.port, c.v6, c.source]).toEqual([11, 65535, true, "[2001:db8::7]"]);
    expect(c.equals(a)).toBe(true);
    c.port = 5060;
    expect(c.equals(a)).toBe(false);
    expect(a.port).toBe(65535);
    const via = Buffer.from("x203.0.113.5y");
    c.setSpan(via, 1, 11, 40000);
    expect([c.len, c.port, c.v6, c.source]).toEqual([11, 40000, false, ""]);
    expect(c.sameHost(via, 1, 11)).toBe(true);
    expect(a.len).toBe(11);
    expect(a.set("h".repeat(MAX_ADDRESS + 1), 5060)).toBe(true);
    expect(a.len).toBe(0);
    a.set("h".repeat(MAX_ADDRESS), 5060);
    expect(a.len).toBe(MAX_ADDRESS);
    expect(c.port).toBe(40000);
    a.clear();
    expect([a.len, a.port, a.v6, a.source]).toEqual([0, 0, false, ""]);
  });
});
