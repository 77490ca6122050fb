/*
 * The world of the long-run test (test/longrun.test.ts): the whole
 * Intercom on the virtual clock, its UDP host a link to the in-process PBX
 * (longrun-pbx.ts) with a fixed latency, the device's network that goes
 * down (sends fail, as ModdableUdp.send does when write() throws; nothing
 * arrives) and up again (the host calls intercom.networkUp(), as
 * hosts/moddable/main.ts onNetworkUp does, maybe with a new DHCP address),
 * and one event queue that interleaves the world's events with the core's
 * wake-ups in time order.
 */
import { LogLevel, type LogHost, type UdpHost, type Wakeable } from "../../src/host";
import { Intercom, type IntercomEvent, type IntercomSettings, intercomEventName } from "../../src/app/intercom";
import { NodeHash } from "../../hosts/node/hash";
import { PBX, PBX_PORT, LongrunPbx } from "./longrun-pbx";
import { SeededRandom } from "./seeded-random";
import { VirtualClock } from "./virtual-clock";

/** One way, door <-> PBX. */
export const LATENCY_MS = 20;
export const DOOR_PORT = 5060;

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** Datagrams the door sent, per hour of virtual time. */
export interface HourCount {
  datagrams: number;
  /** New transactions (a branch not seen before), by method. */
  register: number;
  options: number;
  other: number;
  logLines: number;
  /** Sends refused while the network was down (each a request's first try: a transaction ends at its first failed send). */
  failed: number;
  /** Lines by their text with digits masked (the first 60 characters): what a busy hour logged. */
  logKinds: Map<string, number>;
}

export class DoorLink implements UdpHost {
  localAddress: string;
  readonly localPort = DOOR_PORT;
  up = true;
  sent = 0;
  failed = 0;

  constructor(address: string, private readonly world: LongrunWorld) {
    this.localAddress = address;
  }

  send(data: Uint8Array, length: number, address: string, port: number): boolean {
    if (!this.up) {
      this.failed++;
      this.world.hour().failed++;
      return false;
    }
    this.sent++;
    const text = Buffer.from(data.subarray(0, length)).toString("latin1");
    this.world.count(text);
    const from = this.localAddress;
    this.world.after(LATENCY_MS, () => {
      if (address === PBX && port === PBX_PORT) this.world.pbx.receive(text, from, DOOR_PORT);
    });
    return true;
  }
}

export class LongrunWorld implements Wakeable, LogHost {
  readonly clock = new VirtualClock(0);
  readonly link: DoorLink;
  readonly pbx: LongrunPbx;
  readonly intercom: Intercom;
  readonly events: { name: string; detail: string; at: number }[] = [];
  readonly hours: HourCount[] = [];
  readonly errors: string[] = [];
  readonly level = LogLevel.Info;
  /** Called after every step (a core wake-up or a world event): the invariants. */
  check: () => void = () => {};
  private readonly queue: Pending[] = [];
  private seq = 0;
  private readonly branches = new Set<string>();

  constructor(seed: number, settings: Omit<IntercomSettings, "account"> & { expires: number; password: string }) {
    this.link = new DoorLink("192.0.2.10", this);
    this.pbx = new LongrunPbx(() => this.clock.now(), (text, address, port) => this.toDoor(text, address, port), (ms, fn) => this.after(ms, fn), "secret");
    const { expires, password, ...rest } = settings;
    this.intercom = new Intercom(
      { clock: this.clock, random: new SeededRandom(seed), hash: new NodeHash(), log: this, udp: this.link },
      { account: { registrarHost: PBX, registrarPort: PBX_PORT, domain: "doorsip.test", user: "door", password, expires }, ...rest },
    );
    this.clock.attach(this);
    this.intercom.listener = {
      onIntercomEvent: (e: IntercomEvent, _call, detail: string) => void this.events.push({ name: intercomEventName(e), detail, at: this.clock.now() }),
    };
  }

  /** LogHost: lines are counted per hour; errors kept. */
  log(level: LogLevel, text: string): void {
    const h = this.hour();
    h.logLines++;
    const key = text.replace(/[0-9]+/g, "#").slice(0, 60);
    h.logKinds.set(key, (h.logKinds.get(key) ?? 0) + 1);
    if (level === LogLevel.Error) this.errors.push(`${this.clock.now()}: ${text}`);
  }

  /** Wakeable: the core's timer queue, then the invariants. */
  tick(): void {
    this.intercom.timers.tick();
    this.check();
  }

  now(): number {
    return this.clock.now();
  }

  hour(at = this.clock.now()): HourCount {
    const h = Math.floor(at / 3_600_000);
    while (this.hours.length <= h) this.hours.push({ datagrams: 0, register: 0, options: 0, other: 0, logLines: 0, failed: 0, logKinds: new Map() });
    return this.hours[h]!;
  }

  /** A datagram the door sent: counted, a request's first copy counted as a transaction. */
  count(text: string): void {
    const h = this.hour();
    h.datagrams++;
    if (text.startsWith("SIP/2.0")) return;
    const branch = /branch=([^;\r\n]+)/.exec(text)?.[1] ?? "";
    if (this.branches.has(branch)) return;
    this.branches.add(branch);
    if (text.startsWith("REGISTER")) h.register++;
    else if (text.startsWith("OPTIONS")) h.options++;
    else h.other++;
  }

  private toDoor(text: string, address: string, port: number): void {
    this.after(LATENCY_MS, () => {
      const link = this.link;
      if (!link.up || address !== link.localAddress || port !== DOOR_PORT) return;
      const b = Buffer.from(text, "latin1");
      this.intercom.receiver.receive(new Uint8Array(b.buffer, b.byteOffset, b.length), b.length, PBX, PBX_PORT);
    });
  }

  at(time: number, fn: () => void): void {
    const item = { at: time, seq: ++this.seq, fn };
    const q = this.queue;
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = q[mid]!;
      if (m.at < time || (m.at === time && m.seq < item.seq)) lo = mid + 1;
      else hi = mid;
    }
    q.splice(lo, 0, item);
  }

  after(ms: number, fn: () => void): void {
    this.at(this.clock.now() + ms, fn);
  }

  /** Run the world until `end`: the core's wake-ups and the world's events, in time order (a wake-up first at equal times). */
  runUntil(end: number): void {
    const clock = this.clock;
    const q = this.queue;
    for (;;) {
      const wake = clock.wakeAt ?? Infinity;
      const next = q.length > 0 ? q[0]!.at : Infinity;
      if (wake <= next && wake <= end) {
        clock.advanceTo(wake);
        continue;
      }
      if (next <= end) {
        clock.advanceTo(next);
        q.shift()!.fn();
        this.check();
        continue;
      }
      clock.advanceTo(end);
      return;
    }
  }

  /** The device's network goes down: sends fail, nothing arrives. */
  networkDown(): void {
    this.link.up = false;
  }

  /** The network is back, maybe with another address (DHCP): the host tells the core (hosts/moddable/app.ts networkUp). */
  networkUp(address: string): void {
    this.link.up = true;
    this.link.localAddress = address;
    this.intercom.networkUp();
  }

  /** The door's Contact as the PBX stores it. */
  contact(): string {
    return `sip:door@${this.link.localAddress}:${DOOR_PORT}`;
  }

  names(from = 0): string[] {
    return this.events.slice(from).map((e) => e.name);
  }
}
