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
 * Refresh rule: a binding granted G seconds is refreshed after
 * G - min(G/2, max(60, G/10)) seconds: at 90 % of long bindings
 * (3600 s -> 3240 s, as many phones do), at least 60 s early so that a
 * refresh that times out (Timer F, 32 s) or is challenged still lands in
 * time, and never before half the interval (60 s -> 30 s).
 *
 * A refresh keeps the state Registered (the old binding is still valid);
 * Registering is reported only while there is no binding.
 *
 * Keepalive coupling (see keepalive.ts): the keepalive calls
 * onServerLost() after several unanswered OPTIONS, which moves a Registered
 * binding to Backoff and re-registers after the backoff delay; when the
 * server answers again it calls onServerAlive(), which re-registers at once
 * from Backoff (the server may have lost its bindings while away).
 */
import { type HashHost, LogLevel, type LogHost, type RandomHost } from "../host";
import { type DigestCredentials, DigestSession, DigestVerdict } from "../sip/auth/digest-session";
import { H } from "../sip/message/header";
import type { SipMessage } from "../sip/message/message";
import { Method } from "../sip/message/method";
import { NameAddr } from "../sip/message/name-addr";
import { HeaderValues } from "../sip/message/values";
import { SipWriter } from "../sip/message/writer";
import { TimerEntry, type TimerQueue, type TimerTarget } from "../sip/timer/timer-queue";
import { TimerKind } from "../sip/timer/timer-kind";
import {
  ClientFailure, type ClientTransactionHandle, type ClientTransactionUser, type TransactionLayerApi,
} from "../sip/transaction/api";
import { spanToString } from "../sip/message/bytes";
import { type AccountConfig, DEFAULT_EXPIRES, nextHopHost, nextHopPort } from "./account";
import { Backoff, type BackoffConfig } from "./backoff";
import { ContactAddress, MAX_ADDRESS } from "./contact-address";
import type { KeepaliveListener } from "./keepalive";
import { RegisterRequest } from "./register-request";
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

export class Registration implements ClientTransactionUser, TimerTarget, KeepaliveListener {
  private readonly layer: TransactionLayerApi;
  private readonly timers: TimerQueue;
  private readonly random: RandomHost;
  private readonly log: LogHost | undefined;
  private readonly listener: RegistrationListener | undefined;
  private readonly request: RegisterRequest;
  private readonly w: SipWriter;
  private readonly timer: TimerEntry;
  private readonly backoff: Backoff;
  private readonly www: DigestSession;
  /** Made on the first 407 (registrars answer REGISTER with 401; a proxy that challenges it is rare), then kept: its state holds the nonce. */
  private proxyAuth: DigestSession | null = null;
  private readonly hash: HashHost;
  private readonly credentials: DigestCredentials;
  private readonly address: string;
  private readonly port: number;
  private readonly busyRetryMs: number;
  /** Our Contact as last sent, the one to remove, and the last mapping a server reported. */
  private readonly contact: ContactAddress;
  private readonly oldContact: ContactAddress;
  private removeOld = false;
  private readonly lastMapping: ContactAddress;
  // Scratch readers for the 200's Contacts.
  private readonly values: HeaderValues;
  private readonly addr: NameAddr;

  /**
   * The sessions hold an accepted challenge (DigestSession.ready, tracked
   * here as booleans: reading `ready` compares strings, which allocates
   * under XS, and a refresh must not).
   */
  private wwwActive = false;
  private proxyActive = false;
  private tx: ClientTransactionHandle | null = null;
  private purpose = Purpose.None;
  /** The keepalive saw the server answer while this REGISTER was out: if it times out anyway, retry at once. */
  private aliveDuringTx = false;
  private stopping = false;

  state: RegState = RegState.Unregistered;
  /** Last final status (or 408/503 for timeout/transport error). */
  lastStatus = 0;
  /** Seconds asked for: the configured expiry, raised by a 423's Min-Expires. */
  expires: number;
  /** Seconds the registrar granted in its last 200, 0 when unregistered. */
  granted = 0;
  cseq = 0;
  /** A 200 created or refreshed a binding that has not been removed. */
  bound = false;
  /** REGISTERs sent (tests, diagnostics). */
  requests = 0;
  /** Exceptions caught at the core's boundary. */
  errors = 0;

  constructor(options: RegistrationOptions) {
    const a = options.account;
    this.layer = options.layer;
    this.timers = options.timers;
    this.random = options.random;
    this.log = options.log;
    this.listener = options.listener;
    this.request = new RegisterRequest(a, options.random);
    // The three addresses in one buffer.
    const addresses = new ArrayBuffer(3 * MAX_ADDRESS);
    this.contact = new ContactAddress(addresses, 0);
    this.oldContact = new ContactAddress(addresses, MAX_ADDRESS);
    this.lastMapping = new ContactAddress(addresses, 2 * MAX_ADDRESS);
    // A REGISTER is copied by its transaction as soon as it is written: the shared writer serves.
    const scratch = options.scratch;
    this.w = scratch !== undefined ? scratch.w : new SipWriter(options.bufferSize ?? 2048);
    this.values = scratch !== undefined ? scratch.values : new HeaderValues();
    this.addr = scratch !== undefined ? scratch.addr : new NameAddr();
    this.timer = new TimerEntry(this, TimerKind.Refresh);
    this.backoff = new Backoff(options.random, options.backoff);
    const credentials = { username: a.authUser !== undefined && a.authUser !== "" ? a.authUser : a.user, password: a.password };
    this.www = new DigestSession(options.hash, options.random, credentials);
    this.hash = options.hash;
    this.credentials = credentials;
    this.address = nextHopHost(a);
    this.port = nextHopPort(a);
    this.busyRetryMs = options.busyRetryMs ?? 2000;
    const e = a.expires;
    this.expires = e !== undefined && e > 0 && e === Math.floor(e) ? Math.min(e, MAX_EXPIRES) : DEFAULT_EXPIRES;
  }

  /** The Call-ID of every REGISTER of this object (32 hex digits). */
  get callId(): Uint8Array {
    return this.request.callId;
  }

  /** Start registering (from Unregistered; no effect otherwise). */
  start(): void {
    try {
      if (this.state !== RegState.Unregistered) return;
      this.stopping = false;
      this.backoff.reset();
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
      this.stopping = true;
      this.timers.stop(this.timer);
      const inFlight = this.tx !== null && this.purpose === Purpose.Register;
      this.tx = null;
      // A REGISTER in flight may create a binding: remove it too.
      if (this.bound || inFlight) {
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
      if (this.stopping || this.tx !== null) return;
      if (this.state === RegState.Registered || this.state === RegState.Backoff || this.state === RegState.AuthFailed) {
        this.timers.stop(this.timer);
        this.backoff.reset();
        this.register();
      }
    } catch (e) {
      this.caught(e);
    }
  }

  /** Keepalive: the server stopped answering. A Registered binding goes to Backoff and retries after the backoff delay. */
  onServerLost(): void {
    try {
      if (this.stopping || this.tx !== null || this.state !== RegState.Registered) return;
      // A REGISTER in flight will time out by itself and back off.
      this.lastStatus = STATUS_TIMEOUT;
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
      if (this.stopping || (st !== RegState.Backoff && st !== RegState.Registering && st !== RegState.Registered)) return;
      if (this.tx !== null) {
        this.aliveDuringTx = true;
        return;
      }
      if (this.state !== RegState.Backoff) return;
      this.timers.stop(this.timer);
      this.backoff.reset();
      this.register();
    } catch (e) {
      this.caught(e);
    }
  }

  onResponse(tx: ClientTransactionHandle, msg: SipMessage): void {
    try {
      if (tx !== this.tx || msg.status < 200) return; // stale transaction, or provisional (§10.2: wait for the final)
      this.tx = null;
      this.lastStatus = msg.status;
      if (this.purpose === Purpose.Unregister) this.unregisterResponse(msg);
      else this.registerResponse(msg);
    } catch (e) {
      this.caught(e);
    }
  }

  onFailure(tx: ClientTransactionHandle, reason: ClientFailure): void {
    try {
      if (tx !== this.tx) return;
      this.tx = null;
      if (this.aliveDuringTx && !this.stopping && this.purpose === Purpose.Register) {
        this.aliveDuringTx = false;
        this.lastStatus = STATUS_TIMEOUT;
        this.register();
        return;
      }
      this.failed(reason === ClientFailure.Timeout ? STATUS_TIMEOUT : STATUS_TRANSPORT_ERROR, -1);
    } catch (e) {
      this.caught(e);
    }
  }

  onTimer(_entry: TimerEntry): void {
    try {
      if (this.stopping || this.tx !== null) return;
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
        this.expires = min;
        this.send(Purpose.Register);
        return;
      }
    }
    // 3xx-6xx: back off and retry (Retry-After honoured when given, §21.5.4, §20.33).
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
    if (proxy && this.proxyAuth === null) this.proxyAuth = new DigestSession(this.hash, this.random, this.credentials);
    const verdict = (proxy ? this.proxyAuth! : this.www).challengeFrom(msg, proxy ? H.ProxyAuthenticate : H.WwwAuthenticate, proxy);
    if (verdict === DigestVerdict.Retry) {
      if (proxy) this.proxyActive = true;
      else this.wwwActive = true;
    }
    return verdict;
  }

  private registered(msg: SipMessage): void {
    this.www.succeeded();
    if (this.proxyAuth !== null) this.proxyAuth.succeeded();
    this.backoff.reset();
    this.removeOld = false;
    let granted = grantedExpires(msg, this.request.user, this.contact, this.values, this.addr);
    if (granted < 0) granted = this.expires;
    if (granted > MAX_EXPIRES) granted = MAX_EXPIRES;
    if (granted === 0) {
      // The registrar kept no binding for us: not registered. Try again later.
      this.bound = false;
      this.granted = 0;
      this.failed(msg.status, -1);
      return;
    }
    this.bound = true;
    this.granted = granted;
    if (this.natChanged(msg)) {
      // RFC 3581 §4 / RFC 5626 §4.2-style: the server sees us at another
      // address; register the corrected Contact at once (the old one is
      // removed in the same request).
      this.register();
      return;
    }
    this.setState(RegState.Registered);
    this.timers.start(this.timer, refreshDelayMs(granted), TimerKind.Refresh);
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
    this.send(Purpose.Register);
  }

  /** Take the layer's advertised address for our Contact; when it changed while bound, remove the old one in the same request. */
  private updateContact(): void {
    const layer = this.layer;
    const address = layer.advertisedAddress;
    const port = layer.advertisedPort;
    if (address === this.contact.source && port === this.contact.port) return;
    if (this.bound && this.contact.len > 0) {
      this.oldContact.copy(this.contact);
      this.removeOld = true;
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
      else this.timers.start(this.timer, this.busyRetryMs, TimerKind.User);
      return;
    }
    const cseq = this.cseq + 1;
    this.request.begin(this.w, this.layer, tx, this.random, cseq);
    // An unregister removes the Contact registered before, whatever the layer advertises now.
    if (purpose === Purpose.Register) this.updateContact();
    const expires = purpose === Purpose.Unregister ? 0 : this.expires;
    const remove = purpose === Purpose.Register && this.removeOld ? this.oldContact : null;
    const www = this.wwwActive ? this.www : null;
    const proxy = this.proxyActive ? this.proxyAuth : null;
    if (!this.request.finish(this.w, this.contact, expires, remove, www, proxy)) {
      this.layer.release(tx);
      this.logWarn("registration: REGISTER does not fit the buffer");
      this.tx = null;
      if (purpose === Purpose.Unregister) this.finishStop();
      else this.failed(STATUS_TRANSPORT_ERROR, -1);
      return;
    }
    this.cseq = cseq;
    this.tx = tx;
    this.aliveDuringTx = false;
    this.purpose = purpose;
    this.requests++;
    if (!this.layer.send(tx, this.w, this.address, this.port) && this.tx === tx) {
      this.tx = null;
      if (purpose === Purpose.Unregister) this.finishStop();
      else if (this.layer.sendRefused) {
        // No room to keep it (a flood's answers fill the layer): transient, like a full pool; not the registrar's doing.
        this.logWarn("registration: no room for the REGISTER, retrying");
        this.timers.start(this.timer, this.busyRetryMs, TimerKind.User);
      } else this.failed(STATUS_TRANSPORT_ERROR, -1);
    }
  }

  // --- failures and state

  /** A failed attempt: stop, if stopping; else back off (or wait Retry-After seconds). */
  private failed(status: number, retryAfterSeconds: number): void {
    this.lastStatus = status;
    if (this.stopping) {
      this.finishStop();
      return;
    }
    this.retryLater(RegState.Backoff, retryAfterSeconds);
  }

  /** Credentials rejected (§22.2): report, forget the nonce, retry after the backoff delay: no 401 loop. */
  private authFailed(): void {
    this.www.reset();
    if (this.proxyAuth !== null) this.proxyAuth.reset();
    this.wwwActive = this.proxyActive = false;
    if (this.stopping) {
      this.finishStop();
      return;
    }
    this.retryLater(RegState.AuthFailed, -1);
  }

  private retryLater(state: RegState, retryAfterSeconds: number): void {
    let delay = this.backoff.next();
    if (retryAfterSeconds >= 0) delay = Math.min(retryAfterSeconds, MAX_RETRY_AFTER) * 1000;
    this.setState(state);
    this.timers.start(this.timer, delay, TimerKind.User);
  }

  private finishStop(): void {
    this.tx = null;
    this.purpose = Purpose.None;
    this.timers.stop(this.timer);
    this.stopping = false;
    this.bound = false;
    this.granted = 0;
    this.removeOld = false;
    this.setState(RegState.Unregistered);
  }

  private setState(state: RegState): void {
    if (state === this.state) return;
    this.state = state;
    this.logInfo("registration: state " + state + " (status " + this.lastStatus + ")");
    const l = this.listener;
    if (l === undefined) return;
    try {
      l.onRegistrationState(state, this.lastStatus);
    } catch (e) {
      this.errors++;
      this.logWarn("registration: listener threw: " + String(e));
    }
  }

  /** Nothing throws out of the core: log, and make sure a retry is pending so registration does not stall. */
  private caught(e: unknown): void {
    this.errors++;
    if (this.log !== undefined) this.log.log(LogLevel.Error, "registration: " + String(e));
    if (this.tx === null && !this.timer.armed && !this.stopping && this.state !== RegState.Unregistered) {
      this.timers.start(this.timer, this.backoff.next(), TimerKind.User);
    }
  }

  private logInfo(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Info, text);
  }

  private logWarn(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Warn, text);
  }
}
