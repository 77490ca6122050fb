/*
 * The Moddable app's main module (manifest.json creation.main).
 *
 * 1. boot.ts: settings (mc/config, then preference overrides: settings.ts),
 *    the log level and the pins with the relay off. On the ESP32 the setup
 *    module setup/doorsip (net/setup.ts) made them already, before Wi-Fi and
 *    SNTP, which the SDK finishes before main runs; boot() gives the same
 *    objects back.
 * 2. The network (net/network.d.ts): on the ESP32 the Wi-Fi that the SDK's
 *    setup/network joined with the mcconfig ssid=/password= arguments, kept
 *    up by net/wifi.ts, which reconnects after a loss; in the Linux
 *    simulator the computer's own network, up from the start. Nothing below
 *    starts before it is up.
 * 3. The SIP server's name located (the UDP socket takes IPv4 literals
 *    only), then the outbound proxy's (sip_proxy) if there is one, each
 *    retried every 10 s until found: by RFC 3263 with the core's own DNS
 *    client when lwIP names a DNS server (locate.ts: a name without port by
 *    its SRV records, _sip._udp.NAME, whose port then applies, else its A
 *    record), otherwise by Net.resolve (A only).
 * 4. The adapters (adapters.ts) and the intercom (app.ts), started.
 * After a Wi-Fi reconnect the app is told (intercom.networkUp(): register
 * again now, with the address the device has now).
 * At debug level a heap line (heap.ts) follows every minute (heap_ms).
 * With a web_password, the settings page (web/server.ts) starts as soon as
 * the network is up, before the server's name is located, so that a wrong
 * server can be corrected there; at debug level a heap line before and
 * after it shows its cost.
 */
import Net from "net";
import Timer from "timer";
import { LogLevel } from "../../src/host";
import { describeLocation } from "../../src/dns/server-locator";
import { createHost, type Located } from "./adapters";
import { type App, startApp } from "./app";
import { boot } from "./boot";
import { HeapReport } from "./heap";
import { getNetwork } from "./net/network";
import { BootLocator, dnsServers } from "./locate";
import type { PageStatus } from "./web/page";
import { SettingsPage } from "./web/server";

const RETRY_MS = 10_000;
const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;

const { log, storage, settings, pins } = boot();
const heap = new HeapReport(log);
const network = getNetwork();

let app: App | null = null;
let resolving = false;
let locator: BootLocator | null = null;
let web: SettingsPage | null = null;
/** What the location found beyond the addresses: SRV ports and targets. */
const located: Located = {};

function start(serverAddress: string, proxyAddress: string): void {
  resolving = false;
  try {
    app = startApp(createHost(settings, serverAddress, proxyAddress, network.address, log, storage, pins, located, dnsServers()), log.level >= LogLevel.Debug);
    heap.extra = (): string => app?.counters() ?? "";
  } catch (error) {
    // Typically the SIP port is taken (bind failed); nothing useful runs without it.
    log.log(LogLevel.Error, `doorsip: cannot start: ${String(error)}`);
  }
  heap.start(settings.heapReportMs);
}

function resolve(): void {
  resolving = true;
  const withProxy = (server: string): void => lookUp(settings.sipProxy, settings.sipProxyPortGiven ? settings.sipProxyPort : 0, (proxy, port, targets) => {
    if (port > 0) located.proxyPort = port;
    if (targets !== undefined) located.proxyTargets = targets;
    start(server, proxy);
  });
  // With an outbound proxy every request goes there (RFC 3261 §8.1.2): the server's name is then only the SIP
  // domain, which the proxy resolves (a provider's domain may have SRV records and no address), so a name without
  // an address is kept as it is rather than waited for.
  lookUp(settings.sipServer, settings.sipServerPortGiven ? settings.sipPort : 0, (server, port, targets) => {
    if (port > 0) located.serverPort = port;
    if (targets !== undefined) located.serverTargets = targets;
    withProxy(server);
  }, settings.sipProxy !== "" ? (): void => {
    log.log(LogLevel.Warn, `doorsip: ${settings.sipServer} has no address; it stays the SIP domain, requests go to the proxy`);
    withProxy(settings.sipServer);
  } : undefined);
}

/**
 * `then` gets the name's address ("" and IPv4 literals as they are, port
 * 0), once it is found, retried every RETRY_MS until then; or `orElse`,
 * when given, is called instead of retrying when the name gives nothing.
 * `port`: the one configured with the name (0: none). With a DNS server
 * lwIP names, RFC 3263 (locate.ts): the port of the SRV target found, and
 * every target in order; else Net.resolve (port 0: the configured one).
 */
function lookUp(name: string, port: number, then: (address: string, port: number, targets?: Array<{ address: string; port: number }>) => void, orElse?: () => void): void {
  if (name === "" || IPV4.test(name)) {
    then(name, 0);
    return;
  }
  const servers = dnsServers();
  if (servers.length > 0) {
    try {
      locator ??= new BootLocator(log);
      locator.locate(name, port, servers, (loc) => {
        log.log(loc.targets.length > 0 ? LogLevel.Info : LogLevel.Warn, `doorsip: ${describeLocation(loc)}`);
        const first = loc.targets[0];
        if (first !== undefined) then(first.address, first.port, loc.targets.map((t) => ({ address: t.address, port: t.port })));
        else if (loc.notOffered && orElse !== undefined) orElse();
        else if (loc.notOffered) retry(name, port, then);
        // Nothing in DNS: lwIP's resolver still may know the name (a ".local" one by mDNS, ESP-IDF's
        // LWIP_DNS_SUPPORT_MDNS_QUERIES), as it did before SRV; the Node host falls back the same way (run.ts).
        else resolveA(name, port, then, orElse);
      });
      return;
    } catch (error) {
      // No socket for the query (out of memory): lwIP's own resolver, for the address at least.
      log.log(LogLevel.Warn, `doorsip: cannot ask DNS for ${name} (${String(error)}); using Net.resolve`);
    }
  }
  resolveA(name, port, then, orElse);
}

/** lwIP's resolver (A only): the address, the configured port (0). */
function resolveA(name: string, port: number, then: (address: string, port: number, targets?: Array<{ address: string; port: number }>) => void, orElse?: () => void): void {
  Net.resolve(name, (found: string, address?: string) => {
    if (address !== undefined && address !== "") {
      log.log(LogLevel.Info, `doorsip: ${found} is ${address}`);
      then(address, 0);
    } else if (orElse !== undefined) {
      orElse();
    } else {
      retry(name, port, then);
    }
  });
}

function retry(name: string, port: number, then: (address: string, port: number, targets?: Array<{ address: string; port: number }>) => void): void {
  log.log(LogLevel.Warn, `doorsip: cannot resolve ${name}; retrying in ${RETRY_MS / 1000}s`);
  Timer.set(() => lookUp(name, port, then), RETRY_MS);
}

/** The state the settings page shows. */
function webStatus(): PageStatus {
  const intercom = app?.intercom;
  const host = app?.host;
  let server: string;
  if (host !== undefined && host.serverAddress !== "") server = `${host.serverAddress}:${host.located.serverPort ?? settings.sipPort}`;
  else if (settings.sipServer === "") server = "none (no sip_server)";
  else server = `${settings.sipServer} (${app === null ? "not located yet" : "not started"})`;
  return {
    registered: intercom?.registered ?? false,
    server,
    lastStatus: intercom?.registration?.lastStatus ?? 0,
    warnings: settings.warnings,
  };
}

/** The settings page, once, when web_password is set; without one there is no server and no socket. */
function startWeb(): void {
  if (web !== null || settings.webPassword === "") return;
  heap.report();
  try {
    web = new SettingsPage(settings.webPort, settings.webPassword, storage, log, webStatus);
    log.log(LogLevel.Info, `web: settings page on port ${settings.webPort} (user admin, HTTP Digest)`);
  } catch (error) {
    log.log(LogLevel.Error, `web: cannot listen on port ${settings.webPort}: ${String(error)}`);
  }
  heap.report();
}

network.listener = {
  onNetworkUp(address: string): void {
    if (app !== null) {
      log.log(LogLevel.Info, `doorsip: network up again (${address}): registering`);
      app.networkUp(address);
    } else if (!resolving) {
      startWeb();
      resolve();
    }
  },
  onNetworkDown(): void {
    log.log(LogLevel.Warn, "doorsip: network lost");
    app?.networkDown();
  },
};

if (network.up) {
  startWeb();
  resolve();
} else {
  log.log(LogLevel.Info, `doorsip: waiting for ${network.name}`);
}
