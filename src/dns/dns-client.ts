/*
 * A stub resolver's query (RFC 1035 §7): one question at a time to the
 * host's DNS servers, over the host's UDP socket, with a try timeout on the
 * core's timer queue.
 *
 * The device's lwIP resolver (Net.resolve) asks for A records only, so the
 * SRV lookups of RFC 3263 are made here, in the core, the same code on
 * every host. The query goes out of the socket the host gives (the SIP
 * socket itself on the device: no second socket); the host's receiver
 * hands a datagram to receive() first, which takes it only while a query is
 * awaited and it comes from a server asked (owns()), so SIP traffic is
 * never taken for DNS.
 *
 * Tries: each server `tries` times (default 2), one after another, each
 * try waiting `timeoutMs` (default 2000, resolv.conf's order of things). A
 * fresh random ID per try (RFC 5452 §9.2: an ID an attacker cannot guess);
 * an answer with another ID or another question is ignored, not taken as
 * the end (it may be a late answer to an earlier try, or forged). SERVFAIL
 * and REFUSED move on to the next try at once; NXDOMAIN and an answer end
 * the query.
 */
import { type RandomHost, type UdpHost, type UdpReceiver } from "../host";
import { TimerKind } from "../sip/timer/timer-kind";
import { TimerNode, type TimerQueue } from "../sip/timer/timer-queue";
import { DNS_UDP_SIZE, DnsFailure, type DnsAnswer, type DnsType, readAnswer, writeQuery } from "./dns-message";

export const DNS_TRY_TIMEOUT_MS = 2000;
export const DNS_TRIES = 2;
export const DNS_PORT = 53;

export interface DnsServerAddress {
  address: string;
  port: number;
}

/** Where a query's outcome goes: called once per query, later (never from inside query()). */
export interface DnsQueryListener {
  onDnsAnswer(answer: DnsAnswer, name: string, type: DnsType): void;
}

export interface DnsClientOptions {
  /** The socket queries go out of (none yet: attach() it; until then a try is one that gets no answer). */
  udp?: UdpHost;
  timers: TimerQueue;
  random: RandomHost;
  /** The DNS servers, in order (the host's: DHCP's on the device, resolv.conf's on Node). */
  servers: readonly DnsServerAddress[];
  tryTimeoutMs?: number;
  tries?: number;
}

/** "192.0.2.53", "192.0.2.53:5353" -> a server address (port 53 by default); null when it is not an IPv4 address. */
export function parseDnsServer(text: string): DnsServerAddress | null {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3})(?::(\d{1,5}))?$/.exec(text.trim());
  if (m === null) return null;
  const parts = m[1]!.split(".");
  for (let i = 0; i < 4; i++) if (Number(parts[i]) > 255) return null;
  const port = m[2] !== undefined ? Number(m[2]) : DNS_PORT;
  if (port < 1 || port > 65535) return null;
  return { address: m[1]!, port };
}

export class DnsClient extends TimerNode implements UdpReceiver {
  readonly servers: readonly DnsServerAddress[];
  /** Queries sent (every try), answers taken, datagrams ignored (wrong ID, question or source) (diagnostics, tests). */
  sent = 0;
  answered = 0;
  ignored = 0;

  private udp: UdpHost | null;
  private readonly timers: TimerQueue;
  private readonly random: RandomHost;
  private readonly tryTimeoutMs: number;
  private readonly tries: number;
  private readonly buf = new Uint8Array(DNS_UDP_SIZE);
  private listener: DnsQueryListener | null = null;
  private name = "";
  private type: DnsType = 1 as DnsType;
  private id = -1;
  private attempt = 0;
  private length = 0;

  constructor(o: DnsClientOptions) {
    super(TimerKind.User);
    this.udp = o.udp ?? null;
    this.timers = o.timers;
    this.random = o.random;
    this.servers = o.servers;
    this.tryTimeoutMs = o.tryTimeoutMs !== undefined && o.tryTimeoutMs > 0 ? o.tryTimeoutMs : DNS_TRY_TIMEOUT_MS;
    this.tries = o.tries !== undefined && o.tries > 0 ? o.tries : DNS_TRIES;
  }

  attach(udp: UdpHost): void {
    this.udp = udp;
  }

  /** A query is awaited. */
  get busy(): boolean {
    return this.listener !== null;
  }

  /**
   * Ask `name` / `type`; the listener gets the outcome once, later (a name
   * that cannot be asked, or no server: after a zero-delay timer). A query
   * still awaited is dropped: its listener hears nothing more.
   */
  query(name: string, type: DnsType, listener: DnsQueryListener): void {
    this.listener = listener;
    this.name = name;
    this.type = type;
    this.attempt = 0;
    this.id = -1;
    this.length = writeQuery(this.buf, 0, name, type);
    this.send();
  }

  /** Drop the query under way, if any: its listener hears nothing. */
  cancel(): void {
    this.listener = null;
    this.id = -1;
    this.timers.stop(this);
  }

  /** Is a datagram from address:port the answer awaited's to take (a server asked, while a query is awaited)? */
  owns(address: string, port: number): boolean {
    if (this.listener === null) return false;
    const s = this.servers;
    for (let i = 0; i < s.length; i++) if (s[i]!.port === port && s[i]!.address === address) return true;
    return false;
  }

  receive(data: Uint8Array, length: number, address: string, port: number): void {
    if (!this.owns(address, port) || this.id < 0) {
      this.ignored++;
      return;
    }
    const answer = readAnswer(data, length, this.id, this.name, this.type);
    const f = answer.failure;
    if (f === DnsFailure.WrongId || f === DnsFailure.WrongQuestion || f === DnsFailure.NotResponse || f === DnsFailure.Malformed) {
      // Not the answer to this try (a late or forged one, or garbage): keep waiting for it.
      this.ignored++;
      return;
    }
    if (f === DnsFailure.ServerFailure && this.attempt < this.servers.length * this.tries) {
      // That server cannot answer now: the next try (the next server) at once.
      this.timers.stop(this);
      this.send();
      return;
    }
    this.answered++;
    this.finish(answer);
  }

  /** TimerNode: the try timed out. */
  fire(): void {
    if (this.listener === null) return;
    if (this.length === 0) {
      this.finish(failed(DnsFailure.BadName));
      return;
    }
    if (this.attempt >= this.servers.length * this.tries) {
      this.finish(failed(DnsFailure.Timeout));
      return;
    }
    this.send();
  }

  /** The next try: a fresh ID, the next server (each server in turn, `tries` rounds). */
  private send(): void {
    const n = this.servers.length;
    if (this.length === 0 || n === 0) {
      // Told later, as every outcome is: the caller is never re-entered from query().
      this.timers.start(this, 0, TimerKind.User);
      return;
    }
    const server = this.servers[this.attempt % n]!;
    this.attempt++;
    const id = this.random.u32() & 0xffff;
    this.id = id;
    this.buf[0] = id >>> 8;
    this.buf[1] = id & 0xff;
    this.sent++;
    this.timers.start(this, this.tryTimeoutMs, TimerKind.User);
    // A send the host refuses is a try that gets no answer: the timer moves on.
    if (this.udp !== null) this.udp.send(this.buf, this.length, server.address, server.port);
  }

  private finish(answer: DnsAnswer): void {
    const listener = this.listener;
    this.listener = null;
    this.id = -1;
    this.timers.stop(this);
    if (listener !== null) listener.onDnsAnswer(answer, this.name, this.type);
  }
}

function failed(failure: DnsFailure): DnsAnswer {
  return { failure, rcode: 0, srv: [], a: [], truncated: false };
}

/**
 * The receiver of a socket shared by SIP and DNS (the device's one SIP
 * socket): a datagram from a DNS server asked, while its answer is
 * awaited, goes to the DNS client; everything else to SIP.
 */
export class DnsFirstReceiver implements UdpReceiver {
  private readonly dns: DnsClient;
  private readonly next: UdpReceiver;

  constructor(dns: DnsClient, next: UdpReceiver) {
    this.dns = dns;
    this.next = next;
  }

  receive(data: Uint8Array, length: number, address: string, port: number): void {
    if (this.dns.owns(address, port)) this.dns.receive(data, length, address, port);
    else this.next.receive(data, length, address, port);
  }
}
