/*
 * Interop with kamailio (Debian's package) as registrar: the intercom's
 * core (TransactionLayer + Registration + Keepalive, with the Node host's
 * UDP, clock, hash and randomness) against test/interop/kamailio.cfg on
 * 127.0.0.1:<free port>. Real time throughout: kamailio's timers are real.
 *
 * Checked: RFC 3261 §10.2 and §22 against a real registrar (401 -> digest
 * -> 200, seen in the trace at our socket), the binding in kamailio's
 * location table (kamcmd ul.lookup), requests to the AOR routed to our
 * Contact (§10.3, §16.6), a real refresh of a 10 s binding, 423 with
 * Min-Expires (§10.2.8), OPTIONS keepalive answered (§11), a wrong password
 * (AuthFailed, no loop), unregister on stop (binding gone, §10.2.2), and a
 * kamailio restarted on its port, its bindings forgotten: the keepalive's
 * late answer has the door register again at once.
 * Peers and traces are printed when a test fails (see test/support/peers.ts).
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { NodeClock } from "../hosts/node/clock";
import { NodeHash } from "../hosts/node/hash";
import { NodeRandom } from "../hosts/node/random";
import { NodeUdp } from "../hosts/node/udp";
import { ascii } from "../src/sip/message/bytes";
import type { SipMessage } from "../src/sip/message/message";
import { writeResponseHead } from "../src/sip/message/response";
import { SipWriter } from "../src/sip/message/writer";
import type { ServerTransactionHandle, ServerTransactionUser } from "../src/sip/transaction/api";
import { TransactionLayer } from "../src/sip/transaction/layer";
import { TimerQueue } from "../src/sip/timer/timer-queue";
import type { AccountConfig } from "../src/ua/account";
import { Keepalive } from "../src/ua/keepalive";
import { RegState, Registration } from "../src/ua/registration";
import { MemoryLog } from "./support/registrar-setup";
import {
  contactsWithin, firstLine, headerValue, requirePeers, restartKamailio, SipTrace, sipRequest, startKamailio, statusOf, trackTrace, until,
  usePeers, USERS, REALM, type Kamailio,
} from "./support/peers";
import { expectChallengedRegistration, expectRefresh, expectUnregistered } from "./support/interop-registration";

usePeers();
const peers = requirePeers("kamailio", "kamcmd");

/** Answers every request with 200 (To tag "interop") and records its request line: stands in for the UA above the layer. */
class Answering implements ServerTransactionUser {
  readonly requests: string[] = [];
  private readonly w = new SipWriter(1300);
  onRequest(tx: ServerTransactionHandle, msg: SipMessage): void {
    this.requests.push(firstLine(Buffer.from(msg.buf.subarray(0, msg.length)).toString("latin1")));
    const w = this.w.reset();
    const tag = ascii("interop");
    if (writeResponseHead(w, msg, 200, ascii("OK"), tag, tag.length, false)) {
      w.end();
      tx.respond(w, 200);
    }
  }
  onAck(): void {}
  onCancel(): void {}
  onServerTimeout(): void {}
}

interface Core {
  layer: TransactionLayer;
  udp: NodeUdp;
  clock: NodeClock;
  reg: Registration;
  ka: Keepalive;
  trace: SipTrace;
  user: Answering;
  log: MemoryLog;
  states: RegState[];
}

const cores: Core[] = [];

/** The door's core on the Node host, wired to kamailio, every datagram traced. */
async function core(kam: Kamailio, account: Partial<AccountConfig>, keepaliveSeconds = 1): Promise<Core> {
  const clock = new NodeClock();
  const log = new MemoryLog();
  const timers = new TimerQueue(clock, log);
  clock.attach(timers);
  const random = new NodeRandom();
  const user = new Answering();
  const trace = trackTrace(`door core (${account.user ?? USERS.door.user})`, new SipTrace());
  const layer = new TransactionLayer({ queue: timers, random, user, log });
  const udp = await NodeUdp.bind({ receiver: trace.receiver(layer), address: "127.0.0.1", port: 0 });
  layer.attach(trace.host(udp));
  const full: AccountConfig = {
    registrarHost: "127.0.0.1",
    registrarPort: kam.port,
    domain: REALM,
    user: USERS.door.user,
    password: USERS.door.password,
    ...account,
  };
  const states: RegState[] = [];
  const reg = new Registration({
    account: full, layer, timers, random, hash: new NodeHash(), log,
    listener: { onRegistrationState: (s) => void states.push(s) },
  });
  const ka = new Keepalive({ account: full, layer, timers, random, log, listener: reg, intervalSeconds: keepaliveSeconds });
  const c: Core = { layer, udp, clock, reg, ka, trace, user, log, states };
  cores.push(c);
  return c;
}

afterEach(async () => {
  for (const c of cores.splice(0)) {
    c.ka.stop();
    c.reg.stop();
    // Leave no binding behind for the next test (bounded: a failed test may have left anything).
    await until(() => c.reg.state === RegState.Unregistered, "Unregistered after the test", 3000).catch(() => {});
    c.clock.close();
    await c.udp.close();
  }
});

function request(kam: Kamailio, method: string, uri: string): Promise<string> {
  return sipRequest(kam.port, method, uri);
}

describe.skipIf(peers.skip)("interop: the door's registration and keepalive at kamailio", () => {
  let kam: Kamailio;

  beforeAll(async () => {
    kam = await startKamailio();
  });

  it("kamailio runs as the PID we spawned and answers OPTIONS with Allow", async () => {
    const { readFileSync } = await import("node:fs");
    expect(Number(readFileSync(`${kam.dir}/kamailio.pid`, "latin1").trim())).toBe(kam.peer.pid);
    const answer = await request(kam, "OPTIONS", `sip:127.0.0.1:${kam.port}`);
    expect(statusOf(answer)).toBe(200);
    expect(headerValue(answer, "Allow")).toContain("INVITE");
    expect(await kam.contacts("door")).toEqual([]);
  });

  it("registers with 401 then 200, is reachable through kamailio, refreshes, keeps alive, unregisters", async () => {
    const c = await core(kam, { expires: 10 });
    c.reg.start();
    await until(() => c.reg.state === RegState.Registered, "Registered");

    // What went over the wire, seen at our socket: the registration and nothing else.
    const contact = `sip:door@127.0.0.1:${c.udp.localPort}`;
    expect(c.trace.entries.length).toBe(4);
    expectChallengedRegistration(c.trace, contact, 10);
    expect(c.reg.granted).toBeGreaterThanOrEqual(9);
    expect(c.reg.granted).toBeLessThanOrEqual(10);

    // kamailio's location table holds our binding.
    expect(await kam.contacts("door")).toEqual([contact]);

    // A request for the AOR goes through kamailio to our socket (and our 200 comes back).
    const routed = await request(kam, "OPTIONS", `sip:door@${REALM}`);
    expect(statusOf(routed)).toBe(200);
    expect(c.user.requests).toEqual([`OPTIONS ${contact} SIP/2.0`]);
    // Nobody else is registered: 404.
    expect(statusOf(await request(kam, "OPTIONS", `sip:nobody@${REALM}`))).toBe(404);

    // Keepalive every second: kamailio answers each OPTIONS.
    c.ka.start();
    await until(() => c.ka.answered >= 2, "two keepalives answered", 5000);
    expect(c.ka.misses).toBe(0);
    const pings = c.trace.requests("out", "OPTIONS");
    expect(firstLine(pings[0]!.text)).toBe(`OPTIONS sip:127.0.0.1:${kam.port} SIP/2.0`);
    expect(c.trace.responses("in", "OPTIONS").map((e) => statusOf(e.text)).slice(0, 2)).toEqual([200, 200]);

    // The refresh of a 10 s binding comes after 5 s (refresh rule: half of a short binding).
    await expectRefresh(c.trace);
    expect(c.reg.state).toBe(RegState.Registered);
    expect(c.states.filter((s) => s !== RegState.Registered && s !== RegState.Registering)).toEqual([]);
    expect(await kam.contacts("door")).toEqual([contact]);

    // Stop: the binding is removed.
    c.ka.stop();
    c.reg.stop();
    await until(() => c.reg.state === RegState.Unregistered, "Unregistered");
    await expectUnregistered(c.trace, kam, USERS.door.user);
    expect(c.layer.counters.userErrors).toBe(0);
    expect(c.log.errors).toEqual([]);
  });

  it("kamailio restarts and forgets the binding (usrloc in memory): the door registers again at once, not at its refresh", async () => {
    // A kamailio of its own, restarted on the same port; keepalive every 2 s, a binding of an hour (refresh in ~30 min).
    const own = await startKamailio();
    let again: Kamailio | null = null;
    try {
      const c = await core(own, { expires: 3600 }, 2);
      c.reg.start();
      await until(() => c.reg.state === RegState.Registered, "Registered");
      const contact = `sip:door@127.0.0.1:${c.udp.localPort}`;
      expect(await own.contacts("door")).toEqual([contact]);
      c.ka.start();
      await until(() => c.ka.answered >= 1, "a keepalive answered", 5000);
      // Down for 7 s: longer than the keepalive's interval + 3.5 s (5.5 s), so an OPTIONS goes unanswered for 3.5 s
      // or more and is answered only after its retransmissions, never missed (Timer F is 32 s).
      const downAt = Date.now();
      const restarted = await restartKamailio(own, 7000);
      again = restarted.kam;
      const upAt = restarted.upAt;
      expect(await again.contacts("door")).toEqual([]);
      const registersBefore = c.trace.requests("out", "REGISTER").length;
      expect(await contactsWithin(again, "door", 10_000), "registered again at the restarted kamailio within 10 s").toEqual([contact]);
      // Registered again within a retransmission interval (T2, 4 s) and a challenge of the restart, by the REGISTERs
      // that followed the late answer; the keepalive missed nothing and the registration never left Registered.
      expect(Date.now() - upAt).toBeLessThan(8000);
      expect(c.trace.requests("out", "REGISTER").length - registersBefore).toBeGreaterThanOrEqual(1);
      expect(c.ka.misses).toBe(0);
      expect(c.states.filter((st) => st !== RegState.Registered && st !== RegState.Registering)).toEqual([]);
      expect(c.log.lines.some((l) => l.includes("keepalive: server answered only after"))).toBe(true);
      expect(downAt).toBeLessThan(upAt);
    } finally {
      if (again !== null) await again.peer.stop(3000);
      await own.peer.stop(3000);
    }
  }, 60_000);

  it("raises a too-short expiry to kamailio's Min-Expires after 423", async () => {
    const c = await core(kam, { expires: 5 }, 0);
    c.reg.start();
    await until(() => c.reg.state === RegState.Registered, "Registered");
    const statuses = c.trace.responses("in", "REGISTER").map((e) => statusOf(e.text));
    expect(statuses).toEqual([401, 423, 200]);
    const answer423 = c.trace.responses("in", "REGISTER")[1]!.text;
    expect(headerValue(answer423, "Min-Expires")).toBe("10");
    expect(headerValue(c.trace.requests("out", "REGISTER")[2]!.text, "Contact")).toMatch(/;expires=10$/);
    expect(c.reg.expires).toBe(10);
    c.reg.stop();
    await until(() => c.reg.state === RegState.Unregistered, "Unregistered");
    expect(await kam.contacts("door")).toEqual([]);
  });

  it("a wrong password ends in AuthFailed without a loop of REGISTERs", async () => {
    const c = await core(kam, { password: "not-the-password" }, 0);
    c.reg.start();
    await until(() => c.reg.state === RegState.AuthFailed, "AuthFailed");
    expect(c.trace.responses("in", "REGISTER").map((e) => statusOf(e.text))).toEqual([401, 401]);
    await new Promise((r) => setTimeout(r, 300));
    expect(c.trace.requests("out", "REGISTER").length).toBe(2);
    expect(await kam.contacts("door")).toEqual([]);
  });
});
