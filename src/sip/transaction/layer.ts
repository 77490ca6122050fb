/*
 * The transaction layer (RFC 3261 §17) over UDP: the UdpReceiver the host
 * calls, the fixed pools of client and server transactions, and the
 * dispatch between them.
 *
 * Responses match a client transaction by top Via branch + CSeq method
 * (§17.1.3); unmatched ones are dropped, except a 2xx to INVITE, which goes
 * to the user's onStray2xx, the dialog layer's (§13.2.2.4, RFC 6026).
 * Requests are checked (§8.2) and matched to server transactions
 * (§17.2.3); retransmissions are absorbed, CANCEL is answered here (§9.2),
 * ACK is never answered. A full pool gives a new request the slot of an
 * answered transaction that only waits for retransmissions (the cheapest
 * to lose, see reclaimCost), else answers 503 with Retry-After statelessly.
 *
 * The messages the transactions keep for retransmission live in one shared
 * arena (arena.ts), sized for what is stored at once rather than for the
 * largest message times the pools; keep() says what happens when it is full.
 *
 * Per datagram nothing is allocated: all buffers, keys, writers and the
 * transactions themselves are made here, at construction.
 */
import { LogLevel, type LogHost, type RandomHost, type UdpHost, type UdpReceiver } from "../../host";
import { ascii, spansEqual } from "../message/bytes";
import { RequestChecker, type UasPolicy } from "../message/check";
import { H } from "../message/header";
import { SipMessage } from "../message/message";
import { Method } from "../message/method";
import { SipParser } from "../message/parser";
import { writeResponseHead } from "../message/response";
import { HeaderValues } from "../message/values";
import { SipWriter } from "../message/writer";
import { BRANCH_LENGTH, TAG_LENGTH, writeBranch } from "../ids";
import type { TimerQueue } from "../timer/timer-queue";
import { TimerValues } from "../timer/timers";
import { responsePort, UdpTransport, type TransportSink } from "../transport/udp-transport";
import { copyStamped, needsReceived, stampInPlace } from "../transport/received";
import { LOCAL_ADDRESS_BYTES, LocalAddresses } from "../transport/addresses";
import {
  ClientState,
  ServerState,
  type ClientTransactionHandle,
  type ClientTransactionUser,
  type RequestScreen,
  ScreenVerdict,
  type ServerTransactionUser,
  type TransactionLayerApi,
  type TransactionLayerOptions,
} from "./api";
import { MessageArena, type StoredMessage } from "./arena";
import { Count, Counters } from "./counters";
import { CancelStart, CLIENT_NUMBERS, ClientTransaction, type ClientOwner } from "./client";
import { writeAck, writeCancel } from "./client-requests";
import { KEY_HEAD, KEY_VIEW_BYTES, keyClear, keyCopy, keyEquals, keyFromRequest, keyMatchesAck } from "./key";
import { R_NO_TRANSACTION, R_OK, R_SERVER_ERROR, R_TRYING, Responder } from "./reject";
import { SERVER_NUMBERS, ServerTransaction, type ServerOwner } from "./server";

/** The hosts and the server-side user, besides the options of the contract. */
export interface TransactionLayerInit extends TransactionLayerOptions {
  queue: TimerQueue;
  random: RandomHost;
  /** Receives new requests, ACKs for 2xx, CANCELs, Timer H. */
  user: ServerTransactionUser;
  /** The socket; may be attached later with attach() (the host needs the receiver first). */
  udp?: UdpHost;
  log?: LogHost;
  timers?: TimerValues;
}

export const DEFAULT_MAX_CLIENT = 8;
export const DEFAULT_MAX_SERVER = 16;
/** §18.1.1: UDP messages stay under 1300 bytes when the path MTU is unknown. */
export const DEFAULT_MESSAGE_BUFFER = 1300;
/** Without arenaBytes: this many largest messages (messageBuffer) for all the transactions together. */
export const DEFAULT_ARENA_MESSAGES = 3;
export const DEFAULT_RETRY_AFTER = 5;
/** Pools of this many server transactions or more keep one slot for requests inside a dialog; of client transactions, one from INVITEs for REGISTER. */
export const RESERVE_FROM = 4;
const VIA_PREFIX = ascii("Via: SIP/2.0/UDP ");
/** Made once: in XS a string literal evaluated in a function can cost a chunk each time. */
const W_NO_ROOM = "transaction layer: no room in the message arena";
const W_CLIENTS_FULL = "transaction layer: client pool full";
/** A CANCEL whose retransmission interval has doubled to this many T1 (sent three times: at 0, 0.5 and 1.5 s) without a final answer gives its slot to a REGISTER. */
const CANCEL_SENDS_SPENT = 4;
const W_CLIENT_KEPT = "transaction layer: no client transaction for an INVITE: the last is kept for REGISTER";
const BRANCH_PARAM = ascii(";branch=");
const RPORT_PARAM = ascii(";rport");

/**
 * Where the layer's own numbers are in its counters' Float64Array
 * (counters.ts), after the counters: a number kept as a property is a slot
 * (16 bytes on the device), here 8 bytes of the buffer the layer has
 * anyway. Literals: esbuild leaves a const enum member undefined when it
 * follows one initialised from another module's enum.
 */
const enum LayerNum {
  /** The first after the counters' Count.Size. */
  TryingDelay = 13,
  ClientReserve = 14,
  /** Seconds in the Retry-After of a 503 (§21.5.4). */
  RetryAfter = 15,
  /** Free server slots that only requests inside a dialog (and CANCEL) may take: see allocServer. */
  Reserved = 16,
  ClientCount = 17,
  ServerCount = 18,
  /** 1: the last send() found no room in the arena for its request. */
  SendRefused = 19,
  /** Free client slots an INVITE may not take while no REGISTER is under way: see createClient. */
  ClientReserved = 20,
  /** How many numbers the counters' array holds. */
  Size = 21,
}

export class TransactionLayer implements TransactionLayerApi, UdpReceiver, TransportSink, ClientOwner, ServerOwner {
  readonly queue: TimerQueue;
  readonly timers: TimerValues;
  /**
   * What the layer counts (counters.ts), behind getters; its `numbers`
   * also hold the layer's own (LayerNum, behind the accessors below).
   */
  readonly counters: Counters;
  /** The transactions' numbers: one table for all, each transaction its own base (client.ts, server.ts). */
  readonly numbers: Float64Array;
  /** The stored messages of all the transactions (arena.ts). */
  readonly arena: MessageArena;
  readonly transport: UdpTransport;
  /** The server-side user; may be replaced (e.g. once the UA core is built). */
  user: ServerTransactionUser;
  /** Looks at each request before a transaction is taken (may be set once the UA core is built). */
  screen: RequestScreen | null;

  /** What the layer keeps of its options (not the options object: it would hold every field of it). */
  private readonly uasPolicy: UasPolicy | undefined;
  private readonly onNatLearned: ((address: string, port: number) => void) | undefined;
  private readonly random: RandomHost;
  private readonly log: LogHost | undefined;
  private readonly clients: ClientTransaction[] = [];
  private readonly servers: ServerTransaction[] = [];
  private readonly checker: RequestChecker;
  private readonly responder: Responder;
  /** The key of the request at hand (key.ts), the transport's source address at its head. */
  private readonly key: Uint8Array;
  /**
   * Scratch, public so that the user agent shares it (src/ua/scratch.ts):
   * a parser and a message to parse a stored request again (here the
   * INVITE of a client transaction, to build its ACK or CANCEL, §17.1.1.3,
   * §9.1), the writer of every message the layer writes (100 Trying, ACK,
   * CANCEL, its own rejections), and a comma-list reader. Each use ends
   * before the layer calls out, and whatever is written here is copied into
   * a transaction's buffer or sent before anyone else writes.
   */
  readonly parser = new SipParser();
  readonly stored = new SipMessage(64);
  readonly scratch: SipWriter;
  readonly values = new HeaderValues();
  /** The advertised address (Via) and the one a server saw us at (RFC 3581 §4). */
  private readonly addresses: LocalAddresses;
  /**
   * The branch of each client transaction (BRANCH_LENGTH bytes at its
   * index times that), then the branch of the last stateless request (an
   * ACK for a 2xx): one view for all.
   */
  private readonly branches: Uint8Array;

  constructor(init: TransactionLayerInit) {
    this.uasPolicy = init.policy;
    this.onNatLearned = init.onNatLearned;
    this.queue = init.queue;
    this.random = init.random;
    this.user = init.user;
    this.screen = init.screen ?? null;
    this.log = init.log;
    this.timers = init.timers ?? new TimerValues();
    const size = init.messageBuffer !== undefined && init.messageBuffer > 0 ? init.messageBuffer : DEFAULT_MESSAGE_BUFFER;
    const nc = init.maxClientTransactions !== undefined && init.maxClientTransactions >= 0 ? init.maxClientTransactions : DEFAULT_MAX_CLIENT;
    const ns = init.maxServerTransactions !== undefined && init.maxServerTransactions >= 0 ? init.maxServerTransactions : DEFAULT_MAX_SERVER;
    // At least one largest message, so that any message that fits the writer can be kept.
    const arenaBytes = init.arenaBytes !== undefined && init.arenaBytes > 0 ? init.arenaBytes : DEFAULT_ARENA_MESSAGES * size;
    const arena = new MessageArena(arenaBytes > size ? arenaBytes : size);
    this.arena = arena;
    // The transactions' numbers (state, arena span, timers...: one table for all, each transaction its own base index)
    // and the small fixed fields (branches, source addresses, keys, our own addresses, the responder's tag) as views of
    // one buffer: in XS a view costs 4 slots, a typed array with a buffer of its own 7 and a chunk, and a number kept
    // as a property a slot (16 bytes on the device) per transaction, 8 bytes in the table.
    const count = nc * CLIENT_NUMBERS + ns * SERVER_NUMBERS;
    const ids = new ArrayBuffer(8 * (count + LayerNum.Size) + (nc + 1) * BRANCH_LENGTH + (ns + 1) * KEY_VIEW_BYTES + LOCAL_ADDRESS_BYTES + TAG_LENGTH);
    this.numbers = new Float64Array(ids, 0, count);
    // The counters and the layer's own numbers after the transactions' (a client's base must be its index times CLIENT_NUMBERS).
    const n = new Float64Array(ids, 8 * count, LayerNum.Size);
    this.counters = new Counters(n);
    n[LayerNum.TryingDelay] = init.tryingDelay !== undefined && init.tryingDelay >= 0 ? init.tryingDelay : 200;
    n[LayerNum.RetryAfter] = init.retryAfter !== undefined && init.retryAfter >= 0 ? init.retryAfter : DEFAULT_RETRY_AFTER;
    const beyondOne = arena.bytes.length - size;
    const reserve = init.clientReserve !== undefined && init.clientReserve >= 0 ? init.clientReserve : size;
    n[LayerNum.ClientReserve] = beyondOne < reserve ? beyondOne : reserve;
    n[LayerNum.Reserved] = ns >= RESERVE_FROM ? 1 : 0;
    n[LayerNum.ClientReserved] = nc >= RESERVE_FROM ? 1 : 0;
    let o = 8 * (count + LayerNum.Size);
    let base = 0;
    // The clients' branches, client i's at i * BRANCH_LENGTH (its index), then the layer's own for stateless requests.
    this.branches = new Uint8Array(ids, o, (nc + 1) * BRANCH_LENGTH);
    o += (nc + 1) * BRANCH_LENGTH;
    for (let i = 0; i < nc; i++, base += CLIENT_NUMBERS) {
      const tx = new ClientTransaction(this, base);
      arena.register(tx);
      this.clients.push(tx);
    }
    for (let i = 0; i < ns; i++, o += KEY_VIEW_BYTES, base += SERVER_NUMBERS) {
      // The key with the request's source address at its head (key.ts): one view for both.
      const tx = new ServerTransaction(this, new Uint8Array(ids, o, KEY_VIEW_BYTES), base);
      arena.register(tx);
      this.servers.push(tx);
    }
    // The transport's source address is the head of the layer's key, as a server transaction's is (the key never writes
    // its head).
    const source = new Uint8Array(ids, o, KEY_HEAD);
    this.key = new Uint8Array(ids, o, KEY_VIEW_BYTES);
    keyClear(this.key);
    o += KEY_VIEW_BYTES;
    this.addresses = new LocalAddresses(new Uint8Array(ids, o, LOCAL_ADDRESS_BYTES));
    const tag = new Uint8Array(ids, o + LOCAL_ADDRESS_BYTES, TAG_LENGTH);
    // Also where stored messages are copied to be sent again (transmitStored) and responses
    // stamped (stamp): each use ends before anyone else writes here.
    this.scratch = new SipWriter(size);
    // check() is done before the layer reads a comma list again (or calls out). Its media types borrow the
    // re-parse message's parameter cursor: that message is read only in sendAck, startCancel and the TU's
    // callbacks, none of which runs while check() does (issue #9: 10 slots).
    this.checker = new RequestChecker(this.values, this.stored.from.params);
    // The responder writes in `scratch` too: its response is copied into a
    // transaction's buffer, or stamped (§18.2.1) where it is and sent, before
    // anything else writes there.
    this.responder = new Responder(this.scratch, this.values, init.random, init.allowHeader, init.acceptHeader, tag);
    // One parser for the datagrams and the stored requests: parse() is done before the layer sees a datagram.
    this.transport = new UdpTransport(this, init.udp ?? null, init.log, undefined, this.parser, source);
  }

  /** Connect the socket (when it had to be bound with this layer as its receiver). */
  attach(udp: UdpHost): void {
    this.transport.udp = udp;
  }

  /** Delay before a provisional 100 Trying to an INVITE (ServerOwner). */
  get tryingDelay(): number {
    return this.counters.numbers[LayerNum.TryingDelay]!;
  }

  /**
   * Bytes of the arena that server transactions leave free for our own
   * requests (keep()): one largest message, or what the arena has beyond one.
   */
  get clientReserve(): number {
    return this.counters.numbers[LayerNum.ClientReserve]!;
  }

  /** The last send() found no room in the arena for its request (TransactionLayerApi.sendRefused). */
  get sendRefused(): boolean {
    return this.counters.numbers[LayerNum.SendRefused] !== 0;
  }

  private set sendRefused(v: boolean) {
    this.counters.numbers[LayerNum.SendRefused] = v ? 1 : 0;
  }

  /** Client transactions in use. */
  get clientCount(): number {
    return this.counters.numbers[LayerNum.ClientCount]!;
  }

  private set clientCount(v: number) {
    this.counters.numbers[LayerNum.ClientCount] = v;
  }

  /** Server transactions in use. */
  get serverCount(): number {
    return this.counters.numbers[LayerNum.ServerCount]!;
  }

  private set serverCount(v: number) {
    this.counters.numbers[LayerNum.ServerCount] = v;
  }

  /** The address and port written in Via (the socket's own until setAdvertised()). */
  get advertisedAddress(): string {
    this.addresses.follow(this.transport.udp);
    return this.addresses.advertised;
  }

  get advertisedPort(): number {
    this.addresses.follow(this.transport.udp);
    return this.addresses.advertisedPort;
  }

  /** RFC 3581 §4: received/rport of the last response to our requests ("" and 0 until seen). */
  get learnedAddress(): string {
    return this.addresses.learned;
  }

  get learnedPort(): number {
    return this.addresses.learnedPort;
  }

  // ---- UdpReceiver -------------------------------------------------------

  receive(data: Uint8Array, length: number, address: string, port: number): void {
    this.transport.receive(data, length, address, port);
  }

  // ---- TransactionLayerApi: client side ------------------------------------

  /**
   * A client transaction for a new request, or null (the pool is full).
   *
   * A free slot first, else that of a transaction in Completed (below).
   * The last slot (free or reclaimable) is kept for a REGISTER while none is
   * under way, from INVITEs: the binding is what makes the door reachable,
   * and INVITEs hold their slots for minutes (ringing, then 64*T1 in
   * Accepted). The requests of calls under way may take it, as they live
   * for a round trip: a CANCEL (a hunt's phones stop ringing when one
   * answers), a BYE (a call ended without one stays up at the phone), a
   * PRACK (a callee ends a call whose reliable 18x goes unacknowledged),
   * and the keepalive's OPTIONS. When CANCELs fill the pool (a
   * doorbell call hunting two phones through a PBX that answers neither the
   * INVITEs nor their CANCELs held all four for 64*T1, §9.1, longer than
   * the half of a 60 s binding left at its refresh: found by
   * test/sfuzz.test.ts with the device's tables), a REGISTER takes the slot
   * of one sent three times or more without a final answer: the INVITE it
   * cancels still ends 64*T1 after it (ClientTransaction.cancelNow).
   */
  createClient(user: ClientTransactionUser, method: Method): ClientTransactionHandle | null {
    // ACK has no client transaction (§17.1.1.3 builds it inside the INVITE's; §13.2.2.4 sends it stateless).
    if (method === Method.ACK) return null;
    const clients = this.clients;
    const spent = CANCEL_SENDS_SPENT * this.timers.t1;
    let free: ClientTransaction | null = null;
    let available = 0;
    let registering = false;
    let victim: ClientTransaction | null = null;
    let cancel: ClientTransaction | null = null;
    for (let i = 0; i < clients.length; i++) {
      const tx = clients[i]!;
      if (!tx.inUse) {
        if (free === null) free = tx;
        available++;
        continue;
      }
      const state = tx.state;
      if (state === ClientState.Completed) {
        available++;
        if (givesWayBefore(tx, CLIENT_COMPLETED_COST, victim, CLIENT_COMPLETED_COST)) victim = tx;
      } else if (tx.method === Method.REGISTER) {
        registering = true;
      } else if (tx.method === Method.CANCEL && cancel === null && (state === ClientState.Proceeding || tx.retransmitInterval >= spent)) {
        cancel = tx;
      }
    }
    if (method === Method.INVITE && !registering && available <= this.counters.numbers[LayerNum.ClientReserved]!) {
      this.warn(W_CLIENT_KEPT);
      return null;
    }
    if (free !== null) return this.reserveClient(free, user, method);
    if (victim === null && method === Method.REGISTER) victim = cancel;
    if (victim !== null) {
      // A transaction in Completed has its final (non-2xx) response and only
      // waits out Timer D or K to absorb retransmissions of it (§17.1.1.2,
      // §17.1.2.2); its user is done with it. Ending it early costs at most an
      // unanswered retransmitted 4xx, which the server stops resending at
      // Timer H. Otherwise an INVITE challenged with 407 holds its slot for
      // 32 s, and a doorbell press right after a challenged refresh and a
      // keepalive would find no transaction on a device with four.
      this.counters.add(Count.ClientsReclaimed);
      victim.terminate();
      return this.reserveClient(victim, user, method);
    }
    this.warn(W_CLIENTS_FULL);
    return null;
  }

  private reserveClient(tx: ClientTransaction, user: ClientTransactionUser, method: Method): ClientTransaction {
    tx.reserve(user, method);
    writeBranch(this.random, this.branches, tx.index * BRANCH_LENGTH);
    this.clientCount++;
    return tx;
  }

  /** Copy the branch of our client transaction `tx` to out[at, at + BRANCH_LENGTH) (for tests); false when tx is not ours or it does not fit. */
  copyBranch(tx: ClientTransactionHandle, out: Uint8Array, at: number): boolean {
    const ct = this.ownClient(tx);
    if (ct === null || at < 0 || at + BRANCH_LENGTH > out.length) return false;
    const branches = this.branches;
    const from = ct.index * BRANCH_LENGTH;
    for (let i = 0; i < BRANCH_LENGTH; i++) out[at + i] = branches[from + i]!;
    return true;
  }

  writeVia(w: SipWriter, tx: ClientTransactionHandle): void {
    const ct = this.ownClient(tx);
    if (ct === null) {
      w.overflow = true; // a Via without our branch must not be sent
      return;
    }
    const a = this.addresses;
    a.follow(this.transport.udp);
    w.bytes(VIA_PREFIX).span(a.bytes, 0, a.advertisedLen).byte(58).uint(a.advertisedPort);
    w.bytes(BRANCH_PARAM).span(this.branches, ct.index * BRANCH_LENGTH, BRANCH_LENGTH).bytes(RPORT_PARAM).crlf();
  }

  writeStatelessVia(w: SipWriter): void {
    const branches = this.branches;
    const at = this.clients.length * BRANCH_LENGTH;
    writeBranch(this.random, branches, at);
    const a = this.addresses;
    a.follow(this.transport.udp);
    w.bytes(VIA_PREFIX).span(a.bytes, 0, a.advertisedLen).byte(58).uint(a.advertisedPort);
    w.bytes(BRANCH_PARAM).span(branches, at, BRANCH_LENGTH).bytes(RPORT_PARAM).crlf();
  }

  send(tx: ClientTransactionHandle, w: SipWriter, address: string, port: number): boolean {
    this.sendRefused = false;
    const ct = this.ownClient(tx);
    if (ct === null || !ct.inUse || ct.state !== ClientState.Idle) return false;
    if (w.overflow || !ct.start(w.buf, w.length, address, port)) {
      // The slot is given back on any failure: the handle is dead.
      ct.terminate();
      return false;
    }
    return true;
  }

  release(tx: ClientTransactionHandle): void {
    const ct = this.ownClient(tx);
    if (ct !== null && ct.inUse && (ct.state === ClientState.Idle || ct.method !== Method.INVITE)) ct.terminate();
  }

  abandon(tx: ClientTransactionHandle): boolean {
    const ct = this.ownClient(tx);
    // Only before any response (§9.1, §17.1.1.3: no CANCEL or ACK is owed); a CANCEL held for a 1xx goes with it.
    if (ct === null || !ct.inUse || ct.method !== Method.INVITE || ct.state !== ClientState.Calling) return false;
    ct.terminate();
    return true;
  }

  sendStateless(w: SipWriter, address: string, port: number): boolean {
    if (w.overflow) return false;
    return this.transmit(w.buf, w.length, address, port);
  }

  setAdvertised(address: string, port: number): void {
    if (!this.addresses.setAdvertised(address, port)) this.warn("transaction layer: advertised address too long, or its port out of range");
  }

  // ---- TransportSink -------------------------------------------------------

  onResponse(msg: SipMessage, address: string, port: number): void {
    // §18.1.2: a response with more than one Via value is discarded.
    const v = this.values.begin(msg, H.Via);
    let n = 0;
    while (v.next()) n++;
    const tx = n === 1 ? this.matchClient(msg) : null;
    // A 2xx to an INVITE whose transaction already has a 3xx-6xx (Completed) is no retransmission of that final
    // response (§17.1.1.2 absorbs only those): a forking proxy forwards every 2xx, even after it sent the 487 of our
    // CANCEL (§16.7 step 10; §9.1: the callee answered as the CANCEL crossed). The dialog layer takes it as one
    // without a transaction: ACK, then BYE (§13.2.2.4), or the phone rings on in a call nobody hears.
    if (tx === null || (tx.state === ClientState.Completed && tx.method === Method.INVITE && msg.status >= 200 && msg.status < 300)) {
      const user = this.user;
      if (n === 1 && msg.status >= 200 && msg.status < 300 && msg.cseqMethod === Method.INVITE && user.onStray2xx !== undefined) {
        try {
          user.onStray2xx(msg, address, port);
        } catch (error) {
          this.userError("onStray2xx", error);
        }
      } else {
        this.counters.add(Count.Dropped);
      }
      return;
    }
    this.learn(msg);
    tx.receive(msg);
  }

  onRequest(msg: SipMessage, address: string, port: number): void {
    if (this.screen !== null && !this.cancelsHeldInvite(msg) && this.screened(msg, address, port)) return;
    const passed = this.checker.check(msg, this.policy());
    const checker = this.checker;
    if (msg.method === Method.ACK) {
      // §17.2.3 / §17.1.1.3: an ACK is never answered; a bad one is dropped.
      if (passed) this.ack(msg, address, port);
      else this.counters.add(Count.Dropped);
      return;
    }
    if (!passed) {
      if (checker.status === 0) {
        this.counters.add(Count.Dropped);
        return;
      }
      if (!msg.ok) {
        // A message that did not parse cannot be keyed reliably: answer it statelessly.
        this.counters.add(Count.Rejected);
        if (this.responder.rejection(msg, checker.status, checker.reason, checker.extra, this.uasPolicy)) this.reply(msg, address, port);
        return;
      }
    }
    const key = this.key;
    keyFromRequest(key, msg, msg.method);
    const again = this.findServer(key, msg.method);
    if (again !== null) {
      this.counters.add(Count.RequestsAbsorbed);
      again.requestAgain();
      return;
    }
    if (passed && msg.method === Method.CANCEL) {
      this.cancel(msg, address, port);
      return;
    }
    // A request in a dialog (To tag) or a CANCEL may take the last slot: it can end a call.
    const tx = this.allocServer(msg.to.tagLen > 0 || msg.method === Method.CANCEL);
    const toPort = responsePort(msg, port);
    if (tx === null) {
      if (passed) {
        this.counters.add(Count.Unavailable);
        if (this.responder.unavailable(msg, this.counters.numbers[LayerNum.RetryAfter]!)) this.reply(msg, address, port);
      } else {
        this.counters.add(Count.Rejected);
        if (this.responder.rejection(msg, checker.status, checker.reason, checker.extra, this.uasPolicy)) this.reply(msg, address, port);
      }
      return;
    }
    keyCopy(tx.key, key);
    if (!passed) {
      // Answered through a transaction so that retransmissions get the same answer (same To tag).
      tx.begin(msg.method, null, address, toPort, this.received(msg), this.transport.source, this.transport.sourceLen, rportValue(msg, port));
      this.counters.add(Count.Rejected);
      if (this.responder.rejection(msg, checker.status, checker.reason, checker.extra, this.uasPolicy)) tx.respond(this.responder.w, checker.status);
      else tx.terminate();
      return;
    }
    tx.begin(msg.method, this.user, address, toPort, this.received(msg), this.transport.source, this.transport.sourceLen, rportValue(msg, port));
    if (msg.method === Method.INVITE) {
      const w = this.scratch.reset();
      if (writeResponseHead(w, msg, 100, R_TRYING, null, 0, false)) {
        w.end();
        tx.prepareTrying(w);
      }
    }
    try {
      this.user.onRequest(tx, msg, address, port);
    } catch (error) {
      this.userError("onRequest", error);
      // The TU failed: answer 500 (§21.5.1) so the client is not left waiting.
      if (tx.inUse && tx.lastStatus < 200 && this.responder.simple(msg, 500, R_SERVER_ERROR)) tx.respond(this.responder.w, 500);
    }
  }

  // ---- ClientOwner / ServerOwner ------------------------------------------

  transmit(buf: Uint8Array, length: number, address: string, port: number): boolean {
    const ok = this.transport.send(buf, length, address, port);
    if (!ok) this.counters.add(Count.SendErrors);
    return ok;
  }

  get out(): Uint8Array {
    return this.scratch.buf;
  }

  stamp(w: SipWriter, tx: ServerTransaction): number {
    if (w.overflow) return -1;
    const out = this.scratch.buf;
    // The layer's own writer (the user agent's too) is marked where it is: its bytes are sent next.
    if (w.buf === out) return stampInPlace(out, w.length, tx.source, tx.sourceLen, tx.stampReceived, tx.stampPort);
    return copyStamped(w.buf, w.length, out, tx.source, tx.sourceLen, tx.stampReceived, tx.stampPort);
  }

  /**
   * Keep src[0, n) as tx's message in the arena. When it is full, the
   * transactions that only wait out a timer for retransmissions give their
   * copies up (dropRoom), by the cost rules of the full tables; they go on
   * (absorbing retransmissions, so nothing is done twice), only without
   * answering them again. When even that leaves no room, false (counted in
   * `unstored`): a client request is then not sent at all (send() is
   * false, as for a full pool), a response is sent without a copy (the
   * request waits for it; only a retransmission of it goes unanswered).
   * Server transactions leave `clientReserve` bytes free: a flood of
   * requests at the door fills the arena with their answers, and our own
   * requests (a registration refresh, a keepalive, a call) must still find
   * room, or the door would drop its registration under the flood.
   */
  keep(tx: ClientTransaction | ServerTransaction, src: Uint8Array, n: number): boolean {
    const arena = this.arena;
    arena.release(tx);
    const server = tx instanceof ServerTransaction;
    const need = server ? n + this.clientReserve : n;
    if (need > arena.room && need <= arena.bytes.length) this.dropRoom(need, tx);
    if (need <= arena.room && arena.store(tx, src, n)) return true;
    if (!server) this.sendRefused = true;
    this.counters.add(Count.Unstored);
    this.warn(W_NO_ROOM);
    return false;
  }

  drop(tx: StoredMessage): void {
    this.arena.release(tx);
  }

  transmitStored(tx: StoredMessage, address: string, port: number): boolean {
    const out = this.scratch.buf;
    const n = this.arena.copyOut(tx, out);
    return n > 0 && this.transmit(out, n, address, port);
  }

  sendAck(tx: ClientTransaction, response: SipMessage): void {
    const arena = this.arena;
    // The parser reads from its buffer's start.
    arena.toFront(tx);
    const w = this.scratch;
    if (tx.length === 0 || !this.parser.parse(arena.bytes, tx.length, this.stored) || !writeAck(w, this.stored, response)) {
      arena.release(tx);
      return;
    }
    // The ACK replaces the INVITE; without room it is sent once and not kept.
    this.keep(tx, w.buf, w.length);
    this.transmit(w.buf, w.length, tx.address, tx.port);
  }

  startCancel(invite: ClientTransaction): CancelStart {
    const arena = this.arena;
    arena.toFront(invite);
    if (invite.length === 0 || !this.parser.parse(arena.bytes, invite.length, this.stored) || !writeCancel(this.scratch, this.stored)) {
      this.warn("transaction layer: cannot build CANCEL");
      return CancelStart.Failed;
    }
    const user = invite.user;
    if (user === null) return CancelStart.Failed;
    const tx = this.createClient(user, Method.CANCEL);
    if (tx === null) return CancelStart.NoRoom;
    const ct = tx as ClientTransaction;
    // §9.1: the CANCEL's top Via carries the INVITE's branch.
    // A loop: TypedArray.prototype.set allocates in XS.
    const branches = this.branches;
    const from = invite.index * BRANCH_LENGTH;
    const to = ct.index * BRANCH_LENGTH;
    for (let i = 0; i < BRANCH_LENGTH; i++) branches[to + i] = branches[from + i]!;
    ct.userData = invite.userData;
    if (!ct.start(this.scratch.buf, this.scratch.length, invite.address, invite.port)) {
      // No arena room to keep it, or the host refused it (lwIP out of buffers): both may pass.
      ct.terminate();
      return CancelStart.NoRoom;
    }
    return CancelStart.Sent;
  }

  clientDone(_tx: ClientTransaction): void {
    this.clientCount--;
  }

  serverDone(_tx: ServerTransaction): void {
    this.serverCount--;
  }

  retransmitted(): void {
    this.counters.add(Count.Retransmissions);
  }

  unanswerable(): void {
    this.counters.add(Count.Unanswerable);
  }

  responseAbsorbed(): void {
    this.counters.add(Count.ResponsesAbsorbed);
  }

  userError(where: string, error: unknown): void {
    this.counters.add(Count.UserErrors);
    if (this.log !== undefined) this.log.log(LogLevel.Error, "transaction layer: " + where + " threw: " + String(error));
  }

  warn(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Warn, text);
  }

  // ---- internals -------------------------------------------------------------

  private policy() {
    return this.uasPolicy ?? ALLOW_ALL;
  }

  private ownClient(tx: ClientTransactionHandle): ClientTransaction | null {
    if (!(tx instanceof ClientTransaction)) return null;
    const clients = this.clients;
    for (let i = 0; i < clients.length; i++) if (clients[i] === tx) return tx;
    return null;
  }

  /** §17.1.3: top Via branch and CSeq method. */
  private matchClient(msg: SipMessage): ClientTransaction | null {
    const via = msg.via;
    if (via.branchLen !== BRANCH_LENGTH) return null;
    const clients = this.clients;
    for (let i = 0; i < clients.length; i++) {
      const tx = clients[i]!;
      if (!tx.inUse || tx.state === ClientState.Idle || tx.method !== msg.cseqMethod) continue;
      if (spansEqual(msg.buf, via.branchStart, via.branchLen, this.branches, tx.index * BRANCH_LENGTH, BRANCH_LENGTH)) return tx;
    }
    return null;
  }

  private findServer(key: Uint8Array, method: Method): ServerTransaction | null {
    const servers = this.servers;
    for (let i = 0; i < servers.length; i++) {
      const tx = servers[i]!;
      if (tx.inUse && tx.method === method && keyEquals(tx.key, key)) return tx;
    }
    return null;
  }

  /**
   * A slot for a new server transaction, or null (the caller answers 503).
   *
   * A free slot first. Otherwise (full) a transaction that has answered and
   * only waits out its timer holds its slot for nothing but late
   * retransmissions: one of those is given to the new request rather than
   * answer 503, cheapest first (reclaimCost), then the one closest to its
   * end. Otherwise a few OPTIONS or INFOs would lock calls out for 64*T1,
   * and a flood of INVITEs answered 486 would leave no slot for the BYE
   * that ends the call in progress.
   *
   * The last slot (free or reclaimable) is kept for `privileged` requests
   * (in a dialog, or CANCEL): answered calls hold their INVITE's slot for
   * 64*T1 (Timer L), so short calls in a row would otherwise fill the table
   * and leave none for the BYE of the call in progress.
   */
  private allocServer(privileged: boolean): ServerTransaction | null {
    const servers = this.servers;
    let free: ServerTransaction | null = null;
    let available = 0;
    let victim: ServerTransaction | null = null;
    let victimCost = 0;
    for (let i = 0; i < servers.length; i++) {
      const tx = servers[i]!;
      if (!tx.inUse) {
        if (free === null) free = tx;
        available++;
        continue;
      }
      const cost = reclaimCost(tx);
      if (cost < 0) continue;
      available++;
      if (givesWayBefore(tx, cost, victim, victimCost)) {
        victim = tx;
        victimCost = cost;
      }
    }
    if (!privileged && available <= this.counters.numbers[LayerNum.Reserved]!) return null;
    if (free !== null) {
      this.serverCount++;
      return free;
    }
    if (victim === null) return null;
    this.counters.add(Count.Reclaimed);
    victim.terminate();
    this.serverCount++;
    return victim;
  }

  private ack(msg: SipMessage, address: string, port: number): void {
    const key = this.key;
    // §17.2.3: an ACK matches the INVITE transaction it acknowledges.
    if (keyFromRequest(key, msg, Method.INVITE)) {
      const servers = this.servers;
      for (let i = 0; i < servers.length; i++) {
        const tx = servers[i]!;
        if (!tx.inUse || tx.method !== Method.INVITE || !keyMatchesAck(tx.key, key)) continue;
        if (tx.ack()) {
          this.counters.add(Count.RequestsAbsorbed);
          return;
        }
        break; // Accepted: the ACK of a 2xx is the TU's (RFC 6026 §7.1)
      }
    }
    // The ACK of a 2xx has a branch of its own (§17.1.1.3 vs §13.2.2.4): the TU's business.
    try {
      this.user.onAck(msg, address, port);
    } catch (error) {
      this.userError("onAck", error);
    }
  }

  /** §9.2: a CANCEL matching an INVITE server transaction gets 200 and the TU is told; otherwise 481. */
  private cancel(msg: SipMessage, address: string, port: number): void {
    const key = this.key;
    const invite = keyFromRequest(key, msg, Method.INVITE) ? this.findServer(key, Method.INVITE) : null;
    const status = invite !== null ? 200 : 481;
    if (invite === null) this.counters.add(Count.Rejected);
    if (this.responder.simple(msg, status, invite !== null ? R_OK : R_NO_TRANSACTION)) {
      keyFromRequest(key, msg, Method.CANCEL);
      const tx = this.allocServer(true);
      if (tx !== null) {
        // Its own non-INVITE server transaction, so a retransmitted CANCEL gets the same answer.
        keyCopy(tx.key, key);
        tx.begin(Method.CANCEL, null, address, responsePort(msg, port), this.received(msg), this.transport.source, this.transport.sourceLen, rportValue(msg, port));
        tx.respond(this.responder.w, status);
      } else {
        this.reply(msg, address, port);
      }
    }
    // "If the original request has already received a final response, the CANCEL has no effect."
    if (invite !== null && invite.state === ServerState.Proceeding) {
      try {
        this.user.onCancel(invite, msg);
      } catch (error) {
        this.userError("onCancel", error);
      }
    }
  }

  /**
   * A CANCEL that matches an INVITE server transaction the layer holds
   * (§9.2: the INVITE's branch, in the CANCEL's top Via, §9.1) is about a
   * request the screen already let in, not a stranger's new one: it skips
   * the screen. It may come from another socket than the INVITE (a proxy
   * farm), and with untrusted=drop it would otherwise be dropped and leave
   * the door ringing until its timeout. Only a sender that saw the INVITE
   * knows its branch.
   */
  private cancelsHeldInvite(msg: SipMessage): boolean {
    if (msg.method !== Method.CANCEL) return false;
    const key = this.key;
    return keyFromRequest(key, msg, Method.INVITE) && this.findServer(key, Method.INVITE) !== null;
  }

  /** True when the screen rejected (answered statelessly, §8.2.7) or dropped the request: no transaction is taken. */
  private screened(msg: SipMessage, address: string, port: number): boolean {
    const screen = this.screen!;
    const verdict = screen.screen(msg, address, port);
    if (verdict === ScreenVerdict.Pass) return false;
    // §17.2.3: an ACK is never answered.
    if (verdict === ScreenVerdict.Reject && msg.method !== Method.ACK && screen.writeRejection(this.responder.w.reset(), msg) && !this.responder.w.overflow) {
      this.reply(msg, address, port);
    }
    return true;
  }

  /** Send the responder's response statelessly to the address of §18.2.2, its top Via marked (§18.2.1) where it is. */
  private reply(msg: SipMessage, address: string, port: number): void {
    const w = this.responder.w;
    const t = this.transport;
    const n = stampInPlace(w.buf, w.length, t.source, t.sourceLen, this.received(msg), rportValue(msg, port));
    if (n >= 0) this.transmit(w.buf, n, address, responsePort(msg, port));
  }

  /** Does a response to msg need "received" in its top Via (§18.2.1)? */
  private received(msg: SipMessage): boolean {
    return needsReceived(msg, this.transport.source, this.transport.sourceLen);
  }

  /**
   * Make `n` bytes of room in the arena for `except`'s message: answered
   * transactions that only wait out a timer give up their copies, the
   * cheapest first by the full table's costs (reclaimCost; a client one in
   * Completed, holding the ACK of a 3xx-6xx, costs 1 as its server twin
   * does), then the one closest to its end. Unlike a slot taken from a
   * full table, the transaction stays: a retransmitted request is still
   * absorbed (an INFO's digit is not taken twice); it is just not answered
   * again, nor is a retransmitted 3xx-6xx ACKed again. A response is
   * rarely resent after its first seconds: a client retransmits within T2
   * (4 s) when it did not get it.
   */
  private dropRoom(n: number, except: StoredMessage): void {
    const arena = this.arena;
    const servers = this.servers;
    const clients = this.clients;
    while (arena.room < n) {
      let server: ServerTransaction | null = null;
      let serverCost = 0;
      for (let i = 0; i < servers.length; i++) {
        const tx = servers[i]!;
        if (tx === except || !tx.inUse || tx.length === 0) continue;
        const cost = reclaimCost(tx);
        if (cost < 0) continue;
        if (givesWayBefore(tx, cost, server, serverCost)) {
          server = tx;
          serverCost = cost;
        }
      }
      let client: ClientTransaction | null = null;
      for (let i = 0; i < clients.length; i++) {
        const tx = clients[i]!;
        if (tx === except || !tx.inUse || tx.length === 0 || tx.state !== ClientState.Completed) continue;
        if (givesWayBefore(tx, CLIENT_COMPLETED_COST, client, CLIENT_COMPLETED_COST)) client = tx;
      }
      const victim = client !== null && givesWayBefore(client, CLIENT_COMPLETED_COST, server, serverCost) ? client : server;
      if (victim === null) return;
      this.counters.add(Count.CopiesDropped);
      arena.release(victim);
    }
  }

  /** RFC 3581 §4: remember the received/rport the server saw in our request. */
  private learn(msg: SipMessage): void {
    const hook = this.onNatLearned;
    const a = this.addresses;
    if (!a.learn(msg) || hook === undefined) return;
    try {
      hook(a.learned, a.learnedPort);
    } catch (error) {
      this.userError("onNatLearned", error);
    }
  }
}

/**
 * What taking this server transaction's slot costs, or -1 when it cannot
 * be taken (no final response yet, or an INVITE in Accepted whose 2xx the
 * TU still retransmits, RFC 6026 §7.1). Once the slot is taken, a late
 * retransmission of the request looks new:
 *   0: harmless: an INVITE already acknowledged (Confirmed, Timer I: only
 *      ACK retransmissions are left), a rejection the layer wrote itself,
 *      OPTIONS, BYE (answered again, or 481 once the dialog is gone);
 *   1: an INVITE whose 3xx-6xx awaits its ACK (Completed, Timers G/H): the
 *      final response is no longer resent (a caller that lost it times out);
 *   2: an INFO (a door-code digit), MESSAGE, REFER, UPDATE or PRACK: it
 *      would act twice (§12.2.2 lets an equal CSeq through).
 */
function reclaimCost(tx: ServerTransaction): number {
  const state = tx.state;
  if (tx.method === Method.INVITE) return state === ServerState.Confirmed ? 0 : state === ServerState.Completed ? 1 : -1;
  if (state !== ServerState.Completed) return -1;
  if (tx.layerOwned) return 0;
  switch (tx.method) {
    case Method.INFO:
    case Method.MESSAGE:
    case Method.REFER:
    case Method.UPDATE:
    case Method.PRACK:
      return 2;
    default:
      return 0;
  }
}

/** What ending a client transaction in Completed costs, on reclaimCost's scale. */
const CLIENT_COMPLETED_COST = 1;

/**
 * The one order in which answered transactions give way, whether a full
 * table takes a slot or a full arena a copy: the lower cost first, then the
 * one closest to its end (timeoutAt). Does `tx` at `cost` go before `best`
 * at `bestCost` (none yet: null)?
 */
function givesWayBefore(tx: { timeoutAt: number }, cost: number, best: { timeoutAt: number } | null, bestCost: number): boolean {
  return best === null || cost < bestCost || (cost === bestCost && tx.timeoutAt < best.timeoutAt);
}

/** RFC 3581 §4: the value an empty rport gets in responses (the source port), or 0 to leave it. */
function rportValue(msg: SipMessage, sourcePort: number): number {
  return msg.via.rport === 0 ? sourcePort : 0;
}

/** Without a policy, every known method is allowed, no extension supported, any body accepted. Frozen: on the device it stays in the preloaded, read-only heap. */
const ALLOW_ALL = Object.freeze({
  isAllowed(_method: Method): boolean {
    return true;
  },
  isSupported(_buf: Uint8Array, _start: number, _len: number): boolean {
    return false;
  },
  acceptsContent(): boolean {
    return true;
  },
});
