/*
 * The application on the Moddable SDK: the core's Intercom (src/app) built
 * with the host adapters and wired to them. main.ts calls startApp once the
 * network is up and the SIP server's address is known.
 *
 * Wiring, in the order the Intercom asks for (src/app/intercom.ts):
 *   - the adapters (clock, random, hash, log, pins, udp) go to its
 *     constructor, with IntercomSettings made from the settings below;
 *   - the socket's receiver is `intercom.receiver` (the transaction layer);
 *   - the clock's Wakeable is `intercom.timers` (the core's one TimerQueue:
 *     every RFC 3261 timer, the doorbell debounce, the LED blinking and the
 *     relay pulse run on the one SDK timer of clock.ts);
 *   - every change of the button's level goes to intercom.buttonChanged,
 *     which debounces it (debounce_ms);
 *   - start() registers and starts the keepalive; networkUp() registers
 *     again at once after a Wi-Fi reconnect.
 * At debug level a tap logs every datagram (length, peer, first line) in
 * both directions; at other levels the socket talks to the core directly.
 */
import { LogLevel, type LogHost, type UdpHost, type UdpReceiver } from "../../src/host";
import { ButtonAction, HuntMode, Intercom, type IntercomSettings } from "../../src/app/intercom";
import { TimerEntry, type TimerTarget } from "../../src/sip/timer/timer-queue";
import { TimerKind } from "../../src/sip/timer/timer-kind";
import type { AccountConfig } from "../../src/ua/account";
import { UntrustedAction } from "../../src/ua/trust/trust-settings";
import type { Located, ModdableHost } from "./adapters";
import { createAudio } from "./audio/board";
import type { DoorAudio } from "./audio/board";
import { attachMediaSockets } from "./audio_sockets";
import type { ButtonReceiver } from "./pins";
import type { Settings } from "./settings";

const FIRST_LINE_MAX = 100;

/**
 * The settings of the core, from the device's settings (settings.ts) and the
 * resolved addresses of the server and of the outbound proxy ("" = none).
 */
export function intercomSettings(s: Settings, serverAddress: string, proxyAddress = "", located: Located = {}): IntercomSettings {
  const hasServer = serverAddress !== "";
  const named = hasServer && s.sipServer !== serverAddress;
  const proxyNamed = hasServer && proxyAddress !== "" && s.sipProxy !== proxyAddress;
  const account: AccountConfig = {
    registrarHost: serverAddress,
    // A name (main.ts located it): looked up again should the server stop answering (with a proxy, the proxy's name is: src/ua/server-name.ts).
    serverName: named ? s.sipServer : undefined,
    // Its SRV target's port (RFC 3263 §4.2), else the configured one; the other targets are where it goes on failure (§4.3).
    registrarPort: located.serverPort ?? s.sipPort,
    serverNamePort: named && s.sipServerPortGiven ? s.sipPort : undefined,
    serverTargets: named ? located.serverTargets : undefined,
    domain: s.sipDomain,
    user: s.sipUser,
    password: s.sipPassword,
    authUser: s.sipAuthUser !== "" ? s.sipAuthUser : undefined,
    // RFC 3261 §8.1.2: every request goes to the proxy, with a Route naming it (loose routing).
    outboundProxyHost: hasServer && proxyAddress !== "" ? proxyAddress : undefined,
    outboundProxyPort: located.proxyPort ?? s.sipProxyPort,
    // A name (main.ts located it): with a proxy, the name the core looks up again should the proxy stop answering.
    outboundProxyName: proxyNamed ? s.sipProxy : undefined,
    outboundProxyNamePort: proxyNamed && s.sipProxyPortGiven ? s.sipProxyPort : undefined,
    outboundProxyTargets: proxyNamed ? located.proxyTargets : undefined,
    expires: s.expires,
  };
  return {
    account,
    calls: {
      autoAnswerMs: s.autoAnswerMs,
      ringTimeoutMs: s.ringTimeoutMs,
      callLimitMs: s.callLimitMs,
      allowRefer: s.transfers === "on",
      maxCalls: s.maxCalls,
      messageBuffer: s.callBuffer,
      rtpPort: s.rtpPort,
    },
    targets: s.targets,
    hunt: s.hunt === "parallel" ? HuntMode.Parallel : HuntMode.Sequential,
    buttonDuringCall: s.buttonInCall === "hangup" ? ButtonAction.Hangup : ButtonAction.Ignore,
    doorCode: s.doorCode,
    inbandDtmf: s.inbandDtmf,
    doorOpenMs: s.doorOpenMs,
    hangupAfterOpenMs: s.hangupAfterOpenMs,
    debounceMs: s.debounceMs,
    keepaliveSeconds: hasServer ? s.keepalive : 0,
    register: hasServer,
    maxClientTransactions: s.txClients,
    maxServerTransactions: s.txServers,
    messageBuffer: s.msgBuffer,
    arenaBytes: s.txArena,
    // Trusted sources (src/ua/trust): the server's resolved address and port, plus allow_from.
    trust: {
      allow: s.allowFrom,
      untrusted: s.untrusted === "drop" ? UntrustedAction.Drop : UntrustedAction.Reject,
      acceptAny: s.acceptFrom === "any",
    },
  };
}

function firstLine(data: Uint8Array, length: number): string {
  let text = "";
  const end = length < FIRST_LINE_MAX ? length : FIRST_LINE_MAX;
  for (let i = 0; i < end; i++) {
    const c = data[i]!;
    if (c === 13 || c === 10) break;
    text += c >= 32 && c < 127 ? String.fromCharCode(c) : ".";
  }
  return text;
}

/** Debug level only: logs each datagram and passes it on, both ways. */
class DatagramTap implements UdpReceiver, UdpHost {
  target: UdpReceiver | null = null;
  private readonly udp: UdpHost;
  private readonly log: LogHost;

  constructor(udp: UdpHost, log: LogHost) {
    this.udp = udp;
    this.log = log;
  }

  get localAddress(): string {
    return this.udp.localAddress;
  }

  get localPort(): number {
    return this.udp.localPort;
  }

  receive(data: Uint8Array, length: number, address: string, port: number): void {
    this.log.log(LogLevel.Debug, `sip: ${length} bytes from ${address}:${port} ${firstLine(data, length)}`);
    this.target?.receive(data, length, address, port);
  }

  send(data: Uint8Array, length: number, address: string, port: number): boolean {
    const sent = this.udp.send(data, length, address, port);
    this.log.log(LogLevel.Debug, `sip: ${length} bytes to ${address}:${port}${sent ? "" : " (failed)"} ${firstLine(data, length)}`);
    return sent;
  }
}

class Button implements ButtonReceiver {
  private readonly intercom: Intercom;
  private readonly log: LogHost;

  constructor(intercom: Intercom, log: LogHost) {
    this.intercom = intercom;
    this.log = log;
  }

  button(pressed: boolean): void {
    this.log.log(LogLevel.Debug, pressed ? "doorbell pressed" : "doorbell released");
    this.intercom.buttonChanged(pressed);
  }
}

/**
 * Start-up check of the adapters: one MD5 and one SHA-256 (RFC 1321 and
 * FIPS 180 test vectors for "abc"), a random number, and a 250 ms timer on
 * the core's queue (through clock.ts), all logged at Info.
 */
class SelfTest implements TimerTarget {
  private readonly host: ModdableHost;
  private readonly intercom: Intercom;
  private readonly entry: TimerEntry;
  private started = 0;

  constructor(host: ModdableHost, intercom: Intercom) {
    this.host = host;
    this.intercom = intercom;
    this.entry = new TimerEntry(this, TimerKind.User);
  }

  run(): void {
    const abc = new Uint8Array([0x61, 0x62, 0x63]);
    const md5 = this.host.hash.hex("MD5", abc, 3) === "900150983cd24fb0d6963f7d28e17f72";
    const sha = this.host.hash.hex("SHA-256", abc, 3) === "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    const random = this.host.random.u32();
    this.host.log.log(md5 && sha ? LogLevel.Info : LogLevel.Error,
      `self-test: md5 ${md5 ? "ok" : "WRONG"}, sha-256 ${sha ? "ok" : "WRONG"}, random ${random >>> 0}`);
    this.started = this.intercom.timers.now();
    this.intercom.timers.start(this.entry, 250, TimerKind.User);
  }

  onTimer(_entry: TimerEntry): void {
    const elapsed = this.intercom.timers.now() - this.started;
    this.host.log.log(elapsed >= 250 ? LogLevel.Info : LogLevel.Error, `self-test: clock woke after ${elapsed} ms`);
  }
}

export class App {
  readonly host: ModdableHost;
  readonly intercom: Intercom;
  /** The board's microphone and speaker (hosts/moddable/audio/board), if it has them. */
  readonly audio: DoorAudio | undefined;
  private readonly tap: DatagramTap | null;

  constructor(host: ModdableHost, debug: boolean) {
    this.host = host;
    const tap = debug ? new DatagramTap(host.udp, host.log) : null;
    this.tap = tap;
    const settings = intercomSettings(host.settings, host.serverAddress, host.proxyAddress, host.located);
    this.audio = createAudio(host.log);
    this.intercom = new Intercom({
      clock: host.clock,
      random: host.random,
      hash: host.hash,
      log: host.log,
      pins: host.pins,
      // The door code's wrong-entry and lockout counts outlive a restart (NVS), in the settings' preference domain.
      storage: host.storage,
      udp: tap ?? host.udp,
      audio: this.audio,
      resolver: host.resolver,
      // The core's own DNS client (RFC 3263 SRV, then A) over the SIP socket, when lwIP names a DNS server it can ask and the
      // server's name was located by it (serverTargets); a name only lwIP's resolver knows (mDNS) is looked up again by it.
      dnsServers: host.dnsServers.length > 0 && host.located.serverTargets !== undefined ? host.dnsServers : undefined,
    }, settings);
    // RTP/RTCP per call slot on the configured ports (rtp_port, CallOptions.rtpPort): slot i on rtpPort + 2 i.
    attachMediaSockets(this.intercom, this.intercom.ua.calls[0]?.media.rtpPort ?? host.settings.rtpPort, host.udp.localAddress, host.log);
    if (tap !== null) tap.target = this.intercom.receiver;
    host.udp.attach(tap ?? this.intercom.receiver);
    host.clock.attach(this.intercom.timers);
    host.pins.attach(new Button(this.intercom, host.log));
  }

  start(): void {
    const s = this.host.settings;
    const log = this.host.log;
    this.host.pins.setRelay(false);
    new SelfTest(this.host, this.intercom).run();
    log.log(LogLevel.Info, `sip: listening on ${this.host.udp.localAddress}:${this.host.udp.localPort}, ` +
      (this.host.serverAddress !== "" ? `server ${this.host.serverAddress}:${this.host.located.serverPort ?? s.sipPort}` : "no server (no registration; calls by SIP URI)") +
      (this.host.serverAddress !== "" && this.host.proxyAddress !== "" ? ` via proxy ${this.host.proxyAddress}:${this.host.located.proxyPort ?? s.sipProxyPort}` : ""));
    if (this.host.serverAddress === "" && s.targets.length > 0) {
      for (const t of s.targets) {
        if (!t.startsWith("sip:") && !t.startsWith("sips:")) log.log(LogLevel.Warn, `call_target ${t} is no SIP URI, and there is no server to call it through`);
      }
    }
    if (this.host.serverAddress === "" && s.acceptFrom === "server" && s.allowFrom.length === 0) {
      log.log(LogLevel.Info, "no sip_server and no allow_from: calls are accepted from the local networks only");
    }
    this.intercom.start();
  }

  /** The network is back (Wi-Fi reconnect), perhaps with another address: register again now. */
  networkUp(address: string): void {
    if (address !== "") this.host.udp.localAddress = address;
    this.intercom.networkUp();
  }

  networkDown(): void {
    // Nothing to stop: sends fail (and count as lost datagrams) until networkUp().
  }

  /** Counters for the periodic heap line. */
  counters(): string {
    const u = this.host.udp;
    return `sip rx ${u.received} tx ${u.sent} failed ${u.failed}, clock ${this.host.clock.ticks} wake-ups (${this.host.clock.stray} stray), ` +
      `calls ${this.intercom.ua.activeCalls}, ${this.intercom.registered ? "registered" : "not registered"}` +
      `, untrusted ${this.intercom.trust.counters.rejected} rejected ${this.intercom.trust.counters.dropped} dropped, scanners ${this.intercom.trust.counters.scanners}` +
      (this.audio !== undefined ? `, ${this.audio.counters()}` : "");
  }

  get tapped(): boolean {
    return this.tap !== null;
  }
}

export function startApp(host: ModdableHost, debug: boolean): App {
  const app = new App(host, debug);
  app.start();
  return app;
}
