/*
 * RFC 3263 server location on Node with the core's own DNS client
 * (src/dns/), the same code the device runs: `doorsip run` locates the
 * server (and an outbound proxy) with it before the door starts, and the
 * door's core asks again on failure (IntercomHosts.dnsServers).
 *
 * Which DNS servers: `--dns HOST[:PORT]` (tests point it at their own
 * server on 127.0.0.1), else the system's (node:dns getServers(), i.e.
 * /etc/resolv.conf); IPv4 ones only (the door's socket is IPv4).
 */
import { getServers } from "node:dns";
import { DnsClient, type DnsServerAddress, parseDnsServer } from "../../src/dns/dns-client";
import { type Location, ServerLocator } from "../../src/dns/server-locator";
import { TimerQueue } from "../../src/sip/timer/timer-queue";
import { NodeClock } from "./clock";
import { NodeRandom } from "./random";
import { NodeUdp } from "./udp";

/** The system's IPv4 DNS servers (node:dns getServers(): "192.0.2.53" or "192.0.2.53:5353"). */
export function systemDnsServers(): DnsServerAddress[] {
  const out: DnsServerAddress[] = [];
  for (const s of getServers()) {
    const a = parseDnsServer(s);
    if (a !== null) out.push(a);
  }
  return out;
}

/** Locate `host` (port 0: none given, so SRV is asked) with the core's locator on a socket of its own, closed after. */
export async function locateServer(host: string, port: number, servers: readonly DnsServerAddress[], o: { tryTimeoutMs?: number } = {}): Promise<Location> {
  const clock = new NodeClock({ unref: true });
  const timers = new TimerQueue(clock);
  clock.attach(timers);
  let client: DnsClient | null = null;
  const udp = await NodeUdp.bind({ receiver: { receive: (d, l, a, p) => client?.receive(d, l, a, p) }, address: "0.0.0.0", port: 0 });
  try {
    const random = new NodeRandom();
    client = new DnsClient({ udp, timers, random, servers, tryTimeoutMs: o.tryTimeoutMs });
    const locator = new ServerLocator(client, timers, random);
    return await new Promise<Location>((resolve) => locator.locate(host, port, { onLocated: resolve }));
  } finally {
    clock.close();
    await udp.close();
  }
}
