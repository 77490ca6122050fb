/*
 * The PBX moves to another address, and the door follows it without a
 * reboot (src/ua/server-name.ts): the whole Intercom on the virtual clock,
 * on a real UDP socket on 127.0.0.1, with the Node host's resolver
 * (hosts/node/resolver.ts) asking a real DNS server on 127.0.0.1
 * (test/support/dns-server.ts) for "pbx.test", and two built-in loopback
 * PBXes (hosts/node/pbx) for the same domain on the same port: one on
 * 127.0.0.1, one on 127.0.0.2 (both loopback). The door's timers run on the
 * virtual clock, pumped in steps with a short real wait between them for
 * the peers and the DNS answer (as in test/loss-udp.test.ts).
 *
 * Shown:
 * - the PBX at 127.0.0.1 goes away and "pbx.test" now gives 127.0.0.2: the
 *   keepalive reports the server lost, the door looks the name up (one DNS
 *   query), moves, registers at 127.0.0.2 at once (401, then 200) and keeps
 *   alive there (OPTIONS naming the new address, §11); calls follow: the
 *   desk phone at the new PBX calls the door (trusted: the new server's
 *   address), and the doorbell's INVITE goes to the new PBX; an INVITE from
 *   the old address is now an untrusted stranger's (403);
 * - when the network comes back the door registers again and does not
 *   look the name up (a server that answers is not left);
 * - with no keepalive, a REGISTER refresh that gets no answer asks too;
 * - with registration off, the keepalive alone: a name whose record changes
 *   only after the first lookup is still followed (each unanswered OPTIONS
 *   while the server is lost asks, a minute apart), and the first OPTIONS
 *   after the move goes at once;
 * - a name that does not resolve for a while: the door stays, retries, and
 *   moves once the name gives an address again (lookups RESOLVE_INTERVAL_MS
 *   apart, not one per failure).
 */
import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { Intercom, IntercomEvent, intercomEventName, type IntercomSettings } from "../src/app/intercom";
import { LogLevel } from "../src/host";
import { RESOLVE_INTERVAL_MS } from "../src/ua/server-name";
import { NodeHash } from "../hosts/node/hash";
import { NodeResolver } from "../hosts/node/resolver";
import { NodeUdp } from "../hosts/node/udp";
import { LoopbackPbx, type CallResult, type PacketEvent } from "../hosts/node/pbx/index";
import { PinsRecorder } from "./support/call-harness";
import { TestDnsServer } from "./support/dns-server";
import { SeededRandom } from "./support/seeded-random";
import { VirtualClock } from "./support/virtual-clock";
import { describeStation, names, pump, REAL_WAIT_MS } from "./support/station-pump";

const NAME = "pbx.test";
const OLD = "127.0.0.1";
const NEW = "127.0.0.2";

interface Rig {
  dns: TestDnsServer;
  pbxOld: LoopbackPbx;
  pbxNew: LoopbackPbx;
  clock: VirtualClock;
  udp: NodeUdp;
  resolver: NodeResolver;
  intercom: Intercom;
  pins: PinsRecorder;
  events: Array<{ name: string; detail: string; at: number }>;
  errors: string[];
  log: string[];
  /** What the new PBX exchanged with the door. */
  wireNew: PacketEvent[];
}

const open: Rig[] = [];

afterEach(async () => {
  for (const r of open.splice(0)) {
    r.intercom.stop();
    r.resolver.close();
    await r.udp.close();
    await r.pbxOld.stop();
    await r.pbxNew.stop();
    await r.dns.stop();
  }
});

async function rig(settings: Partial<IntercomSettings> = {}, expires?: number): Promise<Rig> {
  const dns = await TestDnsServer.start();
  dns.names.set(NAME, OLD);
  const pbxOld = await LoopbackPbx.start({ address: OLD, domain: NAME, phoneUser: false });
  let doorEndpoint = "";
  const wireNew: PacketEvent[] = [];
  // The same domain and port at another address: the PBX as it is after the move (its desk phone there too).
  const pbxNew = await LoopbackPbx.start({
    address: NEW, port: pbxOld.port, domain: NAME, answerMs: 40, hangupMs: 150, dtmfDelayMs: 30, dtmfGapMs: 10, doorCode: "",
    tap: (ev) => {
      if (ev.from === doorEndpoint || ev.to === doorEndpoint) wireNew.push(ev);
    },
  });
  const clock = new VirtualClock(0);
  const pins = new PinsRecorder();
  const errors: string[] = [];
  const log: string[] = [];
  const resolver = new NodeResolver({ servers: [dns.endpoint], timeoutMs: 1000 });
  let intercom: Intercom | null = null;
  const udp = await NodeUdp.bind({ receiver: { receive: (d, l, a, p) => intercom?.receiver.receive(d, l, a, p) }, address: OLD, port: 0 });
  doorEndpoint = `${OLD}:${udp.localPort}`;
  intercom = new Intercom(
    {
      clock, random: new SeededRandom(11), hash: new NodeHash(), pins, udp, resolver,
      log: { log: (level: LogLevel, text: string) => {
        log.push(`+${clock.now()} ${text}`);
        if (level === LogLevel.Error) errors.push(text);
      } },
    },
    {
      account: { ...pbxOld.door.account, serverName: NAME, expires },
      targets: [pbxNew.door.target],
      keepaliveSeconds: 5,
      ...settings,
    },
  );
  clock.attach(intercom.timers);
  const events: Rig["events"] = [];
  intercom.listener = {
    onIntercomEvent: (e: IntercomEvent, _call, detail: string) => void events.push({ name: intercomEventName(e), detail, at: clock.now() }),
  };
  const r: Rig = { dns, pbxOld, pbxNew, clock, udp, resolver, intercom, pins, events, errors, log, wireNew };
  open.push(r);
  return r;
}

/** Let `virtualMs` of the door's time pass in 1 s steps, with the same short real wait per step as pump(). */
async function runFor(r: Rig, virtualMs: number): Promise<void> {
  const end = r.clock.now() + virtualMs;
  while (r.clock.now() < end) {
    r.clock.advance(Math.min(1000, end - r.clock.now()));
    await new Promise((resolve) => setTimeout(resolve, REAL_WAIT_MS));
  }
}

/** Start lines the door sent to the new PBX ("REGISTER sip:pbx.test", "OPTIONS sip:127.0.0.2:5060"...). */
function sentToNew(r: Rig): string[] {
  return r.wireNew.filter((ev) => ev.to === `${NEW}:${r.pbxNew.port}`).map((ev) => {
    const text = Buffer.from(ev.bytes).toString("latin1");
    return text.slice(0, text.indexOf("\r\n"));
  });
}

function header(ev: PacketEvent, name: string): string | undefined {
  const text = Buffer.from(ev.bytes).toString("latin1");
  return new RegExp(`\\r\\n${name}:\\s*([^\\r]*)`, "i").exec(text)?.[1];
}

async function registerAtOld(r: Rig): Promise<void> {
  r.intercom.start();
  await pump(r, () => r.intercom.registered, "the door to register at the old address");
  expect(r.pbxOld.server.lookup("door").length).toBe(1);
  expect(r.dns.queries).toEqual([]); // the host resolved the name before start: the core asks only on failure
}

/** The old PBX goes away; the name gives the new address from now on. */
async function move(r: Rig): Promise<void> {
  await r.pbxOld.stop();
  r.dns.names.set(NAME, NEW);
}

/** An INVITE to the door from `address`:`port` on a socket of the test's own: the status line it gets back. */
async function inviteFrom(r: Rig, address: string, port: number): Promise<string> {
  const socket = createSocket("udp4");
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, address, () => resolve());
  });
  try {
    const branch = "z9hG4bKstranger" + port;
    const invite = `INVITE sip:door@${OLD}:${r.udp.localPort} SIP/2.0\r\nVia: SIP/2.0/UDP ${address}:${port};branch=${branch}\r\n` +
      `Max-Forwards: 70\r\nFrom: <sip:mallory@${NAME}>;tag=m1\r\nTo: <sip:door@${NAME}>\r\nCall-ID: stranger-${port}@${address}\r\n` +
      `CSeq: 1 INVITE\r\nContact: <sip:mallory@${address}:${port}>\r\nContent-Length: 0\r\n\r\n`;
    let reply = "";
    socket.on("message", (m) => {
      const line = m.toString("latin1").split("\r\n")[0]!;
      if (!line.startsWith("SIP/2.0 1")) reply = line;
    });
    socket.send(invite, r.udp.localPort, OLD);
    await pump(r, () => reply !== "", "an answer to the INVITE from " + address, { virtualMs: 5000 });
    return reply;
  } finally {
    socket.close();
  }
}

describe("the server moves: the door follows its name", () => {
  it("server lost -> one DNS lookup -> moved: registered, kept alive and called at the new address; the old one is a stranger", async () => {
    const r = await rig();
    await registerAtOld(r);
    // The doorbell before the move: its target's next hop (the old address) is what dial() keeps for the next press.
    r.intercom.press();
    await pump(r, () => names(r).includes("hunt over") && r.intercom.ua.activeCalls === 0, "the doorbell call at the old PBX to end", { realMs: 15_000 });
    const mark = r.events.length;
    await move(r);
    // 3 OPTIONS unanswered (5 s apart, Timer F 32 s each): lost, then the lookup and the move.
    await pump(r, () => r.intercom.registered && names(r, mark).includes("server moved") && names(r, mark).lastIndexOf("registered") > names(r, mark).indexOf("server moved"),
      "the door to move and register at the new address", { stepMs: 100, virtualMs: 200_000 });
    const moved = r.events.slice(mark).find((e) => e.name === "server moved")!;
    expect(moved.detail).toBe(`${NAME} ${OLD} -> ${NEW}`);
    // (The keepalive pings the new address at once: its "server alive" may come before or after "registered".)
    expect(names(r, mark).filter((n) => n !== "registration failed" && n !== "server alive").slice(0, 3), describeStation(r)).toEqual(["server lost", "server moved", "registered"]);
    expect(r.dns.queries, describeStation(r)).toEqual([{ name: NAME, type: 1 }]);
    expect(r.intercom.serverName!.address).toBe(NEW);
    // Registered at the new PBX: challenged, then accepted; the binding is there.
    expect(r.pbxNew.server.lookup("door").map((b) => b.contact)).toEqual([`sip:door@${OLD}:${r.udp.localPort}`]);
    expect(sentToNew(r).filter((l) => l.startsWith("REGISTER ")).length).toBe(2);
    // The keepalive goes there, naming it (§11: Request-URI and To the next hop).
    await pump(r, () => sentToNew(r).some((l) => l.startsWith("OPTIONS ")), "an OPTIONS to the new address", { stepMs: 100 });
    const opt = r.wireNew.find((ev) => Buffer.from(ev.bytes).toString("latin1").startsWith("OPTIONS "))!;
    expect(Buffer.from(opt.bytes).toString("latin1").split("\r\n")[0]).toBe(`OPTIONS sip:${NEW}:${r.pbxNew.port} SIP/2.0`);
    expect(header(opt, "To")).toBe(`<sip:${NEW}:${r.pbxNew.port}>`);
    await pump(r, () => names(r, mark).includes("server alive"), "the keepalive to see the server again", { stepMs: 100 });

    // The desk phone at the new PBX calls the door: the new server is trusted; the door answers.
    const from = r.events.length;
    let result: CallResult | undefined;
    void r.pbxNew.phone!.call("door").then((x) => (result = x));
    await pump(r, () => result !== undefined && r.intercom.ua.activeCalls === 0, "the call from the new PBX's phone to end", { realMs: 15_000 });
    expect(result!.reason, describeStation(r)).toBe("local-bye");
    expect(names(r, from).filter((n) => n === "incoming call" || n === "call up" || n === "call down")).toEqual(["incoming call", "call up", "call down"]);

    // The doorbell again: its INVITE goes to the new PBX, which rings the phone.
    const bell = r.events.length;
    r.intercom.press();
    await pump(r, () => names(r, bell).includes("hunt over") && r.intercom.ua.activeCalls === 0, "the doorbell call to end", { realMs: 15_000 });
    expect(names(r, bell), describeStation(r)).toContain("call up");
    expect(sentToNew(r).filter((l) => l.startsWith("INVITE ")).length).toBeGreaterThanOrEqual(1);

    // The old address is nobody now: an INVITE from it is a stranger's (403), where before the move it was the server's.
    expect(await inviteFrom(r, OLD, r.pbxOld.port)).toBe("SIP/2.0 403 Forbidden - Untrusted Source");
    expect(r.intercom.trust.counters.rejected).toBe(1);
    expect(r.errors).toEqual([]);
  }, 60_000);

  it("the network comes back: the door registers again at once, and does not look the name up (a server that answers is not left)", async () => {
    const r = await rig();
    await registerAtOld(r);
    const registrations = r.pbxOld.server.lookup("door").length;
    r.dns.names.set(NAME, NEW);
    const mark = r.events.length;
    let registered = 0;
    r.pbxOld.server.on("registered", () => registered++);
    r.intercom.networkUp();
    await pump(r, () => registered > 0, "the REGISTER after network up");
    // A minute on (keepalives answered meanwhile), and a moment of real time for a DNS query to arrive, were one sent.
    await runFor(r, RESOLVE_INTERVAL_MS);
    expect(r.intercom.serverName!.lookups).toBe(0);
    expect(r.dns.queries).toEqual([]);
    expect(names(r, mark)).not.toContain("server moved");
    expect(r.intercom.serverName!.address).toBe(OLD);
    expect(r.pbxOld.server.lookup("door").length).toBe(registrations);
    expect(r.errors).toEqual([]);
  }, 60_000);

  it("no keepalive: a REGISTER refresh that gets no answer asks too, and the door registers at the new address", async () => {
    // A 60 s binding is refreshed after 30 s (registration.ts); the refresh times out (Timer F, 32 s).
    const r = await rig({ keepaliveSeconds: 0 }, 60);
    await registerAtOld(r);
    const mark = r.events.length;
    await move(r);
    await pump(r, () => names(r, mark).includes("server moved") && r.intercom.registered && r.pbxNew.server.lookup("door").length === 1,
      "the door to move and register at the new address", { stepMs: 100, virtualMs: 200_000 });
    expect(names(r, mark), describeStation(r)).toEqual(["registration failed", "server moved", "registered"]);
    expect(r.events.find((e) => e.name === "registration failed")!.detail).toBe("408");
    expect(r.log.some((l) => l.includes(`server: looking up ${NAME} again (no answer to REGISTER)`))).toBe(true);
    expect(r.dns.queries.length).toBe(1);
    expect(r.errors).toEqual([]);
  }, 60_000);

  it("registration off, keepalive only: the name's record changes only after the first lookup; each unanswered OPTIONS while lost asks again (a minute apart), and the door follows", async () => {
    const r = await rig({ register: false });
    r.intercom.start();
    await r.pbxOld.stop();
    // Lost (3 unanswered OPTIONS), one lookup: the name still gives the old address (a dynamic DNS record not updated yet).
    await pump(r, () => r.dns.queries.length === 1 && !r.intercom.serverName!.busy, "the first lookup", { stepMs: 100, virtualMs: 200_000 });
    expect(r.log.some((l) => l.includes(`server: ${NAME} is still ${OLD}`)), describeStation(r)).toBe(true);
    const firstAt = r.clock.now();
    r.dns.names.set(NAME, NEW);
    await pump(r, () => names(r).includes("server moved") && names(r).includes("server alive"), "the move, and the keepalive answered at the new address",
      { stepMs: 200, virtualMs: 400_000 });
    expect(r.log.some((l) => l.includes(`server: looking up ${NAME} again (server still lost)`))).toBe(true);
    expect(r.dns.queries.length).toBe(2);
    expect(r.events.find((e) => e.name === "server moved")!.at - firstAt).toBeGreaterThanOrEqual(RESOLVE_INTERVAL_MS);
    // The first OPTIONS after the move goes at once (the LED stops showing a lost server without waiting an interval).
    const moved = r.events.find((e) => e.name === "server moved")!.at;
    const alive = r.events.find((e) => e.name === "server alive")!.at;
    expect(alive - moved).toBeLessThan(1000);
    expect(r.errors).toEqual([]);
  }, 60_000);

  it("a move that fails (the keepalive cannot make its new request: no memory) moves nothing; the next failure asks at once and moves everything", async () => {
    const r = await rig();
    await registerAtOld(r);
    const ka = r.intercom.keepalive;
    const moveKeepalive = ka.moveServer.bind(ka);
    let fail = true;
    ka.moveServer = (address: string): void => {
      if (fail) {
        fail = false;
        throw new Error("out of memory");
      }
      moveKeepalive(address);
    };
    const mark = r.events.length;
    await move(r);
    await pump(r, () => r.errors.length > 0, "the failed move", { stepMs: 100, virtualMs: 200_000 });
    expect(r.errors).toEqual([`server: moving to ${NEW} failed: Error: out of memory`]);
    // Nothing moved: the calls' next hop and the trusted server are still the old address.
    expect(r.intercom.serverName!.address).toBe(OLD);
    expect(r.intercom.ua.config.proxyHost).toBe(OLD);
    expect(r.intercom.trust.describe()).toContain(`accepted: ${OLD}:${r.pbxOld.port}`);
    expect(names(r, mark)).not.toContain("server moved");
    await pump(r, () => names(r, mark).includes("server moved") && r.intercom.registered && r.pbxNew.server.lookup("door").length === 1,
      "the move at the next failure", { stepMs: 100, virtualMs: 200_000 });
    expect(r.intercom.ua.config.proxyHost).toBe(NEW);
    expect(r.intercom.trust.describe()).toContain(`accepted: ${NEW}:${r.pbxNew.port}`);
    expect(r.dns.queries.length).toBe(2);
    expect(r.errors.length).toBe(1);
  }, 60_000);

  it("the name does not resolve for a while: the door stays and asks again RESOLVE_INTERVAL_MS later, then moves", async () => {
    const r = await rig();
    await registerAtOld(r);
    const mark = r.events.length;
    await r.pbxOld.stop();
    r.dns.names.delete(NAME);
    await pump(r, () => r.dns.queries.length === 1 && !r.intercom.serverName!.busy, "the first lookup (NXDOMAIN)", { stepMs: 100, virtualMs: 200_000 });
    const firstAt = r.clock.now();
    expect(r.log.some((l) => l.includes(`server: ${NAME} does not resolve now; staying at ${OLD}`)), describeStation(r)).toBe(true);
    expect(r.intercom.serverName!.address).toBe(OLD);
    r.dns.names.set(NAME, NEW);
    await pump(r, () => names(r, mark).includes("server moved") && r.intercom.registered,
      "the door to move once the name resolves", { stepMs: 100, virtualMs: 400_000 });
    // The registration's failures in between (each backoff step) asked no more than once an interval.
    expect(r.dns.queries.length, describeStation(r)).toBe(2);
    const moved = r.events.find((e) => e.name === "server moved")!;
    expect(moved.at - firstAt).toBeGreaterThanOrEqual(RESOLVE_INTERVAL_MS);
    expect(r.pbxNew.server.lookup("door").length).toBe(1);
    expect(r.errors).toEqual([]);
  }, 60_000);
});
