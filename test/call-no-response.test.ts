/*
 * A doorbell INVITE that gets no response at all (the PBX is down, a hunt
 * target given as a sip: URI is a phone that is switched off), on the
 * virtual clock: the door gives that target up after 8*T1 (4 s; Timer A has
 * sent it at 0, 0.5, 1.5 and 3.5 s, RFC 3261 §17.1.1.2) instead of waiting
 * for Timer B's 32 s, so a sequential hunt calls its next target, the last
 * one ends the hunt with the busy tone, a parallel hunt keeps the others
 * ringing, and a REFER's NOTIFY says 408. Any response keeps the target; a
 * new INVITE (after a 407, a 3xx) starts the time again; an answer that
 * comes after the door gave up is acknowledged and ended (2xx) or dropped.
 * A target that rang and then went silent is given up 64*T1 after the ring
 * timeout's CANCEL (§9.1).
 */
import { describe, expect, it } from "vitest";
import { HuntMode } from "../src/app/intercom";
import type { AudioHost } from "../src/host";
import { Tone } from "../src/media/tone";
import { H } from "../src/sip/message/header";
import { hdr, OFFER, PEER, reply, request, rig, type Msg, type Rig } from "./support/call-harness";
import { toneShare } from "./interop/audio/signal";

/** A hunt target given as a SIP URI: a phone of its own, not behind the PBX. */
const PHONE = "198.51.100.8";
const PHONE_PORT = 5080;
const PHONE_URI = `sip:200@${PHONE}:${PHONE_PORT}`;
/** The default T1 (RFC 3261 §17.1.1.1) and the give-up time the door derives from it (src/ua/call/call.ts NO_RESPONSE_T1). */
const T1 = 500;
const GIVE_UP_MS = 8 * T1;

/** The door's speaker: every frame played (its microphone gives nothing). */
class Speaker implements AudioHost {
  readonly played: number[] = [];
  capture(): boolean {
    return false;
  }
  play(frame: Int16Array): void {
    for (let i = 0; i < frame.length; i++) this.played.push(frame[i]!);
  }
}

function invites(out: Msg[]): Msg[] {
  return out.filter((m) => m.kind === "INVITE");
}

function callDowns(r: Rig): string[] {
  return r.events.filter((e) => e.name === "call down").map((e) => e.detail);
}

/** The log holds no error: nothing threw into the layer, no call ended on an exception. */
function noErrors(r: Rig): void {
  expect(r.intercom.layer.counters.userErrors).toBe(0);
  expect(r.logs.filter((l) => / threw|Error/.test(l))).toEqual([]);
}

describe("an INVITE with no response at all is given up after 8*T1", () => {
  it("sequential hunt: the first target (a switched-off phone) is given up at 4 s, not before, after 3 retransmissions; then the next target's INVITE goes out", () => {
    const r = rig({ targets: [PHONE_URI, "100"], hunt: HuntMode.Sequential, calls: { ringTimeoutMs: 60_000 } });
    r.intercom.press();
    const first = r.take();
    expect(first.map((m) => `${m.kind} ${m.address}:${m.port}`)).toEqual([`INVITE ${PHONE}:${PHONE_PORT}`]);
    const retransmitted = r.intercom.layer.counters.retransmissions;
    r.advance(GIVE_UP_MS - 1);
    const copies = r.take();
    // Timer A (§17.1.1.2): the same INVITE again at T1, 3*T1 and 7*T1; nothing else, and the call is still on.
    expect(copies.map((m) => `${m.at} ${m.kind} ${m.address}`)).toEqual([`500 INVITE ${PHONE}`, `1500 INVITE ${PHONE}`, `3500 INVITE ${PHONE}`]);
    expect(copies.every((m) => m.text === first[0]!.text)).toBe(true);
    expect(callDowns(r)).toEqual([]);
    expect(r.intercom.ua.activeCalls).toBe(1);
    r.advance(1);
    const next = r.take();
    expect(next.map((m) => `${m.at} ${m.kind} ${m.msg.uriString()} ${m.address}`)).toEqual([`${GIVE_UP_MS} INVITE sip:100@pbx.test ${PEER}`]);
    expect(r.intercom.layer.counters.retransmissions - retransmitted).toBe(3);
    expect(callDowns(r)).toEqual(["no response (408)"]);
    expect(r.logs).toContain("call 0: no response to the INVITE, giving up");
    // No CANCEL for the silent one (§9.1: none before a provisional response), and its transaction is gone: only the new INVITE's is left.
    expect(r.intercom.layer.clientCount).toBe(1);
    expect(r.eventNames()).not.toContain("hunt over");
    // The second target rings; the first target's INVITE is never sent again (its Timer A stopped with it).
    r.deliver(reply(next[0]!, 180, "Ringing"));
    r.advance(40_000);
    expect(r.take().filter((m) => m.address === PHONE)).toEqual([]);
    expect(r.intercom.ua.activeCalls).toBe(1);
    r.deliver(reply(next[0]!, 200, "OK", { body: OFFER }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(r.eventNames().filter((e) => e === "call up")).toEqual(["call up"]);
    noErrors(r);
  });

  it("sequential hunt: the last target silent too ends the hunt, nobody answered, with the busy tone at the door", () => {
    const r = rig({ targets: [PHONE_URI, "100"] });
    const speaker = new Speaker();
    r.intercom.media.audio = speaker;
    r.intercom.press();
    r.advance(GIVE_UP_MS);
    expect(invites(r.take()).map((m) => `${m.at} ${m.address}`)).toEqual([
      `0 ${PHONE}`, `500 ${PHONE}`, `1500 ${PHONE}`, `3500 ${PHONE}`, `4000 ${PEER}`,
    ]);
    r.advance(GIVE_UP_MS - 1);
    expect(r.eventNames()).not.toContain("hunt over");
    r.advance(1);
    expect(r.take().map((m) => `${m.at} ${m.kind} ${m.address}`)).toEqual([`4500 INVITE ${PEER}`, `5500 INVITE ${PEER}`, `7500 INVITE ${PEER}`]);
    expect(r.events.filter((e) => e.name === "call down" || e.name === "hunt over").map((e) => `${e.at} ${e.name} ${e.detail}`)).toEqual([
      "4000 call down no response (408)", "8000 call down no response (408)", "8000 hunt over nobody answered",
    ]);
    expect(r.intercom.ua.activeCalls).toBe(0);
    expect(r.intercom.layer.clientCount).toBe(0);
    expect(r.intercom.media.localTone.tone).toBe(Tone.Busy);
    const from = speaker.played.length;
    r.advance(600);
    // The busy tone (425 Hz, src/media/tone.ts): the visitor hears that nobody is coming after 8 s (with Timer B, after 64 s).
    expect(toneShare(Int16Array.from(speaker.played.slice(from)), 400, 3200, 425, 8000)).toBeGreaterThan(0.9);
    // Nothing more goes out: no CANCEL, no retransmission.
    r.advance(60_000);
    expect(r.take().filter((m) => m.kind !== "OPTIONS")).toEqual([]);
    noErrors(r);
  });

  it("a 100 Trying at 3 s keeps the target: no give-up, the INVITE is not sent again, and the ring timeout CANCELs it as before", () => {
    const r = rig({ targets: ["100"], calls: { ringTimeoutMs: 30_000 } });
    r.intercom.press();
    const [invite] = r.take() as [Msg];
    r.advance(3000);
    r.deliver(reply(invite, 100, "Trying", { toTag: null }));
    r.advance(30_000 - 3000 - 1);
    const out = r.take();
    // Copies at 0.5 and 1.5 s only: the 100 moved the transaction to Proceeding (§17.1.1.2).
    expect(out.map((m) => `${m.at} ${m.kind}`)).toEqual(["500 INVITE", "1500 INVITE"]);
    expect(callDowns(r)).toEqual([]);
    expect(r.intercom.ua.activeCalls).toBe(1);
    r.advance(1);
    const cancel = r.take();
    expect(cancel.map((m) => `${m.at} ${m.kind}`)).toEqual(["30000 CANCEL"]);
    r.deliver(reply(cancel[0]!, 200, "OK"));
    r.deliver(reply(invite, 487, "Request Terminated"));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(callDowns(r)).toEqual(["no answer (487)"]);
    expect(r.events.at(-1)).toMatchObject({ name: "hunt over", detail: "nobody answered" });
    noErrors(r);
  });

  it("a 180 at 3.9 s keeps the target ringing past 4 s", () => {
    const r = rig({ targets: ["100"] });
    r.intercom.press();
    const [invite] = r.take() as [Msg];
    r.advance(3900);
    r.deliver(reply(invite, 180, "Ringing"));
    r.advance(20_000);
    expect(r.take().map((m) => `${m.at} ${m.kind}`)).toEqual(["500 INVITE", "1500 INVITE", "3500 INVITE"]);
    expect(r.eventNames()).toEqual(["button pressed", "ringing"]);
    r.deliver(reply(invite, 200, "OK", { body: OFFER }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(r.eventNames()).toContain("call up");
  });

  it("a ring timeout shorter than the give-up holds its CANCEL (§9.1) and the silent call ends at 4 s, not at Timer B", () => {
    const r = rig({ targets: ["100"], calls: { ringTimeoutMs: 2000 } });
    r.intercom.press();
    r.advance(GIVE_UP_MS - 1);
    expect(r.take().map((m) => `${m.at} ${m.kind}`)).toEqual(["0 INVITE", "500 INVITE", "1500 INVITE", "3500 INVITE"]);
    expect(callDowns(r)).toEqual([]);
    r.advance(1);
    expect(callDowns(r)).toEqual(["no answer"]);
    expect(r.events.at(-1)).toMatchObject({ name: "hunt over", detail: "nobody answered" });
    r.advance(60_000);
    expect(r.take().filter((m) => m.kind !== "OPTIONS")).toEqual([]);
    expect(r.intercom.layer.clientCount).toBe(0);
  });

  it("answers after the door gave up: a late 180 and a late 486 are dropped; a late 200 is acknowledged and ended with BYE, never up", () => {
    const r = rig({ targets: ["100"] });
    r.intercom.press();
    const [invite] = r.take() as [Msg];
    r.advance(GIVE_UP_MS);
    r.take();
    expect(callDowns(r)).toEqual(["no response (408)"]);
    const dropped = r.intercom.layer.counters.dropped;
    r.deliver(reply(invite, 180, "Ringing", { toTag: "late-tag" }));
    r.deliver(reply(invite, 486, "Busy Here", { toTag: "late-tag" }));
    expect(r.take()).toEqual([]);
    expect(r.intercom.layer.counters.dropped - dropped).toBe(2);
    const at = r.events.length;
    r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: "late-tag", contact: `<sip:100@${PEER}:5070>` }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    for (const m of out) {
      expect(m.msg.callIdString()).toBe(invite.msg.callIdString());
      expect(hdr(m, H.To)).toBe("<sip:100@pbx.test>;tag=late-tag");
      expect(m.msg.uriString()).toBe(`sip:100@${PEER}:5070`);
    }
    expect(hdr(out[0]!, H.CSeq)).toBe(`${invite.msg.cseq} ACK`);
    expect(r.events.slice(at)).toEqual([]);
    expect(r.intercom.ua.activeCalls).toBe(0);
    r.deliver(reply(out[1]!, 200, "OK"));
    // The BYE's transaction waits out Timer K (T4, §17.1.2.2); then the tables are empty.
    r.advance(5000);
    expect(r.intercom.layer.clientCount).toBe(0);
    noErrors(r);
  });

  it("parallel hunt, both given up: late 2xx of three forks each ended once; a copy of the first gets its ACK only (found by test/sfuzz.test.ts)", () => {
    const r = rig({ targets: ["100", "101"], hunt: HuntMode.Parallel, calls: { maxCalls: 2 } });
    r.intercom.press();
    const [a, b] = invites(r.take()) as [Msg, Msg];
    r.advance(GIVE_UP_MS);
    r.take();
    expect(callDowns(r)).toEqual(["no response (408)", "no response (408)"]);
    const late = (invite: Msg, tag: string): string[] => {
      r.deliver(reply(invite, 200, "OK", { body: OFFER, toTag: tag }));
      return r.take().map((m) => `${m.kind} ${hdr(m, H.To)!.replace(/^.*tag=/, "")}`);
    };
    // 101 answers late, then 100 and a second phone behind its fork: each acknowledged and ended, three dialogs.
    expect(late(b, "b-tag")).toEqual(["ACK b-tag", "BYE b-tag"]);
    expect(late(a, "a-tag")).toEqual(["ACK a-tag", "BYE a-tag"]);
    expect(late(a, "fork2")).toEqual(["ACK fork2", "BYE fork2"]);
    // 101's 2xx again (it resends until our ACK arrives, §13.3.1.4): ACKed; its dialog already has our BYE.
    expect(late(b, "b-tag")).toEqual(["ACK b-tag"]);
    expect(late(a, "a-tag")).toEqual(["ACK a-tag"]);
    expect(late(a, "fork2")).toEqual(["ACK fork2"]);
    expect(r.intercom.ua.activeCalls).toBe(0);
    noErrors(r);
  });

  it("a late 2xx ended after the door gave up is remembered past the slot's next call: its copy gets its ACK only (found by test/sfuzz.test.ts)", () => {
    const r = rig({ targets: ["100"], pressGuardMs: 0, calls: { maxCalls: 1 } });
    r.intercom.press();
    const [first] = invites(r.take()) as [Msg];
    r.advance(GIVE_UP_MS);
    r.take();
    const ok = reply(first, 200, "OK", { body: OFFER, toTag: "late-tag" });
    r.deliver(ok);
    expect(r.take().map((m) => m.kind)).toEqual(["ACK", "BYE"]);
    // The next press takes the same slot, and that call ends without a dialog of its own (480).
    r.advance(5000);
    r.take();
    r.intercom.press();
    const [second] = invites(r.take()) as [Msg];
    expect(second.msg.callIdString()).not.toBe(first.msg.callIdString());
    r.deliver(reply(second, 480, "Temporarily Unavailable", { toTag: "x-tag" }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    expect(r.intercom.ua.activeCalls).toBe(0);
    // The first call's 2xx again: ACKed; its dialog already had our BYE.
    r.deliver(ok);
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    noErrors(r);
  });

  it("parallel hunt: a silent target ends alone at 4 s while the others ring on; the next answer wins", () => {
    const r = rig({ targets: ["100", PHONE_URI, "102"], hunt: HuntMode.Parallel, calls: { maxCalls: 3 } });
    r.intercom.press();
    const [a, silent, c] = r.take() as [Msg, Msg, Msg];
    expect(silent.address).toBe(PHONE);
    r.deliver(reply(a, 180, "Ringing"));
    r.deliver(reply(c, 180, "Ringing", { toTag: "c-tag" }));
    r.advance(GIVE_UP_MS - 1);
    expect(r.take().map((m) => `${m.at} ${m.address}`)).toEqual([`500 ${PHONE}`, `1500 ${PHONE}`, `3500 ${PHONE}`]);
    expect(callDowns(r)).toEqual([]);
    r.advance(1);
    // Only the silent one ends; nothing goes to the ringing ones (no CANCEL), the hunt runs on.
    expect(r.take()).toEqual([]);
    expect(callDowns(r)).toEqual(["no response (408)"]);
    expect(r.intercom.ua.activeCalls).toBe(2);
    expect(r.intercom.hunt.running).toBe(true);
    r.deliver(reply(c, 200, "OK", { body: OFFER, toTag: "c-tag" }));
    expect(r.take().map((m) => `${m.kind} ${m.msg.uriString()}`)).toEqual(["ACK sip:100@198.51.100.7:5070", "CANCEL sip:100@pbx.test"]);
    expect(r.eventNames().filter((e) => e === "call up")).toEqual(["call up"]);
    noErrors(r);
  });

  it("a 407 at 3 s starts the time again for the INVITE with credentials (a new transaction, §22.3); so does a 3xx", () => {
    const r = rig({ targets: ["100"] });
    r.intercom.press();
    const [invite] = r.take() as [Msg];
    r.advance(3000);
    r.deliver(reply(invite, 407, "Proxy Authentication Required", { extra: ['Proxy-Authenticate: Digest realm="pbx.test", nonce="n1", algorithm=MD5'] }));
    const retry = r.take();
    expect(retry.map((m) => `${m.at} ${m.kind}`)).toEqual(["500 INVITE", "1500 INVITE", "3000 ACK", "3000 INVITE"]);
    const second = retry[3]!;
    expect(hdr(second, H.ProxyAuthorization)).toMatch(/^Digest /);
    // Past 4 s after the first INVITE: the second is not given up.
    r.advance(GIVE_UP_MS - 1);
    expect(r.take().map((m) => `${m.at} ${m.kind}`)).toEqual(["3500 INVITE", "4500 INVITE", "6500 INVITE"]);
    expect(callDowns(r)).toEqual([]);
    // A 302 at 6.999 s: the INVITE to the Contact gets its own 4 s.
    r.deliver(reply(second, 302, "Moved Temporarily", { extra: [`Contact: <${PHONE_URI}>`] }));
    const moved = r.take();
    expect(moved.map((m) => `${m.kind} ${m.address}`)).toEqual([`ACK ${PEER}`, `INVITE ${PHONE}`]);
    r.advance(GIVE_UP_MS - 1);
    expect(callDowns(r)).toEqual([]);
    r.advance(1);
    expect(callDowns(r)).toEqual(["no response (408)"]);
    expect(r.take().filter((m) => m.kind === "INVITE").map((m) => `${m.at - 6999} ${m.address}`)).toEqual([
      `500 ${PHONE}`, `1500 ${PHONE}`, `3500 ${PHONE}`,
    ]);
    noErrors(r);
  });

  it("through an outbound proxy that is down: given up at 4 s, the next target's INVITE goes to the proxy", () => {
    const PROXY = "198.51.100.1";
    const r = rig({
      targets: ["100", "101"],
      account: { registrarHost: PEER, registrarPort: 5070, domain: "pbx.test", user: "door", password: "doorpass", outboundProxyHost: PROXY, outboundProxyPort: 5060 },
    });
    r.intercom.press();
    r.advance(GIVE_UP_MS);
    const out = r.take();
    expect(out.map((m) => `${m.at} ${m.msg.uriString()} ${m.address}:${m.port}`)).toEqual([
      `0 sip:100@pbx.test ${PROXY}:5060`, `500 sip:100@pbx.test ${PROXY}:5060`, `1500 sip:100@pbx.test ${PROXY}:5060`,
      `3500 sip:100@pbx.test ${PROXY}:5060`, `4000 sip:101@pbx.test ${PROXY}:5060`,
    ]);
    expect(hdr(out[4]!, H.Route)).toBe(`<sip:${PROXY}:5060;lr>`);
    expect(callDowns(r)).toEqual(["no response (408)"]);
  });
});

describe("a target that rang, then stopped responding (switched off while ringing)", () => {
  it("the ring timeout's CANCEL gets nothing: 64*T1 after it the INVITE is given up (§9.1), the call ends, the hunt moves on", () => {
    const r = rig({ targets: ["100", "101"], calls: { ringTimeoutMs: 10_000 } });
    r.intercom.press();
    const [invite] = r.take() as [Msg];
    r.deliver(reply(invite, 180, "Ringing"));
    // Ringing: past 8*T1, no give-up (a response came), no retransmission (§17.1.1.2 Proceeding).
    r.advance(10_000);
    expect(r.take().map((m) => `${m.at} ${m.kind}`)).toEqual(["10000 CANCEL"]);
    r.advance(64 * T1 - 1);
    // The CANCEL's own Timer E (§17.1.2.2: T1 doubling up to T2), unanswered.
    expect(r.take().map((m) => `${m.at} ${m.kind}`)).toEqual([
      "10500 CANCEL", "11500 CANCEL", "13500 CANCEL", "17500 CANCEL", "21500 CANCEL", "25500 CANCEL", "29500 CANCEL", "33500 CANCEL", "37500 CANCEL",
      "41500 CANCEL",
    ]);
    expect(callDowns(r)).toEqual([]);
    r.advance(1);
    expect(callDowns(r)).toEqual(["no answer"]);
    const next = invites(r.take());
    expect(next.map((m) => `${m.at} ${m.msg.uriString()}`)).toEqual([`${10_000 + 64 * T1} sip:101@pbx.test`]);
    expect(r.intercom.ua.activeCalls).toBe(1);
    // Only the new INVITE's transaction is left: the silent one's slot and its CANCEL's are free.
    expect(r.intercom.layer.clientCount).toBe(1);
    noErrors(r);
  });
});

describe("a call placed for a REFER (RFC 3515) whose target never responds", () => {
  it("is given up at 4 s and the NOTIFY in the referring call says 408 Request Timeout", () => {
    // The target is a phone the owner trusts (a Refer-To names the account's domain or a trusted source).
    const r = rig({ targets: ["100"], trust: { allow: [PHONE] } });
    r.intercom.press();
    const invite = r.take().find((m) => m.kind === "INVITE")!;
    r.deliver(reply(invite, 200, "OK", { body: OFFER }));
    expect(r.take().map((m) => m.kind)).toEqual(["ACK"]);
    const doorTag = /tag=([0-9a-f]+)/.exec(hdr(invite, H.From)!)![1]!;
    r.deliver(request("REFER", {
      fromTag: "callee-tag", toTag: doorTag, callId: invite.msg.callIdString(), cseq: 2, branch: "z9hG4bKphonerefer2",
      extra: [`Refer-To: <${PHONE_URI}>`, "Referred-By: <sip:100@pbx.test>"],
    }));
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["202", "NOTIFY", "INVITE"]);
    const [, notify100, toTarget] = out as [Msg, Msg, Msg];
    expect(toTarget.address).toBe(PHONE);
    const start = toTarget.at;
    r.deliver(reply(notify100, 200, "OK", { toTag: null }));
    r.advance(GIVE_UP_MS - 1);
    expect(r.take().map((m) => `${m.at - start} ${m.kind} ${m.address}`)).toEqual([`500 INVITE ${PHONE}`, `1500 INVITE ${PHONE}`, `3500 INVITE ${PHONE}`]);
    r.advance(1);
    const notify = r.take();
    expect(notify.map((m) => m.kind)).toEqual(["NOTIFY"]);
    expect(notify[0]!.text.endsWith("SIP/2.0 408 Request Timeout\r\n")).toBe(true);
    expect(hdr(notify[0]!, H.SubscriptionState)).toMatch(/^terminated/);
    expect(callDowns(r)).toEqual(["no response (408)"]);
    // The phone's call is still up and in the hunt (a failed transfer leaves it as it was).
    expect(r.intercom.ua.activeCalls).toBe(1);
    expect(r.intercom.hunt.running).toBe(true);
    noErrors(r);
  });
});
