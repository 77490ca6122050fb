/*
 * Server transactions (RFC 3261 §17.2): one class for both kinds, with a
 * handler per kind, preallocated in a fixed pool by the layer. Each owns a
 * matching key (§17.2.3), keeps its last response in the layer's arena
 * (arena.ts; resent for a retransmitted request) while it may be resent,
 * and two timers over one queue entry (timer-pair.ts): the retransmission
 * (the 100 Trying delay, then Timer G) and the timeout (Timer H, I, J or
 * L, or the guard of a non-INVITE the TU never answers).
 *
 * INVITE (§17.2.1 with RFC 6026 §7.1):
 *   Proceeding --2xx--> Accepted --L--> Terminated   (INVITE absorbed, ACK to the TU)
 *       \--3xx-6xx--> Completed --ACK--> Confirmed --I--> Terminated
 *                      G: resend, doubling up to T2; H: onServerTimeout
 *   100 Trying goes out by itself when the TU has not answered in 200 ms.
 * Non-INVITE (§17.2.2):
 *   Trying --1xx--> Proceeding --final--> Completed --J--> Terminated
 *   A retransmitted request gets the last response again (none in Trying).
 */
import { ServerState, type ServerTransactionHandle, type ServerTransactionUser } from "./api";
import { Method } from "../message/method";
import type { SipWriter } from "../message/writer";
import type { StoredMessage } from "./arena";
import type { TimerQueue } from "../timer/timer-queue";
import { TimerKind } from "../timer/timer-kind";
import { fire, PairFired, rearm, startRetransmit, startTimeout, stopBoth, stopRetransmit } from "../timer/timer-pair";
import { type NumberTable, Shared, TransactionRow } from "./row";
import type { TimerValues } from "../timer/timers";
import { KEY_HEAD, keyClear } from "./key";

/** What a server transaction needs from the layer that owns it. */
export interface ServerOwner extends NumberTable {
  readonly queue: TimerQueue;
  readonly timers: TimerValues;
  /** §17.2.1: how long the TU may take before the transaction sends 100 Trying itself. */
  readonly tryingDelay: number;
  transmit(buf: Uint8Array, length: number, address: string, port: number): boolean;
  /**
   * Write the response in w, its top Via marked for tx (§18.2.1), where it
   * is sent from (`out`); returns its length, or -1 when it does not fit.
   */
  stamp(w: SipWriter, tx: ServerTransaction): number;
  /** Where stamp() writes. */
  readonly out: Uint8Array;
  /** Keep src[0, n) as tx's stored message (the previous one given back); false when there is no room (it is then sent without a copy). */
  keep(tx: ServerTransaction, src: Uint8Array, n: number): boolean;
  /** Give tx's stored message back (it will not be sent again). */
  drop(tx: StoredMessage): void;
  /** Send tx's stored message again; false when it has none or the host refused. */
  transmitStored(tx: StoredMessage, address: string, port: number): boolean;
  serverDone(tx: ServerTransaction): void;
  retransmitted(): void;
  /** A final response did not fit and the transaction ended unanswered. */
  unanswerable(): void;
  userError(where: string, error: unknown): void;
  warn(text: string): void;
}

/**
 * Where a server transaction's own numbers are in its run of the layer's
 * table, after the shared ones (row.ts; see the accessors).
 */
const enum Num {
  // Each value written out: esbuild leaves the members after one initialised from another module's enum undefined.
  /** Status of the last response the TU sent; 0 before any. */
  LastStatus = Shared.Count,
  /** The server transport's mark on the top Via of every response (§18.2.1, RFC 3581 §4). */
  StampReceived = Shared.Count + 1, StampPort = Shared.Count + 2,
  /** Bytes of `source` in use. */
  SourceLen = Shared.Count + 3,
  Count = Shared.Count + 4,
}

/** How many numbers a server transaction keeps in the layer's table (Float64Array). */
export const SERVER_NUMBERS: number = Num.Count;

export class ServerTransaction extends TransactionRow<ServerState, ServerOwner> implements ServerTransactionHandle {
  user: ServerTransactionUser | null = null;
  /** The matching key (§17.2.3), with the request's source address at its head: a view of the layer's buffer (key.ts). */
  readonly key: Uint8Array;
  /** Where responses go (§18.2.2; the port is a number below). */
  address = "";
  /**
   * `key` (KEY_VIEW_BYTES): the matching key, with the source address at
   * its head (key.ts), a view of a buffer the layer shares among its
   * transactions: in XS a view costs 4 slots and no chunk of its own, an
   * array with its own buffer 7 slots and a chunk. `base`: where this
   * transaction's SERVER_NUMBERS are in the owner's table.
   */
  constructor(owner: ServerOwner, key: Uint8Array, base: number) {
    super(owner, base, Num.Count, ServerState.Idle, Method.Extension);
    this.key = key;
    keyClear(key);
  }

  get lastStatus(): number { return this.owner.numbers[this.base + Num.LastStatus]!; }
  set lastStatus(v: number) { this.owner.numbers[this.base + Num.LastStatus] = v; }
  get stampReceived(): boolean { return this.owner.numbers[this.base + Num.StampReceived] !== 0; }
  set stampReceived(v: boolean) { this.owner.numbers[this.base + Num.StampReceived] = v ? 1 : 0; }
  get stampPort(): number { return this.owner.numbers[this.base + Num.StampPort]!; }
  set stampPort(v: number) { this.owner.numbers[this.base + Num.StampPort] = v; }
  get sourceLen(): number { return this.owner.numbers[this.base + Num.SourceLen]!; }
  set sourceLen(v: number) { this.owner.numbers[this.base + Num.SourceLen] = v; }

  /** The request's source address as bytes (sourceLen of them), for "received": the head of the key's view (key.ts). */
  get source(): Uint8Array {
    return this.key;
  }

  /** Answered by the layer itself (failed checks, CANCEL): no TU to tell about Timer H. A getter: no field to pay for per transaction. */
  get layerOwned(): boolean {
    return this.user === null;
  }

  /**
   * Take the slot for a new request (the layer has filled `key`). Responses
   * go to address:port; `received` (with the source address as bytes) and
   * `rportValue` (the source port, or 0) say how their top Via is marked.
   */
  begin(method: Method, user: ServerTransactionUser | null, address: string, port: number, received: boolean, source: Uint8Array, sourceLen: number, rportValue: number): void {
    this.inUse = true;
    this.method = method;
    this.user = user;
    this.userData = 0;
    this.lastStatus = 0;
    this.address = address;
    this.port = port;
    const stamp = received && sourceLen <= KEY_HEAD;
    this.stampReceived = stamp;
    this.stampPort = rportValue;
    this.sourceLen = stamp ? sourceLen : 0;
    if (stamp) {
      const to = this.key;
      for (let i = 0; i < sourceLen; i++) to[i] = source[i]!;
    }
    // §17.2.1: an INVITE server transaction starts in Proceeding; a non-INVITE one in Trying (§17.2.2).
    this.state = method === Method.INVITE ? ServerState.Proceeding : ServerState.Trying;
    if (method !== Method.INVITE && user !== null) {
      // No RFC timer ends a non-INVITE transaction the TU never answers; the client gives up
      // after 64*T1 (Timer F), so free the slot then rather than leak it.
      startTimeout(this.owner.queue, this, this.owner.timers.f, TimerKind.User);
    }
  }

  /** Keep the 100 Trying in w, to send if the TU stays silent for 200 ms (§17.2.1). */
  prepareTrying(w: SipWriter): void {
    const owner = this.owner;
    const n = owner.stamp(w, this);
    if (n < 0 || !owner.keep(this, owner.out, n)) return;
    startRetransmit(owner.queue, this, owner.tryingDelay, TimerKind.User);
  }

  respond(w: SipWriter, status: number): boolean {
    if (!this.inUse || status < 100 || status > 699) return false;
    const invite = this.method === Method.INVITE;
    const state = this.state;
    if (invite) {
      // RFC 6026 §7.1: in Accepted the TU may still send 2xx (retransmissions, other 2xx).
      if (state !== ServerState.Proceeding && !(state === ServerState.Accepted && status >= 200 && status < 300)) return false;
    } else if (state !== ServerState.Trying && state !== ServerState.Proceeding) {
      return false;
    }
    const owner = this.owner;
    const n = owner.stamp(w, this);
    if (n < 0) {
      // The response does not fit (a request with dozens of Via fields, say).
      // A final one that cannot be sent must still end the transaction: left
      // in Trying or Proceeding it has no timer and would hold its slot for
      // ever, and a handful of such requests would fill the pool (§17.2).
      if (status >= 200 && !(invite && state === ServerState.Accepted)) this.abandon();
      return false;
    }
    // With no room left even after reclaiming (layer.ts keep()), the response is sent without a copy:
    // the request is here and waits for it; only a retransmission would go unanswered.
    const out = owner.out;
    owner.keep(this, out, n);
    this.lastStatus = status;
    const queue = owner.queue;
    const t = owner.timers;
    if (invite) {
      if (state === ServerState.Proceeding) {
        stopRetransmit(queue, this); // the automatic 100 is no longer needed
        if (status >= 200 && status < 300) {
          this.state = ServerState.Accepted;
          startTimeout(queue, this, t.l, TimerKind.L);
        } else if (status >= 300) {
          this.state = ServerState.Completed;
          if (!t.reliable) startRetransmit(queue, this, t.g, TimerKind.G);
          startTimeout(queue, this, t.h, TimerKind.H);
        }
      }
    } else if (status < 200) {
      this.state = ServerState.Proceeding;
    } else {
      this.state = ServerState.Completed;
      startTimeout(queue, this, t.j, TimerKind.J);
    }
    return owner.transmit(out, n, this.address, this.port);
  }

  /** The TU resends our last response (see ServerTransactionHandle.resend): a 2xx in Accepted, or a 1xx in Proceeding. */
  resend(): boolean {
    if (!this.inUse || this.length <= 0 || this.lastStatus === 0) return false;
    const state = this.state;
    if (state !== ServerState.Accepted && state !== ServerState.Proceeding) return false;
    this.owner.retransmitted();
    return this.owner.transmitStored(this, this.address, this.port);
  }

  /** A retransmission of the request matched this transaction: absorb it, and answer again (§17.2.1, §17.2.2). */
  requestAgain(): void {
    const state = this.state;
    let resend = false;
    if (this.method === Method.INVITE) {
      // Proceeding: the latest provisional (or our prepared 100, sent now); Completed: the final.
      // Confirmed and Accepted absorb silently (RFC 6026 §7.1: the TU retransmits 2xx).
      resend = state === ServerState.Proceeding || state === ServerState.Completed;
      if (state === ServerState.Proceeding) stopRetransmit(this.owner.queue, this);
    } else {
      resend = state === ServerState.Proceeding || state === ServerState.Completed;
    }
    if (resend && this.length > 0) {
      this.owner.retransmitted();
      this.owner.transmitStored(this, this.address, this.port);
    }
  }

  /** An ACK matched this INVITE transaction. Returns false when it is for the TU (Accepted, RFC 6026 §7.1). */
  ack(): boolean {
    switch (this.state) {
      case ServerState.Completed: {
        // §17.2.1: Confirmed; Timer I absorbs further ACK retransmissions.
        const queue = this.owner.queue;
        this.state = ServerState.Confirmed;
        stopRetransmit(queue, this);
        // Timer I only absorbs ACK retransmissions: the final response is not needed any more.
        this.owner.drop(this);
        startTimeout(queue, this, this.owner.timers.i, TimerKind.I);
        return true;
      }
      case ServerState.Accepted:
        return false;
      default:
        return true;
    }
  }

  /** One of the two timers is due (or both): the queue fires the transaction itself (timer-pair.ts). */
  fire(): void {
    const owner = this.owner;
    const queue = owner.queue;
    const state = this.state;
    const invite = this.method === Method.INVITE;
    const which = fire(queue, this);
    if (which === PairFired.Timeout) {
      if (invite && state === ServerState.Completed) {
        // Timer H, §17.2.1: the ACK never came.
        const user = this.layerOwned ? null : this.user;
        this.terminate();
        if (user !== null) {
          try {
            user.onServerTimeout(this);
          } catch (error) {
            owner.userError("onServerTimeout", error);
          }
        }
        return;
      }
      if (!invite && (state === ServerState.Trying || state === ServerState.Proceeding)) {
        // The guard of begin(): the TU never answered.
        owner.warn("server transaction: no final response from the TU, slot freed");
      }
      // I, J, L: the wait for retransmissions is over.
      this.terminate();
      return;
    }
    if (which === PairFired.Retransmit && invite) {
      if (state === ServerState.Completed) {
        // Timer G, §17.2.1: resend the final response, doubling up to T2.
        if (this.length > 0) {
          owner.retransmitted();
          owner.transmitStored(this, this.address, this.port);
        }
        startRetransmit(queue, this, owner.timers.nextCapped(this.retransmitInterval), TimerKind.G);
      } else if (state === ServerState.Proceeding && this.lastStatus === 0 && this.length > 0) {
        // The TU has been silent for 200 ms: send 100 Trying (§17.2.1).
        owner.transmitStored(this, this.address, this.port);
      }
    }
    // The other timer (or none) stays armed on the entry.
    if (this.inUse) rearm(queue, this);
  }

  /** The TU's final response could not be built or kept: count it, and end the transaction unanswered. */
  private abandon(): void {
    this.owner.unanswerable();
    this.owner.warn("server transaction: final response too large to send; transaction ended unanswered");
    this.terminate();
  }

  terminate(): void {
    if (!this.inUse) return;
    this.state = ServerState.Terminated;
    this.inUse = false;
    keyClear(this.key);
    stopBoth(this.owner.queue, this);
    this.owner.drop(this);
    this.owner.serverDone(this);
  }
}
