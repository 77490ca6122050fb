/*
 * The call scenarios of the interop suite, written once and run against
 * each door: the Node door (startDoor: NodeIntercom, in
 * test/interop-calls.test.ts and test/interop-baresip.test.ts) and the XS
 * door (startXsDoor: the same core inside the real XS engine, in
 * test/interop-xs.test.ts). Each function declares a describe block for one
 * DoorKind, named with the kind's suite ("interop", "interop inside XS"),
 * so every test name says which door it ran against; the block skips when
 * a peer is missing (it fails instead under CI=true, see requirePeers).
 * The Linphone, Twinkle and SIPVicious scenarios take the same DoorKind
 * (test/support/interop-<peer>-scenarios.ts; inside XS in
 * test/interop-xs-peers.test.ts).
 *
 * Every check is the same for both doors; what differs is in DoorKind:
 * how the door is started, how figures are read (the Node door's core
 * directly, the XS door's through its status reply), what only one kind
 * can see (the XS worker's exceptions and heap), and the order in
 * which the trace interleaves datagrams in and out (answers from the XS
 * door cross the bridge after the next datagram in may already have been
 * traced). Tables are read through `await door.tables()` for both, and
 * every event check follows a status round trip or a wait for the event,
 * because the XS door's events cross the bridge after the datagram that
 * caused them.
 *
 * The test file calls usePeers() (diagnostics on failure: peers' logs,
 * the door's SIP trace, log, events and tables; every peer and door
 * stopped by PID after the file).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { IntercomEvent } from "../../src/app/intercom";
import {
  bodyOf, contactsWithin, firstLine, g711Answer, headerValue, headerValues, requirePeers, restartKamailio, runSipp, sippMessages, startDoor,
  startKamailio, startSipp, statusOf, REALM, USERS, type DoorBase, type Door, type DoorOptions, type DoorTables, type Kamailio, type TraceEntry,
} from "./peers";
import { autoAnswerPhone, expectOk, ladder, registeredDoor, registerSippPort, sippAt, tagOf } from "./interop-calls";

/** The trust policy's counters (TrustCounters in src/ua/trust/trust-policy.ts), wherever the core runs. */
export interface TrustCounts {
  rejected: number;
  dropped: number;
  scanners: number;
  acceptedUntrusted: number;
}

/** What differs between the doors the scenarios run against. */
export interface DoorKind<D extends DoorBase> {
  /** The start of each describe block's name: "interop" (Node), "interop inside XS". */
  suite: string;
  /** The start of each door's label in diagnostics: "door", "XS door". */
  label: string;
  /** Start a door on 127.0.0.1 with startDoor()'s defaults (doorSettings). */
  start(o: DoorOptions): Promise<D>;
  /**
   * Whether the trace holds datagrams in and out in the order they happened.
   * Not inside XS: when a peer sends datagrams back to back, an answer
   * crosses the bridge after the next datagram in was traced, so each
   * direction is checked in order instead.
   */
  exactInterleaving: boolean;
  /** Nothing went wrong inside the door: no error line in its log (and, inside XS, no exception, none caught, no stderr). */
  expectClean(door: D): Promise<void>;
  /** The trust policy's counters (src/ua/trust): read from the Node door's core, or from the XS side's status. */
  trust(door: D): Promise<TrustCounts>;
  /** The door for the 200-call burst (inside XS: on the worker's smallest heap, so that XS collects garbage). */
  startBurst(o: DoorOptions): Promise<D>;
  /** Called before the burst; the function it returns checks the door after it, and says what to print. */
  measureBurst(door: D): Promise<(calls: number, ms: number) => Promise<string>>;
}

/** The Node door: NodeIntercom, its core read directly. */
export const NODE_DOOR: DoorKind<Door> = {
  suite: "interop",
  label: "door",
  start: startDoor,
  exactInterleaving: true,
  expectClean: async (door) => expectNoErrorLines(door),
  trust: async (door) => {
    const c = door.intercom.trust.counters;
    return { rejected: c.rejected, dropped: c.dropped, scanners: c.scanners, acceptedUntrusted: c.acceptedUntrusted };
  },
  startBurst: startDoor,
  measureBurst: async () => async (calls, ms) => `${calls} calls through the door in ${ms} ms`,
};

/** No line at error level in the door's log. */
export function expectNoErrorLines(door: DoorBase): void {
  expect(door.log.filter((l) => / error: /.test(l))).toEqual([]);
}

/** Until the door holds no call (bounded). */
function callsEnded(door: DoorBase, ms = 3000): Promise<DoorTables> {
  return door.waitTables((t) => t.activeCalls === 0, "the call to end at the door", ms);
}

/** The 200 OK the door sent or received for an INVITE, among `entries`. */
function inviteOk(entries: TraceEntry[], dir: "in" | "out"): TraceEntry {
  const ok = entries.find((e) => e.dir === dir && statusOf(e.text) === 200 && headerValue(e.text, "CSeq")?.endsWith(" INVITE") === true);
  if (ok === undefined) throw new Error(`no 200 OK for an INVITE ${dir === "out" ? "sent" : "received"} by the door`);
  return ok;
}

const LR = (kam: Kamailio): RegExp => new RegExp(`^<sip:127\\.0\\.0\\.1:${kam.port};lr`);

/**
 * SIPp straight at the door: a call with BYE, a CANCEL while it rings,
 * OPTIONS and an unknown method, junk datagrams, a re-INVITE, the door code
 * as INFO, 200 calls in a row; and without the allowlist, 403.
 */
export function directCallScenarios<D extends DoorBase>(kind: DoorKind<D>): void {
  const check = requirePeers("sipp");

  /**
   * SIPp straight at the door is not its registrar: by default (src/ua/trust) its calls get 403, so these doors
   * trust 127.0.0.1, and open for "#" (the intercom has no default door code).
   */
  function direct(name: string, o: DoorOptions = {}, start = kind.start): Promise<D> {
    return start({ ...o, label: `${kind.label} (${name})`, settings: { trust: { allow: ["127.0.0.1"] }, doorCode: "#", ...o.settings } });
  }

  describe.skipIf(check.skip)(`${kind.suite}: SIPp calls the intercom directly`, () => {
    it("without the allowlist, a call from SIPp (not the registrar) gets 403, stateless: no call slot, no transaction", async () => {
      const door = await kind.start({ label: `${kind.label} (untrusted)` });
      const r = await sippAt(door, "uac-invite-bye.xml", { timeoutS: 5 });
      expect(r.ok).toBe(false);
      expect(ladder(door.trace.entries).slice(0, 2)).toEqual(["in INVITE", "out 403 INVITE"]);
      expect(firstLine(door.trace.entries[1]!.text)).toBe("SIP/2.0 403 Forbidden - Untrusted Source");
      expect(door.eventNames()).toEqual([]);
      expect((await kind.trust(door)).rejected).toBeGreaterThanOrEqual(1);
      expect(await door.tables()).toMatchObject({ activeCalls: 0, serverCount: 0 });
      await kind.expectClean(door);
    });

    it("uac-invite-bye.xml: INVITE, 100, 180, 200 with a G.711 answer, ACK, BYE, 200", async () => {
      const door = await direct("invite-bye");
      expectOk(await sippAt(door, "uac-invite-bye.xml"));
      await callsEnded(door);
      expect(ladder(door.trace.entries)).toEqual([
        "in INVITE", "out 100 INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
      ]);
      const ok = door.trace.responses("out", "INVITE").find((e) => statusOf(e.text) === 200)!.text;
      expect(headerValue(ok, "Content-Type")).toBe("application/sdp");
      // RFC 3264: the first G.711 codec in the offer's order (PCMU), telephone-event because it was offered.
      expect(bodyOf(ok)).toMatch(/^m=audio [1-9]\d* RTP\/AVP 0 101\r$/m);
      expect(bodyOf(ok)).toMatch(/^a=rtpmap:0 PCMU\/8000\r$/m);
      expect(bodyOf(ok)).toMatch(/^c=IN IP4 127\.0\.0\.1\r$/m);
      expect(headerValue(ok, "Contact")).toMatch(new RegExp(`^<sip:door@127\\.0\\.0\\.1:${door.port}[;>]`));
      expect(tagOf(headerValue(ok, "To"))).not.toBe("");
      expect(door.eventNames()).toEqual(["incoming call", "call up", "call down"]);
      await kind.expectClean(door);
    });

    it("uac-invite-cancel.xml: the door rings (auto-answer after 3 s), CANCEL gets 200 and the INVITE 487", async () => {
      const door = await direct("cancel", { settings: { calls: { autoAnswerMs: 3000 } } });
      expectOk(await sippAt(door, "uac-invite-cancel.xml"));
      await callsEnded(door);
      const steps = ladder(door.trace.entries);
      expect(steps.slice(0, 4)).toEqual(["in INVITE", "out 100 INVITE", "out 180 INVITE", "in CANCEL"]);
      expect(steps.slice(4, 6).sort()).toEqual(["out 200 CANCEL", "out 487 INVITE"]);
      expect(steps[6]).toBe("in ACK");
      expect(steps).not.toContain("out 200 INVITE");
      expect(door.eventNames()).toEqual(["incoming call", "call down"]);
      await kind.expectClean(door);
    });

    it("uac-options.xml: 200 with Allow; uac-unknown-method.xml: FOO gets 501 with Allow", async () => {
      const door = await direct("options");
      expectOk(await sippAt(door, "uac-options.xml"));
      expectOk(await sippAt(door, "uac-unknown-method.xml"));
      expect(ladder(door.trace.entries)).toEqual(["in OPTIONS", "out 200 OPTIONS", "in FOO", "out 501 FOO"]);
      const [options, foo] = door.trace.entries.filter((e) => e.dir === "out").map((e) => e.text);
      expect(headerValue(options!, "Allow")).toMatch(/INVITE.*ACK.*CANCEL.*BYE.*OPTIONS.*INFO/);
      expect(headerValue(foo!, "Allow")).toMatch(/INVITE/);
      expect(headerValue(foo!, "CSeq")).toBe("1 FOO");
      expect((await door.tables()).activeCalls).toBe(0);
      await kind.expectClean(door);
    });

    it("uac-malformed.xml: five junk datagrams, then an OPTIONS that is still answered 200", async () => {
      const door = await direct("malformed");
      expectOk(await sippAt(door, "uac-malformed.xml"));
      // RFC 3261 §18.3 / §16.3: what cannot be parsed or answered is dropped (not SIP; no Call-ID/CSeq/From/To; a
      // status line of SIP/2.1), the short body gets 400 and SIP/7.0 gets 505; then the OPTIONS gets its 200.
      const expected = [
        "in this is not SIP, just some bytes: }{ ~~ %% \\\\ 0123456789",
        "in INVITE SIP/2.0",
        "in OPTIONS SIP/2.0",
        "out SIP/2.0 400 Bad Request - Content-Length Exceeds Message",
        "in SIP/2.1 200 OK",
        "in OPTIONS SIP/7.0",
        "out SIP/2.0 505 Version Not Supported",
        "in OPTIONS SIP/2.0",
        "out SIP/2.0 200 OK",
      ];
      const seen = door.trace.summary().map((l) => l.replace(/ sip:\S+/, ""));
      expect(seen.filter((l) => l.startsWith("in ")).length).toBe(6);
      if (kind.exactInterleaving) expect(seen).toEqual(expected);
      else {
        // SIPp sends the junk back to back: each direction in order, and the OPTIONS' 200 last.
        for (const dir of ["in ", "out "]) expect(seen.filter((l) => l.startsWith(dir))).toEqual(expected.filter((l) => l.startsWith(dir)));
        expect(seen.at(-1)).toBe(expected.at(-1));
      }
      expect((await door.tables()).activeCalls).toBe(0);
      await kind.expectClean(door);
    });

    it("uac-reinvite.xml: a call whose media changes (PCMA only, sendonly): the door answers recvonly PCMA with the o= version raised", async () => {
      const door = await direct("re-INVITE");
      expectOk(await sippAt(door, "uac-reinvite.xml"));
      await callsEnded(door);
      expect(ladder(door.trace.entries).filter((s) => s !== "out 100 INVITE")).toEqual([
        "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in INVITE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
      ]);
      const oks = door.trace.responses("out", "INVITE").filter((e) => statusOf(e.text) === 200).map((e) => bodyOf(e.text));
      const [first, second] = [oks[0]!, oks[1]!];
      expect(first).toMatch(/^m=audio [1-9]\d* RTP\/AVP 0 101\r$/m);
      expect(second).toMatch(/^m=audio [1-9]\d* RTP\/AVP 8 101\r$/m);
      expect(second).toMatch(/^a=recvonly\r$/m); // hold mirrored (RFC 3264 §6.1)
      const version = (sdp: string): number => Number(/^o=\S+ \d+ (\d+) /m.exec(sdp)?.[1]);
      expect(version(second)).toBe(version(first) + 1); // the SDP changed: o= version raised
      expect(door.eventNames()).toEqual(["incoming call", "call up", "call down"]);
      await kind.expectClean(door);
    });

    it("uac-info-dtmf.xml: INFO Signal=# in the call opens the door (relay on, then off)", async () => {
      const door = await direct("INFO DTMF", { settings: { doorOpenMs: 200 } });
      expectOk(await sippAt(door, "uac-info-dtmf.xml"));
      expect(ladder(door.trace.entries).filter((s) => s !== "out 100 INVITE")).toEqual([
        "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in INFO", "out 200 INFO", "in BYE", "out 200 BYE",
      ]);
      await door.waitEvent(IntercomEvent.CallDown, 0, 2000);
      expect(door.eventNames()).toEqual(["incoming call", "call up", "dtmf", "door opened", "call down"]);
      expect(door.events.find((e) => e.event === IntercomEvent.Dtmf)!.detail).toBe("#");
      expect(door.relay[0]?.on).toBe(true);
      await door.waitTables((t) => !t.relay, "the relay pulse to end", 2000);
      expect(door.relay.map((r) => r.on)).toEqual([true, false]);
      await kind.expectClean(door);
    });

    it("200 calls at 20 per second: every one answered, and afterwards no call, transaction or dialog is left", async () => {
      // The door is busy (486) while a call is up, whatever its call slots: -l 1 makes SIPp start a call only when the
      // previous one has ended (its BYE answered), so that a stall of this process or of SIPp cannot make two overlap.
      // A small T1 so that Timers J and L (64*T1) let the tables drain within seconds. Each call holds two server
      // transactions for 64*T1 = 3.2 s after it ends (the INVITE's in Accepted, Timer L; the BYE's, Timer J): at 20
      // calls/s that is about 130 at once, so the table is made larger than the door's default (16; a full table
      // answers 503 with Retry-After, as the burst showed with the default).
      const door = await direct("200 calls", { settings: { timers: { t1: 50, t2: 400, t4: 500 }, maxServerTransactions: 192 } }, kind.startBurst);
      const calls = 200;
      const measured = await kind.measureBurst(door);
      const started = Date.now();
      const r = await sippAt(door, "uac-invite-bye.xml", { calls, pauseMs: 0, timeoutS: 40, extra: ["-r", "20", "-rp", "1000", "-l", "1"] });
      const took = Date.now() - started;
      expectOk(r);
      const invites = door.trace.requests("in", "INVITE");
      const finals = door.trace.responses("out", "INVITE").filter((e) => statusOf(e.text) >= 200);
      expect(new Set(invites.map((e) => headerValue(e.text, "Call-ID"))).size).toBe(calls);
      // Not one 486 (busy) or any other failure: every INVITE answered 200, each call once.
      expect(finals.filter((e) => statusOf(e.text) !== 200).map((e) => firstLine(e.text))).toEqual([]);
      expect(new Set(finals.map((e) => headerValue(e.text, "Call-ID"))).size).toBe(calls);
      for (const ok of finals.slice(0, 5)) expect(g711Answer(ok.text)).toBe(true);
      expect(door.trace.responses("out", "BYE").filter((e) => statusOf(e.text) === 200).length).toBeGreaterThanOrEqual(calls);
      expect((await door.tables()).activeCalls).toBe(0);
      // Timer L (INVITE server, Accepted) and Timer J (BYE server) are 64*T1 = 3.2 s here.
      const drained = await door.waitTables((t) => t.activeCalls === 0 && t.serverCount === 0 && t.clientCount === 0, "the tables to drain", 8000, 50);
      expect(drained).toEqual({ activeCalls: 0, serverCount: 0, clientCount: 0, relay: false });
      // After the tables' round trip: the last call's events have crossed the bridge too.
      expect(door.events.filter((e) => e.event === IntercomEvent.CallUp).length).toBe(calls);
      expect(door.events.filter((e) => e.event === IntercomEvent.CallDown).length).toBe(calls);
      const line = await measured(calls, took);
      await kind.expectClean(door);
      console.info(`[interop] ${line}`);
    }, 60_000);
  });
}

/** Kamailio started once for the describe block it is called in (stopped by usePeers' afterAll). */
export function useKamailio(): () => Kamailio {
  let kam: Kamailio | null = null;
  beforeAll(async () => {
    kam = await startKamailio();
  });
  return () => {
    if (kam === null) throw new Error("kamailio did not start");
    return kam;
  };
}

/**
 * Calls through kamailio: a SIPp caller (a local user, so kamailio asks it
 * for proxy credentials) calls the registered door; the doorbell calls a
 * SIPp UAS registered at kamailio, answering kamailio's 407.
 */
export function kamailioCallScenarios<D extends DoorBase>(kind: DoorKind<D>): void {
  const check = requirePeers("sipp", "kamailio", "kamcmd");

  describe.skipIf(check.skip)(`${kind.suite}: calls with the intercom through kamailio`, () => {
    const kamailio = useKamailio();

    it("a SIPp caller (407, credentials) calls door@doorsip.test through kamailio: the door answers with G.711", async () => {
      const kam = kamailio();
      const door = await registeredDoor(kam, kind.start, `${kind.label} (called through kamailio)`);
      const mark = door.trace.entries.length;
      const call = await runSipp({
        scenario: "uac-invite-auth.xml", remote: `127.0.0.1:${kam.port}`, service: USERS.door.user,
        authUser: USERS.sipp.user, authPassword: USERS.sipp.password, pauseMs: 200, timeoutS: 10,
        // A late copy of the door's 180 (kamailio resent the INVITE to a slow door, and its workers forwarded the
        // copy after the 200; seen once in CI with the door inside XS) is let pass, as a UAC lets it: SIPp would
        // abort the call on it. The call's own messages are still checked here and at the door.
        extra: ["-default_behaviors", "all,-abortunexp"],
      });
      expectOk(call);
      await callsEnded(door);
      // The caller was challenged by kamailio, not by the door.
      const atCaller = sippMessages(call.messages).filter((m) => m.dir === "received").map((m) => statusOf(m.text));
      expect(atCaller).toContain(407);
      expect(atCaller.at(-1)).toBe(200);
      // The door saw the authenticated INVITE with kamailio's Record-Route, and answered with G.711.
      const entries = door.trace.entries.slice(mark);
      expect(ladder(entries).filter((s) => s !== "out 100 INVITE")).toEqual([
        "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
      ]);
      for (const e of entries) expect(e.port).toBe(kam.port);
      const invite = entries.find((e) => e.dir === "in" && firstLine(e.text).startsWith("INVITE "))!;
      expect(firstLine(invite.text)).toBe(`INVITE sip:door@127.0.0.1:${door.port} SIP/2.0`);
      expect(headerValue(invite.text, "Record-Route")).toMatch(LR(kam));
      const ok = inviteOk(entries, "out");
      expect(g711Answer(ok.text)).toBe(true);
      // §12.1.1: the 2xx carries the route set back.
      expect(headerValues(ok.text, "Record-Route").join(",")).toMatch(new RegExp(`sip:127\\.0\\.0\\.1:${kam.port};lr`));
      expect(door.events.filter((e) => e.event === IntercomEvent.CallUp).length).toBe(1);
      await kind.expectClean(door);
      await door.stop();
      expect(await kam.contacts(USERS.door.user)).toEqual([]);
    });

    it("the doorbell calls a SIPp UAS registered at kamailio, answering kamailio's 407: INVITE, 407, ACK, INVITE (auth), 100, 180, 200, ACK, BYE, 200", async () => {
      const kam = kamailio();
      // SIPp registers user "sipp" from the port its UAS then answers on.
      const uasPort = await registerSippPort(kam, USERS.sipp);
      const uas = await startSipp({ scenario: "uas-answer.xml", service: USERS.sipp.user, port: uasPort, timeoutS: 12 });

      const door = await registeredDoor(kam, kind.start, `${kind.label} (doorbell through kamailio)`, { settings: { targets: [USERS.sipp.user] } });
      const mark = door.trace.entries.length;
      const events = door.events.length;
      door.runtime.press();
      await door.waitEvent(IntercomEvent.CallUp, events, 5000);
      await new Promise((r) => setTimeout(r, 200));
      door.runtime.hangupAll();
      await door.waitEvent(IntercomEvent.CallDown, events, 5000);
      expectOk(await uas.done(8000));

      const entries = door.trace.entries.slice(mark);
      expect(ladder(entries)).toEqual([
        "out INVITE", "in 407 INVITE", "out ACK", "out INVITE", "in 100 INVITE", "in 180 INVITE", "in 200 INVITE", "out ACK", "out BYE", "in 200 BYE",
      ]);
      const [first, , ack407, second] = entries.map((e) => e.text);
      expect(firstLine(first!)).toBe(`INVITE sip:sipp@${REALM} SIP/2.0`);
      expect(headerValue(first!, "Proxy-Authorization")).toBeUndefined();
      expect(g711Answer(first!)).toBe(true);
      // §17.1.1.3: the ACK for the 407 has the INVITE's CSeq number and branch; §22.2: the retry comes with the next CSeq, same Call-ID.
      const cseq = Number((headerValue(first!, "CSeq") ?? "").split(" ")[0]);
      expect(headerValue(ack407!, "CSeq")).toBe(`${cseq} ACK`);
      expect(headerValue(ack407!, "Via")).toBe(headerValue(first!, "Via"));
      expect(headerValue(second!, "Proxy-Authorization")).toMatch(/^Digest .*username="door"/);
      expect(headerValue(second!, "Proxy-Authorization")).toContain(`realm="${REALM}"`);
      expect(headerValue(second!, "CSeq")).toBe(`${cseq + 1} INVITE`);
      expect(headerValue(second!, "Call-ID")).toBe(headerValue(first!, "Call-ID"));
      for (const e of entries.filter((x) => x.dir === "out")) expect(e.port).toBe(kam.port);
      // ACK and BYE follow the route set (kamailio's Record-Route) to the UAS's Contact.
      const bye = entries.find((e) => e.dir === "out" && firstLine(e.text).startsWith("BYE "))!;
      expect(firstLine(bye.text)).toBe(`BYE sip:sipp@127.0.0.1:${uasPort} SIP/2.0`);
      expect(headerValue(bye.text, "Route")).toMatch(LR(kam));
      expect(door.eventNames().slice(events)).toEqual(expect.arrayContaining(["button pressed", "ringing", "call up", "call down"]));
      await kind.expectClean(door);
    });

    it("kamailio restarts on its port and forgets the binding: the door registers again within seconds, not at its refresh", async () => {
      // A kamailio of its own (usrloc in memory), stopped by PID and started again 7 s later on the same port: longer
      // than the keepalive's 2 s + 3.5 s, so an OPTIONS is answered only after its retransmissions (src/ua/keepalive.ts
      // LATE_ANSWER_MS), which refreshes the binding at once; the binding's own refresh would come after half an hour.
      const own = await startKamailio();
      let again: Kamailio | null = null;
      try {
        const door = await registeredDoor(own, kind.start, `${kind.label} (kamailio restarts)`, {
          settings: { keepaliveSeconds: 2 }, account: { expires: 3600 },
        });
        const contact = `sip:door@127.0.0.1:${door.port}`;
        const registers = door.trace.requests("out", "REGISTER").length;
        const restarted = await restartKamailio(own, 7000);
        again = restarted.kam;
        const upAt = restarted.upAt;
        expect(await again.contacts(USERS.door.user)).toEqual([]);
        expect(await contactsWithin(again, USERS.door.user, 10_000), "registered again at the restarted kamailio within 10 s").toEqual([contact]);
        expect(Date.now() - upAt).toBeLessThan(8000);
        expect(door.trace.requests("out", "REGISTER").length).toBeGreaterThan(registers);
        await kind.expectClean(door);
      } finally {
        if (again !== null) await again.peer.stop(3000);
        await own.peer.stop(3000);
      }
    }, 60_000);
  });
}

/**
 * baresip (registered at kamailio as the desk phone, 100, auto-answering)
 * and the door registered at the same kamailio: baresip dials the door, and
 * the doorbell calls baresip. Both sides are checked: the door's SipTrace,
 * and baresip's own trace (-s) and ctrl_tcp call events.
 */
export function baresipCallScenarios<D extends DoorBase>(kind: DoorKind<D>): void {
  const check = requirePeers("baresip", "kamailio", "kamcmd");

  describe.skipIf(check.skip)(`${kind.suite}: calls between baresip and the intercom through kamailio`, () => {
    const kamailio = useKamailio();

    /** The door registered at kamailio as door@doorsip.test; the doorbell calls extension 100. */
    function deskDoor(name: string): Promise<D> {
      return registeredDoor(kamailio(), kind.start, `${kind.label} (${name})`, { settings: { targets: [USERS.desk.user] } });
    }

    it("baresip dials the door (407 from kamailio, credentials), the door answers with G.711, baresip hangs up", async () => {
      const kam = kamailio();
      const door = await deskDoor("called by baresip");
      const desk = await autoAnswerPhone(kam);
      const mark = door.trace.entries.length;
      const logMark = desk.peer.mark();
      const events = desk.control.events.length;

      expect((await desk.control.command("dial", `sip:door@127.0.0.1:${kam.port}`)).ok).toBe(true);
      await desk.control.waitEvent("CALL_ESTABLISHED", events, 5000);
      await door.waitEvent(IntercomEvent.CallUp, 0, 2000);
      expect((await desk.control.command("hangup")).ok).toBe(true);
      await door.waitEvent(IntercomEvent.CallDown, 0, 5000);
      await desk.control.waitEvent("CALL_CLOSED", events, 5000);
      await callsEnded(door);

      // At the door: the call came from kamailio, was answered with G.711, ended by baresip's BYE.
      const entries = door.trace.entries.slice(mark);
      expect(ladder(entries).filter((s) => s !== "out 100 INVITE")).toEqual([
        "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
      ]);
      for (const e of entries) expect(e.port).toBe(kam.port);
      const invite = entries[0]!.text;
      expect(firstLine(invite)).toBe(`INVITE sip:door@127.0.0.1:${door.port} SIP/2.0`);
      expect(headerValue(invite, "From")).toMatch(/sip:100@/);
      expect(headerValue(invite, "Record-Route")).toMatch(LR(kam));
      expect(bodyOf(invite)).toMatch(/^m=audio \d+ RTP\/AVP( \d+)*( 0| 8)/m);
      expect(g711Answer(inviteOk(entries, "out").text)).toBe(true);
      expect(door.eventNames()).toEqual(expect.arrayContaining(["incoming call", "call up", "call down"]));

      // At baresip (-s trace): challenged by kamailio (407), then the door's 200.
      const seen = desk.peer.log.since(logMark);
      expect(seen).toMatch(/^SIP\/2\.0 407 /m);
      expect(seen).toMatch(/^Proxy-Authorization: Digest username="100", realm="doorsip\.test"/m);
      expect(seen).toMatch(/^SIP\/2\.0 200 OK\r?\n[\s\S]*?^Server: doorsip/m);
      await kind.expectClean(door);
      await desk.peer.stop(5000);
      await door.stop();
    });

    it("the doorbell calls baresip (auto-answer): INVITE, 407, ACK, INVITE with credentials, 100, 180, 200, ACK; the door hangs up", async () => {
      const kam = kamailio();
      const door = await deskDoor("calls baresip");
      const desk = await autoAnswerPhone(kam);
      const mark = door.trace.entries.length;
      const from = door.events.length;
      const events = desk.control.events.length;

      door.runtime.press();
      await door.waitEvent(IntercomEvent.CallUp, from, 5000);
      const established = await desk.control.waitEvent("CALL_ESTABLISHED", events, 5000);
      expect(established.direction).toBe("incoming");
      expect(established.peeruri).toMatch(new RegExp(`^sip:door@${REALM.replace(".", "\\.")}`));
      await new Promise((r) => setTimeout(r, 300));
      door.runtime.hangupAll();
      await door.waitEvent(IntercomEvent.CallDown, from, 5000);
      await desk.control.waitEvent("CALL_CLOSED", events, 5000);
      await callsEnded(door);

      const entries = door.trace.entries.slice(mark);
      expect(ladder(entries).filter((s) => s !== "in 180 INVITE" && s !== "in 183 INVITE")).toEqual([
        "out INVITE", "in 407 INVITE", "out ACK", "out INVITE", "in 100 INVITE", "in 200 INVITE", "out ACK", "out BYE", "in 200 BYE",
      ]);
      for (const e of entries) expect(e.port).toBe(kam.port);
      const [first, , , second] = entries.map((e) => e.text);
      expect(firstLine(first!)).toBe(`INVITE sip:100@${REALM} SIP/2.0`);
      expect(headerValue(second!, "Proxy-Authorization")).toMatch(/^Digest username="door", realm="doorsip\.test"/);
      const ok = inviteOk(entries, "in");
      expect(headerValue(ok.text, "User-Agent") ?? headerValue(ok.text, "Server") ?? "").toMatch(/baresip/);
      expect(g711Answer(ok.text)).toBe(true);
      // After the tables' round trip, so that the XS door's last events have crossed the bridge.
      expect(door.eventNames().slice(from)).toEqual(expect.arrayContaining(["button pressed", "call up", "call down", "hunt over"]));
      await kind.expectClean(door);
      await desk.peer.stop(5000);
      await door.stop();
    });
  });
}
