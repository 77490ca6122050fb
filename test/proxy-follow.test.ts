/*
 * An outbound proxy given by name is followed as the server's name is
 * (RFC 3263; src/ua/server-name.ts): with a proxy every request goes there
 * (RFC 3261 §8.1.2), so its name is the one looked up again, or whose next
 * SRV target is taken, when it stops answering. Before, the proxy's name was
 * located once at start and a provider's SBC that changed its address lost
 * the door until a reboot.
 *
 * The whole Intercom on the virtual clock, on a real UDP socket on
 * 127.0.0.1, its own DNS client asking a real DNS server on 127.0.0.1
 * (test/support/dns-server.ts) over the SIP socket, and built-in loopback
 * PBXes (hosts/node/pbx: registrar and loose-routing proxy, §16.4: a Route
 * that does not name it is forwarded to) standing for the provider's SBCs.
 * The SIP domain `example.test` has no address (as a provider's often
 * has none: it stays the domain, requests go to the proxy).
 *
 * Shown:
 * - a proxy name with two SRV targets: the door registers through the
 *   first, whose Route names it; that one stops: the door moves to the
 *   second without a query (§4.3), and the REGISTER, OPTIONS and a doorbell
 *   INVITE go there with a Route naming the second; the second is the
 *   trusted server and the first is not;
 * - a proxy name with a port (A record only): it stops answering and the
 *   name now has another address: the door looks it up again and follows;
 * - a proxy given as an address: nothing is ever looked up.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Intercom, IntercomEvent, intercomEventName } from "../src/app/intercom";
import { parseDnsServer } from "../src/dns/dns-client";
import { LogLevel } from "../src/host";
import type { AccountConfig } from "../src/ua/account";
import { REGISTER_HEAD_BYTES, registerHead } from "../src/ua/register-request";
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
const PROXY = "sbc.example.test";
const SRV = `_sip._udp.${PROXY}`;

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
  doorEndpoint: string;
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

/**
 * Two PBXes for `example.test` on 127.0.0.1 and 127.0.0.2 (the second with the desk phone, extension 100), and the
 * door with an outbound proxy: `proxy(dns, pbx)` sets the DNS records and gives the account's proxy fields.
 */
async function rig(proxy: (dns: TestDnsServer, pbx: LoopbackPbx[], server: { address: string; port: number }) => Promise<Partial<AccountConfig>>, samePort = false): Promise<Rig> {
  const dns = await TestDnsServer.start();
  const wire: PacketEvent[] = [];
  let doorEndpoint = "";
  const tap = (ev: PacketEvent): void => {
    if (ev.from === doorEndpoint || ev.to === doorEndpoint) wire.push(ev);
  };
  const pbx: LoopbackPbx[] = [];
  pbx.push(await LoopbackPbx.start({ address: "127.0.0.1", domain: DOMAIN, phoneUser: false, tap }));
  pbx.push(await LoopbackPbx.start({ address: "127.0.0.2", domain: DOMAIN, tap, ...(samePort ? { port: pbx[0]!.port } : {}) }));
  const server = parseDnsServer(dns.endpoint)!;
  const fields = await proxy(dns, pbx, server);
  dns.queries.length = 0;
  const clock = new VirtualClock(0);
  const errors: string[] = [];
  const log: string[] = [];
  let intercom: Intercom | null = null;
  const udp = await NodeUdp.bind({ receiver: { receive: (d, l, a, p) => intercom?.receiver.receive(d, l, a, p) }, address: "127.0.0.1", port: 0 });
  doorEndpoint = `127.0.0.1:${udp.localPort}`;
  intercom = new Intercom(
    {
      clock, random: new SeededRandom(5), hash: new NodeHash(), pins: new PinsRecorder(), udp,
      dnsServers: [server],
      log: { log: (level: LogLevel, text: string) => {
        log.push(`+${clock.now()} ${text}`);
        if (level === LogLevel.Error) errors.push(text);
      } },
    },
    {
      // The domain has no address: it stays the registrar's host and the SIP domain; requests go to the proxy.
      account: { ...pbx[0]!.door.account, registrarHost: DOMAIN, registrarPort: undefined, domain: DOMAIN, ...fields },
      keepaliveSeconds: 5,
      targets: ["100"],
    },
  );
  clock.attach(intercom.timers);
  const events: Rig["events"] = [];
  intercom.listener = { onIntercomEvent: (e: IntercomEvent, _c, detail: string) => void events.push({ name: intercomEventName(e), detail, at: clock.now() }) };
  const r: Rig = { dns, pbx, clock, udp, intercom, events, errors, log, wire, doorEndpoint };
  open.push(r);
  return r;
}

/** The requests the door sent to PBX `p`: their start line and Route header. */
function sentTo(r: Rig, p: LoopbackPbx): Array<{ line: string; route: string | undefined }> {
  return r.wire.filter((ev) => ev.from === r.doorEndpoint && ev.to === p.door.server).map((ev) => {
    const text = Buffer.from(ev.bytes).toString("latin1");
    return { line: text.slice(0, text.indexOf("\r\n")), route: /\r\nRoute: ([^\r]*)\r\n/i.exec(text)?.[1] };
  });
}

/** The first registration through the proxy at PBX a, its REGISTERs with a Route naming a. */
async function registeredAtFirst(r: Rig): Promise<void> {
  const a = r.pbx[0]!;
  r.intercom.start();
  await pump(r, () => r.intercom.registered, "the door to register through the first proxy");
  expect(a.server.lookup("door").length).toBe(1);
  const registers = sentTo(r, a).filter((s) => s.line.startsWith("REGISTER "));
  expect(registers.map((s) => s.line)).toEqual([`REGISTER sip:${DOMAIN} SIP/2.0`, `REGISTER sip:${DOMAIN} SIP/2.0`]);
  expect(registers.every((s) => s.route === `<sip:127.0.0.1:${a.port};lr>`)).toBe(true);
  expect(r.dns.queries).toEqual([]);
}

/** After the move to PBX b: REGISTER, OPTIONS and a doorbell INVITE go to b with a Route naming b; b is the trusted server. */
async function workingAtSecond(r: Rig, mark: number): Promise<void> {
  const b = r.pbx[1]!;
  const route = `<sip:127.0.0.2:${b.port};lr>`;
  await pump(r, () => names(r, mark).includes("server moved") && r.intercom.registered && b.server.lookup("door").length === 1,
    "the door to move to the second proxy and register through it", { stepMs: 100, virtualMs: 400_000 });
  const registers = sentTo(r, b).filter((s) => s.line.startsWith("REGISTER "));
  expect(registers.length).toBeGreaterThan(0);
  expect(registers.every((s) => s.route === route), JSON.stringify(registers)).toBe(true);
  await pump(r, () => sentTo(r, b).some((s) => s.line.startsWith("OPTIONS ")), "an OPTIONS to the second proxy", { stepMs: 100 });
  expect(sentTo(r, b).find((s) => s.line.startsWith("OPTIONS "))!.line).toBe(`OPTIONS sip:127.0.0.2:${b.port} SIP/2.0`);
  expect(r.intercom.ua.config.proxyHost).toBe("127.0.0.2");
  expect(r.intercom.ua.config.proxyPort).toBe(b.port);
  expect(r.intercom.trust.describe()).toContain(`127.0.0.2:${b.port}`);
  expect(r.intercom.trust.isServerHost("127.0.0.2")).toBe(true);
  expect(r.intercom.trust.isServerHost("127.0.0.1")).toBe(false);

  // The doorbell: its INVITE goes through the second proxy (Route naming it) to the desk phone registered there.
  const from = r.events.length;
  r.intercom.press();
  await pump(r, () => names(r, from).includes("call up"), "the doorbell call through the second proxy to be answered", { stepMs: 10 });
  const invites = sentTo(r, b).filter((s) => s.line.startsWith("INVITE "));
  expect(invites.length).toBeGreaterThan(0);
  expect(invites.every((s) => s.route === route), JSON.stringify(invites)).toBe(true);
  expect(sentTo(r, r.pbx[0]!).filter((s) => s.line.startsWith("INVITE "))).toEqual([]);
  r.intercom.ua.hangupAll();
  await pump(r, () => r.intercom.ua.activeCalls === 0, "the call to end");
  expect(r.errors).toEqual([]);
}

describe("an outbound proxy given by name is followed (RFC 3263), its Route with it (RFC 3261 §8.1.2)", () => {
  it("two SRV targets: the first stops, the door moves to the second without a query, and everything goes there with a Route naming it", async () => {
    const r = await rig(async (dns, pbx, server) => {
      dns.names.set("sbc1.example.test", "127.0.0.1");
      dns.names.set("sbc2.example.test", "127.0.0.2");
      dns.srv.set(SRV, [
        { priority: 10, weight: 0, port: pbx[0]!.port, target: "sbc1.example.test" },
        { priority: 20, weight: 0, port: pbx[1]!.port, target: "sbc2.example.test" },
      ]);
      // The host's first location, before the core starts (hosts/node/locate.ts, as `doorsip run` does).
      const loc = await locateServer(PROXY, 0, [server], { tryTimeoutMs: 1000 });
      const first = loc.targets[0]!;
      return {
        outboundProxyHost: first.address, outboundProxyPort: first.port, outboundProxyName: PROXY,
        outboundProxyTargets: loc.targets.map((t) => ({ address: t.address, port: t.port })),
      };
    });
    expect(r.intercom.serverName?.name).toBe(PROXY);
    await registeredAtFirst(r);

    const mark = r.events.length;
    await r.pbx[0]!.stop();
    await workingAtSecond(r, mark);
    expect(r.events.slice(mark).find((e) => e.name === "server moved")!.detail).toBe(`${PROXY} 127.0.0.1 -> 127.0.0.2:${r.pbx[1]!.port}`);
    expect(r.intercom.serverName!.failovers).toBe(1);
    // §4.3: the next target of the list the host's lookup gave, without asking DNS again.
    expect(r.dns.queries, describeStation(r)).toEqual([]);
  }, 60_000);

  it("a name with its port (A record): it stops answering and the name has another address now: the door looks it up again and follows", async () => {
    const r = await rig(async (dns, pbx) => {
      dns.names.set(PROXY, "127.0.0.1");
      return { outboundProxyHost: "127.0.0.1", outboundProxyPort: pbx[0]!.port, outboundProxyName: PROXY, outboundProxyNamePort: pbx[0]!.port };
    }, true);
    await registeredAtFirst(r);

    r.dns.names.set(PROXY, "127.0.0.2");
    const mark = r.events.length;
    await r.pbx[0]!.stop();
    await workingAtSecond(r, mark);
    expect(r.events.slice(mark).find((e) => e.name === "server moved")!.detail).toBe(`${PROXY} 127.0.0.1 -> 127.0.0.2`);
    // A port was given with the name: its address is asked, not its SRV records (RFC 3263 §4.2).
    expect(r.dns.queries.map((q) => `${q.name} ${q.type}`)).toEqual([`${PROXY} 1`]);
    expect(r.intercom.serverName!.lookups).toBe(1);
  }, 60_000);

  it("a proxy given as an address: no name is followed, nothing is looked up when it stops answering", async () => {
    const r = await rig(async (_dns, pbx) => ({ outboundProxyHost: "127.0.0.1", outboundProxyPort: pbx[0]!.port }));
    expect(r.intercom.serverName).toBeNull();
    await registeredAtFirst(r);
    await r.pbx[0]!.stop();
    await pump(r, () => names(r).includes("server lost"), "the door to notice the proxy is gone", { stepMs: 100, virtualMs: 400_000 });
    // Past the time a lookup would have been asked (server-name.ts: at the loss and at each unanswered OPTIONS after).
    r.clock.advance(120_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(r.dns.queries).toEqual([]);
    expect(names(r)).not.toContain("server moved");
  }, 60_000);
});

describe("registerHead", () => {
  it("is REGISTER_HEAD_BYTES long without a proxy, longer with its Route (how a registration tells it has a proxy to move)", () => {
    expect(registerHead("", 5060).length).toBe(REGISTER_HEAD_BYTES);
    expect(registerHead("192.0.2.1", 5070)).toBe("Max-Forwards: 70\r\nRoute: <sip:192.0.2.1:5070;lr>\r\n");
    expect(registerHead("2001:db8::1", 5060)).toBe("Max-Forwards: 70\r\nRoute: <sip:[2001:db8::1]:5060;lr>\r\n");
  });
});
