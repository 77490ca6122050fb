/*
 * Review of the security review (README, Security): rules of 9a3f920 that
 * turned away a real setup, or left a way round them, on the virtual clock.
 * Each test failed before its fix.
 *
 * - RTP from the PBX itself when its SDP names another media address
 *   (Asterisk's external_media_address, FreeSWITCH's ext-rtp-ip, a PBX on
 *   the LAN whose SDP names its public address): the PBX is the call's
 *   signalling peer, not a stranger, and latches; a stranger still does not.
 * - A target elsewhere redirecting the door (3xx) to the account's own
 *   server in another form: the domain with :5060 or a trailing dot, the
 *   server's own name, an IPv6 address in upper case.
 * - REFER: a maddr parameter (a proxy sends there) is refused; the
 *   server's own name (its SRV port) and the domain with a trailing dot go
 *   through the server.
 * - A challenge to an in-dialog request (BYE, a session refresh) of a call
 *   from the server under another address (a multi-homed PBX, its second
 *   address in allow_from): answered, as the server's; a stranger's call's
 *   challenge still gets nothing.
 */
import { describe, expect, it } from "vitest";
import { writeRtpHeader } from "../src/media/rtp-packet";
import { writeTelephoneEvent } from "../src/media/telephone-event";
import { ackFor, hdr, OFFER, PEER, reply, request, rig, toTag, type Msg, type Rig } from "./support/call-harness";
import { Method } from "../src/sip/message/method";
import type { UdpHost } from "../src/host";
import { H } from "../src/sip/message/header";
import { UntrustedAction } from "../src/ua/trust/trust-settings";

/** The slot's RTP and RTCP sockets, sending nowhere: with them the media clock runs, which applies a re-INVITE's SDP each frame. */
class NullUdp implements UdpHost {
  readonly localAddress = "192.0.2.10";
  constructor(readonly localPort: number) {}
  send(): boolean {
    return true;
  }
}

/** The 200 to the (re-)INVITE among what the door sent. */
function okOf(out: Msg[]): Msg {
  const ok = out.find((m) => m.kind === "200" && m.msg.cseqMethod === Method.INVITE);
  expect(ok).toBeDefined();
  return ok!;
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

describe("RTP from the PBX whose SDP names another media address", () => {
  /** The PBX's SDP names a media address of its own (public), while its RTP comes from its signalling address. */
  const MEDIA = "203.0.113.80";
  const STRANGER = "203.0.113.66";
  const pbxOffer = OFFER.replace(/IN IP4 198\.51\.100\.7/g, `IN IP4 ${MEDIA}`);

  it("the server's RTP latches (its keys open the door); a stranger's does not", () => {
    const r = rig({ doorCode: "47" });
    r.deliver(request("INVITE", { body: pbxOffer }));
    r.deliver(ackFor(okOf(r.take())));
    const session = r.intercom.media.session;
    const seq = { n: 1 };
    keyPackets(r, 4, STRANGER, 40000, 0x66666666, seq, 8000);
    keyPackets(r, 7, STRANGER, 40000, 0x66666666, seq, 9600);
    expect(session.latched).toBe(false);
    expect(r.intercom.opener.openings).toBe(0);
    const pbx = { n: 100 };
    keyPackets(r, 4, PEER, 10000, 0x0a0b0c0d, pbx, 16000);
    keyPackets(r, 7, PEER, 10000, 0x0a0b0c0d, pbx, 17600);
    expect(session.latched).toBe(true);
    expect(`${session.remoteAddress}:${session.remotePort}`).toBe(`${PEER}:10000`);
    expect(r.intercom.opener.openings).toBe(1);
  });

  it("on a c=0.0.0.0 hold not even the server latches; resumed, it does", () => {
    const r = rig({ doorCode: "47" });
    r.intercom.attachMedia(0, new NullUdp(40100), new NullUdp(40101));
    r.deliver(request("INVITE", { body: pbxOffer }));
    const ok = okOf(r.take());
    r.deliver(ackFor(ok));
    const session = r.intercom.media.session;
    const held = pbxOffer.replace(`c=IN IP4 ${MEDIA}`, "c=IN IP4 0.0.0.0").replace("2890844526 2890844526", "2890844526 2890844527");
    r.deliver(request("INVITE", { toTag: toTag(ok), cseq: 2, branch: "z9hG4bKhold", body: held }));
    r.deliver(ackFor(okOf(r.take()), { branch: "z9hG4bKackhold" }));
    r.advance(40);
    const pbx = { n: 100 };
    keyPackets(r, 4, PEER, 10000, 0x0a0b0c0d, pbx, 16000);
    expect(session.latched).toBe(false);
    const resumed = pbxOffer.replace("2890844526 2890844526", "2890844526 2890844528");
    r.deliver(request("INVITE", { toTag: toTag(ok), cseq: 3, branch: "z9hG4bKresume", body: resumed }));
    r.deliver(ackFor(okOf(r.take()), { branch: "z9hG4bKackresume" }));
    r.advance(40);
    keyPackets(r, 4, PEER, 10000, 0x0a0b0c0d, pbx, 17600);
    expect(session.latched).toBe(true);
  });
});

describe("a challenge to a BYE in a call from the server under another address", () => {
  const CHALLENGE = 'WWW-Authenticate: Digest realm="pbx.test", nonce="bye", algorithm=MD5';
  const SECOND = "198.51.100.8";

  it("the server's second address (allow_from) gets the digest response", () => {
    const r = rig({ trust: { allow: [SECOND] } });
    r.deliver(request("INVITE", { body: OFFER, contact: `<sip:pbx@${SECOND}:5060>` }), 5060, SECOND);
    const ok = r.take().find((m) => m.kind === "200")!;
    r.deliver(ackFor(ok), 5060, SECOND);
    r.intercom.ua.calls[0]!.hangup();
    const bye = r.take().find((m) => m.kind === "BYE")!;
    expect(`${bye.address}:${bye.port}`).toBe(`${SECOND}:5060`);
    r.deliver(reply(bye, 401, "Unauthorized", { toTag: null, extra: [CHALLENGE] }), 5060, SECOND);
    const again = r.take().find((m) => m.kind === "BYE");
    expect(again).toBeDefined();
    expect(hdr(again!, H.Authorization)).toMatch(/nonce="bye"/);
  });

  it("a stranger's call (accept_from=any) whose BYE is challenged gets no digest response", () => {
    const STRANGER = "203.0.113.66";
    const r = rig({ trust: { acceptAny: true } });
    r.deliver(request("INVITE", { body: OFFER, contact: `<sip:x@${STRANGER}:5060>` }), 5060, STRANGER);
    r.deliver(ackFor(r.take().find((m) => m.kind === "200")!), 5060, STRANGER);
    r.intercom.ua.calls[0]!.hangup();
    const bye = r.take().find((m) => m.kind === "BYE")!;
    r.deliver(reply(bye, 401, "Unauthorized", { toTag: null, extra: [CHALLENGE] }), 5060, STRANGER);
    expect(r.take().filter((m) => m.kind === "BYE")).toEqual([]);
  });
});

describe("a target elsewhere cannot redirect the door to its own server in another form", () => {
  for (const contact of ["sip:00900123456@pbx.test:5060", "sip:00900123456@PBX.test.", "sip:00900123456@sip.pbx.test", `sip:00900123456@${PEER}:5060`]) {
    it(`a 302 to ${contact} is not followed`, () => {
      const account = { registrarHost: PEER, registrarPort: 5060, domain: "pbx.test", serverName: "sip.pbx.test", user: "door", password: "doorpass" };
      const r = rig({ account, targets: ["sip:alice@friend.example"] });
      r.intercom.press();
      const invite = r.take().find((m) => m.kind === "INVITE")!;
      expect(invite.address).toBe("friend.example");
      r.deliver(reply(invite, 302, "Moved Temporarily", { extra: [`Contact: <${contact}>`] }), 5060, "friend.example");
      expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
      expect(r.logs.some((l) => l.includes(`a 302 of a target elsewhere to ${contact} is not followed`))).toBe(true);
    });
  }

  it("an IPv6 server's address in upper case is the server too", () => {
    const account = { registrarHost: "2001:db8::7", registrarPort: 5060, domain: "pbx.test", user: "door", password: "doorpass" };
    const r = rig({ account, targets: ["sip:alice@friend.example"] });
    r.intercom.press();
    const invite = r.take().find((m) => m.kind === "INVITE")!;
    r.deliver(reply(invite, 302, "Moved Temporarily", { extra: ["Contact: <sip:00900123456@[2001:DB8::7]>"] }), 5060, "friend.example");
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
  });
});

describe("REFER: a maddr parameter does not lead a transfer elsewhere", () => {
  it("a Refer-To in the account's domain with ;maddr= of another host gets 403 (a proxy sends the INVITE to maddr, RFC 3261 §16.5)", () => {
    const r = rig();
    r.deliver(request("INVITE", { body: OFFER }));
    const ok = okOf(r.take());
    r.deliver(ackFor(ok));
    const refer = (cseq: number, target: string): string =>
      request("REFER", { toTag: toTag(ok), cseq, branch: `z9hG4bKrefer${cseq}`, extra: [`Refer-To: <${target}>`], contact: "" });
    r.deliver(refer(2, "sip:00900123456@pbx.test;maddr=203.0.113.66"));
    expect(r.takeLines()).toEqual(["SIP/2.0 403 Forbidden - Transfer Target Not Allowed"]);
    r.deliver(refer(3, `sip:00900123456@${PEER};MADDR=203.0.113.66;lr`));
    expect(r.takeLines()).toEqual(["SIP/2.0 403 Forbidden - Transfer Target Not Allowed"]);
    // Other parameters (transport=, user=phone) change nothing: through the server as before.
    r.deliver(refer(4, "sip:200@pbx.test;user=phone;transport=udp"));
    expect(r.take().map((m) => m.kind)).toEqual(["202", "NOTIFY", "INVITE"]);
  });
});

describe("REFER to the server by its own name (the domain being another)", () => {
  it("a Refer-To naming the server's name, or the domain with a trailing dot, goes through the server", () => {
    const account = { registrarHost: PEER, registrarPort: 5070, domain: "pbx.test", serverName: "sip.pbx.test", user: "door", password: "doorpass" };
    for (const [cseq, target] of [[2, "sip:201@SIP.pbx.test"], [3, "sip:202@pbx.test."]] as const) {
      const r = rig({ account });
      r.deliver(request("INVITE", { body: OFFER }));
      const ok = okOf(r.take());
      r.deliver(ackFor(ok));
      r.deliver(request("REFER", { toTag: toTag(ok), cseq, branch: `z9hG4bKrefer${cseq}`, extra: [`Refer-To: <${target}>`], contact: "" }));
      const out = r.take();
      expect(out.map((m) => m.kind)).toEqual(["202", "NOTIFY", "INVITE"]);
      expect(`${out[2]!.address}:${out[2]!.port}`).toBe(`${PEER}:5070`);
    }
  });
});

describe("the SDP answer in an ACK or PRACK comes from the call's own side only (found by the stateful fuzzer)", () => {
  const STRANGER = "203.0.113.66";
  const STRANGER_SDP = OFFER.replace(/198\.51\.100\.7/g, STRANGER);

  it("a stranger's ACK with an answer, copied into a call whose 200 carried the door's offer, is dropped: the audio goes where the real ACK says", () => {
    for (const untrusted of [UntrustedAction.Reject, UntrustedAction.Drop]) {
      for (const acceptAny of [false, true]) {
        const r = rig({ trust: { untrusted, acceptAny } });
        r.deliver(request("INVITE", {})); // no offer: the door's 200 makes one, the ACK answers (§13.2.1)
        const ok = r.take().find((m) => m.kind === "200")!;
        r.deliver(ackFor(ok, { body: STRANGER_SDP }), 5060, STRANGER);
        expect(r.take(), `untrusted=${untrusted} acceptAny=${acceptAny}`).toEqual([]);
        const call = r.intercom.ua.calls[0]!;
        expect(call.remoteRtpAddress).not.toBe(STRANGER);
        r.deliver(ackFor(ok, { body: OFFER }));
        expect(call.remoteRtpAddress).toBe(PEER);
      }
    }
  });

  it("a stranger's PRACK with SDP changes nothing: the door's reliable 180 carries no offer, and a PRACK's body is not read", () => {
    const r = rig({ calls: { autoAnswerMs: 5000 } });
    r.deliver(request("INVITE", { body: OFFER, extra: ["Require: 100rel"] }));
    const reliable = r.take().find((m) => m.kind === "180")!;
    expect(reliable.msg.bodyLen).toBe(0);
    r.deliver(request("PRACK", {
      toTag: toTag(reliable), callId: reliable.msg.callIdString(), cseq: 2, branch: "z9hG4bKprack2", body: STRANGER_SDP,
      extra: [`RAck: ${hdr(reliable, H.RSeq)} 1 INVITE`], contact: "",
    }), 5060, STRANGER);
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]); // PRACK is taken from anywhere (a peer behind a NAT may move)
    expect(r.intercom.ua.calls[0]!.remoteRtpAddress).toBe(PEER);
  });
});
