/*
 * RFC 3263 server location at boot on the device, with the core's own DNS
 * client (src/dns/): lwIP's Net.resolve asks for A records only, so the
 * SRV records of "_sip._udp.<sip_server>" (§4.2) are asked here, over a
 * short-lived UDP socket of its own (an ephemeral port) and its own timer,
 * both closed when the answer is in. The DNS servers are lwIP's
 * (Net.get("DNS"): DHCP's, modules/network/net/esp/modNet.c), IPv4 ones
 * only. Later lookups (when the server fails) are the Intercom's, over the
 * SIP socket (IntercomHosts.dnsServers).
 */
import Net from "net";
import { type LogHost } from "../../src/host";
import { DnsClient, type DnsServerAddress, parseDnsServer } from "../../src/dns/dns-client";
import { type LocateListener, type Location, ServerLocator } from "../../src/dns/server-locator";
import { TimerQueue } from "../../src/sip/timer/timer-queue";
import { TimerClock } from "./clock";
import { MathRandom } from "./random";
import { ModdableUdp } from "./udp";

/** lwIP's DNS servers that the core's client can ask (IPv4; "0.0.0.0" is an empty slot). */
export function dnsServers(): DnsServerAddress[] {
  const out: DnsServerAddress[] = [];
  let list: unknown;
  try {
    list = Net.get("DNS");
  } catch {
    // Not on this platform: the caller falls back to Net.resolve.
  }
  // The Linux simulator's net module has no "DNS" (undefined): Net.resolve then, as before.
  if (!Array.isArray(list)) return out;
  for (let i = 0; i < list.length; i++) {
    const a = parseDnsServer(String(list[i]));
    if (a !== null && a.address !== "0.0.0.0") out.push(a);
  }
  return out;
}

/**
 * Boot-time locations (the server's, the proxy's, retries): one instance
 * for the life of the app, since its timer (clock.ts, an SDK timer made
 * once) is never freed; the socket is opened per location and closed when
 * its answer is in.
 */
export class BootLocator implements LocateListener {
  private readonly clock: TimerClock;
  private readonly timers: TimerQueue;
  private readonly random = new MathRandom();
  private readonly log: LogHost;
  private udp: ModdableUdp | null = null;
  private done: ((location: Location) => void) | null = null;

  constructor(log: LogHost) {
    this.log = log;
    this.clock = new TimerClock();
    this.timers = new TimerQueue(this.clock, log);
    this.clock.attach(this.timers);
  }

  /** `port` 0: none configured, so SRV records are asked. Throws when the socket cannot be made. */
  locate(host: string, port: number, servers: readonly DnsServerAddress[], done: (location: Location) => void): void {
    const udp = new ModdableUdp({ port: 0, log: this.log });
    this.udp = udp;
    this.done = done;
    const dns = new DnsClient({ udp, timers: this.timers, random: this.random, servers });
    udp.attach(dns);
    new ServerLocator(dns, this.timers, this.random).locate(host, port, this);
  }

  onLocated(location: Location): void {
    this.udp?.close();
    this.udp = null;
    this.clock.cancel();
    const done = this.done;
    this.done = null;
    if (done !== null) done(location);
  }
}
