/*
 * A doorbell call transferred by the phone that answered it (RFC 3515
 * REFER), on the virtual clock: the call the door places to the Refer-To
 * target joins the hunt, so the hunt is over ("answered") only when the
 * last of its calls ends, the transferred one included; while the visitor
 * talks to the target the LED shows a call, the door code opens the door
 * from the target's call, and the button hangs that call up. A transfer
 * that fails leaves the phone's call as it was, still the hunt's.
 */
import { describe, expect, it } from "vitest";
import { ButtonAction, HuntMode } from "../src/app/intercom";
import type { AudioHost } from "../src/host";
import { LedPattern } from "../src/app/status-led";
import { H } from "../src/sip/message/header";
import { Tone } from "../src/media/tone";
import { hdr, OFFER, reply, request, rig, type Msg, type Rig } from "./support/call-harness";
import { toneShare } from "./interop/audio/signal";

/** The transfer target: a phone the owner trusts (allow_from), as a Refer-To must name a trusted source or the account's domain. */
const TARGET = "198.51.100.8";
const TARGET_PORT = 5080;
/** The LED with no call in this rig (not registering: never started). */
const IDLE = LedPattern.Off;

/** The doorbell call to "100", answered by the phone; returns the door's INVITE (its From tag is the dialog's local tag). */
function answeredDoorbell(r: Rig): Msg {
  expect(r.intercom.led.pattern).toBe(IDLE);
  r.intercom.press();
  const invite = r.take().find((m) => m.kind === "INVITE")!;
  r.deliver(reply(invite, 180, "Ringing"));
  r.deliver(reply(invite, 200, "OK", { body: OFFER }));
  expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
  expect(r.eventNames()).toEqual(["button pressed", "ringing", "call up"]);
  return invite;
}

/** A request from the phone in the doorbell call's dialog (it is the callee: its tag is "callee-tag", ours the INVITE's From tag). */
function fromPhone(invite: Msg, method: string, cseq: number, extra: string[] = [], body = "", contentType?: string): string {
  const doorTag = /tag=([0-9a-f]+)/.exec(hdr(invite, H.From)!)![1]!;
  return request(method, { fromTag: "callee-tag", toTag: doorTag, callId: invite.msg.callIdString(), cseq, branch: `z9hG4bKphone${method}${cseq}`, extra, body, contentType });
}

/** The phone transfers the door to the target: 202, NOTIFY 100 and the INVITE to the target come out; returns [NOTIFY, INVITE]. */
function transfer(r: Rig, invite: Msg): [Msg, Msg] {
  r.deliver(fromPhone(invite, "REFER", 2, [`Refer-To: <sip:200@${TARGET}:${TARGET_PORT}>`, "Referred-By: <sip:100@pbx.test>"]));
  const out = r.take();
  expect(out.map((m) => m.kind)).toEqual(["202", "NOTIFY", "INVITE"]);
  expect(out[2]!.address).toBe(TARGET);
  return [out[1]!, out[2]!];
}

/** A request from the transfer target in the call the door placed to it (`toTarget`, its INVITE). */
function fromTarget(toTarget: Msg, method: string, cseq: number, body = "", contentType?: string): string {
  const doorTag = /tag=([0-9a-f]+)/.exec(hdr(toTarget, H.From)!)![1]!;
  return request(method, { fromTag: "callee-tag", toTag: doorTag, callId: toTarget.msg.callIdString(), cseq, branch: `z9hG4bKtarget${method}${cseq}`, body, contentType, contact: `<sip:200@${TARGET}:${TARGET_PORT}>` });
}

/** The door's speaker: every frame it played, kept (its microphone gives nothing). */
class Speaker implements AudioHost {
  readonly played: number[] = [];
  capture(): boolean {
    return false;
  }
  play(frame: Int16Array): void {
    for (let i = 0; i < frame.length; i++) this.played.push(frame[i]!);
  }
}

/** The events after `from`, by name (and HuntOver's detail). */
function eventsAfter(r: Rig, from: number): string[] {
  return r.events.slice(from).map((e) => (e.name === "hunt over" ? `hunt over (${e.detail})` : e.name));
}

describe("a doorbell call transferred by REFER (RFC 3515) stays in the hunt", () => {
  it("the phone's BYE after the transfer ends its call, not the hunt: the hunt is over when the target's call ends; LED and door code follow the target's call", () => {
    const r = rig({ trust: { allow: [TARGET] }, targets: ["100"], doorCode: "12#" });
    const invite = answeredDoorbell(r);
    const [notify100, toTarget] = transfer(r, invite);
    expect(r.intercom.hunt.running).toBe(true);
    r.deliver(reply(notify100, 200, "OK", { toTag: null }));
    r.deliver(reply(toTarget, 180, "Ringing"), TARGET_PORT, TARGET);
    r.deliver(reply(toTarget, 200, "OK", { body: OFFER, contact: `<sip:200@${TARGET}:${TARGET_PORT}>` }), TARGET_PORT, TARGET);
    const kinds = r.take().map((m) => m.kind);
    expect(kinds).toContain("ACK");
    expect(kinds.filter((k) => k === "NOTIFY").length).toBeGreaterThanOrEqual(1);
    // The phone, told "200 OK" in its NOTIFY, hangs up its leg (RFC 3515 §2.4.5 ends its subscription, the usual transferor then BYEs).
    const at = r.events.length;
    r.deliver(fromPhone(invite, "BYE", 3));
    expect(r.take().map((m) => m.kind)).toContain("200");
    expect(eventsAfter(r, at)).toEqual(["call down"]);
    expect(r.intercom.hunt.running).toBe(true);
    expect(r.intercom.ua.activeCalls).toBe(1);
    expect(r.intercom.led.pattern).toBe(LedPattern.InCall);
    // The visitor now talks to the target: its door code opens the door.
    for (const [i, key] of ["1", "2", "#"].entries()) {
      r.deliver(fromTarget(toTarget, "INFO", 2 + i, `Signal=${key}\r\nDuration=160\r\n`, "application/dtmf-relay"), TARGET_PORT, TARGET);
    }
    expect(r.eventNames()).toContain("door opened");
    expect(r.pins.relay).toBe(true);
    r.advance(5000);
    expect(r.intercom.led.pattern).toBe(LedPattern.InCall);
    // The target hangs up: now the hunt is over, answered.
    const at2 = r.events.length;
    r.deliver(fromTarget(toTarget, "BYE", 10), TARGET_PORT, TARGET);
    expect(eventsAfter(r, at2)).toEqual(["call down", "hunt over (answered)"]);
    expect(r.intercom.hunt.running).toBe(false);
    expect(r.intercom.led.pattern).toBe(IDLE);
    expect(r.events.filter((e) => e.name === "hunt over")).toHaveLength(1);
  });

  it("a blind transfer (the phone hangs up at once) while the target rings: the LED rings, the hunt runs; the target not answering ends it", () => {
    const r = rig({ trust: { allow: [TARGET] }, targets: ["100"], calls: { ringTimeoutMs: 20_000 } });
    // A speaker at the door, to hear what the visitor hears at the end.
    const speaker = new Speaker();
    r.intercom.media.audio = speaker;
    const invite = answeredDoorbell(r);
    const [notify100, toTarget] = transfer(r, invite);
    r.deliver(reply(notify100, 200, "OK", { toTag: null }));
    r.deliver(fromPhone(invite, "BYE", 3));
    r.deliver(reply(toTarget, 180, "Ringing"), TARGET_PORT, TARGET);
    r.take();
    expect(r.intercom.hunt.running).toBe(true);
    expect(r.intercom.led.pattern).toBe(LedPattern.Ringing);
    expect(r.eventNames().filter((e) => e === "hunt over")).toEqual([]);
    // Nobody takes it: the ring timeout cancels it, and the hunt (answered once, by the phone) is over.
    r.advance(20_000);
    const cancel = r.take().find((m) => m.kind === "CANCEL")!;
    expect(cancel).toBeDefined();
    const at = r.events.length;
    r.deliver(reply(toTarget, 487, "Request Terminated"), TARGET_PORT, TARGET);
    expect(eventsAfter(r, at)).toEqual(["call down", "hunt over (answered)"]);
    expect(r.intercom.led.pattern).toBe(IDLE);
    // The phone left and the target never answered: the visitor is alone, and hears the busy tone.
    expect(r.intercom.hunt.lastUnanswered).toBe(true);
    expect(r.intercom.media.localTone.tone).toBe(Tone.Busy);
    const from = speaker.played.length;
    r.advance(600);
    expect(toneShare(Int16Array.from(speaker.played.slice(from)), 400, 3200, 425, 8000)).toBeGreaterThan(0.9);
  });

  it("parallel hunt: one phone answers, talks and hangs up; the other phone's call, cancelled when the first answered, ends last: no busy tone", () => {
    const r = rig({ trust: { allow: [TARGET] }, targets: ["100", "101"], hunt: HuntMode.Parallel, calls: { maxCalls: 3 } });
    r.intercom.media.audio = new Speaker();
    r.intercom.press();
    const [to100] = r.take().filter((m) => m.kind === "INVITE") as [Msg, Msg];
    r.deliver(reply(to100, 200, "OK", { body: OFFER }));
    r.take();
    r.advance(2000);
    r.deliver(fromPhone(to100, "BYE", 2));
    expect(r.intercom.hunt.running).toBe(true);
    r.advance(32_000 + 200 - r.clock.now());
    expect(r.events.filter((e) => e.name === "hunt over").map((e) => e.detail)).toEqual(["answered"]);
    expect(r.intercom.hunt.lastUnanswered).toBe(false);
    expect(r.intercom.media.localTone.tone).toBe(Tone.None);
  });

  it("parallel hunt: one phone answers and transfers the door, the target does not answer; the other phone's call, cancelled when the first answered, ends last: still the busy tone", () => {
    const r = rig({ trust: { allow: [TARGET] }, targets: ["100", "101"], hunt: HuntMode.Parallel, calls: { maxCalls: 3, ringTimeoutMs: 2_000 } });
    r.intercom.media.audio = new Speaker();
    r.intercom.press();
    const invites = r.take().filter((m) => m.kind === "INVITE");
    expect(invites.map((m) => m.msg.uriString())).toEqual(["sip:100@pbx.test", "sip:101@pbx.test"]);
    const [to100, to101] = invites as [Msg, Msg];
    // 100 answers; 101 never said anything, so its CANCEL waits for a provisional (§9.1) and its call lasts until the
    // door gives its silent INVITE up (8*T1 = 4 s after the press, call.ts NO_RESPONSE_T1).
    r.deliver(reply(to100, 200, "OK", { body: OFFER }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    const [notify100, toTarget] = transfer(r, to100);
    r.deliver(reply(notify100, 200, "OK", { toTag: null }));
    r.deliver(fromPhone(to100, "BYE", 3));
    r.deliver(reply(toTarget, 180, "Ringing"), TARGET_PORT, TARGET);
    r.take();
    // The target does not answer (ring timeout): CANCEL, 487.
    r.advance(2_000);
    const cancel = r.take().find((m) => m.kind === "CANCEL")!;
    r.deliver(reply(cancel, 200, "OK"), TARGET_PORT, TARGET);
    r.deliver(reply(toTarget, 487, "Request Terminated"), TARGET_PORT, TARGET);
    expect(r.intercom.hunt.running).toBe(true);
    // 101's INVITE is given up (no response in 4 s): the last call of the hunt to end, cancelled because 100 answered.
    r.advance(4_000 + 200 - r.clock.now());
    const over = r.events.filter((e) => e.name === "hunt over");
    expect(over.map((e) => e.detail)).toEqual(["answered"]);
    expect(r.intercom.ua.calls.every((c) => c.idle)).toBe(true);
    expect(r.intercom.hunt.lastUnanswered).toBe(true);
    expect(r.intercom.media.localTone.tone).toBe(Tone.Busy);
    expect(to101.msg.uriString()).toBe("sip:101@pbx.test");
  });

  it("a failed transfer (target busy) leaves the phone's call in the hunt: over when the phone hangs up", () => {
    const r = rig({ trust: { allow: [TARGET] }, targets: ["100"] });
    const invite = answeredDoorbell(r);
    const [notify100, toTarget] = transfer(r, invite);
    r.deliver(reply(notify100, 200, "OK", { toTag: null }));
    const at = r.events.length;
    r.deliver(reply(toTarget, 486, "Busy Here"), TARGET_PORT, TARGET);
    const notify = r.take().find((m) => m.kind === "NOTIFY")!;
    expect(notify.text.endsWith("SIP/2.0 486 Busy Here\r\n")).toBe(true);
    expect(eventsAfter(r, at)).toEqual(["call down"]);
    expect(r.intercom.hunt.running).toBe(true);
    expect(r.intercom.led.pattern).toBe(LedPattern.InCall);
    r.deliver(reply(notify, 200, "OK", { toTag: null }));
    r.deliver(fromPhone(invite, "BYE", 3));
    expect(eventsAfter(r, at)).toEqual(["call down", "call down", "hunt over (answered)"]);
    // The hunt ended with the phone's hang-up after a talk: no busy tone for that.
    expect(r.intercom.hunt.lastUnanswered).toBe(false);
  });

  it("a transfer target answering without G.711 is ended with BYE and NOTIFYed as 488: the phone's call goes on in the hunt", () => {
    const r = rig({ trust: { allow: [TARGET] }, targets: ["100"] });
    const invite = answeredDoorbell(r);
    const [notify100, toTarget] = transfer(r, invite);
    r.deliver(reply(notify100, 200, "OK", { toTag: null }));
    const at = r.events.length;
    const noG711 = OFFER.replace("RTP/AVP 0 8 101", "RTP/AVP 96").replace("a=rtpmap:0 PCMU/8000", "a=rtpmap:96 opus/48000/2");
    r.deliver(reply(toTarget, 200, "OK", { body: noG711, contact: `<sip:200@${TARGET}:${TARGET_PORT}>` }), TARGET_PORT, TARGET);
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    expect(out[1]!.address).toBe(TARGET);
    r.deliver(reply(out[1]!, 200, "OK"), TARGET_PORT, TARGET);
    const notify = r.take().find((m) => m.kind === "NOTIFY")!;
    expect(notify.text.endsWith("SIP/2.0 488 Not Acceptable Here\r\n")).toBe(true);
    expect(eventsAfter(r, at)).toEqual(["call down"]);
    expect(r.intercom.hunt.running).toBe(true);
    expect(r.intercom.led.pattern).toBe(LedPattern.InCall);
  });

  it("the button (set to hang up) during the transferred call hangs it up and ends the hunt", () => {
    const r = rig({ trust: { allow: [TARGET] }, targets: ["100"], buttonDuringCall: ButtonAction.Hangup });
    const invite = answeredDoorbell(r);
    const [notify100, toTarget] = transfer(r, invite);
    r.deliver(reply(notify100, 200, "OK", { toTag: null }));
    r.deliver(reply(toTarget, 200, "OK", { body: OFFER, contact: `<sip:200@${TARGET}:${TARGET_PORT}>` }), TARGET_PORT, TARGET);
    r.deliver(fromPhone(invite, "BYE", 3));
    r.take();
    r.advance(1000);
    r.intercom.press();
    const bye = r.take().find((m) => m.kind === "BYE")!;
    expect(bye.address).toBe(TARGET);
    const at = r.events.length;
    r.deliver(reply(bye, 200, "OK"), TARGET_PORT, TARGET);
    expect(eventsAfter(r, at)).toEqual(["call down", "hunt over (answered)"]);
  });

  it("a transfer in a call someone placed to the door is no hunt's: no hunt over at all", () => {
    const r = rig({ trust: { allow: [TARGET] }, targets: ["100"] });
    r.deliver(request("INVITE", { body: OFFER }));
    const ok = r.take().find((m) => m.kind === "200")!;
    const doorTag = /tag=([0-9a-f]+)/.exec(hdr(ok, H.To)!)![1]!;
    r.deliver(request("ACK", { toTag: doorTag, branch: "z9hG4bKack1" }));
    r.deliver(request("REFER", { toTag: doorTag, cseq: 2, branch: "z9hG4bKrefer2", extra: [`Refer-To: <sip:200@${TARGET}:${TARGET_PORT}>`] }));
    const toTarget = r.take().find((m) => m.kind === "INVITE")!;
    r.deliver(reply(toTarget, 486, "Busy Here"), TARGET_PORT, TARGET);
    r.deliver(request("BYE", { toTag: doorTag, cseq: 3, branch: "z9hG4bKbye3" }));
    r.take();
    expect(r.intercom.ua.activeCalls).toBe(0);
    expect(r.intercom.hunt.running).toBe(false);
    expect(r.eventNames().filter((e) => e === "hunt over")).toEqual([]);
  });
});
