/*
 * A small TransactionLayerApi for UA tests: no retransmissions, no UDP.
 * send() hands the request's text to a Peer (a scripted registrar), which
 * returns the responses (or null: the request is lost). Responses arrive
 * `latencyMs` later on the virtual clock, parsed by the real parser; a lost
 * request ends with onFailure(Timeout) after Timer F (32 s, RFC 3261
 * §17.1.2.2). Everything sent is recorded for byte-level assertions.
 */
import {
  ClientFailure, ClientState, type TransactionCounters, type ClientTransactionHandle, type ClientTransactionUser, type TransactionLayerApi,
} from "../../src/sip/transaction/api";
import { Method } from "../../src/sip/message/method";
import type { SipWriter } from "../../src/sip/message/writer";
import { SipMessage } from "../../src/sip/message/message";
import { SipParser } from "../../src/sip/message/parser";
import { TimerEntry, type TimerQueue, type TimerTarget } from "../../src/sip/timer/timer-queue";
import { TimerKind } from "../../src/sip/timer/timer-kind";

export interface Peer {
  /** A request datagram as the server sees it (from srcAddress:srcPort). Responses to send back, or null to drop it. */
  handle(request: string, srcAddress: string, srcPort: number): string[] | string | null;
}

export interface SentRequest {
  text: string;
  address: string;
  port: number;
  time: number;
  method: string;
  branch: string;
}

class FakeTx implements ClientTransactionHandle, TimerTarget {
  state: ClientState = ClientState.Idle;
  userData = 0;
  readonly timer: TimerEntry;
  pending: string[] = [];
  released = false;

  constructor(
    readonly layer: FakeLayer,
    readonly user: ClientTransactionUser,
    readonly method: Method,
    readonly branch: string,
  ) {
    this.timer = new TimerEntry(this, TimerKind.F);
  }

  cancel(): boolean {
    return false;
  }

  onTimer(): void {
    this.layer.fire(this);
  }
}

export class FakeLayer implements TransactionLayerApi {
  advertisedAddress = "192.168.1.50";
  advertisedPort = 5060;
  /** Where the server sees our datagrams come from (a NAT); null: the advertised address. */
  publicAddress: string | null = null;
  publicPort = 0;
  latencyMs = 20;
  timeoutMs = 32_000;
  maxClients = 8;
  /** Make send() fail (transport error). */
  sendFails = false;
  /** Make send() fail as the real layer does when its arena has no room (sendRefused). */
  refuseSends = false;
  sendRefused = false;
  readonly sent: SentRequest[] = [];
  readonly setAdvertisedCalls: [string, number][] = [];
  private readonly live = new Set<FakeTx>();
  private branches = 0;
  private readonly parser = new SipParser();
  private readonly msg = new SipMessage();
  /** Exceptions thrown by users into the layer (the core must throw none). */
  userErrors: unknown[] = [];
  learnedAddress = "";
  learnedPort = 0;
  readonly counters: TransactionCounters = {
    retransmissions: 0, requestsAbsorbed: 0, responsesAbsorbed: 0, rejected: 0,
    reclaimed: 0, unavailable: 0,
    unanswerable: 0, clientsReclaimed: 0, dropped: 0, sendErrors: 0, userErrors: 0,
  };

  constructor(readonly timers: TimerQueue, public peer: Peer) {}

  get clientCount(): number {
    return this.live.size;
  }

  get serverCount(): number {
    return 0;
  }

  createClient(user: ClientTransactionUser, method: Method): ClientTransactionHandle | null {
    if (this.live.size >= this.maxClients) return null;
    const tx = new FakeTx(this, user, method, "z9hG4bKfake" + String(++this.branches).padStart(6, "0"));
    this.live.add(tx);
    return tx;
  }

  writeVia(w: SipWriter, tx: ClientTransactionHandle): void {
    const t = tx as FakeTx;
    const host = this.advertisedAddress.includes(":") ? `[${this.advertisedAddress}]` : this.advertisedAddress;
    w.text(`Via: SIP/2.0/UDP ${host}:${this.advertisedPort};branch=${t.branch};rport\r\n`);
  }

  send(tx: ClientTransactionHandle, w: SipWriter, address: string, port: number): boolean {
    const t = tx as FakeTx;
    this.sendRefused = false;
    if (w.overflow || !this.live.has(t) || t.state !== ClientState.Idle) return false;
    if (this.refuseSends) {
      this.sendRefused = true;
      this.finish(t);
      return false;
    }
    if (this.sendFails) {
      this.finish(t);
      return false;
    }
    const text = Buffer.from(w.buf.subarray(0, w.length)).toString("utf8");
    this.sent.push({ text, address, port, time: this.timers.now(), method: text.slice(0, text.indexOf(" ")), branch: t.branch });
    t.state = ClientState.Calling;
    const out = this.peer.handle(text, this.publicAddress ?? this.advertisedAddress, this.publicAddress !== null ? this.publicPort : this.advertisedPort);
    const responses = out === null ? [] : typeof out === "string" ? [out] : out;
    t.pending = responses.slice();
    this.timers.start(t.timer, t.pending.length > 0 ? this.latencyMs : this.timeoutMs);
    return true;
  }

  release(tx: ClientTransactionHandle): void {
    const t = tx as FakeTx;
    if (t.state === ClientState.Idle || t.method !== Method.INVITE) this.finish(t);
  }

  abandon(tx: ClientTransactionHandle): boolean {
    const t = tx as FakeTx;
    if (!this.live.has(t) || t.method !== Method.INVITE || t.state !== ClientState.Calling) return false;
    this.finish(t);
    return true;
  }

  sendStateless(): boolean {
    return true;
  }

  writeStatelessVia(w: SipWriter): void {
    w.text(`Via: SIP/2.0/UDP ${this.advertisedAddress}:${this.advertisedPort};branch=z9hG4bKstateless;rport\r\n`);
  }

  setAdvertised(address: string, port: number): void {
    this.setAdvertisedCalls.push([address, port]);
    this.advertisedAddress = address;
    this.advertisedPort = port;
  }

  /** A tx's timer fired: deliver its responses, or time it out. */
  fire(t: FakeTx): void {
    if (!this.live.has(t)) return;
    if (t.pending.length === 0) {
      this.finish(t);
      this.call(() => t.user.onFailure(t, ClientFailure.Timeout));
      return;
    }
    const all = t.pending;
    t.pending = [];
    for (const text of all) {
      const bytes = Buffer.from(text, "utf8");
      if (!this.parser.parse(bytes, bytes.length, this.msg)) throw new Error(`fake layer: unparsable response (${this.msg.error}):\n${text}`);
      const final = this.msg.status >= 200;
      const via = this.msg.via;
      if (via.receivedLen > 0) this.learnedAddress = text.substr(via.receivedStart, via.receivedLen);
      if (via.rport > 0) this.learnedPort = via.rport;
      if (final) this.finish(t);
      else t.state = ClientState.Proceeding;
      this.call(() => t.user.onResponse(t, this.msg));
      if (final) return;
    }
    // Only provisional responses: wait for the timeout.
    this.timers.start(t.timer, this.timeoutMs);
  }

  private finish(t: FakeTx): void {
    t.state = ClientState.Terminated;
    this.timers.stop(t.timer);
    this.live.delete(t);
  }

  private call(f: () => void): void {
    try {
      f();
    } catch (e) {
      this.userErrors.push(e);
    }
  }
}
