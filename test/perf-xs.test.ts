/*
 * The memory budget of issue #9, asserted on the figures XS gives
 * deterministically (never timings): the whole station on the virtual host
 * inside the real XS engine (test/xs/fixtures/perf-budget.ts): the core's
 * share of each operation, with the host's script MD5 and the scripted
 * peer metered apart.
 *
 * Targets met and asserted exactly: 0 per keepalive round trip and per
 * refresh with a digest challenge, 0 retained after calls, 0 slots per
 * call. Not met yet, asserted as ceilings just above the figures measured
 * when this was written, so that a regression fails: the idle heap (target
 * 16 KB), the chunk bytes of a call (the log lines it writes at Info, and
 * those src/media still builds when the level drops them), and what each
 * part of the station holds (test/xs/fixtures/perf-breakdown.ts).
 */
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runBreakdownInXs, runBudgetInXs } from "../bench/xs-budget";
import type { BreakdownResult, PartFigures } from "./xs/fixtures/perf-breakdown";
import type { BudgetResult } from "./xs/fixtures/perf-budget";

const root = resolve(__dirname, "..");

/**
 * Measured 110,256 bytes (2,556 slots + 28,464 chunk bytes; 69,360 on the
 * ESP32) with a call slot's numbers in one Float64Array, its Request-URI,
 * ACK and REFER target without buffers of their own, its tag in its dialog
 * and its two 2xx timers on one entry, the shared scratch read through
 * its user agent; 115,712 (2,712 slots + 28,928
 * chunk bytes; 72,320 on the ESP32) with one RTP session for the station and the user agent's parts
 * packed (the media, call slots, SDP reader and dialogs: 129,440 and
 * 83,696 on the ESP32 with the layer as it was before the arena); 121,312
 * (2,866 slots + 29,600 chunk bytes; 75,456 on the
 * ESP32) with the transactions' messages in one arena of 3,900 bytes
 * (src/sip/transaction/arena.ts) and their two timers on one entry; was
 * 160,400 (105,520 on the ESP32), 179,072 (116 KB on the ESP32) before the transport and the
 * layer shared one parser and the message structures were packed, and
 * 263,968 before the core shared its scratch.
 */
// 73,552 bytes (1,378 slots + 29,456 chunk bytes; 51,504 on the ESP32) with the transaction layer's client slot kept
// for a REGISTER (one number in its table);
// 73,544 bytes (1,378 slots + 29,448 chunk bytes; 51,496 on the ESP32) with the media's guard against the echo of
// its own RFC 4733 event (two numbers in the media's table);
// 73,536 bytes (1,378 slots + 29,440 chunk bytes; 51,488 on the ESP32) with the ended calls' last CSeqs beside the
// ended dialogs in the user agent's ids array (8 bytes an entry, two and one per call slot);
// 73,504 bytes (1,378 slots + 29,408 chunk bytes; 51,456 on the ESP32) with three numbers of each call slot's last
// call's end, the keepalive's send time, and the ended dialogs' list in the user agent's ids array, two entries and one
// per call slot (1,380 + 29,336; 51,416 before, with two ended forks as properties);
// 72,544 bytes (1,364 slots + 28,896 chunk bytes; 50,720 on the ESP32) with in-band DTMF's reader and numbers;
// 72,328 bytes (1,358 slots + 28,872 chunk bytes; 50,600 on the ESP32; 72,128 before the two numbers
// of a call's DTMF way, the numbers of a=rtcp in the call, the SDP reader and the media, and REGISTER's full Allow) with the long-lived
// objects' numbers in typed arrays behind accessors and objects their timers' entries (the SDP
// reader, the media, registration, keepalive, digest, trust, call slots, the user agent, the
// layer's counters and addresses, the application); 94,184 (2,069 + 27,976; 61,080) with the transactions'
// numbers in one table of the layer (and the arena's client reserve, sendRefused; timer entries without an interval); 102,544 (2,367 + 26,800; 64,672) before, with the message
// readers keeping only what they cannot find from other fields; 105,968 (2,474 + 26,800; 66,384) before that.
const IDLE_CEILING_BYTES = 73_568;
const IDLE_CEILING_ESP32_BYTES = 51_520;
/**
 * Chunk bytes per call. At Info (the device's default) the Intercom writes
 * its event lines (3,912 and 4,440 measured); at Warn nothing of the core's
 * log text is built (96 and 200 measured: a few small strings left, the
 * peer's address among them; XS counts are exact, so the quiet ceilings are
 * those figures: a comparison with a string literal in the RTCP
 * destination once added 24 bytes a call unnoticed under looser ones). 168
 * and 296 before the Intercom's events without detail passed one constant
 * instead of a literal "" each (a literal of code compiled at run time is a
 * new string each time in XS). Was 8,632 and 94,232 (and 3,446 slots for
 * the doorbell call), and 2,272 and 2,400 at Warn while the media's Info
 * lines were built regardless of the level.
 */
const INBOUND_CEILING_BYTES = 4_100;
const DOORBELL_CEILING_BYTES = 4_700;
const INBOUND_QUIET_CEILING_BYTES = 96;
const DOORBELL_QUIET_CEILING_BYTES = 200;
/**
 * What one call slot holds: 76 slots and 3,360 chunk bytes measured (3,336
 * before the three numbers of its last call's end: the ended dialog's hash,
 * the call's and its last CSeq; 3,296 before RFC 4028's five session-timer numbers, 3,280
 * before a=rtcp's two numbers, 3,264 before that; was
 * 111 and 3,216 with its phase timer an entry of its own, its REFER
 * notifier an object, its LocalMedia's numbers, index, trusted flag,
 * referrer and INVITE port as properties, a NextHop of its own for the
 * INVITE, its dialog's store an object apart from the dialog, with its
 * CSeqs as properties and the route set holding the readers; 112 and
 * 3,216 before; 122 with its 2xx timers' entry an object of its own, its REFER
 * notifier's flags and its dialog's state, uac and fallback port as
 * properties, 156 and 3,968 with its dialog's fields and routes in seven buffers at
 * their caps; 229 and 4,176 with its numbers as properties, buffers of its own for the
 * Request-URI, tag and REFER target, an ACK writer, three timer entries
 * and properties for the shared scratch; 316 and 5,024 with copies of the dialog's Call-ID, URIs and tag, a
 * buffer per field and a timer entry each for ringing and the time limit;
 * 1,090 and 12,736 before the core shared its scratch). 3,368 since its slot adds an entry for its ended calls'
 * last CSeqs to the user agent's list (8 bytes); 3,376 since it keeps how long a BYE that
 * found no room in the transaction layer is held (8 bytes).
 */
const CALL_SLOT_CEILING = { slots: 78, chunkBytes: 3_376 };
/**
 * The user agent's and the media's parts, measured: the user agent with 2
 * call slots 223 slots + 8,240 chunk bytes (8,224 before each slot kept how long a held BYE waits, 8,192 before
 * the ended calls' last CSeqs; 225 + 8,128 before each slot kept three numbers of its last call's end
 * and the ended dialogs' list, four entries, went into the ids array instead of two properties; 8,024 before RFC 4028's five numbers per call slot, 7,976 before RFC 3605 a=rtcp:
 * two numbers per call slot, five in the SdpReader; was 365 + 7,768, 515 + 7,872, 583 + 9,376, 735 + 9,824, 1,074 +
 * 15,880), without its call slots 70 + 1,448 (was 143 + 1,336: its
 * settings' numbers and lines one buffer behind accessors and write
 * methods instead of a property per number and a view per line, the DTMF
 * reader and the call policy module constants, no MediaType of its own,
 * its tag and dial URI one array, the trusted flags in the calls'
 * tables, the scratch's parser, writer and name-addr reader read through
 * getters; 271 + 1,440, 277 + 1,472, 442 +
 * 5,832: a dialog of its own for second forks, now an idle slot's;
 * SdpReader 11 + 568 (552 before a=rtcp), its numbers in one Int32Array behind getters (a
 * row of 16-bit halves per m= line) and its field readers functions
 * writing into it (was 139 + 656 with a property per
 * number, eight views for the m= lines and five field-reader objects, 142 +
 * 672 with its payload-type table a typed array of its own, 193 + 2,896 with
 * per-payload-type fmtp tables), a Dialog 94 + 1,224 (the dialog is its
 * store, its CSeqs, flags and fallback port 16-bit entries of the store's
 * numbers, its route set holding only the store; 98 + 1,208 before, 109 + 1,208, 111 with its
 * state, uac and fallback port as three properties, now one number; was 142 + 1,944
 * with its fields and route set at their caps, 163 + 2,056 before they
 * viewed one buffer; dialog-store.ts), the media with 2 call
 * slots 121 + 3,184 (120 + 3,152 before a=rtcp's numbers and address text; 116 before the RFC 4733 sender's packet became a view
 * one event packet long; its numbers in one Uint32Array behind accessors and
 * its clock times in a Float64Array, media-numbers.ts, views of the one
 * buffer that also holds the session's buffers and the audio frame, the
 * clock's entry the CallMedia itself; 112 + 3,616 with every number in a
 * Float64Array; was 245 + 3,024 with a property per number, 418 + 9,360
 * with an RTP session per slot, before one for the station, 20 ms jitter
 * slots, its buffers in one), registration 73 + 1,488, keepalive 27 + 296
 * and the trust policy 25 + 240: their numbers in one Float64Array each
 * behind getters, with their fixed texts (a table of starts) and the
 * registration's three Contact addresses in the same buffer
 * (util/packed-numbers.ts), registration and keepalive their own timer
 * entries, backoff, log limiter and stateless 403 functions over those
 * numbers, a digest session's numbers and credentials in one buffer (and
 * the state it makes on its first challenge, not counted here: 97 -> 15
 * slots), the trust policy's servers two strings and its allowlist made
 * only when configured (were 163 + 1,232, 49 + 184 and 60 + 176; 218 + 1,464 and
 * 60 + 248 before their request lines were in one buffer each and the
 * proxy's digest made on its first 407).
 */
const UA_MEDIA_CEILINGS: readonly [string, { slots: number; chunkBytes: number }][] = [
  ["UserAgent, 2 call slots", { slots: 230, chunkBytes: 8_240 }],
  ["UserAgent without its call slots", { slots: 76, chunkBytes: 1_488 }],
  ["SdpReader", { slots: 14, chunkBytes: 580 }],
  ["Dialog", { slots: 96, chunkBytes: 1_250 }],
  // 132 + 3,552 measured (3,544 before the two numbers of the guard against the echo of the door's own RFC 4733
  // event): 123 + 3,216 before the speaker's frame held back while keys are listened for in-band (a
  // second frame view, so that a key's partial edge frames are muted too), 121 + 3,192 before in-band DTMF (its
  // reader an object over the media's table, whose seven numbers it adds).
  ["CallMedia, 2 slots", { slots: 132, chunkBytes: 3_570 }],
  ["Registration (shared writer and readers)", { slots: 76, chunkBytes: 1_520 }],
  ["Keepalive (shared writer)", { slots: 30, chunkBytes: 310 }],
  ["TrustPolicy", { slots: 28, chunkBytes: 260 }],
  // Only when the server is given by name (src/ua/server-name.ts): measured 14 + 64 (the name's string).
  ["ServerName (a server given by name)", { slots: 22, chunkBytes: 80 }],
];
/**
 * The transaction layer and the parser's structures, measured: the layer
 * with the device's 4 client + 6 server transactions 1,088 slots + 11,504
 * chunk bytes (was 1,233 + 20,528 with a 1,300-byte buffer per
 * transaction); without transactions 696 + 8,560, its 3,900-byte message
 * arena included (was 705 + 4,720 without one, 1,314 + 7,072:
 * the transport had a parser of its own, the responder a writer of its own,
 * and each reader an empty array of its own); a SipParser 91 + 88 (was 199 +
 * 216), a SipMessage of 64 headers 216 + 1,136 (was 350 + 1,464: its index
 * is views of one ArrayBuffer, its Via and URI readers borrow parameter
 * cursors); a client / server transaction 10 + 216 / 15 + 536 (376 / 776
 * ESP32 bytes; the layer with 4 + 6 of them 130 slots + 4,112 chunk bytes
 * over the layer without, 716 + 12,520 in all (812 with the readers as
 * they were before the change below): their numbers in one
 * Float64Array of the layer behind accessors, the clients' branches one
 * view, a server's key a view with its numbers in its bytes and the source
 * address at its head, each transaction the queue entry of its two timers
 * (a TimerNode); was 32 + 112
 * / 44 + 408, 624 / 1,112 ESP32 bytes, the layer with them 1,074 + 11,344
 * over 682 + 8,400; was 45 +
 * 1,400 / 58 + 1,696 with buffers of their own and two timer entries each,
 * 48 + 1,416 / 64 + 1,728 before their buffers viewed one ArrayBuffer).
 */
const PART_CEILINGS: readonly [string, { slots: number; chunkBytes: number }][] = [
  // The message readers keeping only what they cannot find from other fields (src/sip/message:
  // Via's sent-protocol spans and transport, URI scheme length, user, password and host starts,
  // name-addr URI and parameter starts found on demand; To borrowing From's cursor), measured:
  // the layer without transactions 586 + 8,400 (was 682 + 8,400), a SipParser 71 + 88 (was
  // 89 + 88), a SipMessage of 64 headers 171 + 1,072 (was 210 + 1,072).
  // The layer's counters and own numbers in a Float64Array behind getters (counters.ts), its
  // advertised and learned addresses one object over one view (addresses.ts), the request
  // checker's media type borrowing a parameter cursor: the layer without transactions 551 +
  // 8,576 (was 588 + 8,408), with 4 + 6 681 + 12,688 (was 718 + 12,520).
  ["TransactionLayer, no transactions", { slots: 560, chunkBytes: 8_700 }],
  ["TransactionLayer, 4 client + 6 server", { slots: 690, chunkBytes: 12_800 }],
  ["SipParser", { slots: 75, chunkBytes: 100 }],
  ["SipMessage (64 headers)", { slots: 180, chunkBytes: 1_150 }],
  ["one client transaction", { slots: 11, chunkBytes: 230 }],
  ["one server transaction", { slots: 16, chunkBytes: 550 }],
];

let r: BudgetResult;
let parts: BreakdownResult;

function part(name: string): PartFigures {
  const p = parts.parts.find((x) => x.name === name);
  if (p === undefined) throw new Error(`no part named ${name}`);
  return p;
}

beforeAll(async () => {
  r = await runBudgetInXs(root, { runs: 4, warmup: 2, manyCalls: 10 }, 170_000);
  parts = await runBreakdownInXs(root);
}, 180_000);

describe("the station's budget inside XS", () => {
  it("ran what it claims: calls up and down, keepalives answered, refreshes challenged and accepted, nothing unexpected", () => {
    const c = r.checks;
    // 2 warm-up + 4 measured calls of each kind, then 1 + 1 and 5 + 5 for the retained figures.
    expect(c.callsUp).toBe(2 * (2 + 4) + 2 + 10);
    expect(c.callsDown).toBe(c.callsUp);
    expect(c.quietCallsUp).toBe(2 * (2 + 4));
    expect(c.quietCallsDown).toBe(c.quietCallsUp);
    expect(c.proxyChallenges).toBe(2 + 4 + 1 + 5);
    expect(c.keepalivesAnswered).toBe(2 + 4);
    expect(c.keepaliveOptionsAtPeer).toBe(c.keepalivesAnswered);
    // Each refresh: REGISTER with the spent nonce, 401 stale, REGISTER with credentials, 200; plus the first registration.
    expect(c.refreshChallenges).toBe(1 + 2 + 4);
    expect(c.refreshRegistered).toBe(1 + 2 + 4);
    expect(c.refreshRegisters).toBe(2 * (1 + 2 + 4));
    expect(c.refreshAuthFailed).toBe(0);
    expect(c.refreshStillRegistered).toBe(1);
    expect(c.idleRegistered).toBe(1);
    expect(c.peerUnexpected).toBe(0);
    expect(c.droppedDatagrams).toBe(0);
    expect(c.logErrors).toBe(0);
  });

  it("measured every window without a garbage collection (exact figures)", () => {
    for (const w of [r.call.inbound, r.call.doorbell, r.call.inboundQuiet, r.call.doorbellQuiet, r.keepalive, r.refresh]) expect(w.gcs).toBe(0);
  });

  it("a keepalive round trip allocates only its outgoing datagram (copied by the host): 0 slots, 0 bytes in the core", () => {
    expect(r.keepalive.datagramsOut).toBe(1);
    expect({ slots: r.keepalive.perRun.slots, chunkBytes: r.keepalive.perRun.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
    expect(r.keepalive.hostHashPerRun.calls).toBe(0);
  });

  it("nothing is retained after calls: 0 slots, 0 bytes after a GC, after one call of each kind and after ten", () => {
    expect({ slots: r.call.retainedOne.slots, chunkBytes: r.call.retainedOne.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
    expect({ slots: r.call.retainedMany.slots, chunkBytes: r.call.retainedMany.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
  });

  it("an inbound call allocates no slots; its chunk bytes stay under their ceilings (log lines)", () => {
    for (const w of [r.call.inbound, r.call.inboundQuiet]) {
      expect(w.datagramsOut).toBe(4); // 100, 180, 200 and the 200 to BYE
      expect(w.perRun.slots).toBe(0);
      expect(w.hostHashPerRun.calls).toBe(0);
    }
    expect(r.call.inbound.perRun.chunkBytes).toBeLessThanOrEqual(INBOUND_CEILING_BYTES);
    expect(r.call.inboundQuiet.perRun.chunkBytes).toBeLessThanOrEqual(INBOUND_QUIET_CEILING_BYTES);
    // The log at Warn builds none of the Intercom's event lines.
    expect(r.call.inboundQuiet.perRun.chunkBytes).toBeLessThan(r.call.inbound.perRun.chunkBytes);
  });

  it("a doorbell call answered with credentials after a 407 allocates no slots (byte-level digest); its chunk bytes stay under their ceilings", () => {
    for (const w of [r.call.doorbell, r.call.doorbellQuiet]) {
      expect(w.datagramsOut).toBe(5); // INVITE, ACK of the 407, INVITE with credentials, ACK, BYE
      expect(w.perRun.slots).toBe(0);
      // HA1, HA2 and the response for the INVITE and again for the BYE: the HashHost's strings, metered apart.
      expect(w.hostHashPerRun.calls).toBe(6);
    }
    expect(r.call.doorbell.perRun.chunkBytes).toBeLessThanOrEqual(DOORBELL_CEILING_BYTES);
    expect(r.call.doorbellQuiet.perRun.chunkBytes).toBeLessThanOrEqual(DOORBELL_QUIET_CEILING_BYTES);
  });

  it("a refresh with a digest challenge allocates only its outgoing datagrams: 0 slots, 0 bytes in the core (the host's digests apart)", () => {
    expect(r.refresh.datagramsOut).toBe(2);
    // HA1, HA2 and the response for each REGISTER (the first still answers the spent nonce): the HashHost returns
    // strings, so the host allocates those; they are metered apart.
    expect(r.refresh.hostHashPerRun.calls).toBe(6);
    expect({ slots: r.refresh.perRun.slots, chunkBytes: r.refresh.perRun.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
  });

  it("the idle heap stays within its measured ceiling (target < 16 KB; not reached)", () => {
    expect(r.idle.bytes).toBe(r.idle.slots * r.engine.slotSize + r.idle.chunkBytes);
    expect(r.idle.bytes).toBeGreaterThan(0);
    expect(r.idle.bytes).toBeLessThanOrEqual(IDLE_CEILING_BYTES);
    expect(r.idle.esp32Bytes).toBeLessThanOrEqual(IDLE_CEILING_ESP32_BYTES);
  });

  it("each part holds what the breakdown measured: a call slot within its ceiling, the parts within the whole", () => {
    const slot = part("one call slot");
    expect(slot.slots).toBeGreaterThan(0);
    expect(slot.slots).toBeLessThanOrEqual(CALL_SLOT_CEILING.slots);
    expect(slot.chunkBytes).toBeLessThanOrEqual(CALL_SLOT_CEILING.chunkBytes);
    const whole = part("Intercom (everything)");
    for (const name of ["TransactionLayer, 4 client + 6 server", "UserAgent, 2 call slots", "Registration (shared writer and readers)", "Keepalive (shared writer)"]) {
      expect(part(name).slots).toBeLessThan(whole.slots);
    }
    for (const [name, ceiling] of PART_CEILINGS.concat(UA_MEDIA_CEILINGS)) {
      const p = part(name);
      expect(p.slots, name).toBeGreaterThan(0);
      expect(p.slots, name).toBeLessThanOrEqual(ceiling.slots);
      expect(p.chunkBytes, name).toBeLessThanOrEqual(ceiling.chunkBytes);
    }
    // Registration and keepalive write into the shared writer: no buffer of their own (2,048 and 768 bytes before).
    expect(part("Keepalive (shared writer)").chunkBytes).toBeLessThan(768);
    expect(part("Registration (shared writer and readers)").chunkBytes).toBeLessThan(2048);
  });
});
