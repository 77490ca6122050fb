/*
 * The door intercom: the application on top of the SIP core, and the one
 * object a host builds. It wires the layers (transaction layer, user agent,
 * registration, keepalive) and adds what makes a door station:
 *   - the doorbell button calls the configured targets (sequential or
 *     parallel hunting);
 *   - incoming calls are answered (the user agent's auto-answer);
 *   - calls, INFO, MESSAGE and REFER are taken from trusted sources only
 *     (src/ua/trust), screened before the transaction layer takes them;
 *   - the door code, typed during a trusted, answered call, pulses the door relay;
 *   - the status LED shows registration and call state;
 *   - every event goes to the host's listener (log lines, ladder view).
 *
 * A host provides the clock, randomness, hashing, logging and pins, binds a
 * UDP socket with `intercom.receiver` as its receiver, calls attach(udp),
 * attaches its clock to `intercom.timers`, then start().
 */
import type { AudioHost, ClockHost, HashHost, LogHost, PinsHost, RandomHost, ResolverHost, StorageHost, UdpHost, UdpReceiver } from "../host";
import { LogLevel, logEnabled } from "../host";
import { CallMedia, type CallMediaListener } from "../media/call-media";
import { Tone } from "../media/tone";
import { canReceive, canSend } from "../sip/sdp/direction";
import { InbandDtmfMode } from "../media/inband-dtmf";
import type { SipMessage } from "../sip/message/message";
import { TimerNode, TimerQueue } from "../sip/timer/timer-queue";
import { TimerKind } from "../sip/timer/timer-kind";
import { type TimerConfig, TimerValues } from "../sip/timer/timers";
import type { ServerTransactionHandle, ServerTransactionUser } from "../sip/transaction/api";
import { TransactionLayer } from "../sip/transaction/layer";
import { type AccountConfig, DEFAULT_SIP_PORT, hasOutboundProxy, nextHopHost, portOr } from "../ua/account";
import { DnsClient, DnsFirstReceiver, type DnsServerAddress } from "../dns/dns-client";
import { DnsFinder } from "../dns/dns-finder";
import { ServerLocator } from "../dns/server-locator";
import type { Call } from "../ua/call/call";
import { CallDirection, CallState, DtmfWay, EndReason, endReasonName } from "../ua/call/call-types";
import { CallPolicy, K_ACCEPT_ALL, K_ALLOW } from "../ua/call/capabilities";
import type { CallOptions } from "../ua/call/config";
import { Keepalive, type KeepaliveListener } from "../ua/keepalive";
import { RegState, Registration, type RegistrationListener, STATUS_TIMEOUT, STATUS_TRANSPORT_ERROR } from "../ua/registration";
import { Scratch } from "../ua/scratch";
import { ServerName, type ServerFinder, type ServerNameListener } from "../ua/server-name";
import { UserAgent, type UserAgentListener } from "../ua/user-agent";
import { TrustPolicy } from "../ua/trust/trust-policy";
import type { TrustSettings } from "../ua/trust/trust-settings";
import { CodeResult, DoorOpener, type RelayListener } from "./door-opener";
import { Doorbell, type DoorbellListener } from "./doorbell";
import { Hunt, type HuntListener, HuntMode } from "./hunt";
import { LedPattern, StatusLed } from "./status-led";

export { HuntMode };

export const enum ButtonAction {
  /** A press during a call or an outgoing ring does nothing. */
  Ignore = 0,
  /** A press during a call or an outgoing ring hangs up. */
  Hangup = 1,
}

export const enum IntercomEvent {
  Registered = 1,
  Unregistered = 2,
  RegistrationFailed = 3,
  ServerLost = 4,
  ServerAlive = 5,
  ButtonPressed = 6,
  /** Someone calls the door. */
  Incoming = 7,
  /** The doorbell call rings at the callee. */
  Ringing = 8,
  CallUp = 9,
  CallDown = 10,
  Dtmf = 11,
  DoorOpened = 12,
  WrongCode = 13,
  Message = 14,
  /** Every target was tried, or the answered call ended, and any call it was transferred to (RFC 3515; src/app/hunt.ts). */
  HuntOver = 15,
  /** The server's name gives another address now, and the station moved there (src/ua/server-name.ts). */
  ServerMoved = 16,
}

export function intercomEventName(e: IntercomEvent): string {
  switch (e) {
    case IntercomEvent.Registered: return "registered";
    case IntercomEvent.Unregistered: return "unregistered";
    case IntercomEvent.RegistrationFailed: return "registration failed";
    case IntercomEvent.ServerLost: return "server lost";
    case IntercomEvent.ServerAlive: return "server alive";
    case IntercomEvent.ButtonPressed: return "button pressed";
    case IntercomEvent.Incoming: return "incoming call";
    case IntercomEvent.Ringing: return "ringing";
    case IntercomEvent.CallUp: return "call up";
    case IntercomEvent.CallDown: return "call down";
    case IntercomEvent.Dtmf: return "dtmf";
    case IntercomEvent.DoorOpened: return "door opened";
    case IntercomEvent.WrongCode: return "wrong code";
    case IntercomEvent.Message: return "message";
    case IntercomEvent.HuntOver: return "hunt over";
    case IntercomEvent.ServerMoved: return "server moved";
    default: return "?";
  }
}

export interface IntercomListener {
  /**
   * `detail` is a short human-readable text (reason, digit, peer); made only
   * when a listener wants it or the log writes Info lines (building strings
   * allocates on the device). A DTMF digit is made for a listener only: the
   * log never shows it (the door code is a credential).
   */
  onIntercomEvent(event: IntercomEvent, call: Call | null, detail: string): void;
  /** False: this listener ignores `detail` (it gets ""), so a call builds no text for it. Default true. */
  readonly details?: boolean;
}

export interface IntercomHosts {
  clock: ClockHost;
  random: RandomHost;
  hash: HashHost;
  log?: LogHost;
  pins?: PinsHost;
  udp?: UdpHost;
  /** Kept across restarts: the door code's wrong-entry and lockout counts (door-opener.ts), so a power cut gives a guesser no fresh count. */
  storage?: StorageHost;
  /** The door's microphone and speaker (none: calls send silence, received audio is dropped). */
  audio?: AudioHost;
  /** DNS: with account.serverName, the server's name is looked up again when the server stops answering (src/ua/server-name.ts). */
  resolver?: ResolverHost;
  /**
   * DNS servers for the core's own DNS client (src/dns/): with them the
   * server's name is looked up by RFC 3263 (SRV records, then A) instead
   * of through `resolver`, and the station walks the SRV targets on
   * failure. Queries go out of `dnsUdp`, by default the SIP socket (whose
   * receiver, Intercom.receiver, then hands the answers over).
   */
  dnsServers?: readonly DnsServerAddress[];
  dnsUdp?: UdpHost;
}

export interface IntercomSettings {
  account: AccountConfig;
  calls?: CallOptions;
  /** Who the doorbell calls: SIP URIs or extensions. */
  targets?: readonly string[];
  hunt?: HuntMode;
  buttonDuringCall?: ButtonAction;
  /** DTMF code that opens the door; none (the default): the door is never opened by DTMF. */
  doorCode?: string;
  /** Relay pulse, ms (default 3000). */
  doorOpenMs?: number;
  /** Hang up this long after the door opened, ms (default 0: stay in the call). */
  hangupAfterOpenMs?: number;
  /** Wrong codes in one call before it is ended; also the lockout threshold (default 3). */
  maxWrongCodes?: number;
  /** Lockout after maxWrongCodes wrong codes in a row, ms (default 60000). */
  lockoutMs?: number;
  debounceMs?: number;
  pressGuardMs?: number;
  /** OPTIONS keepalive interval, seconds (default 30, 0 = off). */
  keepaliveSeconds?: number;
  /** Register with the server (default true). */
  register?: boolean;
  timers?: TimerConfig;
  maxClientTransactions?: number;
  maxServerTransactions?: number;
  messageBuffer?: number;
  /** Bytes for the messages all the transactions keep for retransmission (TransactionLayerOptions.arenaBytes; default 3 * messageBuffer). */
  arenaBytes?: number;
  /** Trusted sources (src/ua/trust): by default calls only from the registrar / outbound proxy. */
  trust?: TrustSettings;
  /** Ringback at the door while a doorbell call rings: "eu" (425 Hz, default) or "us" (440 + 480 Hz). */
  ringback?: "eu" | "us";
  /**
   * Keys heard as DTMF tones in a call's audio (src/media/inband-dtmf.ts):
   * "auto" (default) in calls that agreed no telephone-event, "on" in every
   * call, "off" never.
   */
  inbandDtmf?: "auto" | "on" | "off";
}

/**
 * The detail of an event that has none. One constant, not a literal at
 * each emit: in XS a string literal of code compiled at run time (the
 * xsnap measurements) is a new string each time it is evaluated, which
 * would show as chunk bytes per key press or call event; on the device the
 * code is preloaded and a literal costs nothing either way.
 */
const NO_DETAIL = "";

/** Until the user agent exists, the layer has nobody to tell. Frozen: on the device it stays in the preloaded, read-only heap. */
const NOBODY: ServerTransactionUser = Object.freeze({
  onRequest(_tx: ServerTransactionHandle, _msg: SipMessage): void {},
  onAck(): void {},
  onCancel(): void {},
  onServerTimeout(): void {},
});

/** No call target configured. Frozen: on the device it stays in the preloaded, read-only heap. */
const NO_TARGETS: readonly string[] = Object.freeze([]);

/**
 * The Intercom is the queue entry of its one timer, the hang-up after the
 * door opened (a TimerNode, issue #9: an entry of its own and the property
 * holding it cost 8 heap slots in XS, the entry's own fields here 5).
 */
export class Intercom extends TimerNode implements UserAgentListener, RegistrationListener, KeepaliveListener, ServerNameListener, DoorbellListener, HuntListener, RelayListener, CallMediaListener {
  readonly layer: TransactionLayer;
  readonly ua: UserAgent;
  readonly registration: Registration | null;
  readonly keepalive: Keepalive;
  readonly doorbell: Doorbell;
  readonly opener: DoorOpener;
  readonly led: StatusLed;
  readonly hunt: Hunt;
  /** The calls' audio: RTP sessions, media clock, tones (src/media). */
  readonly media: CallMedia;
  /** Who may call the door; its counters tell what was turned away. */
  readonly trust: TrustPolicy;
  /**
   * The next hop's name, looked up again when it stops answering: the outbound proxy's (account.outboundProxyName)
   * when there is one, else the server's (account.serverName); with a resolver host or DNS servers.
   */
  readonly serverName: ServerName | null;
  /** The core's own DNS client (with IntercomHosts.dnsServers and a server name), else null. */
  readonly dns: DnsClient | null = null;
  listener: IntercomListener | undefined;
  private readonly dnsSharesSocket: boolean = false;
  private readonly dnsReceiver: UdpReceiver | null = null;
  /** The RFC 3263 lookup of the server's name over `dns` (null without it): stop() drops the one under way. */
  private readonly locator: ServerLocator | null = null;

  private readonly settings: IntercomSettings;
  private readonly log: LogHost | undefined;
  private hangupCall: Call | null = null;
  private regState: RegState = RegState.Unregistered;
  private serverLost = false;
  private started = false;

  constructor(hosts: IntercomHosts, settings: IntercomSettings) {
    super(TimerKind.User);
    this.settings = settings;
    this.log = hosts.log;
    const timers = new TimerQueue(hosts.clock, hosts.log);
    const timerValues = new TimerValues(settings.timers);
    const layer = new TransactionLayer({
      queue: timers,
      random: hosts.random,
      user: NOBODY,
      log: hosts.log,
      timers: timerValues,
      udp: hosts.udp,
      policy: new CallPolicy(),
      allowHeader: K_ALLOW,
      acceptHeader: K_ACCEPT_ALL,
      maxClientTransactions: settings.maxClientTransactions,
      maxServerTransactions: settings.maxServerTransactions,
      messageBuffer: settings.messageBuffer,
      arenaBytes: settings.arenaBytes,
    });
    this.layer = layer;
    // One writer, parser, re-parse message and set of readers for the whole core (src/ua/scratch.ts): the layer's.
    const scratch = new Scratch({ writer: layer.scratch, parser: layer.parser, message: layer.stored, values: layer.values });
    const trust = new TrustPolicy({ account: settings.account, settings: settings.trust, random: hosts.random, clock: timers, log: hosts.log });
    this.trust = trust;
    const ua = new UserAgent({
      account: settings.account,
      calls: settings.calls,
      layer,
      timers,
      timerValues,
      random: hosts.random,
      hash: hosts.hash,
      log: hosts.log,
      listener: this,
      trust,
      scratch,
    });
    this.ua = ua;
    layer.user = ua;
    // Requests are screened before a transaction is taken: an untrusted INVITE holds no slot.
    trust.peers = ua;
    layer.screen = trust;
    this.registration = settings.register === false ? null : new Registration({
      account: settings.account, layer, timers, random: hosts.random, hash: hosts.hash, log: hosts.log, listener: this, scratch,
    });
    this.keepalive = new Keepalive({
      account: settings.account, layer, timers, random: hosts.random, log: hosts.log, listener: this,
      intervalSeconds: settings.keepaliveSeconds, writer: scratch.w,
    });
    const a = settings.account;
    // The next hop's name is the one followed: with an outbound proxy every request goes there, named in its Route
    // (§8.1.2), and nothing is sent to the registrar's address; without one, the registrar's.
    const proxied = hasOutboundProxy(a);
    const followed = proxied ? a.outboundProxyName : a.serverName;
    const name = followed !== undefined ? followed : "";
    const port = proxied ? portOr(a.outboundProxyPort, DEFAULT_SIP_PORT) : portOr(a.registrarPort, DEFAULT_SIP_PORT);
    let lookup: ResolverHost | ServerFinder | undefined = hosts.resolver;
    if (name !== "" && hosts.dnsServers !== undefined && hosts.dnsServers.length > 0) {
      // The core's own DNS client (RFC 3263 §4.2 SRV, then A), over the SIP socket unless the host gives another.
      const dns = new DnsClient({ udp: hosts.dnsUdp ?? hosts.udp, timers, random: hosts.random, servers: hosts.dnsServers });
      this.dns = dns;
      this.dnsSharesSocket = hosts.dnsUdp === undefined;
      this.dnsReceiver = new DnsFirstReceiver(dns, layer);
      const locator = new ServerLocator(dns, timers, hosts.random);
      this.locator = locator;
      lookup = new DnsFinder(locator, (proxied ? a.outboundProxyNamePort : a.serverNamePort) ?? 0, hosts.log);
    }
    this.serverName = name !== "" && lookup !== undefined
      ? new ServerName(name, nextHopHost(a), lookup, timers, this, hosts.log, port, proxied ? a.outboundProxyTargets : a.serverTargets)
      : null;
    this.doorbell = new Doorbell(timers, this, settings.debounceMs, settings.pressGuardMs);
    this.opener = new DoorOpener(timers, hosts.pins, settings.doorCode ?? "", settings.doorOpenMs, settings.maxWrongCodes, settings.lockoutMs, hosts.storage);
    this.opener.listener = this;
    this.led = new StatusLed(timers, hosts.pins);
    this.hunt = new Hunt(ua, this);
    this.media = new CallMedia({
      calls: ua.calls, timers, clock: hosts.clock, random: hosts.random, log: hosts.log, audio: hosts.audio, listener: this,
      ringback: settings.ringback === "us" ? Tone.RingbackUs : Tone.Ringback,
      inbandDtmf: settings.inbandDtmf === "on" ? InbandDtmfMode.On : settings.inbandDtmf === "off" ? InbandDtmfMode.Off : InbandDtmfMode.Auto,
    });
  }

  /** The core's one timer queue (the layer's): the host attaches its clock to it. */
  get timers(): TimerQueue {
    return this.layer.queue;
  }

  /** Who the doorbell calls (settings.targets). */
  private get targets(): readonly string[] {
    return this.settings.targets ?? NO_TARGETS;
  }

  /** The UDP receiver for the host's socket (the transaction layer; DNS answers first when the core's DNS client shares the socket). */
  get receiver(): UdpReceiver {
    return this.dnsReceiver !== null && this.dnsSharesSocket ? this.dnsReceiver : this.layer;
  }

  /** The receiver for IntercomHosts.dnsUdp, when the host gave the DNS client a socket of its own (null: none). */
  get dnsUdpReceiver(): UdpReceiver | null {
    return this.dns;
  }

  attach(udp: UdpHost): void {
    this.layer.attach(udp);
    if (this.dns !== null && this.dnsSharesSocket) this.dns.attach(udp);
  }

  /** The host's RTP socket (and RTCP socket, port + 1) of call slot `slot`; the call's SDP then advertises its port. */
  attachMedia(slot: number, rtp: UdpHost, rtcp: UdpHost | null): void {
    this.media.attach(slot, rtp, rtcp);
  }

  /** The receiver for the RTP socket of call slot `slot` (null past the last slot). */
  rtpReceiver(slot: number): UdpReceiver | null {
    return this.media.rtpReceiver(slot);
  }

  rtcpReceiver(slot: number): UdpReceiver | null {
    return this.media.rtcpReceiver(slot);
  }

  /** Register, start the keepalive. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.info(this.trust.describe());
    if (!this.opener.enabled) this.warn("intercom: no door code is configured: DTMF does not open the door");
    this.led.show(LedPattern.Registering);
    if (this.registration !== null) this.registration.start();
    else this.led.show(LedPattern.Idle);
    this.keepalive.start();
    if (this.serverName !== null) this.serverName.start();
  }

  /** Orderly shutdown: hang up, stop the keepalive, remove the binding (the Unregistered event follows). */
  stop(): void {
    this.started = false;
    if (this.serverName !== null) this.serverName.stop();
    // A lookup under way is dropped with its try timer: no query goes out after stop (and none out of a socket the host closes next).
    if (this.locator !== null) this.locator.cancel();
    if (this.dns !== null) this.dns.cancel();
    this.hunt.stop();
    this.ua.hangupAll();
    this.keepalive.stop();
    if (this.registration !== null) this.registration.stop();
    else this.emit(IntercomEvent.Unregistered, null, NO_DETAIL);
  }

  /**
   * The network came back (Wi-Fi reconnect): register again at once. The
   * server's name is not looked up now: if that REGISTER gets no answer,
   * that failure asks (src/ua/server-name.ts: a server that answers is not
   * left for another address of its name).
   */
  networkUp(): void {
    if (this.registration !== null) this.registration.refreshNow();
  }

  /** A debounced doorbell press (key, control datagram). */
  press(): void {
    this.doorbell.press();
  }

  /** A raw button edge from a pin (debounced here). */
  buttonChanged(pressed: boolean): void {
    this.doorbell.changed(pressed);
  }

  get registered(): boolean {
    return this.regState === RegState.Registered;
  }

  // ---- DoorbellListener --------------------------------------------------

  onPress(): void {
    this.emit(IntercomEvent.ButtonPressed, null, NO_DETAIL);
    if (this.ua.activeCalls > 0) {
      if ((this.settings.buttonDuringCall ?? ButtonAction.Ignore) === ButtonAction.Hangup) {
        this.info("intercom: button during a call: hanging up");
        this.hunt.stop();
        this.ua.hangupAll();
      }
      return;
    }
    if (this.targets.length === 0) {
      this.warn("intercom: doorbell pressed, but no call target is configured");
      this.media.unanswered();
      return;
    }
    if (!this.hunt.start(this.targets, this.settings.hunt ?? HuntMode.Sequential)) this.warn("intercom: the doorbell call could not be placed");
  }

  // ---- HuntListener ----------------------------------------------------------

  onHuntOver(answered: boolean): void {
    this.emit(IntercomEvent.HuntOver, null, answered ? "answered" : "nobody answered");
    // The visitor hears that nobody is coming (src/media/tone.ts Busy): nobody answered, or the target a phone transferred
    // the door to did not (after that phone left); not when the hunt was stopped here (button, shutdown).
    if ((!answered || this.hunt.lastUnanswered) && !this.hunt.cancelled) this.media.unanswered();
    this.refreshLed();
  }

  // ---- UserAgentListener -----------------------------------------------------

  onCallState(call: Call): void {
    switch (call.state) {
      case CallState.Incoming:
        this.emit(IntercomEvent.Incoming, call, this.detailed ? call.peer() : NO_DETAIL);
        break;
      case CallState.Ringing:
        this.emit(IntercomEvent.Ringing, call, this.detailed ? call.peer() : NO_DETAIL);
        break;
      case CallState.Up:
        this.opener.newCall();
        this.emit(IntercomEvent.CallUp, call, this.detailed ? call.peer() : NO_DETAIL);
        break;
      case CallState.Ended:
        if (this.hangupCall === call) {
          this.hangupCall = null;
          this.timers.stop(this);
        }
        this.emit(IntercomEvent.CallDown, call, this.detailed ? endReasonName(call.endReason) + (call.endStatus > 0 ? " (" + call.endStatus + ")" : "") : NO_DETAIL);
        break;
      default:
        break;
    }
    // After the event: the hunt may place the next call or cancel the others.
    this.hunt.callState(call);
    this.media.callState(call);
    this.refreshLed();
  }

  /** A key by SIP INFO (the user agent's listener; the call is up). */
  onDtmf(call: Call, digit: number): void {
    this.key(call, digit, DtmfWay.Info);
  }

  /** A key by RFC 4733 events in a call's RTP. */
  onTelephoneEvent(call: Call, digit: number): void {
    this.key(call, digit, DtmfWay.Rtp);
  }

  /**
   * A key heard as DTMF tones in a call's audio. A-D only when the door code
   * uses them: few phones have those keys, and most of the keys music and
   * speech make up are A-D (test/media-inband-dtmf.test.ts).
   */
  onInbandDtmf(call: Call, digit: number): void {
    if (digit >= 65 && digit <= 68 && !this.opener.usesLetters) return;
    this.key(call, digit, DtmfWay.Inband);
  }

  /**
   * A key either way, where the two ways meet: the same door-code logic,
   * unless it is the copy of a key the other way gave (a phone that sends
   * each key both ways, Call.dtmfCopy).
   */
  private key(call: Call, digit: number, way: DtmfWay): void {
    if (call.state === CallState.Up && call.dtmfCopy(way)) return;
    // The digits are the door code, a credential that opens a physical door: the log line
    // says only "dtmf" (a posted device log must not hold the code; README, Security). A
    // listener in this process may have the digit, and only it makes the string be built.
    this.emit(IntercomEvent.Dtmf, call, this.listenerDetailed ? String.fromCharCode(digit) : NO_DETAIL, false);
    this.digit(call, digit);
  }

  /** A DTMF digit from any source (INFO now, RFC 4733 events with the audio). */
  digit(call: Call, digit: number): void {
    // Only an answered call whose dialog is confirmed (Up: the ACK came, or we acknowledged the 2xx), from a trusted source.
    if (call.state !== CallState.Up) return;
    // Nor while the call is on hold either way (RFC 3264 §8.4: sendonly, recvonly, inactive): nobody types a code into a
    // held call, while hold music, a parked call or the party a PBX holds the door for might make keys.
    if (!canSend(call.remoteDirection) || !canReceive(call.remoteDirection) || !canSend(call.localDirection) || !canReceive(call.localDirection)) {
      this.warn("intercom: DTMF ignored: the call is on hold");
      return;
    }
    if (!this.ua.isTrustedCall(call)) {
      this.warn("intercom: DTMF ignored: the call is from an untrusted source");
      return;
    }
    const result = this.opener.digit(digit, call.index);
    switch (result) {
      case CodeResult.Open: {
        this.emit(IntercomEvent.DoorOpened, call, this.detailed ? call.peer() : NO_DETAIL);
        this.media.confirm();
        this.refreshLed();
        const after = this.settings.hangupAfterOpenMs ?? 0;
        if (after > 0) {
          this.hangupCall = call;
          this.timers.start(this, after, TimerKind.User);
        }
        return;
      }
      case CodeResult.Wrong:
        this.emit(IntercomEvent.WrongCode, call, this.detailed ? "wrong code " + this.opener.wrongInCall : NO_DETAIL);
        return;
      case CodeResult.TooManyWrong:
        this.emit(IntercomEvent.WrongCode, call, "too many wrong codes: hanging up");
        call.hangup(EndReason.LocalHangup);
        return;
      case CodeResult.Locked:
        this.emit(IntercomEvent.WrongCode, call, "locked out");
        return;
      case CodeResult.Disabled:
        this.warn("intercom: DTMF ignored: no door code is configured");
        return;
      default:
        return;
    }
  }

  onMessage(call: Call | null, from: string, text: string): void {
    this.emit(IntercomEvent.Message, call, from + ": " + text);
  }

  // ---- RegistrationListener / KeepaliveListener -------------------------------

  onRegistrationState(state: RegState, status: number): void {
    const was = this.regState;
    this.regState = state;
    if (state === RegState.Registered && was !== RegState.Registered) this.emit(IntercomEvent.Registered, null, String(status));
    // The status only when a binding was removed (Unregistering): stopped while failing, the last failure's status would read as the unregister's.
    else if (state === RegState.Unregistered) this.emit(IntercomEvent.Unregistered, null, was === RegState.Unregistering ? String(status) : NO_DETAIL);
    else if (state === RegState.Backoff || state === RegState.AuthFailed) this.emit(IntercomEvent.RegistrationFailed, null, String(status));
    // No answer at all (registration.ts reports 408/503 for a timeout or a send error; a server's own 408/503 also asks, harmlessly).
    if (state === RegState.Backoff && (status === STATUS_TIMEOUT || status === STATUS_TRANSPORT_ERROR) && this.serverName !== null) this.serverName.check("no answer to REGISTER");
    this.refreshLed();
  }

  onServerLost(): void {
    this.serverLost = true;
    this.emit(IntercomEvent.ServerLost, null, NO_DETAIL);
    // Before the registration backs off (which would ask as "no answer to REGISTER"): the log says why.
    if (this.serverName !== null) this.serverName.check("server lost");
    if (this.registration !== null) this.registration.onServerLost();
    this.refreshLed();
  }

  /** The server answers after missed OPTIONS (not lost), or only after an OPTIONS's retransmissions: it may have restarted; the registration refreshes (registration.ts onServerBack). */
  onServerBack(): void {
    if (this.registration !== null) this.registration.onServerBack();
  }

  onServerStillLost(): void {
    if (this.serverName !== null) this.serverName.check("server still lost");
  }

  /**
   * ServerNameListener: the next hop's name (the server's, or the outbound
   * proxy's when there is one) gives another address now. New requests go
   * there (calls' next hop, keepalive, a REGISTER at once, since the server
   * there may hold no binding of ours; with a proxy, their Route names the
   * new address) and its requests are the trusted server's; the old
   * address is no longer trusted as the server.
   */
  onServerMoved(from: string, to: string, port: number): void {
    // The keepalive first: its move makes a new buffer and changes nothing when it cannot (for want of memory); then
    // nothing is moved. With a proxy the calls' and the registration's Routes are new buffers too: a move that fails
    // part way is done again, whole, by the next lookup's answer (server-name.ts), each step doing nothing twice.
    // The port too: an SRV target's own (RFC 3263 §4.2), else the configured one, unchanged.
    this.keepalive.moveServer(to, port);
    this.ua.moveServer(to, port);
    this.trust.moveServer(to, port);
    if (this.registration !== null) this.registration.moveServer(to, port);
    // serverName.port is still the old one here: the new port is named when it changes (an SRV target's).
    const sn = this.serverName;
    this.emit(IntercomEvent.ServerMoved, null, sn !== null ? sn.name + " " + from + " -> " + to + (port !== sn.port ? ":" + port : "") : to);
  }

  onServerAlive(): void {
    this.serverLost = false;
    this.emit(IntercomEvent.ServerAlive, null, NO_DETAIL);
    if (this.registration !== null) this.registration.onServerAlive();
    this.refreshLed();
  }

  // ---- TimerNode ---------------------------------------------------------------

  /** The hang-up after the door opened (settings.hangupAfterOpenMs). */
  fire(): void {
    const call = this.hangupCall;
    this.hangupCall = null;
    if (call !== null && call.state === CallState.Up) {
      this.info("intercom: door opened, hanging up");
      call.hangup(EndReason.LocalHangup);
    }
  }

  /** The door relay switched (DoorOpener): the LED follows. */
  onRelay(_on: boolean): void {
    this.refreshLed();
  }

  // ---- internals -----------------------------------------------------------------

  private refreshLed(): void {
    if (this.opener.relayOn) {
      this.led.show(LedPattern.DoorOpen);
      return;
    }
    const calls = this.ua.calls;
    let ringing = false;
    let up = false;
    for (let i = 0; i < calls.length; i++) {
      const s = calls[i]!.state;
      if (s === CallState.Up || s === CallState.Connecting) up = true;
      else if (s === CallState.Incoming || s === CallState.Ringing || s === CallState.Dialing) ringing = true;
    }
    if (up) this.led.show(LedPattern.InCall);
    else if (ringing) this.led.show(LedPattern.Ringing);
    else if (!this.started && this.regState === RegState.Unregistered) this.led.show(LedPattern.Off);
    else if (this.registration === null || this.regState === RegState.Registered) this.led.show(this.serverLost ? LedPattern.Failing : LedPattern.Idle);
    else if (this.regState === RegState.Backoff || this.regState === RegState.AuthFailed) this.led.show(LedPattern.Failing);
    else this.led.show(LedPattern.Registering);
  }

  /** Does anyone read event details: a listener that wants them, or the log at Info? */
  private get detailed(): boolean {
    return this.listenerDetailed || logEnabled(this.log, LogLevel.Info);
  }

  /** Does a listener read event details (for details the log must not show)? */
  private get listenerDetailed(): boolean {
    const l = this.listener;
    return l !== undefined && l.details !== false;
  }

  /** `logDetail` false: the detail goes to the listener only, the log line names the event alone (a DTMF digit). */
  private emit(event: IntercomEvent, call: Call | null, detail: string, logDetail = true): void {
    if (logEnabled(this.log, LogLevel.Info)) this.log.log(LogLevel.Info, "intercom: " + intercomEventName(event) + (logDetail && detail !== "" ? " " + detail : ""));
    const l = this.listener;
    if (l === undefined) return;
    try {
      l.onIntercomEvent(event, call, detail);
    } catch (e) {
      if (this.log !== undefined) this.log.log(LogLevel.Error, "intercom: listener threw: " + String(e));
    }
  }

  private info(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Info, text);
  }

  private warn(text: string): void {
    if (this.log !== undefined) this.log.log(LogLevel.Warn, text);
  }
}

export { CallDirection, CallState, EndReason };
