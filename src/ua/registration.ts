/*
 * Registration of the door station's Contact with its registrar
 * (RFC 3261 §10.2), kept alive by refreshes, with Digest authentication
 * (§22), interval negotiation (423, §10.2.8), NAT-corrected Contact
 * (RFC 3581 §4), retries with jittered backoff (RFC 5626 §4.5 style) and
 * removal of the binding on shutdown (§10.2.2).
 *
 * One transaction at a time. Every REGISTER has the same Call-ID and the
 * next CSeq (§10.2.4); each gets a new branch from the layer (§8.1.1.7),
 * the authenticated retry included (§22.2: "a new request"). Responses to a
 * transaction that is no longer current (after stop(), say) are ignored.
 *
 * Refresh rule: a binding granted G seconds is refreshed
 * G - min(G/2, max(60, G/10)) seconds after the REGISTER that got it was
 * sent (a 200 that came late, to a retransmission, brings the refresh
 * forward): at 90 % of long bindings
 * (3600 s -> 3240 s, as many phones do), at least 60 s early so that a
 * refresh that times out (Timer F, 32 s) or is challenged still lands in
 * time, and never before half the interval (60 s -> 30 s).
 *
 * A refresh keeps the state Registered (the old binding is still valid);
 * Registering is reported only while there is no binding. The binding ends
 * `granted` seconds after the REGISTER that got it was sent (the registrar
 * started it later, never earlier); a refresh still under way then (a short
 * grant: 60 s is refreshed after 30 s, and Timer F is 32 s) leaves no
 * binding, and the state goes to Registering at that moment: the door never
 * believes it is registered past the binding's end.
 *
 * Keepalive coupling (see keepalive.ts): the keepalive calls
 * onServerLost() after several unanswered OPTIONS, which moves a Registered
 * binding to Backoff and re-registers after the backoff delay; when the
 * server answers again it calls onServerAlive(), which re-registers at once
 * from Backoff (the server may have lost its bindings while away). A server
 * that missed fewer OPTIONS and answers again, or answers an OPTIONS only
 * after its retransmissions (keepalive.ts LATE_ANSWER_MS), calls
 * onServerBack(), which
 * refreshes a Registered binding at once: it was away long enough to have
 * restarted and forgotten it, and would not say so before our next refresh.
 */
import { type HashHost, LogLevel, type LogHost, type RandomHost } from "../host";
import { DigestSession, DigestVerdict } from "../sip/auth/digest-session";
import { H } from "../sip/message/header";
import type { SipMessage } from "../sip/message/message";
import { Method } from "../sip/message/method";
import { NameAddr } from "../sip/message/name-addr";
import { HeaderValues } from "../sip/message/values";
import { SipWriter } from "../sip/message/writer";
import { TimerNode, type TimerQueue } from "../sip/timer/timer-queue";
import { TimerKind } from "../sip/timer/timer-kind";
import {
  ClientFailure, type ClientTransactionHandle, type ClientTransactionUser, type TransactionLayerApi,
} from "../sip/transaction/api";
import { spanToString } from "../sip/message/bytes";
import { type AccountConfig, DEFAULT_EXPIRES, nextHopHost, nextHopPort } from "./account";
import { type BackoffConfig, backoffBase, backoffDelay, backoffMax, backoffWait } from "./backoff";
import { CONTACT_ADDRESS_BYTES, ContactAddress } from "./contact-address";
import type { KeepaliveListener } from "./keepalive";
import { REGISTER_HEAD_BYTES, RegText, beginRegister, finishRegister, registerHead, registerTexts } from "./register-request";
import { packNumbers, replacePacked } from "../util/packed-numbers";
import type { Scratch } from "./scratch";
import { grantedExpires, minExpires, retryAfter } from "./response-fields";

export const enum RegState {
  /** Not registered and not trying (before start(), after stop()). */
  Unregistered = 0,
  /** A REGISTER is under way and there is no binding yet. */
  Registering = 1,
  /** The registrar accepted the binding; a refresh is scheduled. */
  Registered = 2,
  /** The last attempt failed (timeout, 5xx, 6xx, 403, ...): waiting to retry. */
  Backoff = 3,
  /** The registrar rejected our credentials: waiting to retry. */
  AuthFailed = 4,
  /** Removing the binding on shutdown (Expires: 0). */
  Unregistering = 5,
}

/** A state as the log names it: a user reading the device's log sees "registration: failed, retrying (403)", not a number. */
export function regStateName(state: RegState): string {
  switch (state) {
    case RegState.Unregistered: return "unregistered";
    case RegState.Registering: return "registering";
    case RegState.Registered: return "registered";
    case RegState.Backoff: return "failed, retrying";
    case RegState.AuthFailed: return "credentials refused, retrying";
    case RegState.Unregistering: return "unregistering";
  }
}

/** Status reported for failures without a response: RFC 3261 §8.1.3.1 treats them as these. */
export const STATUS_TIMEOUT = 408;
export const STATUS_TRANSPORT_ERROR = 503;

export interface RegistrationListener {
  /** The state changed (status LED); `status` is the last final status code, 408/503 for timeout/transport error, 0 before any. */
  onRegistrationState(state: RegState, status: number): void;
}

export interface RegistrationOptions {
  account: AccountConfig;
  layer: TransactionLayerApi;
  timers: TimerQueue;
  random: RandomHost;
  hash: HashHost;
  log?: LogHost;
  listener?: RegistrationListener;
  backoff?: BackoffConfig;
  /** Bytes for the REGISTER writer; default 2048. Unused with `scratch`. */
  bufferSize?: number;
  /** The core's shared scratch (src/ua/scratch.ts): its writer and readers instead of the registration's own. */
  scratch?: Scratch;
  /** Delay before retrying when the layer has no free transaction; default 2000 ms. */
  busyRetryMs?: number;
}

const enum Purpose {
  None = 0,
  Register = 1,
  Unregister = 2,
}

/** Longest binding we ask for or accept (a week): keeps timer arithmetic sane. */
const MAX_EXPIRES = 604800;
/** Retry-After we honour at most (a day). */
const MAX_RETRY_AFTER = 86400;

/** Refresh delay in ms for a binding granted `granted` seconds (see the rule at the top). */
export function refreshDelayMs(granted: number): number {
  const margin = Math.min(granted / 2, Math.max(60, granted / 10));
  return Math.floor((granted - margin) * 1000);
}

/**
 * The registration's numbers, then the REGISTER's fixed texts
 * (register-request.ts RegText) and the three Contact addresses, in one
 * buffer (packNumbers, util/packed-numbers.ts; issue #9, idle heap: in XS
 * each property is a heap slot, each typed array 4 or 7). The public
 * numbers are getters over it; flags are 0/1.
 */
const enum R {
  /** The next hop's port. */
  Port = 0,
  BusyRetryMs = 1,
  /** Remove oldContact in the next REGISTER (our address changed while bound). */
  RemoveOld = 2,
  /**
   * The sessions hold an accepted challenge (DigestSession.ready, tracked
   * here: a refresh must not ask the session more than it needs).
   */
  WwwActive = 3,
  ProxyActive = 4,
  /** A Purpose: what the transaction in flight is for. */
  Purpose = 5,
  /** The keepalive saw the server answer while this REGISTER was out: if it times out anyway, retry at once. */
  AliveDuringTx = 6,
  Stopping = 7,
  /** A RegState. */
  State = 8,
  LastStatus = 9,
  Expires = 10,
  /** Seconds granted; > 0: a 200 created or refreshed a binding that has not been removed or run out. */
  Granted = 11,
  Cseq = 12,
  /**
   * When the REGISTER in flight was sent (the queue's clock, ms); after a
   * 200, when its binding ends: that time plus the granted seconds. A
   * refresh hands the end to the timer (armed for it) before it sends: one
   * number for both (issue #9, idle heap).
   */
  Mark = 13,
  Requests = 14,
  Errors = 15,
  /** Backoff (backoff.ts): base wait, bound, consecutive failures. */
  BackoffBase = 16,
  BackoffMax = 17,
  Failures = 18,
  /** The texts' table: RegText.Entries numbers. */
  Text = 19,
  Count = 28, // Text + RegText.Entries
}

/**
 * One transaction and one timer at a time: the registration is its timer's
 * entry (TimerNode), with no TimerEntry and no property holding it.
 */
export class Registration extends TimerNode implements ClientTransactionUser, KeepaliveListener {
  private readonly layer: TransactionLayerApi;
  private readonly timers: TimerQueue;
  private readonly random: RandomHost;
  private readonly log: LogHost | undefined;
  private readonly listener: RegistrationListener | undefined;
  private n: Float64Array;
  /** The bytes of n's buffer: the REGISTER's texts, then the addresses. */
  private b: Uint8Array;
  private readonly w: SipWriter;
  private readonly www: DigestSession;
  /** Made on the first 407 (registrars answer REGISTER with 401; a proxy that challenges it is rare), then kept: its state holds the nonce. */
  private proxyAuth: DigestSession | null = null;
  private address: string;
  /** Our Contact as last sent, the one to remove, and the last mapping a server reported. */
  private readonly contact: ContactAddress;
  private readonly oldContact: ContactAddress;
  private readonly lastMapping: ContactAddress;
  // Scratch readers for the 200's Contacts.
  private readonly values: HeaderValues;
  private readonly addr: NameAddr;
  private tx: ClientTransactionHandle | null = null;

  constructor(options: RegistrationOptions) {
    super(TimerKind.Refresh);
    const a = options.account;
    this.layer = options.layer;
    this.timers = options.timers;
    this.random = options.random;
    this.log = options.log;
    this.listener = options.listener;
    const n = packNumbers(R.Count, R.Text, registerTexts(a, options.random), 3 * CONTACT_ADDRESS_BYTES);
    this.n = n;
    this.b = new Uint8Array(n.buffer);
    // The three addresses after the texts.
    const at = n[R.Text + RegText.Entries - 1]!;
    this.contact = new ContactAddress(n.buffer, at);
    this.oldContact = new ContactAddress(n.buffer, at + CONTACT_ADDRESS_BYTES);
    this.lastMapping = new ContactAddress(n.buffer, at + 2 * CONTACT_ADDRESS_BYTES);
    // A REGISTER is copied by its transaction as soon as it is written: the shared writer serves.
    const scratch = options.scratch;
    this.w = scratch !== undefined ? scratch.w : new SipWriter(options.bufferSize ?? 2048);
    this.values = scratch !== undefined ? scratch.values : new HeaderValues();
    this.addr = scratch !== undefined ? scratch.addr : new NameAddr();
    const base = backoffBase(options.backoff);
    n[R.BackoffBase] = base;
    n[R.BackoffMax] = backoffMax(base, options.backoff);
    this.www = new DigestSession(options.hash, options.random, {
      username: a.authUser !== undefined && a.authUser !== "" ? a.authUser : a.user, password: a.password,
    });
    this.address = nextHopHost(a);
    n[R.Port] = nextHopPort(a);
    n[R.BusyRetryMs] = options.busyRetryMs ?? 2000;
    const e = a.expires;
    n[R.Expires] = e !== undefined && e > 0 && e === Math.floor(e) ? Math.min(e, MAX_EXPIRES) : DEFAULT_EXPIRES;
  }

  get state(): RegState {
    return this.n[R.State]! as RegState;
  }

  /** Last final status (or 408/503 for timeout/transport error). */
  get lastStatus(): number {
    return this.n[R.LastStatus]!;
  }

  /** Seconds asked for: the configured expiry, raised by a 423's Min-Expires. */
  get expires(): number {
    return this.n[R.Expires]!;
  }

  /** Seconds the registrar granted in its last 200, 0 when unregistered. */
  get granted(): number {
    return this.n[R.Granted]!;
  }

  get cseq(): number {
    return this.n[R.Cseq]!;
  }

  /** A 200 created or refreshed a binding that has not been removed. */
  get bound(): boolean {
    return this.n[R.Granted]! > 0;
  }

  /** REGISTERs sent (tests, diagnostics). */
  get requests(): number {
    return this.n[R.Requests]!;
  }

  /** Exceptions caught at the core's boundary. */
  get errors(): number {
    return this.n[R.Errors]!;
  }

  /** The Call-ID of every REGISTER of this object (32 hex digits): a new view of its bytes. */
  get callId(): Uint8Array {
    const n = this.n;
    return this.b.subarray(n[R.Text + RegText.CallId]!, n[R.Text + RegText.CallId + 1]!);
  }

  /** Start registering (from Unregistered; no effect otherwise). */
  start(): void {
    try {
      if (this.state !== RegState.Unregistered) return;
      this.n[R.Stopping] = 0;
      this.n[R.Failures] = 0;
      this.register();
    } catch (e) {
      this.caught(e);
    }
  }

  /**
   * Orderly shutdown: remove the binding (§10.2.2: Contact expires=0 and
   * Expires: 0, same Call-ID, next CSeq), answering a challenge if needed,
   * then report Unregistered. Without a binding it reports at once.
   */
  stop(): void {
    try {
      if (this.state === RegState.Unregistered || this.state === RegState.Unregistering) return;
      this.n[R.Stopping] = 1;
      this.timers.stop(this);
      const tx = this.tx;
      const inFlight = tx !== null && this.n[R.Purpose] === Purpose.Register;
      this.tx = null;
      // Given back to the layer, not left retransmitting until Timer F beside the unregister: its answer matches nothing now,
      // and a late copy of it reaching the registrar after the unregister has the lower CSeq (§10.3 step 7: ignored).
      if (tx !== null) this.layer.release(tx);
      // A REGISTER in flight may create a binding: remove it too.
      if (this.n[R.Granted]! > 0 || inFlight) {
        this.setState(RegState.Unregistering);
        this.send(Purpose.Unregister);
      } else {
        this.finishStop();
      }
    } catch (e) {
      this.caught(e);
    }
  }

  /** Re-register now if idle (Registered or backing off): e.g. the network came back. */
  refreshNow(): void {
    try {
      if (this.n[R.Stopping] === 1 || this.tx !== null) return;
      if (this.state === RegState.Registered || this.state === RegState.Backoff || this.state === RegState.AuthFailed) {
        this.timers.stop(this);
        this.n[R.Failures] = 0;
        this.register();
      }
    } catch (e) {
      this.caught(e);
    }
  }

  /**
   * The server moved (src/ua/server-name.ts): REGISTERs go to `address`
   * from now on, and one goes now, since the server there may hold no
   * binding of ours. A REGISTER under way went to the old address: it is
   * given back to the layer (no retransmissions there; an answer to it
   * matches nothing).
   */
  moveServer(address: string, port?: number): void {
    // An SRV target's own port (RFC 3263 §4.2); without one the port stays.
    const p = port !== undefined && port > 0 ? port : this.n[R.Port]!;
    // The next hop is the outbound proxy: its Route names the new address (§8.1.2), in a new store (rare). Outside the
    // try: when the store cannot be made nothing has changed, and the caller (server-name.ts) tries the move again.
    if (this.proxied) this.rewriteHead(registerHead(address, p));
    try {
      this.address = address;
      this.n[R.Port] = p;
      const st = this.state;
      if (this.n[R.Stopping] === 1 || st === RegState.Unregistered || st === RegState.Unregistering) return;
      const tx = this.tx;
      this.tx = null;
      if (tx !== null) this.layer.release(tx);
      // A refresh under way holds the binding's end in its timer (send()): back where the next refresh looks for it.
      if (tx !== null && this.armed && st === RegState.Registered) this.n[R.Mark] = this.due;
      this.n[R.AliveDuringTx] = 0;
      this.timers.stop(this);
      this.n[R.Failures] = 0;
      this.register();
    } catch (e) {
      this.caught(e);
    }
  }

  /** An outbound proxy is the next hop: the Head text holds its Route after Max-Forwards (registerHead; no number of its own, issue #9). */
  private get proxied(): boolean {
    const n = this.n;
    return n[R.Text + RegText.Head + 1]! - n[R.Text + RegText.Head]! > REGISTER_HEAD_BYTES;
  }

  /** Replace the Head text (Max-Forwards and the Route): a new store, the three addresses' views moved onto it. */
  private rewriteHead(head: string): void {
    const m = replacePacked(this.n, R.Text, RegText.Entries - 1, RegText.Head, head);
    const b = new Uint8Array(m.buffer);
    this.n = m;
    this.b = b;
    const at = m[R.Text + RegText.Entries - 1]!;
    this.contact.rebind(m.buffer, at);
    this.oldContact.rebind(m.buffer, at + CONTACT_ADDRESS_BYTES);
    this.lastMapping.rebind(m.buffer, at + 2 * CONTACT_ADDRESS_BYTES);
  }

  /** Keepalive: the server stopped answering. A Registered binding goes to Backoff and retries after the backoff delay. */
  onServerLost(): void {
    try {
      if (this.n[R.Stopping] === 1 || this.tx !== null || this.state !== RegState.Registered) return;
      // A REGISTER in flight will time out by itself and back off.
      this.n[R.LastStatus] = STATUS_TIMEOUT;
      this.retryLater(RegState.Backoff, -1);
    } catch (e) {
      this.caught(e);
    }
  }

  /**
   * Keepalive: the server answers again. From Backoff, re-register at once
   * (it may have lost our binding). A retry already under way was probably
   * sent while the server was away: should it time out, the next one goes at
   * once rather than after the backoff delay.
   */
  onServerAlive(): void {
    try {
      const st = this.state;
      if (this.n[R.Stopping] === 1 || (st !== RegState.Backoff && st !== RegState.Registering && st !== RegState.Registered)) return;
      if (this.tx !== null) {
        this.n[R.AliveDuringTx] = 1;
        return;
      }
      if (this.state !== RegState.Backoff) return;
      this.timers.stop(this);
      this.n[R.Failures] = 0;
      this.register();
    } catch (e) {
      this.caught(e);
    }
  }

  /**
   * Keepalive: an OPTIONS was answered after unanswered ones (fewer than
   * make the server lost). The server was silent for a Timer F (32 s) at
   * least: it may have restarted and forgotten our binding, which it would
   * not tell before our next refresh, up to 90 % of the granted interval
   * later (an hour, or days with a long grant), and no call would reach the
   * door meanwhile. RFC 5626 §4.5 registers again after a flow failed; so
   * do we: a Registered binding is refreshed now (it stays Registered: the
   * binding is still ours as far as we know), one backing off after a
   * REGISTER that had no answer retried now, as onServerAlive(). It costs
   * one REGISTER per such silence.
   */
  onServerBack(): void {
    try {
      if (this.n[R.Stopping] === 1) return;
      if (this.state === RegState.Registered && this.tx === null) {
        this.timers.stop(this);
        this.register();
        return;
      }
      // Backing off from an answer (a 503 with its Retry-After, a 403): the server was there all along; its wait stands
      // and the backoff keeps growing, or a keepalive that loses an OPTIONS now and then would send a REGISTER each time.
      if (this.state === RegState.Backoff && this.tx === null && this.n[R.LastStatus] !== STATUS_TIMEOUT) return;
      this.onServerAlive();
    } catch (e) {
      this.caught(e);
    }
  }

  onResponse(tx: ClientTransactionHandle, msg: SipMessage): void {
    try {
      if (tx !== this.tx || msg.status < 200) return; // stale transaction, or provisional (§10.2: wait for the final)
      this.tx = null;
      this.n[R.LastStatus] = msg.status;
      if (this.n[R.Purpose] === Purpose.Unregister) this.unregisterResponse(msg);
      else this.registerResponse(msg);
    } catch (e) {
      this.caught(e);
    }
  }

  onFailure(tx: ClientTransactionHandle, reason: ClientFailure): void {
    try {
      if (tx !== this.tx) return;
      this.tx = null;
      if (this.n[R.AliveDuringTx] === 1 && this.n[R.Stopping] !== 1 && this.n[R.Purpose] === Purpose.Register) {
        this.n[R.AliveDuringTx] = 0;
        this.n[R.LastStatus] = STATUS_TIMEOUT;
        this.register();
        return;
      }
      this.failed(reason === ClientFailure.Timeout ? STATUS_TIMEOUT : STATUS_TRANSPORT_ERROR, -1);
    } catch (e) {
      this.caught(e);
    }
  }

  /** The refresh or retry timer is due, or the end of the binding while a refresh is under way (TimerNode). */
  fire(): void {
    try {
      if (this.n[R.Stopping] === 1) return;
      if (this.tx !== null) {
        // With a REGISTER under way the timer is armed for one thing only: the end of the binding its refresh is for.
        if (this.state === RegState.Registered) this.lapsed();
        return;
      }
      // Registered and idle, Mark is the binding's end: past it (REGISTERs that could not go, busyRetry), no binding now.
      if (this.state === RegState.Registered && this.timers.now() >= this.n[R.Mark]!) this.lapsed();
      if (this.state === RegState.Registered || this.state === RegState.Backoff || this.state === RegState.AuthFailed || this.state === RegState.Registering) {
        this.register();
      }
    } catch (e) {
      this.caught(e);
    }
  }

  // --- responses

  private registerResponse(msg: SipMessage): void {
    const status = msg.status;
    if (status < 300) {
      this.registered(msg);
      return;
    }
    if (status === 401 || status === 407) {
      const proxy = status === 407;
      const verdict = this.challenge(msg, proxy);
      if (verdict === DigestVerdict.Retry) this.send(Purpose.Register);
      else if (verdict === DigestVerdict.Fail || verdict === DigestVerdict.Unsupported) this.authFailed();
      else this.failed(status, retryAfter(msg));
      return;
    }
    if (status === 423) {
      // §10.2.8: retry with an interval at least Min-Expires; only upwards, so it cannot loop.
      const min = minExpires(msg);
      if (min > this.expires && min <= MAX_EXPIRES) {
        this.n[R.Expires] = min;
        this.send(Purpose.Register);
        return;
      }
    }
    // 3xx-6xx: back off and retry (Retry-After honoured when given and not below the backoff's base: retryLater).
    this.failed(status, retryAfter(msg));
  }

  private unregisterResponse(msg: SipMessage): void {
    const status = msg.status;
    if (status === 401 || status === 407) {
      if (this.challenge(msg, status === 407) === DigestVerdict.Retry) {
        this.send(Purpose.Unregister);
        return;
      }
    }
    if (status < 300) {
      this.www.succeeded();
      if (this.proxyAuth !== null) this.proxyAuth.succeeded();
    }
    this.finishStop();
  }

  /**
   * -1 when the response carries no challenge header; Unsupported when it
   * carries only ones we cannot answer (no Digest, unknown algorithm or
   * qop): an auth failure. Read from the bytes: a refresh challenged every
   * few minutes allocates nothing here.
   */
  private challenge(msg: SipMessage, proxy: boolean): DigestVerdict | -1 {
    if (proxy && this.proxyAuth === null) this.proxyAuth = this.www.twin();
    const verdict = (proxy ? this.proxyAuth! : this.www).challengeFrom(msg, proxy ? H.ProxyAuthenticate : H.WwwAuthenticate, proxy);
    if (verdict === DigestVerdict.Retry) {
      if (proxy) this.n[R.ProxyActive] = 1;
      else this.n[R.WwwActive] = 1;
    }
    return verdict;
  }

  private registered(msg: SipMessage): void {
    this.www.succeeded();
    if (this.proxyAuth !== null) this.proxyAuth.succeeded();
    this.n[R.Failures] = 0;
    this.n[R.RemoveOld] = 0;
    const n = this.n;
    // The user part: "user@" without its "@".
    const user = n[R.Text + RegText.UserAt]!;
    let granted = grantedExpires(msg, this.b, user, n[R.Text + RegText.UserAt + 1]! - 1 - user, this.contact, this.values, this.addr);
    if (granted < 0) granted = this.expires;
    if (granted > MAX_EXPIRES) granted = MAX_EXPIRES;
    if (granted === 0) {
      // The registrar kept no binding for us: not registered. Try again later.
      this.n[R.Granted] = 0;
      this.failed(msg.status, -1);
      return;
    }
    this.n[R.Granted] = granted;
    // The old binding's end, armed while its refresh was under way, no longer matters.
    this.timers.stop(this);
    const sentAt = this.n[R.Mark]!;
    this.n[R.Mark] = sentAt + granted * 1000;
    if (this.natChanged(msg)) {
      // RFC 3581 §4 / RFC 5626 §4.2-style: the server sees us at another
      // address; register the corrected Contact at once (the old one is
      // removed in the same request).
      this.register();
      return;
    }
    this.setState(RegState.Registered);
    // Counted from when the REGISTER went, as the binding's end is: a 200 that came late (to a retransmission) brings the refresh forward.
    this.timers.start(this, Math.max(0, sentAt + refreshDelayMs(granted) - this.timers.now()), TimerKind.Refresh);
  }

  /**
   * Compare the top Via's received/rport (RFC 3581 §4) with the Contact we
   * registered. On a difference not seen before, advertise the reported
   * address and return true. A mapping already acted on is not acted on
   * again, so a server or layer that disagrees with us cannot make a loop.
   */
  private natChanged(msg: SipMessage): boolean {
    if (msg.first[H.Via]! < 0) return false;
    const via = msg.via;
    if (via.error >= 0) return false;
    const buf = msg.buf;
    const hostDiffers = via.receivedLen > 0 && !this.contact.sameHost(buf, via.receivedStart, via.receivedLen);
    const portDiffers = via.rport > 0 && via.rport !== this.contact.port;
    if (!hostDiffers && !portDiffers) return false;
    const port = portDiffers ? via.rport : this.contact.port;
    if (hostDiffers) {
      if (this.lastMapping.port === port && this.lastMapping.sameHost(buf, via.receivedStart, via.receivedLen)) return false;
      this.lastMapping.setSpan(buf, via.receivedStart, via.receivedLen, port);
    } else {
      if (this.lastMapping.port === port && this.lastMapping.equals(this.contact)) return false;
      this.lastMapping.copy(this.contact);
      this.lastMapping.port = port;
    }
    const address = hostDiffers ? spanToString(buf, via.receivedStart, via.receivedLen) : this.contact.source;
    this.logInfo("registration: server sees us at " + address + ":" + port + ", re-registering with that Contact");
    this.layer.setAdvertised(address, port);
    return true;
  }

  // --- sending

  /** A REGISTER for the binding (the Contact is refreshed from the layer's advertised address as it is written). */
  private register(): void {
    if (this.state !== RegState.Registered) this.setState(RegState.Registering);
    this.www.newAttempt();
    if (this.proxyAuth !== null) this.proxyAuth.newAttempt();
    this.send(Purpose.Register);
  }

  /** Take the layer's advertised address for our Contact; when it changed while bound, remove the old one in the same request. */
  private updateContact(): void {
    const layer = this.layer;
    const address = layer.advertisedAddress;
    const port = layer.advertisedPort;
    if (address === this.contact.source && port === this.contact.port) return;
    if (this.n[R.Granted]! > 0 && this.contact.len > 0) {
      this.oldContact.copy(this.contact);
      this.n[R.RemoveOld] = 1;
    }
    this.contact.set(address, port);
  }

  private send(purpose: Purpose): void {
    const tx = this.layer.createClient(this, Method.REGISTER);
    if (tx === null) {
      // Pool full: transient; retry soon without counting a failure.
      this.logWarn("registration: no free transaction, retrying");
      this.tx = null;
      if (purpose === Purpose.Unregister) this.finishStop();
      else this.busyRetry();
      return;
    }
    const cseq = this.cseq + 1;
    beginRegister(this.w, this.b, this.n, R.Text, this.layer, tx, this.random, cseq);
    // An unregister removes the Contact registered before, whatever the layer advertises now.
    if (purpose === Purpose.Register) this.updateContact();
    const expires = purpose === Purpose.Unregister ? 0 : this.expires;
    const remove = purpose === Purpose.Register && this.n[R.RemoveOld] === 1 ? this.oldContact : null;
    const www = this.n[R.WwwActive] === 1 ? this.www : null;
    const proxy = this.n[R.ProxyActive] === 1 ? this.proxyAuth : null;
    if (!finishRegister(this.w, this.b, this.n, R.Text, this.contact, expires, remove, www, proxy)) {
      this.layer.release(tx);
      this.logWarn("registration: REGISTER does not fit the buffer");
      this.tx = null;
      if (purpose === Purpose.Unregister) this.finishStop();
      else this.failed(STATUS_TRANSPORT_ERROR, -1);
      return;
    }
    this.n[R.Cseq] = cseq;
    this.tx = tx;
    this.n[R.AliveDuringTx] = 0;
    this.n[R.Purpose] = purpose;
    this.n[R.Requests]!++;
    const now = this.timers.now();
    // A refresh: the timer (free while a REGISTER is under way) is armed for the end of the binding, should no answer come
    // in time; already armed when this is the refresh's second try (a challenge, 423) or a retry at once.
    if (purpose === Purpose.Register && this.state === RegState.Registered && !this.armed) this.timers.start(this, Math.max(0, this.n[R.Mark]! - now), TimerKind.Refresh);
    if (this.layer.send(tx, this.w, this.address, this.n[R.Port]!)) {
      // Only once it went: a REGISTER that could not go leaves the binding's end in place for the retry.
      this.n[R.Mark] = now;
      return;
    }
    if (this.tx === tx) {
      this.tx = null;
      if (purpose === Purpose.Unregister) this.finishStop();
      else if (this.layer.sendRefused) {
        // No room to keep it (a flood's answers fill the layer): transient, like a full pool; not the registrar's doing.
        this.logWarn("registration: no room for the REGISTER, retrying");
        this.busyRetry();
      } else this.failed(STATUS_TRANSPORT_ERROR, -1);
    }
  }

  // --- failures and state

  /** A failed attempt: stop, if stopping; else back off (or wait Retry-After seconds). */
  private failed(status: number, retryAfterSeconds: number): void {
    this.n[R.LastStatus] = status;
    if (this.n[R.Stopping] === 1) {
      this.finishStop();
      return;
    }
    this.retryLater(RegState.Backoff, retryAfterSeconds);
  }

  /** Credentials rejected (§22.2): report, forget the nonce, retry after the backoff delay: no 401 loop. */
  private authFailed(): void {
    this.www.reset();
    if (this.proxyAuth !== null) this.proxyAuth.reset();
    this.n[R.WwwActive] = this.n[R.ProxyActive] = 0;
    if (this.n[R.Stopping] === 1) {
      this.finishStop();
      return;
    }
    this.retryLater(RegState.AuthFailed, -1);
  }

  /**
   * Retry after the backoff delay, or after Retry-After (§21.5.4, §20.33)
   * when the server gives one at least the backoff's base wait (30 s): a
   * shorter one ("Retry-After: 0" on every 503) would have the door retry
   * in a tight loop, dozens of REGISTERs a second; it gets the backoff
   * delay, which grows with each failure, as a silent server's would, but
   * never less than the Retry-After itself (§21.5.4: no request to that
   * server for its duration; the backoff's jitter draws from half its wait).
   */
  private retryLater(state: RegState, retryAfterSeconds: number): void {
    let delay = this.backoffDelay();
    if (retryAfterSeconds >= 0) {
      const after = Math.min(retryAfterSeconds, MAX_RETRY_AFTER) * 1000;
      if (after >= this.n[R.BackoffBase]! || after > delay) delay = after;
    }
    this.setState(state);
    this.timers.start(this, delay, TimerKind.User);
  }

  /** Count one more failure and return the delay before the next attempt, in ms (backoff.ts). */
  private backoffDelay(): number {
    const n = this.n;
    const failures = ++n[R.Failures]!;
    return backoffDelay(this.random, backoffWait(n[R.BackoffBase]!, n[R.BackoffMax]!, failures));
  }

  /**
   * Retry a REGISTER that could not go (no free transaction, no room in the
   * layer) shortly, without counting a failure. While Registered the timer
   * it takes may hold the binding's end (a refresh's second try, after a
   * challenge or a 423): that end goes back to Mark, where the retry's
   * send() arms it again, and the retry comes no later than that end, so
   * that a binding that runs out meanwhile is seen to (fire()).
   */
  private busyRetry(): void {
    const n = this.n;
    let delay = n[R.BusyRetryMs]!;
    if (this.state === RegState.Registered) {
      if (this.armed) n[R.Mark] = this.due;
      const left = n[R.Mark]! - this.timers.now();
      if (left < delay) delay = left > 0 ? left : 0;
    }
    this.timers.start(this, delay, TimerKind.User);
  }

  /** The binding ended with its refresh still under way: no binding now; the refresh's answer decides what follows. */
  private lapsed(): void {
    this.n[R.Granted] = 0;
    this.logInfo("registration: the binding ended before its refresh was answered");
    this.setState(RegState.Registering);
  }

  private finishStop(): void {
    this.tx = null;
    this.n[R.Purpose] = Purpose.None;
    this.timers.stop(this);
    this.n[R.Stopping] = 0;
    this.n[R.Granted] = 0;
    this.n[R.RemoveOld] = 0;
    this.setState(RegState.Unregistered);
  }

  private setState(state: RegState): void {
    if (state === this.state) return;
    this.n[R.State] = state;
    // With the state a REGISTER's answer led to, its status (408/503 for none, RFC 3261 §8.1.3.1); 0 before any.
    const answered = state !== RegState.Registering && state !== RegState.Unregistering && this.lastStatus !== 0;
    this.logInfo("registration: " + regStateName(state) + (answered ? " (" + this.lastStatus + ")" : ""));
    const l = this.listener;
    if (l === undefined) return;
    try {
      l.onRegistrationState(state, this.lastStatus);
    } catch (e) {
      this.n[R.Errors]!++;
      this.logWarn("registration: listener threw: " + String(e));
    }
  }

  /** Nothing throws out of the core: log, and make sure a retry is pending so registration does not stall. */
  private caught(e: unknown): void {
    this.n[R.Errors]!++;
    if (this.log !== undefined) this.log.log(LogLevel.Error, "registration: " + String(e));
    if (this.tx === null && !this.armed && this.n[R.Stopping] !== 1 && this.state !== RegState.Unregistered) {
      this.timers.start(this, this.backoffDelay(), TimerKind.User);
    }
  }

  private logInfo(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Info, text);
  }

  private logWarn(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Warn, text);
  }
}
