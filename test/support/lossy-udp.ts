/*
 * A lossy network between the door's core and its real socket: LossyUdp is
 * both the UdpHost the core sends through and the UdpReceiver the socket
 * delivers to, and on the way, in each direction, it drops, duplicates and
 * reorders datagrams. Every decision comes from a seeded PRNG (mulberry32,
 * one per direction, so that the decisions of one direction do not depend
 * on how the two interleave in real time).
 *
 *   core --send--> LossyUdp.send --(drop / copies / hold)--> NodeUdp.send
 *   core <-receive-- LossyUdp.receive <--(drop / copies / hold)-- NodeUdp
 *
 * Reordering holds a datagram back until `reorderDepth` later datagrams of
 * the same direction have overtaken it, or until tick() has been called
 * that many times (so a held datagram is never stuck when nothing follows
 * it); flush() delivers every held one at once. Held bytes are copied: the
 * core and the socket may reuse their buffers.
 *
 * A dropped send still returns true: the host took the datagram, the network
 * lost it, which is what UDP looks like to the sender.
 */
import type { UdpHost, UdpReceiver } from "../../src/host";

export interface LossyOptions {
  /** Seed of the decisions (the receive direction uses a seed derived from it). */
  seed: number;
  /** Probability that a datagram (each copy, independently) is lost, both directions; default 0. */
  loss?: number;
  /** Per direction, overriding `loss`. */
  lossOut?: number;
  lossIn?: number;
  /** Probability that a datagram is delivered more than once; default 0. */
  duplicate?: number;
  /** Copies of a duplicated datagram: 2 to maxCopies (default 3). */
  maxCopies?: number;
  /** Probability that a copy is held back and overtaken by later datagrams; default 0. */
  reorder?: number;
  /** How many later datagrams (or tick() calls) overtake a held one, at most; default 2. */
  reorderDepth?: number;
}

/** What happened in one direction. */
export interface DirectionStats {
  /** Datagrams offered to the shim. */
  offered: number;
  /** Copies delivered (sent to the socket, or to the core). */
  delivered: number;
  /** Copies lost. */
  dropped: number;
  /** Extra copies made (a datagram sent 3 times counts 2). */
  duplicated: number;
  /** Copies held back and delivered after later ones. */
  reordered: number;
}

interface Held {
  bytes: Uint8Array;
  address: string;
  port: number;
  /** Later datagrams or ticks still to let pass before this one goes. */
  wait: number;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** One direction of the lossy link. */
class Direction {
  readonly stats: DirectionStats = { offered: 0, delivered: 0, dropped: 0, duplicated: 0, reordered: 0 };
  private readonly held: Held[] = [];
  private readonly random: Prng;

  constructor(
    seed: number,
    private readonly loss: number,
    private readonly duplicate: number,
    private readonly maxCopies: number,
    private readonly reorder: number,
    private readonly depth: number,
    private readonly deliver: (data: Uint8Array, length: number, address: string, port: number) => void,
  ) {
    this.random = new Prng(seed);
  }

  get pending(): number {
    return this.held.length;
  }

  offer(data: Uint8Array, length: number, address: string, port: number): void {
    this.stats.offered++;
    // Datagrams already held move one step closer to delivery: this one overtakes them.
    const due = this.age();
    const r = this.random;
    let copies = 1;
    if (this.duplicate > 0 && r.next() < this.duplicate) copies = 2 + Math.floor(r.next() * (this.maxCopies - 1));
    this.stats.duplicated += copies - 1;
    for (let i = 0; i < copies; i++) {
      if (this.loss > 0 && r.next() < this.loss) {
        this.stats.dropped++;
        continue;
      }
      if (this.reorder > 0 && r.next() < this.reorder) {
        this.stats.reordered++;
        this.held.push({ bytes: data.slice(0, length), address, port, wait: 1 + Math.floor(r.next() * this.depth) });
        continue;
      }
      this.pass(data, length, address, port);
    }
    for (const h of due) this.pass(h.bytes, h.bytes.length, h.address, h.port);
  }

  /** One tick of the pump: held datagrams age as if a datagram had passed. */
  tick(): void {
    for (const h of this.age()) this.pass(h.bytes, h.bytes.length, h.address, h.port);
  }

  flush(): void {
    const all = this.held.splice(0);
    for (const h of all) this.pass(h.bytes, h.bytes.length, h.address, h.port);
  }

  /** Count every held datagram down by one; return (and remove) those now due, oldest first. */
  private age(): Held[] {
    if (this.held.length === 0) return [];
    const due: Held[] = [];
    for (let i = 0; i < this.held.length; ) {
      const h = this.held[i]!;
      if (--h.wait <= 0) {
        due.push(h);
        this.held.splice(i, 1);
      } else {
        i++;
      }
    }
    return due;
  }

  private pass(data: Uint8Array, length: number, address: string, port: number): void {
    this.stats.delivered++;
    this.deliver(data, length, address, port);
  }
}

export class LossyUdp implements UdpHost, UdpReceiver {
  /** The real socket (set once it is bound: the socket needs this object as its receiver first). */
  inner: UdpHost | null = null;
  /** The core's receiver (set once the core exists). */
  target: UdpReceiver | null = null;
  readonly out: Direction;
  readonly in: Direction;
  /** Sends the real socket refused. */
  sendFailures = 0;

  constructor(options: LossyOptions) {
    const loss = options.loss ?? 0;
    const dup = options.duplicate ?? 0;
    const maxCopies = Math.max(2, options.maxCopies ?? 3);
    const reorder = options.reorder ?? 0;
    const depth = Math.max(1, options.reorderDepth ?? 2);
    this.out = new Direction(options.seed, options.lossOut ?? loss, dup, maxCopies, reorder, depth, (d, l, a, p) => {
      if (this.inner === null || !this.inner.send(d, l, a, p)) this.sendFailures++;
    });
    this.in = new Direction((options.seed ^ 0x5bd1e995) >>> 0, options.lossIn ?? loss, dup, maxCopies, reorder, depth, (d, l, a, p) => {
      this.target?.receive(d, l, a, p);
    });
  }

  get localAddress(): string {
    return this.inner?.localAddress ?? "";
  }

  get localPort(): number {
    return this.inner?.localPort ?? 0;
  }

  /** UdpHost: the core sends. */
  send(data: Uint8Array, length: number, address: string, port: number): boolean {
    if (this.inner === null) return false;
    this.out.offer(data, length, address, port);
    return true;
  }

  /** UdpReceiver: the socket delivers. */
  receive(data: Uint8Array, length: number, address: string, port: number): void {
    this.in.offer(data, length, address, port);
  }

  /** Age held datagrams in both directions (call once per pump step). */
  tick(): void {
    this.out.tick();
    this.in.tick();
  }

  /** Deliver everything held. */
  flush(): void {
    this.out.flush();
    this.in.flush();
  }

  /** "out: 40 offered, 12 dropped, ...; in: ..." for failure messages and reports. */
  summary(): string {
    const f = (s: DirectionStats): string =>
      `${s.offered} offered, ${s.delivered} delivered, ${s.dropped} dropped, ${s.duplicated} duplicated, ${s.reordered} reordered`;
    return `out: ${f(this.out.stats)}; in: ${f(this.in.stats)}`;
  }
}
