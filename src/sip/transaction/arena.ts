/*
 * The transactions' stored messages in one shared buffer. RFC 3261 §17
 * makes a client transaction retransmit its request (Timers A, E; after a
 * 3xx-6xx to an INVITE, the ACK, §17.1.1.2) and a server transaction its
 * last response (Timer G, a retransmitted request, §17.2.1, §17.2.2). Most
 * of those are 300-900 bytes, and many transactions hold none (a
 * non-INVITE client in Completed, an INVITE client in Accepted, an INVITE
 * server in Confirmed), so one buffer sized for what is stored at once
 * replaces a buffer of the largest message per transaction.
 *
 * Regions are kept packed from offset 0: giving one back moves the later
 * ones down (a few kilobytes copied, at most once per transaction state
 * change), so the free space is always one piece at the end and a store
 * fails only when the stored total would exceed the buffer. Each holder
 * knows its region (`at`, `length`); the arena knows its holders (given
 * once, at construction) to move their offsets. Nothing is allocated after
 * construction.
 *
 * What happens when it is full is the layer's choice (layer.ts keep()).
 */

/** A transaction's stored message: arena.bytes[at, at + length), or none (at < 0, length 0). */
export interface StoredMessage {
  at: number;
  length: number;
}

export class MessageArena {
  readonly bytes: Uint8Array;
  /** End of the packed regions: bytes[top, bytes.length) is free. */
  top = 0;
  /** The most ever stored at once, for tuning the size (the bench, the README). */
  peak = 0;
  private readonly holders: StoredMessage[] = [];

  constructor(size: number) {
    this.bytes = new Uint8Array(size > 0 ? size : 0);
  }

  /** Bytes free. */
  get room(): number {
    return this.bytes.length - this.top;
  }

  /** Add a holder (at construction: the array grows). It starts with nothing stored. */
  register(h: StoredMessage): void {
    h.at = -1;
    h.length = 0;
    this.holders.push(h);
  }

  /** Give back h's region; the regions after it move down. */
  release(h: StoredMessage): void {
    const at = h.at;
    const n = h.length;
    h.at = -1;
    h.length = 0;
    if (at < 0 || n <= 0) return;
    const b = this.bytes;
    const top = this.top;
    for (let i = at + n; i < top; i++) b[i - n] = b[i]!;
    this.top = top - n;
    const hs = this.holders;
    for (let i = 0; i < hs.length; i++) {
      const o = hs[i]!;
      if (o.at > at) o.at -= n;
    }
  }

  /**
   * Keep src[0, n) as h's message, its previous one given back first.
   * False, with nothing stored for h, when it does not fit.
   */
  store(h: StoredMessage, src: Uint8Array, n: number): boolean {
    this.release(h);
    if (n <= 0 || n > this.bytes.length - this.top) return false;
    const b = this.bytes;
    const at = this.top;
    for (let i = 0; i < n; i++) b[at + i] = src[i]!;
    h.at = at;
    h.length = n;
    this.top = at + n;
    if (this.top > this.peak) this.peak = this.top;
    return true;
  }

  /**
   * Move h's region to offset 0 (the others move up to make room), so that
   * it can be parsed where it is: the parser reads a message from its
   * buffer's start. Three reversals: no second buffer.
   */
  toFront(h: StoredMessage): void {
    const at = h.at;
    const n = h.length;
    if (at <= 0 || n <= 0) return;
    const b = this.bytes;
    reverse(b, 0, at);
    reverse(b, at, at + n);
    reverse(b, 0, at + n);
    const hs = this.holders;
    for (let i = 0; i < hs.length; i++) {
      const o = hs[i]!;
      if (o.at >= 0 && o.at < at) o.at += n;
    }
    h.at = 0;
  }

  /** Copy h's message into dst from offset 0; returns its length (0 when none, or dst too small). */
  copyOut(h: StoredMessage, dst: Uint8Array): number {
    const n = h.length;
    if (h.at < 0 || n <= 0 || n > dst.length) return 0;
    const b = this.bytes;
    const at = h.at;
    for (let i = 0; i < n; i++) dst[i] = b[at + i]!;
    return n;
  }
}

function reverse(b: Uint8Array, from: number, to: number): void {
  let i = from;
  let j = to - 1;
  while (i < j) {
    const t = b[i]!;
    b[i] = b[j]!;
    b[j] = t;
    i++;
    j--;
  }
}
