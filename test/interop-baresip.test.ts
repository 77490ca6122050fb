/*
 * baresip (Debian's package) as the desk phone. It starts headless on
 * 127.0.0.1 with a generated config (no audio device, no UI module),
 * registers at kamailio as user 100 with digest auth, is reachable through
 * kamailio, and removes its binding when stopped by PID (SIGTERM).
 *
 * Calls with the real intercom (NodeIntercom, registered at the same
 * kamailio as door): baresip dials the door (a ctrl_tcp "dial" command;
 * kamailio asks baresip for proxy credentials) and the door answers with
 * G.711; the doorbell calls baresip (extension 100, answermode=auto), the
 * door answering kamailio's 407, and hangs up. Both sides' traces are
 * checked: the door's SipTrace and baresip's own (-s) plus its ctrl_tcp
 * call events.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { IntercomEvent } from "../src/app/intercom";
import {
  bodyOf, firstLine, g711Answer, headerValue, requirePeers, sipRequest, startBaresip, startDoor, startKamailio, statusOf, until, usePeers,
  USERS, REALM, type Door, type Kamailio,
} from "./support/peers";
import { autoAnswerPhone, ladder, registeredDoor as registeredAt } from "./support/interop-calls";

usePeers();
const peers = requirePeers("baresip", "kamailio", "kamcmd");

describe.skipIf(peers.skip)("interop: baresip registers at kamailio", () => {
  let kam: Kamailio;

  beforeAll(async () => {
    kam = await startKamailio();
  });

  it("registers as 100 (401 then 200), answers OPTIONS routed by kamailio, unregisters on SIGTERM", async () => {
    const phone = await startBaresip({ registrarPort: kam.port, user: USERS.desk.user, password: USERS.desk.password });
    const contacts = await kam.contacts(USERS.desk.user);
    expect(contacts.length).toBe(1);
    expect(contacts[0]).toMatch(new RegExp(`^sip:100[^@]*@127\\.0\\.0\\.1:${phone.port}\\b`));
    // baresip's own SIP trace (-s): challenged, then accepted.
    const statuses = (text: string): number[] => [...text.matchAll(/^SIP\/2\.0 (\d{3}) /gm)].map((m) => Number(m[1]));
    expect(statuses(phone.peer.log.since(0))).toEqual([401, 200]);
    expect(phone.peer.log.since(0)).toMatch(/^Authorization: Digest username="100", realm="doorsip\.test"/m);

    // An OPTIONS for sip:100@doorsip.test goes through kamailio to baresip, which answers.
    const answer = await sipRequest(kam.port, "OPTIONS", "sip:100@doorsip.test");
    expect(statusOf(answer)).toBe(200);
    expect(headerValue(answer, "User-Agent") ?? headerValue(answer, "Server")).toMatch(/baresip/);

    const beforeStop = phone.peer.mark();
    const exit = await phone.peer.stop(5000);
    expect(exit.signal === null || exit.signal === "SIGTERM").toBe(true);
    await until(() => !phone.peer.running, "baresip to exit", 5000);
    // It removed its binding on the way out (expires=0, challenged again, then 200).
    expect(phone.peer.log.since(beforeStop)).toMatch(/^Contact: <[^>]*>;expires=0/m);
    expect(statuses(phone.peer.log.since(beforeStop)).at(-1)).toBe(200);
    expect(await kam.contacts(USERS.desk.user)).toEqual([]);
  });
});

describe.skipIf(peers.skip)("interop: calls between baresip and the intercom through kamailio", () => {
  let kam: Kamailio;

  beforeAll(async () => {
    kam = await startKamailio();
  });

  /** The door registered at kamailio as door@doorsip.test; the doorbell calls extension 100. */
  function registeredDoor(label: string): Promise<Door> {
    return registeredAt(kam, startDoor, label, { settings: { targets: [USERS.desk.user] } });
  }

  /** baresip as 100, auto-answering, with its ctrl_tcp connection. */
  function phone() {
    return autoAnswerPhone(kam);
  }

  it("baresip dials the door (407 from kamailio, credentials), the door answers with G.711, baresip hangs up", async () => {
    const door = await registeredDoor("door (called by baresip)");
    const desk = await phone();
    const mark = door.trace.entries.length;
    const logMark = desk.peer.mark();
    const events = desk.control.events.length;

    const dialed = await desk.control.command("dial", `sip:door@127.0.0.1:${kam.port}`);
    expect(dialed.ok).toBe(true);
    await desk.control.waitEvent("CALL_ESTABLISHED", events, 5000);
    await door.waitEvent(IntercomEvent.CallUp, 0, 2000);
    expect((await desk.control.command("hangup")).ok).toBe(true);
    await door.waitEvent(IntercomEvent.CallDown, 0, 5000);
    await desk.control.waitEvent("CALL_CLOSED", events, 5000);

    // At the door: the call came from kamailio, was answered with G.711, ended by baresip's BYE.
    const entries = door.trace.entries.slice(mark);
    expect(ladder(entries).filter((s) => s !== "out 100 INVITE")).toEqual([
      "in INVITE", "out 180 INVITE", "out 200 INVITE", "in ACK", "in BYE", "out 200 BYE",
    ]);
    for (const e of entries) expect(e.port).toBe(kam.port);
    const invite = entries[0]!.text;
    expect(firstLine(invite)).toBe(`INVITE sip:door@127.0.0.1:${door.port} SIP/2.0`);
    expect(headerValue(invite, "From")).toMatch(/sip:100@/);
    expect(headerValue(invite, "Record-Route")).toMatch(new RegExp(`^<sip:127\\.0\\.0\\.1:${kam.port};lr`));
    expect(bodyOf(invite)).toMatch(/^m=audio \d+ RTP\/AVP( \d+)*( 0| 8)/m);
    const ok = entries.find((e) => e.dir === "out" && statusOf(e.text) === 200 && /INVITE/.test(headerValue(e.text, "CSeq") ?? ""))!;
    expect(g711Answer(ok.text)).toBe(true);
    expect(door.eventNames()).toEqual(expect.arrayContaining(["incoming call", "call up", "call down"]));

    // At baresip (-s trace): challenged by kamailio (407), then the door's 200.
    const seen = desk.peer.log.since(logMark);
    expect(seen).toMatch(/^SIP\/2\.0 407 /m);
    expect(seen).toMatch(/^Proxy-Authorization: Digest username="100", realm="doorsip\.test"/m);
    expect(seen).toMatch(/^SIP\/2\.0 200 OK\r?\n[\s\S]*?^Server: doorsip/m);
    expect(door.intercom.ua.activeCalls).toBe(0);
    await desk.peer.stop(5000);
    await door.stop();
  });

  it("the doorbell calls baresip (auto-answer): INVITE, 407, ACK, INVITE with credentials, 100, 180, 200, ACK; the door hangs up", async () => {
    const door = await registeredDoor("door (calls baresip)");
    const desk = await phone();
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

    const entries = door.trace.entries.slice(mark);
    expect(ladder(entries).filter((s) => s !== "in 180 INVITE" && s !== "in 183 INVITE")).toEqual([
      "out INVITE", "in 407 INVITE", "out ACK", "out INVITE", "in 100 INVITE", "in 200 INVITE", "out ACK", "out BYE", "in 200 BYE",
    ]);
    for (const e of entries) expect(e.port).toBe(kam.port);
    const [first, , , second] = entries.map((e) => e.text);
    expect(firstLine(first!)).toBe(`INVITE sip:100@${REALM} SIP/2.0`);
    expect(headerValue(second!, "Proxy-Authorization")).toMatch(/^Digest username="door", realm="doorsip\.test"/);
    const ok = entries.find((e) => e.dir === "in" && statusOf(e.text) === 200 && /INVITE/.test(headerValue(e.text, "CSeq") ?? ""))!;
    expect(headerValue(ok.text, "User-Agent") ?? headerValue(ok.text, "Server") ?? "").toMatch(/baresip/);
    expect(g711Answer(ok.text)).toBe(true);
    expect(door.eventNames().slice(from)).toEqual(expect.arrayContaining(["button pressed", "call up", "call down", "hunt over"]));
    expect(door.intercom.ua.activeCalls).toBe(0);
    await desk.peer.stop(5000);
    await door.stop();
  });
});
