/*
 * Client transactions (RFC 3261 §17.1): one class for both kinds, with a
 * state handler per kind, preallocated in a fixed pool by the layer. Each
 * owns a message buffer (the request it retransmits; after a 3xx-6xx to an
 * INVITE, the ACK it resends) and two timer entries: `retransmit` (Timer A
 * or E) and `timeout` (Timer B or F, then D, K or M), tagged with the RFC
 * letter.
 *
 * INVITE (§17.1.1.2 with RFC 6026 §7.2):
 *   Calling --1xx--> Proceeding --2xx--> Accepted --M--> Terminated
 *      |                  \--3xx-6xx--> Completed (ACK sent) --D--> Terminated
 *      A: resend, A doubles; B: Timeout
 * Non-INVITE (§17.1.2.2):
 *   Trying --1xx--> Proceeding --final--> Completed --K--> Terminated
 *      E: resend, doubling up to T2 (T2 once Proceeding); F: Timeout
 */
import { ClientFailure, ClientState, type ClientTransactionHandle, type ClientTransactionUser } from "./api";
import type { SipMessage } from "../message/message";
import { Method } from "../message/method";
import { BRANCH_LENGTH } from "../ids";
import { TimerEntry, type TimerQueue, type TimerTarget } from "../timer/timer-queue";
import { TimerKind } from "../timer/timer-kind";
import type { TimerValues } from "../timer/timers";

/** What a client transaction needs from the layer that owns it. */
export interface ClientOwner {
  readonly queue: TimerQueue;
  readonly timers: TimerValues;
  transmit(buf: Uint8Array, length: number, address: string, port: number): boolean;
  /** Build the ACK for `tx`'s INVITE and the 3xx-6xx `response` into tx.buf (§17.1.1.3). */
  buildAck(tx: ClientTransaction, response: SipMessage): boolean;
  /** Start the CANCEL client transaction for `tx` (§9.1). */
  startCancel(tx: ClientTransaction): boolean;
  clientDone(tx: ClientTransaction): void;
  retransmitted(): void;
  responseAbsorbed(): void;
  userError(where: string, error: unknown): void;
}

export class ClientTransaction implements ClientTransactionHandle, TimerTarget {
  method: Method = Method.Extension;
  state: ClientState = ClientState.Idle;
  userData = 0;
  user: ClientTransactionUser | null = null;
  /** Reserved by createClient() (state Idle until sent) or running. */
  inUse = false;
  /** The request sent (or, in Completed, the ACK), for retransmission. */
  readonly buf: Uint8Array;
  length = 0;
  readonly branch: Uint8Array;
  address = "";
  port = 0;
  /** §9.1: CANCEL asked for before a provisional response arrived. */
  cancelPending = false;
  cancelSent = false;
  readonly retransmit: TimerEntry;
  readonly timeout: TimerEntry;
  private readonly owner: ClientOwner;

  constructor(owner: ClientOwner, bufferSize: number) {
    this.owner = owner;
    // One ArrayBuffer for both (a view costs 4 slots in XS, an array with its own buffer 7 and a chunk); buf at offset 0.
    const store = new ArrayBuffer(bufferSize + BRANCH_LENGTH);
    this.buf = new Uint8Array(store, 0, bufferSize);
    this.branch = new Uint8Array(store, bufferSize, BRANCH_LENGTH);
    this.retransmit = new TimerEntry(this, TimerKind.None);
    this.timeout = new TimerEntry(this, TimerKind.None);
  }

  /** Reserve for a new request. */
  reserve(user: ClientTransactionUser, method: Method): void {
    this.inUse = true;
    this.state = ClientState.Idle;
    this.user = user;
    this.method = method;
    this.userData = 0;
    this.length = 0;
    this.cancelPending = this.cancelSent = false;
  }

  /** Copy the request in src[0, length) and send it: the transaction starts (§17.1.1.2, §17.1.2.2). */
  start(src: Uint8Array, length: number, address: string, port: number): boolean {
    if (length > this.buf.length) return false;
    const buf = this.buf;
    for (let i = 0; i < length; i++) buf[i] = src[i]!;
    this.length = length;
    this.address = address;
    this.port = port;
    this.state = ClientState.Calling;
    const owner = this.owner;
    if (!owner.transmit(buf, length, address, port)) {
      // §17.1.4: a transport failure ends the transaction; send() reports it.
      this.terminate();
      return false;
    }
    const t = owner.timers;
    const invite = this.method === Method.INVITE;
    // Retransmissions only on an unreliable transport (§17.1.1.2, §17.1.2.2).
    if (!t.reliable) owner.queue.start(this.retransmit, invite ? t.a : t.e, invite ? TimerKind.A : TimerKind.E);
    owner.queue.start(this.timeout, invite ? t.b : t.f, invite ? TimerKind.B : TimerKind.F);
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
      return this.owner.startCancel(this);
    }
    return false;
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
          // §17.1.1.2: no more retransmissions once Proceeding, and Timer B only guards Calling.
          this.state = ClientState.Proceeding;
          queue.stop(this.retransmit);
          queue.stop(this.timeout);
          if (this.cancelPending) {
            this.cancelPending = false;
            this.cancelSent = true;
            owner.startCancel(this);
          }
          this.deliver(msg);
        } else if (status < 300) {
          // RFC 6026 §7.2: Accepted, so 2xx retransmissions (and other forks' 2xx) still reach the TU.
          this.state = ClientState.Accepted;
          this.cancelPending = false;
          queue.stop(this.retransmit);
          queue.start(this.timeout, owner.timers.m, TimerKind.M);
          this.deliver(msg);
        } else {
          // §17.1.1.2: Completed, the transaction ACKs the failure itself.
          this.state = ClientState.Completed;
          this.cancelPending = false;
          queue.stop(this.retransmit);
          if (owner.buildAck(this, msg)) owner.transmit(this.buf, this.length, this.address, this.port);
          else this.length = 0;
          queue.start(this.timeout, owner.timers.d, TimerKind.D);
          this.deliver(msg);
        }
        return;
      case ClientState.Completed:
        // §17.1.1.2: a retransmitted final response is ACKed again, not passed up.
        owner.responseAbsorbed();
        if (status >= 300 && this.length > 0) owner.transmit(this.buf, this.length, this.address, this.port);
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
        owner.queue.stop(this.retransmit);
        owner.queue.start(this.timeout, owner.timers.k, TimerKind.K);
      }
      this.deliver(msg);
      return;
    }
    // Completed: retransmissions of the final response are absorbed (§17.1.2.2).
    owner.responseAbsorbed();
  }

  onTimer(entry: TimerEntry): void {
    const owner = this.owner;
    const t = owner.timers;
    switch (entry.kind) {
      case TimerKind.A:
        if (this.state !== ClientState.Calling) return;
        // §17.1.1.2: retransmit and double, no cap (Timer B ends it).
        this.resend();
        if (this.state === ClientState.Calling) owner.queue.start(entry, t.nextA(entry.interval), TimerKind.A);
        return;
      case TimerKind.E:
        if (this.state !== ClientState.Calling && this.state !== ClientState.Proceeding) return;
        this.resend();
        // §17.1.2.2: doubling up to T2 in Trying, T2 once Proceeding.
        if (this.state === ClientState.Calling) owner.queue.start(entry, t.nextCapped(entry.interval), TimerKind.E);
        else if (this.state === ClientState.Proceeding) owner.queue.start(entry, t.t2, TimerKind.E);
        return;
      case TimerKind.B:
      case TimerKind.F:
        this.fail(ClientFailure.Timeout);
        return;
      default:
        // D, K, M: the wait for retransmitted responses is over.
        this.terminate();
    }
  }

  private resend(): void {
    this.owner.retransmitted();
    if (!this.owner.transmit(this.buf, this.length, this.address, this.port)) this.fail(ClientFailure.TransportError);
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
    this.owner.queue.stop(this.retransmit);
    this.owner.queue.stop(this.timeout);
    this.owner.clientDone(this);
  }
}
