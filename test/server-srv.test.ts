/*
 * RFC 3263 with SRV records: the door's server name is a domain whose
 * "_sip._udp" SRV records name two PBXes on their own (non-5060) ports.
 * The whole Intercom on the virtual clock, on a real UDP socket on
 * 127.0.0.1, its own DNS client (src/dns/) asking a real DNS server on
 * 127.0.0.1 (test/support/dns-server.ts) over the SIP socket itself (as on
 * the device: the answers come back to the SIP socket and are handed to
 * the DNS client), and built-in loopback PBXes (hosts/node/pbx). The
 * first location is the Node host's (hosts/node/locate.ts, the same core
 * locator on a socket of its own), as `doorsip run` makes it.
 *
 * Shown:
 * - the door registers at the priority-10 target, at its port;
 * - that PBX stops: the keepalive loses it and the door moves to the
 *   priority-20 target at once, with no DNS query (§4.3), registers there,
 *   keeps alive there (OPTIONS naming its port) and trusts its port;
 * - that one stops too, and the domain's SRV records now name a third
 *   PBX: after the last target the door asks the SRV records again and
 *   moves to the first of the answer.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Intercom, IntercomEvent, intercomEventName } from "../src/app/intercom";
import { parseDnsServer } from "../src/dns/dns-client";
import { LogLevel } from "../src/host";
import { locateServer } from "../hosts/node/locate";
import { NodeHash } from "../hosts/node/hash";
import { NodeUdp } from "../hosts/node/udp";
import { LoopbackPbx, type PacketEvent } from "../hosts/node/pbx/index";
import { PinsRecorder } from "./support/call-harness";
import { TestDnsServer } from "./support/dns-server";
import { SeededRandom } from "./support/seeded-random";
import { VirtualClock } from "./support/virtual-clock";
import { describeStation, names, pump } from "./support/station-pump";

const DOMAIN = "example.test";
const SRV = `_sip._udp.${DOMAIN}`;

interface Rig {
  dns: TestDnsServer;
  pbx: LoopbackPbx[];
  clock: VirtualClock;
  udp: NodeUdp;
  intercom: Intercom;
  events: Array<{ name: string; detail: string; at: number }>;
  errors: string[];
  log: string[];
  wire: PacketEvent[];
}

const open: Rig[] = [];

afterEach(async () => {
  for (const r of open.splice(0)) {
    r.intercom.stop();
    await r.udp.close();
    for (const p of r.pbx) await p.stop();
    await r.dns.stop();
  }
});

async function rig(): Promise<Rig> {
  const dns = await TestDnsServer.start();
  const wire: PacketEvent[] = [];
  let doorEndpoint = "";
  const tap = (ev: PacketEvent): void => {
    if (ev.from === doorEndpoint || ev.to === doorEndpoint) wire.push(ev);
  };
  // Three PBXes for one domain, each on an ephemeral port of its own (none on 5060), on three loopback addresses.
  const pbx: LoopbackPbx[] = [];
  for (const address of ["127.0.0.1", "127.0.0.2", "127.0.0.3"]) pbx.push(await LoopbackPbx.start({ address, domain: DOMAIN, phoneUser: false, tap }));
  dns.names.set("sip1.example.test", "127.0.0.1");
  dns.names.set("sip2.example.test", "127.0.0.2");
  dns.names.set("sip3.example.test", "127.0.0.3");
  dns.srv.set(SRV, [
    { priority: 20, weight: 0, port: pbx[1]!.port, target: "sip2.example.test" },
    { priority: 10, weight: 0, port: pbx[0]!.port, target: "sip1.example.test" },
  ]);
  // The host's first location, before the core starts (hosts/node/locate.ts, as `doorsip run` does).
  const server = parseDnsServer(dns.endpoint)!;
  const loc = await locateServer(DOMAIN, 0, [server], { tryTimeoutMs: 1000 });
  expect(loc.targets.map((t) => `${t.address}:${t.port}`)).toEqual([`127.0.0.1:${pbx[0]!.port}`, `127.0.0.2:${pbx[1]!.port}`]);
  dns.queries.length = 0;
  const clock = new VirtualClock(0);
  const errors: string[] = [];
  const log: string[] = [];
  let intercom: Intercom | null = null;
  const udp = await NodeUdp.bind({ receiver: { receive: (d, l, a, p) => intercom?.receiver.receive(d, l, a, p) }, address: "127.0.0.1", port: 0 });
  doorEndpoint = `127.0.0.1:${udp.localPort}`;
  const first = loc.targets[0]!;
  intercom = new Intercom(
    {
      clock, random: new SeededRandom(3), hash: new NodeHash(), pins: new PinsRecorder(), udp,
      // No ResolverHost: the core's own DNS client, over the SIP socket.
      dnsServers: [server],
      log: { log: (level: LogLevel, text: string) => {
        log.push(`+${clock.now()} ${text}`);
        if (level === LogLevel.Error) errors.push(text);
      } },
    },
    {
      account: {
        ...pbx[0]!.door.account, registrarHost: first.address, registrarPort: first.port, domain: DOMAIN,
        serverName: DOMAIN, serverTargets: loc.targets.map((t) => ({ address: t.address, port: t.port })),
      },
      keepaliveSeconds: 5,
    },
  );
  clock.attach(intercom.timers);
  const events: Rig["events"] = [];
  intercom.listener = { onIntercomEvent: (e: IntercomEvent, _c, detail: string) => void events.push({ name: intercomEventName(e), detail, at: clock.now() }) };
  const r: Rig = { dns, pbx, clock, udp, intercom, events, errors, log, wire };
  open.push(r);
  return r;
}

/** Start lines the door sent to `address`:`port`. */
function sentTo(r: Rig, p: LoopbackPbx): string[] {
  return r.wire.filter((ev) => ev.to === p.door.server).map((ev) => {
    const text = Buffer.from(ev.bytes).toString("latin1");
    return text.slice(0, text.indexOf("\r\n"));
  });
}

describe("SRV targets (RFC 3263 §4.2, §4.3): the door walks them when its server fails", () => {
  it("registers at the priority-10 target's port; when it stops, moves to the priority-20 one without a query; after the last, asks again", async () => {
    const r = await rig();
    const [a, b, c] = r.pbx as [LoopbackPbx, LoopbackPbx, LoopbackPbx];
    expect(a.port).not.toBe(5060);
    r.intercom.start();
    await pump(r, () => r.intercom.registered, "the door to register at the first target");
    expect(a.server.lookup("door").length).toBe(1);
    expect(r.dns.queries).toEqual([]);

    // The first target stops: lost after 3 unanswered OPTIONS, then straight to the second (§4.3), no DNS query.
    const mark = r.events.length;
    await a.stop();
    await pump(r, () => names(r, mark).includes("server moved") && r.intercom.registered && b.server.lookup("door").length === 1,
      "the door to move to the second target and register there", { stepMs: 100, virtualMs: 200_000 });
    const moved = r.events.slice(mark).find((e) => e.name === "server moved")!;
    expect(moved.detail).toBe(`${DOMAIN} 127.0.0.1 -> 127.0.0.2:${b.port}`);
    expect(r.dns.queries, describeStation(r)).toEqual([]);
    expect(r.intercom.serverName!.failovers).toBe(1);
    expect(r.log.some((l) => l.includes(`trying the next server, 127.0.0.2:${b.port} (RFC 3263 §4.3)`))).toBe(true);
    expect(sentTo(r, b).filter((l) => l.startsWith("REGISTER ")).length).toBe(2); // 401, then 200
    await pump(r, () => sentTo(r, b).some((l) => l.startsWith("OPTIONS ")), "an OPTIONS to the second target", { stepMs: 100 });
    expect(sentTo(r, b).find((l) => l.startsWith("OPTIONS "))).toBe(`OPTIONS sip:127.0.0.2:${b.port} SIP/2.0`);
    expect(r.intercom.trust.describe()).toContain(`127.0.0.2:${b.port}`);
    expect(r.intercom.ua.config.proxyHost).toBe("127.0.0.2");
    expect(r.intercom.ua.config.proxyPort).toBe(b.port);

    // The second (last) target stops; the domain now names a third server: the door asks the SRV records again.
    r.dns.srv.set(SRV, [{ priority: 5, weight: 0, port: c.port, target: "sip3.example.test" }]);
    const mark2 = r.events.length;
    await b.stop();
    await pump(r, () => names(r, mark2).includes("server moved") && r.intercom.registered && c.server.lookup("door").length === 1,
      "the door to ask again and register at the third server", { stepMs: 100, virtualMs: 400_000 });
    expect(r.dns.queries).toEqual([{ name: SRV, type: 33 }]);
    expect(r.events.slice(mark2).find((e) => e.name === "server moved")!.detail).toBe(`${DOMAIN} 127.0.0.2 -> 127.0.0.3:${c.port}`);
    expect(r.log.some((l) => l.includes(`dns: ${SRV}: 1 server, using 127.0.0.3:${c.port} (priority 5)`)), describeStation(r)).toBe(true);
    expect(r.intercom.serverName!.lookups).toBe(1);
    expect(r.intercom.dns!.ignored).toBe(0);
    expect(r.errors).toEqual([]);
  }, 60_000);
});
