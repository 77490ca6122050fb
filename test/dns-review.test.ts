/*
 * Review findings on RFC 3263 / the core's DNS client (src/dns/), each a
 * case that failed before its fix. Real UDP sockets on 127.0.0.1, the
 * virtual clock for every timeout.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Intercom } from "../src/app/intercom";
import { type DnsServerAddress } from "../src/dns/dns-client";
import { DnsFailure, DnsType, readAnswer } from "../src/dns/dns-message";
import { coreDnsServers, resolved } from "../hosts/node/commands/run";
import { NodeHash } from "../hosts/node/hash";
import { NodeLog } from "../hosts/node/log";
import { LogLevel } from "../src/host";
import { parseDnsServer } from "../src/dns/dns-client";
import { TestDnsServer } from "./support/dns-server";
import { NodeUdp } from "../hosts/node/udp";
import { PinsRecorder } from "./support/call-harness";
import { SeededRandom } from "./support/seeded-random";
import { VirtualClock } from "./support/virtual-clock";

const closers: Array<() => unknown> = [];

afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A socket that takes datagrams and never answers: a DNS server that is down (its queries are counted). */
async function silentServer(): Promise<{ udp: NodeUdp; got: number[] }> {
  const got: number[] = [];
  const udp = await NodeUdp.bind({ receiver: { receive: (_d, l) => void got.push(l) }, address: "127.0.0.1", port: 0 });
  closers.push(() => udp.close());
  return { udp, got };
}

describe("Intercom.stop() with a DNS lookup in flight", () => {
  it("drops the lookup: no further query is sent and the DNS client is idle", async () => {
    const dnsServer = await silentServer();
    const server: DnsServerAddress = { address: "127.0.0.1", port: dnsServer.udp.localPort };
    const clock = new VirtualClock(0);
    let intercom: Intercom | null = null;
    const udp = await NodeUdp.bind({ receiver: { receive: (d, l, a, p) => intercom?.receiver.receive(d, l, a, p) }, address: "127.0.0.1", port: 0 });
    closers.push(() => udp.close());
    intercom = new Intercom(
      { clock, random: new SeededRandom(5), hash: new NodeHash(), pins: new PinsRecorder(), udp, dnsServers: [server] },
      // The registrar is the silent socket too: nothing answers anything, nothing but the lookup matters.
      { account: { registrarHost: "127.0.0.1", registrarPort: dnsServer.udp.localPort, serverName: "pbx.example.test", user: "door", password: "x" } },
    );
    clock.attach(intercom.timers);
    intercom.start();
    // The server seems gone: the name is looked up (SRV first, RFC 3263 §4.2).
    intercom.serverName!.check("test");
    expect(intercom.dns!.busy).toBe(true);
    expect(intercom.dns!.sent).toBe(1);
    intercom.stop();
    expect(intercom.dns!.busy).toBe(false);
    // Every DNS try timeout (2 s) and the A fallback after the SRV query would have sent more: none may go now.
    clock.advance(60_000);
    expect(intercom.dns!.sent).toBe(1);
  });
});

/** "example.com" -> 7 e x a m p l e 3 c o m 0 (RFC 1035 §3.1). */
function wireName(n: string): number[] {
  const out: number[] = [];
  for (const label of n.split(".")) out.push(label.length, ...Array.from(label, (c) => c.charCodeAt(0)));
  out.push(0);
  return out;
}
const u16 = (v: number): number[] => [v >> 8, v & 0xff];
function aRR(owner: number[], a: number[]): number[] {
  return [...owner, ...u16(1), ...u16(1), 0, 0, 0, 60, ...u16(4), ...a];
}

describe("readAnswer: an A query's addresses are the asked name's only (RFC 1035 §4.1; RFC 5452 §6)", () => {
  it("does not take an additional-section A record of another name as an address of the name asked", () => {
    // Answer: pbx.example.com A 192.0.2.7 (pointer to the question); additional: ns1.example.com A 198.51.100.99 (a server's
    // glue, or a forgery riding along): the door must not send SIP to 198.51.100.99.
    const bytes = [
      ...u16(0x4242), ...u16(0x8180), ...u16(1), ...u16(1), ...u16(0), ...u16(1),
      ...wireName("pbx.example.com"), ...u16(1), ...u16(1),
      ...aRR([0xc0, 0x0c], [192, 0, 2, 7]),
      ...aRR(wireName("ns1.example.com"), [198, 51, 100, 99]),
    ];
    const answer = readAnswer(Uint8Array.from(bytes), bytes.length, 0x4242, "pbx.example.com", DnsType.A);
    expect(answer.failure).toBe(DnsFailure.None);
    expect(answer.a.map((r) => r.address)).toEqual(["192.0.2.7"]);
  });
});

describe("readAnswer: a truncated answer with nothing in it (RFC 1035 §4.1.1 TC; RFC 2181 §9)", () => {
  it("is Truncated, not an empty answer (NODATA): the records exist but did not fit", () => {
    // Header and question only, TC set: what a server sends when the SRV RRset itself does not fit in 512 bytes.
    const bytes = [...u16(0x5151), ...u16(0x8380), ...u16(1), ...u16(0), ...u16(0), ...u16(0), ...wireName("_sip._udp.example.com"), ...u16(33), ...u16(1)];
    const answer = readAnswer(Uint8Array.from(bytes), bytes.length, 0x5151, "_sip._udp.example.com", DnsType.Srv);
    expect(answer.truncated).toBe(true);
    expect(answer.failure).toBe(DnsFailure.Truncated);
  });
});

describe("doorsip run: a server name the DNS servers do not know, found by the system's resolver (/etc/hosts)", () => {
  it("is looked up again by the system's resolver, not by the core's DNS client, which would only hear NXDOMAIN", async () => {
    const dns = await TestDnsServer.start();
    closers.push(() => dns.stop());
    const servers = [parseDnsServer(dns.endpoint)!];
    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t), root: "" };
    const log = new NodeLog(LogLevel.Warn, { write: (t: string) => void out.push(t) });
    // "localhost": in /etc/hosts, unknown to the test's DNS server (NXDOMAIN for SRV and A).
    const local = await resolved({ registrarHost: "localhost", user: "door", password: "x" }, log, servers, io);
    expect(local.serverName).toBe("localhost");
    expect(local.registrarHost).toMatch(/^127\./);
    expect(dns.queries.map((q) => q.name)).toContain("_sip._udp.localhost");
    expect(coreDnsServers(local, servers), out.join("")).toBeUndefined();
    // A name the DNS server does know (SRV): the core asks it again on failure.
    dns.names.set("sip1.example.test", "127.0.0.1");
    dns.srv.set("_sip._udp.example.test", [{ priority: 10, weight: 0, port: 5070, target: "sip1.example.test" }]);
    const named = await resolved({ registrarHost: "example.test", user: "door", password: "x" }, log, servers, io);
    expect(named.registrarPort).toBe(5070);
    expect(coreDnsServers(named, servers)).toEqual(servers);
  }, 30_000);
});
