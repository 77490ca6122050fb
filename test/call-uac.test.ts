/*
 * Doorbell calls, on the virtual clock: the door as UAC (RFC 3261 §13.2),
 * the whole message exchange checked: provisional responses, digest
 * challenges, redirects, failures, ACK for every 2xx, ring timeout and
 * CANCEL, the call time limit, the button during a call, route sets, and
 * sequential and parallel hunting.
 */
import { describe, expect, it } from "vitest";
import { HuntMode, ButtonAction } from "../src/app/intercom";
import { H } from "../src/sip/message/header";
import { Method } from "../src/sip/message/method";
import type { ClientTransactionHandle } from "../src/sip/transaction/api";
import { createHash } from "node:crypto";
import { ackFor, hdr, OFFER, offer, reply, request, rig, type Msg, type Rig } from "./support/call-harness";

function press(r: Rig): Msg {
  r.intercom.press();
  const out = r.take();
  expect(out.map((m) => m.kind)).toEqual(["INVITE"]);
  return out[0]!;
}

/** The callee's BYE in the dialog (or early dialog) of our INVITE `invite`, from its tag `calleeTag`, sent from `via`. */
function calleeBye(invite: Msg, calleeTag: string, branch: string, cseq = 1, via = "198.51.100.7:5070"): string {
  const fromTag = /tag=([0-9a-f]+)/.exec(hdr(invite, H.From)!)![1]!;
  return [
    "BYE sip:door@192.0.2.10:5060 SIP/2.0", `Via: SIP/2.0/UDP ${via};branch=${branch}`, "Max-Forwards: 70",
    `From: <sip:100@pbx.test>;tag=${calleeTag}`, `To: <sip:door@pbx.test>;tag=${fromTag}`, `Call-ID: ${invite.msg.callIdString()}`,
    `CSeq: ${cseq} BYE`, "Content-Length: 0", "", "",
  ].join("\r\n");
}

/** A reliable 183 (RFC 3262) from `toTag` to our `invite`, with an SDP: the door's PRACK in that early dialog, CSeq + 1. */
function prackedEarly(r: Rig, invite: Msg, toTag: string): Msg {
  r.deliver(reply(invite, 183, "Session Progress", { toTag, extra: ["Require: 100rel", "RSeq: 1"], body: OFFER }));
  const out = r.take();
  expect(out.map((m) => m.kind)).toEqual(["PRACK"]);
  expect(out[0]!.msg.cseq).toBe(invite.msg.cseq + 1);
  return out[0]!;
}

function body(m: Msg): string {
  return m.text.slice(m.text.indexOf("\r\n\r\n") + 4);
}

const md5 = (s: string): string => createHash("md5").update(s).digest("hex");

describe("doorbell call (UAC)", () => {
  it("INVITE with the G.711 offer to the target through the registrar; 100, 180, 200 → ACK; BYE from the callee", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    expect(invite.msg.uriString()).toBe("sip:100@pbx.test");
    expect(invite.address).toBe("198.51.100.7");
    expect(invite.port).toBe(5070);
    expect(hdr(invite, H.From)).toMatch(/^<sip:door@pbx\.test>;tag=[0-9a-f]{16}$/);
    expect(hdr(invite, H.To)).toBe("<sip:100@pbx.test>");
    expect(hdr(invite, H.Contact)).toBe("<sip:door@192.0.2.10:5060>");
    expect(hdr(invite, H.ContentType)).toBe("application/sdp");
    expect(body(invite)).toContain("m=audio 40000 RTP/AVP 0 8 101\r\n");
    expect(r.eventNames()).toEqual(["button pressed"]);

    r.deliver(reply(invite, 100, "Trying", { toTag: null }));
    r.deliver(reply(invite, 180, "Ringing"));
    expect(r.eventNames()).toEqual(["button pressed", "ringing"]);
    const ok = reply(invite, 200, "OK", { body: OFFER.replace("RTP/AVP 0 8 101", "RTP/AVP 8 101") });
    r.deliver(ok);
    const acks = r.take();
    expect(acks.map((m) => m.kind)).toEqual(["ACK"]);
    const ack = acks[0]!;
    expect(ack.msg.uriString()).toBe("sip:100@198.51.100.7:5070"); // the remote target (§13.2.2.4)
    expect(hdr(ack, H.CSeq)).toBe(`${invite.msg.cseq} ACK`);
    expect(hdr(ack, H.To)).toBe("<sip:100@pbx.test>;tag=callee-tag");
    expect(ack.msg.via.branchLen).toBeGreaterThan(7);
    expect(r.eventNames()).toEqual(["button pressed", "ringing", "call up"]);
    expect(r.intercom.ua.calls[0]!.codec).toBe(8);

    // A retransmitted 200 gets the same ACK again.
    r.deliver(ok);
    expect(r.take().map((m) => m.text)).toEqual([ack.text]);

    const callId = invite.msg.callIdString();
    const fromTag = /tag=([0-9a-f]+)/.exec(hdr(invite, H.From)!)![1]!;
    r.deliver([
      "BYE sip:door@192.0.2.10:5060 SIP/2.0",
      "Via: SIP/2.0/UDP 198.51.100.7:5070;branch=z9hG4bKbye",
      "From: <sip:100@pbx.test>;tag=callee-tag",
      `To: <sip:door@pbx.test>;tag=${fromTag}`,
      `Call-ID: ${callId}`,
      "CSeq: 1 BYE",
      "Max-Forwards: 70",
      "Content-Length: 0",
      "",
      "",
    ].join("\r\n"));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.eventNames().slice(-2)).toEqual(["call down", "hunt over"]);
  });

  it("answers 407 with the stored credentials: a new INVITE, CSeq + 1, same Call-ID, Proxy-Authorization (§22.3)", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 407, "Proxy Authentication Required", { extra: ['Proxy-Authenticate: Digest realm="pbx.test", nonce="abc123", qop="auth", algorithm=MD5'] }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "INVITE"]); // the ACK for the 407 is the transaction's (§17.1.1.3)
    const again = out[1]!;
    expect(again.msg.callIdString()).toBe(invite.msg.callIdString());
    expect(again.msg.cseq).toBe(invite.msg.cseq + 1);
    expect(hdr(again, H.From)).toBe(hdr(invite, H.From));
    const auth = hdr(again, H.ProxyAuthorization)!;
    expect(auth).toMatch(/^Digest /);
    const p = Object.fromEntries([...auth.matchAll(/(\w+)="?([^",]+)"?/g)].map((m) => [m[1], m[2]]));
    expect(p.username).toBe("door");
    expect(p.uri).toBe("sip:100@pbx.test");
    const ha1 = md5("door:pbx.test:doorpass");
    const ha2 = md5("INVITE:sip:100@pbx.test");
    expect(p.response).toBe(md5(`${ha1}:abc123:${p.nc}:${p.cnonce}:auth:${ha2}`));
    // A second challenge means the credentials are wrong: the call ends (no loop).
    r.deliver(reply(again, 407, "Proxy Authentication Required", { extra: ['Proxy-Authenticate: Digest realm="pbx.test", nonce="def456", qop="auth"'] }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(r.events.find((e) => e.name === "call down")!.detail).toBe("rejected (407)");
  });

  it("a 2xx to the challenged INVITE (after its 407), then the retry's 2xx in that same dialog: the first ended with BYE, the call fails, no second BYE (found by test/sfuzz.test.ts)", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 407, "Proxy Authentication Required", { extra: ['Proxy-Authenticate: Digest realm="pbx.test", nonce="abc123"'] }));
    const again = r.take().find((m) => m.kind === "INVITE")!;
    // A peer that breaks §17: the challenged INVITE answered 2xx as well. No live call's: ACKed and ended.
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "x-tag" }));
    const first = r.take();
    expect(first.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    // The retry answered from the same phone: the same dialog (Call-ID and tags), which the door has ended.
    r.deliver(reply(again, 200, "OK", { body: OFFER, toTag: "x-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(r.eventNames()).not.toContain("call up");
    expect(r.events.find((e) => e.name === "call down")!.detail).toBe("failed (200)");
    expect(r.intercom.ua.activeCalls).toBe(0);
  });

  it("answers 401 with Authorization (§22.2) and repeats the credentials in the ACK of the 2xx", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 401, "Unauthorized", { extra: ['WWW-Authenticate: Digest realm="pbx.test", nonce="n401", algorithm=MD5'] }));
    const again = r.take().find((m) => m.kind === "INVITE")!;
    const auth = hdr(again, H.Authorization)!;
    expect(auth).toContain('username="door"');
    expect(auth).toContain('nonce="n401"');
    r.deliver(reply(again, 200, "OK", { body: OFFER }));
    const ack = r.take()[0]!;
    expect(ack.kind).toBe("ACK");
    expect(hdr(ack, H.Authorization)).toBe(auth);
  });

  it("a BYE challenged with a fresh nonce after the authenticated INVITE succeeded is sent again with it, once (3CX: test/interop-pbx.test.ts)", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 407, "Proxy Authentication Required", { extra: ['Proxy-Authenticate: Digest nonce="n1",algorithm=MD5,realm="pbx.test"'] }));
    const again = r.take().find((m) => m.kind === "INVITE")!;
    r.deliver(reply(again, 200, "OK", { body: OFFER }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    r.intercom.ua.hangupAll();
    const bye = r.take();
    expect(bye.map((m) => m.kind)).toEqual(["BYE"]);
    expect(hdr(bye[0]!, H.ProxyAuthorization)).toContain('nonce="n1"');
    // The PBX takes each nonce once and challenges the BYE without stale=true: the INVITE's success proved the
    // password, so this is an expired nonce (RFC 2617 §3.2.1 leaves it to the client), not rejected credentials.
    r.deliver(reply(bye[0]!, 407, "Proxy Authentication Required", { toTag: null, extra: ['Proxy-Authenticate: Digest nonce="n2",algorithm=MD5,realm="pbx.test"'] }));
    const bye2 = r.take();
    expect(bye2.map((m) => m.kind)).toEqual(["BYE"]);
    expect(bye2[0]!.msg.cseq).toBe(bye[0]!.msg.cseq + 1);
    const auth = hdr(bye2[0]!, H.ProxyAuthorization)!;
    const p = Object.fromEntries([...auth.matchAll(/(\w+)="?([^",]+)"?/g)].map((m) => [m[1], m[2]]));
    expect(p.nonce).toBe("n2");
    expect(p.response).toBe(md5(`${md5("door:pbx.test:doorpass")}:n2:${md5(`BYE:${p.uri}`)}`));
    expect(r.events.some((e) => e.name === "call down")).toBe(false);
    // A second challenge of the same BYE is not answered again: the call ends at the door.
    r.deliver(reply(bye2[0]!, 407, "Proxy Authentication Required", { toTag: null, extra: ['Proxy-Authenticate: Digest nonce="n3",algorithm=MD5,realm="pbx.test"'] }));
    expect(r.take()).toEqual([]);
    expect(r.events.find((e) => e.name === "call down")!.detail).toBe("local hangup");
  });

  it("follows the first Contact of a 3xx once", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 302, "Moved Temporarily", { extra: ["Contact: <sip:101@198.51.100.9:5090>, <sip:102@198.51.100.9>"] }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "INVITE"]);
    expect(out[1]!.msg.uriString()).toBe("sip:101@198.51.100.9:5090");
    expect(out[1]!.address).toBe("198.51.100.9");
    expect(out[1]!.port).toBe(5090);
    r.deliver(reply(out[1]!, 301, "Moved Permanently", { extra: ["Contact: <sip:103@198.51.100.9>"] }), 5090, "198.51.100.9");
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(r.events.find((e) => e.name === "call down")!.detail).toBe("rejected (301)");
  });

  it("4xx-6xx end the call with the reason logged; 486 is busy", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 486, "Busy Here"));
    expect(r.events.find((e) => e.name === "call down")!.detail).toBe("busy (486)");
    expect(r.logs.some((l) => l.includes("rejected: 486 Busy Here"))).toBe(true);
  });

  it("ring timeout: CANCEL, then the 487 is acknowledged and the call ends as not answered", () => {
    const r = rig({ targets: ["100"], calls: { ringTimeoutMs: 20_000 } });
    const invite = press(r);
    r.deliver(reply(invite, 180, "Ringing"));
    r.advance(19_999);
    expect(r.take()).toEqual([]);
    r.advance(1);
    const cancel = r.take();
    expect(cancel.map((m) => m.kind)).toEqual(["CANCEL"]);
    expect(cancel[0]!.msg.uriString()).toBe(invite.msg.uriString());
    expect(hdr(cancel[0]!, H.CSeq)).toBe(`${invite.msg.cseq} CANCEL`);
    r.deliver(reply(cancel[0]!, 200, "OK"));
    r.deliver(reply(invite, 487, "Request Terminated"));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(r.events.find((e) => e.name === "call down")!.detail).toBe("no answer (487)");
  });

  it("the ring timeout stops at the answer; the time limit then runs from the answer (one timer entry serves both)", () => {
    const r = rig({ targets: ["100"], calls: { ringTimeoutMs: 20_000, callLimitMs: 30_000 } });
    const invite = press(r);
    r.deliver(reply(invite, 180, "Ringing"));
    r.advance(5000);
    r.deliver(reply(invite, 200, "OK", { body: OFFER }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    // Past the ring timeout: no CANCEL, no BYE.
    r.advance(29_999);
    expect(r.take()).toEqual([]);
    r.advance(1);
    expect(r.take().map((m) => m.kind)).toEqual(["BYE"]);
  });

  it("a 200 that crosses the CANCEL is acknowledged and ended with BYE (§9.1)", () => {
    const r = rig({ targets: ["100"], calls: { ringTimeoutMs: 5000 } });
    const invite = press(r);
    r.deliver(reply(invite, 180, "Ringing"));
    r.advance(5000);
    expect(r.take().map((m) => m.kind)).toEqual(["CANCEL"]);
    r.deliver(reply(invite, 200, "OK", { body: OFFER }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK", "BYE"]);
  });

  it("the call time limit sends BYE; the BYE follows the route set (loose routing, §12.2.1.1)", () => {
    const r = rig({ targets: ["100"], calls: { callLimitMs: 90_000 } });
    const invite = press(r);
    r.deliver(reply(invite, 200, "OK", { body: OFFER, extra: ["Record-Route: <sip:198.51.100.1:5060;lr>, <sip:10.0.0.1;lr>"] }));
    const ack = r.take()[0]!;
    // §12.1.2: the UAC's route set is the Record-Route reversed.
    expect(ack.text).toContain("Route: <sip:10.0.0.1;lr>\r\nRoute: <sip:198.51.100.1:5060;lr>\r\n");
    expect(ack.address).toBe("10.0.0.1");
    expect(ack.msg.uriString()).toBe("sip:100@198.51.100.7:5070");
    r.advance(90_000);
    const bye = r.take();
    expect(bye.map((m) => m.kind)).toEqual(["BYE"]);
    expect(bye[0]!.address).toBe("10.0.0.1");
    expect(bye[0]!.msg.cseq).toBe(invite.msg.cseq + 1);
    r.deliver(reply(bye[0]!, 200, "OK", { toTag: null }));
    expect(r.events.find((e) => e.name === "call down")!.detail).toBe("time limit");
  });

  it("strict routing: the Request-URI is the first route and the remote target goes last (§12.2.1.1)", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 200, "OK", { body: OFFER, extra: ["Record-Route: <sip:198.51.100.1:5061>"] }));
    const ack = r.take()[0]!;
    expect(ack.msg.uriString()).toBe("sip:198.51.100.1:5061");
    expect(ack.text).toContain("Route: <sip:100@198.51.100.7:5070>\r\n");
    expect(ack.port).toBe(5061);
  });

  it("183 with SDP is early media: the answer is taken before the 200 (§13.2.1)", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 183, "Session Progress", { body: OFFER.replace("RTP/AVP 0 8 101", "RTP/AVP 8").replace("49170", "30000") }));
    const call = r.intercom.ua.calls[0]!;
    expect(call.codec).toBe(8);
    expect(call.remoteRtpPort).toBe(30000);
    expect(r.eventNames()).toEqual(["button pressed", "ringing"]);
    r.deliver(reply(invite, 200, "OK"));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(r.eventNames()).toContain("call up");
  });

  it("acknowledges a reliable 180 with PRACK (RFC 3262 §4), once per RSeq", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    const ringing = reply(invite, 180, "Ringing", { extra: ["Require: 100rel", "RSeq: 7"] });
    r.deliver(ringing);
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["PRACK"]);
    expect(hdr(out[0]!, H.RAck)).toBe(`7 ${invite.msg.cseq} INVITE`);
    expect(out[0]!.msg.uriString()).toBe("sip:100@198.51.100.7:5070");
    r.deliver(ringing);
    expect(r.take()).toEqual([]);
  });

  it("a BYE from the callee in the early dialog (§15 forbids it, some PBXes do it): 200, then our INVITE is CANCELled, its transaction not left behind (found by test/sfuzz.test.ts)", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 183, "Session Progress", { extra: ["Require: 100rel", "RSeq: 1"], body: OFFER }));
    const prack = r.take();
    expect(prack.map((m) => m.kind)).toEqual(["PRACK"]);
    r.deliver(reply(prack[0]!, 200, "OK", { toTag: null }));
    r.deliver(calleeBye(invite, "callee-tag", "z9hG4bKearlybye"));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["200", "CANCEL"]);
    // The callee ends the INVITE as a CANCEL asks (§9.2): 487, ACKed by the transaction; the call is down.
    r.deliver(reply(out[1]!, 200, "OK", { toTag: null }));
    r.deliver(reply(invite, 487, "Request Terminated"));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(r.eventNames().filter((e) => e === "call down" || e === "hunt over")).toEqual(["call down", "hunt over"]);
    r.advance(64 * 500);
    expect(r.intercom.ua.activeCalls).toBe(0);
    expect(r.intercom.layer.clientCount).toBe(0);
  });

  it("the callee's 2xx after its own BYE in the early dialog, when the slot has had another call since: its BYE above our PRACK's CSeq (found by test/sfuzz.test.ts)", () => {
    const r = rig({ targets: ["100"], calls: { maxCalls: 1 } });
    const invite = press(r);
    const prack = prackedEarly(r, invite, "c-tag");
    r.deliver(reply(prack, 200, "OK", { toTag: null }));
    // The door hangs up (CANCEL, answered 200, no 487 yet), then the callee's BYE in the early dialog ends the call;
    // the INVITE's transaction lives on (64*T1 from the CANCEL, §9.1).
    r.intercom.ua.hangupAll();
    const cancel = r.take();
    expect(cancel.map((m) => m.kind)).toEqual(["CANCEL"]);
    r.deliver(reply(cancel[0]!, 200, "OK", { toTag: null }));
    r.deliver(calleeBye(invite, "c-tag", "z9hG4bKearlybye3"));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.intercom.ua.activeCalls).toBe(0);
    // The slot's next call, in and out again, while that transaction still passes responses up.
    r.deliver(request("INVITE", { body: OFFER, callId: "next@pbx", branch: "z9hG4bKnext" }));
    const ok = r.take().find((m) => m.kind === "200")!;
    r.deliver(ackFor(ok));
    r.intercom.ua.hangupAll();
    const bye = r.take().find((m) => m.kind === "BYE")!;
    r.deliver(reply(bye, 200, "OK", { toTag: null }));
    expect(r.intercom.ua.activeCalls).toBe(0);
    // The callee answers the first INVITE after all: ACK, and a BYE numbered above the PRACK it had in that dialog.
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "c-tag" }));
    const late = r.take();
    expect(late.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    expect(hdr(late[1]!, H.CallId)).toBe(invite.msg.callIdString());
    expect(late[1]!.msg.cseq).toBeGreaterThan(prack.msg.cseq);
  });

  it("a BYE in the early dialog whose CANCEL the callee ignores: the INVITE transaction still ends (§9.1, 64*T1)", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 180, "Ringing"));
    r.deliver(calleeBye(invite, "callee-tag", "z9hG4bKearlybye2"));
    expect(r.take().map((m) => m.kind)).toEqual(["200", "CANCEL"]);
    r.advance(10 * 64 * 500);
    expect(r.intercom.ua.activeCalls).toBe(0);
    expect(r.intercom.layer.clientCount).toBe(0);
    expect(r.eventNames()).toContain("call down");
  });

  it("the button during a call: ignored by default, hangs up when configured", () => {
    const r = rig({ targets: ["100"], pressGuardMs: 0 });
    const invite = press(r);
    r.deliver(reply(invite, 180, "Ringing"));
    r.intercom.press();
    expect(r.take()).toEqual([]);

    const h = rig({ targets: ["100"], pressGuardMs: 0, buttonDuringCall: ButtonAction.Hangup });
    const inv2 = press(h);
    h.deliver(reply(inv2, 180, "Ringing"));
    h.intercom.press();
    expect(h.take().map((m) => m.kind)).toEqual(["CANCEL"]);
  });

  it("debounces the button: a bounce shorter than the debounce time is no press; repeated presses ring once", () => {
    const r = rig({ targets: ["100"], debounceMs: 30, pressGuardMs: 2000 });
    r.intercom.buttonChanged(true);
    r.advance(10);
    r.intercom.buttonChanged(false);
    r.advance(100);
    expect(r.take()).toEqual([]);
    r.intercom.buttonChanged(true);
    r.advance(30);
    expect(r.take().map((m) => m.kind)).toEqual(["INVITE"]);
    r.intercom.buttonChanged(false);
    r.advance(100);
    r.intercom.buttonChanged(true);
    r.advance(50);
    // Within the guard time: no second press (what went out is Timer A resending the one INVITE).
    expect(r.eventNames()).toEqual(["button pressed"]);
    expect(new Set(r.take().map((m) => m.msg.callIdString())).size).toBeLessThanOrEqual(1);
    expect(r.intercom.ua.activeCalls).toBe(1);
  });
});

/**
 * After the call (2xx `ok`, tag a-tag) ended: another fork's 2xx, ACKed and ended with BYE in the idle slot's dialog
 * (which it then leaves empty), then a copy of `ok`, which must get its ACK only.
 */
function forkThenCopy(r: Rig, invite: Msg, ok: string): void {
  r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "b-tag" }));
  expect(r.take().map((m) => m.kind)).toEqual(["ACK", "BYE"]);
  r.deliver(ok);
  const out = r.take();
  expect(out.map((m) => m.kind)).toEqual(["ACK"]);
  expect(hdr(out[0]!, H.To)).toBe("<sip:100@pbx.test>;tag=a-tag");
}

/**
 * The INVITE's final `status` (ACKed by its transaction: the call is over), then a 2xx from the early dialog tagged
 * a-tag: what the door sends for it, which must be its ACK and a BYE.
 */
function finalThen2xx(r: Rig, invite: Msg, status: number, reason: string): Msg[] {
  r.deliver(reply(invite, status, reason, { toTag: "a-tag" }));
  expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
  expect(r.intercom.ua.activeCalls).toBe(0);
  r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "a-tag" }));
  const out = r.take();
  expect(out.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
  return out;
}

describe("a 2xx copy after the call ended (found by test/sfuzz.test.ts)", () => {
  it("is ACKed again, and does not bring the ended call back up in its idle slot", () => {
    const r = rig({ targets: ["100"], buttonDuringCall: ButtonAction.Hangup });
    const invite = press(r);
    const ok = reply(invite, 200, "OK", { body: OFFER, toTag: "a-tag" });
    r.deliver(ok);
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    r.advance(5000);
    r.intercom.press(); // the hang-up key: BYE, answered
    const bye = r.take();
    expect(bye.map((m) => m.kind)).toEqual(["BYE"]);
    r.deliver(reply(bye[0]!, 200, "OK", { toTag: null }));
    expect(r.eventNames().filter((e) => e === "call up" || e === "call down")).toEqual(["call up", "call down"]);
    // The callee's 2xx again, within its INVITE transaction's life (RFC 6026 Accepted): a copy the network kept.
    r.advance(1000);
    r.deliver(ok);
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK"]);
    expect(hdr(out[0]!, H.To)).toBe("<sip:100@pbx.test>;tag=a-tag");
    expect(r.eventNames().filter((e) => e === "call up" || e === "call down")).toEqual(["call up", "call down"]);
    expect(r.intercom.ua.activeCalls).toBe(0);
    // Nothing more in that dialog: the next press is a new doorbell call, not a BYE in the old one.
    r.advance(5000);
    r.intercom.press();
    expect(r.take().map((m) => m.kind)).toEqual(["INVITE"]);
  });

  it("from another fork, is ACKed and ended with BYE, the call still down", () => {
    const r = rig({ targets: ["100"], buttonDuringCall: ButtonAction.Hangup });
    const invite = press(r);
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "a-tag" }));
    r.advance(5000);
    r.intercom.press();
    const bye = r.take().filter((m) => m.kind === "BYE");
    r.deliver(reply(bye[0]!, 200, "OK", { toTag: null }));
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "b-tag" }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    for (const m of out) expect(hdr(m, H.To)).toBe("<sip:100@pbx.test>;tag=b-tag");
    expect(r.intercom.ua.activeCalls).toBe(0);
    expect(r.eventNames().filter((e) => e === "call up")).toEqual(["call up"]);
  });

  it("of the call's own dialog, after another fork's 2xx borrowed its idle slot's dialog: ACKed, no second BYE with the call's CSeq", () => {
    const r = rig({ targets: ["100"], buttonDuringCall: ButtonAction.Hangup });
    const invite = press(r);
    const ok = reply(invite, 200, "OK", { body: OFFER, toTag: "a-tag" });
    r.deliver(ok);
    r.advance(5000);
    r.intercom.press();
    const bye = r.take().filter((m) => m.kind === "BYE");
    expect(bye.length).toBe(1);
    // The callee lost its side already: 481; the call is over.
    r.deliver(reply(bye[0]!, 481, "Call/Transaction Does Not Exist", { toTag: null }));
    expect(r.intercom.ua.activeCalls).toBe(0);
    // Then a copy of the call's own 2xx: its ACK again (§13.2.2.4), but its dialog had our BYE already: none again.
    forkThenCopy(r, invite, ok);
  });

  it("of a call the callee ended with its BYE, after another fork's 2xx borrowed its idle slot's dialog: ACKed, no BYE (found by test/sfuzz.test.ts)", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    const ok = reply(invite, 200, "OK", { body: OFFER, toTag: "a-tag" });
    r.deliver(ok);
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    r.advance(5000);
    // The callee hangs up: its BYE, answered 200; the call is over.
    r.deliver(calleeBye(invite, "a-tag", "z9hG4bKcalleebye", 7, "192.0.2.1:5060"));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.intercom.ua.activeCalls).toBe(0);
    // A copy of the call's own 2xx: ACKed again (§13.2.2.4); its dialog is over, ended by the callee: no BYE there.
    forkThenCopy(r, invite, ok);
    expect(r.eventNames().filter((e) => e === "call up")).toEqual(["call up"]);
  });

  it("of a call before the slot's current one (its INVITE transaction still passing copies up): ACKed, and another fork's ended with BYE, not dropped", () => {
    const r = rig({ targets: ["100"], buttonDuringCall: ButtonAction.Hangup, calls: { maxCalls: 1 } });
    const first = press(r);
    const ok = reply(first, 200, "OK", { body: OFFER, toTag: "a-tag" });
    r.deliver(ok);
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    r.advance(2000);
    r.intercom.press(); // hang up
    const bye = r.take().filter((m) => m.kind === "BYE");
    r.deliver(reply(bye[0]!, 200, "OK", { toTag: null }));
    r.advance(2000);
    const second = press(r); // the slot's next call, within the first INVITE's Timer M (64*T1)
    expect(second.msg.callIdString()).not.toBe(first.msg.callIdString());
    // A copy of the first call's own 2xx: its ACK again, no BYE in a dialog that is over.
    r.deliver(ok);
    const own = r.take();
    expect(own.map((m) => m.kind)).toEqual(["ACK"]);
    expect(hdr(own[0]!, H.CallId)).toBe(first.msg.callIdString());
    // Another fork of the first call: ACK and BYE in its dialog, the second call untouched.
    r.deliver(reply(first, 200, "OK", { body: OFFER, toTag: "b-tag" }));
    const fork = r.take();
    expect(fork.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    for (const m of fork) expect(hdr(m, H.To)).toBe("<sip:100@pbx.test>;tag=b-tag");
    expect(fork[1]!.msg.cseq).toBeGreaterThan(bye[0]!.msg.cseq);
    expect(r.intercom.ua.activeCalls).toBe(1);
  });

  it("after a CANCEL, from the early dialog that was ringing: ACKed and ended with BYE (a 2xx after CANCEL makes a dialog, §9.1)", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 180, "Ringing", { toTag: "a-tag" }));
    r.intercom.ua.hangupAll();
    const cancel = r.take();
    expect(cancel.map((m) => m.kind)).toEqual(["CANCEL"]);
    r.deliver(reply(cancel[0]!, 200, "OK", { toTag: null }));
    // The forking proxy's 487 ends the call; the phone had answered as the CANCEL crossed, and a proxy forwards every
    // 2xx (RFC 3261 §16.7): its 2xx comes after, in the early dialog the call had when it ended.
    const out = finalThen2xx(r, invite, 487, "Request Terminated");
    for (const m of out) expect(hdr(m, H.To)).toBe("<sip:100@pbx.test>;tag=a-tag");
  });
});

describe("a second fork answering (§13.2.2.4)", () => {
  it("is acknowledged and ended with BYE along its own route set, in the dialog of an idle slot that then matches nothing", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "a-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    // Another phone of the same hunt group behind a forking proxy answers too: a 2xx with its own tag, Contact and Record-Route.
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "b-tag", contact: "<sip:101@198.51.100.9:5090>", extra: ["Record-Route: <sip:198.51.100.1:5060;lr>"] }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    for (const m of out) {
      expect(m.msg.uriString()).toBe("sip:101@198.51.100.9:5090");
      expect([m.address, m.port]).toEqual(["198.51.100.1", 5060]);
      expect(hdr(m, H.To)).toBe("<sip:100@pbx.test>;tag=b-tag");
      expect(hdr(m, H.Route)).toBe("<sip:198.51.100.1:5060;lr>");
      expect(m.msg.callIdString()).toBe(invite.msg.callIdString());
    }
    expect(r.eventNames().filter((e) => e === "call up")).toEqual(["call up"]);
    // The borrowed dialog was left empty: a BYE of the ended fork finds no dialog (481); the call itself is untouched.
    const ua = r.intercom.ua;
    expect(ua.calls[1]!.idle).toBe(true);
    expect(ua.calls[1]!.dialog.callId.len).toBe(0);
    r.deliver(calleeBye(invite, "b-tag", "z9hG4bKforkbye", 1, "198.51.100.9:5090"), 5090, "198.51.100.9");
    expect(r.takeLines()).toEqual(["SIP/2.0 481 Call/Transaction Does Not Exist"]);
    expect(ua.activeCalls).toBe(1);
    expect(r.eventNames()).not.toContain("call down");
  });

  it("a retransmitted 2xx of a fork already ended gets its ACK again, not a second BYE (found by test/sfuzz.test.ts)", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "a-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    const fork = reply(invite, 200, "OK", { body: OFFER, toTag: "b-tag" });
    r.deliver(fork);
    const first = r.take();
    expect(first.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    // The fork's 2xx again (duplicated on the way, or resent before our ACK reached it): §13.2.2.4 wants it ACKed;
    // its dialog already has our BYE, and a second BYE (same CSeq, new branch) would be a merged request there (§8.2.2.2).
    r.deliver(fork);
    r.advance(50);
    r.deliver(fork);
    const again = r.take();
    expect(again.map((m) => m.kind)).toEqual(["ACK", "ACK"]);
    for (const m of again) expect(hdr(m, H.To)).toBe("<sip:100@pbx.test>;tag=b-tag");
    // The fork's BYE itself is resent by its transaction until answered; answered, nothing more goes out.
    r.deliver(reply(first[1]!, 200, "OK", { toTag: null }));
    r.advance(64 * 500);
    expect(r.take().filter((m) => m.kind === "BYE" && hdr(m, H.To)!.includes("b-tag")).length).toBe(0);
    // A 2xx of another fork after that is still ended with its own BYE.
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "c-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    expect(r.intercom.ua.activeCalls).toBe(1);
  });

  it("a fork's 2xx that finds the client pool full is neither ACKed nor ended yet: the phone's next copy is, when room has freed", () => {
    const r = rig({ targets: ["100"], maxClientTransactions: 4 });
    const invite = press(r);
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "a-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    // The INVITE (Accepted, RFC 6026) and three taken by someone else: the pool is full.
    const user = { onResponse() {}, onFailure() {} };
    const held: ClientTransactionHandle[] = [];
    for (let i = 0; i < 3; i++) held.push(r.intercom.layer.createClient(user, Method.OPTIONS)!);
    expect(held.every((h) => h !== null)).toBe(true);
    const fork = reply(invite, 200, "OK", { body: OFFER, toTag: "b-tag" });
    r.deliver(fork);
    // ACKed without its BYE, the phone would stop resending its 2xx and stay in a call with nobody.
    expect(r.take()).toEqual([]);
    r.intercom.layer.release(held.pop()!);
    r.advance(500);
    r.deliver(fork);
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    for (const m of out) expect(hdr(m, H.To)).toBe("<sip:100@pbx.test>;tag=b-tag");
    // Further copies: ACKed only.
    r.deliver(fork);
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(r.intercom.ua.activeCalls).toBe(1);
    for (const h of held) r.intercom.layer.release(h);
  });

  it("a fork's 2xx copy after four more calls in one slot, two of them declined, still gets its ACK only: a call without a dialog pushes no ended dialog out (found by test/sfuzz.test.ts)", () => {
    const r = rig({ targets: ["100"], calls: { maxCalls: 1 } });
    // A press within a second of the last is the same press (doorbell.ts).
    const answered = (tag: string): void => {
      r.advance(1_000);
      const invite = press(r);
      r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: tag }));
      expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
      r.intercom.ua.hangupAll();
      const bye = r.take();
      expect(bye.map((m) => m.kind)).toEqual(["BYE"]);
      r.deliver(reply(bye[0]!, 200, "OK", { toTag: null }));
    };
    const declined = (): void => {
      r.advance(1_000);
      const invite = press(r);
      r.deliver(reply(invite, 486, "Busy Here"));
      expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    };
    const first = press(r);
    r.deliver(reply(first, 200, "OK", { body: OFFER, toTag: "a-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    const fork = reply(first, 200, "OK", { body: OFFER, toTag: "b-tag" });
    r.deliver(fork);
    const forkBye = r.take();
    expect(forkBye.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    r.deliver(reply(forkBye[1]!, 200, "OK", { toTag: null }));
    r.intercom.ua.hangupAll();
    const bye = r.take();
    r.deliver(reply(bye[0]!, 200, "OK", { toTag: null }));
    answered("c-tag");
    declined();
    answered("d-tag");
    declined();
    expect(r.clock.now()).toBeLessThan(64 * 500);
    // The forking proxy's copy of b's 2xx, late (within the 64*T1 a 2xx is resent for, §13.3.1.4).
    r.deliver(fork);
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
  });

  it("a fork's 2xx after the INVITE's 408, in the early dialog that had our PRACK: ACKed, its BYE above the PRACK's CSeq (found by test/sfuzz.test.ts)", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    const prack = prackedEarly(r, invite, "a-tag");
    r.deliver(reply(prack, 200, "OK", { toTag: null }));
    // The proxy gives up first (408: the call is over), then the phone's 2xx, which a proxy forwards regardless (§16.7).
    const out = finalThen2xx(r, invite, 408, "Request Timeout");
    expect(out[1]!.msg.cseq).toBe(prack.msg.cseq + 1);
  });

  it("a hunt group of four phones behind a forking proxy: the three other forks each ended once, their copies ACKed only (test/sfuzz.test.ts overran a shorter list)", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "a-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    const forks = ["b-tag", "c-tag", "d-tag"].map((tag) => reply(invite, 200, "OK", { body: OFFER, toTag: tag }));
    for (const fork of forks) {
      r.deliver(fork);
      expect(r.take().map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    }
    // Each phone resends its 2xx until our ACK arrives (§13.3.1.4): the copies come after all three were ended.
    for (const fork of forks) {
      r.deliver(fork);
      expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    }
    expect(r.intercom.ua.activeCalls).toBe(1);
  });

  it("the BYE to a fork whose early dialog had our PRACK takes a CSeq above the PRACK's (§12.2.1.1; found by test/sfuzz.test.ts)", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    const prack = prackedEarly(r, invite, "a-tag");
    // Another fork answers first and is the call; then the early dialog's phone answers too.
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "b-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "a-tag" }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    expect(hdr(out[1]!, H.To)).toBe("<sip:100@pbx.test>;tag=a-tag");
    // The a-tag dialog saw our PRACK with invite+1: its BYE's CSeq is higher, not the same number again.
    expect(out[1]!.msg.cseq).toBeGreaterThan(prack.msg.cseq);
  });

  it("a 407 after a reliable 183 and our PRACK: the retry's INVITE goes above the PRACK's CSeq, and a late 2xx from that early dialog gets a BYE above both (found by test/sfuzz.test.ts)", () => {
    const r = rig({ targets: ["100"] });
    const invite = press(r);
    const prack = prackedEarly(r, invite, "a-tag");
    r.deliver(reply(invite, 407, "Proxy Authentication Required", { extra: ['Proxy-Authenticate: Digest realm="pbx.test", nonce="abc123"'] }));
    const again = r.take().find((m) => m.kind === "INVITE")!;
    // The same Call-ID and From tag: no number twice, the PRACK's included.
    expect(again.msg.cseq).toBe(prack.msg.cseq + 1);
    // The phone of the early dialog answers the challenged INVITE after all (a forking proxy passes its 2xx, §16.7),
    // while the retry rings: ACKed with the INVITE's CSeq, and ended with a BYE above every CSeq the call sent.
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "a-tag" }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    expect(out[0]!.msg.cseq).toBe(invite.msg.cseq);
    expect(hdr(out[1]!, H.To)).toBe("<sip:100@pbx.test>;tag=a-tag");
    expect(out[1]!.msg.cseq).toBeGreaterThan(again.msg.cseq);
    expect(r.intercom.ua.activeCalls).toBe(1);
    // The retry goes on: its own 2xx is the call.
    r.deliver(reply(again, 200, "OK", { body: OFFER, toTag: "b-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(r.eventNames()).toContain("call up");
  });

  it("after the call ended and another fork's 2xx borrowed its idle slot's dialog, the BYE to a fork whose early dialog had our PRACK still takes a CSeq above it (found by test/sfuzz.test.ts)", () => {
    const r = rig({ targets: ["100"], buttonDuringCall: ButtonAction.Hangup });
    const invite = press(r);
    const prack = prackedEarly(r, invite, "c-tag");
    r.deliver(reply(prack, 200, "OK", { toTag: null }));
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "a-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    r.advance(5000);
    r.intercom.press(); // the hang-up key
    const bye = r.take().filter((m) => m.kind === "BYE");
    r.deliver(reply(bye[0]!, 200, "OK", { toTag: null }));
    expect(r.intercom.ua.activeCalls).toBe(0);
    // Fork b answers: ended in the idle slot's dialog, the call's own, lent and reset.
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "b-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    // Then the early dialog's phone answers: its BYE must not repeat the PRACK's CSeq there (§12.2.1.1).
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "c-tag" }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    expect(hdr(out[1]!, H.To)).toBe("<sip:100@pbx.test>;tag=c-tag");
    expect(out[1]!.msg.cseq).toBeGreaterThan(prack.msg.cseq);
  });

  it("with no idle slot (parallel hunting took both), a dialog is made for it", () => {
    const r = rig({ targets: ["100", "101"], hunt: HuntMode.Parallel, calls: { maxCalls: 2 } });
    r.intercom.press();
    const [a, b] = r.take();
    r.deliver(reply(b!, 180, "Ringing"));
    r.deliver(reply(a!, 200, "OK", { body: OFFER, toTag: "a-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK", "CANCEL"]);
    expect(r.intercom.ua.calls.every((c) => !c.idle)).toBe(true);
    r.deliver(reply(a!, 200, "OK", { body: OFFER, toTag: "a2-tag", contact: "<sip:100@198.51.100.9:5090>" }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    for (const m of out) {
      expect([m.address, m.port]).toEqual(["198.51.100.9", 5090]);
      expect(hdr(m, H.To)).toBe("<sip:100@pbx.test>;tag=a2-tag");
    }
  });
});

describe("hunting", () => {
  it("parallel: a second answer that crossed the CANCEL is acknowledged and ended with BYE", () => {
    const r = rig({ targets: ["100", "101"], hunt: HuntMode.Parallel });
    r.intercom.press();
    const [a, b] = r.take();
    r.deliver(reply(a!, 180, "Ringing"));
    r.deliver(reply(b!, 180, "Ringing"));
    r.deliver(reply(a!, 200, "OK", { body: OFFER, toTag: "a-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK", "CANCEL"]);
    r.deliver(reply(b!, 200, "OK", { body: OFFER, toTag: "b-tag" }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    expect(hdr(out[1]!, H.To)).toBe("<sip:101@pbx.test>;tag=b-tag");
    expect(r.eventNames().filter((e) => e === "call up")).toEqual(["call up"]);
  });

  it("parallel over three phones with the device's four client transactions: when one answers, the other two stop ringing at once (CANCEL may take the slot kept from INVITEs for REGISTER), and a refresh still finds room", () => {
    const r = rig({ targets: ["100", "101", "102"], hunt: HuntMode.Parallel, calls: { maxCalls: 3 }, maxClientTransactions: 4 });
    r.intercom.press();
    const [a, b, c] = r.take();
    for (const m of [a!, b!, c!]) r.deliver(reply(m, 180, "Ringing"));
    r.deliver(reply(a!, 200, "OK", { body: OFFER, toTag: "a-tag" }));
    // The answered INVITE holds its slot (RFC 6026 Accepted, 64*T1); b's CANCEL takes the last, c's waits for room
    // on Timer A's schedule: b's 200 frees it (a CANCEL in Completed gives way), and c's goes 0.5 s later.
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "CANCEL"]);
    expect(out[1]!.msg.callIdString()).toBe(b!.msg.callIdString());
    r.deliver(reply(out[1]!, 200, "OK"));
    r.clock.advance(500);
    const next = r.take();
    expect(next.map((m) => m.kind)).toEqual(["CANCEL"]);
    expect(next[0]!.msg.callIdString()).toBe(c!.msg.callIdString());
    r.deliver(reply(next[0]!, 200, "OK"));
    r.deliver(reply(b!, 487, "Request Terminated"));
    r.deliver(reply(c!, 487, "Request Terminated"));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK", "ACK"]);
    expect(r.eventNames().filter((e) => e === "call up")).toEqual(["call up"]);
    // The other INVITEs and CANCELs wait out Timers D and K in Completed: their slots give way to new requests.
    expect(r.intercom.layer.clientCount).toBe(4);
    expect(r.intercom.layer.createClient({ onResponse() {}, onFailure() {} }, Method.REGISTER)).not.toBeNull();
  });

  /** Parallel over three phones on four client transactions, a answers, b's CANCEL sent and c's held: the pool is full. */
  function fullPoolCall(): { r: ReturnType<typeof rig>; a: Msg; b: Msg; c: Msg; cancelB: Msg } {
    const r = rig({ targets: ["100", "101", "102"], hunt: HuntMode.Parallel, calls: { maxCalls: 3 }, maxClientTransactions: 4 });
    r.intercom.press();
    const [a, b, c] = r.take();
    for (const m of [a!, b!, c!]) r.deliver(reply(m, 180, "Ringing"));
    r.deliver(reply(a!, 200, "OK", { body: OFFER, toTag: "a-tag" }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "CANCEL"]);
    return { r, a: a!, b: b!, c: c!, cancelB: out[1]! };
  }

  it("a hang-up whose BYE finds the client pool full holds the BYE until a transaction frees up: the phone is not left in a call the door has ended", () => {
    const { r, a, b, cancelB } = fullPoolCall();
    r.intercom.ua.hangupAll();
    // a's INVITE (Accepted), b's and c's INVITEs and b's CANCEL hold the four slots: nothing can go yet.
    expect(r.take()).toEqual([]);
    expect(r.events.some((e) => e.name === "call down")).toBe(false);
    expect(r.logs.some((l) => l.includes("no room for the BYE yet"))).toBe(true);
    // b's phone answers its CANCEL and INVITE: their transactions wait out Timers K and D in Completed and give way.
    r.deliver(reply(cancelB, 200, "OK"));
    r.deliver(reply(b, 487, "Request Terminated"));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    r.clock.advance(500);
    const sent = r.take();
    const bye = sent.find((m) => m.kind === "BYE")!;
    expect(bye).toBeDefined();
    expect(bye.msg.callIdString()).toBe(a.msg.callIdString());
    expect(hdr(bye, H.To)).toContain("tag=a-tag");
    expect(bye.msg.cseq).toBe(a.msg.cseq + 1);
    r.deliver(reply(bye, 200, "OK", { toTag: "a-tag" }));
    expect(r.events.filter((e) => e.name === "call down").map((e) => e.detail)).toContain("local hangup");
  });

  /** A call up with one phone, then all four client transactions taken and kept by someone else, and the door hangs up. */
  function heldBye(): { r: Rig; invite: Msg; held: ClientTransactionHandle[]; poolFull: () => number } {
    const r = rig({ targets: ["100"], maxClientTransactions: 4 });
    const invite = press(r);
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "a-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    // Once the INVITE's transaction is over (Accepted, 64*T1: RFC 6026), the pool is taken.
    r.advance(33_000);
    expect(r.intercom.layer.clientCount).toBe(0);
    const user = { onResponse() {}, onFailure() {} };
    const held: ClientTransactionHandle[] = [];
    for (let i = 0; i < 4; i++) held.push(r.intercom.layer.createClient(user, Method.OPTIONS)!);
    expect(held.every((h) => h !== null)).toBe(true);
    r.intercom.ua.hangupAll();
    return { r, invite, held, poolFull: () => r.logs.filter((l) => l === "transaction layer: client pool full").length };
  }

  it("a BYE held for room is tried again T1 doubling up to T2, and given up after 64*T1: the call ends at the door", () => {
    const { r, held, poolFull } = heldBye();
    expect(poolFull()).toBe(1);
    // Tried at 0.5, 1, 2, 4, 8 ... 28 s: not once per T1 (a log line each).
    r.advance(31_999);
    expect(poolFull()).toBe(1 + 10);
    expect(r.take()).toEqual([]);
    expect(r.events.some((e) => e.name === "call down")).toBe(false);
    r.advance(1);
    expect(r.events.filter((e) => e.name === "call down").map((e) => e.detail)).toEqual(["local hangup"]);
    expect(r.logs.some((l) => l.includes("still no room for the BYE"))).toBe(true);
    expect(r.take()).toEqual([]);
    for (const h of held) r.intercom.layer.release(h);
  });

  it("the phone's own BYE while ours is held ends the call (200), and ours is not sent after", () => {
    const { r, invite, held, poolFull } = heldBye();
    r.advance(2_000);
    r.deliver(calleeBye(invite, "a-tag", "z9hG4bKheldbye"));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["200"]);
    expect(r.events.filter((e) => e.name === "call down").map((e) => e.detail)).toEqual(["remote hangup"]);
    const tries = poolFull();
    for (const h of held) r.intercom.layer.release(h);
    r.advance(40_000);
    expect(poolFull()).toBe(tries);
    expect(r.take().filter((m) => m.kind === "BYE")).toEqual([]);
  });

  it("parallel over two phones sending reliable 183s at once with three client transactions: the second PRACK, refused room, goes with the 183's copy", () => {
    const r = rig({ targets: ["100", "101"], hunt: HuntMode.Parallel, calls: { maxCalls: 2 }, maxClientTransactions: 3 });
    r.intercom.press();
    const [a, b] = r.take();
    const reliable = (m: Msg, tag: string): string => reply(m, 183, "Session Progress", { toTag: tag, extra: ["Require: 100rel", "RSeq: 7"], body: OFFER });
    r.deliver(reliable(a!, "a-tag"));
    const prackA = r.take();
    expect(prackA.map((m) => m.kind)).toEqual(["PRACK"]);
    // Two INVITEs and a PRACK: the pool is full.
    r.deliver(reliable(b!, "b-tag"));
    expect(r.take()).toEqual([]);
    r.deliver(reply(prackA[0]!, 200, "OK", { toTag: null }));
    // RFC 3262 §3: b's phone resends its 183 (0.5 s later) until PRACKed; the PRACK goes with the copy, RAck 7.
    r.deliver(reliable(b!, "b-tag"));
    const prackB = r.take();
    expect(prackB.map((m) => m.kind)).toEqual(["PRACK"]);
    expect(hdr(prackB[0]!, H.RAck)).toBe(`7 ${b!.msg.cseq} INVITE`);
    expect(hdr(prackB[0]!, H.To)).toBe("<sip:101@pbx.test>;tag=b-tag");
    // Acknowledged once: a further copy gets no second PRACK.
    r.deliver(reliable(b!, "b-tag"));
    expect(r.take()).toEqual([]);
  });

  it("sequential: busy and no answer move on to the next target", () => {
    const r = rig({ targets: ["100", "sip:200@198.51.100.8:5080", "300"], hunt: HuntMode.Sequential, calls: { ringTimeoutMs: 10_000 } });
    const first = press(r);
    expect(first.msg.uriString()).toBe("sip:100@pbx.test");
    r.deliver(reply(first, 486, "Busy Here"));
    const second = r.take().filter((m) => m.kind === "INVITE")[0]!;
    expect(second.msg.uriString()).toBe("sip:200@198.51.100.8:5080");
    expect(second.address).toBe("198.51.100.8");
    r.deliver(reply(second, 180, "Ringing"), 5080, "198.51.100.8");
    r.advance(10_000);
    const cancel = r.take();
    expect(cancel.map((m) => m.kind)).toEqual(["CANCEL"]);
    r.deliver(reply(second, 487, "Request Terminated"), 5080, "198.51.100.8");
    const third = r.take().filter((m) => m.kind === "INVITE")[0]!;
    expect(third.msg.uriString()).toBe("sip:300@pbx.test");
    r.deliver(reply(third, 200, "OK", { body: OFFER }));
    expect(r.eventNames()).toContain("call up");
    expect(r.eventNames()).not.toContain("hunt over");
  });

  it("sequential: an answer without G.711 is ACKed and ended with BYE, never up, and the next target is called", () => {
    const r = rig({ targets: ["100", "101"] });
    const first = press(r);
    r.deliver(reply(first, 180, "Ringing"));
    r.deliver(reply(first, 200, "OK", { body: offer("sendrecv", "96 101").replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:96 opus/48000/2") }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    expect(r.eventNames()).not.toContain("call up");
    expect(r.eventNames()).not.toContain("hunt over");
    r.deliver(reply(out[1]!, 200, "OK"));
    const second = r.take().find((m) => m.kind === "INVITE")!;
    expect(second.msg.uriString()).toBe("sip:101@pbx.test");
    expect(r.events.filter((e) => e.name === "call down").map((e) => e.detail)).toEqual(["no common codec"]);
    r.deliver(reply(second, 200, "OK", { body: OFFER }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(r.eventNames().filter((e) => e === "call up")).toEqual(["call up"]);
    expect(r.eventNames()).not.toContain("hunt over");
  });

  it("sequential: the last target answering without G.711 ends the hunt, nobody answered", () => {
    const r = rig({ targets: ["100"] });
    const first = press(r);
    r.deliver(reply(first, 200, "OK", { body: offer("sendrecv", "96").replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:96 opus/48000/2") }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    r.deliver(reply(out[1]!, 200, "OK"));
    expect(r.events.at(-1)).toMatchObject({ name: "hunt over", detail: "nobody answered" });
    expect(r.intercom.ua.activeCalls).toBe(0);
  });

  it("parallel: an answer without G.711 cancels nobody; the others ring on and the next answer wins", () => {
    const r = rig({ targets: ["100", "101"], hunt: HuntMode.Parallel });
    r.intercom.press();
    const [a, b] = r.take();
    r.deliver(reply(a!, 180, "Ringing"));
    r.deliver(reply(b!, 180, "Ringing"));
    r.deliver(reply(a!, 200, "OK", { toTag: "a-tag", body: offer("sendrecv", "96").replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:96 opus/48000/2") }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    r.deliver(reply(out[1]!, 200, "OK"));
    expect(r.take()).toEqual([]);
    r.deliver(reply(b!, 200, "OK", { toTag: "b-tag", body: OFFER }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(r.eventNames().filter((e) => e === "call up")).toEqual(["call up"]);
    expect(r.intercom.ua.activeCalls).toBe(1);
  });

  it("sequential: every target failing ends the hunt, nobody answered", () => {
    const r = rig({ targets: ["100", "101"] });
    const first = press(r);
    r.deliver(reply(first, 480, "Temporarily Unavailable"));
    const second = r.take().find((m) => m.kind === "INVITE")!;
    r.deliver(reply(second, 603, "Decline"));
    expect(r.events.at(-1)).toMatchObject({ name: "hunt over", detail: "nobody answered" });
  });

  it("parallel: all at once; the first to answer wins and the others get CANCEL", () => {
    const r = rig({ targets: ["100", "101", "102"], hunt: HuntMode.Parallel });
    r.intercom.press();
    const invites = r.take();
    expect(invites.map((m) => m.msg.uriString())).toEqual(["sip:100@pbx.test", "sip:101@pbx.test", "sip:102@pbx.test"]);
    expect(new Set(invites.map((m) => m.msg.callIdString())).size).toBe(3);
    for (const inv of invites) r.deliver(reply(inv, 180, "Ringing"));
    r.deliver(reply(invites[1]!, 200, "OK", { body: OFFER }));
    const out = r.take();
    expect(out.map((m) => `${m.kind} ${m.msg.uriString()}`)).toEqual(["ACK sip:100@198.51.100.7:5070", "CANCEL sip:100@pbx.test", "CANCEL sip:102@pbx.test"]);
    r.deliver(reply(invites[0]!, 487, "Request Terminated"));
    r.deliver(reply(invites[2]!, 487, "Request Terminated"));
    expect(r.events.filter((e) => e.name === "call down").map((e) => e.detail)).toEqual(["answered elsewhere (487)", "answered elsewhere (487)"]);
    expect(r.intercom.ua.activeCalls).toBe(1);
  });
});
