/*
 * The intercom on Node: the core's Intercom with the Node host's adapters
 * (dgram UDP, setTimeout clock, node:crypto hashes and randomness, stderr
 * log), plus the pins a computer does not have, shown as log lines. Used by
 * `doorsip run` and by the end-to-end tests.
 *
 * DoorRuntime is what `doorsip run` and its --demo tour need from a runtime:
 * NodeIntercom (the core in this process) and XsIntercom (hosts/xs, the core
 * inside the XS engine, bridged) both implement it.
 */
import { type AudioHost, LogLevel, type LogHost, type PinsHost, type ResolverHost, type UdpHost, type UdpReceiver } from "../../src/host";
import { Intercom, IntercomEvent, type IntercomListener, type IntercomSettings } from "../../src/app/intercom";
import { RegState } from "../../src/ua/registration";
import { NodeClock } from "./clock";
import { NodeHash } from "./hash";
import { NodeRandom } from "./random";
import { NodeResolver } from "./resolver";
import type { DnsServerAddress } from "../../src/dns/dns-client";
import { NodeUdp } from "./udp";
import { hasOutboundProxy } from "../../src/ua/account";
import type { PacketTap } from "./pbx/tap";
import { bindMediaSockets, closeMediaSockets, type MediaSocketPair } from "./audio/rtp-sockets";

/** The door's relay and LED on a computer: remembered, and reported when they change. */
export class LoggedPins implements PinsHost {
  relay = false;
  led = false;
  constructor(private readonly onChange: (what: "relay" | "led", on: boolean) => void) {}
  setRelay(on: boolean): void {
    if (on === this.relay) return;
    this.relay = on;
    this.onChange("relay", on);
  }
  setLed(on: boolean): void {
    if (on === this.led) return;
    this.led = on;
    this.onChange("led", on);
  }
}

/** A UdpHost/UdpReceiver pair that reports every datagram to a tap, then passes it on. */
export class TappedUdp implements UdpHost, UdpReceiver {
  inner: NodeUdp | null = null;
  target: UdpReceiver | null = null;
  /** Endpoints ("address:port") whose datagrams are not tapped: the DNS servers the core asks over this socket. */
  readonly quiet = new Set<string>();
  constructor(private readonly tap: PacketTap, private readonly t0: number) {}
  get localAddress(): string {
    return this.inner?.localAddress ?? "";
  }
  get localPort(): number {
    return this.inner?.localPort ?? 0;
  }
  private here(): string {
    return `${this.localAddress}:${this.localPort}`;
  }
  send(data: Uint8Array, length: number, address: string, port: number): boolean {
    const ok = this.inner !== null && this.inner.send(data, length, address, port);
    if (ok && !this.quiet.has(`${address}:${port}`)) this.tap({ time: performance.now() - this.t0, from: this.here(), to: `${address}:${port}`, bytes: data.slice(0, length) });
    return ok;
  }
  receive(data: Uint8Array, length: number, address: string, port: number): void {
    if (!this.quiet.has(`${address}:${port}`)) this.tap({ time: performance.now() - this.t0, from: `${address}:${port}`, to: this.here(), bytes: data.slice(0, length) });
    this.target?.receive(data, length, address, port);
  }
}

/** An intercom runtime as `doorsip run` drives it: the core in some engine, on a real socket. */
export interface DoorRuntime {
  /** The door's socket, as bound. */
  readonly localAddress: string;
  readonly localPort: number;
  /** Relay and LED as last driven. */
  readonly pins: LoggedPins;
  /** Register, start the keepalive. */
  start(): void;
  /** A doorbell press. */
  press(): void;
  /** Hang up every call. */
  hangupAll(): void;
  /** Unregister (waiting at most `timeoutMs` for the registrar), then close everything. */
  stop(timeoutMs?: number): Promise<void>;
  /** Each call slot's RTP session, as of its current or last call. */
  mediaStats(): Promise<SlotMedia[]>;
  /** Received RFC 4733 keys the media dropped as the echo of the door's own event (CallMedia.echoes). */
  mediaEchoes(): Promise<number>;
}

/** A call slot's RTP session: running, packets sent and received, RFC 4733 digits, latched onto the peer's source (RFC 4961). */
export interface SlotMedia {
  active: boolean;
  sent: number;
  received: number;
  digits: number;
  latched: boolean;
}

/** Options every DoorRuntime takes. */
export interface DoorRuntimeOptions {
  settings: IntercomSettings;
  /** Where to listen (default 127.0.0.1, port 0 = any). */
  address?: string;
  port?: number;
  log?: LogHost;
  /** Sees every datagram the door sends and receives (ladder view, pcap). */
  tap?: PacketTap;
  /** Time origin of tap events (performance.now() value); default now. */
  t0?: number;
  /** Every intercom event, with the core's detail text. */
  onEvent?: (event: IntercomEvent, detail: string) => void;
  /** Relay and LED changes. */
  onPin?: (what: "relay" | "led", on: boolean) => void;
  /** The door's microphone and speaker (hosts/node/audio: WAV files, a tone); none: silence is sent. */
  audio?: AudioHost & { close?(): void };
  /** First RTP port (slot i: + 2 i); default settings.calls.rtpPort, else ephemeral even/odd pairs. Taken ports fall back to ephemeral ones. */
  rtpPort?: number;
  /**
   * DNS servers for the core's own DNS client (RFC 3263: SRV, then A; src/dns/): the server's name is looked up
   * again through it on failure, and the station walks the SRV targets (IntercomHosts.dnsServers). On Node its
   * queries go out of a socket of their own, so the ladder and pcap of the SIP socket show SIP only.
   * Inside XS (XsIntercom) they go out of the SIP socket, as on the device.
   */
  dnsServers?: readonly DnsServerAddress[];
}

export interface NodeIntercomOptions extends DoorRuntimeOptions {
  /** How the server's name (settings.account.serverName) is looked up again (default NodeResolver: the system's resolver). */
  resolver?: ResolverHost & { close?(): void };
  /** The core's listener, with the call object (called before onEvent). */
  listener?: IntercomListener;
}

/** Where the door's requests go first (the outbound proxy, else the server): the address a wildcard-bound socket advertises is the one that reaches it. */
export function firstHop(settings: IntercomSettings): { address: string; port: number } | undefined {
  const a = settings.account;
  if (a === undefined || a.registrarHost === "") return undefined;
  return hasOutboundProxy(a) ? { address: a.outboundProxyHost, port: a.outboundProxyPort ?? 5060 } : { address: a.registrarHost, port: a.registrarPort ?? 5060 };
}

export class NodeIntercom implements DoorRuntime {
  readonly intercom: Intercom;
  readonly udp: NodeUdp;
  readonly clock: NodeClock;
  readonly pins: LoggedPins;
  /** RTP and RTCP sockets per call slot. */
  readonly media: MediaSocketPair[] = [];
  private audio: (AudioHost & { close?(): void }) | undefined;
  private resolver: (ResolverHost & { close?(): void }) | undefined;
  /** The core's DNS client's socket (with dnsServers), else null. */
  private dnsUdp: NodeUdp | null = null;

  private constructor(intercom: Intercom, udp: NodeUdp, clock: NodeClock, pins: LoggedPins) {
    this.intercom = intercom;
    this.udp = udp;
    this.clock = clock;
    this.pins = pins;
  }

  /** Bind the socket and build the intercom (not started: call start()). */
  static async create(o: NodeIntercomOptions): Promise<NodeIntercom> {
    const clock = new NodeClock();
    const pins = new LoggedPins(o.onPin ?? (() => {}));
    const tapped = o.tap !== undefined ? new TappedUdp(o.tap, o.t0 ?? performance.now()) : null;
    let intercom: Intercom | null = null;
    const receiver: UdpReceiver = tapped ?? { receive: (d, l, a, p) => intercom?.receiver.receive(d, l, a, p) };
    const type = (o.address ?? "127.0.0.1").includes(":") ? "udp6" : "udp4";
    const udp = await NodeUdp.bind({
      receiver, address: o.address ?? "127.0.0.1", port: o.port ?? 0, type, routeTo: firstHop(o.settings),
      onError: (e) => o.log?.log(LogLevel.Debug, `udp: ${e.message}`),
    });
    if (tapped !== null) tapped.inner = udp;
    const resolver = o.resolver ?? new NodeResolver();
    const dnsServers = o.dnsServers !== undefined && o.dnsServers.length > 0 ? o.dnsServers : undefined;
    let dnsUdp: NodeUdp | undefined;
    if (dnsServers !== undefined) {
      dnsUdp = await NodeUdp.bind({ receiver: { receive: (d, l, a, p) => intercom?.dnsUdpReceiver?.receive(d, l, a, p) }, address: type === "udp6" ? "::" : "0.0.0.0", port: 0, type });
    }
    intercom = new Intercom({ clock, random: new NodeRandom(), hash: new NodeHash(), log: o.log, pins, udp: tapped ?? udp, audio: o.audio, resolver, dnsServers, dnsUdp }, o.settings);
    if (tapped !== null) tapped.target = intercom.receiver;
    clock.attach(intercom.timers);
    const listener = o.listener;
    const onEvent = o.onEvent;
    intercom.listener = onEvent === undefined ? listener : {
      onIntercomEvent: (event, call, detail) => {
        listener?.onIntercomEvent(event, call, detail);
        onEvent(event, detail);
      },
    };
    let media: MediaSocketPair[];
    try {
      media = await bindMediaSockets(intercom, o.address ?? "127.0.0.1", o.rtpPort ?? o.settings.calls?.rtpPort ?? 0, o.log);
    } catch (e) {
      await udp.close();
      await dnsUdp?.close();
      throw e;
    }
    const runtime = new NodeIntercom(intercom, udp, clock, pins);
    runtime.dnsUdp = dnsUdp ?? null;
    runtime.media.push(...media);
    runtime.audio = o.audio;
    runtime.resolver = resolver;
    return runtime;
  }

  get localAddress(): string {
    return this.udp.localAddress;
  }

  get localPort(): number {
    return this.udp.localPort;
  }

  start(): void {
    this.intercom.start();
  }

  press(): void {
    this.intercom.press();
  }

  hangupAll(): void {
    this.intercom.ua.hangupAll();
  }

  mediaStats(): Promise<SlotMedia[]> {
    return Promise.resolve(this.intercom.media.slots.map((s) => ({
      active: s.active, sent: s.packetsSent, received: s.packetsReceived, digits: s.digits, latched: s.latched,
    })));
  }

  mediaEchoes(): Promise<number> {
    return Promise.resolve(this.intercom.media.echoes);
  }

  /** Unregister (waiting at most `timeoutMs` for the registrar), then close everything. */
  async stop(timeoutMs = 3000): Promise<void> {
    const ic = this.intercom;
    const previous = ic.listener;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      ic.listener = {
        onIntercomEvent: (e, call, detail) => {
          previous?.onIntercomEvent(e, call, detail);
          if (e === IntercomEvent.Unregistered) {
            clearTimeout(timer);
            resolve();
          }
        },
      };
      const reg = ic.registration;
      const bound = reg !== null && reg.state !== RegState.Unregistered;
      ic.stop();
      if (!bound) {
        clearTimeout(timer);
        resolve();
      }
    });
    this.intercom.listener = previous;
    this.clock.close();
    this.intercom.media.stopAll();
    this.audio?.close?.();
    this.resolver?.close?.();
    await closeMediaSockets(this.media);
    await this.dnsUdp?.close();
    await this.udp.close();
  }
}
