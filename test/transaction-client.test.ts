/*
 * Client transactions over a recording UDP host and a virtual clock.
 * RFC rules checked:
 * - §17.1.2.2 non-INVITE: Timer E retransmits at T1 doubling up to T2
 *   (0.5, 1, 2, 4, 4, 4 ... s), Timer F at 64*T1 ends it with a timeout; a 1xx
 *   moves to Proceeding where E is reset to T2; a final response moves to
 *   Completed, its retransmissions are absorbed, Timer K (T4) terminates.
 * - §17.1.1.2 INVITE: Timer A doubles without cap, Timer B at 64*T1; a 1xx
 *   stops retransmissions; a 3xx-6xx is ACKed by the transaction
 *   (§17.1.1.3: Request-URI, Call-ID, From, CSeq number, top Via and Route
 *   of the INVITE, To of the response), a retransmitted final is ACKed again
 *   and not passed up, Timer D terminates.
 * - RFC 6026 §7.2: a 2xx moves to Accepted, retransmitted 2xx are passed up,
 *   Timer M terminates; the transaction never ACKs a 2xx.
 * - §9.1: CANCEL held until a provisional response, then built from the
 *   INVITE (same Request-URI, Call-ID, To, From, CSeq number, top Via
 *   branch, Route) as its own non-INVITE client transaction; no final
 *   response 64*T1 after the CANCEL ends the INVITE with a timeout.
 * - §17.1.3 matching by branch and CSeq method; §18.1.2 unmatched dropped;
 *   stray 2xx to INVITE go to onStray2xx; RFC 3581 §4 received/rport learned.
 * - Bounded pool: createClient returns null when full.
 * - release(): a sent non-INVITE given back (no retransmission, slot free,
 *   a late answer dropped); a sent INVITE kept.
 * - abandon(): an INVITE with no response at all given up (no CANCEL or ACK
 *   owed): no retransmission, slot free, a late 2xx to onStray2xx, a late
 *   1xx or final dropped; refused once a response came, and for non-INVITE.
 */
import { describe, expect, it } from "vitest";
import { H } from "../src/sip/message/header";
import type { SipMessage } from "../src/sip/message/message";
import { Method } from "../src/sip/message/method";
import { ClientFailure, ClientState } from "../src/sip/transaction/api";
import { answer, crlf, header, parse, PEER, setup, times, writeRequest } from "./support/transaction-harness";

const OPTIONS_HEADERS = "Max-Forwards: 70\nFrom: <sip:door@example.com>;tag=door1\nTo: <sip:bob@example.com>\nCall-ID: call-1@door\nCSeq: 7 OPTIONS\n";
const INVITE_HEADERS =
  "Max-Forwards: 70\nRoute: <sip:proxy.example.com;lr>\nFrom: \"Door\" <sip:door@example.com>;tag=door1\nTo: <sip:bob@example.com>\nCall-ID: call-2@door\nCSeq: 3 INVITE\nContact: <sip:door@192.0.2.10:5060>\n";

function startOptions(t: ReturnType<typeof setup>) {
  const tx = t.layer.createClient(t.client, Method.OPTIONS)!;
  expect(tx).not.toBeNull();
  const w = writeRequest(t.layer, tx, "OPTIONS sip:bob@example.com SIP/2.0", OPTIONS_HEADERS);
  expect(t.layer.send(tx, w, PEER, 5060)).toBe(true);
  const [first] = t.udp.take();
  return { tx, first: first! };
}

function startInvite(t: ReturnType<typeof setup>) {
  const tx = t.layer.createClient(t.client, Method.INVITE)!;
  const w = writeRequest(t.layer, tx, "INVITE sip:bob@example.com SIP/2.0", INVITE_HEADERS);
  expect(t.layer.send(tx, w, PEER, 5060)).toBe(true);
  const [first] = t.udp.take();
  return { tx, first: first! };
}

describe("non-INVITE client transaction", () => {
  it("retransmits with Timer E (0.5, 1, 2, 4, 4 ... s) until Timer F times out at 32 s", () => {
    const t = setup();
    const { tx, first } = startOptions(t);
    expect(first.address).toBe(PEER);
    expect(first.port).toBe(5060);
    expect(first.text).toMatch(/^OPTIONS sip:bob@example.com SIP\/2.0\r\nVia: SIP\/2.0\/UDP 192.0.2.10:5060;branch=z9hG4bK[0-9a-f]{16};rport\r\n/);
    expect(tx.state).toBe(ClientState.Calling);
    t.clock.advance(32_000);
    const sent = t.udp.take();
    expect(times(sent)).toEqual([500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    for (const s of sent) expect(s.text).toBe(first.text);
    expect(t.client.events).toEqual([{ kind: "failure", tx, reason: ClientFailure.Timeout, at: 32_000 }]);
    expect(tx.state).toBe(ClientState.Terminated);
    expect(t.layer.clientCount).toBe(0);
    expect(t.layer.counters.retransmissions).toBe(10);
    expect(t.queue.size).toBe(0);
  });

  it("a 1xx switches Timer E to T2; a final response completes; retransmitted finals are absorbed; Timer K terminates", () => {
    const t = setup();
    const { tx, first } = startOptions(t);
    t.clock.advance(600);
    expect(times(t.udp.take())).toEqual([500]);
    t.deliver(answer(first.text, 100, "Trying", null));
    expect(tx.state).toBe(ClientState.Proceeding);
    t.clock.advance(10_000 - 600);
    // E was armed for 1 s at 0.5 s; it fires at 1.5 s in Proceeding and is reset to T2 from then on.
    expect(times(t.udp.take())).toEqual([1500, 5500, 9500]);
    const ok = answer(first.text, 200, "OK", "bob-tag");
    t.deliver(ok);
    expect(tx.state).toBe(ClientState.Completed);
    t.deliver(ok);
    t.deliver(ok);
    expect(t.client.events.map((e) => (e.kind === "response" ? `${e.status}@${e.at}` : e.kind))).toEqual(["100@600", "200@10000"]);
    expect(t.layer.counters.responsesAbsorbed).toBe(2);
    t.clock.advance(4_999);
    expect(t.layer.clientCount).toBe(1);
    t.clock.advance(1);
    expect(tx.state).toBe(ClientState.Terminated);
    expect(t.layer.clientCount).toBe(0);
    expect(t.udp.take()).toEqual([]);
    // Once terminated, a late retransmission matches nothing and is dropped.
    t.deliver(ok);
    expect(t.client.events.length).toBe(2);
    expect(t.layer.counters.dropped).toBe(1);
  });

  it("release() of a sent OPTIONS (its user moved to another server): no more retransmissions, the slot is free, a late answer matches nothing; a sent INVITE is not released", () => {
    const t = setup();
    const { tx, first } = startOptions(t);
    t.clock.advance(1000);
    expect(t.udp.take().length).toBe(1);
    t.layer.release(tx);
    expect(tx.state).toBe(ClientState.Terminated);
    expect(t.layer.clientCount).toBe(0);
    t.clock.advance(40_000);
    expect(t.udp.take()).toEqual([]);
    t.deliver(answer(first.text, 200, "OK"));
    expect(t.client.events).toEqual([]);
    expect(t.layer.counters.dropped).toBe(1);
    const invite = startInvite(t);
    t.layer.release(invite.tx);
    expect(invite.tx.state).toBe(ClientState.Calling);
    expect(t.layer.clientCount).toBe(1);
  });

  it("abandon() of an INVITE that had no response: Timer A stops, the slot is free, no CANCEL; a late 2xx is a stray one, a late 1xx or 486 is dropped", () => {
    const stray: string[] = [];
    const t = setup();
    t.server.onStray2xx = (msg: SipMessage, a: string, p: number) => stray.push(`${msg.status} ${a}:${p}`);
    const { tx, first } = startInvite(t);
    t.clock.advance(4000);
    expect(times(t.udp.take())).toEqual([500, 1500, 3500]);
    expect(t.layer.abandon(tx)).toBe(true);
    expect(tx.state).toBe(ClientState.Terminated);
    expect(t.layer.clientCount).toBe(0);
    expect(t.layer.abandon(tx)).toBe(false);
    t.clock.advance(60_000);
    expect(t.udp.take()).toEqual([]);
    expect(t.client.events).toEqual([]);
    t.deliver(answer(first.text, 180, "Ringing", "bob-tag"));
    t.deliver(answer(first.text, 486, "Busy Here", "bob-tag"));
    t.deliver(answer(first.text, 200, "OK", "bob-tag"));
    expect(t.udp.take()).toEqual([]);
    expect(t.client.events).toEqual([]);
    expect(stray).toEqual([`200 ${PEER}:5070`]);
    expect(t.layer.counters.dropped).toBe(2);
  });

  it("abandon() is refused once the INVITE had a response (a CANCEL or an ACK may be owed), and for a non-INVITE", () => {
    const t = setup();
    const invite = startInvite(t);
    t.deliver(answer(invite.first.text, 100, "Trying"));
    expect(t.layer.abandon(invite.tx)).toBe(false);
    expect(invite.tx.state).toBe(ClientState.Proceeding);
    const options = startOptions(t);
    expect(t.layer.abandon(options.tx)).toBe(false);
    expect(options.tx.state).toBe(ClientState.Calling);
    expect(t.layer.clientCount).toBe(2);
  });

  it("matches by branch and CSeq method only (§17.1.3)", () => {
    const t = setup();
    const { first } = startOptions(t);
    t.deliver(answer(first.text, 200, "OK").replace("CSeq: 7 OPTIONS", "CSeq: 7 INFO"));
    t.deliver(answer(first.text, 200, "OK").replace(/branch=z9hG4bK[0-9a-f]{4}/, "branch=z9hG4bKffff"));
    expect(t.client.events).toEqual([]);
    expect(t.layer.counters.dropped).toBe(2);
  });

  it("learns received and rport from the top Via of responses (RFC 3581 §4)", () => {
    const learned: string[] = [];
    const t = setup({ onNatLearned: (a, p) => learned.push(`${a}:${p}`) });
    const { first } = startOptions(t);
    const resp = answer(first.text, 200, "OK").replace(";rport", ";rport=40123;received=203.0.113.9");
    t.deliver(resp);
    expect(t.layer.learnedAddress).toBe("203.0.113.9");
    expect(t.layer.learnedPort).toBe(40123);
    expect(learned).toEqual(["203.0.113.9:40123"]);
  });

  it("a send the host refuses ends the transaction; a full pool gives null", () => {
    const t = setup({ maxClientTransactions: 2 });
    t.udp.refuse = true;
    const tx = t.layer.createClient(t.client, Method.OPTIONS)!;
    const w = writeRequest(t.layer, tx, "OPTIONS sip:bob@example.com SIP/2.0", OPTIONS_HEADERS);
    expect(t.layer.send(tx, w, PEER, 5060)).toBe(false);
    expect(t.layer.clientCount).toBe(0);
    t.udp.refuse = false;
    expect(t.layer.createClient(t.client, Method.OPTIONS)).not.toBeNull();
    expect(t.layer.createClient(t.client, Method.OPTIONS)).not.toBeNull();
    expect(t.layer.createClient(t.client, Method.OPTIONS)).toBeNull();
    expect(t.layer.createClient(t.client, Method.ACK)).toBeNull();
  });

  it("a full pool takes the slot of a transaction in Completed (the one ending soonest), never one still waiting", () => {
    // The device has four client slots: a challenged refresh, a keepalive and a
    // 407 to the doorbell INVITE (Timer D, 32 s) must not lock out the retry.
    const t = setup({ maxClientTransactions: 3 });
    const inv = startInvite(t);
    t.deliver(answer(inv.first.text, 407, "Proxy Authentication Required"));
    expect(inv.tx.state).toBe(ClientState.Completed); // Timer D: 32 s
    expect(t.udp.take().map((d) => d.text.split(" ")[0])).toEqual(["ACK"]);
    t.clock.advance(1_000);
    const opt = startOptions(t);
    t.deliver(answer(opt.first.text, 401, "Unauthorized"));
    expect(opt.tx.state).toBe(ClientState.Completed); // Timer K: 5 s, so it ends first
    const pending = startOptions(t); // no answer yet: never reclaimed
    t.udp.take();
    expect(t.layer.clientCount).toBe(3);
    const next = t.layer.createClient(t.client, Method.INVITE);
    expect(next).toBe(opt.tx);
    expect(t.layer.counters.clientsReclaimed).toBe(1);
    expect(t.layer.createClient(t.client, Method.INVITE)).toBe(inv.tx);
    expect(t.layer.createClient(t.client, Method.INVITE)).toBeNull(); // only live transactions left
    expect(pending.tx.state).toBe(ClientState.Calling);
    expect(t.layer.counters.clientsReclaimed).toBe(2);
  });

  it("four slots or more keep the last from INVITEs for a REGISTER; a call's other requests may take it; three or fewer keep none", () => {
    const u = setup({ maxClientTransactions: 4 });
    for (let i = 0; i < 3; i++) expect(u.layer.createClient(u.client, Method.INVITE)).not.toBeNull();
    expect(u.layer.createClient(u.client, Method.INVITE)).toBeNull();
    expect(u.layer.createClient(u.client, Method.REGISTER)).not.toBeNull();
    expect(u.layer.createClient(u.client, Method.REGISTER)).toBeNull();
    // A hunt's phones stop ringing (CANCEL), a call ends at the phone too (BYE), a reliable 18x is acknowledged
    // (PRACK), the keepalive goes: each lives for a round trip and may take the last slot.
    for (const m of [Method.CANCEL, Method.BYE, Method.PRACK, Method.OPTIONS, Method.UPDATE, Method.NOTIFY]) {
      const c = setup({ maxClientTransactions: 4 });
      for (let i = 0; i < 3; i++) expect(c.layer.createClient(c.client, Method.INVITE)).not.toBeNull();
      expect(c.layer.createClient(c.client, m)).not.toBeNull();
    }
    // With a REGISTER under way the reserve is moot.
    const r = setup({ maxClientTransactions: 4 });
    expect(r.layer.createClient(r.client, Method.REGISTER)).not.toBeNull();
    for (let i = 0; i < 3; i++) expect(r.layer.createClient(r.client, Method.INVITE)).not.toBeNull();
    // Three slots or fewer keep none (a call and its CANCEL need two).
    const v = setup({ maxClientTransactions: 3 });
    for (let i = 0; i < 3; i++) expect(v.layer.createClient(v.client, Method.INVITE)).not.toBeNull();
  });

  it("a hunt's two INVITEs and their CANCELs, none answered, fill four slots: a REGISTER takes the slot of a CANCEL sent three times, whose INVITE still ends 64*T1 after it", () => {
    // Found by test/sfuzz.test.ts with the device's tables: a PBX that answered neither the INVITEs nor their CANCELs
    // held all four slots for 64*T1 (§9.1), and the refresh of a 60 s binding, due at its half, found no room until
    // the binding had ended.
    const t = setup({ maxClientTransactions: 4 });
    const a = startInvite(t);
    const b = startInvite(t);
    t.deliver(answer(a.first.text, 180, "Ringing", "a-tag"));
    t.deliver(answer(b.first.text, 180, "Ringing", "b-tag"));
    expect(a.tx.cancel()).toBe(true);
    expect(b.tx.cancel()).toBe(true);
    expect(t.udp.take().map((s) => parse(s.text).methodString())).toEqual(["CANCEL", "CANCEL"]); // both at once
    expect(t.layer.clientCount).toBe(4);
    // Sent once each: the peer has had no chance to answer; the refresh waits (registration.ts tries again in 2 s).
    expect(t.layer.createClient(t.client, Method.REGISTER)).toBeNull();
    t.clock.advance(1_500); // resent at 0.5 and 1.5 s: three sends each
    expect(t.udp.take().map((s) => parse(s.text).methodString())).toEqual(["CANCEL", "CANCEL", "CANCEL", "CANCEL"]);
    expect(t.layer.createClient(t.client, Method.OPTIONS)).toBeNull(); // full: a keepalive skips its turn
    const reg = t.layer.createClient(t.client, Method.REGISTER);
    expect(reg).not.toBeNull();
    expect(t.layer.counters.clientsReclaimed).toBe(1);
    // One CANCEL goes on being resent, the other no more; both INVITEs end 64*T1 after their CANCEL (§9.1).
    t.clock.advance(2_000);
    expect(t.udp.take().map((s) => parse(s.text).methodString())).toEqual(["CANCEL"]);
    t.clock.advance(30_500);
    expect([a.tx.state, b.tx.state]).toEqual([ClientState.Terminated, ClientState.Terminated]);
    expect(t.layer.clientCount).toBe(1); // the REGISTER, never sent here
  });
});

describe("INVITE client transaction", () => {
  it("retransmits with Timer A doubling and times out with Timer B at 32 s", () => {
    const t = setup();
    const { tx, first } = startInvite(t);
    t.clock.advance(40_000);
    const sent = t.udp.take();
    expect(times(sent)).toEqual([500, 1500, 3500, 7500, 15500, 31500]);
    for (const s of sent) expect(s.text).toBe(first.text);
    expect(t.client.events).toEqual([{ kind: "failure", tx, reason: ClientFailure.Timeout, at: 32_000 }]);
    expect(t.layer.clientCount).toBe(0);
  });

  it("ACKs a 3xx-6xx itself (§17.1.1.3), ACKs its retransmission again, then Timer D terminates", () => {
    const t = setup();
    const { tx, first } = startInvite(t);
    t.clock.advance(600);
    expect(times(t.udp.take())).toEqual([500]);
    t.deliver(answer(first.text, 180, "Ringing", "bob-tag"));
    t.clock.advance(5_000);
    expect(t.udp.take()).toEqual([]); // no retransmission in Proceeding
    const busy = answer(first.text, 486, "Busy Here", "bob-tag");
    t.deliver(busy);
    expect(tx.state).toBe(ClientState.Completed);
    const [ack] = t.udp.take();
    expect(ack!.address).toBe(PEER);
    expect(ack!.port).toBe(5060);
    const inv = parse(first.text);
    const a = parse(ack!.text);
    expect(a.methodString()).toBe("ACK");
    expect(a.uriString()).toBe("sip:bob@example.com");
    expect(a.getString(H.Via)).toBe(inv.getString(H.Via));
    expect(a.count[H.Via]).toBe(1);
    expect(a.getString(H.Route)).toBe("<sip:proxy.example.com;lr>");
    expect(a.getString(H.From)).toBe(inv.getString(H.From));
    expect(a.getString(H.To)).toBe("<sip:bob@example.com>;tag=bob-tag");
    expect(a.getString(H.CallId)).toBe("call-2@door");
    expect(a.getString(H.CSeq)).toBe("3 ACK");
    expect(a.getString(H.ContentLength)).toBe("0");
    expect(a.has(H.Contact)).toBe(false);
    // A retransmitted final response: the same ACK again, nothing passed up.
    t.clock.advance(1_000);
    t.deliver(busy);
    const again = t.udp.take();
    expect(again.map((s) => s.text)).toEqual([ack!.text]);
    expect(t.client.events.map((e) => (e.kind === "response" ? e.status : e.kind))).toEqual([180, 486]);
    t.clock.advance(32_000 - 1_001);
    expect(t.layer.clientCount).toBe(1);
    t.clock.advance(1);
    expect(t.layer.clientCount).toBe(0);
    expect(t.udp.take()).toEqual([]);
  });

  it("goes to Accepted on a 2xx (RFC 6026): retransmitted 2xx passed up, no ACK, Timer M terminates", () => {
    const t = setup();
    const { tx, first } = startInvite(t);
    const ok = answer(first.text, 200, "OK", "bob-tag");
    t.clock.advance(100);
    t.deliver(ok);
    expect(tx.state).toBe(ClientState.Accepted);
    t.clock.advance(500);
    t.deliver(ok);
    t.deliver(answer(first.text, 200, "OK", "fork-2"));
    expect(t.client.events.map((e) => (e.kind === "response" ? `${e.status}/${e.toTag}@${e.at}` : e.kind))).toEqual(["200/bob-tag@100", "200/bob-tag@600", "200/fork-2@600"]);
    expect(t.udp.take()).toEqual([]); // neither retransmission of the INVITE nor an ACK: the TU ACKs 2xx
    t.clock.advance(32_000 - 500 - 1);
    expect(t.layer.clientCount).toBe(1);
    t.clock.advance(1);
    expect(tx.state).toBe(ClientState.Terminated);
    expect(t.layer.clientCount).toBe(0);
  });

  it("passes a 2xx whose transaction is gone to onStray2xx; drops other strays", () => {
    const stray: string[] = [];
    const t = setup();
    t.server.onStray2xx = (msg: SipMessage, a: string, p: number) => stray.push(`${msg.status} ${a}:${p}`);
    const { first } = startInvite(t);
    const ok = answer(first.text, 200, "OK", "bob-tag");
    t.deliver(ok);
    t.clock.advance(32_000);
    expect(t.layer.clientCount).toBe(0);
    t.deliver(ok);
    t.deliver(answer(first.text, 486, "Busy Here"));
    expect(stray).toEqual([`200 ${PEER}:5070`]);
    expect(t.layer.counters.dropped).toBe(1);
  });

  it("passes a 2xx that follows the INVITE's 487 (Completed) to onStray2xx: a fork answering as our CANCEL crossed (§16.7)", () => {
    const stray: string[] = [];
    const t = setup();
    t.server.onStray2xx = (msg: SipMessage, a: string, p: number) => stray.push(`${msg.status} ${a}:${p}`);
    const { tx, first } = startInvite(t);
    t.deliver(answer(first.text, 487, "Request Terminated", "proxy-tag"));
    expect(tx.state).toBe(ClientState.Completed);
    expect(t.udp.take().map((d) => d.text.split(" ")[0])).toEqual(["ACK"]);
    const events = t.client.events.length;
    // The 487 again is still a retransmission: ACKed by the transaction, not passed up (§17.1.1.2).
    t.deliver(answer(first.text, 487, "Request Terminated", "proxy-tag"));
    expect(t.udp.take().map((d) => d.text.split(" ")[0])).toEqual(["ACK"]);
    // A phone's 2xx is not: the dialog layer ACKs and ends it; the transaction stays as it was.
    t.deliver(answer(first.text, 200, "OK", "bob-tag"));
    expect(stray).toEqual([`200 ${PEER}:5070`]);
    expect(t.client.events.length).toBe(events);
    expect(tx.state).toBe(ClientState.Completed);
  });

  it("holds a CANCEL until the 180, then sends it (§9.1) as its own transaction; the 487 is ACKed", () => {
    const t = setup();
    const { tx, first } = startInvite(t);
    tx.userData = 17;
    expect(tx.cancel()).toBe(true);
    t.clock.advance(200);
    expect(t.udp.take()).toEqual([]);
    t.deliver(answer(first.text, 180, "Ringing", "bob-tag"));
    const [cancel] = t.udp.take();
    expect(t.layer.clientCount).toBe(2);
    const inv = parse(first.text);
    const c = parse(cancel!.text);
    expect(cancel!.address).toBe(PEER);
    expect(cancel!.port).toBe(5060);
    expect(c.methodString()).toBe("CANCEL");
    expect(c.uriString()).toBe("sip:bob@example.com");
    expect(c.getString(H.Via)).toBe(inv.getString(H.Via)); // same branch: the UAS matches it to the INVITE (§9.2)
    expect(c.getString(H.Route)).toBe("<sip:proxy.example.com;lr>");
    expect(c.getString(H.From)).toBe(inv.getString(H.From));
    expect(c.getString(H.To)).toBe("<sip:bob@example.com>");
    expect(c.getString(H.CallId)).toBe("call-2@door");
    expect(c.getString(H.CSeq)).toBe("3 CANCEL");
    expect(tx.cancel()).toBe(true); // already sent: nothing more
    expect(t.udp.take()).toEqual([]);
    // The CANCEL retransmits on its own Timer E.
    t.clock.advance(500);
    expect(t.udp.take().map((s) => s.text)).toEqual([cancel!.text]);
    // 200 to the CANCEL (CSeq method CANCEL) goes to the CANCEL transaction, 487 to the INVITE one.
    t.deliver(answer(cancel!.text, 200, "OK", "bob-tag"));
    t.deliver(answer(first.text, 487, "Request Terminated", "bob-tag"));
    const ev = t.client.events.map((e) => (e.kind === "response" ? `${e.status} ${e.method} ${e.tx === tx ? "invite" : "cancel"}` : e.kind));
    expect(ev).toEqual(["180 INVITE invite", "200 CANCEL cancel", "487 INVITE invite"]);
    const cancelTx = t.client.events[1]!.tx;
    expect(cancelTx.method).toBe(Method.CANCEL);
    expect(cancelTx.userData).toBe(17);
    const [ack] = t.udp.take();
    expect(parse(ack!.text).getString(H.CSeq)).toBe("3 ACK");
    expect(tx.cancel()).toBe(false); // completed
    t.clock.advance(40_000);
    expect(t.layer.clientCount).toBe(0);
    expect(t.queue.size).toBe(0);
  });

  it("a CANCEL with no client transaction free is held and sent once one frees up, on Timer A's schedule capped at T2; Timer B still bounds it", () => {
    const t = setup({ maxClientTransactions: 2 });
    const { tx, first } = startInvite(t);
    t.deliver(answer(first.text, 180, "Ringing", "bob-tag"));
    const opt = startOptions(t); // the pool's other slot, waiting for its answer: never reclaimed
    expect(t.layer.clientCount).toBe(2);
    expect(tx.cancel()).toBe(true); // held, not refused: the call waits for the 487
    expect(t.udp.take()).toEqual([]);
    expect(tx.cancel()).toBe(true); // asked again: still the one held
    // Tried at 0.5, 1.5, 3.5, 7.5 s...: the OPTIONS is answered at 2 s and leaves Timer K's wait in Completed.
    t.clock.advance(2_000);
    expect(t.udp.take().map((s) => parse(s.text).methodString())).toEqual(["OPTIONS", "OPTIONS"]);
    t.deliver(answer(opt.first.text, 200, "OK"));
    t.clock.advance(1_499);
    expect(t.udp.take()).toEqual([]);
    t.clock.advance(1);
    const [cancel] = t.udp.take();
    expect(parse(cancel!.text).getString(H.CSeq)).toBe("3 CANCEL");
    expect(parse(cancel!.text).getString(H.Via)).toBe(parse(first.text).getString(H.Via));
    // Nothing more held: no second CANCEL on the old schedule.
    t.clock.advance(8_000);
    expect(t.udp.take().map((s) => parse(s.text).methodString()).filter((m) => m !== "CANCEL")).toEqual([]);
    t.deliver(answer(cancel!.text, 200, "OK", "bob-tag"));
    t.deliver(answer(first.text, 487, "Request Terminated", "bob-tag"));
    expect(t.udp.take().map((s) => parse(s.text).methodString())).toEqual(["ACK"]);
    t.clock.advance(40_000);
    expect(t.layer.clientCount).toBe(0);
    expect(t.queue.size).toBe(0);
  });

  it("a CANCEL held for room all along: the INVITE still times out 64*T1 after it was asked for", () => {
    const t = setup({ maxClientTransactions: 1 });
    const { tx, first } = startInvite(t);
    t.deliver(answer(first.text, 180, "Ringing", "bob-tag"));
    expect(tx.cancel()).toBe(true);
    t.clock.advance(32_000 - 1);
    expect(t.udp.take()).toEqual([]);
    expect(t.client.events.filter((e) => e.kind === "failure")).toEqual([]);
    t.clock.advance(1);
    expect(t.client.events.filter((e) => e.kind === "failure").length).toBe(1);
    expect(t.layer.clientCount).toBe(0);
    expect(t.queue.size).toBe(0);
  });

  it("§9.1: no final response 64*T1 after the CANCEL (the callee rang, then vanished): the INVITE times out and its slot is free", () => {
    const t = setup();
    const { tx, first } = startInvite(t);
    t.deliver(answer(first.text, 180, "Ringing", "bob-tag"));
    // Proceeding: no Timer A, no Timer B (§17.1.1.2) until the CANCEL.
    t.clock.advance(100_000);
    expect(t.udp.take()).toEqual([]);
    expect(tx.state).toBe(ClientState.Proceeding);
    expect(tx.cancel()).toBe(true);
    const at = t.clock.now();
    expect(t.udp.take().map((s) => parse(s.text).methodString())).toEqual(["CANCEL"]);
    t.clock.advance(32_000 - 1);
    expect(t.client.events.filter((e) => e.kind === "failure")).toEqual([]);
    t.clock.advance(1);
    // The INVITE's timeout, and the CANCEL's own Timer F (it got no answer either), both 64*T1 after the CANCEL.
    const failures = t.client.events.filter((e) => e.kind === "failure");
    expect(failures.map((e) => [e.tx.method, e.kind === "failure" ? e.reason : 0, e.at - at])).toEqual([
      [Method.INVITE, ClientFailure.Timeout, 32_000], [Method.CANCEL, ClientFailure.Timeout, 32_000],
    ]);
    expect(tx.state).toBe(ClientState.Terminated);
    expect(t.layer.clientCount).toBe(0);
    expect(t.queue.size).toBe(0);
  });

  it("§9.1: a 1xx after the CANCEL (a reliable 180 resent, a 183) does not stop its 64*T1: the INVITE still times out", () => {
    const t = setup();
    const { tx, first } = startInvite(t);
    t.deliver(answer(first.text, 180, "Ringing", "bob-tag"));
    expect(tx.cancel()).toBe(true);
    const at = t.clock.now();
    t.clock.advance(10_000);
    t.deliver(answer(first.text, 180, "Ringing", "bob-tag"));
    t.deliver(answer(first.text, 183, "Session Progress", "bob-tag"));
    t.clock.advance(22_000);
    const failures = t.client.events.filter((e) => e.kind === "failure" && e.tx === tx);
    expect(failures.map((e) => (e.kind === "failure" ? e.at - at : -1))).toEqual([32_000]);
    expect(tx.state).toBe(ClientState.Terminated);
  });

  it("§9.1: a CANCEL held for the first 1xx goes with it, and a second 1xx does not stop its 64*T1", () => {
    const t = setup();
    const { tx, first } = startInvite(t);
    expect(tx.cancel()).toBe(true);
    t.deliver(answer(first.text, 100, "Trying"));
    const at = t.clock.now();
    expect(t.udp.take().map((s) => parse(s.text).methodString())).toContain("CANCEL");
    t.clock.advance(1_000);
    t.deliver(answer(first.text, 180, "Ringing", "bob-tag"));
    t.clock.advance(31_000);
    const failures = t.client.events.filter((e) => e.kind === "failure" && e.tx === tx);
    expect(failures.map((e) => (e.kind === "failure" ? e.at - at : -1))).toEqual([32_000]);
  });

  it("drops a held CANCEL when the final response comes first; cancel() is refused for non-INVITE", () => {
    const t = setup();
    const { tx, first } = startInvite(t);
    expect(tx.cancel()).toBe(true);
    t.deliver(answer(first.text, 603, "Decline"));
    const sent = t.udp.take();
    expect(sent.map((s) => s.text.split("\r\n")[0])).toEqual(["ACK sip:bob@example.com SIP/2.0"]);
    const o = startOptions(t);
    expect(o.tx.cancel()).toBe(false);
    expect(crlf("a\nb")).toBe("a\r\nb");
    expect(header(first.text, H.CSeq)).toBe("3 INVITE");
  });
});
