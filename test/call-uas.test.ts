/*
 * Incoming calls, on the virtual clock: the door as UAS (RFC 3261 §13.3),
 * the whole message exchange checked.
 */
import { describe, expect, it } from "vitest";
import { H } from "../src/sip/message/header";
import { ackFor, hdr, offer, OFFER, request, rig, toTag, type Msg } from "./support/call-harness";

function body(m: Msg): string {
  return m.text.slice(m.text.indexOf("\r\n\r\n") + 4);
}

/** INVITE → 100, 180, 200 (auto-answer 0); returns the 200. */
function answered(r: ReturnType<typeof rig>, invite = request("INVITE", { body: OFFER })): Msg {
  r.deliver(invite);
  const out = r.take();
  expect(out.map((m) => m.kind)).toEqual(["100", "180", "200"]);
  return out[2]!;
}

describe("incoming call (UAS)", () => {
  it("answers: 100 Trying, 180 Ringing, 200 OK with the G.711 answer; ACK; BYE", () => {
    const r = rig();
    r.deliver(request("INVITE", { body: OFFER }));
    const [trying, ringing, ok] = r.take();
    expect(trying!.kind).toBe("100");
    expect(trying!.msg.to.tagLen).toBe(-1); // §8.2.6.2: no tag needed on 100
    expect(ringing!.kind).toBe("180");
    expect(ok!.kind).toBe("200");
    expect(toTag(ringing!)).toBe(toTag(ok!));
    expect(toTag(ok!)).toMatch(/^[0-9a-f]{16}$/);
    expect(ringing!.address).toBe("198.51.100.7");
    expect(ringing!.port).toBe(5070);
    expect(hdr(ok!, H.Contact)).toBe("<sip:door@192.0.2.10:5060>");
    expect(hdr(ok!, H.Allow)).toContain("INVITE");
    expect(hdr(ok!, H.Allow)).toContain("REFER");
    expect(hdr(ok!, H.Supported)).toBe("100rel");
    expect(hdr(ok!, H.ContentType)).toBe("application/sdp");
    const sdp = body(ok!);
    expect(sdp).toMatch(/^v=0\r\no=doorsip \d+ 1 IN IP4 192\.0\.2\.10\r\n/);
    expect(sdp).toContain("c=IN IP4 192.0.2.10\r\n");
    expect(sdp).toContain("m=audio 40000 RTP/AVP 0 101\r\n");
    expect(sdp).toContain("a=rtpmap:0 PCMU/8000\r\n");
    expect(sdp).toContain("a=rtpmap:101 telephone-event/8000\r\n");
    expect(sdp).toContain("a=ptime:20\r\n");
    expect(sdp).toContain("a=sendrecv\r\n");
    expect(r.eventNames()).toEqual(["incoming call"]);
    const call = r.intercom.ua.calls[0]!;
    expect(call.remoteRtpAddress).toBe("198.51.100.7");
    expect(call.remoteRtpPort).toBe(49170);
    expect(call.telephoneEventPt).toBe(101);

    r.deliver(ackFor(ok!));
    expect(r.eventNames()).toEqual(["incoming call", "call up"]);
    r.advance(40_000);
    expect(r.take()).toEqual([]); // no 2xx retransmission after the ACK

    r.deliver(request("BYE", { toTag: toTag(ok!), cseq: 2 }));
    const bye = r.take();
    expect(bye.map((m) => m.kind)).toEqual(["200"]);
    expect(hdr(bye[0]!, H.CSeq)).toBe("2 BYE");
    expect(r.events.at(-1)).toMatchObject({ name: "call down", detail: "remote hangup" });
    expect(r.intercom.ua.activeCalls).toBe(0);
    r.advance(60_000);
    expect(r.intercom.layer.serverCount).toBe(0);
    expect(r.intercom.layer.clientCount).toBe(0);
  });

  it("copies Record-Route into the 180 and 200 and routes its own requests by it (§12.1.1, §12.2.1.1)", () => {
    const r = rig({ calls: { callLimitMs: 10_000 } });
    const ok = answered(r, request("INVITE", { body: OFFER, extra: ["Record-Route: <sip:198.51.100.1;lr>, <sip:198.51.100.2:5062;lr>"] }));
    expect(ok.text).toContain("Record-Route: <sip:198.51.100.1;lr>, <sip:198.51.100.2:5062;lr>\r\n");
    r.deliver(ackFor(ok));
    r.advance(10_000);
    const bye = r.take().find((m) => m.kind === "BYE")!;
    // The UAS's route set is the Record-Route in order: the first hop is 198.51.100.1.
    expect(bye.text).toContain("Route: <sip:198.51.100.1;lr>\r\nRoute: <sip:198.51.100.2:5062;lr>\r\n");
    expect(bye.address).toBe("198.51.100.1");
    expect(bye.port).toBe(5060);
    expect(bye.msg.uriString()).toBe("sip:100@198.51.100.7:5070");
  });

  it("picks PCMA when the offer lists it before PCMU, and answers the offer's telephone-event type", () => {
    const r = rig();
    const ok = answered(r, request("INVITE", { body: offer("sendrecv", "8 0 96").replace("rtpmap:101", "rtpmap:96").replace("fmtp:101", "fmtp:96") }));
    expect(body(ok)).toContain("m=audio 40000 RTP/AVP 8 96\r\n");
  });

  it("resends the 2xx (T1 doubling to T2) until the ACK, then stops (§13.3.1.4)", () => {
    const r = rig();
    const ok = answered(r);
    const times: number[] = [];
    for (let t = 0; t < 8000; t += 100) {
      r.advance(100);
      for (const m of r.take()) {
        expect(m.kind).toBe("200");
        times.push(r.clock.now());
      }
    }
    expect(times).toEqual([500, 1500, 3500, 7500]);
    r.deliver(ackFor(ok));
    r.advance(30_000);
    expect(r.take()).toEqual([]);
    expect(r.eventNames()).toContain("call up");
  });

  it("without an ACK for 64*T1, confirms and ends the call with BYE (§13.3.1.4)", () => {
    const r = rig();
    answered(r);
    r.advance(32_000);
    const out = r.take();
    expect(out.filter((m) => m.kind === "200").length).toBeGreaterThan(4);
    const bye = out.filter((m) => m.kind === "BYE");
    expect(bye.length).toBe(1);
    expect(bye[0]!.msg.uriString()).toBe("sip:100@198.51.100.7:5070");
    expect(hdr(bye[0]!, H.To)).toBe("\"Desk\" <sip:100@pbx.test>;tag=phone-tag".replace("\"Desk\" ", ""));
    r.deliver(`SIP/2.0 200 OK\r\nVia: ${hdr(bye[0]!, H.Via)}\r\nFrom: ${hdr(bye[0]!, H.From)}\r\nTo: ${hdr(bye[0]!, H.To)}\r\nCall-ID: ${hdr(bye[0]!, H.CallId)}\r\nCSeq: ${hdr(bye[0]!, H.CSeq)}\r\nContent-Length: 0\r\n\r\n`);
    expect(r.events.at(-1)).toMatchObject({ name: "call down", detail: "no ACK" });
  });

  it("delayed offer: no SDP in the INVITE, the 200 carries the offer, the ACK the answer (§13.2.1)", () => {
    const r = rig();
    const ok = answered(r, request("INVITE"));
    const sdp = body(ok);
    expect(sdp).toContain("m=audio 40000 RTP/AVP 0 8 101\r\n");
    expect(sdp).toContain("a=rtpmap:8 PCMA/8000\r\n");
    expect(sdp).toContain("a=fmtp:101 0-16\r\n");
    r.deliver(ackFor(ok, { body: offer("sendrecv", "8") }));
    expect(r.eventNames()).toEqual(["incoming call", "call up"]);
    expect(r.intercom.ua.calls[0]!.codec).toBe(8);
  });

  it("delayed offer: an ACK without an answer ends the call with BYE", () => {
    const r = rig();
    const ok = answered(r, request("INVITE"));
    r.deliver(ackFor(ok));
    expect(r.take().map((m) => m.kind)).toEqual(["BYE"]);
  });

  it("an offer without PCMU or PCMA gets 488 with Warning 305", () => {
    const r = rig();
    r.deliver(request("INVITE", { body: offer("sendrecv", "18").replace("a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n", "a=rtpmap:18 G729/8000\r\n") }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["488"]);
    expect(out[0]!.msg.reasonString()).toBe("Not Acceptable Here");
    expect(hdr(out[0]!, H.Warning)).toBe('305 192.0.2.10 "Incompatible media format"');
    expect(r.intercom.ua.activeCalls).toBe(0);
  });

  it("CANCEL before the answer: 200 to the CANCEL, 487 to the INVITE (§9.2)", () => {
    const r = rig({ calls: { autoAnswerMs: 5000 } });
    r.deliver(request("INVITE", { body: OFFER }));
    expect(r.takeLines()).toEqual(["SIP/2.0 100 Trying", "SIP/2.0 180 Ringing"]);
    r.advance(1000);
    r.deliver(request("CANCEL", { branch: "z9hG4bKinvite1", contact: "" }).replace("CSeq: 1 CANCEL", "CSeq: 1 CANCEL"));
    const out = r.take();
    expect(out.map((m) => `${m.kind} ${hdr(m, H.CSeq)}`)).toEqual(["200 1 CANCEL", "487 1 INVITE"]);
    expect(r.events.at(-1)).toMatchObject({ name: "call down", detail: "cancelled by caller (487)" });
    r.advance(10_000);
    // No 200 after the CANCEL; the 487 is resent until its ACK (Timer G).
    expect(r.take().every((m) => m.kind === "487")).toBe(true);
  });

  it("a CANCEL that matches nothing gets 481", () => {
    const r = rig();
    r.deliver(request("CANCEL", { branch: "z9hG4bKnothing", contact: "" }));
    expect(r.takeLines()).toEqual(["SIP/2.0 481 Call/Transaction Does Not Exist"]);
  });

  it("auto-answer after its delay, then the time limit counted from the answer (one timer entry serves both)", () => {
    const r = rig({ calls: { autoAnswerMs: 5000, callLimitMs: 10_000 } });
    r.deliver(request("INVITE", { body: OFFER }));
    expect(r.takeLines()).toEqual(["SIP/2.0 100 Trying", "SIP/2.0 180 Ringing"]);
    r.advance(4999);
    expect(r.take()).toEqual([]);
    r.advance(1);
    const ok = r.take().find((m) => m.kind === "200")!;
    expect(ok).toBeDefined();
    r.deliver(ackFor(ok));
    r.advance(9_999);
    expect(r.take().filter((m) => m.kind === "BYE")).toEqual([]);
    r.advance(1);
    expect(r.take().map((m) => m.kind)).toEqual(["BYE"]);
    expect(r.logs.some((l) => l.includes("time limit reached"))).toBe(true);
  });

  it("a second INVITE while a call rings gets 486 Busy Here", () => {
    const r = rig({ calls: { autoAnswerMs: 5000 } });
    r.deliver(request("INVITE", { body: OFFER }));
    r.take();
    r.deliver(request("INVITE", { body: OFFER, callId: "other@phone", branch: "z9hG4bKother", fromTag: "other" }));
    expect(r.takeLines()).toEqual(["SIP/2.0 486 Busy Here"]);
  });
});
