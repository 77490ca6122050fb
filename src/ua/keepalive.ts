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
 * onServerLost(), and each further miss through onServerStillLost() (the
 * intercom looks the server's name up again). Pinging goes on, and the
 * first response after that reports onServerAlive(); a response after
 * fewer misses, or one that came only after its retransmissions
 * (LATE_ANSWER_MS), reports onServerBack(). When the server moves
 * (moveServer) the OPTIONS under way is given back to the layer, the misses
 * start again from 0, and the next OPTIONS goes to the new address at
 * once. Registration implements KeepaliveListener, so the usual wiring is
 * `listener: registration` (see registration.ts).
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
import { TimerNode, type TimerQueue } from "../sip/timer/timer-queue";
import { TimerKind } from "../sip/timer/timer-kind";
import type { ClientFailure, ClientTransactionHandle, ClientTransactionUser, TransactionLayerApi } from "../sip/transaction/api";
import { type AccountConfig, DEFAULT_USER_AGENT, hostForUri, nextHopHost, nextHopPort } from "./account";
import { packNumbers, replacePacked } from "../util/packed-numbers";
import { writePacked } from "./packed-text";

export interface KeepaliveListener {
  /** `maxMisses` OPTIONS in a row went unanswered. */
  onServerLost(): void;
  /** The server answered again after it was reported lost. */
  onServerAlive(): void;
  /** Another OPTIONS went unanswered while the server is reported lost (the intercom looks its name up again, src/ua/server-name.ts). */
  onServerStillLost?(): void;
  /**
   * An OPTIONS was answered after one or more went unanswered, too few for
   * the server to count as lost, or was answered only after its
   * retransmissions (LATE_ANSWER_MS): the server was silent for seconds at
   * least, and may have restarted meanwhile (registration.ts onServerBack).
   */
  onServerBack?(): void;
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

/**
 * The keepalive's numbers, in one Float64Array with its texts after them
 * (util/packed-numbers.ts packNumbers; issue #9: a property is a heap slot, a
 * typed-array view 4): the public ones are getters over it.
 */
const enum K {
  Port = 0,
  /** 1 between start() and stop(). */
  Running = 1,
  IntervalMs = 2,
  MaxMisses = 3,
  Misses = 4,
  /** 1 while the server is reported lost. */
  Lost = 5,
  Sent = 6,
  Answered = 7,
  Errors = 8,
  /** When the OPTIONS under way was sent (the clock's ms): how long its answer took (LATE_ANSWER_MS). */
  SentAt = 9,
  /** Where each text starts (then where the last ends): "OPTIONS sip:host:port SIP/2.0\r\n" */
  RequestLine = 10,
  /** "Max-Forwards: 70\r\nFrom: <sip:user@domain" */
  Head = 11,
  /** "To: <sip:host:port>\r\n" */
  To = 12,
  /** "CSeq: 1 OPTIONS\r\nAccept: application/sdp\r\nUser-Agent: ...\r\n" */
  Tail = 13,
  Count = 15, // Tail + 1 end + 1
}

/**
 * An OPTIONS answered this long after it was sent, or later, went
 * unanswered three times (sent at 0, T1 and 3*T1; the fourth send is at
 * 7*T1 = 3.5 s, §17.1.2.2): the server was silent for seconds, the way a PBX is
 * while it restarts, and it may have forgotten our binding, though it came
 * back within the OPTIONS's Timer F and so was never missed. Reported as
 * onServerBack (registration refreshes at once). Three losses in a row are
 * rare on a working network (0.7% of OPTIONS at 10% loss each way): at
 * worst one REGISTER more in a keepalive interval.
 */
export const LATE_ANSWER_MS = 3_500;

/** How many texts the keepalive packs (RequestLine .. Tail: Count holds them and the end offset). */
const TEXTS = K.Count - K.RequestLine - 1;

/** The OPTIONS's Request-URI and To: the next hop itself, so that it answers rather than forwards (§11). */
function optionsTarget(address: string, port: number): string {
  return "sip:" + hostForUri(address) + ":" + port;
}

function requestLine(target: string): string {
  return "OPTIONS " + target + " SIP/2.0\r\n";
}

function toLine(target: string): string {
  return "To: <" + target + ">\r\n";
}

/**
 * The keepalive is its own timer's entry (it has one timer; TimerNode):
 * no TimerEntry and no property holding it.
 */
export class Keepalive extends TimerNode implements ClientTransactionUser {
  private readonly layer: TransactionLayerApi;
  private readonly timers: TimerQueue;
  private readonly random: RandomHost;
  private readonly log: LogHost | undefined;
  private readonly listener: KeepaliveListener | undefined;
  private readonly w: SipWriter;
  private address: string;
  private n: Float64Array;
  /** The bytes of n's buffer: the texts. */
  private b: Uint8Array;
  private tx: ClientTransactionHandle | null = null;

  constructor(options: KeepaliveOptions) {
    super(TimerKind.User);
    const a = options.account;
    this.layer = options.layer;
    this.timers = options.timers;
    this.random = options.random;
    this.log = options.log;
    this.listener = options.listener;
    this.w = options.writer ?? new SipWriter(options.bufferSize ?? 768);
    this.address = nextHopHost(a);
    const port = nextHopPort(a);
    const target = optionsTarget(this.address, port);
    const domain = a.domain !== undefined && a.domain !== "" ? a.domain : hostForUri(a.registrarHost);
    const n = packNumbers(K.Count, K.RequestLine, [
      requestLine(target),
      "Max-Forwards: 70\r\nFrom: <sip:" + a.user + "@" + domain,
      toLine(target),
      "CSeq: 1 OPTIONS\r\nAccept: application/sdp\r\nUser-Agent: " + (a.userAgent ?? DEFAULT_USER_AGENT) + "\r\n",
    ]);
    this.n = n;
    this.b = new Uint8Array(n.buffer);
    n[K.Port] = port;
    const s = options.intervalSeconds;
    n[K.IntervalMs] = s === undefined || !(s >= 0) || s === Infinity ? DEFAULT_KEEPALIVE_SECONDS * 1000 : Math.floor(s * 1000);
    const m = options.maxMisses;
    n[K.MaxMisses] = m !== undefined && m >= 1 ? Math.floor(m) : DEFAULT_MAX_MISSES;
  }

  get intervalMs(): number {
    return this.n[K.IntervalMs]!;
  }

  get maxMisses(): number {
    return this.n[K.MaxMisses]!;
  }

  /** Unanswered OPTIONS in a row. */
  get misses(): number {
    return this.n[K.Misses]!;
  }

  /** The server is currently reported lost. */
  get lost(): boolean {
    return this.n[K.Lost] === 1;
  }

  /** OPTIONS sent and final responses received (tests, diagnostics). */
  get sent(): number {
    return this.n[K.Sent]!;
  }

  get answered(): number {
    return this.n[K.Answered]!;
  }

  get errors(): number {
    return this.n[K.Errors]!;
  }

  get enabled(): boolean {
    return this.n[K.IntervalMs]! > 0;
  }

  /** Start pinging: the first OPTIONS goes after one interval (registration has just talked to the server). */
  start(): void {
    const n = this.n;
    if (!(n[K.IntervalMs]! > 0) || n[K.Running] === 1) return;
    n[K.Running] = 1;
    n[K.Misses] = 0;
    this.timers.start(this, n[K.IntervalMs]!, TimerKind.User);
  }

  /**
   * The server moved (src/ua/server-name.ts): OPTIONS go to `address` from
   * now on (Request-URI and To name it, §11). Everything new is made before
   * anything is changed, so a failure (no memory) leaves the keepalive as
   * it was. The OPTIONS under way went to the old address: it is given back
   * to the layer (no retransmissions there, no client slot held for Timer
   * F), its misses do not count against the new address, and the next
   * OPTIONS goes at once, so that a lost server found again is reported
   * alive (the LED) without waiting an interval.
   */
  moveServer(address: string, port?: number): void {
    const n = this.n;
    const p = port !== undefined && port > 0 ? port : n[K.Port]!;
    const target = optionsTarget(address, p);
    const half = replacePacked(n, K.RequestLine, TEXTS, 0, requestLine(target));
    const m = replacePacked(half, K.RequestLine, TEXTS, K.To - K.RequestLine, toLine(target));
    const b = new Uint8Array(m.buffer);
    this.n = m;
    this.b = b;
    this.address = address;
    m[K.Port] = p;
    m[K.Misses] = 0;
    const tx = this.tx;
    this.tx = null;
    if (tx !== null) this.layer.release(tx);
    if (m[K.Running] === 1) this.timers.start(this, 0, TimerKind.User);
  }

  stop(): void {
    this.n[K.Running] = 0;
    const tx = this.tx;
    this.tx = null;
    // An OPTIONS in flight is given back, not left retransmitting until Timer F on one of the few client transactions.
    if (tx !== null) this.layer.release(tx);
    this.timers.stop(this);
  }

  /** The interval is over (TimerNode). */
  fire(): void {
    try {
      if (this.n[K.Running] === 1 && this.tx === null) this.ping();
    } catch (e) {
      this.caught(e);
    }
  }

  onResponse(tx: ClientTransactionHandle, msg: SipMessage): void {
    try {
      if (tx !== this.tx || msg.status < 200) return;
      this.tx = null;
      const n = this.n;
      n[K.Answered]!++;
      const missed = n[K.Misses]! > 0;
      const took = this.timers.now() - n[K.SentAt]!;
      n[K.Misses] = 0;
      this.schedule();
      if (n[K.Lost] === 1) {
        n[K.Lost] = 0;
        this.logInfo("keepalive: server answers again");
        this.listener?.onServerAlive();
      } else if (missed) {
        this.listener?.onServerBack?.();
      } else if (took >= LATE_ANSWER_MS) {
        this.logInfo("keepalive: server answered only after " + Math.round(took) + " ms (restarted?)");
        this.listener?.onServerBack?.();
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
      this.schedule();
      return;
    }
    const w = this.w.reset();
    const b = this.b;
    const n = this.n;
    writePacked(w, b, n, K.RequestLine);
    this.layer.writeVia(w, tx);
    writePacked(w, b, n, K.Head);
    w.bytes(K_FROM_TAG);
    let at = writeTag(this.random, w.buf, w.pos);
    if (at < 0) w.overflow = true;
    else w.pos = at;
    w.crlf();
    writePacked(w, b, n, K.To);
    w.bytes(K_CALL_ID);
    at = writeCallId(this.random, w.buf, w.pos);
    if (at < 0) w.overflow = true;
    else w.pos = at;
    w.crlf();
    writePacked(w, b, n, K.Tail);
    w.end();
    if (w.overflow) {
      this.layer.release(tx);
      this.schedule();
      return;
    }
    this.tx = tx;
    n[K.Sent]!++;
    n[K.SentAt] = this.timers.now();
    if (!this.layer.send(tx, w, this.address, n[K.Port]!) && this.tx === tx) {
      this.tx = null;
      // No room to keep it (our own layer is full) says nothing about the server: not a miss.
      if (this.layer.sendRefused) this.schedule();
      else this.miss();
    }
  }

  private miss(): void {
    const n = this.n;
    const misses = ++n[K.Misses]!;
    this.schedule();
    if (n[K.Lost] !== 1 && misses >= n[K.MaxMisses]!) {
      n[K.Lost] = 1;
      this.logInfo("keepalive: server lost");
      this.listener?.onServerLost();
    } else if (n[K.Lost] === 1) {
      this.listener?.onServerStillLost?.();
    }
  }

  /** The next OPTIONS one interval from now (TimerNode.next is the queue's link: hence not "next"). */
  private schedule(): void {
    if (this.n[K.Running] === 1) this.timers.start(this, this.n[K.IntervalMs]!, TimerKind.User);
  }

  private caught(e: unknown): void {
    this.n[K.Errors]!++;
    if (this.log !== undefined) this.log.log(LogLevel.Error, "keepalive: " + String(e));
    if (this.n[K.Running] === 1 && this.tx === null && !this.armed) this.schedule();
  }

  private logInfo(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Info, text);
  }
}
