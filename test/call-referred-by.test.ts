/*
 * RFC 3892 Referred-By on a transfer, on the virtual clock: the door, in a
 * call, takes a REFER (RFC 3515) and calls the Refer-To target; that INVITE
 * carries the REFER's Referred-By (§2.2; the compact form "b" too, §3),
 * copied into the new call's slot at REFER time, so the INVITE sent again
 * with credentials after a 407 carries it as well. A REFER without one gives
 * an INVITE without one (none is made up); one that does not fit the slot
 * (REFERRED_BY_BYTES), or is malformed, or comes twice, is dropped (logged,
 * marked on the referring call) and the transfer goes on without it. Nothing of it is left in the
 * slot for its next call.
 */
import { describe, expect, it } from "vitest";
import { H } from "../src/sip/message/header";
import { REFERRED_BY_BYTES } from "../src/ua/call/call";
import { answeredCall, hdr, OFFER, PEER, PEER_PORT, reply, request, rig, toTag, type Msg, type Rig } from "./support/call-harness";

/** The transfer target in the account's domain: the door calls it through the server, which may challenge (the credentials go only there). */
const TARGET = PEER;
const TARGET_PORT = PEER_PORT;
const TARGET_URI = "sip:200@pbx.test";
const CHALLENGE = 'Proxy-Authenticate: Digest realm="pbx.test", nonce="n407", qop="auth", algorithm=MD5';


/** The phone's REFER in the call `ok` (Refer-To the target, plus `extra` lines); returns what the door sent: 202, NOTIFY, INVITE. */
function refer(r: Rig, ok: Msg, extra: string[], cseq = 2): Msg[] {
  r.deliver(request("REFER", {
    toTag: toTag(ok), callId: ok.msg.callIdString(), cseq, branch: `z9hG4bKrefer${cseq}`,
    extra: [`Refer-To: <${TARGET_URI}>`, ...extra],
  }));
  const out = r.take();
  expect(out.map((m) => m.kind)).toEqual(["202", "NOTIFY", "INVITE"]);
  return out;
}

/** Every Referred-By line of a message, as written. */
function referredByLines(m: Msg): string[] {
  return m.text.split("\r\n").filter((l) => /^(Referred-By|b)\s*:/i.test(l));
}

describe("Referred-By on the INVITE a REFER triggers (RFC 3892 §2.2)", () => {
  it("is copied from the REFER into the INVITE to the target, and into the INVITE sent again with credentials after a 407; not into the ACK", () => {
    const r = rig();
    const ok = answeredCall(r);
    const value = '"Desk" <sip:100@pbx.test>;cid="20398823.2UWQFN309shb3@referrer.example"';
    const [, , invite] = refer(r, ok, [`Referred-By: ${value}`]);
    expect(invite!.address).toBe(TARGET);
    expect(referredByLines(invite!)).toEqual([`Referred-By: ${value}`]);
    expect(invite!.msg.several(H.ReferredBy)).toBe(false);
    // The target's proxy challenges: the INVITE again, with credentials and the same Referred-By.
    r.deliver(reply(invite!, 407, "Proxy Authentication Required", { extra: [CHALLENGE] }), TARGET_PORT, TARGET);
    const out = r.take();
    expect(out.map((m) => m.kind)).toEqual(["ACK", "INVITE"]);
    const again = out[1]!;
    expect(again.msg.cseq).toBe(invite!.msg.cseq + 1);
    expect(hdr(again, H.ProxyAuthorization)).toMatch(/^Digest .*nonce="n407"/);
    expect(referredByLines(again)).toEqual([`Referred-By: ${value}`]);
    // Answered: the ACK repeats the credentials (§22.1), whose copy in the slot the Referred-By did not overlap; no Referred-By in it.
    r.deliver(reply(again, 200, "OK", { body: OFFER, contact: `<sip:200@${TARGET}:${TARGET_PORT}>` }), TARGET_PORT, TARGET);
    const ack = r.take().find((m) => m.kind === "ACK")!;
    expect(ack).toBeDefined();
    expect(hdr(ack, H.ProxyAuthorization)).toBe(hdr(again, H.ProxyAuthorization));
    expect(referredByLines(ack)).toEqual([]);
    expect(r.intercom.ua.calls[0]!.referredByDropped).toBe(false);
  });

  it("takes the compact form \"b\" (RFC 3892 §3) and writes the full name", () => {
    const r = rig();
    const ok = answeredCall(r);
    const [, , invite] = refer(r, ok, ["b: <sip:100@pbx.test>"]);
    expect(referredByLines(invite!)).toEqual(["Referred-By: <sip:100@pbx.test>"]);
    expect(hdr(invite!, H.ReferredBy)).toBe("<sip:100@pbx.test>");
  });

  it("a REFER without Referred-By gives an INVITE without one (none is made up from the REFER's From)", () => {
    const r = rig();
    const ok = answeredCall(r);
    const [, , invite] = refer(r, ok, []);
    expect(referredByLines(invite!)).toEqual([]);
    expect(invite!.msg.first[H.ReferredBy]).toBe(-1);
    r.deliver(reply(invite!, 407, "Proxy Authentication Required", { extra: [CHALLENGE] }), TARGET_PORT, TARGET);
    const again = r.take().find((m) => m.kind === "INVITE")!;
    expect(referredByLines(again)).toEqual([]);
  });

  it("one longer than REFERRED_BY_BYTES, two of them, or a malformed one is dropped (logged, marked): the transfer goes on without it", () => {
    const host = "h".repeat(REFERRED_BY_BYTES);
    const cases: [string, string[]][] = [
      ["too long", [`Referred-By: <sip:100@${host}.test>`]],
      ["two", ["Referred-By: <sip:100@pbx.test>", "Referred-By: <sip:101@pbx.test>"]],
      ["malformed", ["Referred-By: <sip:100@pbx.test"]],
    ];
    for (const [name, lines] of cases) {
      const r = rig();
      const ok = answeredCall(r);
      const [, notify, invite] = refer(r, ok, lines);
      expect(referredByLines(invite!), name).toEqual([]);
      expect(invite!.msg.uriString(), name).toBe(TARGET_URI);
      expect(r.logs.filter((l) => l.includes("Referred-By") && l.includes("not carried to the transfer target")), name).toHaveLength(1);
      // Marked on the referring call (the phone's, slot 0).
      expect(r.intercom.ua.calls.map((c) => c.referredByDropped), name).toEqual([true, false, false, false]);
      // The transfer itself goes on: the target answers, the phone hears "200 OK".
      r.deliver(reply(notify!, 200, "OK", { toTag: null }));
      r.deliver(reply(invite!, 200, "OK", { body: OFFER, contact: `<sip:200@${TARGET}:${TARGET_PORT}>` }), TARGET_PORT, TARGET);
      const after = r.take();
      expect(after.map((m) => m.kind), name).toEqual(["ACK", "NOTIFY"]);
      expect(after[1]!.text.endsWith("SIP/2.0 200 OK\r\n"), name).toBe(true);
    }
  });

  it("exactly REFERRED_BY_BYTES bytes fits", () => {
    const r = rig();
    const ok = answeredCall(r);
    const head = "<sip:100@";
    const value = head + "h".repeat(REFERRED_BY_BYTES - head.length - ".test>".length) + ".test>";
    expect(value.length).toBe(REFERRED_BY_BYTES);
    const [, , invite] = refer(r, ok, [`Referred-By: ${value}`]);
    expect(referredByLines(invite!)).toEqual([`Referred-By: ${value}`]);
  });

  it("an incoming call's INVITE, kept in the same slot buffer, leaves no Referred-By to the slot's next call", () => {
    const r = rig();
    const ok = answeredCall(r);
    // The phone's INVITE (with its SDP, longer than the Request-URI's field) was kept where a Referred-By's length goes.
    expect(ok.msg.cseq).toBe(1);
    r.deliver(request("BYE", { toTag: toTag(ok), callId: ok.msg.callIdString(), cseq: 2, branch: "z9hG4bKbye2" }));
    expect(r.take().map((m) => m.kind)).toEqual(["200"]);
    const slot = r.intercom.ua.calls[0]!;
    expect(slot.idle).toBe(true);
    expect(r.intercom.ua.dial("300")).toBe(slot);
    const invite = r.take().find((m) => m.kind === "INVITE")!;
    expect(invite.msg.uriString()).toBe("sip:300@pbx.test");
    expect(referredByLines(invite)).toEqual([]);
  });

  it("nothing of it is left in a slot: neither the one that placed the transfer nor one placing another call carries it into its next call", () => {
    const r = rig({ calls: { maxCalls: 3 } });
    const ok = answeredCall(r);
    const [, notify, invite] = refer(r, ok, ["Referred-By: <sip:100@pbx.test>"]);
    expect(referredByLines(invite!)).toHaveLength(1);
    const slots = r.intercom.ua.calls;
    expect(slots.map((c) => c.referredByLen)).toEqual([0, "<sip:100@pbx.test>".length, 0]);
    expect(slots.map((c) => c.referredBy?.index ?? -1)).toEqual([-1, 0, -1]);
    // A call the door places now (slots 0 and 1 busy) goes in slot 2, which the REFER does not concern.
    expect(r.intercom.ua.dial("300")).toBe(slots[2]);
    const other = r.take().find((m) => m.kind === "INVITE")!;
    expect(other.msg.uriString()).toBe("sip:300@pbx.test");
    expect(referredByLines(other)).toEqual([]);
    slots[2]!.hangup();
    r.deliver(reply(other, 487, "Request Terminated"), 5070);
    // The target is busy: the transferred call ends; slot 1 is free again and its next call carries none.
    r.deliver(reply(notify!, 200, "OK", { toTag: null }));
    r.deliver(reply(invite!, 486, "Busy Here"), TARGET_PORT, TARGET);
    r.take();
    expect(slots[1]!.idle).toBe(true);
    expect(slots.map((c) => c.referredByLen)).toEqual([0, 0, 0]);
    expect(r.intercom.ua.dial("301")).toBe(slots[1]);
    const next = r.take().find((m) => m.kind === "INVITE")!;
    expect(next.msg.uriString()).toBe("sip:301@pbx.test");
    expect(referredByLines(next)).toEqual([]);
  });
});
