/*
 * Requests inside and outside a call, on the virtual clock: re-INVITE and
 * UPDATE (hold mirrored), PRACK/100rel, INFO DTMF and the door opener,
 * MESSAGE, OPTIONS, REFER, SUBSCRIBE/NOTIFY/PUBLISH, unknown methods, and
 * the request checks (420, 416, 415, 500 for CSeq order).
 */
import { describe, expect, it } from "vitest";
import { H } from "../src/sip/message/header";
import { ackFor, answeredCall, hdr, offer, OFFER, reply, request, rig, toTag, type Msg } from "./support/call-harness";

function body(m: Msg): string {
  return m.text.slice(m.text.indexOf("\r\n\r\n") + 4);
}


function inDialog(ok: Msg, method: string, cseq: number, o: { body?: string; contentType?: string; extra?: string[]; contact?: string } = {}): string {
  return request(method, { toTag: toTag(ok), callId: ok.msg.callIdString(), cseq, branch: `z9hG4bK${method.toLowerCase()}${cseq}`, ...o });
}

function info(ok: Msg, cseq: number, digit: string): string {
  return inDialog(ok, "INFO", cseq, { body: `Signal=${digit}\r\nDuration=160\r\n`, contentType: "application/dtmf-relay", contact: "" });
}

describe("re-INVITE and UPDATE", () => {
  it("mirrors hold and resume: sendonly → recvonly, inactive → inactive, sendrecv → sendrecv; version grows on change", () => {
    const r = rig();
    const ok = answeredCall(r);
    const v1 = /o=doorsip \d+ (\d+)/.exec(body(ok))![1];
    const cases: Array<[string, string]> = [["sendonly", "recvonly"], ["inactive", "inactive"], ["sendrecv", "sendrecv"]];
    let cseq = 2;
    const versions: string[] = [v1!];
    for (const [offered, answered] of cases) {
      r.deliver(inDialog(ok, "INVITE", cseq, { body: offer(offered) }));
      const out = r.take();
      expect(out.map((m) => m.kind)).toEqual(["200"]);
      expect(body(out[0]!)).toContain(`a=${answered}\r\n`);
      expect(hdr(out[0]!, H.CSeq)).toBe(`${cseq} INVITE`);
      versions.push(/o=doorsip \d+ (\d+)/.exec(body(out[0]!))![1]!);
      r.deliver(ackFor(out[0]!));
      cseq++;
    }
    expect(versions.map(Number)).toEqual([1, 2, 3, 4]);
    // The same offer again: the same SDP, the same version (RFC 3264 §8).
    r.deliver(inDialog(ok, "INVITE", cseq, { body: offer("sendrecv") }));
    const again = r.take()[0]!;
    expect(/o=doorsip \d+ (\d+)/.exec(body(again))![1]).toBe("4");
    r.deliver(ackFor(again));
    r.advance(10_000);
    expect(r.take()).toEqual([]);
    expect(r.eventNames().filter((e) => e === "call down")).toEqual([]);
  });

  it("a re-INVITE without G.711 gets 488 and the call goes on (§14.2)", () => {
    const r = rig();
    const ok = answeredCall(r);
    r.deliver(inDialog(ok, "INVITE", 2, { body: offer("sendrecv", "18") }));
    expect(r.takeLines()).toEqual(["SIP/2.0 488 Not Acceptable Here"]);
    expect(r.intercom.ua.activeCalls).toBe(1);
  });

  it("UPDATE (RFC 3311) with an offer: 200 with the answer, no ACK needed", () => {
    const r = rig();
    const ok = answeredCall(r);
    r.deliver(inDialog(ok, "UPDATE", 2, { body: offer("sendonly") }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["200"]);
    expect(hdr(out[0]!, H.CSeq)).toBe("2 UPDATE");
    expect(body(out[0]!)).toContain("a=recvonly\r\n");
    r.advance(5000);
    expect(r.take()).toEqual([]);
  });

  it("a request with a lower CSeq than the last is answered 500 (§12.2.2)", () => {
    const r = rig();
    const ok = answeredCall(r);
    r.deliver(inDialog(ok, "INFO", 5, { contact: "" }));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    r.deliver(inDialog(ok, "INFO", 4, { contact: "" }));
    expect(r.takeLines()).toEqual(["SIP/2.0 500 Server Internal Error - CSeq Out of Order"]);
  });
});

describe("PRACK and 100rel (RFC 3262)", () => {
  it("sends 180 reliably, resends it until the PRACK, answers the PRACK and then the INVITE", () => {
    const r = rig();
    r.deliver(request("INVITE", { body: OFFER, extra: ["Require: 100rel", "Supported: 100rel"] }));
    const first = r.take();
    expect(first.map((m) => m.kind)).toEqual(["100", "180"]);
    const ringing = first[1]!;
    expect(hdr(ringing, H.Require)).toBe("100rel");
    const rseq = Number(hdr(ringing, H.RSeq));
    expect(rseq).toBeGreaterThan(0);
    r.advance(500);
    expect(r.takeLines()).toEqual(["SIP/2.0 180 Ringing"]);
    r.advance(1000);
    expect(r.takeLines()).toEqual(["SIP/2.0 180 Ringing"]);
    r.deliver(request("PRACK", { toTag: toTag(ringing), cseq: 2, branch: "z9hG4bKprack", extra: [`RAck: ${rseq} 1 INVITE`], contact: "" }));
    const out = r.take();
    expect(out.map((m) => `${m.kind} ${hdr(m, H.CSeq)}`)).toEqual(["200 2 PRACK", "200 1 INVITE"]);
    r.advance(2000);
    expect(r.take().every((m) => m.kind === "200")).toBe(true);
  });

  it("an auto-answer delay that ends while the reliable 180 waits for its PRACK: the 180 is still resent, the answer follows the PRACK (the call's timers share one entry)", () => {
    const r = rig({ calls: { autoAnswerMs: 1000 } });
    r.deliver(request("INVITE", { body: OFFER, extra: ["Require: 100rel"] }));
    const ringing = r.take()[1]!;
    const rseq = Number(hdr(ringing, H.RSeq));
    const sent: string[] = [];
    for (let t = 0; t < 1600; t += 50) {
      r.advance(50);
      for (const m of r.take()) sent.push(`${r.clock.now()} ${m.kind}`);
    }
    // T1 doubling from 500 ms; at 1000 ms the delay ended, the 200 waiting for the PRACK (RFC 3262 §3).
    expect(sent).toEqual(["500 180", "1500 180"]);
    r.deliver(request("PRACK", { toTag: toTag(ringing), cseq: 2, branch: "z9hG4bKprack", extra: [`RAck: ${rseq} 1 INVITE`], contact: "" }));
    const out = r.take();
    expect(out.map((m) => `${m.kind} ${hdr(m, H.CSeq)}`)).toEqual(["200 2 PRACK", "200 1 INVITE"]);
    r.deliver(ackFor(out[1]!));
    r.advance(40_000);
    expect(r.take()).toEqual([]);
    expect(r.eventNames()).toContain("call up");
  });

  it("a PRACK that matches no reliable response gets 481", () => {
    const r = rig();
    const ok = answeredCall(r);
    r.deliver(inDialog(ok, "PRACK", 2, { extra: ["RAck: 77 1 INVITE"], contact: "" }));
    expect(r.takeLines()).toEqual(["SIP/2.0 481 No Matching Reliable Provisional Response"]);
  });

  it("without a PRACK for 64*T1, the INVITE is rejected with 500", () => {
    const r = rig();
    r.deliver(request("INVITE", { body: OFFER, extra: ["Require: 100rel"] }));
    r.take();
    r.advance(32_500);
    const lines = r.takeLines();
    expect(lines.filter((l) => l.includes("180"))).not.toHaveLength(0);
    expect(lines).toContain("SIP/2.0 500 Server Internal Error - No PRACK");
    expect(r.intercom.ua.activeCalls).toBe(0);
  });
});

describe("INFO DTMF and the door opener", () => {
  it("the door code by INFO (application/dtmf-relay) pulses the relay", () => {
    const r = rig({ doorCode: "12#", doorOpenMs: 3000 });
    const ok = answeredCall(r);
    r.deliver(info(ok, 2, "1"));
    r.deliver(info(ok, 3, "2"));
    expect(r.pins.relay).toBe(false);
    r.deliver(info(ok, 4, "#"));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK", "SIP/2.0 200 OK", "SIP/2.0 200 OK"]);
    expect(r.pins.relay).toBe(true);
    expect(r.eventNames()).toContain("door opened");
    r.advance(2999);
    expect(r.pins.relay).toBe(true);
    r.advance(1);
    expect(r.pins.relay).toBe(false);
    expect(r.pins.relayChanges).toEqual([true, false]);
  });

  it("the DTMF Content-Type is matched case-insensitively, with spaces and parameters", () => {
    const r = rig({ doorCode: "5" });
    const ok = answeredCall(r);
    r.deliver(inDialog(ok, "INFO", 2, { body: "Signal=5\r\n", contentType: "Application / DTMF-Relay ; charset=utf-8", contact: "" }));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.pins.relay).toBe(true);
    r.deliver(inDialog(ok, "INFO", 3, { body: "5", contentType: "application/dtmf-relayx", contact: "" }));
    expect(r.take()[0]!.kind).toBe("415");
  });

  it("application/dtmf bodies work too", () => {
    const r = rig({ doorCode: "#" });
    const ok = answeredCall(r);
    r.deliver(inDialog(ok, "INFO", 2, { body: "#", contentType: "application/dtmf", contact: "" }));
    expect(r.pins.relay).toBe(true);
  });

  it("a DTMF body without a readable digit gets 400 with the reason; the call and the code go on", () => {
    const r = rig({ doorCode: "5" });
    const ok = answeredCall(r);
    r.deliver(inDialog(ok, "INFO", 2, { body: "Signal=xyz\r\nDuration=160\r\n", contentType: "application/dtmf-relay", contact: "" }));
    r.deliver(inDialog(ok, "INFO", 3, { body: "Duration=160\r\n", contentType: "application/dtmf-relay", contact: "" }));
    r.deliver(inDialog(ok, "INFO", 4, { body: "55", contentType: "application/dtmf", contact: "" }));
    expect(r.takeLines()).toEqual(Array(3).fill("SIP/2.0 400 Bad Request - Unreadable DTMF"));
    expect(r.pins.relay).toBe(false);
    // Signal values 10 and 11 are "*" and "#" (RFC 4733 §3.2 event codes, as some gateways send them).
    r.deliver(inDialog(ok, "INFO", 5, { body: "Signal=11\r\n", contentType: "application/dtmf-relay", contact: "" }));
    r.deliver(info(ok, 6, "5"));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK", "SIP/2.0 200 OK"]);
    expect(r.pins.relay).toBe(true);
  });

  it("hangs up a few seconds after the door opened, when configured", () => {
    const r = rig({ doorCode: "#", hangupAfterOpenMs: 4000 });
    const ok = answeredCall(r);
    r.deliver(info(ok, 2, "#"));
    r.take();
    r.advance(3999);
    expect(r.take()).toEqual([]);
    r.advance(1);
    expect(r.takeLines()[0]).toMatch(/^BYE sip:100@198\.51\.100\.7:5070 SIP\/2\.0$/);
  });

  it("counts wrong codes and ends the call after three", () => {
    const r = rig({ doorCode: "1234", maxWrongCodes: 3 });
    const ok = answeredCall(r);
    let cseq = 2;
    for (const digit of "99998888") r.deliver(info(ok, cseq++, digit));
    expect(r.events.filter((e) => e.name === "wrong code").map((e) => e.detail)).toEqual(["wrong code 1", "wrong code 2"]);
    r.take();
    for (const digit of "7777") r.deliver(info(ok, cseq++, digit));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["200", "200", "200", "200", "BYE"]);
    expect(r.pins.relay).toBe(false);
    r.deliver(reply(out[4]!, 200, "OK", { toTag: null }));
    expect(r.events.at(-1)).toMatchObject({ name: "call down", detail: "local hangup" });
    // Three wrong codes in a row lock the opener for a while (brute force), even in a new call.
    r.deliver(request("INVITE", { body: OFFER, callId: "second@phone", branch: "z9hG4bKsecond" }));
    const ok2 = r.take().find((m) => m.kind === "200")!;
    r.deliver(ackFor(ok2));
    for (const digit of "1234") r.deliver(info(ok2, cseq++, digit));
    expect(r.pins.relay).toBe(false);
    expect(r.events.at(-1)).toMatchObject({ name: "wrong code", detail: "locked out" });
    r.advance(60_000);
    for (const digit of "1234") r.deliver(info(ok2, cseq++, digit));
    expect(r.pins.relay).toBe(true);
  });

  it("DTMF before the call is up is not taken as a code; an Info-Package gets 469; other bodies 415", () => {
    const r = rig({ doorCode: "#", calls: { autoAnswerMs: 5000 } });
    r.deliver(request("INVITE", { body: OFFER }));
    const ringing = r.take()[1]!;
    r.deliver(request("INFO", { toTag: toTag(ringing), cseq: 2, branch: "z9hG4bKi2", body: "Signal=#\r\n", contentType: "application/dtmf-relay", contact: "" }));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.pins.relay).toBe(false);
    r.deliver(request("INFO", { toTag: toTag(ringing), cseq: 3, branch: "z9hG4bKi3", body: "x", contentType: "application/foo+xml", extra: ["Info-Package: foo"], contact: "" }));
    const pkg = r.take()[0]!;
    expect(pkg.kind).toBe("469");
    expect(pkg.text).toContain("Recv-Info: \r\n");
    r.deliver(request("INFO", { toTag: toTag(ringing), cseq: 4, branch: "z9hG4bKi4", body: "hello", contentType: "text/html", contact: "" }));
    const unsupported = r.take()[0]!;
    expect(unsupported.kind).toBe("415");
    expect(hdr(unsupported, H.Accept)).toContain("application/dtmf-relay");
  });
});

describe("other requests", () => {
  it("OPTIONS: 200 with Allow, Accept and Supported, in and out of a call", () => {
    const r = rig();
    r.deliver(request("OPTIONS", { contact: "" }));
    const out = r.take()[0]!;
    expect(out.kind).toBe("200");
    expect(hdr(out, H.Allow)).toBe("INVITE, ACK, CANCEL, BYE, OPTIONS, PRACK, UPDATE, INFO, MESSAGE, REFER, NOTIFY, SUBSCRIBE");
    expect(hdr(out, H.Accept)).toBe("application/sdp");
    // §11.2: every option tag the door supports, session timers (RFC 4028) among them.
    expect(hdr(out, H.Supported)).toBe("100rel, timer");
    const ok = answeredCall(r);
    r.deliver(inDialog(ok, "OPTIONS", 2, { contact: "" }));
    const inCall = r.take();
    expect(inCall.map((m) => m.kind)).toEqual(["200"]);
    expect(hdr(inCall[0]!, H.Supported)).toBe("100rel, timer");
    expect(hdr(inCall[0]!, H.Allow)).toContain("UPDATE");
  });

  it("MESSAGE: 200 and an event with the text", () => {
    const r = rig();
    r.deliver(request("MESSAGE", { body: "Parcel at the door", contentType: "text/plain", contact: "" }));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.events.at(-1)).toMatchObject({ name: "message", detail: "sip:100@pbx.test: Parcel at the door" });
  });

  it("SUBSCRIBE gets 489, NOTIFY outside a subscription 481, PUBLISH 405 with Allow, FOO 501 with Allow", () => {
    const r = rig();
    r.deliver(request("SUBSCRIBE", { extra: ["Event: presence"] }));
    r.deliver(request("NOTIFY", { extra: ["Event: refer", "Subscription-State: active"], contact: "" }));
    r.deliver(request("PUBLISH", { extra: ["Event: presence"], contact: "" }));
    r.deliver(request("FOO", { contact: "" }));
    const out = r.take();
    expect(out.map((m) => `${m.kind} ${m.msg.reasonString()}`)).toEqual([
      "489 Bad Event", "481 Subscription Does Not Exist", "405 Method Not Allowed", "501 Not Implemented",
    ]);
    expect(hdr(out[2]!, H.Allow)).toContain("INVITE");
    expect(hdr(out[3]!, H.Allow)).toContain("INVITE");
  });

  it("an unsolicited message-summary NOTIFY (RFC 3842, voicemail news) outside a dialog gets 200 as at a phone; any other event 481; another body type 415", () => {
    const r = rig();
    const mwi = "Messages-Waiting: yes\r\nMessage-Account: sip:*97@pbx.test\r\nVoice-Message: 1/0 (0/0)\r\n";
    r.deliver(request("NOTIFY", { branch: "z9hG4bKmwi1", callId: "mwi-1@pbx", extra: ["Event: message-summary", "Subscription-State: terminated"], contact: "", body: mwi, contentType: "application/simple-message-summary" }));
    // Compact form, a parameter, another case; no body at all.
    r.deliver(request("NOTIFY", { branch: "z9hG4bKmwi2", callId: "mwi-2@pbx", extra: ["o: Message-Summary;id=1", "Subscription-State: active"], contact: "" }));
    // Another event with the same body, and a prefix of the event name: no subscription.
    r.deliver(request("NOTIFY", { branch: "z9hG4bKmwi3", callId: "mwi-3@pbx", extra: ["Event: message-summaryx", "Subscription-State: active"], contact: "", body: mwi, contentType: "application/simple-message-summary" }));
    r.deliver(request("NOTIFY", { branch: "z9hG4bKmwi4", callId: "mwi-4@pbx", extra: ["Event: check-sync"], contact: "" }));
    r.deliver(request("NOTIFY", { branch: "z9hG4bKmwi5", callId: "mwi-5@pbx", extra: ["Event: message-summary"], contact: "", body: "<x/>", contentType: "application/xml" }));
    const out = r.take();
    expect(out.map((m) => `${m.kind} ${m.msg.reasonString()}`)).toEqual([
      "200 OK", "200 OK", "481 Subscription Does Not Exist", "481 Subscription Does Not Exist", "415 Unsupported Media Type",
    ]);
    expect(hdr(out[4]!, H.Accept)).toContain("application/simple-message-summary");
    expect(r.events).toEqual([]);
    expect(r.intercom.ua.activeCalls).toBe(0);
  });

  it("BYE, INFO and a tagged NOTIFY in an unknown dialog get 481", () => {
    const r = rig();
    r.deliver(request("BYE", { toTag: "nope", contact: "" }));
    r.deliver(request("INFO", { contact: "" }));
    r.deliver(request("NOTIFY", { toTag: "nope", extra: ["Event: refer"], contact: "" }));
    expect(r.takeLines()).toEqual([
      "SIP/2.0 481 Call/Transaction Does Not Exist",
      "SIP/2.0 481 Call/Transaction Does Not Exist",
      "SIP/2.0 481 Subscription Does Not Exist",
    ]);
  });

  it("request checks: Require of an unknown extension → 420 with Unsupported; tel: Request-URI → 416; XML body → 415 with Accept", () => {
    const r = rig();
    r.deliver(request("INVITE", { body: OFFER, extra: ["Require: timer, foo"] }));
    const bad = r.take()[0]!;
    expect(bad.kind).toBe("420");
    expect(hdr(bad, H.Unsupported)).toBe("foo"); // timer is supported (RFC 4028: test/call-session-timer.test.ts)
    r.deliver(request("INVITE", { body: OFFER, requestUri: "tel:+15551234", branch: "z9hG4bKtel", callId: "tel@x" }));
    expect(r.takeLines()).toEqual(["SIP/2.0 416 Unsupported URI Scheme"]);
    r.deliver(request("INVITE", { body: "<x/>", contentType: "application/xml", branch: "z9hG4bKxml", callId: "xml@x" }));
    const t = r.take()[0]!;
    expect(t.kind).toBe("415");
    expect(hdr(t, H.Accept)).toContain("application/sdp");
  });

  it("ends a call at the time limit with BYE", () => {
    const r = rig({ calls: { callLimitMs: 60_000 } });
    answeredCall(r);
    r.advance(59_999);
    expect(r.take()).toEqual([]);
    r.advance(1);
    expect(r.take().map((m) => m.kind)).toEqual(["BYE"]);
  });

  it("the time limit reached while a re-INVITE's 2xx waits for its ACK: the 2xx is still resent, the BYE follows the ACK (§15)", () => {
    const r = rig({ calls: { callLimitMs: 10_000 } });
    const ok = answeredCall(r);
    r.advance(9_000);
    r.deliver(inDialog(ok, "INVITE", 2, { body: offer("sendonly") }));
    const reOk = r.take()[0]!;
    expect(`${reOk.kind} ${hdr(reOk, H.CSeq)}`).toBe("200 2 INVITE");
    const sent: string[] = [];
    for (let t = 0; t < 2_000; t += 100) {
      r.advance(100);
      for (const m of r.take()) sent.push(`${r.clock.now()} ${m.kind}`);
    }
    // §13.3.1.4: T1 doubling from the re-INVITE's 200; no BYE before its ACK (§15), though the limit passed at 10,000 ms.
    expect(sent).toEqual(["9500 200", "10500 200"]);
    r.deliver(ackFor(reOk, { branch: "z9hG4bKack2" }));
    expect(r.take().map((m) => m.kind)).toEqual(["BYE"]);
    expect(r.logs.some((l) => l.includes("time limit reached"))).toBe(true);
  });
});

describe("REFER (RFC 3515)", () => {
  it("202, NOTIFY 100 Trying, an INVITE to the Refer-To target, NOTIFY with the final status", () => {
    // The target is a phone the owner trusts (a Refer-To names the account's domain or a trusted source).
    const r = rig({ trust: { allow: ["198.51.100.8"] } });
    const ok = answeredCall(r);
    r.deliver(inDialog(ok, "REFER", 2, { extra: ["Refer-To: <sip:200@198.51.100.8:5080>", "Referred-By: <sip:100@pbx.test>"] }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["202", "NOTIFY", "INVITE"]);
    const notify = out[1]!;
    expect(hdr(notify, H.Event)).toBe("refer");
    expect(hdr(notify, H.SubscriptionState)).toBe("active;expires=60");
    expect(hdr(notify, H.ContentType)).toBe("message/sipfrag;version=2.0");
    expect(body(notify)).toBe("SIP/2.0 100 Trying\r\n");
    expect(notify.msg.uriString()).toBe("sip:100@198.51.100.7:5070");
    const invite = out[2]!;
    expect(invite.msg.uriString()).toBe("sip:200@198.51.100.8:5080");
    expect(invite.address).toBe("198.51.100.8");
    expect(invite.port).toBe(5080);
    r.deliver(reply(notify, 200, "OK", { toTag: null }));
    r.deliver(reply(invite, 200, "OK", { body: OFFER, contact: "<sip:200@198.51.100.8:5080>" }), 5080, "198.51.100.8");
    const after = r.take();
    expect(after.map((m) => m.kind)).toEqual(["ACK", "NOTIFY"]);
    expect(hdr(after[1]!, H.SubscriptionState)).toBe("terminated;reason=noresource");
    expect(body(after[1]!)).toBe("SIP/2.0 200 OK\r\n");
  });

  it("answers 603 when transfers are switched off", () => {
    const r = rig({ calls: { allowRefer: false } });
    const ok = answeredCall(r);
    r.deliver(inDialog(ok, "REFER", 2, { extra: ["Refer-To: <sip:200@198.51.100.8>"] }));
    expect(r.takeLines()).toEqual(["SIP/2.0 603 Decline"]);
  });

  it("a REFER without Refer-To gets 400 with the reason", () => {
    const r = rig();
    const ok = answeredCall(r);
    r.deliver(inDialog(ok, "REFER", 2));
    expect(r.takeLines()).toEqual(["SIP/2.0 400 Bad Request - Missing or Invalid Refer-To"]);
  });

  it("a REFER with two Refer-To headers gets the same 400 (RFC 3515 §2.4.1: exactly one)", () => {
    const r = rig();
    const ok = answeredCall(r);
    r.deliver(inDialog(ok, "REFER", 2, { extra: ["Refer-To: <sip:200@198.51.100.8>", "Refer-To: <sip:201@198.51.100.8>"] }));
    expect(r.takeLines()).toEqual(["SIP/2.0 400 Bad Request - Missing or Invalid Refer-To"]);
  });
});

describe("REFER in an early dialog", () => {
  it("the callee's REFER before it answered gets 403 (Transfer Before Answer); the call goes on, and a fork's 2xx then confirms its own dialog with no subscription in it", () => {
    const r = rig({ targets: ["100"], trust: { allow: ["198.51.100.8"] } });
    r.intercom.press();
    r.advance(100);
    const invite = r.take().find((m) => m.kind === "INVITE")!;
    const doorTag = /;tag=([^;>\s]+)/.exec(invite.msg.getString(H.From)!)![1]!;
    // 183 from one fork (an early dialog), and its REFER in that early dialog.
    r.deliver(reply(invite, 183, "Session Progress", { toTag: "early1", body: OFFER }));
    r.deliver(request("REFER", {
      callId: invite.msg.callIdString(), fromTag: "early1", toTag: doorTag, cseq: 7, branch: "z9hG4bKearlyrefer",
      extra: ["Refer-To: <sip:200@198.51.100.8>"],
    }));
    expect(r.takeLines()).toEqual(["SIP/2.0 403 Forbidden - Transfer Before Answer"]);
    // Another fork answers: the call is up in its dialog, and no NOTIFY goes anywhere.
    r.deliver(reply(invite, 200, "OK", { toTag: "fork2", body: OFFER }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(r.eventNames()).toContain("call up");
    r.advance(5_000);
    expect(r.take().filter((m) => m.kind === "NOTIFY")).toEqual([]);
  });
});
