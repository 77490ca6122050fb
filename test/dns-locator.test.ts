/*
 * RFC 3263 §4.2 server location (src/dns/server-locator.ts) over the
 * core's own DNS client (src/dns/dns-client.ts): real UDP on 127.0.0.1 to
 * a real DNS server (test/support/dns-server.ts), the client's try
 * timeouts on the virtual clock (the DNS answers in real time; the tries'
 * timers only move when the test advances the clock). Shown:
 * - SRV records ordered by priority, addresses from the additional section
 *   (no further query) or from an A query per target when there are none;
 * - RFC 2782's weighted choice within a priority, with a seeded
 *   RandomHost: a weight-90 record comes first about 9 times in 10;
 * - no SRV records (NXDOMAIN, empty): the name's A record with port 5060;
 *   a port given: A only; an IP literal: no query;
 * - a server that says nothing: 2 tries per server, each waiting the try
 *   timeout, then the next server; a forged answer (wrong ID) is ignored.
 */
import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { DnsClient, parseDnsServer } from "../src/dns/dns-client";
import { DnsFailure } from "../src/dns/dns-message";
import { describeLocation, LocateVia, orderSrv, ServerLocator, type Location } from "../src/dns/server-locator";
import { TimerQueue } from "../src/sip/timer/timer-queue";
import { NodeUdp } from "../hosts/node/udp";
import { TestDnsServer } from "./support/dns-server";
import { SeededRandom } from "./support/seeded-random";
import { VirtualClock } from "./support/virtual-clock";
import { sleep } from "./support/wait";

const TRY_MS = 1000;

interface Rig {
  dns: TestDnsServer;
  udp: NodeUdp;
  clock: VirtualClock;
  client: DnsClient;
  locator: ServerLocator;
  extra: Array<{ close(): void }>;
}

const open: Rig[] = [];

afterEach(async () => {
  for (const r of open.splice(0)) {
    r.locator.cancel();
    for (const e of r.extra) e.close();
    await r.udp.close();
    await r.dns.stop();
  }
});

async function rig(o: { servers?: string[]; seed?: number; dns?: TestDnsServer } = {}): Promise<Rig> {
  const dns = o.dns ?? (await TestDnsServer.start());
  const clock = new VirtualClock(0);
  const timers = new TimerQueue(clock);
  clock.attach(timers);
  let client: DnsClient | null = null;
  const udp = await NodeUdp.bind({ receiver: { receive: (d, l, a, p) => client?.receive(d, l, a, p) }, address: "127.0.0.1", port: 0 });
  const servers = (o.servers ?? [dns.endpoint]).map((s) => parseDnsServer(s)!);
  const random = new SeededRandom(o.seed ?? 5);
  client = new DnsClient({ udp, timers, random, servers, tryTimeoutMs: TRY_MS, tries: 2 });
  const locator = new ServerLocator(client, timers, random);
  const r: Rig = { dns, udp, clock, client, locator, extra: [] };
  open.push(r);
  return r;
}

/** A DNS answer on loopback comes within milliseconds; the virtual clock stands still this long (real time) after each query. */
const ANSWER_GRACE_MS = 150;

/** Locate and wait for the outcome: real time for the DNS answers, the virtual clock stepped for the timers (bounded both ways). */
async function locate(r: Rig, host: string, port = 0, virtualMs = 20_000): Promise<Location> {
  let out: Location | null = null;
  r.locator.locate(host, port, { onLocated: (l) => (out = l) });
  const virtualEnd = r.clock.now() + virtualMs;
  const realEnd = Date.now() + 15_000;
  let sent = -1;
  let sentAt = 0;
  while (out === null) {
    if (r.clock.now() >= virtualEnd || Date.now() > realEnd) throw new Error(`no outcome for ${host}; queries: ${JSON.stringify(r.dns.queries)}`);
    if (r.client.sent !== sent) {
      sent = r.client.sent;
      sentAt = Date.now();
    }
    await sleep(2);
    // Time moves only once the try's answer had its chance: a try times out only when the server really said nothing.
    if (Date.now() - sentAt >= ANSWER_GRACE_MS || !r.client.busy) r.clock.advance(50);
  }
  return out;
}

function srvSetup(dns: TestDnsServer): void {
  dns.srv.set("_sip._udp.example.test", [
    { priority: 20, weight: 0, port: 5080, target: "backup.example.test" },
    { priority: 10, weight: 0, port: 5070, target: "sip1.example.test" },
  ]);
  dns.names.set("sip1.example.test", "127.0.0.7");
  dns.names.set("backup.example.test", "127.0.0.8");
  dns.names.set("example.test", "127.0.0.9");
}

describe("RFC 3263 §4.2 server location over the core's DNS client", () => {
  it("a name without port: SRV records by priority, addresses from the additional section, one query", async () => {
    const r = await rig();
    srvSetup(r.dns);
    const loc = await locate(r, "example.test");
    expect(loc.via).toBe(LocateVia.Srv);
    expect(loc.records).toBe(2);
    expect(loc.targets.map((t) => `${t.address}:${t.port}/${t.priority}`)).toEqual(["127.0.0.7:5070/10", "127.0.0.8:5080/20"]);
    expect(r.dns.queries).toEqual([{ name: "_sip._udp.example.test", type: 33 }]);
    expect(describeLocation(loc)).toBe("_sip._udp.example.test: 2 servers, using 127.0.0.7:5070 (priority 10)");
  });

  it("without additional records: an A query per target, in the SRV order", async () => {
    const r = await rig();
    srvSetup(r.dns);
    r.dns.additional = false;
    const loc = await locate(r, "Example.Test.");
    expect(loc.targets.map((t) => `${t.address}:${t.port}`)).toEqual(["127.0.0.7:5070", "127.0.0.8:5080"]);
    expect(r.dns.queries).toEqual([
      { name: "_sip._udp.example.test", type: 33 },
      { name: "sip1.example.test", type: 1 },
      { name: "backup.example.test", type: 1 },
    ]);
  });

  it("a target whose name does not resolve is left out; the others stay in order", async () => {
    const r = await rig();
    srvSetup(r.dns);
    r.dns.additional = false;
    r.dns.names.delete("sip1.example.test");
    const loc = await locate(r, "example.test");
    expect(loc.targets.map((t) => `${t.address}:${t.port}`)).toEqual(["127.0.0.8:5080"]);
  });

  it("no SRV records (NXDOMAIN, or an empty answer): the name's A record with port 5060", async () => {
    const r = await rig();
    r.dns.names.set("plain.test", "127.0.0.5");
    const loc = await locate(r, "plain.test");
    expect(loc.via).toBe(LocateVia.A);
    expect(loc.targets.map((t) => `${t.address}:${t.port}`)).toEqual(["127.0.0.5:5060"]);
    expect(r.dns.queries).toEqual([{ name: "_sip._udp.plain.test", type: 33 }, { name: "plain.test", type: 1 }]);
    const none = await locate(r, "nowhere.test");
    expect(none.targets).toEqual([]);
    expect(none.failure).toBe(DnsFailure.NameError);
    expect(describeLocation(none)).toBe("nowhere.test: no server found");
  });

  it("a port given: A only; an IP address: no query at all", async () => {
    const r = await rig();
    srvSetup(r.dns);
    const loc = await locate(r, "example.test", 5099);
    expect(loc.via).toBe(LocateVia.A);
    expect(loc.targets.map((t) => `${t.address}:${t.port}`)).toEqual(["127.0.0.9:5099"]);
    expect(r.dns.queries).toEqual([{ name: "example.test", type: 1 }]);
    const lit = await locate(r, "192.0.2.1");
    expect(lit.via).toBe(LocateVia.Literal);
    expect(lit.targets.map((t) => `${t.address}:${t.port}`)).toEqual(["192.0.2.1:5060"]);
    expect(r.dns.queries).toHaveLength(1);
  });

  it("a single SRV target \".\": the service is not offered, and no A fallback", async () => {
    const r = await rig();
    r.dns.srv.set("_sip._udp.closed.test", [{ priority: 0, weight: 0, port: 0, target: "." }]);
    r.dns.names.set("closed.test", "127.0.0.5");
    const loc = await locate(r, "closed.test");
    expect(loc.notOffered).toBe(true);
    expect(loc.targets).toEqual([]);
    expect(r.dns.queries).toHaveLength(1);
  });

  it("a silent server: 2 tries each waiting the try timeout, then the next server, which answers", async () => {
    // The first server is a bound socket that never answers (and counts what it got).
    const mute = createSocket("udp4");
    let got = 0;
    mute.on("message", () => got++);
    await new Promise<void>((resolve) => mute.bind(0, "127.0.0.1", () => resolve()));
    const dns = await TestDnsServer.start();
    const r = await rig({ dns, servers: [`127.0.0.1:${mute.address().port}`, dns.endpoint] });
    r.extra.push({ close: () => mute.close() });
    dns.names.set("plain.test", "127.0.0.5");
    const start = r.clock.now();
    const loc = await locate(r, "plain.test", 5060);
    expect(loc.targets.map((t) => t.address)).toEqual(["127.0.0.5"]);
    expect(got).toBe(1); // try 1 to the mute server, try 2 to the answering one
    expect(r.clock.now() - start).toBeGreaterThanOrEqual(TRY_MS);
  });

  it("a name the server never answers: 2 tries, then no answer; the SRV timeout falls back to A, which times out too", async () => {
    const r = await rig();
    r.dns.silent.add("_sip._udp.dark.test");
    r.dns.silent.add("dark.test");
    const start = r.clock.now();
    const loc = await locate(r, "dark.test");
    expect(loc.failure).toBe(DnsFailure.Timeout);
    expect(loc.targets).toEqual([]);
    expect(r.dns.queries).toEqual([
      { name: "_sip._udp.dark.test", type: 33 },
      { name: "_sip._udp.dark.test", type: 33 },
      { name: "dark.test", type: 1 },
      { name: "dark.test", type: 1 },
    ]);
    expect(r.clock.now() - start).toBeGreaterThanOrEqual(4 * TRY_MS);
    expect(r.client.sent).toBe(4);
  });

  it("an answer with another ID (late or forged) is ignored; the right one is taken", async () => {
    const r = await rig();
    r.dns.names.set("plain.test", "127.0.0.5");
    r.dns.wrongIdFirst = true;
    const loc = await locate(r, "plain.test", 5060);
    expect(loc.targets.map((t) => t.address)).toEqual(["127.0.0.5"]);
    expect(r.client.ignored).toBe(1);
    expect(r.client.sent).toBe(1);
  });
});

describe("RFC 2782 order", () => {
  const recs = [
    { priority: 1, weight: 10, port: 1, target: "light" },
    { priority: 0, weight: 0, port: 3, target: "first" },
    { priority: 1, weight: 90, port: 2, target: "heavy" },
    { priority: 2, weight: 0, port: 4, target: "last" },
  ];

  it("priority first; within a priority a weighted random choice (weight 90 before weight 10 about 9 times in 10)", () => {
    const random = new SeededRandom(42);
    let heavyFirst = 0;
    const N = 2000;
    for (let i = 0; i < N; i++) {
      const o = orderSrv(recs, random).map((r) => r.target);
      expect(o[0]).toBe("first");
      expect(o[3]).toBe("last");
      expect(o.slice(1, 3).sort()).toEqual(["heavy", "light"]);
      if (o[1] === "heavy") heavyFirst++;
    }
    // Expected 0.9 (P(pick <= 90 of 0..100) = 91/101 with the zero-inclusive range of RFC 2782); allow sampling noise.
    expect(heavyFirst / N).toBeGreaterThan(0.85);
    expect(heavyFirst / N).toBeLessThan(0.95);
  });

  it("zero weights in a priority with others are picked only when the random sum lands on 0", () => {
    const zeroAndHeavy = [{ priority: 0, weight: 0, port: 1, target: "zero" }, { priority: 0, weight: 50, port: 2, target: "fifty" }];
    // u32 % 51: 0 picks the zero-weight record (listed first), anything else the weight-50 one.
    expect(orderSrv(zeroAndHeavy, { u32: () => 51 * 7 }).map((r) => r.target)).toEqual(["zero", "fifty"]);
    expect(orderSrv(zeroAndHeavy, { u32: () => 51 * 7 + 1 }).map((r) => r.target)).toEqual(["fifty", "zero"]);
  });
});
