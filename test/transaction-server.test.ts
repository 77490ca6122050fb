/*
 * Server transactions over a recording UDP host and a virtual clock.
 * RFC rules checked:
 * - §17.2.2 non-INVITE: a retransmitted request is absorbed (nothing sent in
 *   Trying, the last response resent in Proceeding and Completed); Timer J
 *   (64*T1) terminates.
 * - §17.2.1 INVITE: 100 Trying sent by the transaction when the TU has not
 *   answered in 200 ms; retransmitted INVITE answered with the latest
 *   provisional; 3xx-6xx retransmitted by Timer G (T1 doubling up to T2)
 *   until the ACK; ACK → Confirmed, absorbed, Timer I (T4); no ACK → Timer H
 *   (64*T1) → onServerTimeout.
 * - RFC 6026 §7.1: a 2xx → Accepted, INVITE retransmissions absorbed, ACKs
 *   passed to the TU (onAck), Timer L terminates.
 * - §9.2: CANCEL matching a pending INVITE gets 200 through its own
 *   transaction and onCancel; an unmatched CANCEL gets 481.
 * - §17.2.3: matching by branch + sent-by + method, and the RFC 2543
 *   fallback for branches without the magic cookie (RFC 4475 inv2543).
 * - §18.2.2 / RFC 3581: responses go to the source address, to the source
 *   port with rport, else the Via port, else 5060.
 * - §8.2: malformed requests get 400 with the precise reason, unknown
 *   methods 501 with Allow; ACK is never answered; a full table answers 503
 *   with Retry-After (§21.5.4); a TU that throws gets its request answered 500.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { H } from "../src/sip/message/header";
import type { SipMessage } from "../src/sip/message/message";
import { writeResponseHead } from "../src/sip/message/response";
import { SipWriter } from "../src/sip/message/writer";
import { ServerState, type ServerTransactionHandle } from "../src/sip/transaction/api";
import { KEY_BYTES, KEY_HEAD, keyClear, keyCopy, keyEquals, keyFromRequest, keyLength, KeyMode, keyMode, keyPrefix, newKey } from "../src/sip/transaction/key";
import { Method } from "../src/sip/message/method";
import { bytes, crlf, parse, PEER, setup, times } from "./support/transaction-harness";
import { OPTIONS_REQUEST } from "./xs/fixtures/text";

const OPTIONS = OPTIONS_REQUEST;

function invite(branch = "z9hG4bKinv1", cseq = 1): string {
  return `INVITE sip:door@192.0.2.10 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.7:5070;branch=${branch};rport
Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKdeep
Max-Forwards: 70
From: <sip:alice@example.com>;tag=a1
To: <sip:door@example.com>
Call-ID: inv-1@alice
CSeq: ${cseq} INVITE
Contact: <sip:alice@198.51.100.7:5070>
Content-Length: 0

`;
}

/** The ACK a UAC sends for a non-2xx (§17.1.1.3: same branch) or, with another branch, for a 2xx. */
function ack(branch: string, toTag: string): string {
  return `ACK sip:door@192.0.2.10 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.7:5070;branch=${branch};rport
Max-Forwards: 70
From: <sip:alice@example.com>;tag=a1
To: <sip:door@example.com>;tag=${toTag}
Call-ID: inv-1@alice
CSeq: 1 ACK
Content-Length: 0

`;
}

function cancel(branch: string): string {
  return `CANCEL sip:door@192.0.2.10 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.7:5070;branch=${branch};rport
Max-Forwards: 70
From: <sip:alice@example.com>;tag=a1
To: <sip:door@example.com>
Call-ID: inv-1@alice
CSeq: 1 CANCEL
Content-Length: 0

`;
}

/** Respond to a request given as text (the SipMessage of the callback is gone by then). */
function reply(tx: ServerTransactionHandle, requestText: string, status: number, reason: string, tag = "door-tag"): boolean {
  const req = parse(crlf(requestText));
  const w = new SipWriter(1300);
  writeResponseHead(w, req, status, bytes(reason), bytes(tag), tag.length, false);
  w.end();
  return tx.respond(w, status);
}

const statusLines = (sent: { text: string }[]) => sent.map((s) => s.text.split("\r\n")[0]);

function lastTx(t: ReturnType<typeof setup>): ServerTransactionHandle {
  const e = t.server.events.filter((x) => x.kind === "request").at(-1);
  if (!e || e.kind !== "request") throw new Error("no request");
  return e.tx;
}

describe("non-INVITE server transaction", () => {
  it("absorbs retransmissions (silently in Trying, resending the last response after), then Timer J", () => {
    const t = setup();
    t.deliver(OPTIONS);
    expect(t.server.events).toMatchObject([{ kind: "request", method: "OPTIONS", address: PEER, port: 5070, at: 0 }]);
    const tx = lastTx(t);
    expect(tx.state).toBe(ServerState.Trying);
    t.clock.advance(500);
    t.deliver(OPTIONS); // retransmission before any response: absorbed, nothing sent
    expect(t.udp.take()).toEqual([]);
    t.clock.advance(100);
    expect(reply(tx, OPTIONS, 200, "OK")).toBe(true);
    expect(tx.state).toBe(ServerState.Completed);
    const [ok] = t.udp.take();
    expect(ok!.address).toBe(PEER);
    expect(ok!.port).toBe(5070); // rport: the source port (RFC 3581 §4)
    const r = parse(ok!.text);
    expect(r.status).toBe(200);
    expect(r.getString(H.To)).toBe("<sip:door@example.com>;tag=door-tag");
    // The server transport's mark on the top Via (§18.2.1, RFC 3581 §4).
    expect(r.getString(H.Via)).toBe("SIP/2.0/UDP 198.51.100.7:5070;branch=z9hG4bKopt1;rport=5070;received=198.51.100.7");
    t.clock.advance(900);
    t.deliver(OPTIONS);
    t.deliver(OPTIONS);
    expect(t.udp.take().map((s) => s.text)).toEqual([ok!.text, ok!.text]);
    expect(t.server.events.length).toBe(1); // the TU saw the request once
    expect(t.layer.counters.requestsAbsorbed).toBe(3);
    expect(reply(tx, OPTIONS, 200, "OK")).toBe(false); // Completed: no second final
    t.clock.advanceTo(600 + 32_000 - 1); // Timer J runs from the final response at 0.6 s
    expect(t.layer.serverCount).toBe(1);
    t.clock.advance(1);
    expect(tx.state).toBe(ServerState.Terminated);
    expect(t.layer.serverCount).toBe(0);
    expect(t.queue.size).toBe(0);
  });

  it("resends the latest provisional response in Proceeding", () => {
    const t = setup();
    const info = OPTIONS.replace(/OPTIONS/g, "INFO");
    t.deliver(info);
    const tx = lastTx(t);
    reply(tx, info, 183, "Session Progress");
    expect(tx.state).toBe(ServerState.Proceeding);
    t.deliver(info);
    expect(statusLines(t.udp.take())).toEqual(["SIP/2.0 183 Session Progress", "SIP/2.0 183 Session Progress"]);
  });

  it("sends responses to the Via port without rport, else 5060 (§18.2.2)", () => {
    const t = setup();
    for (const via of ["198.51.100.7:5080;branch=z9hG4bKopt2", "198.51.100.7;branch=z9hG4bKopt3", "alice.example.com;branch=z9hG4bKopt4"]) {
      const req = OPTIONS.replace("198.51.100.7:5070;branch=z9hG4bKopt1;rport", via);
      t.deliver(req, 40000);
      reply(lastTx(t), req, 200, "OK");
    }
    const sent = t.udp.take();
    expect(sent.map((s) => `${s.address}:${s.port}`)).toEqual([`${PEER}:5080`, `${PEER}:5060`, `${PEER}:5060`]);
    // received only where the sent-by differs from the source address (§18.2.1).
    expect(sent.map((s) => parse(s.text).getString(H.Via))).toEqual([
      "SIP/2.0/UDP 198.51.100.7:5080;branch=z9hG4bKopt2",
      "SIP/2.0/UDP 198.51.100.7;branch=z9hG4bKopt3",
      "SIP/2.0/UDP alice.example.com;branch=z9hG4bKopt4;received=198.51.100.7",
    ]);
  });
});

describe("INVITE server transaction", () => {
  it("ends the transaction, unanswered and counted, when the TU's final response does not fit (no slot held for ever)", () => {
    const t = setup({ messageBuffer: 600 });
    const long = invite().replace("Max-Forwards: 70", Array.from({ length: 12 }, (_, i) => `Via: SIP/2.0/UDP 10.0.1.${i}:5060;branch=z9hG4bKhop${i}`).join("\n") + "\nMax-Forwards: 70");
    t.deliver(long);
    const tx = lastTx(t);
    expect(t.layer.serverCount).toBe(1);
    expect(reply(tx, long, 180, "Ringing")).toBe(false); // a provisional that does not fit changes nothing
    expect(tx.state).toBe(ServerState.Proceeding);
    expect(reply(tx, long, 513, "Message Too Large")).toBe(false);
    expect(tx.state).toBe(ServerState.Terminated);
    expect(t.layer.serverCount).toBe(0);
    expect(t.layer.counters.unanswerable).toBe(1);
    expect(t.logs.some((l) => l.includes("too large"))).toBe(true);
    // The client's retransmission finds a new transaction, which a smaller answer can serve.
    t.deliver(invite());
    expect(reply(lastTx(t), invite(), 486, "Busy Here")).toBe(true);
  });

  it("sends 100 Trying after 200 ms of silence, resends the provisional, retransmits 486 with Timer G until the ACK, then Timer I", () => {
    const t = setup();
    t.deliver(invite());
    const tx = lastTx(t);
    expect(tx.state).toBe(ServerState.Proceeding);
    t.clock.advance(199);
    expect(t.udp.take()).toEqual([]);
    t.clock.advance(1);
    const [trying] = t.udp.take();
    expect(trying!.at).toBe(200);
    const tr = parse(trying!.text);
    expect(tr.status).toBe(100);
    expect(tr.getString(H.To)).toBe("<sip:door@example.com>"); // no tag in 100 (§8.2.6.2)
    expect(tr.count[H.Via]).toBe(2);
    t.clock.advance(800);
    reply(tx, invite(), 180, "Ringing");
    t.deliver(invite()); // retransmission: the 180 again
    expect(statusLines(t.udp.take())).toEqual(["SIP/2.0 180 Ringing", "SIP/2.0 180 Ringing"]);
    t.clock.advance(1_000);
    expect(reply(tx, invite(), 486, "Busy Here")).toBe(true);
    expect(tx.state).toBe(ServerState.Completed);
    t.clock.advance(8_000);
    const g = t.udp.take();
    expect(statusLines(g).every((l) => l === "SIP/2.0 486 Busy Here")).toBe(true);
    expect(times(g)).toEqual([2000, 2500, 3500, 5500, 9500]);
    t.deliver(invite()); // retransmitted INVITE in Completed: the 486 again
    expect(statusLines(t.udp.take())).toEqual(["SIP/2.0 486 Busy Here"]);
    t.deliver(ack("z9hG4bKinv1", "door-tag"));
    expect(tx.state).toBe(ServerState.Confirmed);
    t.deliver(ack("z9hG4bKinv1", "door-tag"));
    t.deliver(invite());
    t.clock.advance(4_999);
    expect(t.udp.take()).toEqual([]); // Confirmed: G stopped, everything absorbed
    expect(t.server.events.map((e) => e.kind)).toEqual(["request"]); // ACKs not passed up
    expect(t.layer.serverCount).toBe(1);
    t.clock.advance(1);
    expect(tx.state).toBe(ServerState.Terminated);
    expect(t.layer.serverCount).toBe(0);
  });

  it("Timer G caps at T2 and Timer H ends it with onServerTimeout when no ACK comes", () => {
    const t = setup();
    t.deliver(invite());
    const tx = lastTx(t);
    reply(tx, invite(), 486, "Busy Here");
    t.clock.advance(40_000);
    const sent = t.udp.take();
    expect(times(sent)).toEqual([0, 500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500]);
    expect(t.server.events.map((e) => `${e.kind}@${e.at}`)).toEqual(["request@0", "timeout@32000"]);
    expect(t.layer.serverCount).toBe(0);
  });

  it("goes to Accepted on 2xx (RFC 6026): INVITE retransmissions absorbed, ACKs to onAck, Timer L", () => {
    const t = setup();
    t.deliver(invite());
    const tx = lastTx(t);
    t.clock.advance(50);
    reply(tx, invite(), 200, "OK");
    expect(tx.state).toBe(ServerState.Accepted);
    expect(statusLines(t.udp.take())).toEqual(["SIP/2.0 200 OK"]); // and no 100 Trying
    t.clock.advance(500);
    t.deliver(invite());
    expect(t.udp.take()).toEqual([]); // absorbed: 2xx retransmission is the TU's job (§13.3.1.4)
    expect(reply(tx, invite(), 200, "OK")).toBe(true); // the TU retransmits through the transaction
    expect(reply(tx, invite(), 486, "Busy Here")).toBe(false);
    t.udp.take();
    t.deliver(ack("z9hG4bKack2xx", "door-tag")); // the ACK of a 2xx: its own branch (§13.2.2.4)
    t.deliver(ack("z9hG4bKinv1", "door-tag")); // even with the INVITE's branch it is the TU's
    expect(t.server.events.map((e) => e.kind)).toEqual(["request", "ack", "ack"]);
    expect(t.udp.take()).toEqual([]);
    t.clock.advanceTo(50 + 32_000 - 1); // Timer L runs from the 2xx at 50 ms
    expect(t.layer.serverCount).toBe(1);
    t.clock.advance(1);
    expect(t.layer.serverCount).toBe(0);
  });

  it("answers a matching CANCEL with 200 and calls onCancel; a retransmitted CANCEL gets the same 200; an unknown one gets 481", () => {
    const t = setup();
    t.deliver(invite());
    const tx = lastTx(t);
    reply(tx, invite(), 180, "Ringing");
    t.udp.take();
    t.deliver(cancel("z9hG4bKinv1"));
    const [ok] = t.udp.take();
    const r = parse(ok!.text);
    expect(r.status).toBe(200);
    expect(r.getString(H.CSeq)).toBe("1 CANCEL");
    expect(ok!.port).toBe(5070);
    const c = t.server.events.at(-1)!;
    expect(c.kind === "cancel" && c.tx === tx).toBe(true);
    t.deliver(cancel("z9hG4bKinv1"));
    expect(t.udp.take().map((s) => s.text)).toEqual([ok!.text]);
    expect(t.server.events.map((e) => e.kind)).toEqual(["request", "cancel"]);
    // The TU ends the INVITE with 487 (§9.2).
    reply(tx, invite(), 487, "Request Terminated");
    expect(statusLines(t.udp.take())).toEqual(["SIP/2.0 487 Request Terminated"]);
    t.deliver(cancel("z9hG4bKnothing"));
    const [nx] = t.udp.take();
    expect(nx!.text.split("\r\n")[0]).toBe("SIP/2.0 481 Call/Transaction Does Not Exist");
    expect(t.server.events.map((e) => e.kind)).toEqual(["request", "cancel"]);
  });

  it("matches an RFC 2543 request without branch (RFC 4475 inv2543) by the fallback of §17.2.3", () => {
    const t = setup();
    const text = readFileSync(resolve(__dirname, "../../shared/sip-torture/rfc4475/inv2543.dat"), "latin1");
    const b = bytes(text);
    t.layer.receive(b, b.length, PEER, 5070);
    expect(t.server.events.map((e) => e.kind)).toEqual(["request"]);
    const tx = lastTx(t);
    t.clock.advance(300);
    expect(statusLines(t.udp.take())).toEqual(["SIP/2.0 100 Trying"]);
    t.layer.receive(b, b.length, PEER, 5070); // retransmission: same transaction, the 100 again
    const again = t.udp.take();
    expect(statusLines(again)).toEqual(["SIP/2.0 100 Trying"]);
    expect(again[0]!.address).toBe(PEER);
    expect(again[0]!.port).toBe(5060); // no rport, no port in Via (§18.2.2)
    expect(t.server.events.length).toBe(1);
    // Another CSeq is another transaction.
    const other = bytes(text.replace("CSeq: 56 INVITE", "CSeq: 57 INVITE"));
    t.layer.receive(other, other.length, PEER, 5070);
    expect(t.server.events.length).toBe(2);
    const req = parse(text);
    const w = new SipWriter(1300);
    writeResponseHead(w, req, 486, bytes("Busy Here"), bytes("t1"), 2, false);
    w.end();
    tx.respond(w, 486);
    t.udp.take();
    const ackText = crlf(`ACK sip:UserB@example.com SIP/2.0
Via: SIP/2.0/UDP iftgw.example.com
From: <sip:+13035551111@ift.client.example.net;user=phone>
To: sip:+16505552222@ss1.example.net;user=phone;tag=t1
Call-ID: inv2543.1717@ift.client.example.com
CSeq: 56 ACK
Content-Length: 0

`);
    const a = bytes(ackText);
    t.layer.receive(a, a.length, PEER, 5070);
    expect(tx.state).toBe(ServerState.Confirmed);
    expect(t.server.events.map((e) => e.kind)).toEqual(["request", "request"]);
  });
});

describe("transaction keys (their numbers and their owner's bytes in one view, key.ts)", () => {
  /** An RFC 2543 request (no magic cookie) whose key grows by one byte per byte of `pad` in the Request-URI. */
  const request2543 = (pad: number, cseq = 56) =>
    parse(
      crlf(`INVITE sip:UserB@example.com;x=b${"a".repeat(pad)} SIP/2.0
Via: SIP/2.0/UDP iftgw.example.com
From: <sip:caller@ift.client.example.net>;tag=f1
To: sip:callee@ss1.example.net
Call-ID: inv2543.1717@ift.client.example.com
CSeq: ${cseq} INVITE
Content-Length: 0

`),
    );

  it("keeps keys up to KEY_BYTES (lengths over 255: 16 bits), refuses longer ones, and never writes its owner's head", () => {
    const key = newKey();
    const other = newKey();
    // The owner's bytes (a server transaction's source address) before the key.
    for (let i = 0; i < KEY_HEAD; i++) key[i] = (i * 7 + 1) & 255;
    const lengths: number[] = [];
    let longest = -1;
    for (let pad = 0; pad < 300; pad++) {
      const ok = keyFromRequest(key, request2543(pad), Method.INVITE);
      lengths.push(ok ? keyLength(key) : -1);
      if (!ok) {
        // Over KEY_BYTES: unmatchable, and left empty.
        expect(keyLength(key)).toBe(0);
        expect(keyMode(key)).toBe(KeyMode.None);
        expect(keyEquals(key, key)).toBe(false);
        continue;
      }
      expect(keyMode(key)).toBe(KeyMode.Rfc2543);
      expect(keyPrefix(key)).toBeLessThanOrEqual(keyLength(key));
      // The same request again: the same transaction; another CSeq: another one.
      expect(keyFromRequest(other, request2543(pad), Method.INVITE)).toBe(true);
      expect(keyEquals(key, other)).toBe(true);
      expect(keyFromRequest(other, request2543(pad, 57), Method.INVITE)).toBe(true);
      expect(keyEquals(key, other)).toBe(false);
      if (keyLength(key) === KEY_BYTES) longest = pad;
    }
    // Every length from the shortest up to KEY_BYTES was reached, one byte more per pad, then refused.
    const kept = lengths.filter((n) => n >= 0);
    expect(kept.at(-1)).toBe(KEY_BYTES);
    for (let i = 1; i < kept.length; i++) expect(kept[i]).toBe(kept[i - 1]! + 1);
    expect(lengths.slice(kept.length).every((n) => n === -1)).toBe(true);
    // The longest kept key, copied (as the layer copies its key into a transaction's), still matches.
    expect(keyFromRequest(key, request2543(longest), Method.INVITE)).toBe(true);
    const copy = newKey();
    keyCopy(copy, key);
    expect(keyLength(copy)).toBe(KEY_BYTES);
    expect(keyPrefix(copy)).toBe(keyPrefix(key));
    expect(keyEquals(copy, key)).toBe(true);
    expect(copy.subarray(0, KEY_HEAD).every((b) => b === 0)).toBe(true);
    for (let i = 0; i < KEY_HEAD; i++) expect(key[i]).toBe((i * 7 + 1) & 255);
    keyClear(key);
    expect(keyLength(key)).toBe(0);
    expect(keyMode(key)).toBe(KeyMode.None);
    expect(key[0]).toBe(1);
  });
});

describe("requests the layer answers itself", () => {
  it("answers 503 with Retry-After when the table is full, and recovers", () => {
    const t = setup({ maxServerTransactions: 2, retryAfter: 7 });
    t.deliver(OPTIONS.replace("opt1", "optA"));
    t.deliver(OPTIONS.replace("opt1", "optB"));
    t.deliver(OPTIONS.replace("opt1", "optC"));
    expect(t.server.events.length).toBe(2);
    const [busy] = t.udp.take();
    const r = parse(busy!.text);
    expect(r.status).toBe(503);
    expect(r.reasonString()).toBe("Service Unavailable");
    expect(r.getString(H.RetryAfter)).toBe("7");
    expect(r.to.tagLen).toBeGreaterThan(0);
    expect(busy!.port).toBe(5070);
    expect(r.getString(H.Via)).toBe("SIP/2.0/UDP 198.51.100.7:5070;branch=z9hG4bKoptC;rport=5070;received=198.51.100.7");
    expect(t.layer.counters.unavailable).toBe(1);
    expect(t.layer.serverCount).toBe(2);
    const txs = t.server.events.map((e) => (e.kind === "request" ? e.tx : null));
    for (const tx of txs) reply(tx!, OPTIONS, 200, "OK");
    t.clock.advance(32_000);
    expect(t.layer.serverCount).toBe(0);
    t.deliver(OPTIONS.replace("opt1", "optC"));
    expect(t.server.events.length).toBe(3);
  });

  it("when full, reuses the answered transaction nearest the end of its Timer J instead of answering 503", () => {
    const t = setup({ maxServerTransactions: 2 });
    t.deliver(OPTIONS.replace("opt1", "optA"));
    t.clock.advance(1000);
    t.deliver(OPTIONS.replace("opt1", "optB"));
    for (const e of t.server.events) if (e.kind === "request") reply(e.tx, OPTIONS, 200, "OK");
    t.udp.take();
    // Both slots only wait for retransmissions now: a third request takes optA's (the older).
    t.deliver(OPTIONS.replace("opt1", "optC"));
    expect(t.server.events.length).toBe(3);
    expect(t.layer.counters.reclaimed).toBe(1);
    expect(t.layer.counters.unavailable).toBe(0);
    expect(t.layer.serverCount).toBe(2);
    // optB's slot still absorbs its retransmission (answered again, not a new request).
    t.deliver(OPTIONS.replace("opt1", "optB"));
    expect(t.server.events.length).toBe(3);
    expect(t.udp.take().map((d) => parse(d.text).status)).toEqual([200]);
  });

  it("answers a malformed request 400 with the precise reason, then the next request works", () => {
    const t = setup();
    t.deliver(OPTIONS.replace("Max-Forwards: 70", "Max-Forwards: 300"));
    const [bad] = t.udp.take();
    expect(bad!.text.split("\r\n")[0]).toBe("SIP/2.0 400 Bad Request - Invalid Max-Forwards");
    expect(bad!.port).toBe(5070);
    expect(parse(bad!.text).getString(H.CSeq)).toBe("1 OPTIONS");
    t.deliver(OPTIONS.replace("SIP/2.0\n", "SIP/7.0\n"));
    expect(statusLines(t.udp.take())).toEqual(["SIP/2.0 505 Version Not Supported"]);
    expect(t.server.events).toEqual([]);
    t.deliver(OPTIONS);
    expect(t.server.events.map((e) => e.kind)).toEqual(["request"]);
    expect(t.layer.serverCount).toBe(1);
    expect(t.layer.counters.rejected).toBe(2);
  });

  it("answers an unknown method 501 with Allow, the same answer to its retransmission", () => {
    const t = setup({ allowHeader: bytes("INVITE, ACK, CANCEL, BYE, OPTIONS, INFO") });
    const foo = OPTIONS.replace(/OPTIONS/g, "FOO");
    t.deliver(foo);
    t.clock.advance(500);
    t.deliver(foo);
    const sent = t.udp.take();
    expect(sent.length).toBe(2);
    expect(sent[1]!.text).toBe(sent[0]!.text);
    const r = parse(sent[0]!.text);
    expect(r.status).toBe(501);
    expect(r.reasonString()).toBe("Not Implemented");
    expect(r.getString(H.Allow)).toBe("INVITE, ACK, CANCEL, BYE, OPTIONS, INFO");
    expect(t.server.events).toEqual([]);
    t.clock.advance(32_000);
    expect(t.layer.serverCount).toBe(0);
  });

  it("answers 415 with Accept and 420 with Unsupported", () => {
    const t = setup();
    t.deliver(OPTIONS.replace("Content-Length: 0", "Content-Type: text/plain\nContent-Length: 2\n").replace(/\n\n$/, "\nhi"));
    t.deliver(OPTIONS.replace("opt1", "opt2").replace("CSeq: 1 OPTIONS", "CSeq: 1 OPTIONS\nRequire: foo, 100rel"));
    const [a, b] = t.udp.take().map((s) => parse(s.text));
    expect(a!.status).toBe(415);
    expect(a!.getString(H.Accept)).toBe("application/sdp");
    expect(b!.status).toBe(420);
    expect(b!.getString(H.Unsupported)).toBe("foo, 100rel");
  });

  it("never answers an ACK, even a malformed or unmatched one", () => {
    const t = setup();
    t.deliver(ack("z9hG4bKnone", "x").replace("Max-Forwards: 70", "Max-Forwards: 300"));
    t.deliver(ack("z9hG4bKnone", "x").replace("SIP/2.0\n", "SIP/3.0\n"));
    t.deliver(ack("z9hG4bKnone", "x").replace("From: <sip:alice@example.com>;tag=a1\n", ""));
    expect(t.udp.take()).toEqual([]);
    expect(t.server.events).toEqual([]);
    t.deliver(ack("z9hG4bKnone", "x"));
    expect(t.udp.take()).toEqual([]);
    expect(t.server.events.map((e) => e.kind)).toEqual(["ack"]); // stray ACK: the TU's (§17.2.3)
    expect(t.layer.serverCount).toBe(0);
  });

  it("answers 500 when the TU throws, and keeps working", () => {
    const t = setup();
    t.server.onNew = (_tx: ServerTransactionHandle, _msg: SipMessage) => {
      throw new Error("boom");
    };
    t.deliver(OPTIONS);
    expect(statusLines(t.udp.take())).toEqual(["SIP/2.0 500 Server Internal Error"]);
    expect(t.layer.counters.userErrors).toBe(1);
    expect(t.logs.some((l) => l.includes("boom"))).toBe(true);
    t.server.onNew = null;
    t.deliver(OPTIONS.replace("opt1", "opt9"));
    expect(t.server.events.length).toBe(2);
  });

  it("drops responses that match nothing and garbage, answering nothing", () => {
    const t = setup();
    t.deliver("SIP/2.0 200 OK\nVia: SIP/2.0/UDP 192.0.2.10;branch=z9hG4bKnobody\nCSeq: 1 OPTIONS\nCall-ID: x\nFrom: <sip:a@b>;tag=1\nTo: <sip:c@d>\nContent-Length: 0\n\n");
    t.deliver("\x00\x01garbage");
    t.deliver("\n\n");
    expect(t.udp.take()).toEqual([]);
    expect(t.layer.counters.dropped).toBe(1);
  });
});
