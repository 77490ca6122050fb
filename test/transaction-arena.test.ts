/*
 * The transactions' stored messages in one shared arena
 * (src/sip/transaction/arena.ts) and what the layer does at its edge
 * (layer.ts keep()):
 * - regions stay packed: giving one back moves the later ones down with
 *   their bytes; moving one to the front (to parse it, the parser reads
 *   from offset 0) keeps every message intact;
 * - a transaction keeps a message only while RFC 3261 §17 may send it
 *   again: not in a non-INVITE client's Completed (Timer K), an INVITE
 *   client's Accepted (Timer M, RFC 6026 §7.2), an INVITE server's
 *   Confirmed (Timer I);
 * - full: transactions that only wait out a timer give up their copies, by
 *   the full table's costs, and go on absorbing retransmissions (nothing is
 *   done twice), unanswered; then a response is sent without a copy (not
 *   resent on a retransmitted request, nor by Timer G) and a client
 *   request is refused unsent; counted in counters.copiesDropped and
 *   counters.unstored.
 */
import { describe, expect, it } from "vitest";
import { H } from "../src/sip/message/header";
import { Method } from "../src/sip/message/method";
import { writeResponseHead } from "../src/sip/message/response";
import { SipWriter } from "../src/sip/message/writer";
import { ClientState, ServerState, type ServerTransactionHandle } from "../src/sip/transaction/api";
import { MessageArena, type StoredMessage } from "../src/sip/transaction/arena";
import { answer, bytes, crlf, parse, PEER, setup, writeRequest } from "./support/transaction-harness";
import { invite, options } from "./xs/fixtures/transaction-arena";

function holder(): StoredMessage {
  return { at: -1, length: 0 };
}

function text(a: MessageArena, h: StoredMessage): string {
  return Buffer.from(a.bytes.subarray(h.at, h.at + h.length)).toString("latin1");
}

describe("MessageArena", () => {
  it("packs regions: a region given back moves the later ones down, bytes and offsets", () => {
    const a = new MessageArena(32);
    const [x, y, z] = [holder(), holder(), holder()];
    for (const h of [x, y, z]) a.register(h);
    expect(a.store(x, bytes("aaaaaaaaaa"), 10)).toBe(true);
    expect(a.store(y, bytes("bbbbbbbb"), 8)).toBe(true);
    expect(a.store(z, bytes("cccccccccccc"), 12)).toBe(true);
    expect([x.at, y.at, z.at, a.top, a.room]).toEqual([0, 10, 18, 30, 2]);
    expect(a.store(x, bytes("ddd"), 3)).toBe(true); // replaced: the old region is given back first
    expect([y.at, z.at, x.at, a.top]).toEqual([0, 8, 20, 23]);
    expect([text(a, y), text(a, z), text(a, x)]).toEqual(["bbbbbbbb", "cccccccccccc", "ddd"]);
    a.release(y);
    expect([y.at, y.length, z.at, x.at, a.top]).toEqual([-1, 0, 0, 12, 15]);
    expect([text(a, z), text(a, x)]).toEqual(["cccccccccccc", "ddd"]);
    expect(a.peak).toBe(30);
  });

  it("refuses what does not fit, leaving nothing stored for that holder", () => {
    const a = new MessageArena(16);
    const [x, y] = [holder(), holder()];
    a.register(x);
    a.register(y);
    expect(a.store(x, bytes("0123456789"), 10)).toBe(true);
    expect(a.store(y, bytes("0123456"), 7)).toBe(false);
    expect([y.at, y.length, a.top]).toEqual([-1, 0, 10]);
    expect(a.store(x, bytes("0123456789abcdefg"), 17)).toBe(false); // larger than the arena: x's old message is gone too
    expect([x.at, x.length, a.top]).toEqual([-1, 0, 0]);
    expect(a.store(y, bytes(""), 0)).toBe(false);
  });

  it("moves a region to the front with everything else intact", () => {
    const a = new MessageArena(64);
    const hs = [holder(), holder(), holder(), holder()];
    const words = ["first-message", "second", "third-one-is-longer", "4th"];
    hs.forEach((h, i) => {
      a.register(h);
      expect(a.store(h, bytes(words[i]!), words[i]!.length)).toBe(true);
    });
    a.toFront(hs[2]!);
    expect(hs[2]!.at).toBe(0);
    expect(hs.map((h) => text(a, h))).toEqual(words);
    expect(hs.map((h) => h.at).sort((p, q) => p - q)).toEqual([0, 19, 32, 38]);
    const out = new Uint8Array(64);
    expect(a.copyOut(hs[3]!, out)).toBe(3);
    expect(Buffer.from(out.subarray(0, 3)).toString()).toBe("4th");
    expect(a.copyOut(hs[0]!, new Uint8Array(4))).toBe(0); // does not fit the destination
  });
});

const OPTIONS_HEADERS = "Max-Forwards: 70\nFrom: <sip:door@example.com>;tag=door1\nTo: <sip:bob@example.com>\nCall-ID: call-1@door\nCSeq: 7 OPTIONS\n";
const INVITE_HEADERS =
  "Max-Forwards: 70\nRoute: <sip:proxy.example.com;lr>\nFrom: \"Door\" <sip:door@example.com>;tag=door1\nTo: <sip:bob@example.com>\nCall-ID: call-2@door\nCSeq: 3 INVITE\nContact: <sip:door@192.0.2.10:5060>\n";

function ackFor(n: number): string {
  return `ACK sip:door@192.0.2.10 SIP/2.0
Via: SIP/2.0/UDP 198.51.100.7:5070;branch=z9hG4bKinv${n};rport
Max-Forwards: 70
From: <sip:alice@example.com>;tag=i${n}
To: <sip:door@example.com>;tag=door-tag
Call-ID: inv-${n}@alice
CSeq: 1 ACK
Content-Length: 0

`;
}

function reply(tx: ServerTransactionHandle, requestText: string, status: number, reason: string): boolean {
  const req = parse(crlf(requestText));
  const w = new SipWriter(1300);
  writeResponseHead(w, req, status, bytes(reason), bytes("door-tag"), 8, false);
  w.end();
  return tx.respond(w, status);
}

function txs(t: ReturnType<typeof setup>): ServerTransactionHandle[] {
  return t.server.events.flatMap((e) => (e.kind === "request" ? [e.tx] : []));
}

const statusLines = (sent: { text: string }[]) => sent.map((s) => s.text.split("\r\n")[0]);

describe("the layer keeps messages only while they may be sent again", () => {
  it("server: the final response until Timer J; an INVITE's 486 until the ACK (Confirmed, Timer I)", () => {
    const t = setup();
    t.deliver(options(1));
    reply(txs(t)[0]!, options(1), 200, "OK");
    const [ok] = t.udp.take();
    expect(t.layer.arena.top).toBe(ok!.text.length);
    t.deliver(invite(2));
    reply(txs(t)[1]!, invite(2), 486, "Busy Here");
    const [busy] = t.udp.take();
    expect(t.layer.arena.top).toBe(ok!.text.length + busy!.text.length);
    t.deliver(ackFor(2));
    expect(txs(t)[1]!.state).toBe(ServerState.Confirmed);
    expect(t.layer.arena.top).toBe(ok!.text.length);
    // The OPTIONS's 200 is still there for a retransmission, intact after the 486 moved out.
    t.deliver(options(1));
    expect(t.udp.take().map((s) => s.text)).toEqual([ok!.text]);
    t.clock.advance(32_000);
    expect(t.layer.serverCount).toBe(0);
    expect(t.layer.arena.top).toBe(0);
  });

  it("client: a non-INVITE request until its final response; an INVITE until Accepted; the ACK of a 486 in its place", () => {
    const t = setup();
    const opt = t.layer.createClient(t.client, Method.OPTIONS)!;
    expect(t.layer.send(opt, writeRequest(t.layer, opt, "OPTIONS sip:bob@example.com SIP/2.0", OPTIONS_HEADERS), PEER, 5060)).toBe(true);
    const inv = t.layer.createClient(t.client, Method.INVITE)!;
    expect(t.layer.send(inv, writeRequest(t.layer, inv, "INVITE sip:bob@example.com SIP/2.0", INVITE_HEADERS), PEER, 5060)).toBe(true);
    const [o, i] = t.udp.take();
    expect(t.layer.arena.top).toBe(o!.text.length + i!.text.length);
    t.deliver(answer(o!.text, 200, "OK"));
    expect(opt.state).toBe(ClientState.Completed);
    expect(t.layer.arena.top).toBe(i!.text.length);
    t.deliver(answer(i!.text, 486, "Busy Here"));
    const [ack] = t.udp.take();
    expect(ack!.text.startsWith("ACK sip:bob@example.com SIP/2.0\r\n")).toBe(true);
    expect(t.layer.arena.top).toBe(ack!.text.length);
    t.deliver(answer(i!.text, 486, "Busy Here")); // retransmitted: the kept ACK again
    expect(t.udp.take().map((s) => s.text)).toEqual([ack!.text]);

    const inv2 = t.layer.createClient(t.client, Method.INVITE)!;
    expect(t.layer.send(inv2, writeRequest(t.layer, inv2, "INVITE sip:bob@example.com SIP/2.0", INVITE_HEADERS.replace("call-2", "call-3")), PEER, 5060)).toBe(true);
    const [i2] = t.udp.take();
    t.deliver(answer(i2!.text, 200, "OK"));
    expect(inv2.state).toBe(ClientState.Accepted);
    expect(t.layer.arena.top).toBe(ack!.text.length);
  });

  it("builds the CANCEL from an INVITE kept behind other messages (moved to the front to be parsed)", () => {
    const t = setup();
    const opt = t.layer.createClient(t.client, Method.OPTIONS)!;
    t.layer.send(opt, writeRequest(t.layer, opt, "OPTIONS sip:bob@example.com SIP/2.0", OPTIONS_HEADERS), PEER, 5060);
    const inv = t.layer.createClient(t.client, Method.INVITE)!;
    t.layer.send(inv, writeRequest(t.layer, inv, "INVITE sip:bob@example.com SIP/2.0", INVITE_HEADERS), PEER, 5060);
    const [o, i] = t.udp.take();
    t.deliver(answer(i!.text, 180, "Ringing"));
    expect(inv.cancel()).toBe(true);
    const [cancel] = t.udp.take();
    const c = parse(cancel!.text);
    const invite = parse(i!.text);
    expect(cancel!.text.startsWith("CANCEL sip:bob@example.com SIP/2.0\r\n")).toBe(true);
    expect(c.getString(H.Via)).toBe(invite.getString(H.Via));
    expect(c.getString(H.CallId)).toBe("call-2@door");
    expect(c.getString(H.CSeq)).toBe("3 CANCEL");
    expect(c.getString(H.Route)).toBe("<sip:proxy.example.com;lr>");
    // The OPTIONS it moved is intact: Timer E still resends the very same bytes.
    t.clock.advance(600);
    expect(t.udp.take().map((s) => s.text)).toContain(o!.text);
  });
});

describe("a full arena", () => {
  it("takes the copies of answered transactions that only wait out Timer J, oldest first; they still absorb retransmissions", () => {
    // Room for two OPTIONS 200s and not a third message.
    const probe = setup();
    probe.deliver(options(1));
    reply(txs(probe)[0]!, options(1), 200, "OK");
    const size = probe.layer.arena.top;
    const t = setup({ messageBuffer: 400, arenaBytes: 2 * size + 20, clientReserve: 0 }); // the servers' share only
    t.deliver(options(1));
    reply(txs(t)[0]!, options(1), 200, "OK");
    t.clock.advance(10);
    t.deliver(options(2));
    reply(txs(t)[1]!, options(2), 200, "OK");
    t.udp.take();
    t.deliver(invite(3));
    expect(reply(txs(t)[2]!, invite(3), 486, "Busy Here")).toBe(true);
    expect(t.layer.counters.copiesDropped).toBe(1);
    expect(t.layer.counters.reclaimed).toBe(0);
    expect(t.layer.counters.unstored).toBe(0);
    expect(txs(t)[0]!.state).toBe(ServerState.Completed);
    expect(t.layer.serverCount).toBe(3);
    const [busy] = t.udp.take();
    expect(busy!.text.startsWith("SIP/2.0 486")).toBe(true);
    t.deliver(invite(3)); // retransmitted: the 486 kept
    t.deliver(options(2)); // its 200, kept
    t.deliver(options(1)); // the older one gave its copy up: absorbed, not passed up again, not answered
    expect(statusLines(t.udp.take())).toEqual(["SIP/2.0 486 Busy Here", "SIP/2.0 200 OK"]);
    expect(t.server.events.filter((e) => e.kind === "request").length).toBe(3);
    expect(t.layer.counters.requestsAbsorbed).toBe(3);
    t.clock.advance(32_000);
    expect(t.layer.serverCount).toBe(0);
  });

  it("sends a response it cannot keep once, counted: no resend for a retransmission nor by Timer G; Timer H still ends it", () => {
    // The sizes of a 180 and a 486 to these INVITEs (their top Via marked with received and rport).
    const probe = setup();
    probe.deliver(invite(1));
    reply(txs(probe)[0]!, invite(1), 180, "Ringing");
    reply(txs(probe)[0]!, invite(1), 486, "Busy Here");
    const [r180, r486] = probe.udp.take().map((s) => s.text.length);
    expect(r486).toBeGreaterThan(r180!);
    // Room for two 180s, and for a 180 and a 486 but one byte.
    const t = setup({ messageBuffer: 400, arenaBytes: r180! + r486! - 1, clientReserve: 0 }); // the servers' share only
    t.deliver(invite(1));
    t.deliver(invite(2));
    reply(txs(t)[0]!, invite(1), 180, "Ringing");
    reply(txs(t)[1]!, invite(2), 180, "Ringing");
    expect(t.layer.counters.unstored).toBe(0);
    t.udp.take();
    // An INVITE in Proceeding cannot give its 180 back (a retransmitted INVITE gets it): no room after reclaiming.
    expect(reply(txs(t)[1]!, invite(2), 486, "Busy Here")).toBe(true);
    expect(statusLines(t.udp.take())).toEqual(["SIP/2.0 486 Busy Here"]);
    expect(t.layer.counters.unstored).toBe(1);
    expect(t.layer.counters.copiesDropped).toBe(0);
    expect(txs(t)[1]!.state).toBe(ServerState.Completed);
    expect(t.layer.arena.top).toBe(r180);
    t.deliver(invite(2)); // absorbed, nothing to resend
    t.deliver(invite(1)); // its 180, kept
    expect(statusLines(t.udp.take())).toEqual(["SIP/2.0 180 Ringing"]);
    expect(t.layer.counters.requestsAbsorbed).toBe(2);
    t.clock.advance(31_999);
    expect(t.udp.take()).toEqual([]); // Timer G had nothing to send
    t.clock.advance(1);
    expect(txs(t)[1]!.state).toBe(ServerState.Terminated);
    expect(t.server.events.filter((e) => e.kind === "timeout").map((e) => e.at)).toEqual([32_000]);
  });

  it("leaves room for our own request when a flood of requests fills the arena with answers (clientReserve)", () => {
    // INVITEs answered 180 (Proceeding: the copy cannot be given up) until no copy fits; then our OPTIONS
    // (a keepalive, or a registration refresh) must still be kept and sent, not refused.
    const flood = (reserve?: number) => {
      const t = setup({ messageBuffer: 600, arenaBytes: 1500, maxServerTransactions: 8, ...(reserve === undefined ? {} : { clientReserve: reserve }) });
      for (let n = 1; n <= 6; n++) {
        t.deliver(invite(n));
        reply(txs(t)[n - 1]!, invite(n), 180, "Ringing");
      }
      t.udp.take();
      const tx = t.layer.createClient(t.client, Method.OPTIONS)!;
      const sent = t.layer.send(tx, writeRequest(t.layer, tx, "OPTIONS sip:bob@example.com SIP/2.0", OPTIONS_HEADERS), PEER, 5060);
      return { t, sent };
    };
    const { t, sent } = flood();
    expect(t.layer.clientReserve).toBe(600);
    expect(t.layer.counters.unstored).toBeGreaterThan(0); // some 180s went without a copy
    expect(t.layer.arena.top).toBeLessThanOrEqual(1500);
    expect(sent).toBe(true);
    expect(statusLines(t.udp.take())).toEqual(["OPTIONS sip:bob@example.com SIP/2.0"]);
    // Kept: Timer E resends it.
    t.clock.advance(500);
    expect(statusLines(t.udp.take())).toEqual(["OPTIONS sip:bob@example.com SIP/2.0"]);
    // Without the reserve the answers take all of it and the request is refused.
    const bare = flood(0);
    expect(bare.sent).toBe(false);
    expect(bare.t.udp.take()).toEqual([]);
  });

  it("refuses a client request it cannot keep: nothing sent, the slot given back, counted", () => {
    const t = setup({ messageBuffer: 600, arenaBytes: 600 });
    const first = t.layer.createClient(t.client, Method.INVITE)!;
    expect(t.layer.send(first, writeRequest(t.layer, first, "INVITE sip:bob@example.com SIP/2.0", INVITE_HEADERS), PEER, 5060)).toBe(true);
    const [i] = t.udp.take();
    expect(t.layer.arena.room).toBeLessThan(i!.text.length);
    const second = t.layer.createClient(t.client, Method.INVITE)!;
    expect(t.layer.send(second, writeRequest(t.layer, second, "INVITE sip:carol@example.com SIP/2.0", INVITE_HEADERS), PEER, 5060)).toBe(false);
    expect(t.layer.sendRefused).toBe(true); // for lack of room: the TU retries soon (registration, keepalive)
    expect(t.udp.take()).toEqual([]);
    expect(t.layer.counters.unstored).toBe(1);
    expect(t.layer.clientCount).toBe(1);
    // Once the first is answered (Accepted: its INVITE given back), there is room again.
    t.deliver(answer(i!.text, 200, "OK"));
    const third = t.layer.createClient(t.client, Method.INVITE)!;
    expect(t.layer.send(third, writeRequest(t.layer, third, "INVITE sip:carol@example.com SIP/2.0", INVITE_HEADERS), PEER, 5060)).toBe(true);
    expect(t.layer.sendRefused).toBe(false);
    expect(t.udp.take().length).toBe(1);
  });

  it("takes the copy of a failed INVITE's ACK (Completed, Timer D) for a new request; a retransmitted 407 is then absorbed unACKed", () => {
    const t = setup({ messageBuffer: 600, arenaBytes: 600 });
    const first = t.layer.createClient(t.client, Method.INVITE)!;
    t.layer.send(first, writeRequest(t.layer, first, "INVITE sip:bob@example.com SIP/2.0", INVITE_HEADERS), PEER, 5060);
    const [i] = t.udp.take();
    t.deliver(answer(i!.text, 407, "Proxy Authentication Required"));
    expect(first.state).toBe(ClientState.Completed);
    expect(t.layer.arena.top).toBeGreaterThan(0); // its ACK
    const second = t.layer.createClient(t.client, Method.INVITE)!;
    expect(t.layer.send(second, writeRequest(t.layer, second, "INVITE sip:bob@example.com SIP/2.0", INVITE_HEADERS.replace("CSeq: 3", "CSeq: 4")), PEER, 5060)).toBe(true);
    expect(first.state).toBe(ClientState.Completed);
    expect(t.layer.counters.copiesDropped).toBe(1);
    expect(t.layer.counters.clientsReclaimed).toBe(0);
    expect(t.layer.counters.unstored).toBe(0);
    t.udp.take();
    t.deliver(answer(i!.text, 407, "Proxy Authentication Required"));
    expect(t.udp.take()).toEqual([]);
    expect(t.client.events.filter((e) => e.kind === "response").length).toBe(1);
    t.clock.advance(32_000); // Timer D ends it as before
    expect(first.state).toBe(ClientState.Terminated);
  });
});
