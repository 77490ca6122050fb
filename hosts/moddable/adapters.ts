/*
 * Everything the core needs, made from Settings on the Moddable SDK: one
 * object per interface of src/host.ts. The core's constructors take these;
 * the clock, socket and pins get their receivers afterwards through attach()
 * (app.ts), as the Node host does (hosts/node).
 */
import Net from "net";
import { type HashHost, type LogHost, type RandomHost, type ResolverHost, type StorageHost } from "../../src/host";
import type { DnsServerAddress } from "../../src/dns/dns-client";
import { TimerClock } from "./clock";
import { DigestHash } from "./hash";
import type { BoardPins } from "./pins";
import { MathRandom } from "./random";
import type { Settings } from "./settings";
import { ModdableUdp } from "./udp";

export interface ModdableHost {
  settings: Settings;
  /** The SIP server's IPv4 address (sip_server resolved, see main.ts); "" without a server. */
  serverAddress: string;
  /** The outbound proxy's IPv4 address (sip_proxy resolved); "" without one. */
  proxyAddress: string;
  /** What the location at boot found beyond the addresses (main.ts, locate.ts): SRV ports and targets (RFC 3263). */
  located: Located;
  /** lwIP's DNS servers (IPv4) for the core's own DNS client; empty: the core looks names up through `resolver` (A only). */
  dnsServers: DnsServerAddress[];
  udp: ModdableUdp;
  clock: TimerClock;
  hash: HashHost;
  random: RandomHost;
  log: LogHost;
  pins: BoardPins;
  storage: StorageHost;
  /** DNS, for the core to look the server's name up again when it stops answering (src/ua/server-name.ts). */
  resolver: ResolverHost;
}

/** The ports and SRV targets the boot-time location found (absent: the configured ports). */
export interface Located {
  serverPort?: number;
  proxyPort?: number;
  /** Every server of sip_server's SRV records, in the order to try (RFC 3263 §4.3). */
  serverTargets?: Array<{ address: string; port: number }>;
  /** The same for sip_proxy's. */
  proxyTargets?: Array<{ address: string; port: number }>;
}

/** ResolverHost through lwIP's DNS (Net.resolve; it throws when it cannot allocate its request, which the core catches). */
class NetResolver implements ResolverHost {
  resolve(name: string, done: (address: string) => void): void {
    Net.resolve(name, (_name: string, address?: string) => done(address ?? ""));
  }
}

/**
 * Make the other adapters and bind the SIP port (throws if the port is
 * taken). `localAddress` is this device's address (the network's,
 * net/network.d.ts).
 */
export function createHost(
  settings: Settings, serverAddress: string, proxyAddress: string, localAddress: string, log: LogHost, storage: StorageHost, pins: BoardPins,
  located: Located = {}, dns: DnsServerAddress[] = [],
): ModdableHost {
  return {
    settings,
    serverAddress,
    proxyAddress,
    located,
    dnsServers: dns,
    udp: new ModdableUdp({ port: settings.localPort, localAddress: localAddress || "0.0.0.0", log }),
    clock: new TimerClock(),
    hash: new DigestHash(),
    random: new MathRandom(),
    log,
    pins,
    storage,
    resolver: new NetResolver(),
  };
}
