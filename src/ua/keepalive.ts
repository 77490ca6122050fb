/*
 * Keepalive: an OPTIONS to the next hop (the outbound proxy, else the
 * registrar) every `intervalSeconds` (RFC 3261 §11: OPTIONS asks a server
 * about itself). It proves the server is there and keeps the NAT mapping
 * of our UDP flow open. Any final response proves the server alive, 404,
 * 405 and 401/407 included: OPTIONS is not authenticated here.
 *
 * Timing: the next OPTIONS goes `intervalSeconds` after the previous one
 * ended (response or timeout), so pings never overlap. An unanswered one
 * ends after Timer F (64*T1 = 32 s, §17.1.2.2); after `maxMisses`
 * (default 3) in a row the server counts as lost, reported once through
 * onServerLost(). Pinging goes on, and the first response after that
 * reports onServerAlive(). Registration implements KeepaliveListener, so the
 * usual wiring is `listener: registration` (see registration.ts).
 *
 * Each OPTIONS is a new request outside a dialog: new Call-ID, From tag and
 * branch, CSeq 1 (§8.1.1). The Request-URI is the next hop itself, so that
 * hop answers rather than forwards.
 */
import { LogLevel, type LogHost, type RandomHost } from "../host";
import { ascii } from "../sip/message/bytes";
import type { SipMessage } from "../sip/message/message";
import { Method } from "../sip/message/method";
import { SipWriter } from "../sip/message/writer";
import { writeCallId, writeTag } from "../sip/ids";
import { TimerEntry, type TimerQueue, type TimerTarget } from "../sip/timer/timer-queue";
import { TimerKind } from "../sip/timer/timer-kind";
import type { ClientFailure, ClientTransactionHandle, ClientTransactionUser, TransactionLayerApi } from "../sip/transaction/api";
import { type AccountConfig, DEFAULT_USER_AGENT, hostForUri, nextHopHost, nextHopPort } from "./account";
import { packedText } from "./packed-text";

export interface KeepaliveListener {
  /** `maxMisses` OPTIONS in a row went unanswered. */
  onServerLost(): void;
  /** The server answered again after it was reported lost. */
  onServerAlive(): void;
}

export interface KeepaliveOptions {
  account: AccountConfig;
  layer: TransactionLayerApi;
  timers: TimerQueue;
  random: RandomHost;
  log?: LogHost;
  listener?: KeepaliveListener;
  /** Seconds between OPTIONS; default 30; 0 disables keepalive. */
  intervalSeconds?: number;
  /** Unanswered OPTIONS in a row before the server counts as lost; default 3. */
  maxMisses?: number;
  /** Bytes for the OPTIONS writer; default 768. Unused with `writer`. */
  bufferSize?: number;
  /** A writer to share (the core's scratch writer, src/ua/scratch.ts): each OPTIONS is copied by its transaction at once. */
  writer?: SipWriter;
}

export const DEFAULT_KEEPALIVE_SECONDS = 30;
export const DEFAULT_MAX_MISSES = 3;

const K_FROM_TAG = ascii(">;tag=");
const K_CALL_ID = ascii("Call-ID: ");

export class Keepalive implements ClientTransactionUser, TimerTarget {
  private readonly layer: TransactionLayerApi;
  private readonly timers: TimerQueue;
  private readonly random: RandomHost;
  private readonly log: LogHost | undefined;
  private readonly listener: KeepaliveListener | undefined;
  private readonly w: SipWriter;
  private readonly timer: TimerEntry;
  private readonly address: string;
  private readonly port: number;
  /** "OPTIONS sip:host:port SIP/2.0\r\n" */
  private readonly requestLine: Uint8Array;
  /** "Max-Forwards: 70\r\nFrom: <sip:user@domain" */
  private readonly head: Uint8Array;
  /** "To: <sip:host:port>\r\n" */
  private readonly to: Uint8Array;
  /** "CSeq: 1 OPTIONS\r\nAccept: application/sdp\r\nUser-Agent: ...\r\n" */
  private readonly tail: Uint8Array;
  private tx: ClientTransactionHandle | null = null;
  private running = false;

  readonly intervalMs: number;
  readonly maxMisses: number;
  /** Unanswered OPTIONS in a row. */
  misses = 0;
  /** The server is currently reported lost. */
  lost = false;
  /** OPTIONS sent and final responses received (tests, diagnostics). */
  sent = 0;
  answered = 0;
  errors = 0;

  constructor(options: KeepaliveOptions) {
    const a = options.account;
    this.layer = options.layer;
    this.timers = options.timers;
    this.random = options.random;
    this.log = options.log;
    this.listener = options.listener;
    const s = options.intervalSeconds;
    this.intervalMs = s === undefined || !(s >= 0) || s === Infinity ? DEFAULT_KEEPALIVE_SECONDS * 1000 : Math.floor(s * 1000);
    const m = options.maxMisses;
    this.maxMisses = m !== undefined && m >= 1 ? Math.floor(m) : DEFAULT_MAX_MISSES;
    this.w = options.writer ?? new SipWriter(options.bufferSize ?? 768);
    this.timer = new TimerEntry(this, TimerKind.User);
    this.address = nextHopHost(a);
    this.port = nextHopPort(a);
    const target = "sip:" + hostForUri(this.address) + ":" + this.port;
    const domain = a.domain !== undefined && a.domain !== "" ? a.domain : hostForUri(a.registrarHost);
    // One buffer for the four (packed-text.ts).
    const bytes = packedText([
      "OPTIONS " + target + " SIP/2.0\r\n",
      "Max-Forwards: 70\r\nFrom: <sip:" + a.user + "@" + domain,
      "To: <" + target + ">\r\n",
      "CSeq: 1 OPTIONS\r\nAccept: application/sdp\r\nUser-Agent: " + (a.userAgent ?? DEFAULT_USER_AGENT) + "\r\n",
    ]);
    this.requestLine = bytes[0]!;
    this.head = bytes[1]!;
    this.to = bytes[2]!;
    this.tail = bytes[3]!;
  }

  get enabled(): boolean {
    return this.intervalMs > 0;
  }

  /** Start pinging: the first OPTIONS goes after one interval (registration has just talked to the server). */
  start(): void {
    if (!this.enabled || this.running) return;
    this.running = true;
    this.misses = 0;
    this.timers.start(this.timer, this.intervalMs, TimerKind.User);
  }

  stop(): void {
    this.running = false;
    this.tx = null;
    this.timers.stop(this.timer);
  }

  onTimer(_entry: TimerEntry): void {
    try {
      if (this.running && this.tx === null) this.ping();
    } catch (e) {
      this.caught(e);
    }
  }

  onResponse(tx: ClientTransactionHandle, msg: SipMessage): void {
    try {
      if (tx !== this.tx || msg.status < 200) return;
      this.tx = null;
      this.answered++;
      this.misses = 0;
      this.next();
      if (this.lost) {
        this.lost = false;
        this.logInfo("keepalive: server answers again");
        this.listener?.onServerAlive();
      }
    } catch (e) {
      this.caught(e);
    }
  }

  onFailure(tx: ClientTransactionHandle, _reason: ClientFailure): void {
    try {
      if (tx !== this.tx) return;
      this.tx = null;
      this.miss();
    } catch (e) {
      this.caught(e);
    }
  }

  private ping(): void {
    const tx = this.layer.createClient(this, Method.OPTIONS);
    if (tx === null) {
      // Pool full: not the server's fault; try again next interval.
      this.next();
      return;
    }
    const w = this.w.reset();
    w.bytes(this.requestLine);
    this.layer.writeVia(w, tx);
    w.bytes(this.head).bytes(K_FROM_TAG);
    let at = writeTag(this.random, w.buf, w.pos);
    if (at < 0) w.overflow = true;
    else w.pos = at;
    w.crlf().bytes(this.to).bytes(K_CALL_ID);
    at = writeCallId(this.random, w.buf, w.pos);
    if (at < 0) w.overflow = true;
    else w.pos = at;
    w.crlf().bytes(this.tail).end();
    if (w.overflow) {
      this.layer.release(tx);
      this.next();
      return;
    }
    this.tx = tx;
    this.sent++;
    if (!this.layer.send(tx, w, this.address, this.port) && this.tx === tx) {
      this.tx = null;
      // No room to keep it (our own layer is full) says nothing about the server: not a miss.
      if (this.layer.sendRefused) this.next();
      else this.miss();
    }
  }

  private miss(): void {
    this.misses++;
    this.next();
    if (!this.lost && this.misses >= this.maxMisses) {
      this.lost = true;
      this.logInfo("keepalive: server lost");
      this.listener?.onServerLost();
    }
  }

  private next(): void {
    if (this.running) this.timers.start(this.timer, this.intervalMs, TimerKind.User);
  }

  private caught(e: unknown): void {
    this.errors++;
    if (this.log !== undefined) this.log.log(LogLevel.Error, "keepalive: " + String(e));
    if (this.running && this.tx === null && !this.timer.armed) this.next();
  }

  private logInfo(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Info, text);
  }
}
