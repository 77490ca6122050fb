/*
 * Trusted sources (src/ua/trust) in the whole Intercom on the virtual clock:
 * INVITE, INFO, MESSAGE, REFER and UPDATE only from the registrar's address
 * and port, the allowlist, or (with no server) the local networks; others
 * get a stateless 403 or nothing, take no server transaction, are counted,
 * and are logged at a limited rate. Plus the allowlist syntax.
 */
import { describe, expect, it } from "vitest";
import { H } from "../src/sip/message/header";
import { isLocalIpv4, isLocalIpv6, parseIpv4 } from "../src/ua/trust/ipv4";
import { parseSourceEntry, SourceList } from "../src/ua/trust/source-list";
import { UntrustedAction } from "../src/ua/trust/trust-settings";
import { TrustPolicy } from "../src/ua/trust/trust-policy";
import { LimiterNum, limiterPending, limiterTake } from "../src/ua/trust/log-limiter";
import type { LogLevel } from "../src/host";
import { SeededRandom } from "./support/seeded-random";
import { ackFor, hdr, OFFER, PEER, PEER_PORT, request, rig, toTag, type Msg, type Rig } from "./support/call-harness";

const STRANGER = "203.0.113.9";

function forbidden(r: Rig): Msg[] {
  return r.take().filter((m) => m.kind === "403");
}

describe("allowlist entries", () => {
  it("reads addresses, address:port, IPv4 ranges and IPv6, and refuses the rest with a reason", () => {
    expect(parseSourceEntry("192.0.2.7")).toMatchObject({ ok: true, address: "192.0.2.7", net: -1, port: 0 });
    expect(parseSourceEntry(" 192.0.2.7:5062 ")).toMatchObject({ ok: true, address: "192.0.2.7", port: 5062 });
    expect(parseSourceEntry("192.168.1.77/24")).toMatchObject({ ok: true, address: "", net: parseIpv4("192.168.1.0"), mask: 0xffffff00, port: 0 });
    expect(parseSourceEntry("10.0.0.0/8:5060")).toMatchObject({ ok: true, net: 0x0a000000, mask: 0xff000000, port: 5060 });
    expect(parseSourceEntry("2001:DB8::7")).toMatchObject({ ok: true, address: "2001:db8::7", port: 0 });
    expect(parseSourceEntry("[2001:db8::7]:5060")).toMatchObject({ ok: true, address: "2001:db8::7", port: 5060 });
    for (const bad of ["", "pbx.example.com", "192.0.2.256", "192.0.2", "192.0.2.7:0", "192.0.2.7:70000", "192.0.2.0/33", "192.0.2.0/", "2001:db8::/32", "[::1", "01.2.3.4"]) {
      const e = parseSourceEntry(bad);
      expect(e.ok, bad).toBe(false);
      if (!e.ok) expect(e.error).toMatch(/^".*": /);
    }
  });

  it("matches by exact address, by range, and by port when one is given", () => {
    const list = new SourceList(["192.0.2.7", "198.51.100.0/24:5060", "2001:db8::7", "nonsense"]);
    expect(list.size).toBe(3);
    expect(list.errors).toEqual(['"nonsense": not an IP address (names are not looked up)']);
    const m = (a: string, p: number): boolean => list.matches(a, p, parseIpv4(a));
    expect(m("192.0.2.7", 1)).toBe(true);
    expect(m("192.0.2.8", 5060)).toBe(false);
    expect(m("198.51.100.200", 5060)).toBe(true);
    expect(m("198.51.100.200", 5061)).toBe(false);
    expect(m("198.51.101.1", 5060)).toBe(false);
    expect(m("2001:db8::7", 5060)).toBe(true);
    expect(isLocalIpv4(parseIpv4("172.31.255.255"))).toBe(true);
    expect(isLocalIpv4(parseIpv4("172.32.0.1"))).toBe(false);
    expect(isLocalIpv4(parseIpv4("8.8.8.8"))).toBe(false);
    expect(["::1", "fe80::1", "FD00::5"].map(isLocalIpv6)).toEqual([true, true, true]);
    expect(["2001:db8::1", "fec0::1"].map(isLocalIpv6)).toEqual([false, false]);
  });
});

describe("trusted sources: the registrar by default", () => {
  it("answers an INVITE from the registrar's address and port", () => {
    const r = rig();
    r.deliver(request("INVITE", { body: OFFER }));
    expect(r.takeLines()).toContain("SIP/2.0 200 OK");
    expect(r.intercom.trust.counters.rejected).toBe(0);
  });

  it("an INVITE from elsewhere (another address, or the registrar's address on another port) gets a stateless 403, no call, no transaction", () => {
    const r = rig();
    r.deliver(request("INVITE", { body: OFFER }), 5060, STRANGER);
    const out = r.take();
    expect(out.map((m) => m.text.slice(0, m.text.indexOf("\r\n")))).toEqual(["SIP/2.0 403 Forbidden - Untrusted Source"]);
    expect(out[0]!.address).toBe(STRANGER);
    expect(out[0]!.port).toBe(5060); // rport: the source port (RFC 3581 §4)
    expect(hdr(out[0]!, H.Via)).toContain(`received=${STRANGER}`);
    expect(hdr(out[0]!, H.Server)).toBeUndefined(); // nothing to fingerprint
    expect(toTag(out[0]!)).toMatch(/^[0-9a-f]{16}$/);
    expect(r.intercom.layer.serverCount).toBe(0);
    expect(r.intercom.ua.activeCalls).toBe(0);
    expect(r.eventNames()).toEqual([]);
    // §8.2.7: the retransmission gets the same answer, the same To tag; another request another tag.
    r.deliver(request("INVITE", { body: OFFER }), 5060, STRANGER);
    const again = forbidden(r);
    expect(again.map(toTag)).toEqual([toTag(out[0]!)]);
    r.deliver(request("INVITE", { body: OFFER, callId: "other@x" }), 5060, STRANGER);
    expect(toTag(forbidden(r)[0]!)).not.toBe(toTag(out[0]!));
    // The registrar's address from a port that is not the registrar's.
    r.deliver(request("INVITE", { body: OFFER, callId: "port@x" }), PEER_PORT + 1, PEER);
    expect(forbidden(r)).toHaveLength(1);
    expect(r.intercom.trust.counters).toMatchObject({ rejected: 4, dropped: 0 });
    // The ACK for the 403 is taken quietly; Timer H never runs: nothing is left.
    r.deliver(request("ACK", { toTag: "whatever" }), 5060, STRANGER);
    r.advance(40_000);
    expect(r.take()).toEqual([]);
    expect(r.intercom.layer.serverCount).toBe(0);
  });

  it("INFO, MESSAGE, REFER and UPDATE from elsewhere get 403; OPTIONS, BYE, SUBSCRIBE pass to the usual answers", () => {
    const r = rig();
    for (const method of ["INFO", "MESSAGE", "REFER", "UPDATE"]) {
      r.deliver(request(method, { body: "x", contentType: "text/plain", contact: "" }), 5060, STRANGER);
      expect(r.takeLines(), method).toEqual(["SIP/2.0 403 Forbidden - Untrusted Source"]);
    }
    r.deliver(request("OPTIONS", { contact: "" }), 5060, STRANGER);
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    r.deliver(request("BYE", { toTag: "t", contact: "" }), 5060, STRANGER);
    expect(r.takeLines()).toEqual(["SIP/2.0 481 Call/Transaction Does Not Exist"]);
    expect(r.intercom.trust.counters.rejected).toBe(4);
    expect(r.events.filter((e) => e.name === "message")).toEqual([]);
  });

  it("untrusted: drop sends nothing and takes no transaction, whatever a stranger sends outside a dialog", () => {
    const r = rig({ trust: { untrusted: UntrustedAction.Drop } });
    r.deliver(request("INVITE", { body: OFFER }), 5060, STRANGER);
    r.deliver(request("MESSAGE", { body: "hi", contentType: "text/plain", contact: "" }), 5060, STRANGER);
    expect(r.take()).toEqual([]);
    expect(r.intercom.layer.serverCount).toBe(0);
    expect(r.intercom.trust.counters).toMatchObject({ rejected: 0, dropped: 2 });
    r.advance(40_000);
    expect(r.take()).toEqual([]);
    // A scanner without its User-Agent (svmap -c): OPTIONS, REGISTER, SUBSCRIBE, a lone CANCEL or an unknown method
    // would each tell it a SIP device is here (200, 400, 489, 481, 501): none is answered.
    for (const method of ["OPTIONS", "REGISTER", "SUBSCRIBE", "CANCEL", "PUBLISH", "FOO"]) {
      r.deliver(request(method, { contact: "", branch: `z9hG4bKprobe${method}` }), 5060, STRANGER);
      expect(r.take(), method).toEqual([]);
    }
    expect(r.intercom.layer.serverCount).toBe(0);
    expect(r.intercom.trust.counters).toMatchObject({ rejected: 0, dropped: 8 });
    // A made-up To tag does not help: with no such dialog the BYE is dropped too (a 481 would give the door away).
    r.deliver(request("BYE", { toTag: "t", contact: "" }), 5060, STRANGER);
    expect(r.take()).toEqual([]);
    expect(r.intercom.trust.counters).toMatchObject({ rejected: 0, dropped: 9 });
    // The server and the allowlist are answered as ever.
    r.deliver(request("OPTIONS", { contact: "", branch: "z9hG4bKpeer" }), PEER_PORT, PEER);
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
  });

  it("untrusted: drop still lets a live dialog's request in from another address (its peer moved behind a NAT)", () => {
    const r = rig({ trust: { untrusted: UntrustedAction.Drop } });
    r.deliver(request("INVITE", { body: OFFER }));
    const ok = r.take().find((m) => m.kind === "200")!;
    r.deliver(ackFor(ok));
    expect(r.eventNames()).toContain("call up");
    r.deliver(request("BYE", { toTag: toTag(ok), callId: ok.msg.callIdString(), cseq: 2, branch: "z9hG4bKmoved", contact: "" }), 5060, STRANGER);
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.eventNames()).toContain("call down");
    expect(r.intercom.trust.counters).toMatchObject({ dropped: 0 });
  });

  it("untrusted: drop with acceptAny answers strangers' OPTIONS (acceptAny lets everyone in)", () => {
    const r = rig({ trust: { untrusted: UntrustedAction.Drop, acceptAny: true } });
    r.deliver(request("OPTIONS", { contact: "" }), 5060, STRANGER);
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.intercom.trust.counters).toMatchObject({ dropped: 0 });
  });

  it("the allowlist adds peers: an address, a range, an address:port", () => {
    const r = rig({ trust: { allow: ["203.0.113.0/24", "192.0.2.50:5062"] } });
    r.deliver(request("INVITE", { body: OFFER }), 5060, STRANGER);
    expect(r.takeLines()).toContain("SIP/2.0 200 OK");
    r.intercom.ua.hangupAll();
    r.take();
    r.deliver(request("MESSAGE", { body: "hi", contentType: "text/plain", contact: "" }), 5062, "192.0.2.50");
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    r.deliver(request("MESSAGE", { body: "hi", contentType: "text/plain", contact: "", callId: "m2" }), 5063, "192.0.2.50");
    expect(r.takeLines()).toEqual(["SIP/2.0 403 Forbidden - Untrusted Source"]);
    // The registrar stays trusted.
    r.deliver(request("MESSAGE", { body: "hi", contentType: "text/plain", contact: "", callId: "m3" }));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
  });

  it("with no server configured: the local networks (loopback, RFC 1918, link-local), or the allowlist alone when there is one", () => {
    const local = rig({ account: { registrarHost: "", user: "door", password: "" } });
    for (const [address, ok] of [["192.168.1.20", true], ["10.1.2.3", true], ["127.0.0.1", true], ["169.254.9.9", true], [STRANGER, false], ["8.8.8.8", false]] as const) {
      local.deliver(request("MESSAGE", { body: "hi", contentType: "text/plain", contact: "", callId: address }), 5060, address);
      expect(local.takeLines(), address).toEqual([ok ? "SIP/2.0 200 OK" : "SIP/2.0 403 Forbidden - Untrusted Source"]);
    }
    const listed = rig({ account: { registrarHost: "", user: "door", password: "" }, trust: { allow: [STRANGER] } });
    listed.deliver(request("MESSAGE", { body: "hi", contentType: "text/plain", contact: "" }), 5060, STRANGER);
    expect(listed.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    listed.deliver(request("MESSAGE", { body: "hi", contentType: "text/plain", contact: "", callId: "lan" }), 5060, "192.168.1.20");
    expect(listed.takeLines()).toEqual(["SIP/2.0 403 Forbidden - Untrusted Source"]);
  });

  it("inside a call the peer may send straight from the dialog's remote target; a forged tag or another address may not", () => {
    const r = rig({ doorCode: "#" });
    // Through the registrar (no Record-Route): the phone's Contact is its own address.
    const phone = "203.0.113.50";
    r.deliver(request("INVITE", { body: OFFER, contact: `<sip:100@${phone}:5062>` }));
    const ok = r.take().find((m) => m.kind === "200")!;
    r.deliver(ackFor(ok));
    const info = (cseq: number, tag: string): string =>
      request("INFO", { toTag: tag, callId: ok.msg.callIdString(), cseq, branch: `z9hG4bKinfo${cseq}`, body: "Signal=#\r\n", contentType: "application/dtmf-relay", contact: "" });
    r.deliver(info(2, "forged-tag"), 5062, phone);
    expect(r.takeLines()).toEqual(["SIP/2.0 403 Forbidden - Untrusted Source"]);
    r.deliver(info(3, toTag(ok)), 5062, "203.0.113.51");
    expect(r.takeLines()).toEqual(["SIP/2.0 403 Forbidden - Untrusted Source"]);
    expect(r.pins.relay).toBe(false);
    r.deliver(info(4, toTag(ok)), 5062, phone);
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.pins.relay).toBe(true);
    expect(r.intercom.trust.counters.rejected).toBe(2);
  });

  it("logs untrusted requests at most 5 a minute, then tells how many were held back", () => {
    const r = rig();
    for (let i = 0; i < 100; i++) r.deliver(request("INVITE", { body: OFFER, callId: `flood-${i}` }), 5060, STRANGER);
    expect(forbidden(r)).toHaveLength(100);
    expect(r.intercom.trust.counters.rejected).toBe(100);
    const lines = (): string[] => r.logs.filter((l) => l.startsWith("trust: 403") || l.includes("were not logged"));
    expect(lines()).toEqual(Array(5).fill(`trust: 403 to INVITE sent by ${STRANGER}:5060 (untrusted source)`));
    r.advance(60_000);
    r.deliver(request("INVITE", { body: OFFER, callId: "later" }), 5060, STRANGER);
    expect(lines().slice(5)).toEqual([
      "trust: 95 more requests from untrusted sources or scanners were not logged",
      `trust: 403 to INVITE sent by ${STRANGER}:5060 (untrusted source)`,
    ]);
  });

  it("a dual-stack socket's IPv4-mapped addresses (::ffff:a.b.c.d) count as the IPv4 address", () => {
    const r = rig({ trust: { allow: ["203.0.113.0/24"] } });
    r.deliver(request("MESSAGE", { body: "hi", contentType: "text/plain", contact: "" }), PEER_PORT, `::ffff:${PEER}`);
    r.deliver(request("MESSAGE", { body: "hi", contentType: "text/plain", contact: "", callId: "m2" }), 5060, "::FFFF:203.0.113.77");
    r.deliver(request("MESSAGE", { body: "hi", contentType: "text/plain", contact: "", callId: "m3" }), 5060, "::ffff:192.0.2.1");
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK", "SIP/2.0 200 OK", "SIP/2.0 403 Forbidden - Untrusted Source"]);
  });

  it("acceptAny lets calls from anywhere in, counted", () => {
    const r = rig({ trust: { acceptAny: true } });
    r.deliver(request("INVITE", { body: OFFER }), 5060, STRANGER);
    expect(r.takeLines()).toContain("SIP/2.0 200 OK");
    expect(r.intercom.trust.counters).toMatchObject({ rejected: 0, dropped: 0, acceptedUntrusted: 1 });
  });

  it("says at start whom it trusts", () => {
    const r = rig({ trust: { allow: ["192.0.2.0/24"], untrusted: UntrustedAction.Drop } });
    r.intercom.start();
    expect(r.logs).toContain(`trust: calls, INFO, MESSAGE and REFER accepted: ${PEER}:${PEER_PORT}, 1 allowlist entry; others dropped; SIP scanners dropped`);
  });
});

describe("the trust policy's servers and log limit, on their own", () => {
  const base = { random: new SeededRandom(1), clock: { now: (): number => 0 } };

  it("trusts the registrar and the outbound proxy each at its own port (an IPv6 proxy without brackets, in lower case), and nobody else", () => {
    const t = new TrustPolicy({ ...base, account: { registrarHost: "198.51.100.7", registrarPort: 5070, outboundProxyHost: "[2001:DB8::1]", outboundProxyPort: 5080, user: "door", password: "x" } });
    expect(t.isTrusted("198.51.100.7", 5070)).toBe(true);
    expect(t.isTrusted("2001:db8::1", 5080)).toBe(true);
    expect(t.isTrusted("2001:DB8::1", 5080)).toBe(true);
    expect(t.isTrusted("198.51.100.7", 5080)).toBe(false);
    expect(t.isTrusted("2001:db8::1", 5070)).toBe(false);
    expect(t.isTrusted("127.0.0.1", 5070)).toBe(false);
    expect(t.localDefault).toBe(false);
    expect(t.describe()).toContain("accepted: 198.51.100.7:5070, 2001:db8::1:5080;");
  });

  it("with only an outbound proxy, trusts it and not the local networks", () => {
    const t = new TrustPolicy({ ...base, account: { registrarHost: "", outboundProxyHost: "192.0.2.1", user: "door", password: "x" } });
    expect(t.isTrusted("192.0.2.1", 5060)).toBe(true);
    expect(t.isTrusted("192.0.2.1", 5061)).toBe(false);
    expect(t.isTrusted("192.168.1.20", 5060)).toBe(false);
    expect(t.localDefault).toBe(false);
    expect(t.describe()).toContain("accepted: 192.0.2.1:5060;");
  });

  it("with no server, trusts the local networks, also when every allowlist entry was refused; a valid entry replaces them", () => {
    const logged: string[] = [];
    const log = { log: (_l: LogLevel, text: string): void => void logged.push(text) };
    const t = new TrustPolicy({ ...base, log, account: { registrarHost: "", user: "door", password: "x" }, settings: { allow: ["pbx.example.com"] } });
    expect(logged.some((l) => l.includes("allowlist entry ignored"))).toBe(true);
    expect(t.localDefault).toBe(true);
    expect(t.isTrusted("192.168.1.20", 5060)).toBe(true);
    expect(t.isTrusted(STRANGER, 5060)).toBe(false);
    const a = new TrustPolicy({ ...base, account: { registrarHost: "", user: "door", password: "x" }, settings: { allow: [STRANGER] } });
    expect(a.localDefault).toBe(false);
    expect(a.isTrusted(STRANGER, 5099)).toBe(true);
    expect(a.isTrusted("192.168.1.20", 5060)).toBe(false);
  });

  it("the log limiter lets `lines` through per window, then counts what it holds back until the next window", () => {
    const n = new Float64Array(2 + LimiterNum.Size);
    const take = (now: number): boolean => limiterTake(n, 2, now, 60_000, 5);
    expect([0, 1, 2, 3, 4].map(take)).toEqual([true, true, true, true, true]);
    expect([5, 59_999].map(take)).toEqual([false, false]);
    expect(limiterPending(n, 2)).toBe(2);
    expect(limiterPending(n, 2)).toBe(0);
    expect(take(59_999)).toBe(false);
    expect(take(60_000)).toBe(true);
    expect(limiterPending(n, 2)).toBe(1);
    expect(n[2 + LimiterNum.SuppressedTotal]).toBe(3);
    expect(n[0]).toBe(0);
    expect(n[1]).toBe(0);
  });
});
