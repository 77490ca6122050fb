/*
 * The security review's findings (README, Security), on the virtual clock:
 * who can open the door, and who can make the door place calls with its
 * account. Each test failed before its fix.
 *
 * - Toll fraud by REFER: a transfer is taken only in a trusted call (an
 *   untrusted caller let in by accept_from=any got 202 and the door dialled
 *   its Refer-To), and only to the account's domain or a trusted source (a
 *   caller coming through the provider could have the door call any host).
 * - Credentials: a challenge is answered only for a request sent to the
 *   configured server; a call target, 3xx Contact or REFER target on
 *   another host that challenges gets no digest response, and a target on
 *   another host cannot redirect the door (3xx) to the door's own server.
 * - RTP: only the peer latches the stream; a stranger on the LAN who sprays
 *   the door's RTP port as the call starts, or during a c=0.0.0.0 hold,
 *   neither takes the stream nor types keys into the call.
 * - Keys while the call is on hold either way do not count.
 */
import { describe, expect, it } from "vitest";
import { UntrustedAction } from "../src/ua/trust/trust-settings";
import { writeRtpHeader } from "../src/media/rtp-packet";
import { writeTelephoneEvent } from "../src/media/telephone-event";
import type { UdpHost } from "../src/host";
import { H } from "../src/sip/message/header";
import { Method } from "../src/sip/message/method";
import { ackFor, answeredCall, hdr, OFFER, PEER, PEER_PORT, reply, request, rig, toTag, type Msg, type Rig } from "./support/call-harness";

/** A stranger: a host on the Internet, never configured anywhere. */
const STRANGER = "203.0.113.66";

/** A request in the call `ok` (the door's 200) from the phone, from PEER:PEER_PORT unless told. */
function inCall(ok: Msg, method: string, cseq: number, extra: string[] = [], body = "", contentType?: string): string {
  return request(method, { toTag: toTag(ok), cseq, branch: `z9hG4bK${method.toLowerCase()}${cseq}`, extra, body, contentType, contact: "" });
}

function info(ok: Msg, cseq: number, digit: string): string {
  return inCall(ok, "INFO", cseq, [], `Signal=${digit}\r\nDuration=160\r\n`, "application/dtmf-relay");
}

/** The 200 to the (re-)INVITE among what the door sent. */
function okOf(out: Msg[]): Msg {
  const ok = out.find((m) => m.kind === "200" && m.msg.cseqMethod === Method.INVITE);
  expect(ok).toBeDefined();
  return ok!;
}

describe("REFER: the door places no call a stranger asked for (toll fraud)", () => {
  it("accept_from=any: a stranger's call is answered, but its REFER gets 403 and the door dials nothing", () => {
    const r = rig({ trust: { acceptAny: true } });
    const ok = answeredCall(r, 5060, STRANGER);
    expect(r.intercom.ua.isTrustedCall(r.intercom.ua.calls[0]!)).toBe(false);
    r.deliver(inCall(ok, "REFER", 2, ["Refer-To: <sip:00900123456@pbx.test>"]), 5060, STRANGER);
    expect(r.takeLines()).toEqual(["SIP/2.0 403 Forbidden - Transfer Target Not Allowed"]);
    expect(r.intercom.ua.activeCalls).toBe(1);
    expect(r.logs).toContain("call 0: transfer refused (a call from an untrusted source)");
  });

  it("a trusted call: a Refer-To of a host on the Internet gets 403; one in the account's domain goes to the server", () => {
    const r = rig();
    const ok = answeredCall(r);
    r.deliver(inCall(ok, "REFER", 2, [`Refer-To: <sip:200@${STRANGER}:5060>`]));
    expect(r.takeLines()).toEqual(["SIP/2.0 403 Forbidden - Transfer Target Not Allowed"]);
    // Another domain by name, which an outbound proxy would carry there: refused as well.
    r.deliver(inCall(ok, "REFER", 3, ["Refer-To: <sip:200@evil.example>"]));
    expect(r.takeLines()).toEqual(["SIP/2.0 403 Forbidden - Transfer Target Not Allowed"]);
    expect(r.logs).toContain("call 0: transfer refused (a target outside the account's domain)");
    // The account's domain (case aside): the call goes through the server, which applies its own dialling rules.
    r.deliver(inCall(ok, "REFER", 4, ["Refer-To: <sip:200@PBX.test>"]));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["202", "NOTIFY", "INVITE"]);
    expect(`${out[2]!.address}:${out[2]!.port}`).toBe(`${PEER}:${PEER_PORT}`);
  });

  it("a trusted source as the Refer-To host (an allow_from phone) is called directly", () => {
    const r = rig({ trust: { allow: ["198.51.100.8"] } });
    const ok = answeredCall(r);
    r.deliver(inCall(ok, "REFER", 2, ["Refer-To: <sip:200@198.51.100.8:5080>"]));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["202", "NOTIFY", "INVITE"]);
    expect(`${out[2]!.address}:${out[2]!.port}`).toBe("198.51.100.8:5080");
  });
});

describe("credentials go only to the configured server", () => {
  const CHALLENGE = 'WWW-Authenticate: Digest realm="pbx.test", nonce="evil", algorithm=MD5';

  it("a call target on another host that challenges gets no digest response: the call ends", () => {
    const r = rig({ targets: [`sip:200@${STRANGER}`] });
    r.intercom.press();
    const invite = r.take().find((m) => m.kind === "INVITE")!;
    expect(invite.address).toBe(STRANGER);
    r.deliver(reply(invite, 401, "Unauthorized", { extra: [CHALLENGE] }), 5060, STRANGER);
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK"]);
    expect(hdr(out[0]!, H.Authorization)).toBeUndefined();
    expect(r.intercom.ua.activeCalls).toBe(0);
    expect(r.logs).toContain(`call 0: 401 to a request sent to ${STRANGER}, not the server: the account's credentials are not sent there`);
  });

  it("a 3xx to another host whose INVITE is challenged: not answered, the call ends", () => {
    const r = rig({ targets: ["100"] });
    r.intercom.press();
    const first = r.take().find((m) => m.kind === "INVITE")!;
    expect(first.address).toBe(PEER);
    // Redirected to a stranger's host, which challenges with a nonce of its choosing: no answer, the call ends.
    r.deliver(reply(first, 302, "Moved Temporarily", { extra: [`Contact: <sip:00900123456@${STRANGER}>`] }));
    const moved = r.take().find((m) => m.kind === "INVITE")!;
    expect(moved.address).toBe(STRANGER);
    r.deliver(reply(moved, 401, "Unauthorized", { extra: [CHALLENGE] }), 5060, STRANGER);
    expect(r.take().filter((m) => m.kind === "INVITE")).toEqual([]);
    expect(r.intercom.ua.activeCalls).toBe(0);
  });

  it("a target elsewhere cannot redirect the door to the account's own server or domain (where the credentials go)", () => {
    for (const contact of [`sip:00900123456@${PEER}:${PEER_PORT}`, "sip:00900123456@pbx.test"]) {
      const r = rig({ targets: ["sip:alice@friend.example"] });
      r.intercom.press();
      const invite = r.take().find((m) => m.kind === "INVITE")!;
      expect(invite.address).toBe("friend.example");
      r.deliver(reply(invite, 302, "Moved Temporarily", { extra: [`Contact: <${contact}>`] }), 5060, "friend.example");
      expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
      expect(r.events.find((e) => e.name === "call down")!.detail).toBe("rejected (302)");
      expect(r.logs.some((l) => l.includes(`a 302 of a target elsewhere to ${contact} is not followed`))).toBe(true);
    }
  });

  it("through an outbound proxy a target elsewhere redirects only within its own host", () => {
    const account = { registrarHost: PEER, registrarPort: PEER_PORT, domain: "pbx.test", user: "door", password: "doorpass", outboundProxyHost: "198.51.100.5", outboundProxyPort: 5060 };
    const r = rig({ account, targets: ["sip:alice@friend.example"] });
    r.intercom.press();
    const invite = r.take().find((m) => m.kind === "INVITE")!;
    expect(invite.address).toBe("198.51.100.5");
    r.deliver(reply(invite, 302, "Moved Temporarily", { extra: ["Contact: <sip:00900123456@premium.example>"] }), 5060, "198.51.100.5");
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    const r2 = rig({ account, targets: ["sip:alice@friend.example"] });
    r2.intercom.press();
    const invite2 = r2.take().find((m) => m.kind === "INVITE")!;
    r2.deliver(reply(invite2, 302, "Moved Temporarily", { extra: ["Contact: <sip:alice-mobile@FRIEND.example>"] }), 5060, "198.51.100.5");
    const out = r2.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "INVITE"]);
    expect(out[1]!.msg.uriString()).toBe("sip:alice-mobile@FRIEND.example");
  });

  it("the server's own challenge is answered, to a 3xx Contact at the server too", () => {
    const r = rig({ targets: ["100"] });
    r.intercom.press();
    const first = r.take().find((m) => m.kind === "INVITE")!;
    r.deliver(reply(first, 302, "Moved Temporarily", { extra: [`Contact: <sip:101@${PEER}:${PEER_PORT}>`] }));
    const moved = r.take().find((m) => m.kind === "INVITE")!;
    r.deliver(reply(moved, 401, "Unauthorized", { extra: ['WWW-Authenticate: Digest realm="pbx.test", nonce="good", algorithm=MD5'] }));
    const again = r.take().find((m) => m.kind === "INVITE")!;
    expect(hdr(again, H.Authorization)).toMatch(/nonce="good"/);
  });
});

/** The slot's RTP and RTCP sockets, sending nowhere: with them the media clock runs, which applies a re-INVITE's SDP each frame. */
class NullUdp implements UdpHost {
  readonly localAddress = "192.0.2.10";
  constructor(readonly localPort: number) {}
  send(): boolean {
    return true;
  }
}

function withMedia(r: Rig): Rig {
  r.intercom.attachMedia(0, new NullUdp(40100), new NullUdp(40101));
  return r;
}

/** An RFC 4733 key (event 0-11) as six packets: three with growing duration, three ends (§2.5.1.4); `seq` is advanced. */
function keyPackets(r: Rig, key: number, from: string, port: number, ssrc: number, seq: { n: number }, ts: number): void {
  for (let i = 0; i < 6; i++) {
    const b = new Uint8Array(16);
    writeRtpHeader(b, 0, 101, i === 0, seq.n++ & 0xffff, ts, ssrc);
    writeTelephoneEvent(b, 12, key, i >= 3, 10, 160 * Math.min(i + 1, 3));
    r.intercom.rtpReceiver(0)!.receive(b, b.length, from, port);
    r.advance(20);
  }
}

describe("RTP: only the call's peer latches the stream and types keys", () => {
  /** The phone on the LAN: its SDP names 192.168.1.50; a stranger on the same LAN sprays the door's RTP port. */
  const PHONE_LAN = "192.168.1.50";
  const LAN_STRANGER = "192.168.1.66";
  const lanOffer = OFFER.replace(/IN IP4 198\.51\.100\.7/g, `IN IP4 ${PHONE_LAN}`);

  it("a stranger on the LAN spraying telephone-events at the call's start neither latches nor opens the door; the phone's keys do", () => {
    const r = rig({ doorCode: "47" });
    r.deliver(request("INVITE", { body: lanOffer }));
    r.deliver(ackFor(okOf(r.take())));
    const session = r.intercom.media.session;
    expect(session.active).toBe(true);
    const seq = { n: 1000 };
    // The stranger is first, before the phone's first packet: the code, right, from another address.
    keyPackets(r, 4, LAN_STRANGER, 40000, 0x66666666, seq, 8000);
    keyPackets(r, 7, LAN_STRANGER, 40000, 0x66666666, seq, 9600);
    expect(session.latched).toBe(false);
    expect(session.dropped).toBe(12);
    expect(r.intercom.opener.openings).toBe(0);
    expect(r.eventNames()).not.toContain("dtmf");
    // The phone, from its SDP's address (another port: a firewall's): latched, and its code opens the door.
    const phone = { n: 1 };
    keyPackets(r, 4, PHONE_LAN, 49172, 0x0a0b0c0d, phone, 16000);
    keyPackets(r, 7, PHONE_LAN, 49172, 0x0a0b0c0d, phone, 17600);
    expect(session.latched).toBe(true);
    expect(`${session.remoteAddress}:${session.remotePort}`).toBe(`${PHONE_LAN}:49172`);
    expect(r.intercom.opener.openings).toBe(1);
  });

  it("behind a NAT (the SDP names a private address) a public source latches; a private one that is not the SDP's does not", () => {
    const r = rig({ doorCode: "47" });
    r.deliver(request("INVITE", { body: OFFER.replace(/IN IP4 198\.51\.100\.7/g, "IN IP4 10.1.2.3") }));
    r.deliver(ackFor(okOf(r.take())));
    const session = r.intercom.media.session;
    const seq = { n: 1 };
    keyPackets(r, 4, LAN_STRANGER, 40000, 0x66666666, seq, 8000);
    expect(session.latched).toBe(false);
    keyPackets(r, 4, PEER, 30000, 0x0a0b0c0d, seq, 9600);
    keyPackets(r, 7, PEER, 30000, 0x0a0b0c0d, seq, 11200);
    expect(`${session.remoteAddress}:${session.remotePort}`).toBe(`${PEER}:30000`);
    expect(r.intercom.opener.openings).toBe(1);
  });

  it("a c=0.0.0.0 hold drops the latch: nobody latches until the phone resumes, and then only the phone", () => {
    const r = withMedia(rig({ doorCode: "47" }));
    r.deliver(request("INVITE", { body: lanOffer }));
    const ok = okOf(r.take());
    r.deliver(ackFor(ok));
    const session = r.intercom.media.session;
    const phone = { n: 1 };
    keyPackets(r, 10, PHONE_LAN, 49170, 0x0a0b0c0d, phone, 8000); // "*": clears the entry
    expect(session.latched).toBe(true);
    // RFC 2543 hold (RFC 3264 §8.4): c=0.0.0.0.
    const held = lanOffer.replace(/c=IN IP4 192\.168\.1\.50/, "c=IN IP4 0.0.0.0").replace("2890844526 2890844526", "2890844526 2890844527");
    r.deliver(request("INVITE", { toTag: toTag(ok), cseq: 2, branch: "z9hG4bKhold", body: held }));
    r.deliver(ackFor(okOf(r.take()), { branch: "z9hG4bKackhold" }));
    r.advance(40);
    const stranger = { n: 5000 };
    keyPackets(r, 4, LAN_STRANGER, 40000, 0x66666666, stranger, 20000);
    keyPackets(r, 7, LAN_STRANGER, 40000, 0x66666666, stranger, 21600);
    expect(session.latched).toBe(false);
    expect(r.intercom.opener.openings).toBe(0);
    // Resumed: the stranger still gets nowhere.
    const resumed = lanOffer.replace("2890844526 2890844526", "2890844526 2890844528");
    r.deliver(request("INVITE", { toTag: toTag(ok), cseq: 3, branch: "z9hG4bKresume", body: resumed }));
    r.deliver(ackFor(okOf(r.take()), { branch: "z9hG4bKackresume" }));
    r.advance(40);
    keyPackets(r, 4, LAN_STRANGER, 40000, 0x66666666, stranger, 23200);
    keyPackets(r, 7, LAN_STRANGER, 40000, 0x66666666, stranger, 24800);
    expect(session.latched).toBe(false);
    expect(r.intercom.opener.openings).toBe(0);
    keyPackets(r, 4, PHONE_LAN, 49170, 0x0a0b0c0d, phone, 26400);
    keyPackets(r, 7, PHONE_LAN, 49170, 0x0a0b0c0d, phone, 28000);
    expect(session.latched).toBe(true);
    expect(r.intercom.opener.openings).toBe(1);
  });
});

describe("keys while the call is on hold do not count", () => {
  it("INFO keys in a call the phone holds (sendonly, inactive) are ignored; resumed, they count", () => {
    const r = rig({ doorCode: "47" });
    const ok = answeredCall(r);
    const hold = (cseq: number, direction: string): void => {
      const body = OFFER.replace("a=sendrecv", `a=${direction}`).replace("2890844526 2890844526", `2890844526 ${2890844526 + cseq}`);
      r.deliver(request("INVITE", { toTag: toTag(ok), cseq, branch: `z9hG4bKre${cseq}`, body }));
      r.deliver(ackFor(okOf(r.take()), { branch: `z9hG4bKack${cseq}` }));
    };
    hold(2, "sendonly");
    r.deliver(info(ok, 3, "4"));
    r.deliver(info(ok, 4, "7"));
    hold(5, "inactive");
    r.deliver(info(ok, 6, "4"));
    r.deliver(info(ok, 7, "7"));
    r.take();
    expect(r.intercom.opener.openings).toBe(0);
    expect(r.intercom.opener.wrongTotal).toBe(0);
    expect(r.logs).toContain("intercom: DTMF ignored: the call is on hold");
    hold(8, "sendrecv");
    r.deliver(info(ok, 9, "4"));
    r.deliver(info(ok, 10, "7"));
    expect(r.intercom.opener.openings).toBe(1);
  });
});

describe("trust: the untrusted action still applies", () => {
  it("a stranger's INFO with the live call's Call-ID and tags is turned away (403) and types nothing", () => {
    const r = rig({ doorCode: "4", trust: { untrusted: UntrustedAction.Reject } });
    const ok = answeredCall(r);
    r.deliver(info(ok, 2, "4"), 5060, STRANGER);
    expect(r.takeLines()).toEqual(["SIP/2.0 403 Forbidden - Untrusted Source"]);
    expect(r.intercom.opener.openings).toBe(0);
  });
});
