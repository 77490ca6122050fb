/*
 * The key interop scenarios with the door's core inside the real XS engine:
 * XsIntercom (hosts/xs: the unmodified core's Intercom in a doorsip-xs
 * worker, UDP and timers bridged from Node) on 127.0.0.1, against the real
 * peers of test/interop-kamailio, -calls, -sipp and -baresip.test.ts:
 * - kamailio: the door registers (401, then 200; the MD5 digest computed in
 *   XS), refreshes a 10 s binding with nc=2, keeps alive with OPTIONS, is
 *   called through kamailio by a SIPp caller (kamailio's 407 to the caller)
 *   and answers with G.711, and its doorbell calls a SIPp UAS registered at
 *   kamailio, answering kamailio's 407; it unregisters on stop;
 * - SIPp straight at the door: a call with BYE, CANCEL -> 487, OPTIONS ->
 *   200 with Allow, an unknown method -> 501, junk then an OPTIONS still
 *   answered, a re-INVITE, an INFO door code that opens the door, and 200
 *   calls in a row at 20/s on a small XS heap (XS collects garbage during
 *   the burst), after which no call, transaction or dialog is left;
 * - baresip registered at kamailio calls the door, and the doorbell calls it.
 * The door is checked at its own socket (SipTrace from the runtime's tap)
 * and through the XS side's status (calls, tables, caught errors, heap).
 * Peers' logs, the SIP trace, the door's log and the worker's state are
 * printed when a test fails; peers are stopped by PID (usePeers).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { IntercomEvent } from "../src/app/intercom";
import { LogLevel } from "../src/host";
import { ensureWorker } from "../hosts/xs/build-worker.mjs";
import {
  bodyOf, firstLine, g711Answer, headerValue, headerValues, requirePeers, runSipp, sippMessages, startKamailio, startSipp, statusOf,
  until, USERS, REALM, usePeers, type DoorOptions, type Kamailio,
} from "./support/peers";
import { autoAnswerPhone, expectOk, ladder, registeredDoor as registeredAt, registerSippPort, sippAt, tagOf } from "./support/interop-calls";
import { startXsDoor, type XsDoor, type XsDoorOptions } from "./support/interop-xs-door";

usePeers();
const sippCheck = requirePeers("sipp");
const kamCheck = requirePeers("sipp", "kamailio", "kamcmd");
const baresipCheck = requirePeers("baresip", "kamailio", "kamcmd");

beforeAll(async () => {
  // Built once (about 20 s the first time, then reused), so that the tests time only themselves.
  if (!sippCheck.skip || !kamCheck.skip || !baresipCheck.skip) await ensureWorker();
}, 180_000);

/** No exception inside XS, none caught by the core, nothing on the worker's stderr. */
async function expectCleanXs(door: XsDoor): Promise<void> {
  const s = await door.status();
  expect(door.runtime.xsErrors).toEqual([]);
  expect(door.runtime.workerStderr).toEqual([]);
  expect(s.coreErrors).toBe(0);
  expect(door.log.filter((l) => / error: /.test(l))).toEqual([]);
}

/** Until the XS side holds no call (bounded). */
function callsEnded(door: XsDoor, ms = 3000): Promise<unknown> {
  return door.waitTables((t) => t.activeCalls === 0, "the call to end at the door", ms);
}

/**
 * SIPp straight at the door is not its registrar: by default (src/ua/trust) it would get 403 for a call, so these
 * doors trust 127.0.0.1 (the settings cross the bridge as JSON), and open for "#".
 */
function direct(label: string, o: XsDoorOptions = {}): Promise<XsDoor> {
  return startXsDoor({ ...o, label, settings: { trust: { allow: ["127.0.0.1"] }, doorCode: "#", ...o.settings } });
}

describe.skipIf(sippCheck.skip)("interop inside XS: SIPp calls the intercom directly", () => {
  it("without the allowlist, a call from SIPp (not the registrar) gets 403 and never reaches a call slot", async () => {
    const door = await startXsDoor({ label: "XS door (untrusted)" });
    const r = await sippAt(door, "uac-invite-bye.xml", { timeoutS: 5 });
    expect(r.ok).toBe(false);
    expect(ladder(door.trace.entries).slice(0, 2)).toEqual(["in INVITE", "out 403 INVITE"]);
    expect(firstLine(door.trace.entries[1]!.text)).toMatch(/^SIP\/2\.0 403 Forbidden/);
    expect(door.eventNames()).toEqual([]);
    expect(await door.tables()).toMatchObject({ activeCalls: 0 });
    await expectCleanXs(door);
  });

  it("uac-invite-bye.xml: INVITE, 100, 180, 200 with a G.711 answer, ACK, BYE, 200", async () => {
    const door = await direct("XS door (invite-bye)");
    expectOk(await sippAt(door, "uac-invite-bye.xml"));
    await callsEnded(door);
    expect(ladder(door.trace.entries)).toEqual([
      "in INVITE", "out 100 INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
    ]);
    const ok = door.trace.responses("out", "INVITE").find((e) => statusOf(e.text) === 200)!.text;
    expect(headerValue(ok, "Content-Type")).toBe("application/sdp");
    expect(bodyOf(ok)).toMatch(/^m=audio [1-9]\d* RTP\/AVP 0 101\r$/m);
    expect(bodyOf(ok)).toMatch(/^a=rtpmap:0 PCMU\/8000\r$/m);
    expect(headerValue(ok, "Contact")).toMatch(new RegExp(`^<sip:door@127\\.0\\.0\\.1:${door.port}[;>]`));
    expect(tagOf(headerValue(ok, "To"))).not.toBe("");
    expect(door.eventNames()).toEqual(["incoming call", "call up", "call down"]);
    await expectCleanXs(door);
  });

  it("uac-invite-cancel.xml: the door rings, CANCEL gets 200 and the INVITE 487", async () => {
    const door = await direct("XS door (cancel)", { settings: { calls: { autoAnswerMs: 3000 } } });
    expectOk(await sippAt(door, "uac-invite-cancel.xml"));
    await callsEnded(door);
    const steps = ladder(door.trace.entries);
    expect(steps.slice(0, 4)).toEqual(["in INVITE", "out 100 INVITE", "out 180 INVITE", "in CANCEL"]);
    expect(steps.slice(4, 6).sort()).toEqual(["out 200 CANCEL", "out 487 INVITE"]);
    expect(steps[6]).toBe("in ACK");
    expect(steps).not.toContain("out 200 INVITE");
    expect(door.eventNames()).toEqual(["incoming call", "call down"]);
    await expectCleanXs(door);
  });

  it("OPTIONS: 200 with Allow; FOO: 501 with Allow; five junk datagrams, then an OPTIONS still answered", async () => {
    const door = await direct("XS door (options, 501, junk)");
    expectOk(await sippAt(door, "uac-options.xml"));
    expectOk(await sippAt(door, "uac-unknown-method.xml"));
    expect(ladder(door.trace.entries)).toEqual(["in OPTIONS", "out 200 OPTIONS", "in FOO", "out 501 FOO"]);
    const [options, foo] = door.trace.entries.filter((e) => e.dir === "out").map((e) => e.text);
    expect(headerValue(options!, "Allow")).toMatch(/INVITE.*ACK.*CANCEL.*BYE.*OPTIONS.*INFO/);
    expect(headerValue(foo!, "Allow")).toMatch(/INVITE/);
    expect(headerValue(foo!, "CSeq")).toBe("1 FOO");

    const mark = door.trace.entries.length;
    expectOk(await sippAt(door, "uac-malformed.xml"));
    // As on Node: dropped, 400, dropped, 505, then the OPTIONS gets its 200. SIPp sends the junk back to back and the
    // answers cross the bridge, so an answer may be traced after the next datagram in: each direction is checked in order.
    const junk = door.trace.entries.slice(mark).map((e) => `${e.dir} ${firstLine(e.text)}`.replace(/ sip:\S+/, ""));
    expect(junk.filter((l) => l.startsWith("in "))).toEqual([
      "in this is not SIP, just some bytes: }{ ~~ %% \\\\ 0123456789",
      "in INVITE SIP/2.0",
      "in OPTIONS SIP/2.0",
      "in SIP/2.1 200 OK",
      "in OPTIONS SIP/7.0",
      "in OPTIONS SIP/2.0",
    ]);
    expect(junk.filter((l) => l.startsWith("out "))).toEqual([
      "out SIP/2.0 400 Bad Request - Content-Length Exceeds Message",
      "out SIP/2.0 505 Version Not Supported",
      "out SIP/2.0 200 OK",
    ]);
    expect(junk.at(-1)).toBe("out SIP/2.0 200 OK");
    expect((await door.tables()).activeCalls).toBe(0);
    await expectCleanXs(door);
  });

  it("uac-reinvite.xml: the media changes to PCMA sendonly; the door answers recvonly PCMA with the o= version raised", async () => {
    const door = await direct("XS door (re-INVITE)");
    expectOk(await sippAt(door, "uac-reinvite.xml"));
    await callsEnded(door);
    expect(ladder(door.trace.entries).filter((s) => s !== "out 100 INVITE")).toEqual([
      "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in INVITE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
    ]);
    const oks = door.trace.responses("out", "INVITE").filter((e) => statusOf(e.text) === 200).map((e) => bodyOf(e.text));
    expect(oks[0]).toMatch(/^m=audio [1-9]\d* RTP\/AVP 0 101\r$/m);
    expect(oks[1]).toMatch(/^m=audio [1-9]\d* RTP\/AVP 8 101\r$/m);
    expect(oks[1]).toMatch(/^a=recvonly\r$/m);
    const version = (sdp: string): number => Number(/^o=\S+ \d+ (\d+) /m.exec(sdp)?.[1]);
    expect(version(oks[1]!)).toBe(version(oks[0]!) + 1);
    await expectCleanXs(door);
  });

  it("uac-info-dtmf.xml: INFO Signal=# in the call opens the door (relay on, then off)", async () => {
    const door = await direct("XS door (INFO DTMF)", { settings: { doorOpenMs: 200 } });
    expectOk(await sippAt(door, "uac-info-dtmf.xml"));
    expect(ladder(door.trace.entries).filter((s) => s !== "out 100 INVITE")).toEqual([
      "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in INFO", "out 200 INFO", "in BYE", "out 200 BYE",
    ]);
    await door.waitEvent(IntercomEvent.CallDown, 0, 2000);
    expect(door.eventNames()).toEqual(["incoming call", "call up", "dtmf", "door opened", "call down"]);
    expect(door.events.find((e) => e.event === IntercomEvent.Dtmf)!.detail).toBe("#");
    await door.waitTables((t) => !t.relay, "the relay pulse to end", 2000);
    expect(door.relay.map((r) => r.on)).toEqual([true, false]);
    await expectCleanXs(door);
  });

  it("200 calls at 20 per second on a small XS heap: every one answered, then no call or transaction left", async () => {
    // As the Node burst (interop-calls.test.ts): -l 1, a small T1 so that Timers J and L (64*T1 = 3.2 s) drain the
    // tables within seconds, and a server table large enough for 20 calls/s. The worker starts on its smallest heap,
    // so XS collects garbage (and grows the heap) while the calls run.
    const door = await direct("XS door (200 calls)", {
      settings: { timers: { t1: 50, t2: 400, t4: 500 }, maxServerTransactions: 192 },
      heap: { slots: 4096, chunkBytes: 65536 },
      logLevel: LogLevel.Info, // the burst's debug lines need not cross the bridge
    });
    const calls = 200;
    const before = await door.status();
    const started = Date.now();
    const r = await sippAt(door, "uac-invite-bye.xml", { calls, pauseMs: 0, timeoutS: 40, extra: ["-r", "20", "-rp", "1000", "-l", "1"] });
    const took = Date.now() - started;
    expectOk(r);
    const invites = door.trace.requests("in", "INVITE");
    const finals = door.trace.responses("out", "INVITE").filter((e) => statusOf(e.text) >= 200);
    expect(new Set(invites.map((e) => headerValue(e.text, "Call-ID"))).size).toBe(calls);
    expect(finals.filter((e) => statusOf(e.text) !== 200).map((e) => firstLine(e.text))).toEqual([]);
    expect(new Set(finals.map((e) => headerValue(e.text, "Call-ID"))).size).toBe(calls);
    for (const ok of finals.slice(0, 5)) expect(g711Answer(ok.text)).toBe(true);
    expect(door.trace.responses("out", "BYE").filter((e) => statusOf(e.text) === 200).length).toBeGreaterThanOrEqual(calls);
    expect(door.events.filter((e) => e.event === IntercomEvent.CallUp).length).toBe(calls);
    expect(door.events.filter((e) => e.event === IntercomEvent.CallDown).length).toBe(calls);
    const drained = await door.waitTables((t) => t.activeCalls === 0 && t.serverCount === 0 && t.clientCount === 0, "the tables to drain", 8000, 100);
    expect(drained).toEqual({ activeCalls: 0, serverCount: 0, clientCount: 0, relay: false });
    const after = await door.status();
    expect(after.heap.gcs).toBeGreaterThan(before.heap.gcs);
    await expectCleanXs(door);
    console.info(`[interop] ${calls} calls through the XS door in ${took} ms; XS heap ${after.heap.slots} slots (peak ${after.heap.peakSlots}), ` +
      `${after.heap.chunkBytes} chunk bytes (peak ${after.heap.peakChunkBytes}), ${after.heap.gcs - before.heap.gcs} collections; ` +
      `bridge ${JSON.stringify(door.runtime.counts)}`);
  }, 60_000);
});

describe.skipIf(kamCheck.skip)("interop inside XS: kamailio", () => {
  let kam: Kamailio;

  beforeAll(async () => {
    kam = await startKamailio();
  });

  function registeredDoor(label: string, o: DoorOptions = {}): Promise<XsDoor> {
    return registeredAt(kam, startXsDoor, label, o);
  }

  it("registers with 401 then 200, keeps alive with OPTIONS, refreshes a 10 s binding, unregisters on stop", async () => {
    await kam.kamcmd("ul.rm", "location", `s:${USERS.door.user}`);
    const door = await startXsDoor({
      label: "XS door (registration)",
      settings: { register: true, keepaliveSeconds: 1 },
      account: { registrarPort: kam.port, expires: 10 },
    });
    await door.waitEvent(IntercomEvent.Registered, 0, 5000);
    const contact = `sip:door@127.0.0.1:${door.port}`;
    const registers = (): string[] => door.trace.entries
      .filter((e) => firstLine(e.text).startsWith("REGISTER ") || headerValue(e.text, "CSeq")?.endsWith(" REGISTER") === true)
      .map((e) => `${e.dir} ${firstLine(e.text)}`);
    expect(registers()).toEqual([
      "out REGISTER sip:doorsip.test SIP/2.0", "in SIP/2.0 401 Unauthorized", "out REGISTER sip:doorsip.test SIP/2.0", "in SIP/2.0 200 OK",
    ]);
    const [first, second] = door.trace.requests("out", "REGISTER").map((e) => e.text);
    expect(headerValue(first!, "Authorization")).toBeUndefined();
    // The digest was computed inside XS (hosts/xs/digest.ts), and kamailio accepted it.
    expect(headerValue(second!, "Authorization")).toMatch(/^Digest .*username="door"/);
    expect(headerValue(second!, "Authorization")).toMatch(/nc=00000001/);
    expect(await kam.contacts(USERS.door.user)).toEqual([contact]);

    // Keepalive every second, answered by kamailio.
    await until(() => door.trace.responses("in", "OPTIONS").filter((e) => statusOf(e.text) === 200).length >= 2, "two keepalives answered", 5000, 20);
    expect(firstLine(door.trace.requests("out", "OPTIONS")[0]!.text)).toMatch(new RegExp(`^OPTIONS sip:[^ ]*127\\.0\\.0\\.1:${kam.port}[; ]`));

    // The refresh of the 10 s binding, with the same nonce (nc=2) and Call-ID, and the next CSeq.
    await until(() => door.trace.responses("in", "REGISTER").length >= 3, "the refresh and its answer", 9000, 20);
    expect(door.trace.responses("in", "REGISTER").map((e) => statusOf(e.text))).toEqual([401, 200, 200]);
    const refresh = door.trace.requests("out", "REGISTER")[2]!.text;
    expect(headerValue(refresh, "Authorization")).toMatch(/nc=00000002/);
    expect(headerValue(refresh, "Call-ID")).toBe(headerValue(first!, "Call-ID"));
    expect(headerValue(refresh, "CSeq")).toBe("3 REGISTER");
    expect((await door.status()).registered).toBe(true);
    expect(await kam.contacts(USERS.door.user)).toEqual([contact]);
    await expectCleanXs(door);

    // Stop: unregistered (Expires: 0, 200), the binding is gone.
    const from = door.events.length;
    await door.stop();
    expect(door.eventNames().slice(from)).toContain("unregistered");
    const last = door.trace.requests("out", "REGISTER").at(-1)!.text;
    expect(headerValue(last, "Expires")).toBe("0");
    expect(statusOf(door.trace.responses("in", "REGISTER").at(-1)!.text)).toBe(200);
    expect(await kam.contacts(USERS.door.user)).toEqual([]);
    expect(door.runtime.running).toBe(false);
  }, 30_000);

  it("a SIPp caller (407, credentials) calls door@doorsip.test through kamailio: the door answers with G.711", async () => {
    const door = await registeredDoor("XS door (called through kamailio)");
    const mark = door.trace.entries.length;
    const call = await runSipp({
      scenario: "uac-invite-auth.xml", remote: `127.0.0.1:${kam.port}`, service: USERS.door.user,
      authUser: USERS.sipp.user, authPassword: USERS.sipp.password, pauseMs: 200, timeoutS: 10,
    });
    expectOk(call);
    await callsEnded(door);
    const atCaller = sippMessages(call.messages).filter((m) => m.dir === "received").map((m) => statusOf(m.text));
    expect(atCaller).toContain(407);
    expect(atCaller.at(-1)).toBe(200);
    const entries = door.trace.entries.slice(mark);
    expect(ladder(entries).filter((s) => s !== "out 100 INVITE")).toEqual([
      "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
    ]);
    for (const e of entries) expect(e.port).toBe(kam.port);
    const ok = entries.find((e) => e.dir === "out" && statusOf(e.text) === 200 && headerValue(e.text, "CSeq")?.endsWith("INVITE") === true)!;
    expect(g711Answer(ok.text)).toBe(true);
    expect(headerValues(ok.text, "Record-Route").join(",")).toMatch(new RegExp(`sip:127\\.0\\.0\\.1:${kam.port};lr`));
    expect(door.events.filter((e) => e.event === IntercomEvent.CallUp).length).toBe(1);
    await expectCleanXs(door);
    await door.stop();
    expect(await kam.contacts(USERS.door.user)).toEqual([]);
  });

  it("the doorbell calls a SIPp UAS registered at kamailio, answering kamailio's 407", async () => {
    const uasPort = await registerSippPort(kam, USERS.sipp);
    const uas = await startSipp({ scenario: "uas-answer.xml", service: USERS.sipp.user, port: uasPort, timeoutS: 12 });
    const door = await registeredDoor("XS door (doorbell through kamailio)", { settings: { targets: [USERS.sipp.user] } });
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
    const [first, , , second] = entries.map((e) => e.text);
    expect(firstLine(first!)).toBe(`INVITE sip:sipp@${REALM} SIP/2.0`);
    expect(g711Answer(first!)).toBe(true);
    expect(headerValue(second!, "Proxy-Authorization")).toMatch(/^Digest .*username="door"/);
    expect(headerValue(second!, "Call-ID")).toBe(headerValue(first!, "Call-ID"));
    for (const e of entries.filter((x) => x.dir === "out")) expect(e.port).toBe(kam.port);
    const bye = entries.find((e) => e.dir === "out" && firstLine(e.text).startsWith("BYE "))!;
    expect(firstLine(bye.text)).toBe(`BYE sip:sipp@127.0.0.1:${uasPort} SIP/2.0`);
    expect(headerValue(bye.text, "Route")).toMatch(new RegExp(`^<sip:127\\.0\\.0\\.1:${kam.port};lr`));
    expect(door.eventNames().slice(events)).toEqual(expect.arrayContaining(["button pressed", "ringing", "call up", "call down"]));
    await expectCleanXs(door);
  });
});

describe.skipIf(baresipCheck.skip)("interop inside XS: baresip", () => {
  let kam: Kamailio;

  beforeAll(async () => {
    kam = await startKamailio();
  });

  function registeredDoor(label: string): Promise<XsDoor> {
    return registeredAt(kam, startXsDoor, label, { settings: { targets: [USERS.desk.user] } });
  }

  it("baresip dials the door through kamailio; the door answers with G.711; baresip hangs up", async () => {
    const door = await registeredDoor("XS door (called by baresip)");
    const desk = await autoAnswerPhone(kam);
    const mark = door.trace.entries.length;
    const events = desk.control.events.length;
    expect((await desk.control.command("dial", `sip:door@127.0.0.1:${kam.port}`)).ok).toBe(true);
    await desk.control.waitEvent("CALL_ESTABLISHED", events, 5000);
    await door.waitEvent(IntercomEvent.CallUp, 0, 2000);
    expect((await desk.control.command("hangup")).ok).toBe(true);
    await door.waitEvent(IntercomEvent.CallDown, 0, 5000);
    await desk.control.waitEvent("CALL_CLOSED", events, 5000);
    const entries = door.trace.entries.slice(mark);
    expect(ladder(entries).filter((s) => s !== "out 100 INVITE")).toEqual([
      "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
    ]);
    expect(headerValue(entries[0]!.text, "From")).toMatch(/sip:100@/);
    const ok = entries.find((e) => e.dir === "out" && statusOf(e.text) === 200 && headerValue(e.text, "CSeq")?.endsWith("INVITE") === true)!;
    expect(g711Answer(ok.text)).toBe(true);
    await callsEnded(door);
    await expectCleanXs(door);
    await desk.peer.stop(5000);
    await door.stop();
  });

  it("the doorbell calls baresip (auto-answer) through kamailio with a 407 on the way; the door hangs up", async () => {
    const door = await registeredDoor("XS door (calls baresip)");
    const desk = await autoAnswerPhone(kam);
    const mark = door.trace.entries.length;
    const from = door.events.length;
    const events = desk.control.events.length;
    door.runtime.press();
    await door.waitEvent(IntercomEvent.CallUp, from, 5000);
    const established = await desk.control.waitEvent("CALL_ESTABLISHED", events, 5000);
    expect(established.direction).toBe("incoming");
    await new Promise((r) => setTimeout(r, 300));
    door.runtime.hangupAll();
    await door.waitEvent(IntercomEvent.CallDown, from, 5000);
    await desk.control.waitEvent("CALL_CLOSED", events, 5000);
    const entries = door.trace.entries.slice(mark);
    expect(ladder(entries).filter((s) => s !== "in 180 INVITE" && s !== "in 183 INVITE")).toEqual([
      "out INVITE", "in 407 INVITE", "out ACK", "out INVITE", "in 100 INVITE", "in 200 INVITE", "out ACK", "out BYE", "in 200 BYE",
    ]);
    expect(headerValue(entries[3]!.text, "Proxy-Authorization")).toMatch(/^Digest username="door", realm="doorsip\.test"/);
    const ok = entries.find((e) => e.dir === "in" && statusOf(e.text) === 200 && headerValue(e.text, "CSeq")?.endsWith("INVITE") === true)!;
    expect(headerValue(ok.text, "User-Agent") ?? headerValue(ok.text, "Server") ?? "").toMatch(/baresip/);
    expect(g711Answer(ok.text)).toBe(true);
    await callsEnded(door);
    await expectCleanXs(door);
    await desk.peer.stop(5000);
    await door.stop();
  });
});
