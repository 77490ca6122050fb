/*
 * Client transactions (RFC 3261 §17.1): one class for both kinds, with a
 * state handler per kind, preallocated in a fixed pool by the layer. Each
 * keeps a message in the layer's arena (arena.ts: the request it
 * retransmits; after a 3xx-6xx to an INVITE, the ACK it resends) while it
 * may need it, and two timers over one queue entry (timer-pair.ts): the
 * retransmission (Timer A or E) and the timeout (Timer B or F, then D, K
 * or M).
 *
 * INVITE (§17.1.1.2 with RFC 6026 §7.2):
 *   Calling --1xx--> Proceeding --2xx--> Accepted --M--> Terminated
 *      |                  \--3xx-6xx--> Completed (ACK sent) --D--> Terminated
 *      A: resend, A doubles; B: Timeout
 *   Once its CANCEL is sent, 64*T1 without a final response is a Timeout
 *   too, in Proceeding as well (§9.1: the INVITE is then considered
 *   cancelled and its transaction destroyed; else a callee that rang and
 *   vanished would hold it, and its call, for ever).
 * Non-INVITE (§17.1.2.2):
 *   Trying --1xx--> Proceeding --final--> Completed --K--> Terminated
 *      E: resend, doubling up to T2 (T2 once Proceeding); F: Timeout
 */
import { ClientFailure, ClientState, type ClientTransactionHandle, type ClientTransactionUser } from "./api";
import type { SipMessage } from "../message/message";
import { Method } from "../message/method";
import type { StoredMessage } from "./arena";
import type { TimerQueue } from "../timer/timer-queue";
import { TimerKind } from "../timer/timer-kind";
import { fire, PairFired, rearm, startRetransmit, startTimeout, stopBoth, stopRetransmit } from "../timer/timer-pair";
import { type NumberTable, Shared, TransactionRow } from "./row";
import type { TimerValues } from "../timer/timers";

/** What a client transaction needs from the layer that owns it. */
export interface ClientOwner extends NumberTable {
  readonly queue: TimerQueue;
  readonly timers: TimerValues;
  transmit(buf: Uint8Array, length: number, address: string, port: number): boolean;
  /** Keep src[0, n) as tx's stored message (the previous one given back); false when there is no room. */
  keep(tx: ClientTransaction, src: Uint8Array, n: number): boolean;
  /** Give tx's stored message back (it will not be sent again). */
  drop(tx: StoredMessage): void;
  /** Send tx's stored message again; false when it has none or the host refused. */
  transmitStored(tx: StoredMessage, address: string, port: number): boolean;
  /** Build the ACK for `tx`'s INVITE and the 3xx-6xx `response`, keep it in place of the INVITE, and send it (§17.1.1.3). */
  sendAck(tx: ClientTransaction, response: SipMessage): void;
  /** Start the CANCEL client transaction for `tx` (§9.1). */
  startCancel(tx: ClientTransaction): CancelStart;
  clientDone(tx: ClientTransaction): void;
  retransmitted(): void;
  responseAbsorbed(): void;
  userError(where: string, error: unknown): void;
}

/** What ClientOwner.startCancel did. */
export const enum CancelStart {
  Sent = 0,
  /** No client transaction or arena room free for it now: worth trying again. */
  NoRoom = 1,
  /** It cannot be built (the INVITE's copy unreadable, no user): it never will be. */
  Failed = 2,
}

/** Num.CancelSent: a CANCEL sent (or given up), or wanted and waiting for room (Held). */
const enum Cancel {
  None = 0,
  Sent = 1,
  Held = 2,
}

/**
 * Where a client transaction's own numbers are in its run of the layer's
 * table, after the shared ones (row.ts; see the accessors).
 */
const enum Num {
  // Each value written out: esbuild leaves the members after one initialised from another module's enum undefined.
  /** §9.1: CANCEL asked for before a provisional response arrived; where the CANCEL is (a Cancel: sent, or held for room). */
  CancelPending = Shared.Count, CancelSent = Shared.Count + 1,
  Count = Shared.Count + 2,
}

/** How many numbers a client transaction keeps in the layer's table (Float64Array). */
export const CLIENT_NUMBERS: number = Num.Count;

export class ClientTransaction extends TransactionRow<ClientState, ClientOwner> implements ClientTransactionHandle {
  user: ClientTransactionUser | null = null;
  /** Where the request goes (the port is a number below). */
  address = "";
  /**
   * `base`: where this transaction's CLIENT_NUMBERS are in the owner's
   * table: the layer's i-th client has base i * CLIENT_NUMBERS (see
   * `index`).
   */
  constructor(owner: ClientOwner, base: number) {
    super(owner, base, Num.Count, ClientState.Idle, Method.Extension);
  }

  /**
   * Where this transaction is in the layer's pool: its branch is the
   * index-th of the layer's branches (one view for all: a view costs 4
   * slots in XS, and its property one more).
   */
  get index(): number {
    return this.base / CLIENT_NUMBERS;
  }

  get cancelPending(): boolean { return this.owner.numbers[this.base + Num.CancelPending] !== 0; }
  set cancelPending(v: boolean) { this.owner.numbers[this.base + Num.CancelPending] = v ? 1 : 0; }
  get cancelSent(): boolean { return this.owner.numbers[this.base + Num.CancelSent] !== Cancel.None; }
  set cancelSent(v: boolean) { this.owner.numbers[this.base + Num.CancelSent] = v ? Cancel.Sent : Cancel.None; }
  /** The CANCEL is wanted but found no free client transaction yet (cancelNow). */
  private get cancelHeld(): boolean { return this.owner.numbers[this.base + Num.CancelSent] === Cancel.Held; }

  /** Reserve for a new request. */
  reserve(user: ClientTransactionUser, method: Method): void {
    this.inUse = true;
    this.state = ClientState.Idle;
    this.user = user;
    this.method = method;
    this.userData = 0;
    this.cancelPending = false;
    this.cancelSent = false;
  }

  /**
   * Keep the request in src[0, length) and send it: the transaction starts
   * (§17.1.1.2, §17.1.2.2). False, with nothing sent, when it cannot be
   * kept: a request that could not be retransmitted, nor CANCELled or ACKed
   * (both are built from the INVITE kept), is not sent at all.
   */
  start(src: Uint8Array, length: number, address: string, port: number): boolean {
    const owner = this.owner;
    if (!owner.keep(this, src, length)) return false;
    this.address = address;
    this.port = port;
    this.state = ClientState.Calling;
    if (!owner.transmit(src, length, address, port)) {
      // §17.1.4: a transport failure ends the transaction; send() reports it.
      this.terminate();
      return false;
    }
    const t = owner.timers;
    const invite = this.method === Method.INVITE;
    // Retransmissions only on an unreliable transport (§17.1.1.2, §17.1.2.2).
    if (!t.reliable) startRetransmit(owner.queue, this, invite ? t.a : t.e, invite ? TimerKind.A : TimerKind.E);
    startTimeout(owner.queue, this, invite ? t.b : t.f, invite ? TimerKind.B : TimerKind.F);
    return true;
  }

  cancel(): boolean {
    if (!this.inUse || this.method !== Method.INVITE) return false;
    if (this.state !== ClientState.Calling && this.state !== ClientState.Proceeding) return false;
    if (this.cancelPending || this.cancelSent) return true;
    if (this.state === ClientState.Calling) {
      // §9.1: "the CANCEL MUST NOT be sent" before a provisional response; hold it.
      this.cancelPending = true;
      return true;
    }
    if (this.state === ClientState.Proceeding) {
      this.cancelSent = true;
      return this.cancelNow();
    }
    return false;
  }

  /**
   * Send the CANCEL (§9.1), and give the INVITE 64*T1 from now to get its final response. With no client
   * transaction free for it (the device's pool of 4 taken by a parallel hunt's INVITEs, a PRACK, a keepalive), it is
   * held and tried again on Timer A's schedule, idle once Proceeding, until one frees up: ending the call at once
   * would leave the phones ringing, and one that answered then would be in a call nobody ends (found by
   * test/sfuzz.test.ts with the device's tables).
   */
  private cancelNow(): boolean {
    const owner = this.owner;
    const started = owner.startCancel(this);
    // §9.1: "If there is no final response for the original request in 64*T1 seconds ..., the client SHOULD then
    // consider the original transaction cancelled and SHOULD destroy the client transaction".
    startTimeout(owner.queue, this, owner.timers.b, TimerKind.B);
    if (started === CancelStart.NoRoom) {
      owner.numbers[this.base + Num.CancelSent] = Cancel.Held;
      startRetransmit(owner.queue, this, owner.timers.a, TimerKind.A);
      return true;
    }
    return started === CancelStart.Sent;
  }

  /** A response matched to this transaction (§17.1.3). */
  receive(msg: SipMessage): void {
    if (this.method === Method.INVITE) this.inviteResponse(msg);
    else this.nonInviteResponse(msg);
  }

  private inviteResponse(msg: SipMessage): void {
    const status = msg.status;
    const owner = this.owner;
    const queue = owner.queue;
    switch (this.state) {
      case ClientState.Calling:
      case ClientState.Proceeding:
        if (status < 200) {
          // §17.1.1.2: no more retransmissions once Proceeding, and Timer B only guards Calling. Only on the first
          // 1xx: a later one (a reliable 18x resent, RFC 3262 §3) must not stop the 64*T1 running since our CANCEL (§9.1).
          if (this.state === ClientState.Calling) {
            this.state = ClientState.Proceeding;
            stopBoth(queue, this);
            if (this.cancelPending) {
              this.cancelPending = false;
              this.cancelSent = true;
              this.cancelNow();
            }
          }
          this.deliver(msg);
        } else if (status < 300) {
          // RFC 6026 §7.2: Accepted, so 2xx retransmissions (and other forks' 2xx) still reach the TU.
          // The INVITE is not sent again, nor CANCELled: its copy is given back.
          this.state = ClientState.Accepted;
          this.cancelPending = false;
          stopRetransmit(queue, this);
          owner.drop(this);
          startTimeout(queue, this, owner.timers.m, TimerKind.M);
          this.deliver(msg);
        } else {
          // §17.1.1.2: Completed, the transaction ACKs the failure itself.
          this.state = ClientState.Completed;
          this.cancelPending = false;
          stopRetransmit(queue, this);
          owner.sendAck(this, msg);
          startTimeout(queue, this, owner.timers.d, TimerKind.D);
          this.deliver(msg);
        }
        return;
      case ClientState.Completed:
        // §17.1.1.2: a retransmitted final response is ACKed again, not passed up.
        owner.responseAbsorbed();
        if (status >= 300 && this.length > 0) owner.transmitStored(this, this.address, this.port);
        return;
      case ClientState.Accepted:
        // RFC 6026 §8.4: 2xx retransmissions go to the TU (it ACKs them); anything else is absorbed.
        if (status >= 200 && status < 300) this.deliver(msg);
        else owner.responseAbsorbed();
        return;
      default:
        owner.responseAbsorbed();
    }
  }

  private nonInviteResponse(msg: SipMessage): void {
    const status = msg.status;
    const owner = this.owner;
    if (this.state === ClientState.Calling || this.state === ClientState.Proceeding) {
      if (status < 200) {
        // Timer E keeps running; from its next firing it uses T2 (§17.1.2.2).
        this.state = ClientState.Proceeding;
      } else {
        this.state = ClientState.Completed;
        stopRetransmit(owner.queue, this);
        // Timer K only absorbs retransmitted responses: the request is not needed any more.
        owner.drop(this);
        startTimeout(owner.queue, this, owner.timers.k, TimerKind.K);
      }
      this.deliver(msg);
      return;
    }
    // Completed: retransmissions of the final response are absorbed (§17.1.2.2).
    owner.responseAbsorbed();
  }

  /** One of the two timers is due (or both): the queue fires the transaction itself (timer-pair.ts). */
  fire(): void {
    const owner = this.owner;
    const queue = owner.queue;
    const t = owner.timers;
    const which = fire(queue, this);
    if (which === PairFired.Timeout) {
      if (this.state === ClientState.Calling || this.state === ClientState.Proceeding) {
        // B or F: no final response (§17.1.1.2, §17.1.2.2); or none in 64*T1 after our CANCEL (§9.1).
        this.fail(ClientFailure.Timeout);
      } else {
        // D, K, M: the wait for retransmitted responses is over.
        this.terminate();
      }
      return;
    }
    if (which === PairFired.Retransmit) {
      if (this.method === Method.INVITE) {
        // Timer A, in Calling only: retransmit and double, no cap (Timer B ends it, §17.1.1.2).
        if (this.state === ClientState.Calling) {
          this.resend();
          if (this.state === ClientState.Calling) startRetransmit(queue, this, t.nextA(this.retransmitInterval), TimerKind.A);
        } else if (this.state === ClientState.Proceeding && this.cancelHeld) {
          // A CANCEL held for room (cancelNow): tried again, at most every T2, until Timer B.
          const started = owner.startCancel(this);
          if (started === CancelStart.NoRoom) startRetransmit(queue, this, t.nextCapped(this.retransmitInterval), TimerKind.A);
          else this.cancelSent = true;
        }
      } else if (this.state === ClientState.Calling || this.state === ClientState.Proceeding) {
        // Timer E, §17.1.2.2: doubling up to T2 in Trying, T2 once Proceeding.
        this.resend();
        if (this.state === ClientState.Calling) startRetransmit(queue, this, t.nextCapped(this.retransmitInterval), TimerKind.E);
        else if (this.state === ClientState.Proceeding) startRetransmit(queue, this, t.t2, TimerKind.E);
      }
    }
    // The other timer (or none) stays armed on the entry.
    if (this.inUse) rearm(queue, this);
  }

  private resend(): void {
    this.owner.retransmitted();
    // start() sends nothing it could not keep, so the request is there until Calling / Trying ends.
    if (!this.owner.transmitStored(this, this.address, this.port)) this.fail(ClientFailure.TransportError);
  }

  private fail(reason: ClientFailure): void {
    const user = this.user;
    // Free the slot first, so the user may start a new transaction from the callback.
    this.terminate();
    if (user === null) return;
    try {
      user.onFailure(this, reason);
    } catch (error) {
      this.owner.userError("onFailure", error);
    }
  }

  private deliver(msg: SipMessage): void {
    const user = this.user;
    if (user === null) return;
    try {
      user.onResponse(this, msg);
    } catch (error) {
      this.owner.userError("onResponse", error);
    }
  }

  /** End the transaction and give the slot back (also used by release()). */
  terminate(): void {
    if (!this.inUse) return;
    this.state = ClientState.Terminated;
    this.inUse = false;
    this.cancelPending = false;
    stopBoth(this.owner.queue, this);
    this.owner.drop(this);
    this.owner.clientDone(this);
  }
}
