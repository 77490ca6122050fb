/*
 * Locating a SIP server over UDP (RFC 3263 §4): from the host part and
 * port of a SIP URI to the ordered list of address:port pairs to try.
 *
 *   - an IP address: that address, the given port or 5060 (§4.2);
 *   - a name with a port: its A records, that port (§4.2);
 *   - a name without a port: the SRV records of "_sip._udp.<name>" (§4.2;
 *     NAPTR, §4.1, is skipped, as most UDP-only clients do: the transport
 *     is UDP whatever it says). Ordered by priority, and within a priority
 *     by RFC 2782's weighted random choice; each target's addresses from
 *     the answer's additional section, or an A query of its own. A single
 *     record whose target is "." says the service is not offered there
 *     (RFC 2782): that ends the lookup. No SRV record (NXDOMAIN, an empty
 *     answer, or no answer at all): the name's A records, port 5060 (§4.2).
 *
 * The outcome's `targets` are what §4.3 walks on failure: the caller moves
 * to the next one when the server in use stops answering, and locates
 * again after the last.
 */
import { type RandomHost } from "../host";
import { TimerKind } from "../sip/timer/timer-kind";
import { TimerNode, type TimerQueue } from "../sip/timer/timer-queue";
import { type DnsClient, type DnsQueryListener } from "./dns-client";
import { canonicalName, type DnsAnswer, DnsFailure, DnsType, type SrvRecord } from "./dns-message";

/** RFC 3261 §19.1.2. */
export const SIP_DEFAULT_PORT = 5060;

export interface ServerTarget {
  address: string;
  port: number;
  /** The SRV record's priority and weight (0 without SRV). */
  priority: number;
  weight: number;
  /** The name the address belongs to: the SRV target, or the host. */
  name: string;
}

export const enum LocateVia {
  /** The host is an IP address. */
  Literal = 0,
  /** SRV records. */
  Srv = 1,
  /** The host's A records (a port was given, or no SRV records). */
  A = 2,
}

export interface Location {
  via: LocateVia;
  /** The name the outcome comes from: "_sip._udp.example.com" for SRV, else the host. */
  query: string;
  /** Where to send, in order; empty when nothing was found. */
  targets: ServerTarget[];
  /** SRV records received (0 without SRV). */
  records: number;
  /** Why there are no targets (None when there are): the last query's failure. */
  failure: DnsFailure;
  /** RFC 2782: the only SRV record's target is ".", the service is decidedly not offered at this domain. */
  notOffered: boolean;
}

export interface LocateListener {
  /** Called once per locate(), later. */
  onLocated(location: Location): void;
}

/** A dotted-quad IPv4 address (no DNS needed); an IPv6 literal has a colon. */
export function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.indexOf(":") >= 0;
}

/**
 * RFC 2782's order: by priority, lowest first; within a priority, repeatedly
 * a weighted random choice among those left (zero weights first in the
 * list, so that they are picked only when the random sum lands on 0).
 */
export function orderSrv(records: readonly SrvRecord[], random: RandomHost): SrvRecord[] {
  const sorted = records.slice();
  // Insertion sort: stable, and there are a handful.
  for (let i = 1; i < sorted.length; i++) {
    const r = sorted[i]!;
    let j = i - 1;
    while (j >= 0 && sorted[j]!.priority > r.priority) {
      sorted[j + 1] = sorted[j]!;
      j--;
    }
    sorted[j + 1] = r;
  }
  const out: SrvRecord[] = [];
  let start = 0;
  while (start < sorted.length) {
    let end = start;
    while (end < sorted.length && sorted[end]!.priority === sorted[start]!.priority) end++;
    const group: SrvRecord[] = [];
    for (let i = start; i < end; i++) if (sorted[i]!.weight === 0) group.push(sorted[i]!);
    for (let i = start; i < end; i++) if (sorted[i]!.weight !== 0) group.push(sorted[i]!);
    while (group.length > 0) {
      let sum = 0;
      for (let i = 0; i < group.length; i++) sum += group[i]!.weight;
      // Uniform in [0, sum]; u32 % (sum + 1) is biased by at most (sum + 1) / 2^32 (weights are 16-bit).
      const pick = random.u32() % (sum + 1);
      let running = 0;
      let chosen = group.length - 1;
      for (let i = 0; i < group.length; i++) {
        running += group[i]!.weight;
        if (running >= pick) {
          chosen = i;
          break;
        }
      }
      out.push(group[chosen]!);
      group.splice(chosen, 1);
    }
    start = end;
  }
  return out;
}

const enum Phase {
  Idle = 0,
  /** Asked "_sip._udp.<host>" SRV. */
  Srv = 1,
  /** Asking the A records of the SRV targets that came without addresses, one at a time. */
  Targets = 2,
  /** Asked the host's A records. */
  HostA = 3,
  /** An IP literal: told at the next tick. */
  Literal = 4,
}

export class ServerLocator extends TimerNode implements DnsQueryListener {
  private readonly dns: DnsClient;
  private readonly timers: TimerQueue;
  private readonly random: RandomHost;
  private listener: LocateListener | null = null;
  private phase = Phase.Idle;
  private host = "";
  private port = 0;
  private location: Location = emptyLocation(LocateVia.A, "");
  /** The SRV records in RFC 2782 order, and the one whose A records are asked. */
  private ordered: SrvRecord[] = [];
  private asking = 0;

  constructor(dns: DnsClient, timers: TimerQueue, random: RandomHost) {
    super(TimerKind.User);
    this.dns = dns;
    this.timers = timers;
    this.random = random;
  }

  get busy(): boolean {
    return this.listener !== null;
  }

  /**
   * Locate `host` (a SIP URI's host part), `port` the URI's (0: none).
   * The listener is told once, later. A lookup under way is dropped.
   */
  locate(host: string, port: number, listener: LocateListener): void {
    this.cancel();
    this.listener = listener;
    const h = canonicalName(host);
    this.host = h;
    this.port = port;
    if (isIpLiteral(h)) {
      this.phase = Phase.Literal;
      this.location = emptyLocation(LocateVia.Literal, h);
      this.location.targets.push({ address: h, port: port > 0 ? port : SIP_DEFAULT_PORT, priority: 0, weight: 0, name: h });
      this.timers.start(this, 0, TimerKind.User);
    } else if (port > 0) {
      this.askHostA();
    } else {
      this.phase = Phase.Srv;
      this.location = emptyLocation(LocateVia.Srv, "_sip._udp." + h);
      this.dns.query(this.location.query, DnsType.Srv, this);
    }
  }

  cancel(): void {
    if (this.listener === null) return;
    this.listener = null;
    this.phase = Phase.Idle;
    this.timers.stop(this);
    this.dns.cancel();
  }

  /** TimerNode: an IP literal's outcome, told after locate() returned. */
  fire(): void {
    if (this.phase === Phase.Literal) this.finish();
  }

  onDnsAnswer(answer: DnsAnswer, _name: string, _type: DnsType): void {
    if (this.listener === null) return;
    const loc = this.location;
    switch (this.phase) {
      case Phase.Srv: {
        const srv = answer.srv;
        loc.records = srv.length;
        if (answer.failure === DnsFailure.None && srv.length === 1 && srv[0]!.target === "") {
          loc.notOffered = true;
          loc.failure = DnsFailure.NameError;
          this.finish();
          return;
        }
        if (answer.failure !== DnsFailure.None || srv.length === 0) {
          // No SRV records (or no answer about them): the host's A records, port 5060 (§4.2).
          this.askHostA();
          return;
        }
        this.ordered = orderSrv(srv, this.random);
        for (let i = 0; i < this.ordered.length; i++) {
          const r = this.ordered[i]!;
          if (r.target === "") continue;
          // Addresses the server sent along (the additional section): one target each, in the order received.
          for (let k = 0; k < answer.a.length; k++) {
            const a = answer.a[k]!;
            if (a.name === r.target) loc.targets.push({ address: a.address, port: r.port, priority: r.priority, weight: r.weight, name: r.target });
          }
        }
        this.phase = Phase.Targets;
        this.asking = 0;
        this.askNextTarget();
        return;
      }
      case Phase.Targets: {
        const r = this.ordered[this.asking]!;
        if (answer.failure === DnsFailure.None) {
          // Insert in RFC 2782's place: after the targets of the records ordered before this one.
          let at = 0;
          for (let i = 0; i < this.asking; i++) at += countFor(loc.targets, this.ordered[i]!);
          for (let k = 0; k < answer.a.length; k++) {
            loc.targets.splice(at++, 0, { address: answer.a[k]!.address, port: r.port, priority: r.priority, weight: r.weight, name: r.target });
          }
        }
        loc.failure = answer.failure;
        this.asking++;
        this.askNextTarget();
        return;
      }
      case Phase.HostA: {
        loc.failure = answer.failure;
        const port = this.port > 0 ? this.port : SIP_DEFAULT_PORT;
        for (let k = 0; k < answer.a.length; k++) loc.targets.push({ address: answer.a[k]!.address, port, priority: 0, weight: 0, name: this.host });
        this.finish();
        return;
      }
      default:
        return;
    }
  }

  /** The next SRV target with no address yet gets an A query; after the last, the outcome. */
  private askNextTarget(): void {
    while (this.asking < this.ordered.length) {
      const r = this.ordered[this.asking]!;
      if (r.target !== "" && countFor(this.location.targets, r) === 0) {
        this.dns.query(r.target, DnsType.A, this);
        return;
      }
      this.asking++;
    }
    const loc = this.location;
    if (loc.targets.length > 0) loc.failure = DnsFailure.None;
    this.finish();
  }

  private askHostA(): void {
    const records = this.phase === Phase.Srv ? this.location.records : 0;
    this.phase = Phase.HostA;
    this.location = emptyLocation(LocateVia.A, this.host);
    this.location.records = records;
    this.dns.query(this.host, DnsType.A, this);
  }

  private finish(): void {
    const listener = this.listener;
    const loc = this.location;
    this.listener = null;
    this.phase = Phase.Idle;
    if (loc.targets.length > 0) loc.failure = DnsFailure.None;
    else if (loc.failure === DnsFailure.None) loc.failure = DnsFailure.NameError; // answered, but no address
    if (listener !== null) listener.onLocated(loc);
  }
}

/** How many targets came from SRV record `r` (same name and port). */
function countFor(targets: readonly ServerTarget[], r: SrvRecord): number {
  let n = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i]!.name === r.target && targets[i]!.port === r.port && targets[i]!.priority === r.priority) n++;
  return n;
}

function emptyLocation(via: LocateVia, query: string): Location {
  return { via, query, targets: [], records: 0, failure: DnsFailure.None, notOffered: false };
}

/** One line for the log: "_sip._udp.example.com: 2 servers, using 192.0.2.7:5070 (priority 10)". */
export function describeLocation(loc: Location): string {
  if (loc.targets.length === 0) {
    return loc.query + ": " + (loc.notOffered ? "SIP over UDP is not offered there (SRV target \".\")" : "no server found");
  }
  const t = loc.targets[0]!;
  const using = "using " + t.address + ":" + t.port;
  if (loc.via === LocateVia.Srv) return loc.query + ": " + loc.targets.length + (loc.targets.length === 1 ? " server, " : " servers, ") + using + " (priority " + t.priority + ")";
  if (loc.via === LocateVia.A) return loc.query + ": " + (loc.targets.length === 1 ? "1 address, " : loc.targets.length + " addresses, ") + using;
  return using;
}
