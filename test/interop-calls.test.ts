/*
 * Calls with the real intercom (NodeIntercom: src/app/intercom.ts on the
 * Node host, real UDP on 127.0.0.1, real time):
 * - SIPp straight at the door (no registration, no keepalive): a call with
 *   BYE (the answer's SDP is G.711), a CANCEL while it rings (487), OPTIONS
 *   and an unknown method (200 / 501 with Allow), junk datagrams followed
 *   by an OPTIONS that is still answered, a re-INVITE, the door code as
 *   INFO (the relay goes on), and 200 calls in a row at a bounded rate,
 *   after which no call, transaction or dialog is left;
 * - through kamailio: the door registers, a SIPp caller (a local user, so
 *   kamailio asks it for proxy credentials) calls it; and the doorbell
 *   calls a SIPp UAS registered at kamailio, answering kamailio's 407.
 * Everything the door sent and received is in its SipTrace (printed with
 * the peers' logs and SIPp's message files when a test fails).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { IntercomEvent } from "../src/app/intercom";
import {
  bodyOf, firstLine, g711Answer, headerValue, headerValues, requirePeers, runSipp, sippMessages, startDoor, startKamailio, startSipp,
  statusOf, until, usePeers, USERS, REALM, type Door, type DoorOptions, type Kamailio,
} from "./support/peers";
import { expectOk, ladder, registeredDoor as registeredAt, registerSippPort, sippAt, tagOf } from "./support/interop-calls";

usePeers();
const sippCheck = requirePeers("sipp");
const kamCheck = requirePeers("sipp", "kamailio", "kamcmd");

/**
 * SIPp straight at the door is not its registrar: by default (src/ua/trust) its calls get 403, so these doors
 * trust 127.0.0.1, and open for "#" (the intercom has no default door code).
 */
function direct(o: DoorOptions): Promise<Door> {
  return startDoor({ ...o, settings: { trust: { allow: ["127.0.0.1"] }, doorCode: "#", ...o.settings } });
}

describe.skipIf(sippCheck.skip)("interop: SIPp calls the intercom directly", () => {
  it("without the allowlist, a call from SIPp (not the registrar) gets 403, stateless: no call slot, no transaction", async () => {
    const door = await startDoor({ label: "door (untrusted)" });
    const r = await sippAt(door, "uac-invite-bye.xml", { timeoutS: 5 });
    expect(r.ok).toBe(false);
    expect(ladder(door.trace.entries).slice(0, 2)).toEqual(["in INVITE", "out 403 INVITE"]);
    expect(firstLine(door.trace.entries[1]!.text)).toBe("SIP/2.0 403 Forbidden - Untrusted Source");
    expect(door.eventNames()).toEqual([]);
    expect(door.intercom.trust.counters.rejected).toBeGreaterThanOrEqual(1);
    expect(door.intercom.layer.serverCount).toBe(0);
    expect(door.intercom.ua.activeCalls).toBe(0);
  });

  it("uac-invite-bye.xml: INVITE, 100, 180, 200 with a G.711 answer, ACK, BYE, 200", async () => {
    const door = await direct({ label: "door (invite-bye)" });
    expectOk(await sippAt(door, "uac-invite-bye.xml"));
    await until(() => door.intercom.ua.activeCalls === 0, "the call to end at the door", 2000);
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
  });

  it("uac-invite-cancel.xml: the door rings (auto-answer after 3 s), CANCEL gets 200 and the INVITE 487", async () => {
    const door = await direct({ label: "door (cancel)", settings: { calls: { autoAnswerMs: 3000 } } });
    expectOk(await sippAt(door, "uac-invite-cancel.xml"));
    await until(() => door.intercom.ua.activeCalls === 0, "the call to end at the door", 2000);
    const steps = ladder(door.trace.entries);
    expect(steps.slice(0, 4)).toEqual(["in INVITE", "out 100 INVITE", "out 180 INVITE", "in CANCEL"]);
    expect(steps.slice(4, 6).sort()).toEqual(["out 200 CANCEL", "out 487 INVITE"]);
    expect(steps[6]).toBe("in ACK");
    expect(steps).not.toContain("out 200 INVITE");
    expect(door.eventNames()).toEqual(["incoming call", "call down"]);
  });

  it("uac-options.xml: 200 with Allow; uac-unknown-method.xml: FOO gets 501 with Allow", async () => {
    const door = await direct({ label: "door (options)" });
    expectOk(await sippAt(door, "uac-options.xml"));
    expectOk(await sippAt(door, "uac-unknown-method.xml"));
    expect(ladder(door.trace.entries)).toEqual(["in OPTIONS", "out 200 OPTIONS", "in FOO", "out 501 FOO"]);
    const [options, foo] = door.trace.entries.filter((e) => e.dir === "out").map((e) => e.text);
    expect(headerValue(options!, "Allow")).toMatch(/INVITE.*ACK.*CANCEL.*BYE.*OPTIONS.*INFO/);
    expect(headerValue(foo!, "Allow")).toMatch(/INVITE/);
    expect(headerValue(foo!, "CSeq")).toBe("1 FOO");
    expect(door.intercom.ua.activeCalls).toBe(0);
  });

  it("uac-malformed.xml: five junk datagrams, then an OPTIONS that is still answered 200", async () => {
    const door = await direct({ label: "door (malformed)" });
    expectOk(await sippAt(door, "uac-malformed.xml"));
    expect(door.trace.entries.filter((e) => e.dir === "in").length).toBe(6);
    // RFC 3261 §18.3 / §16.3: what cannot be parsed or answered is dropped (not SIP; no Call-ID/CSeq/From/To; a
    // status line of SIP/2.1), the short body gets 400 and SIP/7.0 gets 505; then the OPTIONS gets its 200.
    expect(door.trace.summary().map((l) => l.replace(/ sip:\S+/, ""))).toEqual([
      "in this is not SIP, just some bytes: }{ ~~ %% \\\\ 0123456789",
      "in INVITE SIP/2.0",
      "in OPTIONS SIP/2.0",
      "out SIP/2.0 400 Bad Request - Content-Length Exceeds Message",
      "in SIP/2.1 200 OK",
      "in OPTIONS SIP/7.0",
      "out SIP/2.0 505 Version Not Supported",
      "in OPTIONS SIP/2.0",
      "out SIP/2.0 200 OK",
    ]);
    expect(door.intercom.ua.activeCalls).toBe(0);
  });

  it("uac-reinvite.xml: a call whose media changes (PCMA only, sendonly): the door answers recvonly PCMA", async () => {
    const door = await direct({ label: "door (re-INVITE)" });
    expectOk(await sippAt(door, "uac-reinvite.xml"));
    await until(() => door.intercom.ua.activeCalls === 0, "the call to end at the door", 2000);
    expect(ladder(door.trace.entries).filter((s) => s !== "out 100 INVITE")).toEqual([
      "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in INVITE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
    ]);
    const oks = door.trace.responses("out", "INVITE").filter((e) => statusOf(e.text) === 200).map((e) => e.text);
    const [first, second] = [bodyOf(oks[0]!), bodyOf(oks[1]!)];
    expect(first).toMatch(/^m=audio [1-9]\d* RTP\/AVP 0 101\r$/m);
    expect(second).toMatch(/^m=audio [1-9]\d* RTP\/AVP 8 101\r$/m);
    expect(second).toMatch(/^a=recvonly\r$/m); // hold mirrored (RFC 3264 §6.1)
    const version = (sdp: string): number => Number(/^o=\S+ \d+ (\d+) /m.exec(sdp)?.[1]);
    expect(version(second)).toBe(version(first) + 1); // the SDP changed: o= version raised
    expect(door.eventNames()).toEqual(["incoming call", "call up", "call down"]);
  });

  it("uac-info-dtmf.xml: INFO Signal=# in the call opens the door (relay on)", async () => {
    const door = await direct({ label: "door (INFO DTMF)", settings: { doorOpenMs: 200 } });
    expectOk(await sippAt(door, "uac-info-dtmf.xml"));
    expect(ladder(door.trace.entries).filter((s) => s !== "out 100 INVITE")).toEqual([
      "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in INFO", "out 200 INFO", "in BYE", "out 200 BYE",
    ]);
    expect(door.eventNames()).toEqual(["incoming call", "call up", "dtmf", "door opened", "call down"]);
    expect(door.events.find((e) => e.event === IntercomEvent.Dtmf)!.detail).toBe("#");
    expect(door.relay[0]?.on).toBe(true);
    await until(() => !door.runtime.pins.relay, "the relay pulse to end", 2000);
    expect(door.relay.map((r) => r.on)).toEqual([true, false]);
  });

  it("200 calls at 20 per second: every one answered, and afterwards no call, transaction or dialog is left", async () => {
    // The door is busy (486) while a call is up, whatever its call slots: -l 1 makes SIPp start a call only when the
    // previous one has ended (its BYE answered), so that a stall of this process or of SIPp cannot make two overlap.
    // A small T1 so that Timers J and L (64*T1) let the tables drain within seconds. Each call holds two server
    // transactions for 64*T1 = 3.2 s after it ends (the INVITE's in Accepted, Timer L; the BYE's, Timer J): at 20
    // calls/s that is about 130 at once, so the table is made larger than the door's default (16; a full table
    // answers 503 with Retry-After, as the burst showed with the default).
    const door = await direct({
      label: "door (200 calls)",
      settings: { timers: { t1: 50, t2: 400, t4: 500 }, maxServerTransactions: 192 },
    });
    const calls = 200;
    const started = Date.now();
    const r = await sippAt(door, "uac-invite-bye.xml", { calls, pauseMs: 0, timeoutS: 40, extra: ["-r", "20", "-rp", "1000", "-l", "1"] });
    const took = Date.now() - started;
    expectOk(r);
    const invites = door.trace.requests("in", "INVITE");
    const finals = door.trace.responses("out", "INVITE").filter((e) => statusOf(e.text) >= 200);
    const answered = new Set(finals.filter((e) => statusOf(e.text) === 200).map((e) => headerValue(e.text, "Call-ID")));
    const busy = finals.filter((e) => statusOf(e.text) === 486);
    expect(new Set(invites.map((e) => headerValue(e.text, "Call-ID"))).size).toBe(calls);
    expect(busy.length).toBe(0);
    expect(answered.size).toBe(calls);
    for (const ok of finals.filter((e) => statusOf(e.text) === 200).slice(0, 5)) expect(g711Answer(ok.text)).toBe(true);
    expect(door.trace.responses("out", "BYE").filter((e) => statusOf(e.text) === 200).length).toBeGreaterThanOrEqual(calls);
    expect(door.events.filter((e) => e.event === IntercomEvent.CallUp).length).toBe(calls);
    expect(door.events.filter((e) => e.event === IntercomEvent.CallDown).length).toBe(calls);
    expect(door.intercom.ua.activeCalls).toBe(0);
    // Timer L (INVITE server, Accepted) and Timer J (BYE server) are 64*T1 = 3.2 s here.
    await until(() => door.drained, `the tables to drain (${door.state()})`, 8000, 50);
    expect(door.intercom.layer.serverCount).toBe(0);
    expect(door.intercom.layer.clientCount).toBe(0);
    expect(door.log.filter((l) => / error: /.test(l))).toEqual([]);
    console.info(`[interop] 200 calls through the door in ${took} ms`);
  });
});

describe.skipIf(kamCheck.skip)("interop: calls with the intercom through kamailio", () => {
  let kam: Kamailio;

  beforeAll(async () => {
    kam = await startKamailio();
  });

  /** A door registered at kamailio as door@doorsip.test. */
  function registeredDoor(label: string, o: DoorOptions = {}): Promise<Door> {
    return registeredAt(kam, startDoor, label, o);
  }

  it("a SIPp caller (407, credentials) calls door@doorsip.test through kamailio: the door answers with G.711", async () => {
    const door = await registeredDoor("door (called through kamailio)");
    const mark = door.trace.entries.length;
    const call = await runSipp({
      scenario: "uac-invite-auth.xml", remote: `127.0.0.1:${kam.port}`, service: USERS.door.user,
      authUser: USERS.sipp.user, authPassword: USERS.sipp.password, pauseMs: 200, timeoutS: 10,
    });
    expectOk(call);
    await until(() => door.intercom.ua.activeCalls === 0, "the call to end at the door", 2000);
    // The caller was challenged by kamailio, not by the door.
    const atCaller = sippMessages(call.messages).filter((m) => m.dir === "received").map((m) => statusOf(m.text));
    expect(atCaller).toContain(407);
    expect(atCaller.at(-1)).toBe(200);
    // The door saw the authenticated INVITE with kamailio's Record-Route, and answered with G.711.
    const entries = door.trace.entries.slice(mark);
    expect(ladder(entries).filter((s) => s !== "out 100 INVITE")).toEqual([
      "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
    ]);
    const invite = entries.find((e) => e.dir === "in" && firstLine(e.text).startsWith("INVITE "))!;
    expect(firstLine(invite.text)).toBe(`INVITE sip:door@127.0.0.1:${door.port} SIP/2.0`);
    expect(invite.port).toBe(kam.port);
    expect(headerValue(invite.text, "Record-Route")).toMatch(new RegExp(`^<sip:127\\.0\\.0\\.1:${kam.port};lr`));
    const ok = door.trace.responses("out", "INVITE").find((e) => statusOf(e.text) === 200)!;
    expect(ok.port).toBe(kam.port);
    expect(g711Answer(ok.text)).toBe(true);
    // §12.1.1: the 2xx carries the route set back.
    expect(headerValues(ok.text, "Record-Route").join(",")).toMatch(new RegExp(`sip:127\\.0\\.0\\.1:${kam.port};lr`));
    expect(door.events.filter((e) => e.event === IntercomEvent.CallUp).length).toBe(1);
    await door.stop();
    expect(await kam.contacts(USERS.door.user)).toEqual([]);
  });

  it("the doorbell calls a SIPp UAS registered at kamailio, answering kamailio's 407: INVITE, 407, ACK, INVITE (auth), 100, 180, 200, ACK, BYE, 200", async () => {
    // SIPp registers user "sipp" from the port its UAS then answers on.
    const uasPort = await registerSippPort(kam, USERS.sipp);
    const uas = await startSipp({ scenario: "uas-answer.xml", service: USERS.sipp.user, port: uasPort, timeoutS: 12 });

    const door = await registeredDoor("door (doorbell through kamailio)", { settings: { targets: [USERS.sipp.user] } });
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
    expect(headerValue(bye.text, "Route")).toMatch(new RegExp(`^<sip:127\\.0\\.0\\.1:${kam.port};lr`));
    // The UAS saw the call relayed by kamailio.
    expect(door.eventNames().slice(events)).toEqual(expect.arrayContaining(["button pressed", "ringing", "call up", "call down"]));
  });
});
