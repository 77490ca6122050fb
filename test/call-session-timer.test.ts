/*
 * Session timers (RFC 4028) on the virtual clock: the door answers a PBX
 * that requires them (§9), watches the session and hangs up when no
 * refresh comes (§10), refreshes by UPDATE or re-INVITE when it is the
 * refresher, and keeps the call time limit beside the session timer.
 * Under XS, a whole call with session timers (the door's UPDATE, the
 * PBX's, the door's BYE at expiry) allocates exactly what the same call
 * without them does: 0 slots and the same chunk bytes (the inbound call's
 * known remainder at Warn, test/perf-xs.test.ts).
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { H } from "../src/sip/message/header";
import { decide, Decision, expiryMs, readMinSe, readSessionExpires, refreshMs } from "../src/ua/call/session-timer";
import { HeaderValues } from "../src/sip/message/values";
import { ackFor, hdr, OFFER, reply, request, rig, type Msg, type Rig, toTag } from "./support/call-harness";
import { parse } from "./support/transaction-harness";
import { measure } from "../hosts/xs/harness";

const ALLOW_UPDATE = "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE";
const ALLOW_NO_UPDATE = "Allow: INVITE, ACK, CANCEL, BYE, OPTIONS";

/** An INVITE from the PBX with these extra headers; the door's answers to it. */
function invite(r: Rig, extra: string[]): Msg[] {
  r.deliver(request("INVITE", { body: OFFER, extra }));
  return r.take();
}

/** INVITE → 200 → ACK: returns the 200 (throws when the door did not answer 200). */
function up(r: Rig, extra: string[]): Msg {
  const out = invite(r, extra);
  const ok = out.find((m) => m.kind === "200");
  if (ok === undefined) throw new Error(`no 200: ${out.map((m) => m.kind).join(", ")}`);
  r.deliver(ackFor(ok));
  expect(r.eventNames()).toContain("call up");
  return ok;
}

/** A request in the call's dialog from the PBX (re-INVITE, UPDATE, BYE). */
function inDialog(ok: Msg, method: string, cseq: number, extra: string[], body = ""): string {
  return request(method, { toTag: toTag(ok), cseq, branch: `z9hG4bK${method.toLowerCase()}${cseq}`, extra, body });
}

/** Advance the clock to `at` ms after the call's start (time 0 on the rig's clock) and take what the door sent. */
function at(r: Rig, ms: number): Msg[] {
  r.advance(ms - r.clock.now());
  return r.take();
}

function kinds(out: Msg[]): string[] {
  return out.map((m) => m.kind);
}

function lastDown(r: Rig): string | undefined {
  return r.events.filter((e) => e.name === "call down").at(-1)?.detail;
}

describe("session timers: reading and deciding (RFC 4028 §4, §5, §9)", () => {
  const values = new HeaderValues();
  const msg = (lines: string[]) => parse(request("INVITE", { extra: lines }));
  it("reads delta-seconds and the refresher; rejects what is not the grammar", () => {
    expect(readSessionExpires(msg(["Session-Expires: 1800;refresher=uac"]))).toBe(1800 * 4 + 1);
    expect(readSessionExpires(msg(["x: 300 ; Refresher = UAS"]))).toBe(300 * 4 + 2);
    expect(readSessionExpires(msg(["Session-Expires: 90;foo=bar;baz"]))).toBe(90 * 4);
    expect(readSessionExpires(msg([]))).toBe(-1);
    for (const bad of ["abc", "1800;refresher=both", "1800;refresher", "1800 600", "-5", "1800;"]) {
      expect(readSessionExpires(msg([`Session-Expires: ${bad}`])), bad).toBe(-2);
    }
    expect(readSessionExpires(msg(["Session-Expires: 1800", "Session-Expires: 900"]))).toBe(-2);
    expect(readMinSe(msg(["Min-SE: 120;x=1"]))).toBe(120);
    expect(readMinSe(msg(["Min-SE: two"]))).toBe(-2);
  });

  it("decides: no Session-Expires no timer; too small 422 or raised; refresher kept or chosen", () => {
    const d = (lines: string[]) => decide(msg(lines), values);
    expect(d(["Supported: timer"])).toBe(Decision.NoTimer);
    expect(d(["Supported: timer", "Session-Expires: 60"])).toBe(Decision.TooSmall);
    expect(d(["Session-Expires: 60"])).toBe(90 * 8 + 2); // no support: raised to 90, the door refreshes
    expect(d(["Supported: timer", "Session-Expires: 1800"])).toBe(1800 * 8 + 4 + 1); // uac chosen
    expect(d(["Require: timer", "Session-Expires: 1800;refresher=uas"])).toBe(1800 * 8 + 4 + 2);
    expect(d(["Supported: timer", "Session-Expires: 100", "Min-SE: 120"])).toBe(120 * 8 + 4 + 1);
    expect(d(["Session-Expires: 1800;refresher=uac"])).toBe(1800 * 8 + 2); // a UAC without timers cannot refresh
    expect(d(["Session-Expires: soon"])).toBe(Decision.BadSessionExpires);
    expect(d(["Session-Expires: 1800", "Min-SE: soon"])).toBe(Decision.BadMinSe);
    expect(expiryMs(90)).toBe(60_000);
    expect(expiryMs(1800)).toBe(1_768_000);
    expect(refreshMs(90)).toBe(45_000);
  });
});

describe("session timers: the door as UAS (RFC 4028 §9)", () => {
  it("Require: timer is no longer 420: 200 with Session-Expires;refresher=uac and Require: timer", () => {
    const r = rig();
    const out = invite(r, ["Supported: 100rel, timer, replaces", "Require: timer", "Session-Expires: 1800", "Min-SE: 90", ALLOW_UPDATE]);
    expect(kinds(out)).toEqual(["100", "180", "200"]);
    const ok = out[2]!;
    expect(hdr(ok, H.SessionExpires)).toBe("1800;refresher=uac");
    expect(hdr(ok, H.Require)).toBe("timer");
    expect(hdr(ok, H.Supported)).toBe("100rel, timer");
    const call = r.intercom.ua.calls[0]!;
    expect(call.sessionExpires).toBe(1800);
    expect(call.sessionRefresher).toBe(false);
  });

  it("keeps the request's refresher; Supported: timer without Session-Expires leaves the 200 as it was", () => {
    const r = rig();
    const ok = invite(r, ["Supported: timer", "Session-Expires: 600;refresher=uas"]).find((m) => m.kind === "200")!;
    expect(hdr(ok, H.SessionExpires)).toBe("600;refresher=uas");
    expect(hdr(ok, H.Require)).toBe("timer");
    const call = r.intercom.ua.calls[0]!;
    expect(call.sessionExpires).toBe(600);
    expect(call.sessionRefresher).toBe(true);

    const r2 = rig();
    const ok2 = invite(r2, ["Supported: 100rel, timer"]).find((m) => m.kind === "200")!;
    expect(hdr(ok2, H.SessionExpires)).toBeUndefined();
    expect(hdr(ok2, H.Require)).toBeUndefined();
    expect(hdr(ok2, H.Supported)).toBe("100rel");
    expect(r2.intercom.ua.calls[0]!.sessionExpires).toBe(0);
  });

  it("a Session-Expires a proxy added for a UAC without timers: refresher=uas, no Require, raised to 90 (§9, erratum 1687)", () => {
    const r = rig();
    const ok = invite(r, ["Session-Expires: 30"]).find((m) => m.kind === "200")!;
    expect(hdr(ok, H.SessionExpires)).toBe("90;refresher=uas");
    expect(hdr(ok, H.Require)).toBeUndefined();
  });

  it("an interval below 90 s with timer support: 422 with Min-SE: 90, no call", () => {
    const r = rig();
    const out = invite(r, ["Supported: timer", "Session-Expires: 60"]);
    expect(kinds(out)).toEqual(["422"]);
    expect(out[0]!.msg.reasonString()).toBe("Session Interval Too Small");
    expect(hdr(out[0]!, H.MinSE)).toBe("90");
    expect(r.intercom.ua.activeCalls).toBe(0);
    // The UAC retries with Min-SE and a larger interval (§7.1): answered.
    r.deliver(request("INVITE", { body: OFFER, cseq: 2, branch: "z9hG4bKinvite2", extra: ["Supported: timer", "Session-Expires: 90", "Min-SE: 90"] }));
    const ok = r.take().find((m) => m.kind === "200")!;
    expect(hdr(ok, H.SessionExpires)).toBe("90;refresher=uac");
  });

  it("a malformed Session-Expires or Min-SE: 400 saying which", () => {
    const r = rig();
    let out = invite(r, ["Supported: timer", "Session-Expires: 1800;refresher=proxy"]);
    expect(out.map((m) => `${m.kind} ${m.msg.reasonString()}`)).toEqual(["400 Bad Request - Invalid Session-Expires"]);
    r.deliver(request("INVITE", { body: OFFER, callId: "call-2@phone", branch: "z9hG4bKinvite2", extra: ["Supported: timer", "Session-Expires: 1800", "Min-SE: ninety"] }));
    out = r.take();
    expect(out.map((m) => `${m.kind} ${m.msg.reasonString()}`)).toEqual(["400 Bad Request - Invalid Min-SE"]);
    expect(r.intercom.ua.activeCalls).toBe(0);
  });
});

describe("session timers: watching the PBX's refreshes (RFC 4028 §10)", () => {
  it("no refresh: BYE at SE - min(32, SE/3), the call ends as session expired", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    const ok = up(r, ["Supported: timer", "Require: timer", "Session-Expires: 90;refresher=uac"]);
    expect(hdr(ok, H.SessionExpires)).toBe("90;refresher=uac");
    expect(at(r, 59_999)).toEqual([]);
    const bye = at(r, 60_000);
    expect(kinds(bye)).toEqual(["BYE"]);
    r.deliver(reply(bye[0]!, 200, "OK", { toTag: null }));
    expect(lastDown(r)).toBe("session expired");
    expect(r.intercom.ua.activeCalls).toBe(0);
  });

  it("a refresh by re-INVITE restarts the interval with its own Session-Expires", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    const ok = up(r, ["Supported: timer", "Session-Expires: 90"]);
    r.advance(45_000);
    r.deliver(inDialog(ok, "INVITE", 2, ["Supported: timer", "Session-Expires: 150;refresher=uac"], OFFER));
    const ok2 = r.take();
    expect(kinds(ok2)).toEqual(["200"]);
    expect(hdr(ok2[0]!, H.SessionExpires)).toBe("150;refresher=uac");
    expect(hdr(ok2[0]!, H.Require)).toBe("timer");
    r.deliver(ackFor(ok2[0]!));
    // The first interval would have ended at 60 s; the new one at 45 + 150 - 32 = 163 s.
    expect(at(r, 162_999)).toEqual([]);
    expect(kinds(at(r, 163_000))).toEqual(["BYE"]);
  });

  it("a refresh by UPDATE restarts it too; one too small gets 422 and changes nothing", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    const ok = up(r, ["Supported: timer", "Session-Expires: 120;refresher=uac"]);
    r.advance(50_000);
    r.deliver(inDialog(ok, "UPDATE", 2, ["Supported: timer", "Session-Expires: 120;refresher=uac"]));
    const u = r.take();
    expect(kinds(u)).toEqual(["200"]);
    expect(hdr(u[0]!, H.SessionExpires)).toBe("120;refresher=uac");
    r.advance(30_000);
    r.deliver(inDialog(ok, "UPDATE", 3, ["Supported: timer", "Session-Expires: 45"]));
    const small = r.take();
    expect(kinds(small)).toEqual(["422"]);
    expect(hdr(small[0]!, H.MinSE)).toBe("90");
    // Expiry from the accepted UPDATE at 50 s: 50 + 120 - 32 = 138 s.
    expect(at(r, 137_999)).toEqual([]);
    expect(kinds(at(r, 138_000))).toEqual(["BYE"]);
  });

  it("a refresh without Session-Expires ends the session timer (§9: none in the 2xx)", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    const ok = up(r, ["Supported: timer", "Session-Expires: 90"]);
    r.advance(30_000);
    r.deliver(inDialog(ok, "UPDATE", 2, ["Supported: timer"]));
    const u = r.take();
    expect(kinds(u)).toEqual(["200"]);
    expect(hdr(u[0]!, H.SessionExpires)).toBeUndefined();
    expect(at(r, 600_000)).toEqual([]);
    expect(r.intercom.ua.activeCalls).toBe(1);
  });
});

describe("session timers: the door refreshes (RFC 4028 §7.4, §10)", () => {
  it("refresher=uas and the PBX allows UPDATE: UPDATE at SE/2, again after each 2xx; 481 ends the call with BYE", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    const ok = up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_UPDATE]);
    expect(hdr(ok, H.SessionExpires)).toBe("90;refresher=uas");
    expect(at(r, 44_999)).toEqual([]);
    const u1 = at(r, 45_000);
    expect(kinds(u1)).toEqual(["UPDATE"]);
    const update = u1[0]!;
    expect(hdr(update, H.SessionExpires)).toBe("90;refresher=uac");
    expect(hdr(update, H.MinSE)).toBe("90");
    expect(hdr(update, H.Supported)).toBe("100rel, timer");
    expect(hdr(update, H.Contact)).toBe("<sip:door@192.0.2.10:5060>");
    expect(update.msg.uriString()).toBe("sip:100@198.51.100.7:5070");
    expect(hdr(update, H.To)).toBe(`<sip:100@pbx.test>;tag=phone-tag`);
    expect(update.msg.bodyLen).toBe(0);
    r.deliver(reply(update, 200, "OK", { toTag: null, extra: ["Require: timer", "Session-Expires: 90;refresher=uac"] }));
    expect(r.take()).toEqual([]);
    const u2 = at(r, 90_000);
    expect(kinds(u2)).toEqual(["UPDATE"]);
    expect(u2[0]!.msg.cseq).toBe(update.msg.cseq + 1);
    r.deliver(reply(u2[0]!, 481, "Call/Transaction Does Not Exist", { toTag: null }));
    const bye = r.take();
    expect(kinds(bye)).toEqual(["BYE"]);
    r.deliver(reply(bye[0]!, 200, "OK", { toTag: null }));
    expect(lastDown(r)).toBe("session expired");
  });

  it("the PBX's 2xx hands the refreshes back (refresher=uas): the door then watches", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_UPDATE]);
    const update = at(r, 45_000)[0]!;
    r.deliver(reply(update, 200, "OK", { toTag: null, extra: ["Require: timer", "Session-Expires: 90;refresher=uas"] }));
    expect(r.intercom.ua.calls[0]!.sessionRefresher).toBe(false);
    expect(at(r, 104_999)).toEqual([]);
    expect(kinds(at(r, 105_000))).toEqual(["BYE"]);
  });

  it("no UPDATE in the PBX's Allow: re-INVITE with the same SDP, ACK for its 2xx; no answer at all ends the call", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    const ok = up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_NO_UPDATE]);
    const sdp = ok.text.slice(ok.text.indexOf("\r\n\r\n") + 4);
    const ri = at(r, 45_000);
    expect(kinds(ri)).toEqual(["INVITE"]);
    const reinvite = ri[0]!;
    expect(hdr(reinvite, H.SessionExpires)).toBe("90;refresher=uac");
    // Our full offer again (RFC 3264 §5), in the same SDP session: the o= id kept, the version one up as the
    // description differs from the answer in the 200 (§8).
    const offered = reinvite.text.slice(reinvite.text.indexOf("\r\n\r\n") + 4);
    const o = (text: string) => /o=doorsip (\d+) (\d+) /.exec(text)!;
    expect(o(offered)[1]).toBe(o(sdp)[1]);
    expect(Number(o(offered)[2])).toBe(Number(o(sdp)[2]) + 1);
    expect(offered).toContain("m=audio 40000 RTP/AVP 0 8 101\r\n");
    r.deliver(reply(reinvite, 200, "OK", { toTag: null, body: OFFER, extra: ["Require: timer", "Session-Expires: 90;refresher=uac"] }));
    const ack = r.take();
    expect(kinds(ack)).toEqual(["ACK"]);
    expect(hdr(ack[0]!, H.CSeq)).toBe(`${reinvite.msg.cseq} ACK`);
    // The next refresh at 90 s gets no answer: Timer B (64*T1 = 32 s), then BYE.
    const again = at(r, 90_000);
    expect(kinds(again)).toEqual(["INVITE"]);
    const out = at(r, 122_000);
    expect(kinds(out).filter((k) => k !== "INVITE")).toEqual(["BYE"]); // INVITE retransmissions (Timer A) before it
    r.deliver(reply(out.find((m) => m.kind === "BYE")!, 200, "OK", { toTag: null }));
    expect(lastDown(r)).toBe("session expired");
  });
});

describe("a late 2xx to the door's refreshing re-INVITE (found by test/sfuzz.test.ts)", () => {
  /** The refresh goes unanswered until Timer B (64*T1): the door sends BYE (§10); returns the re-INVITE and that BYE. */
  function refreshTimedOut(r: Rig): { reinvite: Msg; bye: Msg } {
    up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_NO_UPDATE]);
    const ri = at(r, 45_000);
    expect(kinds(ri)).toEqual(["INVITE"]);
    const out = at(r, 45_000 + 64 * 500);
    const bye = out.find((m) => m.kind === "BYE");
    expect(bye, kinds(out).join(",")).toBeDefined();
    return { reinvite: ri[0]!, bye: bye! };
  }

  it("while the call's BYE is under way: ACKed with its CSeq, no second BYE (the same CSeq again, §12.2.1.1)", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    const { reinvite, bye } = refreshTimedOut(r);
    r.deliver(reply(reinvite, 200, "OK", { toTag: null, body: OFFER }));
    const out = r.take();
    expect(kinds(out)).toEqual(["ACK"]);
    expect(hdr(out[0]!, H.CSeq)).toBe(`${reinvite.msg.cseq} ACK`);
    expect(hdr(out[0]!, H.To)).toBe(hdr(bye, H.To));
    r.deliver(reply(bye, 200, "OK", { toTag: null }));
    expect(lastDown(r)).toBe("session expired");
    expect(r.intercom.ua.activeCalls).toBe(0);
  });

  it("after the call ended, its slot still idle: ACKed along the dialog's route set (the 2xx repeats no Record-Route, §12.2.1.2; found by test/sfuzz.test.ts)", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_NO_UPDATE, "Record-Route: <sip:198.51.100.7:5070;lr;ftag=rr1>"]);
    const reinvite = at(r, 45_000)[0]!;
    expect(hdr(reinvite, H.Route)).toBe("<sip:198.51.100.7:5070;lr;ftag=rr1>");
    const bye = at(r, 45_000 + 64 * 500).find((m) => m.kind === "BYE")!;
    r.deliver(reply(bye, 200, "OK", { toTag: null }));
    expect(r.intercom.ua.activeCalls).toBe(0);
    r.deliver(reply(reinvite, 200, "OK", { toTag: null, body: OFFER }));
    const out = r.take();
    expect(kinds(out)).toEqual(["ACK"]);
    expect(hdr(out[0]!, H.CSeq)).toBe(`${reinvite.msg.cseq} ACK`);
    expect(hdr(out[0]!, H.Route)).toBe("<sip:198.51.100.7:5070;lr;ftag=rr1>");
  });

  it("after the call ended and its slot took the next call: ACKed, no BYE in the ended dialog (found by test/sfuzz.test.ts)", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    const { reinvite, bye } = refreshTimedOut(r);
    r.deliver(reply(bye, 200, "OK", { toTag: null }));
    expect(lastDown(r)).toBe("session expired");
    // The next call takes the slot; it is up when the PBX's 2xx to the old refresh finally arrives.
    r.deliver(request("INVITE", { body: OFFER, callId: "next-call@pbx.test", branch: "z9hG4bKnext", fromTag: "next-tag" }));
    const next = r.take().find((m) => m.kind === "200");
    expect(next).toBeDefined();
    r.deliver(ackFor(next!));
    expect(r.intercom.ua.calls[0]!.active).toBe(true);
    r.deliver(reply(reinvite, 200, "OK", { toTag: null, body: OFFER }));
    const out = r.take();
    // §13.2.2.4: ACKed with its CSeq; its dialog ended with the door's BYE, answered: no BYE there again.
    expect(kinds(out)).toEqual(["ACK"]);
    expect(hdr(out[0]!, H.CSeq)).toBe(`${reinvite.msg.cseq} ACK`);
    expect(hdr(out[0]!, H.To)).toBe(hdr(bye, H.To));
    expect(r.intercom.ua.activeCalls).toBe(1);
    expect(r.eventNames().filter((e) => e === "call down").length).toBe(1);
  });
});

describe("session timers: the door's refresh refused (RFC 4028 §7.2, §10)", () => {
  it("422 with a larger Min-SE: asked again at once with that interval", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_UPDATE]);
    const u1 = at(r, 45_000)[0]!;
    r.deliver(reply(u1, 422, "Session Interval Too Small", { toTag: null, extra: ["Min-SE: 120"] }));
    const u2 = r.take();
    expect(kinds(u2)).toEqual(["UPDATE"]);
    expect(hdr(u2[0]!, H.SessionExpires)).toBe("120;refresher=uac");
    expect(hdr(u2[0]!, H.MinSE)).toBe("120");
    r.deliver(reply(u2[0]!, 200, "OK", { toTag: null, extra: ["Require: timer", "Session-Expires: 120;refresher=uac"] }));
    expect(r.intercom.ua.calls[0]!.sessionExpires).toBe(120);
    expect(kinds(at(r, 105_000))).toEqual(["UPDATE"]); // 45 + 120/2
  });

  it("405 to UPDATE: the door refreshes by re-INVITE from then on", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_UPDATE]);
    const u1 = at(r, 45_000)[0]!;
    r.deliver(reply(u1, 405, "Method Not Allowed", { toTag: null }));
    expect(kinds(r.take())).toEqual(["INVITE"]);
  });

  it("another failure (500): the call lasts until the session expires, then BYE", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_UPDATE]);
    const u1 = at(r, 45_000)[0]!;
    r.deliver(reply(u1, 500, "Server Internal Error", { toTag: null }));
    expect(r.take()).toEqual([]);
    // Expiry from the last 2xx (0 s): 90 - 30 = 60 s.
    expect(at(r, 59_999)).toEqual([]);
    expect(kinds(at(r, 60_000))).toEqual(["BYE"]);
  });

  it("a re-INVITE from the PBX while the door's refreshing re-INVITE is pending gets 491 (RFC 3261 §14.2)", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    const ok = up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_NO_UPDATE]);
    expect(kinds(at(r, 45_000))).toEqual(["INVITE"]);
    r.deliver(inDialog(ok, "INVITE", 2, ["Supported: timer", "Session-Expires: 90"], OFFER));
    const out = r.take();
    expect(out.map((m) => `${m.kind} ${m.msg.reasonString()}`)).toEqual(["491 Request Pending"]);
  });
});

describe("session timers beside the call time limit", () => {
  it("the limit comes first: BYE at the limit though refreshes keep the session", () => {
    const r = rig({ calls: { callLimitMs: 100_000 } });
    const ok = up(r, ["Supported: timer", "Session-Expires: 90;refresher=uac"]);
    r.advance(50_000);
    r.deliver(inDialog(ok, "UPDATE", 2, ["Supported: timer", "Session-Expires: 90"]));
    expect(kinds(r.take())).toEqual(["200"]);
    expect(at(r, 99_999)).toEqual([]);
    const bye = at(r, 100_000);
    expect(kinds(bye)).toEqual(["BYE"]);
    r.deliver(reply(bye[0]!, 200, "OK", { toTag: null }));
    expect(lastDown(r)).toBe("time limit");
  });

  it("the session expires first: BYE then; a refresh does not move the limit", () => {
    const r = rig({ calls: { callLimitMs: 130_000 } });
    const ok = up(r, ["Supported: timer", "Session-Expires: 90;refresher=uac"]);
    r.advance(55_000);
    r.deliver(inDialog(ok, "INVITE", 2, ["Supported: timer", "Session-Expires: 90"], OFFER));
    const ok2 = r.take()[0]!;
    r.deliver(ackFor(ok2));
    // Session expiry moved to 55 + 60 = 115 s, before the limit at 130 s.
    expect(at(r, 114_999)).toEqual([]);
    const bye = at(r, 115_000);
    expect(kinds(bye)).toEqual(["BYE"]);
    r.deliver(reply(bye[0]!, 200, "OK", { toTag: null }));
    expect(lastDown(r)).toBe("session expired");

    // Refreshed past the limit instead: the limit fires at 130 s.
    const r2 = rig({ calls: { callLimitMs: 130_000 } });
    const okB = up(r2, ["Supported: timer", "Session-Expires: 90;refresher=uac"]);
    r2.advance(55_000);
    r2.deliver(inDialog(okB, "UPDATE", 2, ["Supported: timer", "Session-Expires: 90"]));
    r2.take();
    r2.advance(55_000);
    r2.deliver(inDialog(okB, "UPDATE", 3, ["Supported: timer", "Session-Expires: 90"]));
    r2.take();
    expect(at(r2, 129_999)).toEqual([]);
    expect(kinds(at(r2, 130_000))).toEqual(["BYE"]);
  });
});

describe("session timers: the doorbell call (UAC, RFC 4028 §7.2)", () => {
  it("the INVITE does not offer timers; a 2xx that makes the door the refresher anyway gets UPDATEs", () => {
    const r = rig({ targets: ["100"], calls: { callLimitMs: 0 } });
    r.intercom.press();
    const inv = r.take().find((m) => m.kind === "INVITE")!;
    expect(hdr(inv, H.Supported)).toBe("100rel");
    expect(hdr(inv, H.SessionExpires)).toBeUndefined();
    r.deliver(reply(inv, 200, "OK", { body: OFFER, extra: [ALLOW_UPDATE, "Require: timer", "Session-Expires: 120;refresher=uac"] }));
    expect(kinds(r.take())).toEqual(["ACK"]);
    expect(at(r, 59_999)).toEqual([]);
    const u = at(r, 60_000);
    expect(kinds(u)).toEqual(["UPDATE"]);
    expect(hdr(u[0]!, H.SessionExpires)).toBe("120;refresher=uac");
    expect(hdr(u[0]!, H.To)).toBe("<sip:100@pbx.test>;tag=callee-tag");
  });

  it("a 2xx without Session-Expires: no session timer (as before)", () => {
    const r = rig({ targets: ["100"], calls: { callLimitMs: 0 } });
    r.intercom.press();
    const inv = r.take().find((m) => m.kind === "INVITE")!;
    r.deliver(reply(inv, 200, "OK", { body: OFFER }));
    expect(kinds(r.take())).toEqual(["ACK"]);
    expect(at(r, 3_600_000)).toEqual([]);
  });
});

describe("session timers under XS (allocation)", () => {
  it("a call with session timers allocates 0 slots and no more chunk bytes than the same call without them", async () => {
    const entry = "test/xs/fixtures/session-timer.ts";
    const timed = await measure({ entry, exportName: "timedCall", iterations: 4, warmup: 2, timeoutMs: 120_000 });
    const plain = await measure({ entry, exportName: "plainCall", iterations: 4, warmup: 2, timeoutMs: 120_000 });
    for (const m of [timed, plain]) {
      expect(m.gcRan).toBe(false);
      expect(m.exact).toBe(true);
      expect(m.slots).toBe(0);
    }
    expect(timed.chunkBytes).toBe(plain.chunkBytes);
    console.log(`session-timer call: ${timed.slots} slots, ${timed.chunkBytes} chunk bytes over ${timed.iterations} calls (without timers: ${plain.chunkBytes})`);
  }, 180_000);
});

describe("session timers: the door's refresh challenged or in glare (review)", () => {
  const challenge = (nonce: string) => `Proxy-Authenticate: Digest realm="pbx.test", nonce="${nonce}", algorithm=MD5`;
  const md5 = (s: string) => createHash("md5").update(s).digest("hex");
  const params = (auth: string) => Object.fromEntries([...auth.matchAll(/(\w+)="?([^",]+)"?/g)].map((m) => [m[1]!, m[2]!]));

  it("a 407 to the door's refresh (3CX challenges every request) is answered once with credentials, not taken as a failure", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_UPDATE]);
    const u1 = at(r, 45_000)[0]!;
    expect(hdr(u1, H.ProxyAuthorization)).toBeUndefined();
    r.deliver(reply(u1, 407, "Proxy Authentication Required", { toTag: null, extra: [challenge("r1")] }));
    const u2 = r.take();
    expect(kinds(u2)).toEqual(["UPDATE"]);
    expect(u2[0]!.msg.cseq).toBe(u1.msg.cseq + 1);
    const p = params(hdr(u2[0]!, H.ProxyAuthorization)!);
    expect(p.nonce).toBe("r1");
    expect(p.uri).toBe("sip:100@198.51.100.7:5070");
    expect(p.response).toBe(md5(`${md5("door:pbx.test:doorpass")}:r1:${md5(`UPDATE:${p.uri}`)}`));
    r.deliver(reply(u2[0]!, 200, "OK", { toTag: null, extra: ["Require: timer", "Session-Expires: 90;refresher=uac"] }));
    // The session was refreshed at 45 s: no BYE at 60 s, the next refresh at 90 s.
    expect(at(r, 89_999)).toEqual([]);
    const u3 = at(r, 90_000);
    expect(kinds(u3)).toEqual(["UPDATE"]);
    expect(params(hdr(u3[0]!, H.ProxyAuthorization)!).nonce).toBe("r1");
    // A fresh nonce for the next request (no stale=true): the password was proven, so answered again.
    r.deliver(reply(u3[0]!, 407, "Proxy Authentication Required", { toTag: null, extra: [challenge("r2")] }));
    const u4 = r.take();
    expect(kinds(u4)).toEqual(["UPDATE"]);
    expect(params(hdr(u4[0]!, H.ProxyAuthorization)!).nonce).toBe("r2");
    // The same refresh challenged again: not answered a second time; the door watches what is left of the session.
    r.deliver(reply(u4[0]!, 407, "Proxy Authentication Required", { toTag: null, extra: [challenge("r3")] }));
    expect(r.take()).toEqual([]);
    expect(r.intercom.ua.activeCalls).toBe(1);
    // The interval from the last 2xx at 45 s ends (less min(32, 90/3)) at 105 s.
    expect(at(r, 104_999)).toEqual([]);
    expect(kinds(at(r, 105_000))).toEqual(["BYE"]);
  });

  it("a 401 to the doorbell call's refreshing re-INVITE after its INVITE was authenticated is answered with the new nonce", () => {
    const r = rig({ targets: ["100"], calls: { callLimitMs: 0 } });
    r.intercom.press();
    const inv = r.take().find((m) => m.kind === "INVITE")!;
    r.deliver(reply(inv, 401, "Unauthorized", { extra: ['WWW-Authenticate: Digest realm="pbx.test", nonce="i1", algorithm=MD5'] }));
    const inv2 = r.take().find((m) => m.kind === "INVITE")!;
    r.deliver(reply(inv2, 200, "OK", { body: OFFER, extra: [ALLOW_NO_UPDATE, "Require: timer", "Session-Expires: 90;refresher=uac"] }));
    expect(kinds(r.take())).toEqual(["ACK"]);
    const ri = at(r, 45_000);
    expect(kinds(ri)).toEqual(["INVITE"]);
    r.deliver(reply(ri[0]!, 401, "Unauthorized", { extra: ['WWW-Authenticate: Digest realm="pbx.test", nonce="i2", algorithm=MD5'] }));
    const out = r.take();
    // The 401 is acknowledged by the transaction (§17.1.1.3); then the re-INVITE again with the new nonce.
    const again = out.find((m) => m.kind === "INVITE");
    expect(again, kinds(out).join(", ")).toBeDefined();
    expect(params(hdr(again!, H.Authorization)!).nonce).toBe("i2");
    r.deliver(reply(again!, 200, "OK", { body: OFFER, extra: ["Require: timer", "Session-Expires: 90;refresher=uac"] }));
    expect(kinds(r.take())).toEqual(["ACK"]);
    expect(at(r, 89_999).filter((m) => m.kind === "BYE")).toEqual([]);
  });

  it("a 491 to the door's refresh (the PBX's own re-INVITE crossed it) is retried after a short random wait (RFC 3261 §14.1), not left to expire", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_UPDATE]);
    const u1 = at(r, 45_000)[0]!;
    r.deliver(reply(u1, 491, "Request Pending", { toTag: null }));
    expect(r.take()).toEqual([]);
    // The PBX chose the Call-ID (the door did not place the call): again within 0 to 2 s (§14.1).
    const u2 = at(r, 47_000);
    // Sent once (Timer E may have resent it within the window: the same CSeq).
    expect(u2.length).toBeGreaterThan(0);
    expect(u2.map((m) => `${m.kind} ${m.msg.cseq}`)).toEqual(u2.map(() => `UPDATE ${u1.msg.cseq + 1}`));
    r.deliver(reply(u2[0]!, 200, "OK", { toTag: null, extra: ["Require: timer", "Session-Expires: 90;refresher=uac"] }));
    expect(at(r, 80_000).filter((m) => m.kind === "BYE")).toEqual([]);
    expect(r.intercom.ua.activeCalls).toBe(1);
  });
});

describe("session timers: glare with the door's pending refresh (review)", () => {
  it("the doorbell call (the door chose the Call-ID): a 491 to its refreshing re-INVITE is retried 2.1 to 4 s later (RFC 3261 §14.1)", () => {
    const r = rig({ targets: ["100"], calls: { callLimitMs: 0 } });
    r.intercom.press();
    const inv = r.take().find((m) => m.kind === "INVITE")!;
    r.deliver(reply(inv, 200, "OK", { body: OFFER, extra: [ALLOW_NO_UPDATE, "Require: timer", "Session-Expires: 90;refresher=uac"] }));
    expect(kinds(r.take())).toEqual(["ACK"]);
    const ri = at(r, 45_000)[0]!;
    r.deliver(reply(ri, 491, "Request Pending"));
    expect(kinds(r.take())).toEqual(["ACK"]); // the transaction's ACK of a non-2xx (§17.1.1.3)
    expect(at(r, 47_099)).toEqual([]);
    const again = at(r, 49_000).filter((m) => m.kind === "INVITE");
    expect(again.map((m) => m.msg.cseq)).toEqual(again.map(() => ri.msg.cseq + 1));
    expect(again.length).toBeGreaterThan(0);
  });


  it("an UPDATE with an offer while the door's refreshing re-INVITE (an offer too) is pending gets 491 (RFC 3311 §5.2); one without an offer is answered", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    const ok = up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_NO_UPDATE]);
    expect(kinds(at(r, 45_000))).toEqual(["INVITE"]);
    r.deliver(inDialog(ok, "UPDATE", 2, ["Supported: timer", "Session-Expires: 90"], OFFER.replace("a=sendrecv", "a=sendonly")));
    expect(r.take().map((m) => `${m.kind} ${m.msg.reasonString()}`)).toEqual(["491 Request Pending"]);
    r.deliver(inDialog(ok, "UPDATE", 3, ["Supported: timer", "Session-Expires: 90"]));
    expect(kinds(r.take())).toEqual(["200"]);
  });

  it("which refresh is pending is kept apart from the peer's Allow: a re-INVITE crossing the door's refreshing UPDATE is answered", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    const ok = up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_UPDATE]);
    expect(kinds(at(r, 45_000))).toEqual(["UPDATE"]);
    // A re-INVITE whose Allow leaves UPDATE out (a hold from a phone behind the PBX) while our UPDATE (no offer) is pending: answered.
    r.deliver(inDialog(ok, "INVITE", 2, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_NO_UPDATE], OFFER));
    const ok2 = r.take();
    expect(kinds(ok2)).toEqual(["200"]);
    r.deliver(ackFor(ok2[0]!));
    // Another one (resume) while the UPDATE is still unanswered: no 491 either, there is no re-INVITE of ours.
    r.deliver(inDialog(ok, "INVITE", 3, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_NO_UPDATE], OFFER));
    expect(kinds(r.take())).toEqual(["200"]);
  });
});

describe("session timers: a refresh outliving its call (review)", () => {
  it("an unanswered refresh of a call the PBX already ended does not hang up the next call in the same slot", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    const ok = up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_UPDATE]);
    expect(kinds(at(r, 45_000))).toEqual(["UPDATE"]);
    // The PBX ends the call; the door's UPDATE is never answered (lost), its transaction runs on (Timer F, 64*T1).
    r.advance(1_000);
    r.deliver(inDialog(ok, "BYE", 2, []));
    expect(kinds(r.take().filter((m) => m.kind !== "UPDATE"))).toEqual(["200"]);
    expect(r.intercom.ua.activeCalls).toBe(0);
    r.advance(4_000);
    r.deliver(request("INVITE", { body: OFFER, callId: "call-2@phone", branch: "z9hG4bKinvite-2" }));
    const ok2 = r.take().find((m) => m.kind === "200")!;
    r.deliver(ackFor(ok2));
    expect(r.intercom.ua.calls[0]!.callIdString()).toBe("call-2@phone");
    expect(at(r, 120_000).filter((m) => m.kind !== "UPDATE")).toEqual([]);
    expect(r.intercom.ua.activeCalls).toBe(1);
  });

  it("a late final response to it (481 from the PBX) does not either", () => {
    const r = rig({ calls: { callLimitMs: 0 } });
    const ok = up(r, ["Supported: timer", "Session-Expires: 90;refresher=uas", ALLOW_UPDATE]);
    const u = at(r, 45_000)[0]!;
    r.deliver(inDialog(ok, "BYE", 2, []));
    r.take();
    r.deliver(request("INVITE", { body: OFFER, callId: "call-2@phone", branch: "z9hG4bKinvite-2" }));
    const ok2 = r.take().find((m) => m.kind === "200")!;
    r.deliver(ackFor(ok2));
    r.deliver(reply(u, 481, "Call/Transaction Does Not Exist", { toTag: null }));
    expect(r.take()).toEqual([]);
    expect(r.intercom.ua.activeCalls).toBe(1);
  });
});
