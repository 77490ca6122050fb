/*
 * What a call slot keeps in its one buffer (src/ua/call/call.ts, issue #9),
 * on the virtual clock: an outgoing call's Request-URI at the head of the
 * buffer, its credential lines at the end, then its ACK over both (kept
 * for the 2xx's retransmissions); an incoming INVITE in the same buffer
 * (513 when it does not fit); our tag in the dialog's own field, present
 * in every response, rejections before the dialog exists included; a
 * REFER's target read from the REFER itself; and the 2xx / reliable 1xx
 * retransmission and its 64*T1 wait on one timer entry.
 */
import { describe, expect, it } from "vitest";
import { H } from "../src/sip/message/header";
import { ackFor, hdr, OFFER, reply, request, rig, toTag, type Msg, type Rig } from "./support/call-harness";

function press(r: Rig): Msg {
  r.intercom.press();
  const out = r.take();
  expect(out.map((m) => m.kind)).toEqual(["INVITE"]);
  return out[0]!;
}

function digestUri(auth: string): string {
  return /uri="([^"]+)"/.exec(auth)![1]!;
}

describe("an outgoing call's Request-URI, credentials and ACK in the slot's buffer", () => {
  it("after a 3xx and a 401 then a 407, the INVITE goes to the Contact with both credentials; the ACK repeats them, the same bytes for each retransmitted 2xx", () => {
    const r = rig({ targets: ["100"] });
    // Redirected to another extension of the server itself: the credentials go only to the server (Call.challenge).
    const first = press(r);
    r.deliver(reply(first, 302, "Moved Temporarily", { extra: ["Contact: <sip:101@198.51.100.7:5070;transport=udp>"] }));
    const moved = r.take().find((m) => m.kind === "INVITE")!;
    expect(moved.msg.uriString()).toBe("sip:101@198.51.100.7:5070;transport=udp");
    r.deliver(reply(moved, 401, "Unauthorized", { extra: ['WWW-Authenticate: Digest realm="pbx.test", nonce="n401", algorithm=MD5'] }), 5070, "198.51.100.7");
    const second = r.take().find((m) => m.kind === "INVITE")!;
    expect(second.msg.uriString()).toBe("sip:101@198.51.100.7:5070;transport=udp");
    const www = hdr(second, H.Authorization)!;
    expect(digestUri(www)).toBe("sip:101@198.51.100.7:5070;transport=udp");
    r.deliver(reply(second, 407, "Proxy Authentication Required", { extra: ['Proxy-Authenticate: Digest realm="pbx.test", nonce="n407", qop="auth"'] }), 5070, "198.51.100.7");
    const third = r.take().find((m) => m.kind === "INVITE")!;
    expect(third.msg.uriString()).toBe("sip:101@198.51.100.7:5070;transport=udp");
    expect(third.msg.cseq).toBe(first.msg.cseq + 3);
    const auth = hdr(third, H.Authorization)!;
    const proxy = hdr(third, H.ProxyAuthorization)!;
    expect(auth).toContain('nonce="n401"');
    expect(proxy).toContain('nonce="n407"');
    expect(digestUri(auth)).toBe("sip:101@198.51.100.7:5070;transport=udp");
    expect(digestUri(proxy)).toBe("sip:101@198.51.100.7:5070;transport=udp");

    const ok = reply(third, 200, "OK", { body: OFFER, contact: "<sip:101@198.51.100.7:5070>" });
    r.deliver(ok, 5070, "198.51.100.7");
    const acks = r.take();
    expect(acks.map((m) => m.kind)).toEqual(["ACK"]);
    const ack = acks[0]!;
    expect(ack.msg.cseq).toBe(third.msg.cseq);
    expect(hdr(ack, H.Authorization)).toBe(auth);
    expect(hdr(ack, H.ProxyAuthorization)).toBe(proxy);
    expect(r.eventNames()).toContain("call up");
    for (let i = 0; i < 3; i++) {
      r.deliver(ok, 5070, "198.51.100.7");
      const again = r.take();
      expect(again.map((m) => m.text)).toEqual([ack.text]);
      expect(again[0]!.address).toBe("198.51.100.7");
    }
  });

  it("the slot then answers an incoming call from the same buffer, and places an outgoing one again", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 200, "OK", { body: OFFER }));
    const ack = r.take().find((m) => m.kind === "ACK")!;
    r.intercom.ua.calls[0]!.hangup();
    const bye = r.take().find((m) => m.kind === "BYE")!;
    r.deliver(reply(bye, 200, "OK"));
    expect(r.intercom.ua.activeCalls).toBe(0);

    r.deliver(request("INVITE", { body: OFFER, callId: "in-1@phone", branch: "z9hG4bKin1" }));
    const ok = r.take().find((m) => m.kind === "200")!;
    expect(hdr(ok, H.CallId)).toBe("in-1@phone");
    expect(hdr(ok, H.CSeq)).toBe("1 INVITE");
    r.deliver(ackFor(ok));
    r.deliver(request("BYE", { toTag: toTag(ok), callId: "in-1@phone", cseq: 2, branch: "z9hG4bKbye2" }));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);

    r.advance(10_000); // past the doorbell's guard time
    const next = press(r);
    expect(next.msg.uriString()).toBe(invite.msg.uriString());
    expect(next.msg.callIdString()).not.toBe(invite.msg.callIdString());
    r.deliver(reply(next, 200, "OK", { body: OFFER }));
    const ack2 = r.take().find((m) => m.kind === "ACK")!;
    expect(ack2.msg.uriString()).toBe(ack.msg.uriString());
    expect(ack2.msg.callIdString()).toBe(next.msg.callIdString());
  });
});

describe("an incoming INVITE in the slot's buffer, and our tag in the dialog", () => {
  it("an INVITE larger than call_buffer gets 513 with our To tag; one that fits is answered", () => {
    const r = rig({ calls: { messageBuffer: 800 } });
    const padding = ["X-Padding: " + "p".repeat(500)];
    r.deliver(request("INVITE", { body: OFFER, extra: padding }));
    const out = r.take();
    expect(out.map((m) => startLineOf(m))).toEqual(["SIP/2.0 513 Message Too Large"]);
    expect(toTag(out[0]!).length).toBeGreaterThan(0);
    r.deliver(request("INVITE", { body: OFFER, callId: "small@phone", branch: "z9hG4bKsmall" }));
    expect(r.take().map((m) => m.kind)).toEqual(["100", "180", "200"]);
  });

  it("an INVITE the dialog cannot take (no Contact; a Call-ID longer than 128 bytes) gets 400 with our To tag (set before the dialog's other fields)", () => {
    const r = rig();
    r.deliver(request("INVITE", { body: OFFER, contact: "" }));
    const out = r.take();
    expect(out.map((m) => startLineOf(m))).toEqual(["SIP/2.0 400 Bad Request - Missing or Invalid Contact"]);
    expect(toTag(out[0]!).length).toBe(16);
    const longId = "c".repeat(200) + "@phone";
    r.deliver(request("INVITE", { body: OFFER, callId: longId, branch: "z9hG4bKlong" }));
    const long = r.take();
    expect(long.map((m) => startLineOf(m))).toEqual(["SIP/2.0 400 Bad Request - Missing or Invalid Contact"]);
    expect(hdr(long[0]!, H.CallId)).toBe(longId);
    expect(toTag(long[0]!).length).toBe(16);
  });

  it("the To tag of 180, 200 and responses in the dialog is one, and the ACK and BYE match it", () => {
    const r = rig();
    r.deliver(request("INVITE", { body: OFFER }));
    const out = r.take();
    const tags = out.filter((m) => m.kind !== "100").map((m) => toTag(m));
    expect(tags).toHaveLength(2);
    expect(tags[0]).toBe(tags[1]);
    const ok = out.find((m) => m.kind === "200")!;
    r.deliver(ackFor(ok));
    r.deliver(request("OPTIONS", { toTag: toTag(ok), cseq: 2, branch: "z9hG4bKopt2" }));
    const options = r.take();
    expect(options.map((m) => m.kind)).toEqual(["200"]);
    expect(toTag(options[0]!)).toBe(tags[0]);
    r.deliver(request("BYE", { toTag: toTag(ok), cseq: 3, branch: "z9hG4bKbye3" }));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.events.find((e) => e.name === "call down")).toBeDefined();
  });
});

describe("REFER's target read where it is", () => {
  it("a Refer-To URI of more than 256 bytes gets 400 and no call; one of 256 is called", () => {
    // The target is a phone the owner trusts (a Refer-To names the account's domain or a trusted source).
    const r = rig({ trust: { allow: ["198.51.100.8"] } });
    r.deliver(request("INVITE", { body: OFFER }));
    const ok = r.take().find((m) => m.kind === "200")!;
    r.deliver(ackFor(ok));
    const uriOf = (n: number): string => {
      const head = "sip:";
      const tail = "@198.51.100.8:5080";
      return head + "u".repeat(n - head.length - tail.length) + tail;
    };
    const long = uriOf(257);
    r.deliver(request("REFER", { toTag: toTag(ok), cseq: 2, branch: "z9hG4bKrefer2", extra: [`Refer-To: <${long}>`] }));
    expect(r.takeLines()).toEqual(["SIP/2.0 400 Bad Request - Missing or Invalid Refer-To"]);
    const fits = uriOf(256);
    r.deliver(request("REFER", { toTag: toTag(ok), cseq: 3, branch: "z9hG4bKrefer3", extra: [`Refer-To: <${fits}?Replaces=abc>`] }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["202", "NOTIFY", "INVITE"]);
    expect(out[2]!.msg.uriString()).toBe(fits);
    expect(out[2]!.address).toBe("198.51.100.8");
    expect(out[2]!.port).toBe(5080);
  });
});

describe("the 2xx retransmission and its 64*T1 wait on one timer entry (§13.3.1.4)", () => {
  it("resends the 2xx at 0.5, 1.5, 3.5, 7.5, 11.5 ... s, and at 32 s sends BYE; the entry is then free", () => {
    const r = rig();
    r.deliver(request("INVITE", { body: OFFER }));
    const ok = r.take().find((m) => m.kind === "200")!;
    const at: number[] = [];
    for (let t = 0; t < 40_000; t += 100) {
      r.advance(100);
      for (const m of r.take()) at.push(m.kind === "200" ? m.at : -m.at);
    }
    const resent = at.filter((t) => t > 0);
    expect(resent.slice(0, 6)).toEqual([500, 1500, 3500, 7500, 11500, 15500]);
    expect(resent.every((t) => t < 32_000)).toBe(true);
    const byeAt = at.filter((t) => t < 0).map((t) => -t);
    expect(byeAt[0]).toBe(32_000);
    expect(ok.kind).toBe("200");
    expect(r.events.find((e) => e.name === "call down")).toBeUndefined();
  });
});

function startLineOf(m: Msg): string {
  return m.text.slice(0, m.text.indexOf("\r\n"));
}
