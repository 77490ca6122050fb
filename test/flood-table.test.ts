/*
 * The server-transaction table under pressure, on the virtual clock (the
 * whole Intercom with a recording UDP host, test/support/call-harness.ts):
 * - a door busy in a call answers a new INVITE 486 Busy Here (§21.4.24),
 *   while there is room in the table;
 * - a full table whose slots all still matter (an INVITE in Accepted,
 *   RFC 6026 §7.1; Proceeding) answers 503 with Retry-After, statelessly
 *   (§21.5.4, §20.33), and takes no slot for it;
 * - a full table with answered transactions waiting out Timer J/I gives the
 *   new request one of those, preferring one whose request is harmless to
 *   see again (OPTIONS) over an INFO carrying a door-code digit: a late
 *   retransmission of that INFO is still absorbed (§17.2.2), not a second
 *   digit;
 * - with nothing else to take, the INFO's slot is taken rather than answer
 *   503 (a few digits must not lock calls out for 64*T1);
 * - INVITEs answered 486 and still waiting for their ACK give their slot to
 *   the BYE of the call in progress (else a flood of INVITEs would keep the
 *   door in that call until its time limit);
 * - the last free slot is kept for requests inside a dialog: short calls
 *   in a row (each INVITE held 64*T1 in Accepted) get 503 once the table
 *   is full of them, and the BYE of every answered call still gets 200;
 * - afterwards every slot comes back by its timers.
 */
import { describe, expect, it } from "vitest";
import { H } from "../src/sip/message/header";
import { ackFor, answeredCall, hdr, OFFER, request, rig, toTag, type Msg, type Rig } from "./support/call-harness";


function info(ok: Msg, cseq: number, digit: string): string {
  return request("INFO", {
    toTag: toTag(ok), callId: ok.msg.callIdString(), cseq, branch: `z9hG4bKinfo${cseq}`, contact: "",
    body: `Signal=${digit}\r\nDuration=160\r\n`, contentType: "application/dtmf-relay",
  });
}

function options(n: number): string {
  return request("OPTIONS", { callId: `ping-${n}@phone`, fromTag: `p${n}`, branch: `z9hG4bKping${n}`, contact: "" });
}

function dtmfCount(r: Rig): number {
  return r.events.filter((e) => e.name === "dtmf").length;
}

describe("a full server-transaction table", () => {
  it("busy in a call: a second INVITE gets 486 Busy Here while the table has room", () => {
    const r = rig({ maxServerTransactions: 4 });
    answeredCall(r);
    r.deliver(request("INVITE", { callId: "second@phone", fromTag: "t2", branch: "z9hG4bKsecond", body: OFFER }));
    expect(r.takeLines()).toContain("SIP/2.0 486 Busy Here");
    expect(r.intercom.layer.counters.unavailable).toBe(0);
    expect(r.intercom.ua.activeCalls).toBe(1);
  });

  it("every slot still needed: 503 with Retry-After, statelessly, and the call goes on", () => {
    const r = rig({ maxServerTransactions: 1 });
    answeredCall(r); // the INVITE's transaction stays in Accepted (Timer L, 64*T1)
    const before = r.intercom.layer.serverCount;
    r.deliver(options(1));
    const [res] = r.take();
    expect(res!.text.slice(0, res!.text.indexOf("\r\n"))).toBe("SIP/2.0 503 Service Unavailable");
    expect(hdr(res!, H.RetryAfter)).toBe("5");
    expect(hdr(res!, H.CSeq)).toBe("1 OPTIONS");
    expect(toTag(res!)).not.toBe("");
    expect(r.intercom.layer.counters.unavailable).toBe(1);
    expect(r.intercom.layer.serverCount).toBe(before);
    // A new INVITE gets 503 as well (not 486: the table, not the call, is the limit).
    r.deliver(request("INVITE", { callId: "second@phone", fromTag: "t2", branch: "z9hG4bKsecond", body: OFFER }));
    expect(r.takeLines()).toEqual(["SIP/2.0 503 Service Unavailable"]);
    expect(r.intercom.ua.activeCalls).toBe(1);
    // Timer L frees the slot: OPTIONS is answered again.
    r.advance(64 * 500);
    r.deliver(options(2));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
  });

  it("reclaims an answered OPTIONS before an answered INFO: the INFO's retransmission is still absorbed", () => {
    const r = rig({ maxServerTransactions: 3, doorCode: "12#" });
    const ok = answeredCall(r); // slot 1: the INVITE, Accepted
    r.deliver(info(ok, 2, "1")); // slot 2: the INFO, Completed (Timer J)
    r.advance(100);
    r.deliver(options(1)); // slot 3: OPTIONS, Completed
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK", "SIP/2.0 200 OK"]);
    expect(dtmfCount(r)).toBe(1);
    // The table is full: a new OPTIONS takes a waiting slot (no 503). The INFO's Timer J ends first,
    // but its slot is the one to keep.
    r.deliver(options(2));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.intercom.layer.counters.reclaimed).toBe(1);
    expect(r.intercom.layer.counters.unavailable).toBe(0);
    // Our 200 to the INFO was lost: the phone sends the INFO again. Absorbed and answered again, not a second "1".
    const absorbed = r.intercom.layer.counters.requestsAbsorbed;
    r.deliver(info(ok, 2, "1"));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.intercom.layer.counters.requestsAbsorbed).toBe(absorbed + 1);
    expect(dtmfCount(r)).toBe(1);
    // The code still opens the door: 1, 2, #.
    r.deliver(info(ok, 3, "2"));
    r.deliver(info(ok, 4, "#"));
    expect(r.eventNames()).toContain("door opened");
    expect(r.events.filter((e) => e.name === "wrong code")).toEqual([]);
  });

  it("with only INFOs waiting, one of them is reclaimed rather than answer 503", () => {
    const r = rig({ maxServerTransactions: 2, doorCode: "12#" });
    const ok = answeredCall(r);
    r.deliver(info(ok, 2, "1"));
    r.take();
    r.deliver(options(1));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.intercom.layer.counters.reclaimed).toBe(1);
    expect(r.intercom.layer.counters.unavailable).toBe(0);
  });

  it("a table full of INVITEs answered 486 (awaiting their ACK) still takes the BYE that ends the call", () => {
    const r = rig({ maxServerTransactions: 3 });
    const ok = answeredCall(r);
    for (let i = 0; i < 2; i++) r.deliver(request("INVITE", { callId: `busy-${i}@flood`, fromTag: `b${i}`, branch: `z9hG4bKbusy${i}`, body: OFFER }));
    expect(r.takeLines().filter((l) => !l.includes(" 100 "))).toEqual(["SIP/2.0 486 Busy Here", "SIP/2.0 486 Busy Here"]);
    expect(r.intercom.layer.serverCount).toBe(3);
    // No ACK came for the 486s (a flood does not bother): the BYE takes one of their slots.
    r.deliver(request("BYE", { toTag: toTag(ok), callId: ok.msg.callIdString(), cseq: 2, branch: "z9hG4bKbye2", contact: "" }));
    expect(r.takeLines()).toEqual(["SIP/2.0 200 OK"]);
    expect(r.intercom.ua.activeCalls).toBe(0);
    expect(r.intercom.layer.counters.reclaimed).toBe(1);
    expect(r.intercom.layer.counters.unavailable).toBe(0);
    // The door is free again: the next INVITE is a call.
    r.deliver(request("INVITE", { callId: "next@phone", fromTag: "n1", branch: "z9hG4bKnext", body: OFFER }));
    expect(r.takeLines()).toContain("SIP/2.0 200 OK");
    expect(r.intercom.ua.activeCalls).toBe(1);
  });

  it("short calls in a row fill the table with answered INVITEs (Timer L): the last slot stays for the BYE", () => {
    const r = rig({ maxServerTransactions: 4 });
    const byes: string[] = [];
    let refused = 0;
    for (let i = 0; i < 6; i++) {
      r.deliver(request("INVITE", { callId: `short-${i}@phone`, fromTag: `s${i}`, branch: `z9hG4bKshort${i}`, body: OFFER }));
      const sent = r.take();
      const ok = sent.find((m) => m.kind === "200");
      if (ok === undefined) {
        // No slot for a new call: 503 with Retry-After, not silence.
        expect(sent.map((m) => m.kind)).toEqual(["503"]);
        expect(hdr(sent[0]!, H.RetryAfter)).toBe("5");
        refused++;
        continue;
      }
      r.deliver(ackFor(ok));
      r.deliver(request("BYE", { toTag: toTag(ok), callId: `short-${i}@phone`, fromTag: `s${i}`, cseq: 2, branch: `z9hG4bKshortbye${i}`, contact: "" }));
      byes.push(...r.takeLines());
      expect(r.intercom.ua.activeCalls).toBe(0);
    }
    // Every answered call could be hung up; the calls past what the table holds were refused with 503.
    expect(byes.length).toBeGreaterThanOrEqual(3);
    expect(byes.every((l) => l === "SIP/2.0 200 OK")).toBe(true);
    expect(refused).toBeGreaterThan(0);
    expect(r.intercom.layer.serverCount).toBeLessThanOrEqual(4);
  });

  it("every slot comes back by its timers", () => {
    const r = rig({ maxServerTransactions: 4 });
    const ok = answeredCall(r);
    r.deliver(info(ok, 2, "5"));
    for (let i = 0; i < 6; i++) r.deliver(options(i));
    r.deliver(request("BYE", { toTag: toTag(ok), callId: ok.msg.callIdString(), cseq: 3, branch: "z9hG4bKbye3", contact: "" }));
    expect(r.intercom.ua.activeCalls).toBe(0);
    expect(r.intercom.layer.serverCount).toBeGreaterThan(0);
    expect(r.intercom.layer.serverCount).toBeLessThanOrEqual(4);
    r.clock.runAll(120_000);
    expect(r.intercom.layer.serverCount).toBe(0);
    expect(r.intercom.layer.clientCount).toBe(0);
  });
});
