/*
 * The stateful protocol fuzzer (test/sfuzz.test.ts): the whole Intercom on
 * the virtual clock, linked in process to one hostile but plausible peer, a
 * PBX with its phones at PBX:PBX_PORT (a trusted source). The peer keeps the
 * dialog state it has seen (Call-ID, tags, CSeq, the door's Contact, the
 * door's RSeq, the 2xx waiting for an ACK) and each step picks an action a
 * real phone or PBX could take, in a hostile order and at hostile times:
 * calls with and without an offer, 100rel, CANCEL racing the 200, lost,
 * duplicated and late ACKs, re-INVITE/UPDATE glare, BYE crossing BYE, wrong
 * RAcks, stale CSeqs and wrong tags, requests in and out of dialogs,
 * random final codes for the door's own requests (forked 2xx, 3xx,
 * challenges, 408/481/487/491/500/503), datagrams dropped, duplicated and
 * reordered, silence, doorbell and hang-up presses, the door code by INFO
 * or RFC 4733 events. The registrar differs from run to run as real ones
 * do (RegistrarWays: short grants, Min-Expires, digest algorithms, 407,
 * Expires only, another device's binding, nonces that expire, OPTIONS
 * answered 4xx/5xx), answers now and then with a fault (408, 5xx with and
 * without Retry-After, 403, 404, a wrong 423, a 401 out of the blue) and
 * now and then refuses every REGISTER for up to three minutes.
 *
 * The invariants are checked as the door speaks (SfuzzWorld.violations):
 *   - nothing throws out of the core, and nothing inside it throws (the
 *     layer, timer queue and call log such errors at LogLevel.Error);
 *   - every request the door received (not an ACK) gets a final response
 *     within 64*T1 (§17.2) plus the auto-answer delay, and always the same
 *     one (unless a full table gave its transaction's slot away, by design);
 *   - no request with a new branch in a dialog that ended (the door sent
 *     BYE, or answered the peer's BYE 2xx; a first 2xx from that To tag
 *     confirms it again), except a BYE resent with credentials after a
 *     challenge (§22.2) and a NOTIFY of an accepted REFER;
 *   - the door's CSeq in a dialog only goes up (§12.2.1.1);
 *   - the door never believes it is registered past the end of the binding
 *     the registrar gave it, and never begins more than 12 REGISTERs in a
 *     minute, whatever the registrar says (no storm);
 *   - from quiescence on (a clean link, no faults) a binding granted is
 *     refreshed before it ends.
 * quiesce() then checks the end state: every call slot and transaction
 * free, registered, OPTIONS answered 200, and a fresh call each way works.
 * Text is written and read here with plain string handling, independent
 * of the core's writer and parser.
 */
import { LogLevel, type LogHost, type UdpHost, type Wakeable } from "../../src/host";
import { ButtonAction, HuntMode, Intercom, type IntercomEvent, intercomEventName } from "../../src/app/intercom";
import { CallState } from "../../src/ua/call/call-types";
import { UntrustedAction } from "../../src/ua/trust/trust-settings";
import { NodeHash } from "../../hosts/node/hash";
import { type Algorithm, ScriptedRegistrar, header, parseRequest, type ParsedRequest } from "./registrar";
import { phoneSdp } from "./phone-sdp";
import { SeededRandom } from "./seeded-random";
import { VirtualClock } from "./virtual-clock";

export const PBX = "198.51.100.7";
export const PBX_PORT = 5070;
export const DOOR = "192.0.2.10";
/** The registrar behind the outbound proxy (config.proxy): the door never sends to it itself. */
const REGISTRAR_BEHIND = "198.51.100.8";
export const DOOR_PORT = 5060;
/**
 * A stranger on the network (untrusted: neither the registrar nor on an allowlist) who knows the live dialogs'
 * Call-IDs, tags and CSeqs, the worst case (it sniffs): it copies them into requests of its own.
 */
export const STRANGER = "203.0.113.66";
export const STRANGER_PORT = 5060;
const LATENCY_MS = 20;
const LOG_KEEP = Number(process.env.SFUZZ_LOG ?? 40);
/** Datagrams holding this text are logged whole (debugging a replay). */
const FULL = process.env.SFUZZ_FULL ?? "";
const T1 = 500;
/** §17: the longest a transaction lives (Timer B/F/H/J). */
export const T64 = 64 * T1;
const CALL_LIMIT_MS = 120_000;
/** The longest Session-Expires the peer asks (RFC 4028), ms. */
const SESSION_MAX_MS = 1_800_000;
const DOOR_CODE = "1234#";
const SDP = phoneSdp(PBX);

/**
 * The SDP a phone or PBX sends, now and then not the plain one: hold (sendonly, inactive, the old c=0.0.0.0), PCMA
 * only, no G.711 at all (the door answers 488, or ends its own call), the audio stream refused (port 0), a video
 * stream beside the audio, the media moved to another address of the PBX's.
 */
function sdpVariant(dice: Dice): string {
  switch (dice.below(16)) {
    case 0: return SDP.replace("a=sendrecv", "a=sendonly");
    case 1: return SDP.replace("a=sendrecv", "a=inactive");
    case 2: return SDP.replace(`c=IN IP4 ${PBX}`, "c=IN IP4 0.0.0.0");
    case 3: return SDP.replace("RTP/AVP 0 8 101", "RTP/AVP 8 101").replace("a=rtpmap:0 PCMU/8000\r\n", "");
    case 4: return SDP.replace("RTP/AVP 0 8 101", "RTP/AVP 9").replace(/a=rtpmap:[08] PCM[UA]\/8000\r\na=rtpmap:8 PCMA\/8000\r\na=rtpmap:101[^\r]*\r\na=fmtp:101 0-15\r\n/, "a=rtpmap:9 G722/8000\r\n");
    case 5: return SDP.replace("m=audio 49170", "m=audio 0");
    case 6: return `${SDP}m=video 49172 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n`;
    case 7: return SDP.replace(new RegExp(PBX.replace(/\./g, "\\."), "g"), "198.51.100.20");
    default: return SDP;
  }
}
/** A peer that takes UPDATE (RFC 3311): the door may refresh its session timer by UPDATE then. */
const ALLOW = "Allow: INVITE, ACK, CANCEL, BYE, UPDATE, PRACK, INFO, REFER, NOTIFY, MESSAGE, OPTIONS";

/** A small seeded PRNG for the peer's choices (separate from the door's RandomHost stream). */
export class Dice {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
  below(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }
  chance(p: number): boolean {
    return this.u32() / 4294967296 < p;
  }
  pick<T>(a: readonly T[]): T {
    return a[this.below(a.length)]!;
  }
}

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** A dialog (or early dialog) as the peer knows it. */
interface PDialog {
  callId: string;
  /** "in": the peer called the door; "out": the door called the peer. */
  way: "in" | "out";
  /** The peer's From / To values for requests it sends in this dialog (To gains the door's tag when known). */
  local: string;
  remote: string;
  doorTag: string;
  peerTag: string;
  cseq: number;
  target: string;
  /** "in": the INVITE that made it (for CANCEL, ACK of a non-2xx, PRACK's RAck). */
  invite: string;
  inviteCseq: number;
  inviteBranch: string;
  inviteHadSdp: boolean;
  /** A 2xx to one of the peer's INVITEs that waits for the ACK (cseq), 0: none. */
  ackCseq: number;
  ackNeedsSdp: boolean;
  /** RSeqs of the door's reliable provisionals. */
  rseqs: number[];
  confirmed: boolean;
  ended: boolean;
  /**
   * The route set the door must use in this dialog (§12.1.1, §12.1.2): the Record-Route of the peer's INVITE in
   * order, or of the responses to the door's INVITE reversed; empty when no proxy record-routed.
   */
  routes?: string[];
  /** "in": a final response to the INVITE came; a CANCEL was sent. */
  finalSeen?: boolean;
  cancelled?: boolean;
}

/** A request the door sent that the peer has not answered with a final response yet. */
interface DoorRequest {
  req: ParsedRequest;
  method: string;
  branch: string;
  callId: string;
  at: number;
  rseq: number;
}

interface Obligation {
  method: string;
  at: number;
  answered: boolean;
  label: string;
}

export interface SfuzzConfig {
  autoAnswerMs: number;
  buttonDuringCall: ButtonAction;
  hunt: HuntMode;
  maxCalls: number;
  /** What the stranger's requests get (untrusted=reject: 403; drop: nothing). */
  untrusted: UntrustedAction;
  /**
   * The transaction tables: the device's (4 client and 6 server transactions, their messages in a 3,900-byte
   * arena, the Moddable host's defaults), where a hostile peer fills them and the reclaiming of answered
   * transactions and copies runs, or the core's roomy defaults (8 and 16, 3 messages of 1,300 bytes).
   */
  tables: "device" | "roomy";
  /**
   * accept_from=any (TrustSettings.acceptAny): the stranger's own calls are taken too (answered, its door code and
   * REFER without effect), while what it copies into the trusted calls' dialogs still gets 403 or nothing.
   */
  acceptAny: boolean;
  /**
   * An outbound proxy (sip_proxy): the peer's address is then the proxy's, the registrar another host behind it
   * (REGISTRAR_BEHIND), and every request of the door carries the preloaded Route (§8.1.2).
   */
  proxy: boolean;
  /** Who the doorbell calls: one to three extensions. */
  targets: string[];
  /** A doorbell call rings this long before the next target (CANCEL racing the callee's 200 far more often at 3 s). */
  ringTimeoutMs: number;
  /** The longest call (the door's BYE at the limit racing the peer's requests more often at 20 s). */
  callLimitMs: number;
  /** transfers=off: every REFER declined 603, none ever accepted. */
  transfers: boolean;
  /** The registrar's ways (RegistrarWays). */
  registrar: RegistrarWays;
}

/**
 * How the run's registrar behaves, as real ones differ: the longest binding it grants (short ones are refreshed
 * often, 60 s after 30 s), a Min-Expires above the door's 3,600 s (a 423 first, §10.2.8), the digest's algorithm
 * and qop (RFC 7616, RFC 2069 without), 407 in place of 401, the granted interval in an Expires header only
 * (§10.3 step 8), another device's binding listed beside the door's, how long its nonces live (0: for ever; a
 * REGISTER that comes later gets a new one, 401 with stale=true), and its answer to the door's OPTIONS (any answer shows it is there).
 */
export interface RegistrarWays {
  maxExpires: number;
  minExpires: number;
  algorithm: Algorithm;
  qop: "auth" | null;
  proxyChallenge: boolean;
  expiresHeaderOnly: boolean;
  otherBinding: boolean;
  nonceLifetimeMs: number;
  optionsStatus: number;
}

/** Everything a step does, for the failure report and replays. */
export type Trace = string[];

export class SfuzzWorld implements Wakeable, LogHost, UdpHost {
  readonly clock = new VirtualClock(0);
  readonly intercom: Intercom;
  readonly registrar: ScriptedRegistrar;
  /** Warn in most runs; Debug in some, so every log line the core builds (the lin simulator's default) is built from hostile messages too. */
  readonly level: LogLevel;
  readonly localAddress = DOOR;
  readonly localPort = DOOR_PORT;
  readonly violations: string[] = [];
  readonly trace: Trace = [];
  readonly events: string[] = [];
  /** The last datagrams the door sent and the peer delivered, summarized (for the failure report). */
  readonly doorLog: string[] = [];
  /** Datagrams the door sent / the peer sent. */
  doorSent = 0;
  peerSent = 0;
  /** Requests the stranger sent, and what the door sent it. */
  strangerSent = 0;
  strangerAnswers = 0;
  /** With acceptAny: datagrams of the stranger's own calls, both ways, and the calls the door answered. */
  strangerCallTraffic = 0;
  /** Answers to the stranger's BYEs copied into live dialogs (taken from anywhere, by design). */
  strangerByes = 0;
  strangerCallsUp = 0;
  /** With acceptAny: the stranger's own calls the door answered (Call-ID, its tag, the door's tag, next CSeq). */
  private readonly strangerCalls: { callId: string; tag: string; doorTag: string; cseq: number; ended: boolean }[] = [];
  /** Link faults, both ways. */
  loss = 0;
  dupe = 0;
  reorder = 0;
  silentUntil = 0;
  /** The peer only answers REGISTER/OPTIONS (quiescence). */
  peerStopped = false;
  /** The registrar answers REGISTER with faults now and then. */
  registrarFaults = true;
  readonly dialogs: PDialog[] = [];
  readonly doorRequests: DoorRequest[] = [];
  readonly config: SfuzzConfig;
  /** Counted actions, by name (what a run covered). */
  readonly actions = new Map<string, number>();
  /** Requests the door sent, by method (retransmissions included). */
  readonly doorMethods = new Map<string, number>();
  private readonly queue: Pending[] = [];
  private seq = 0;
  private branchSeq = 0;
  private callSeq = 0;
  private readonly obligations = new Map<string, Obligation>();
  private readonly obligated = new Set<string>();
  private readonly seen2xx = new Set<string>();
  private readonly finals = new Map<string, number>();
  private readonly reclaimedAt = new Map<string, number>();
  private readonly doorCseq = new Map<string, number>();
  private readonly ended = new Set<string>();
  private readonly byeChallenged = new Set<string>();
  private readonly referAccepted = new Set<string>();
  private readonly doorBranches = new Set<string>();
  /** The Record-Route of the responses to each of the door's INVITEs, by Call-ID (chosen at its first answer). */
  private readonly recordRouted = new Map<string, string[]>();
  /** Peer messages sent, for retransmission (verbatim copies). */
  private readonly sentByPeer: { text: string; at: number }[] = [];
  lastRegisterAt = -Infinity;
  /** The door's binding as the registrar keeps it: when it ends and when it was granted (virtual ms). */
  bindingEnd = -Infinity;
  private bindingGrantAt = -Infinity;
  /** The registrar's final responses by the request's branch and method: a copy of a request gets its answer again (§17.2.3). */
  private readonly registrarAnswered = new Map<string, string>();
  /** From quiescence on the link is clean and the registrar answers without faults: a binding granted since must be refreshed before it ends. */
  private cleanSince = Infinity;
  /** When the door began its REGISTER transactions of the last minute, and the most it began in any minute. */
  private readonly registerTimes: number[] = [];
  maxRegistersPerMinute = 0;
  /** Until then the registrar answers every REGISTER with outageCode (registrarOutage). */
  private outageUntil = 0;
  private outageCode = 0;
  /** When the registrar's nonce was made (ways.nonceLifetimeMs). */
  private nonceBornAt = 0;
  /** During the end checks (endToEnd), what the door sends the peer, collected instead of played. */
  private endCheck: ParsedRequest[] | null = null;
  private rtpTs = 0;
  private rtpSeq = 0;
  private nonce = 0;

  constructor(readonly seed: number, readonly dice: Dice) {
    this.config = {
      autoAnswerMs: dice.pick([0, 0, 300, 2500]),
      buttonDuringCall: dice.chance(0.5) ? ButtonAction.Hangup : ButtonAction.Ignore,
      hunt: dice.chance(0.5) ? HuntMode.Sequential : HuntMode.Parallel,
      maxCalls: dice.pick([1, 2, 4]),
      untrusted: dice.chance(0.5) ? UntrustedAction.Reject : UntrustedAction.Drop,
      tables: dice.chance(0.5) ? "device" : "roomy",
      acceptAny: dice.chance(0.3),
      proxy: dice.chance(0.25),
      targets: dice.pick([["100"], ["100", "101"], ["100", "101"], ["100", "101", "102"]]),
      ringTimeoutMs: dice.pick([30_000, 30_000, 3_000]),
      callLimitMs: dice.pick([CALL_LIMIT_MS, CALL_LIMIT_MS, 20_000]),
      transfers: dice.chance(0.8),
      registrar: registrarWays(dice),
    };
    this.level = dice.chance(0.25) ? LogLevel.Debug : LogLevel.Warn;
    const tables = this.config.tables === "device" ? { maxClientTransactions: 4, maxServerTransactions: 6, messageBuffer: 1300, arenaBytes: 3900 } : {};
    const ways = this.config.registrar;
    const registrar = new ScriptedRegistrar({
      realm: "pbx.test", username: "door", password: "doorpass", maxExpires: ways.maxExpires, minExpires: ways.minExpires,
      algorithm: ways.algorithm, qop: ways.qop, proxy: ways.proxyChallenge, expiresHeaderOnly: ways.expiresHeaderOnly,
      optionsStatus: ways.optionsStatus, ...(ways.otherBinding ? { otherBinding: "sip:door@192.0.2.99:5062" } : {}),
    });
    // Nonces from a counter, not Math.random: the same seed gives the same run.
    registrar.newNonce = function (this: ScriptedRegistrar): void {
      (this as unknown as { staleNonces: Set<string> }).staleNonces.add(this.nonce);
      this.nonce = `n${++nonceCount}`;
    };
    registrar.newNonce();
    this.registrar = registrar;
    this.intercom = new Intercom(
      { clock: this.clock, random: new SeededRandom(seed), hash: new NodeHash(), log: this, udp: this },
      {
        account: this.config.proxy
          ? { registrarHost: REGISTRAR_BEHIND, registrarPort: 5060, outboundProxyHost: PBX, outboundProxyPort: PBX_PORT, domain: "pbx.test", user: "door", password: "doorpass", expires: 3600 }
          : { registrarHost: PBX, registrarPort: PBX_PORT, domain: "pbx.test", user: "door", password: "doorpass", expires: 3600 },
        keepaliveSeconds: dice.chance(0.5) ? 30 : 0,
        targets: this.config.targets,
        hunt: this.config.hunt,
        buttonDuringCall: this.config.buttonDuringCall,
        doorCode: DOOR_CODE,
        hangupAfterOpenMs: dice.chance(0.3) ? 2000 : 0,
        calls: {
          autoAnswerMs: this.config.autoAnswerMs, callLimitMs: this.config.callLimitMs, maxCalls: this.config.maxCalls,
          ringTimeoutMs: this.config.ringTimeoutMs, allowRefer: this.config.transfers,
        },
        trust: { untrusted: this.config.untrusted, acceptAny: this.config.acceptAny },
        ...tables,
      },
    );
    this.clock.attach(this);
    this.intercom.listener = {
      onIntercomEvent: (e: IntercomEvent, _c, detail: string) => {
        this.events.push(`${this.clock.now()} ${intercomEventName(e)} ${detail}`);
        // Only a trusted call opens the door (acceptAny lets the stranger call, not open).
        if (intercomEventName(e) === "door opened" && detail.includes(`@${STRANGER}`)) this.violate(`the stranger's own call opened the door: ${detail}`);
      },
      details: true,
    };
  }

  // ---- hosts ----------------------------------------------------------------------

  log(level: LogLevel, text: string): void {
    if (level === LogLevel.Error) this.violate(`the core logged an error: ${text}`);
  }

  tick(): void {
    this.guard("timer", () => this.intercom.timers.tick());
    this.checkObligations();
  }

  /** The door's UDP send: every datagram is checked, then goes over the lossy link. */
  send(data: Uint8Array, length: number, address: string, port: number): boolean {
    const text = Buffer.from(data.subarray(0, length)).toString("latin1");
    this.doorSent++;
    if (address === STRANGER) {
      this.toStranger(text, port);
      return true;
    }
    this.doorLog.push(`${this.clock.now()} door> ${FULL !== "" && text.includes(FULL) ? text : summary(text)}`);
    if (this.doorLog.length > LOG_KEEP) this.doorLog.shift();
    this.observeDoor(text);
    if (address !== PBX || port !== PBX_PORT) {
      this.violate(`the door sent to ${address}:${port}: ${text.slice(0, text.indexOf("\r\n"))}`);
      return true;
    }
    this.link(() => this.peerReceive(text));
    return true;
  }

  /**
   * What the door sent the stranger: only 403 to one of its requests (untrusted=reject; RFC 3261 §21.4.4), nothing
   * with untrusted=drop, never a request (no dialog, no digest answer, no transfer is ever the stranger's). A 200,
   * 481 or 491 would show the door had taken its request for the dialog it copied.
   */
  private toStranger(text: string, port: number): void {
    this.doorLog.push(`${this.clock.now()} door>stranger ${summary(text)}`);
    if (this.doorLog.length > LOG_KEEP) this.doorLog.shift();
    const first = text.slice(0, text.indexOf("\r\n"));
    const answered = parseRequest(text);
    if (this.config.acceptAny && port === STRANGER_PORT && /^st-\d+@/.test(header(answered, "Call-ID") ?? "")) {
      this.strangerOwnCall(answered);
      return;
    }
    // A BYE is taken from any address by design (a phone behind a NAT may move): the stranger who has a dialog's tags
    // can end that call, and nothing more. The dialog is over then (the same as the peer's BYE answered 2xx).
    if (port === STRANGER_PORT && / BYE$/.test(header(answered, "CSeq") ?? "") && answered.method === "SIP/2.0") {
      const status = Number(answered.uri);
      if (status >= 200 && status < 300) this.ended.add(dialogKey(header(answered, "Call-ID") ?? "", tagOf(header(answered, "To") ?? ""), tagOf(header(answered, "From") ?? "")));
      this.strangerByes++;
      return;
    }
    this.strangerAnswers++;
    // With acceptAny a copy into a dialog the door has ended is any caller's request outside a dialog: 481 (§12.2.2).
    if (port === STRANGER_PORT && this.config.acceptAny && first.startsWith("SIP/2.0 481 ")) return;
    if (port !== STRANGER_PORT || !first.startsWith("SIP/2.0 403 ") || this.config.untrusted === UntrustedAction.Drop) {
      this.violate(`the door sent the stranger (${STRANGER}:${port}, untrusted=${this.config.untrusted === UntrustedAction.Drop ? "drop" : "reject"}): ${first}`);
    }
  }

  /**
   * With acceptAny, what the door sends in the stranger's own calls: it ACKs a 2xx to its INVITE (the call is up)
   * and answers the door's requests (its BYE) 200. Nothing else is checked here: the stranger is any caller then.
   */
  private strangerOwnCall(m: ParsedRequest): void {
    this.strangerCallTraffic++;
    const callId = header(m, "Call-ID") ?? "";
    const call = this.strangerCalls.find((c) => c.callId === callId);
    if (m.method === "SIP/2.0") {
      const status = Number(m.uri);
      // A transfer is placed with the door's account: never for a call from an untrusted source (user-agent.ts transferAllowed).
      if (status < 300 && / REFER$/.test(header(m, "CSeq") ?? "")) this.violate(`the door took the stranger's REFER in its own call: ${m.uri}`);
      if (status < 200 || !/ INVITE$/.test(header(m, "CSeq") ?? "")) return;
      const to = header(m, "To") ?? "";
      const cseq = parseInt(header(m, "CSeq") ?? "1", 10);
      if (status < 300 && call !== undefined && call.doorTag === "") {
        call.doorTag = tagOf(to);
        this.strangerCallsUp++;
      }
      // §17.1.1.3 (a failure: the INVITE's branch) and §13.2.2.4 (a 2xx: a new one); a copy of either is ACKed again.
      const via = status < 300 ? `Via: SIP/2.0/UDP ${STRANGER}:${STRANGER_PORT};branch=z9hG4bKsa${++this.branchSeq};rport` : `Via: ${header(m, "Via")}`;
      this.strangerDeliver([`ACK sip:door@${DOOR}:${DOOR_PORT} SIP/2.0`, via, "Max-Forwards: 70", `From: ${header(m, "From")}`, `To: ${to}`,
        `Call-ID: ${callId}`, `CSeq: ${cseq} ACK`, "Content-Length: 0", "", ""].join("\r\n"));
      return;
    }
    if (m.method === "ACK") return;
    if (m.method === "BYE" && call !== undefined) call.ended = true;
    const lines = [`SIP/2.0 200 OK`, ...(m.headers.get("via") ?? []).map((v) => `Via: ${v}`), `From: ${header(m, "From")}`, `To: ${header(m, "To")}`,
      `Call-ID: ${callId}`, `CSeq: ${header(m, "CSeq")}`, "Content-Length: 0", "", ""];
    this.strangerDeliver(lines.join("\r\n"));
  }

  /** A datagram from the stranger, over the link. */
  private strangerDeliver(text: string): void {
    this.link(() => {
      this.doorLog.push(`${this.clock.now()} stranger> ${summary(text)}`);
      if (this.doorLog.length > LOG_KEEP) this.doorLog.shift();
      const b = Buffer.from(text, "latin1");
      this.guard("receive", () => this.intercom.receiver.receive(new Uint8Array(b.buffer, b.byteOffset, b.length), b.length, STRANGER, STRANGER_PORT));
    });
  }

  /**
   * The stranger acts: a request of a live dialog's (either way) copied with its Call-ID, tags and next CSeq but
   * sent from its own address, or an INVITE of its own. It sends the methods the trust policy guards
   * (src/ua/trust/trust-policy.ts: INVITE, INFO, MESSAGE, REFER, UPDATE: a re-INVITE or UPDATE moving the media,
   * the door code by INFO, a transfer), which in a dialog are taken only from the peer the dialog sends to. None may
   * change anything: the door answers 403 or nothing (toStranger), and the trusted calls go on (the invariants and
   * quiesce()). BYE, CANCEL, PRACK, NOTIFY and ACK of a dialog are taken from any address by design (a peer behind
   * a NAT may move, and a tag made up matches nothing): a stranger who has them could end a call, not open the door.
   */
  stranger(): void {
    const dice = this.dice;
    const own = this.strangerCalls.filter((c) => c.doorTag !== "" && !c.ended);
    if (own.length > 0 && dice.chance(0.4)) {
      // Its own call (acceptAny): the door code typed by INFO, or a transfer asked for; neither may take effect.
      const c = dice.pick(own);
      const method = dice.chance(0.75) ? "INFO" : "REFER";
      const texts = method === "INFO" ? [...DOOR_CODE].map((k) => `Signal=${k}\r\nDuration=160\r\n`) : [""];
      for (const body of texts) {
        const lines = [`${method} sip:door@${DOOR}:${DOOR_PORT} SIP/2.0`, `Via: SIP/2.0/UDP ${STRANGER}:${STRANGER_PORT};branch=z9hG4bKso${++this.branchSeq};rport`,
          "Max-Forwards: 70", `From: <sip:666@${STRANGER}>;tag=${c.tag}`, `To: <sip:door@pbx.test>;tag=${c.doorTag}`, `Call-ID: ${c.callId}`,
          `CSeq: ${++c.cseq} ${method}`, `Contact: <sip:666@${STRANGER}:${STRANGER_PORT}>`];
        if (method === "REFER") lines.push("Refer-To: <sip:200@pbx.test>");
        if (body !== "") lines.push("Content-Type: application/dtmf-relay");
        lines.push(`Content-Length: ${body.length}`, "", body);
        this.strangerDeliver(lines.join("\r\n"));
      }
      this.count(`stranger ${method} in its own call`);
      return;
    }
    const live = this.dialogs.filter((x) => x.peerTag !== "" && x.doorTag !== "" && !x.ended);
    const d = live.length > 0 && dice.chance(0.8) ? dice.pick(live) : undefined;
    let text: string;
    const branch = `z9hG4bKst${++this.branchSeq}`;
    const via = `Via: SIP/2.0/UDP ${STRANGER}:${STRANGER_PORT};branch=${branch};rport`;
    // A 2xx whose ACK must carry the answer (an INVITE without an offer, §13.2.1): the stranger's SDP in an ACK of
    // that dialog would send the call's audio to it (trust-policy.ts guards an ACK with a body).
    const answerable = live.filter((x) => x.ackCseq > 0 && x.ackNeedsSdp);
    if (answerable.length > 0 && dice.chance(0.6)) {
      const a = dice.pick(answerable);
      const lines = this.request(a, "ACK", a.ackCseq, [], phoneSdp(STRANGER), "application/sdp", branch).split("\r\n");
      lines[1] = via;
      lines[7] = `Contact: <sip:666@${STRANGER}:${STRANGER_PORT}>`;
      this.count("stranger ACK with SDP in a copied dialog");
      this.strangerSent++;
      this.strangerDeliver(lines.join("\r\n"));
      return;
    }
    if (d !== undefined) {
      const method = dice.pick(["INFO", "INFO", "INFO", "REFER", "INVITE", "UPDATE", "MESSAGE", "BYE"]);
      let body = "";
      let type = "application/sdp";
      const extra: string[] = [];
      if (method === "INFO") {
        body = `Signal=${DOOR_CODE[dice.below(DOOR_CODE.length)]!}\r\nDuration=160\r\n`;
        type = "application/dtmf-relay";
      } else if (method === "INVITE" || method === "UPDATE") {
        body = phoneSdp(STRANGER);
      } else if (method === "REFER") {
        extra.push("Refer-To: <sip:200@pbx.test>");
      } else if (method === "MESSAGE") {
        body = "open";
        type = "text/plain";
      }
      const own = this.request(d, method, d.cseq + 1 + dice.below(3), extra, body, type, branch).split("\r\n");
      own[1] = via;
      own[7] = `Contact: <sip:666@${STRANGER}:${STRANGER_PORT}>`;
      text = own.join("\r\n");
      this.count(`stranger ${method} in a copied dialog`);
    } else {
      const n = ++this.callSeq;
      text = [
        `INVITE sip:door@${DOOR}:${DOOR_PORT} SIP/2.0`, via, "Max-Forwards: 70", `From: <sip:666@${STRANGER}>;tag=st${n}`, "To: <sip:door@pbx.test>",
        `Call-ID: st-${n}@${STRANGER}`, "CSeq: 1 INVITE", `Contact: <sip:666@${STRANGER}:${STRANGER_PORT}>`, "Content-Type: application/sdp",
        `Content-Length: ${phoneSdp(STRANGER).length}`, "", phoneSdp(STRANGER),
      ].join("\r\n");
      this.count("stranger INVITE");
      this.strangerCalls.push({ callId: `st-${n}@${STRANGER}`, tag: `st${n}`, doorTag: "", cseq: 1, ended: false });
    }
    this.strangerSent++;
    this.strangerDeliver(text);
  }

  private guard(where: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.violate(`${where} threw out of the core: ${e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e)}`);
    }
  }

  violate(text: string): void {
    if (this.violations.length < 5) this.violations.push(`at ${this.clock.now()} ms: ${text}`);
  }

  // ---- time and the link ---------------------------------------------------------------

  private at(time: number, fn: () => void): void {
    const item = { at: time, seq: ++this.seq, fn };
    const q = this.queue;
    let lo = 0;
    let hi = q.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = q[mid]!;
      if (m.at < time || (m.at === time && m.seq < item.seq)) lo = mid + 1;
      else hi = mid;
    }
    q.splice(lo, 0, item);
  }

  /** One datagram over the link: lost, duplicated or held back (reordered) now and then; nothing during silence. */
  private link(fn: () => void): void {
    const now = this.clock.now();
    if (now < this.silentUntil) return;
    const d = this.dice;
    if (!this.peerStopped && this.loss > 0 && d.chance(this.loss)) return;
    const extra = !this.peerStopped && this.reorder > 0 && d.chance(this.reorder) ? 1 + d.below(400) : 0;
    this.at(now + LATENCY_MS + extra, fn);
    if (!this.peerStopped && this.dupe > 0 && d.chance(this.dupe)) this.at(now + LATENCY_MS + d.below(600), fn);
  }

  /** Run the world for `ms`: the core's wake-ups and the link's deliveries in time order. */
  run(ms: number): void {
    const end = this.clock.now() + ms;
    const clock = this.clock;
    const q = this.queue;
    for (;;) {
      const wake = clock.wakeAt ?? Infinity;
      const next = q.length > 0 ? q[0]!.at : Infinity;
      if (wake <= next && wake <= end) {
        this.guard("the clock", () => clock.advanceTo(wake));
        continue;
      }
      if (next <= end) {
        this.guard("the clock", () => clock.advanceTo(next));
        q.shift()!.fn();
        this.checkObligations();
        continue;
      }
      this.guard("the clock", () => clock.advanceTo(end));
      return;
    }
  }

  // ---- what the door sends -------------------------------------------------------------

  private observeDoor(text: string): void {
    const m = parseRequest(text);
    const callId = header(m, "Call-ID") ?? "";
    const fromTag = tagOf(header(m, "From") ?? "");
    const toTag = tagOf(header(m, "To") ?? "");
    const cseqMethod = (header(m, "CSeq") ?? "").split(/\s+/)[1] ?? "";
    const branch = branchOf(header(m, "Via") ?? "");
    if (m.method === "SIP/2.0") {
      const status = Number(m.uri);
      const key = `${branch} ${cseqMethod}`;
      const ob = this.obligations.get(key);
      if (ob !== undefined && status >= 200) ob.answered = true;
      // One final response per request (§17.2.1, §17.2.2): its retransmissions are the same.
      // Unless the table was full and gave that answered transaction's slot to a new request (layer.ts: by design,
      // counted as reclaimed): then a late copy is a new request to the door.
      if (status >= 200) {
        const first = this.finals.get(key);
        const reclaimed = this.intercom.layer.counters.reclaimed;
        if (first === undefined || reclaimed !== this.reclaimedAt.get(key)) this.finals.set(key, status);
        else if (first !== status) this.violate(`the door answered ${key} ${first}, then ${status}`);
        this.reclaimedAt.set(key, reclaimed);
      }
      // The door answered a BYE 2xx: the dialog is over (§15.1.2).
      if (cseqMethod === "BYE" && status >= 200 && status < 300) this.ended.add(dialogKey(callId, toTag, fromTag));
      if (cseqMethod === "REFER" && status === 202) this.referAccepted.add(dialogKey(callId, toTag, fromTag));
      if (cseqMethod === "REFER" && status < 300 && status >= 200 && !this.config.transfers) this.violate(`transfers=off, yet the door answered a REFER ${status}`);
      return;
    }
    if (m.method === "REGISTER" || m.method === "OPTIONS") this.lastRegisterAt = this.clock.now();
    // The preloaded Route (§8.1.2) on what starts a transaction outside a dialog through the proxy (the CANCEL and a
    // failure's ACK copy their INVITE's, §9.1, §17.1.1.3); the keepalive asks the proxy itself, and the peer never
    // record-routes, so nothing else carries one, and nothing at all without a proxy.
    // In a record-routed dialog every request carries its route set (§12.2.1.1), the ACK of a failure its INVITE's. The
    // ACK of a late 2xx whose dialog the door no longer holds (its slot took another call since) is built from the 2xx
    // alone, which need not repeat the Record-Route (a re-INVITE's): it may carry none.
    const routes = JSON.stringify(m.headers.get("route") ?? []);
    const outside = JSON.stringify(this.config.proxy ? [`<sip:${PBX}:${PBX_PORT};lr>`] : []);
    const inDialog = JSON.stringify(this.dialogs.find((x) => x.callId === callId && x.peerTag === toTag)?.routes ?? []);
    const ok = toTag === "" || m.method === "CANCEL"
      ? routes === (m.method === "OPTIONS" ? "[]" : outside)
      : m.method === "ACK" ? routes === inDialog || routes === outside || routes === "[]" : routes === inDialog;
    if (!ok) this.violate(`the door's ${m.method} ${toTag !== "" ? "in a dialog " : ""}carried Route ${routes} (proxy ${this.config.proxy}, the dialog's ${inDialog})`);
    const sent = `door ${m.method}${toTag !== "" ? " in dialog" : ""}`;
    this.doorMethods.set(sent, (this.doorMethods.get(sent) ?? 0) + 1);
    if (m.method === "REGISTER" && !this.doorBranches.has(branch)) {
      const times = this.registerTimes;
      times.push(this.clock.now());
      while (times[0]! <= this.clock.now() - 60_000) times.shift();
      if (times.length > this.maxRegistersPerMinute) this.maxRegistersPerMinute = times.length;
      // No storm, whatever the registrar answers: a refresh is at most a challenge, a 423 and a stale nonce (4), the
      // shortest grant (60 s) is refreshed after 30 s, and every failure waits at least the backoff's base (30 s).
      if (times.length > 12) this.violate(`the door began ${times.length} REGISTERs within a minute`);
    }
    if (toTag === "" || m.method === "ACK" || m.method === "CANCEL") {
      this.doorBranches.add(branch);
      return;
    }
    // A request in a dialog: never in one that ended, unless it is a retransmission.
    const key = dialogKey(callId, fromTag, toTag);
    const fresh = !this.doorBranches.has(branch);
    this.doorBranches.add(branch);
    // §12.2.1.1: each new request in a dialog has a higher CSeq than the last.
    const cseq = Number((header(m, "CSeq") ?? "0").split(/\s+/)[0]);
    if (fresh) {
      const last = this.doorCseq.get(key) ?? -1;
      if (cseq <= last) this.violate(`the door sent ${m.method} with CSeq ${cseq} after ${last} in ${key}`);
      this.doorCseq.set(key, cseq);
    }
    if (fresh && this.ended.has(key)) {
      const resentBye = m.method === "BYE" && this.byeChallenged.has(key) && (header(m, "Authorization") !== undefined || header(m, "Proxy-Authorization") !== undefined);
      const subscription = m.method === "NOTIFY" && this.referAccepted.has(key);
      if (!resentBye && !subscription) this.violate(`the door sent ${m.method} in a dialog that had ended (${key})`);
    }
    if (m.method === "BYE") this.ended.add(key);
  }

  /** §17.2: every request the door received has a final response by now. */
  private checkObligations(): void {
    // The media of a trusted call never goes where the stranger said (its SDP copied into that call's dialog).
    const ua = this.intercom.ua;
    for (const c of ua.calls) {
      if (c.remoteRtpAddress === STRANGER && ua.isTrustedCall(c)) this.violate(`trusted call ${c.index} sends its audio to the stranger`);
    }
    const now = this.clock.now();
    // The door never believes it is registered past the end of the binding the registrar gave it (registration.ts:
    // the binding is counted from when the REGISTER went, before the registrar started it).
    if (this.intercom.registered && now > this.bindingEnd) this.violate(`the door believes it is registered at ${now} ms; its binding ended at ${this.bindingEnd} ms`);
    const limit = T64 + this.config.autoAnswerMs + 4 * T1;
    for (const [key, ob] of this.obligations) {
      if (ob.answered) {
        this.obligations.delete(key);
        continue;
      }
      if (now - ob.at > limit) {
        this.violate(`no final response to ${ob.label} received at ${ob.at} ms (${key})`);
        this.obligations.delete(key);
      }
    }
  }

  // ---- the peer: what it receives ----------------------------------------------------------

  private peerReceive(text: string): void {
    const m = parseRequest(text);
    if (this.endCheck !== null && m.method !== "REGISTER" && !(m.method === "OPTIONS" && !/;tag=/.test(header(m, "To") ?? "") && m.uri.startsWith("sip:198"))) {
      // The end checks read what the door sends themselves (its REGISTERs and keepalives still go to the registrar).
      this.endCheck.push(m);
      return;
    }
    if (m.method === "SIP/2.0") {
      this.peerResponse(m, Number(m.uri));
      return;
    }
    if (m.method === "REGISTER" || (m.method === "OPTIONS" && !/;tag=/.test(header(m, "To") ?? ""))) {
      this.registrarReceive(text, m);
      return;
    }
    if (this.peerStopped) return;
    const branch = branchOf(header(m, "Via") ?? "");
    const callId = header(m, "Call-ID") ?? "";
    if (m.method === "ACK") {
      const d = this.findDialog(callId, tagOf(header(m, "From") ?? ""), tagOf(header(m, "To") ?? ""));
      if (d !== undefined) d.confirmed = true;
      return;
    }
    if (this.doorRequests.some((r) => r.branch === branch && r.method === m.method)) return; // a retransmission
    if (m.method === "INVITE" && !/;tag=/.test(header(m, "To") ?? "") && this.dice.chance(0.7)) this.peerSend(respond(m, 100, "Trying", null));
    this.doorRequests.push({ req: m, method: m.method, branch, callId, at: this.clock.now(), rseq: 0 });
  }

  private registrarReceive(text: string, m: ParsedRequest): void {
    // A copy of a request it answered (the link duplicated it, or the door resent it while the answer was on its way):
    // its server transaction absorbs it and sends the same answer again (§17.2.2), not a new one; a 403 followed by a 200
    // to the same REGISTER would leave the registrar holding a binding the door never learned of.
    const key = `${branchOf(header(m, "Via") ?? "")} ${m.method}`;
    const answered = this.registrarAnswered.get(key);
    if (answered !== undefined) {
      this.link(() => this.deliver(answered));
      return;
    }
    const d = this.dice;
    const ways = this.config.registrar;
    const register = m.method === "REGISTER";
    if (register && ways.nonceLifetimeMs > 0 && this.clock.now() - this.nonceBornAt > ways.nonceLifetimeMs) {
      this.registrar.newNonce();
      this.nonceBornAt = this.clock.now();
    }
    let out: string | null;
    const outage = register && this.registrarFaults && this.clock.now() < this.outageUntil;
    if (outage || (this.registrarFaults && d.chance(0.05))) {
      const code = outage ? this.outageCode : d.pick([408, 500, 503, 503, 403, 404, 423, 401]);
      const extra: string[] = [];
      if (code === 503) extra.push(`Retry-After: ${d.pick([0, 1, 5, 30])}`);
      // A Min-Expires below what the door asks (wrong: the door must not lower its interval, nor loop) or above it.
      if (code === 423) extra.push(`Min-Expires: ${d.pick([1800, 7200])}`);
      // A new nonce out of the blue, without stale=true (a registrar that restarted), to whatever the door sent.
      if (code === 401) {
        this.registrar.newNonce();
        this.nonceBornAt = this.clock.now();
        extra.push(`${ways.proxyChallenge ? "Proxy" : "WWW"}-Authenticate: Digest realm="pbx.test", nonce="${this.registrar.nonce}"${ways.algorithm !== "MD5" ? `, algorithm=${ways.algorithm}` : ""}${ways.qop !== null ? `, qop="${ways.qop}"` : ""}`);
      }
      out = this.registrar.respond(m, DOOR, DOOR_PORT, code === 401 && ways.proxyChallenge ? 407 : code, extra);
    } else {
      out = this.registrar.handle(text, DOOR, DOOR_PORT);
    }
    if (out !== null && register) this.granted(m, out);
    if (out !== null) {
      if (!out.startsWith("SIP/2.0 1")) {
        this.registrarAnswered.set(key, out);
        if (this.registrarAnswered.size > 64) this.registrarAnswered.delete(this.registrarAnswered.keys().next().value!);
      }
      this.link(() => this.deliver(out));
    }
  }

  /**
   * The registrar's answer to a REGISTER: a 200 starts the door's binding anew, for the interval given for its
   * Contact (its expires parameter, or the Expires header). Once the link is clean (quiescence), a binding granted
   * then must be refreshed before it ends.
   */
  private granted(m: ParsedRequest, out: string): void {
    if (!out.startsWith("SIP/2.0 200 ")) return;
    const contact = /<([^>]*)>/.exec(header(m, "Contact") ?? "")?.[1] ?? "";
    let seconds = -1;
    for (const line of out.split("\r\n")) {
      const own = /^Contact: <([^>]*)>.*;expires=(\d+)/i.exec(line);
      if (own !== null && own[1] === contact) seconds = Number(own[2]);
    }
    if (seconds < 0) seconds = Number(/\r\nExpires: (\d+)/i.exec(out)?.[1] ?? "-1");
    if (seconds < 0) {
      this.violate(`the registrar's 200 names no interval for the door's Contact ${contact}: ${out}`);
      return;
    }
    const now = this.clock.now();
    if (this.bindingGrantAt >= this.cleanSince && now > this.bindingEnd) {
      this.violate(`on a clean link the door's binding, granted at ${this.bindingGrantAt} ms, ended at ${this.bindingEnd} ms before its refresh reached the registrar at ${now} ms`);
    }
    this.bindingGrantAt = now;
    this.bindingEnd = now + seconds * 1000;
  }

  /** A response to a request the peer sent. */
  private peerResponse(m: ParsedRequest, status: number): void {
    const callId = header(m, "Call-ID") ?? "";
    const [cseqNum, cseqMethod] = (header(m, "CSeq") ?? "0 X").split(/\s+/);
    const fromTag = tagOf(header(m, "From") ?? "");
    const toTag = tagOf(header(m, "To") ?? "");
    if (cseqMethod !== "INVITE") return;
    // Responses to the peer's INVITE (initial or re-INVITE): the door's tag, its reliable provisionals, the 2xx to ACK.
    const d = this.dialogs.find((x) => x.callId === callId && x.peerTag === fromTag && x.way === "in");
    if (d === undefined) return;
    if (d.doorTag === "" && toTag !== "") {
      d.doorTag = toTag;
      d.remote = `${d.remote};tag=${toTag}`;
    } else if (toTag !== "" && toTag !== d.doorTag) {
      return; // the door never forks; ignore
    }
    const contact = /<([^>]*)>/.exec(header(m, "Contact") ?? "")?.[1];
    if (contact !== undefined) d.target = contact;
    if (status > 100 && status < 200) {
      const rseq = Number(header(m, "RSeq") ?? "0");
      if (rseq > 0 && !d.rseqs.includes(rseq)) d.rseqs.push(rseq);
    } else if (status >= 200 && status < 300) {
      if (Number(cseqNum) === d.inviteCseq) d.finalSeen = true;
      d.ackCseq = Number(cseqNum);
      d.ackNeedsSdp = Number(cseqNum) === d.inviteCseq && !d.inviteHadSdp;
      if (Number(cseqNum) === d.inviteCseq && this.dice.chance(0.6)) this.ackDialog(d); // a plain phone ACKs at once
    } else if (status >= 300) {
      // A failure: its ACK is hop by hop, in the INVITE's transaction (§17.1.1.3).
      if (Number(cseqNum) === d.inviteCseq) {
        d.finalSeen = true;
        this.peerSend(ackForFailure(d, toTag));
        if (!d.confirmed) d.ended = true;
      }
    }
  }

  private findDialog(callId: string, a: string, b: string): PDialog | undefined {
    return this.dialogs.find((d) => d.callId === callId && ((d.peerTag === a && d.doorTag === b) || (d.peerTag === b && d.doorTag === a)));
  }

  // ---- the peer: what it sends -----------------------------------------------------------------

  private deliver(text: string): void {
    if (text.startsWith("SIP/2.0 2")) {
      // The first 2xx to an INVITE from a To tag confirms that dialog, even one the door had ended early (BYE in an
      // early dialog, §15): it may ACK and end it with BYE again. A copy of that 2xx confirms nothing new.
      const m = parseRequest(text);
      if (/INVITE$/.test(header(m, "CSeq") ?? "")) {
        const key = `${branchOf(header(m, "Via") ?? "")} ${tagOf(header(m, "To") ?? "")}`;
        if (!this.seen2xx.has(key)) {
          this.seen2xx.add(key);
          this.ended.delete(dialogKey(header(m, "Call-ID") ?? "", tagOf(header(m, "From") ?? ""), tagOf(header(m, "To") ?? "")));
        }
      }
    }
    if (text.startsWith("SIP/2.0") === false && !this.peerStopped) {
      const m = parseRequest(text);
      if (m.method !== "ACK") {
        const branch = branchOf(header(m, "Via") ?? "");
        const key = `${branch} ${m.method}`;
        // The first copy only: a copy after the transaction ended may be absorbed or dropped (§17.2.3, RFC 6026).
        if (!this.obligated.has(key)) this.obligated.add(key), this.obligations.set(key, { method: m.method, at: this.clock.now(), answered: false, label: `${m.method} ${header(m, "CSeq")} ${header(m, "Call-ID")}` });
      }
    }
    this.doorLog.push(`${this.clock.now()} peer> ${FULL !== "" && text.includes(FULL) ? text : summary(text)}`);
    if (this.doorLog.length > LOG_KEEP) this.doorLog.shift();
    const b = Buffer.from(text, "latin1");
    this.guard("receive", () => this.intercom.receiver.receive(new Uint8Array(b.buffer, b.byteOffset, b.length), b.length, PBX, PBX_PORT));
  }

  peerSend(text: string): void {
    this.peerSent++;
    this.sentByPeer.push({ text, at: this.clock.now() });
    if (this.sentByPeer.length > 30) this.sentByPeer.shift();
    this.link(() => this.deliver(text));
  }

  private branch(): string {
    return `z9hG4bKsf${++this.branchSeq}`;
  }

  private request(d: PDialog, method: string, cseq: number, extra: string[], body = "", contentType = "application/sdp", branch = this.branch()): string {
    const lines = [
      `${method} ${d.target} SIP/2.0`,
      `Via: SIP/2.0/UDP ${PBX}:${PBX_PORT};branch=${branch};rport`,
      "Max-Forwards: 70",
      `From: ${d.local}`,
      `To: ${d.remote}`,
      `Call-ID: ${d.callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:100@${PBX}:${PBX_PORT}>`,
      ...extra,
    ];
    if (body !== "") lines.push(`Content-Type: ${contentType}`);
    lines.push(`Content-Length: ${body.length}`, "", body);
    return lines.join("\r\n");
  }

  count(name: string): void {
    this.actions.set(name, (this.actions.get(name) ?? 0) + 1);
    this.trace.push(`${this.clock.now()} ${name}`);
  }

  /** A new call to the door: with or without an offer, 100rel supported or required, a session timer or none. */
  newCall(): PDialog {
    const d = this.dice;
    const n = ++this.callSeq;
    const withSdp = d.chance(0.75);
    const rel = d.pick(["", "", "Supported: 100rel", "Require: 100rel"]);
    const allow = d.chance(0.5) ? [ALLOW] : [];
    const timer = d.chance(0.4) ? [`Session-Expires: ${d.pick([90, 120, 1800])}${d.pick(["", ";refresher=uac", ";refresher=uas"])}`, "Supported: timer"] : [];
    // Record-routed by the PBX (the proxy next to the door, on top), and now and then by a second proxy behind it.
    const routes = d.chance(0.3) ? recordRoutes(d) : [];
    const dialog: PDialog = {
      callId: `sf-${this.seed}-${n}@${PBX}`, way: "in", local: `"Desk" <sip:100@pbx.test>;tag=pt${n}`, remote: "<sip:door@pbx.test>",
      doorTag: "", peerTag: `pt${n}`, cseq: 1 + d.below(1000), target: `sip:door@${DOOR}:${DOOR_PORT}`, invite: "", inviteCseq: 0,
      inviteBranch: "", inviteHadSdp: withSdp, ackCseq: 0, ackNeedsSdp: false, rseqs: [], confirmed: false, ended: false, routes,
    };
    dialog.inviteCseq = dialog.cseq;
    dialog.inviteBranch = this.branch();
    const rr = routes.map((r) => `Record-Route: ${r}`);
    // Now and then an INVITE near or over the call slot's 1,500-byte buffer (a PBX's long headers): answered 513 when
    // it does not fit, the call refused and the door whole.
    const pad = d.chance(0.08) ? [`X-Padding: ${"p".repeat(700 + d.below(900))}`] : [];
    dialog.invite = this.request(dialog, "INVITE", dialog.cseq, [...(rel !== "" ? [rel] : []), ...timer, ...allow, ...rr, ...pad], withSdp ? SDP : "", "application/sdp", dialog.inviteBranch);
    this.dialogs.push(dialog);
    this.count(`INVITE in${withSdp ? "" : " no-SDP"}${rel !== "" ? ` ${rel}` : ""}${timer.length > 0 ? " timer" : ""}`);
    if (pad.length > 0) this.count(dialog.invite.length > 1500 ? "INVITE in over 1500 bytes" : "INVITE in of 1000 to 1500 bytes");
    this.peerSend(dialog.invite);
    return dialog;
  }

  private liveDialogs(way?: "in" | "out"): PDialog[] {
    return this.dialogs.filter((x) => !x.ended && (way === undefined || x.way === way));
  }

  cancel(): void {
    // A phone cancels a call it has no final response for yet (one may be on its way: the race of §9.2), once; its
    // copies are retransmit()'s.
    const early = this.liveDialogs("in").filter((x) => !x.confirmed && !x.finalSeen && !x.cancelled && x.invite !== "");
    if (early.length === 0) return;
    const dlg = this.dice.pick(early);
    dlg.cancelled = true;
    this.count("CANCEL");
    const lines = dlg.invite.split("\r\n\r\n")[0]!.split("\r\n").filter((l) => !/^(Contact|Content-[A-Za-z]+|Supported|Require|Session-Expires|Allow|Record-Route):/i.test(l));
    lines[0] = `CANCEL ${dlg.target.startsWith("sip:door@") ? `sip:door@${DOOR}:${DOOR_PORT}` : dlg.target} SIP/2.0`;
    const i = lines.findIndex((l) => l.startsWith("CSeq:"));
    lines[i] = `CSeq: ${dlg.inviteCseq} CANCEL`;
    const j = lines.findIndex((l) => l.startsWith("To:"));
    lines[j] = "To: <sip:door@pbx.test>";
    this.peerSend(`${lines.join("\r\n")}\r\nContent-Length: 0\r\n\r\n`);
  }

  private ackDialog(d: PDialog, cseq = d.ackCseq): void {
    const body = d.ackNeedsSdp ? SDP : "";
    this.peerSend(this.request(d, "ACK", cseq, [], body));
    d.confirmed = true;
    d.ackCseq = 0;
  }

  ack(): void {
    // Mostly a 2xx that waits for its ACK; now and then a late or duplicate ACK of one acknowledged long ago.
    const due = this.dialogs.filter((x) => x.ackCseq > 0);
    const waiting = due.length > 0 && this.dice.chance(0.8) ? due : this.dialogs.filter((x) => x.way === "in" && x.doorTag !== "" && x.inviteCseq > 0);
    if (waiting.length === 0) return;
    const d = this.dice.pick(waiting);
    const stale = d.ackCseq === 0;
    this.count(stale ? "ACK late/duplicate" : "ACK");
    this.ackDialog(d, stale ? d.inviteCseq : d.ackCseq);
  }

  private inDialog(): PDialog | undefined {
    const live = this.dialogs.filter((x) => x.doorTag !== "" && x.peerTag !== "" && (!x.ended || this.dice.chance(0.1)));
    return live.length > 0 ? this.dice.pick(live) : undefined;
  }

  /** A request in a dialog the peer knows (sometimes one that ended, sometimes with a stale CSeq or a wrong tag). */
  inDialogRequest(): void {
    const d = this.inDialog();
    if (d === undefined) return;
    const dice = this.dice;
    const method = dice.pick(["INVITE", "UPDATE", "BYE", "INFO", "INFO", "MESSAGE", "NOTIFY", "REFER", "OPTIONS", "PRACK"]);
    const stale = dice.chance(0.1);
    const wrongTag = dice.chance(0.05);
    const cseq = stale ? Math.max(1, d.cseq - 1) : ++d.cseq;
    const dlg = wrongTag ? { ...d, remote: d.remote.replace(/;tag=.*$/, ";tag=wrong") } : d;
    let extra: string[] = [];
    let body = "";
    let type = "application/sdp";
    switch (method) {
      case "INVITE":
        body = dice.chance(0.7) ? sdpVariant(dice) : "";
        extra = dice.chance(0.3) ? [`Session-Expires: ${dice.pick([90, 1800])};refresher=uac`, "Supported: timer"] : [];
        break;
      case "UPDATE":
        body = dice.chance(0.8) ? sdpVariant(dice) : "";
        break;
      case "INFO": {
        const digit = dice.chance(0.8) ? DOOR_CODE[dice.below(DOOR_CODE.length)]! : dice.pick(["0", "9", "*", "A"]);
        body = `Signal=${digit}\r\nDuration=160\r\n`;
        type = "application/dtmf-relay";
        break;
      }
      case "MESSAGE":
        body = "hello door";
        type = "text/plain";
        break;
      case "NOTIFY":
        extra = ["Event: refer", "Subscription-State: active;expires=60"];
        body = "SIP/2.0 100 Trying\r\n";
        type = "message/sipfrag";
        break;
      case "REFER":
        extra = [`Refer-To: <sip:${dice.pick(["200", "201"])}@pbx.test>`];
        break;
      case "PRACK": {
        const good = d.rseqs.length > 0 && dice.chance(0.6);
        const rseq = good ? dice.pick(d.rseqs) : dice.below(3) + 1 + (d.rseqs[d.rseqs.length - 1] ?? 0);
        extra = [`RAck: ${rseq} ${d.inviteCseq} INVITE`];
        break;
      }
      default:
        break;
    }
    if (method === "INVITE" && body === "") d.ackNeedsSdp = false;
    this.count(`${method} in dialog${stale ? " stale CSeq" : ""}${wrongTag ? " wrong tag" : ""}${d.ended ? " (ended)" : ""}`);
    if (method === "BYE" && !wrongTag && !stale) d.ended = true;
    if (method === "INVITE" && body === "") d.ackNeedsSdp = true;
    this.peerSend(this.request(dlg, method, cseq, extra, body, type));
  }

  /** PRACK of the door's reliable provisional: right, repeated or wrong RAck. */
  prack(): void {
    const ds = this.dialogs.filter((x) => x.way === "in" && x.rseqs.length > 0 && !x.ended);
    if (ds.length === 0) return;
    const d = this.dice.pick(ds);
    const right = this.dice.chance(0.7);
    const rseq = right ? d.rseqs[d.rseqs.length - 1]! : d.rseqs[0]! + 7;
    this.count(right ? "PRACK" : "PRACK wrong RAck");
    this.peerSend(this.request(d, "PRACK", ++d.cseq, [`RAck: ${rseq} ${d.inviteCseq} INVITE`]));
  }

  /** Out of any dialog: INFO, MESSAGE, NOTIFY, REFER, OPTIONS, BYE with an unknown Call-ID. */
  outOfDialog(): void {
    const method = this.dice.pick(["INFO", "MESSAGE", "NOTIFY", "REFER", "OPTIONS", "BYE", "SUBSCRIBE"]);
    const n = ++this.callSeq;
    const d: PDialog = {
      callId: `sf-ood-${n}@${PBX}`, way: "in", local: `<sip:100@pbx.test>;tag=o${n}`, remote: "<sip:door@pbx.test>", doorTag: "", peerTag: `o${n}`,
      cseq: 1, target: `sip:door@${DOOR}:${DOOR_PORT}`, invite: "", inviteCseq: 0, inviteBranch: "", inviteHadSdp: false, ackCseq: 0, ackNeedsSdp: false, rseqs: [], confirmed: false, ended: true,
    };
    const extra = method === "NOTIFY" ? ["Event: message-summary", "Subscription-State: active"] : method === "REFER" ? ["Refer-To: <sip:200@pbx.test>"] : method === "SUBSCRIBE" ? ["Event: presence", "Expires: 60"] : [];
    const body = method === "MESSAGE" ? "hi" : method === "INFO" ? "Signal=1\r\nDuration=160\r\n" : "";
    this.count(`${method} out of dialog`);
    this.peerSend(this.request(d, method, 1, extra, body, method === "MESSAGE" ? "text/plain" : "application/dtmf-relay"));
  }

  /** A final or provisional response to one of the door's requests still unanswered. */
  answerDoor(): void {
    const open = this.doorRequests;
    // A request older than its transaction (64*T1): the door gave it up (Timer B/F), and so did the peer's side.
    const now = this.clock.now();
    for (let k = open.length - 1; k >= 0; k--) if (now - open[k]!.at > T64) open.splice(k, 1);
    if (open.length === 0) return;
    const dice = this.dice;
    const i = dice.below(open.length);
    const r = open[i]!;
    const m = r.req;
    const initial = r.method === "INVITE" && !/;tag=/.test(header(m, "To") ?? "");
    let status: number;
    switch (r.method) {
      case "INVITE":
        status = initial
          ? dice.pick([180, 180, 183, 183, 200, 200, 200, 200, 302, 401, 407, 408, 480, 486, 487, 491, 500, 503, 603])
          : dice.pick([200, 200, 200, 401, 407, 408, 481, 488, 491, 500]);
        break;
      case "CANCEL":
        status = dice.pick([200, 200, 481]);
        break;
      case "BYE":
        status = dice.pick([200, 200, 200, 401, 408, 481, 500, 503]);
        break;
      case "UPDATE":
        status = dice.pick([200, 200, 401, 481, 491, 500]);
        break;
      case "PRACK":
        status = dice.pick([200, 200, 200, 481]);
        break;
      default:
        status = dice.pick([200, 200, 202, 481, 408, 500, 503]);
        break;
    }
    this.answer(r, status);
  }

  private answer(r: DoorRequest, status: number): void {
    const dice = this.dice;
    const m = r.req;
    const initial = r.method === "INVITE" && !/;tag=/.test(header(m, "To") ?? "");
    const extra: string[] = [];
    let body = "";
    let tag: string | null = /;tag=/.test(header(m, "To") ?? "") ? null : `${r.callId.length % 7}a${r.branch.slice(-4)}`;
    if (initial && status >= 200 && status < 300 && dice.chance(0.25)) tag = `fork${dice.below(2)}`; // forked 2xx: another To tag
    let label = `${status} to ${r.method}`;
    if (status === 183 || (status === 180 && dice.chance(0.3))) {
      if (dice.chance(0.6)) {
        r.rseq = r.rseq + 1 + dice.below(2);
        extra.push("Require: 100rel", `RSeq: ${r.rseq}`);
        label += " reliable";
      }
      if (dice.chance(0.6)) body = SDP;
    }
    if (status >= 200 && status < 300 && (r.method === "INVITE" || r.method === "UPDATE") && /application\/sdp/.test(header(m, "Content-Type") ?? "")) body = sdpVariant(dice);
    if (status === 302) extra.push(`Contact: <sip:${dice.pick(["102", "103"])}@${PBX}:${PBX_PORT}>`);
    if (status === 401) extra.push(`WWW-Authenticate: Digest realm="pbx.test", nonce="c${++this.nonce}", qop="auth"`);
    if (status === 407) extra.push(`Proxy-Authenticate: Digest realm="pbx.test", nonce="c${++this.nonce}"`);
    if (status === 503 || status === 500) extra.push(`Retry-After: ${dice.pick([1, 5, 30])}`);
    if (status === 491 || status === 486) extra.push("Retry-After: 2");
    if (status >= 200 && status < 300 && r.method === "INVITE" && dice.chance(0.5)) extra.push(ALLOW);
    if (status >= 200 && status < 300 && r.method === "INVITE" && dice.chance(0.3)) extra.push(`Session-Expires: ${dice.pick([90, 1800])};refresher=${dice.pick(["uac", "uas"])}`, "Require: timer");
    // The door's call record-routed: every response to its INVITE carries the same Record-Route, the proxy nearest
    // the door last (the door reverses it into its route set, §12.1.2).
    let routes = this.recordRouted.get(r.callId);
    if (initial && routes === undefined) this.recordRouted.set(r.callId, (routes = dice.chance(0.3) ? recordRoutes(dice) : []));
    if (initial && routes !== undefined) for (const x of [...routes].reverse()) extra.push(`Record-Route: ${x}`);
    this.count(label);
    const text = respond(m, status, reasonOf(status), tag, extra, body);
    if (status >= 200) {
      this.doorRequests.splice(this.doorRequests.indexOf(r), 1);
      const key = dialogKey(r.callId, tagOf(header(m, "From") ?? ""), tag ?? tagOf(header(m, "To") ?? ""));
      if (r.method === "BYE" && (status === 401 || status === 407)) this.byeChallenged.add(key);
      if (initial && status < 300) this.outDialog(m, tag!, routes);
    }
    // A provisional with a tag makes an early dialog (§12.1): the callee may send in it (UPDATE, INFO; a BYE, which
    // §15 forbids a callee yet some send).
    if (initial && status > 100 && status < 200 && tag !== null) this.outDialog(m, tag, routes);
    this.peerSend(text);
    // Forking: a second 2xx from another To tag now and then.
    if (initial && status >= 200 && status < 300 && dice.chance(0.2)) {
      const other = `fork${2 + dice.below(2)}`;
      this.count("forked 2xx");
      this.outDialog(m, other, routes);
      this.peerSend(respond(m, 200, "OK", other, (routes ?? []).slice().reverse().map((x) => `Record-Route: ${x}`), body));
    }
  }

  /** The door's INVITE answered 2xx: the peer's side of that dialog. */
  private outDialog(m: ParsedRequest, tag: string, routes: string[] = []): void {
    const callId = header(m, "Call-ID") ?? "";
    const from = header(m, "From") ?? "";
    if (this.dialogs.some((x) => x.callId === callId && x.peerTag === tag)) return;
    const contact = /<([^>]*)>/.exec(header(m, "Contact") ?? "")?.[1] ?? `sip:door@${DOOR}:${DOOR_PORT}`;
    const cseq = Number((header(m, "CSeq") ?? "1").split(" ")[0]);
    this.dialogs.push({
      callId, way: "out", local: `${header(m, "To")};tag=${tag}`, remote: from, doorTag: tagOf(from), peerTag: tag, cseq: 1 + this.dice.below(100),
      target: contact, invite: "", inviteCseq: cseq, inviteBranch: "", inviteHadSdp: true, ackCseq: 0, ackNeedsSdp: false, rseqs: [], confirmed: false, ended: false,
      routes,
    });
  }

  /** A message the peer sent earlier, sent again verbatim (a retransmission, or a duplicate from a proxy). */
  retransmit(): void {
    // A copy comes within a transaction's life (64*T1): a UAS resends its 2xx, a UAC its request, a proxy duplicates.
    // An INVITE only until the door's final response (a UAC stops then, and the door's transaction ends Timer I after
    // the ACK, §17.2.1); anything else within half of Timer J, while the door's transaction still absorbs it.
    const now = this.clock.now();
    const recent = this.sentByPeer.filter((x) => now - x.at < T64 / 2 && !(x.text.startsWith("INVITE ") && this.finals.has(`${branchOf(x.text)} INVITE`)));
    if (recent.length === 0) return;
    const text = this.dice.pick(recent).text;
    this.count(`again: ${text.slice(0, text.indexOf(" "))}`);
    this.link(() => this.deliver(text));
  }

  /**
   * The registrar refuses every REGISTER for a while, as one does when it restarts (503, with or without
   * Retry-After, even 0), is misconfigured (403, 404, 500) or no longer takes the password (401 with a new nonce
   * each time, never stale): the door keeps trying, never faster than its backoff.
   */
  registrarOutage(ms: number): void {
    this.outageCode = this.dice.pick([401, 403, 404, 500, 503]);
    this.count(`registrar outage ${this.outageCode}`);
    this.outageUntil = this.clock.now() + ms;
  }

  silence(ms: number): void {
    this.count(`silence ${ms} ms`);
    this.silentUntil = this.clock.now() + ms;
  }

  press(): void {
    this.count("doorbell/hang-up key");
    this.guard("press", () => this.intercom.press());
  }

  /** An RFC 4733-free door code by INFO in a dialog that is up (the whole code, maybe too early or too late). */
  doorCode(): void {
    const ups = this.dialogs.filter((x) => x.confirmed && !x.ended && x.doorTag !== "");
    if (ups.length === 0) return;
    const d = this.dice.pick(ups);
    if (this.dice.chance(0.5)) {
      this.count("door code by INFO");
      for (const digit of DOOR_CODE) this.peerSend(this.request(d, "INFO", ++d.cseq, [], `Signal=${digit}\r\nDuration=160\r\n`, "application/dtmf-relay"));
      return;
    }
    // RFC 4733 §2.5: each key an event with its start packet (marker) and three copies of its end; to every call slot's
    // RTP port (the one serving the call takes them, the others count strays), lost, duplicated and reordered as SIP is.
    this.count("door code by RFC 4733");
    const ic = this.intercom;
    for (const digit of DOOR_CODE) {
      const event = digit === "#" ? 11 : digit === "*" ? 10 : Number(digit);
      const ts = (this.rtpTs += 8000);
      for (let k = 0; k < 4; k++) {
        const p = new Uint8Array(16);
        const seq = ++this.rtpSeq & 0xffff;
        p[0] = 0x80;
        p[1] = (k === 0 ? 0x80 : 0) | 101;
        p[2] = seq >> 8;
        p[3] = seq & 0xff;
        p[4] = (ts >>> 24) & 0xff;
        p[5] = (ts >>> 16) & 0xff;
        p[6] = (ts >>> 8) & 0xff;
        p[7] = ts & 0xff;
        p[8] = 0x12;
        p[9] = 0x34;
        p[10] = 0x56;
        p[11] = 0x78;
        p[12] = event;
        p[13] = (k === 0 ? 0 : 0x80) | 10;
        const duration = k === 0 ? 160 : 800;
        p[14] = duration >> 8;
        p[15] = duration & 0xff;
        this.link(() => {
          for (let slot = 0; ; slot++) {
            const r = ic.rtpReceiver(slot);
            if (r === null) break;
            this.guard("RTP receive", () => r.receive(p, p.length, PBX, 49170));
          }
        });
      }
    }
  }

  // ---- quiescence and the end checks ---------------------------------------------------------

  /** The peer stops; every timer runs out; then the end state is checked. Returns the failures. */
  quiesce(): string[] {
    this.peerStopped = true;
    this.registrarFaults = false;
    this.cleanSince = this.clock.now();
    this.silentUntil = 0;
    this.doorRequests.length = 0;
    // Every timer runs out: a transaction's 64*T1, then the longest of the call limit and the longest session
    // interval the peer asks (1800 s; the registration's backoff after the registrar's faults is no longer).
    this.run(T64 + Math.max(CALL_LIMIT_MS, SESSION_MAX_MS) + 10_000);
    const fails: string[] = [];
    const ic = this.intercom;
    // A REGISTER refresh or a keepalive OPTIONS (every 30 s) may be under way, its transaction alive for Timer K
    // (T4) after the answer: the tables are looked at in a moment between two. A transaction that leaked stays.
    for (let i = 0; i < 240 && (ic.layer.clientCount > 0 || ic.layer.serverCount > 0); i++) this.run(500);
    const states = ic.ua.calls.map((c) => c.state);
    if (states.some((s) => s !== CallState.Idle)) fails.push(`call slots not free after quiescence: states ${states.join(",")}`);
    if (ic.ua.activeCalls !== 0) fails.push(`activeCalls ${ic.ua.activeCalls} after quiescence`);
    if (ic.layer.serverCount !== 0) fails.push(`server transactions in use after quiescence: ${ic.layer.serverCount} (${tables(ic, "servers")})`);
    if (ic.layer.clientCount !== 0) fails.push(`client transactions in use after quiescence: ${ic.layer.clientCount} (${tables(ic, "clients")})`);
    if (ic.hunt.running) fails.push("the hunt is still active after quiescence");
    if (!ic.registered) fails.push("not registered after quiescence");
    if (fails.length > 0) return fails;
    return this.endToEnd();
  }

  /** After quiescence, on a clean link: OPTIONS 200, a call to the door, a doorbell call, both up and ended. */
  private endToEnd(): string[] {
    const fails: string[] = [];
    this.peerStopped = false;
    this.loss = 0;
    this.dupe = 0;
    this.reorder = 0;
    const seen: ParsedRequest[] = [];
    this.endCheck = seen;
    const o = `sf-end-options@${PBX}`;
    this.deliver(`OPTIONS sip:door@${DOOR}:${DOOR_PORT} SIP/2.0\r\nVia: SIP/2.0/UDP ${PBX}:${PBX_PORT};branch=z9hG4bKendopt\r\nMax-Forwards: 70\r\nFrom: <sip:pbx@pbx.test>;tag=eo\r\nTo: <sip:door@pbx.test>\r\nCall-ID: ${o}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`);
    this.run(100);
    if (!seen.some((m) => m.method === "SIP/2.0" && m.uri === "200" && header(m, "Call-ID") === o)) fails.push(`OPTIONS not answered 200: ${seen.map((m) => `${m.method} ${m.uri}`).join(", ")}`);
    // A fresh incoming call: INVITE with an offer, 200, ACK, BYE 200.
    const d: PDialog = {
      callId: `sf-end-in@${PBX}`, way: "in", local: "<sip:100@pbx.test>;tag=endin", remote: "<sip:door@pbx.test>", doorTag: "", peerTag: "endin", cseq: 1,
      target: `sip:door@${DOOR}:${DOOR_PORT}`, invite: "", inviteCseq: 1, inviteBranch: "", inviteHadSdp: true, ackCseq: 0, ackNeedsSdp: false, rseqs: [], confirmed: false, ended: false,
    };
    seen.length = 0;
    this.deliver(this.request(d, "INVITE", 1, [], SDP));
    this.run(this.config.autoAnswerMs + 500);
    const ok = seen.find((m) => m.method === "SIP/2.0" && m.uri === "200" && header(m, "Call-ID") === d.callId);
    if (ok === undefined) {
      fails.push(`a fresh call was not answered 200: ${seen.map((m) => `${m.method} ${m.uri}`).join(", ")}`);
      return fails;
    }
    d.doorTag = tagOf(header(ok, "To") ?? "");
    d.remote += `;tag=${d.doorTag}`;
    this.deliver(this.request(d, "ACK", 1, []));
    this.run(100);
    if (!this.intercom.ua.calls.some((c) => c.state === CallState.Up)) fails.push("the fresh call did not come up");
    seen.length = 0;
    this.deliver(this.request(d, "BYE", 2, []));
    this.run(100);
    if (!seen.some((m) => m.method === "SIP/2.0" && m.uri === "200" && header(m, "CSeq") === "2 BYE")) fails.push("the fresh call's BYE was not answered 200");
    this.run(T64);
    // The doorbell: INVITE out, 180, 200, the door's ACK, BYE from the phone.
    seen.length = 0;
    this.guard("press", () => this.intercom.press());
    this.run(200);
    const inv = seen.find((m) => m.method === "INVITE");
    if (inv === undefined) {
      fails.push(`the doorbell sent no INVITE: ${seen.map((m) => `${m.method} ${m.uri}`).join(", ")} (events: ${this.events.slice(-5).join("; ")})`);
      return fails;
    }
    const more = seen.filter((m) => m.method === "INVITE" && m !== inv);
    for (const x of more) this.deliver(respond(x, 486, "Busy Here", "busy"));
    this.deliver(respond(inv, 180, "Ringing", "endout"));
    this.deliver(respond(inv, 200, "OK", "endout", [], SDP));
    this.run(200);
    if (!seen.some((m) => m.method === "ACK" && header(m, "Call-ID") === header(inv, "Call-ID"))) fails.push("the doorbell call's 200 was not acknowledged");
    if (!this.intercom.ua.calls.some((c) => c.state === CallState.Up)) fails.push("the doorbell call did not come up");
    const out: PDialog = {
      callId: header(inv, "Call-ID")!, way: "out", local: `${header(inv, "To")};tag=endout`, remote: header(inv, "From")!, doorTag: "", peerTag: "endout", cseq: 1,
      target: /<([^>]*)>/.exec(header(inv, "Contact") ?? "")?.[1] ?? `sip:door@${DOOR}`, invite: "", inviteCseq: 0, inviteBranch: "", inviteHadSdp: true, ackCseq: 0, ackNeedsSdp: false, rseqs: [], confirmed: true, ended: false,
    };
    seen.length = 0;
    this.deliver(this.request(out, "BYE", 2, []));
    this.run(T64);
    if (!seen.some((m) => m.method === "SIP/2.0" && m.uri === "200" && header(m, "CSeq") === "2 BYE")) fails.push("the doorbell call's BYE was not answered 200");
    if (this.intercom.ua.activeCalls !== 0) fails.push("calls left after the end-to-end calls");
    return fails;
  }

}

let nonceCount = 0;

/** The transactions still in use, for a failure report: method/state/due (the layer's private tables, read only). */
function tables(ic: Intercom, which: "clients" | "servers"): string {
  const rows = (ic.layer as unknown as Record<string, { inUse: boolean; state: number; method: number; due: number }[]>)[which] ?? [];
  return rows.filter((t) => t.inUse).map((t) => `method ${t.method} state ${t.state} due ${t.due}`).join("; ");
}

/** Start line, CSeq, tags and branch of a message, for the logs. */
function summary(text: string): string {
  const m = parseRequest(text);
  return `${text.slice(0, text.indexOf("\r\n")).replace(/ SIP\/2\.0$/, "")} | ${header(m, "CSeq")} | ${header(m, "Call-ID")?.slice(0, 12)} f=${tagOf(header(m, "From") ?? "")} t=${tagOf(header(m, "To") ?? "")} ${branchOf(header(m, "Via") ?? "")}`;
}

/** A Record-Route as proxies write it: the PBX (the door's next hop, so its entry is nearest the door), maybe a second behind it. */
function recordRoutes(dice: Dice): string[] {
  const near = `<sip:${PBX}:${PBX_PORT};lr;ftag=${dice.below(1000)}>`;
  return dice.chance(0.3) ? [near, "<sip:198.51.100.9;lr>"] : [near];
}

function tagOf(v: string): string {
  return /;\s*tag=([^;>\s]+)/i.exec(v)?.[1] ?? "";
}

function branchOf(via: string): string {
  return /;\s*branch=([^;,\s]+)/i.exec(via)?.[1] ?? "";
}

function dialogKey(callId: string, doorTag: string, peerTag: string): string {
  return `${callId}|${doorTag}|${peerTag}`;
}

function reasonOf(status: number): string {
  switch (status) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 183: return "Session Progress";
    case 200: return "OK";
    case 202: return "Accepted";
    case 302: return "Moved Temporarily";
    case 401: return "Unauthorized";
    case 407: return "Proxy Authentication Required";
    case 408: return "Request Timeout";
    case 480: return "Temporarily Unavailable";
    case 481: return "Call/Transaction Does Not Exist";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 491: return "Request Pending";
    case 500: return "Server Internal Error";
    case 503: return "Service Unavailable";
    case 603: return "Decline";
    default: return "Whatever";
  }
}

/** A response to a request the door sent: Vias, From, To (+ tag), Call-ID, CSeq copied (§8.2.6.2). */
export function respond(m: ParsedRequest, status: number, reason: string, tag: string | null, extra: string[] = [], body = ""): string {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const v of m.headers.get("via") ?? []) lines.push(`Via: ${v}`);
  const to = header(m, "To") ?? "";
  lines.push(`From: ${header(m, "From")}`, `To: ${to}${tag !== null && status > 100 && !/;tag=/.test(to) ? `;tag=${tag}` : ""}`);
  lines.push(`Call-ID: ${header(m, "Call-ID")}`, `CSeq: ${header(m, "CSeq")}`);
  if (status > 100 && status < 300 && (m.method === "INVITE" || m.method === "UPDATE" || m.method === "SUBSCRIBE")) lines.push(`Contact: <sip:100@${PBX}:${PBX_PORT}>`);
  lines.push(...extra);
  if (body !== "") lines.push("Content-Type: application/sdp");
  lines.push(`Content-Length: ${body.length}`, "", body);
  return lines.join("\r\n");
}

/** The ACK of a non-2xx final response to the peer's INVITE: the INVITE's branch, To with the response's tag. */
function ackForFailure(d: PDialog, toTag: string): string {
  const head = d.invite.split("\r\n\r\n")[0]!.split("\r\n").filter((l) => !/^(Contact|Content-[A-Za-z]+|Supported|Require|Session-Expires|Allow|Record-Route):/i.test(l));
  head[0] = `ACK sip:door@${DOOR}:${DOOR_PORT} SIP/2.0`;
  const i = head.findIndex((l) => l.startsWith("CSeq:"));
  head[i] = `CSeq: ${d.inviteCseq} ACK`;
  const j = head.findIndex((l) => l.startsWith("To:"));
  head[j] = `To: <sip:door@pbx.test>${toTag !== "" ? `;tag=${toTag}` : ""}`;
  return `${head.join("\r\n")}\r\nContent-Length: 0\r\n\r\n`;
}

/** The run's registrar (RegistrarWays): most runs the plain one, each way drawn on its own. */
function registrarWays(dice: Dice): RegistrarWays {
  const maxExpires = dice.pick([604_800, 604_800, 604_800, 600, 120, 60]);
  return {
    maxExpires,
    minExpires: maxExpires === 604_800 && dice.chance(0.15) ? 7200 : 0,
    algorithm: dice.pick<Algorithm>(["MD5", "MD5", "MD5", "MD5-sess", "SHA-256", "SHA-256-sess"]),
    qop: dice.chance(0.8) ? "auth" : null,
    proxyChallenge: dice.chance(0.2),
    expiresHeaderOnly: dice.chance(0.2),
    otherBinding: dice.chance(0.2),
    nonceLifetimeMs: dice.pick([0, 0, 25_000, 300_000]),
    optionsStatus: dice.pick([200, 200, 200, 404, 405, 501]),
  };
}

/** One run: `steps` actions of the peer, then quiescence and the end checks. */
export function sfuzzRun(seed: number, steps: number): { world: SfuzzWorld; failures: string[] } {
  const dice = new Dice(seed ^ 0x5f0e);
  const w = new SfuzzWorld(seed, dice);
  w.loss = dice.pick([0, 0.02, 0.1]);
  w.dupe = dice.pick([0, 0.05, 0.2]);
  w.reorder = dice.pick([0, 0.05, 0.2]);
  w.intercom.start();
  w.run(2_000);
  if (!w.intercom.registered) w.run(40_000);
  for (let i = 0; i < steps && w.violations.length === 0; i++) {
    const r = dice.below(100);
    if (r < 12) w.newCall();
    else if (r < 17) w.cancel();
    else if (r < 27) w.ack();
    else if (r < 45) w.inDialogRequest();
    else if (r < 50) w.prack();
    else if (r < 55) w.outOfDialog();
    else if (r < 75) w.answerDoor();
    else if (r < 80) w.retransmit();
    else if (r < 82) w.silence(1000 + dice.below(40_000));
    else if (r < 90) w.press();
    else if (r < 94) w.doorCode();
    else if (r < 98) w.stranger();
    else if (r < 99) w.registrarOutage(10_000 + dice.below(170_000));
    // The time to the next step: mostly a moment, sometimes seconds, now and then long (timers run out).
    const t = dice.below(100);
    w.run(t < 60 ? dice.below(150) : t < 90 ? dice.below(4000) : t < 98 ? dice.below(40_000) : dice.below(200_000));
  }
  const failures = [...w.violations];
  if (failures.length === 0) failures.push(...w.quiesce(), ...w.violations);
  return { world: w, failures };
}
