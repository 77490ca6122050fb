/*
 * The key interop scenarios with the door's core inside the real XS engine:
 * XsIntercom (hosts/xs: the unmodified core's Intercom in a doorsip-xs
 * worker, UDP and timers bridged from Node) on 127.0.0.1, against the real
 * peers. The call scenarios are those the Node door runs
 * (test/support/interop-scenarios.ts, with XS_DOOR):
 * - SIPp straight at the door: a call with BYE, CANCEL -> 487, OPTIONS ->
 *   200 with Allow, an unknown method -> 501, junk then an OPTIONS still
 *   answered, a re-INVITE, an INFO door code that opens the door, and 200
 *   calls in a row at 20/s on a small XS heap (XS collects garbage during
 *   the burst), after which no call, transaction or dialog is left; without
 *   the allowlist, a call gets 403;
 * - through kamailio: called by a SIPp caller (kamailio's 407 to the
 *   caller), answering with G.711, and the doorbell calling a SIPp UAS
 *   registered at kamailio, answering kamailio's 407;
 * - baresip registered at kamailio calls the door, and the doorbell calls it.
 * Only here: the whole intercom registers at kamailio (401, then 200; the
 * MD5 digest computed in XS), refreshes a 10 s binding with nc=2, keeps
 * alive with OPTIONS, and unregisters on stop (the Node door's core does
 * the same in test/interop-kamailio.test.ts, with the same checks of
 * test/support/interop-registration.ts).
 * The door is checked at its own socket (SipTrace from the runtime's tap)
 * and through the XS side's status (calls, tables, caught errors, heap).
 * Peers' logs, the SIP trace, the door's log and the worker's state are
 * printed when a test fails; peers are stopped by PID (usePeers).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { IntercomEvent } from "../src/app/intercom";
import { ensureWorker } from "../hosts/xs/build-worker.mjs";
import { firstLine, requirePeers, statusOf, until, USERS, usePeers } from "./support/peers";
import { baresipCallScenarios, directCallScenarios, kamailioCallScenarios, useKamailio } from "./support/interop-scenarios";
import { expectChallengedRegistration, expectRefresh, expectUnregistered } from "./support/interop-registration";
import { expectCleanXs, startXsDoor, XS_DOOR } from "./support/interop-xs-door";

usePeers();
const sippCheck = requirePeers("sipp");
const kamCheck = requirePeers("sipp", "kamailio", "kamcmd");
const baresipCheck = requirePeers("baresip", "kamailio", "kamcmd");

beforeAll(async () => {
  // Built once (about 20 s the first time, then reused), so that the tests time only themselves.
  if (!sippCheck.skip || !kamCheck.skip || !baresipCheck.skip) await ensureWorker();
}, 180_000);

directCallScenarios(XS_DOOR);
kamailioCallScenarios(XS_DOOR);
baresipCallScenarios(XS_DOOR);

describe.skipIf(kamCheck.skip)("interop inside XS: registration at kamailio", () => {
  const kamailio = useKamailio();

  it("registers with 401 then 200, keeps alive with OPTIONS, refreshes a 10 s binding, unregisters on stop", async () => {
    const kam = kamailio();
    await kam.kamcmd("ul.rm", "location", `s:${USERS.door.user}`);
    const door = await startXsDoor({
      label: "XS door (registration)",
      settings: { register: true, keepaliveSeconds: 1 },
      account: { registrarPort: kam.port, expires: 10 },
    });
    await door.waitEvent(IntercomEvent.Registered, 0, 5000);
    const contact = `sip:door@127.0.0.1:${door.port}`;
    // The digest was computed inside XS (hosts/xs/digest.ts), and kamailio accepted it.
    expectChallengedRegistration(door.trace, contact, 10);
    expect(await kam.contacts(USERS.door.user)).toEqual([contact]);

    // Keepalive every second, answered by kamailio.
    await until(() => door.trace.responses("in", "OPTIONS").filter((e) => statusOf(e.text) === 200).length >= 2, "two keepalives answered", 5000, 20);
    expect(firstLine(door.trace.requests("out", "OPTIONS")[0]!.text)).toMatch(new RegExp(`^OPTIONS sip:[^ ]*127\\.0\\.0\\.1:${kam.port}[; ]`));

    // The refresh of the 10 s binding, with the same nonce (nc=2) and Call-ID, and the next CSeq.
    await expectRefresh(door.trace);
    expect((await door.status()).registered).toBe(true);
    expect(await kam.contacts(USERS.door.user)).toEqual([contact]);
    await expectCleanXs(door);

    // Stop: unregistered (Expires: 0, 200), the binding is gone.
    const from = door.events.length;
    await door.stop();
    expect(door.eventNames().slice(from)).toContain("unregistered");
    await expectUnregistered(door.trace, kam, USERS.door.user);
    expect(door.runtime.running).toBe(false);
  }, 30_000);
});
