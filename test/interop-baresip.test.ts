/*
 * baresip (Debian's package) as the desk phone. It starts headless on
 * 127.0.0.1 with a generated config (no audio device, no UI module),
 * registers at kamailio as user 100 with digest auth, is reachable through
 * kamailio, and removes its binding when stopped by PID (SIGTERM).
 *
 * Calls with the real intercom (NodeIntercom, registered at the same
 * kamailio as door), the scenarios of test/support/interop-scenarios.ts
 * (run inside XS by test/interop-xs.test.ts): baresip dials the door (a
 * ctrl_tcp "dial" command; kamailio asks baresip for proxy credentials) and
 * the door answers with G.711; the doorbell calls baresip (extension 100,
 * answermode=auto), the door answering kamailio's 407, and hangs up. Both
 * sides' traces are checked: the door's SipTrace and baresip's own (-s)
 * plus its ctrl_tcp call events.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  headerValue, requirePeers, sipRequest, startBaresip, startKamailio, statusOf, until, usePeers, USERS, type Kamailio,
} from "./support/peers";
import { baresipCallScenarios, NODE_DOOR } from "./support/interop-scenarios";

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

baresipCallScenarios(NODE_DOOR);
