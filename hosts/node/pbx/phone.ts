/*
 * The desk phone of the loopback PBX: a scripted SIP user agent on its own
 * UDP socket, extension 100 by default. Written on its own, independently of
 * the core's transaction and dialog code, so that it can check the door's
 * behaviour rather than share its mistakes.
 *
 * - Registers at the PBX (answering the 401) and refreshes at half the
 *   granted interval.
 * - Called (INVITE from the PBX): 180 Ringing after ringMs, 200 OK with an
 *   SDP answer (PCMU preferred, PCMA, telephone-event when offered) after
 *   answerMs, retransmitted until the ACK (RFC 3261 §13.3.1.4); then after
 *   dtmfDelayMs the door code as SIP INFO, one per digit
 *   (application/dtmf-relay "Signal=1\r\nDuration=160\r\n"), each after the
 *   previous one's final response; then BYE after hangupMs, or waits for the
 *   door's BYE (hangup: "wait"). incoming: "busy" answers 486, "ring" rings
 *   until CANCEL.
 * - call("door"): INVITE sip:door@<domain> through the PBX with an SDP offer
 *   (PCMU 0, PCMA 8, telephone-event 101), answers a 401/407 once, ACKs the
 *   200 through the route set learned from Record-Route (§12.1.2), sends the
 *   door code as INFO, holds the call for holdMs, then BYE.
 * - Audio (phone-media.ts): once a call is up, RTP to the door's SDP address
 *   (G.711 as agreed, 20 ms packets): a tone (toneHz) for toneMs, then
 *   silence; the door's RTP is checked (payload type, 20 ms, sequence and
 *   timestamp progress, one SSRC, symmetric port) and its audio kept:
 *   mediaReport(callId) after the call. The door code goes as RFC 4733
 *   telephone-events instead of INFO with dtmf: "rfc4733".
 * - Answers BYE, INFO and OPTIONS with 200, re-INVITE with the same SDP,
 *   CANCEL with 200 (and 487 for the INVITE while ringing), anything else
 *   with 405; unknown dialogs get 481.
 * - Retransmits like RFC 3261 §17.1 (Timer A until a response for INVITE,
 *   Timer E capped at T2 for the others, Timers B/F give up), answers
 *   retransmitted requests with the last response, ACKs retransmitted final
 *   responses again.
 * - Reports each step as an event (EventEmitter, and `history`).
 *
 * stop() clears every timer, ends a call in progress (reason "stopped"),
 * settles every pending wait, and closes the sockets. No promise it returns
 * ever rejects, except waitFor() on its timeout.
 */
import { EventEmitter } from "node:events";
import { authorize } from "./digest";
import {
  branchOf, endpoint, newBranch, parseNameAddr, parseSip, parseUri, randomHex,
  responseTo, SipMsg, stripBrackets, tagOf, uriOf, param,
} from "./sip";
import { TappedSocket, type TapHub } from "./tap";
import { agreed, PhoneMediaSession, sdpAudio, type PhoneMediaReport } from "./phone-media";

export type CallDirection = "incoming" | "outgoing";
/**
 * How the phone types digits: SIP INFO (RFC 6086, application/dtmf-relay),
 * RFC 4733 telephone-events in the RTP stream, or tones in the audio
 * (in-band, as a mobile phone behind a gateway that does not convert them:
 * its SDP then has no telephone-event).
 */
export type DtmfMode = "info" | "rfc4733" | "inband";

export type EndReason =
  /** The phone sent BYE. */
  | "local-bye"
  /** The other side sent BYE. */
  | "remote-bye"
  /** CANCEL received (incoming) or the INVITE ended with 487 (outgoing). */
  | "cancelled"
  /** 486/600 (or the phone answered 486 itself). */
  | "busy"
  /** Another final failure response (see status). */
  | "rejected"
  /** No response / no ACK in time. */
  | "timeout"
  | "no-ack"
  /** stop() during the call. */
  | "stopped"
  /** The call could not start (another call in progress, bad target). */
  | "failed";

export interface PhoneEvents {
  registered: [{ expires: number; contact: string }];
  "registration-failed": [{ status: number; reason: string }];
  /** An INVITE arrived. */
  incoming: [{ callId: string; from: string }];
  /** Incoming: 180 sent; outgoing: 180/183 received. */
  ringing: [{ callId: string; direction: CallDirection }];
  /** Incoming: the ACK for our 200 arrived; outgoing: 200 received and ACKed. */
  answered: [{ callId: string; direction: CallDirection }];
  /** A DTMF INFO got its final response (status), or an RFC 4733 event's end packets went out (status 0). */
  dtmf: [{ callId: string; digit: string; status: number; via: DtmfMode }];
  ended: [{ callId: string; direction: CallDirection; reason: EndReason; status: number }];
  warning: [{ message: string }];
}

export type PhoneEventName = keyof PhoneEvents;
export type PhoneEventData<K extends PhoneEventName> = PhoneEvents[K][0];
/** One entry of DeskPhone.history. */
export type PhoneHistoryEntry = { [K in PhoneEventName]: { type: K; time: number } & PhoneEventData<K> }[PhoneEventName];

export interface CallResult {
  callId: string;
  direction: CallDirection;
  reason: EndReason;
  /** The final status that ended it (0 when none). */
  status: number;
}

export interface DeskPhoneBehaviour {
  /** INVITE -> 180 Ringing, ms (default 0). */
  ringMs?: number;
  /** INVITE -> 200 OK, ms (default 1000; at least ringMs). */
  answerMs?: number;
  /** What to do with an INVITE: "answer" (default), "busy" (486), "ring" (180, then wait for CANCEL). */
  incoming?: "answer" | "busy" | "ring";
  /** Digits sent as INFO once a call is up ("" for none). 0-9 * # A-D. Default "#". */
  doorCode?: string;
  /** Call up -> first INFO, ms (default 500). */
  dtmfDelayMs?: number;
  /** Pause after each INFO's response, ms (default 200). */
  dtmfGapMs?: number;
  /** Duration= in the INFO body, ms (default 160). */
  dtmfDurationMs?: number;
  /** Incoming calls: "bye" (default) hangs up hangupMs after the code; "wait" waits for the door's BYE. */
  hangup?: "bye" | "wait";
  /** Last INFO answered (or call up, without a code) -> BYE, ms (default 1000). */
  hangupMs?: number;
  /** Outgoing calls: time held (after the code) before BYE, ms (default 3000). */
  callHoldMs?: number;
  /** How the door code is typed (default "info"). */
  dtmf?: DtmfMode;
  /** Send RTP in calls (default true). */
  rtp?: boolean;
  /** The tone sent at the start of each call, Hz (default 800), and for how long, ms (default 1000; silence after it). */
  toneHz?: number;
  toneMs?: number;
}

export interface DeskPhoneOptions extends DeskPhoneBehaviour {
  hub: TapHub;
  /** Where the PBX is. */
  pbx: { address: string; port: number };
  /** The SIP domain (Request-URI of REGISTER, AORs). */
  domain: string;
  /** Extension and digest user (default "100"). */
  user?: string;
  password: string;
  /** Bind address (default 127.0.0.1) and port (default 0, ephemeral). */
  address?: string;
  port?: number;
  /** Expires asked for (default 3600). */
  expires?: number;
  /** RFC 3261 T1, ms (default 500); timeouts are 64*T1. */
  t1Ms?: number;
  /** RFC 3261 T2 (the retransmission interval's cap), ms (default 4000). */
  t2Ms?: number;
  log?: (line: string) => void;
}

const ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO";
const USER_AGENT = "doorsip-loopback-phone";
const T2 = 4000;
const DIGITS = /^[0-9*#A-Da-d]*$/;

interface ClientTx {
  branch: string;
  method: string;
  bytes: Uint8Array;
  dest: { address: string; port: number };
  resolve: (res: SipMsg | null) => void;
  onProvisional: ((res: SipMsg) => void) | undefined;
  retransmit: NodeJS.Timeout | null;
  timeout: NodeJS.Timeout | null;
  interval: number;
  /** A response arrived (INVITE stops retransmitting). */
  heard: boolean;
  done: boolean;
  /** The ACK sent for a non-2xx final response (resent if the response is). */
  ack: Uint8Array | null;
}

interface ServerTx {
  last: Uint8Array | null;
  dest: { address: string; port: number };
  at: number;
}

type CallState = "calling" | "ringing" | "answering" | "confirmed" | "ended";

interface Call {
  id: string;
  direction: CallDirection;
  state: CallState;
  /** Our From/To value (with our tag) and theirs (with their tag once known). */
  local: string;
  remote: string;
  localTag: string;
  remoteTarget: string;
  routeSet: string[];
  localCseq: number;
  /** Incoming: the INVITE (stamped Via), its source and its server-tx key. */
  invite: SipMsg | null;
  inviteKey: string;
  /** Outgoing: the INVITE as sent (for CANCEL) and where. */
  sentInvite: SipMsg | null;
  provisional: boolean;
  cancelWanted: boolean;
  /** Our SDP. */
  sdp: string;
  /** Incoming: the 200 being retransmitted until the ACK. */
  ok: Uint8Array | null;
  okTimer: NodeJS.Timeout | null;
  okInterval: number;
  okDeadline: number;
  ackWaiter: ((acked: boolean) => void) | null;
  /** Outgoing: the ACK, resent for a retransmitted 200. */
  ack: Uint8Array | null;
  ackDest: { address: string; port: number } | null;
  code: string;
  holdMs: number;
  dtmf: DtmfMode;
  /** The door's SDP (its offer, or its answer), and the RTP session once the call is up. */
  remoteSdp: string;
  media: PhoneMediaSession | null;
  reported: boolean;
  done: (r: CallResult) => void;
  result: Promise<CallResult>;
}

export class DeskPhone extends EventEmitter<PhoneEvents> {
  readonly user: string;
  readonly address: string;
  readonly port: number;
  readonly endpoint: string;
  readonly rtpPort: number;
  /** sip:<user>@<address>:<port> */
  readonly contact: string;
  readonly domain: string;
  /** Every event, in order, with its time (ms since the hub's start). */
  readonly history: PhoneHistoryEntry[] = [];
  /** The behaviour; may be changed between calls. */
  readonly behaviour: Required<DeskPhoneBehaviour>;
  registered = false;
  /** RTP datagrams received on rtpPort. */
  rtpReceived = 0;
  /** The RTP of each call (both directions), newest last; the last 20. */
  readonly mediaReports: PhoneMediaReport[] = [];

  private readonly o: DeskPhoneOptions;
  private readonly hub: TapHub;
  private readonly socket: TappedSocket;
  private readonly rtp: TappedSocket;
  private readonly t1: number;
  private readonly t2: number;
  private readonly clients = new Map<string, ClientTx>();
  private readonly servers = new Map<string, ServerTx>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Set<(ok: boolean) => void>();
  private readonly waiters = new Set<() => void>();
  private current: Call | null = null;
  private regCallId = `${randomHex(12)}@loopback`;
  private regCseq = 0;
  private refreshTimer: NodeJS.Timeout | null = null;
  private sweeper: NodeJS.Timeout;
  private stopped = false;

  private constructor(o: DeskPhoneOptions, socket: TappedSocket, rtp: TappedSocket) {
    super();
    this.o = o;
    this.hub = o.hub;
    this.socket = socket;
    this.rtp = rtp;
    this.user = o.user ?? "100";
    this.address = socket.address;
    this.port = socket.port;
    this.endpoint = socket.endpoint;
    this.rtpPort = rtp.port;
    this.domain = o.domain;
    this.contact = `sip:${this.user}@${endpoint(this.address, this.port)}`;
    this.t1 = o.t1Ms ?? 500;
    this.t2 = o.t2Ms ?? T2;
    this.behaviour = {
      ringMs: o.ringMs ?? 0,
      answerMs: o.answerMs ?? 1000,
      incoming: o.incoming ?? "answer",
      doorCode: o.doorCode ?? "#",
      dtmfDelayMs: o.dtmfDelayMs ?? 500,
      dtmfGapMs: o.dtmfGapMs ?? 200,
      dtmfDurationMs: o.dtmfDurationMs ?? 160,
      hangup: o.hangup ?? "bye",
      hangupMs: o.hangupMs ?? 1000,
      callHoldMs: o.callHoldMs ?? 3000,
      dtmf: o.dtmf ?? "info",
      rtp: o.rtp ?? true,
      toneHz: o.toneHz ?? 800,
      toneMs: o.toneMs ?? 1000,
    };
    this.sweeper = setInterval(() => this.sweep(), 5000);
  }

  /** Bind the phone's SIP and RTP sockets (it does not register until register()). */
  static async create(o: DeskPhoneOptions): Promise<DeskPhone> {
    if (o.doorCode !== undefined && !DIGITS.test(o.doorCode)) throw new RangeError(`doorCode may hold only 0-9 * # A-D: ${o.doorCode}`);
    let phone: DeskPhone | null = null;
    const address = o.address ?? "127.0.0.1";
    const warn = (e: Error): void => phone?.warn(`socket: ${e.message}`);
    const socket = await TappedSocket.bind(o.hub, address, o.port ?? 0, (b, a, p) => phone?.receive(b, a, p), warn);
    // RTP on an even port (RFC 3550 §11; the door's RTCP goes to the next one, which the phone
    // does not read). Not tapped: the ladder shows signalling only.
    let rtp: TappedSocket | null = null;
    for (let tries = 0; rtp === null && tries < 20; tries++) {
      rtp = await TappedSocket.bind(o.hub, address, 0, (b, a, p) => phone?.receiveRtp(b, a, p), warn, false).catch(() => null);
      if (rtp !== null && (rtp.port & 1) !== 0 && tries < 19) {
        await rtp.close();
        rtp = null;
      }
    }
    if (rtp === null) {
      await socket.close();
      throw new Error(`phone: no RTP port on ${address}`);
    }
    phone = new DeskPhone(o, socket, rtp);
    return phone;
  }

  get inCall(): boolean {
    return this.current !== null;
  }

  /** Resolves once the phone has no call (at once when it has none): a call placed then is not refused as busy. */
  whenIdle(): Promise<void> {
    const c = this.current;
    return c === null ? Promise.resolve() : c.result.then(() => this.whenIdle());
  }

  /** The RTP of call `callId` (both ways), once it has ended. */
  mediaReport(callId: string): PhoneMediaReport | undefined {
    return this.mediaReports.find((r) => r.callId === callId);
  }

  private receiveRtp(bytes: Uint8Array, address: string, port: number): void {
    this.rtpReceived++;
    this.current?.media?.receive(bytes, address, port);
  }

  /** The call is up: RTP both ways, from what the two SDPs agreed. */
  private startMedia(call: Call, ourSdp: string, theirSdp: string, answer: string): void {
    if (!this.behaviour.rtp || call.media !== null || this.stopped) return;
    const door = sdpAudio(theirSdp);
    const ans = sdpAudio(answer);
    const deal = ans !== null ? agreed(ans) : null;
    const ours = sdpAudio(ourSdp);
    if (door === null || deal === null || ours === null) {
      this.log(`call ${call.id}: no audio to send (the door's SDP has none, or no G.711 was agreed)`);
      return;
    }
    call.media = new PhoneMediaSession({
      callId: call.id, address: door.address, port: door.port, codec: deal.codec, payloadType: deal.payloadType,
      eventPayloadType: deal.eventPayloadType, toneHz: this.behaviour.toneHz, toneMs: this.behaviour.toneMs,
    }, (bytes, address, port) => this.rtp.send(bytes, address, port, false));
  }

  private stopMedia(call: Call): void {
    const m = call.media;
    if (m === null) return;
    call.media = null;
    const report = m.stop();
    this.mediaReports.push(report);
    if (this.mediaReports.length > 20) this.mediaReports.shift();
    this.log(`call ${call.id}: RTP ${report.sent} packets sent (+${report.eventsSent} RFC 4733), ${report.received} received (+${report.eventsReceived} RFC 4733)`);
  }

  // ------------------------------------------------------------ registration

  /** REGISTER (answering a 401 once); resolves true when registered. Refreshes itself at half the granted time. */
  async register(expires: number = this.o.expires ?? 3600): Promise<boolean> {
    if (this.stopped) return false;
    if (this.refreshTimer !== null) {
      clearTimeout(this.refreshTimer);
      this.timers.delete(this.refreshTimer);
      this.refreshTimer = null;
    }
    const uri = `sip:${this.domain}`;
    let auth: { header: string; value: string } | null = null;
    for (let attempt = 0; attempt < 2; attempt++) {
      const req = SipMsg.request("REGISTER", uri);
      req.add("Via", this.via(newBranch()));
      req.add("Max-Forwards", "70");
      req.add("From", `<sip:${this.user}@${this.domain}>;tag=${randomHex(6)}`);
      req.add("To", `<sip:${this.user}@${this.domain}>`);
      req.add("Call-ID", this.regCallId);
      req.add("CSeq", `${++this.regCseq} REGISTER`);
      req.add("Contact", `<${this.contact}>;expires=${expires}`);
      req.add("Expires", String(expires));
      req.add("Allow", ALLOW);
      req.add("User-Agent", USER_AGENT);
      if (auth !== null) req.add(auth.header, auth.value);
      const res = await this.request(req, this.o.pbx);
      if (this.stopped) return false;
      if (res === null) {
        this.registered = false;
        this.record("registration-failed", { status: 408, reason: "Request Timeout" });
        return false;
      }
      if ((res.status === 401 || res.status === 407) && attempt === 0) {
        const challenge = res.get(res.status === 401 ? "WWW-Authenticate" : "Proxy-Authenticate") ?? "";
        const value = authorize(challenge, { username: this.user, password: this.o.password, method: "REGISTER", uri });
        auth = { header: res.status === 401 ? "Authorization" : "Proxy-Authorization", value };
        continue;
      }
      if (res.status >= 200 && res.status < 300) {
        let granted = expires;
        for (const c of res.all("Contact")) {
          const na = parseNameAddr(c);
          if (sameContact(na.uri, this.contact)) {
            const e = param(na.params, "expires");
            if (typeof e === "string" && /^\d+$/.test(e)) granted = Number(e);
          }
        }
        if (expires === 0) {
          this.registered = false;
          return true;
        }
        this.registered = true;
        this.record("registered", { expires: granted, contact: this.contact });
        if (granted > 0) {
          this.refreshTimer = this.after(Math.max(1000, (granted * 1000) / 2), () => {
            this.refreshTimer = null;
            this.register(expires).catch((e: unknown) => this.warn(`refresh: ${e instanceof Error ? e.message : String(e)}`));
          });
        }
        return true;
      }
      this.registered = false;
      this.record("registration-failed", { status: res.status, reason: res.reason });
      return false;
    }
    return false;
  }

  // ------------------------------------------------------------ calls

  /**
   * Call `target` ("door", an extension, or a sip: URI) through the PBX.
   * Resolves when the call has ended (never rejects). `code`: digits sent
   * as INFO once answered (default the door code); `holdMs`: time held
   * after that before the BYE (default callHoldMs).
   */
  call(target: string, options: { code?: string; holdMs?: number; dtmf?: DtmfMode } = {}): Promise<CallResult> {
    const code = options.code ?? this.behaviour.doorCode;
    if (this.stopped || this.current !== null || !DIGITS.test(code)) {
      return Promise.resolve({ callId: "", direction: "outgoing", reason: "failed", status: 0 });
    }
    const uri = target.startsWith("sip:") || target.startsWith("sips:") ? target : `sip:${target}@${this.domain}`;
    if (parseUri(uri) === null) return Promise.resolve({ callId: "", direction: "outgoing", reason: "failed", status: 0 });
    const call = this.newCall("outgoing", `${randomHex(12)}@${this.address}`);
    call.local = `<sip:${this.user}@${this.domain}>;tag=${call.localTag}`;
    call.remote = `<${uri}>`;
    call.remoteTarget = uri;
    call.code = code;
    call.holdMs = options.holdMs ?? this.behaviour.callHoldMs;
    call.dtmf = options.dtmf ?? this.behaviour.dtmf;
    call.sdp = sdpOffer(this.address, this.rtpPort, call.dtmf !== "inband");
    this.current = call;
    this.outgoingFlow(call, uri).catch((e: unknown) => this.failFlow(call, e));
    return call.result;
  }

  /** End the current call: BYE when up, CANCEL while calling out, 486 while ringing in. */
  hangup(): void {
    const call = this.current;
    if (call === null) return;
    if (call.state === "confirmed" || (call.direction === "incoming" && call.state === "answering")) {
      void this.bye(call).catch((e: unknown) => this.failFlow(call, e));
    } else if (call.direction === "outgoing") {
      call.cancelWanted = true;
      this.sendCancel(call);
    } else if (call.invite !== null) {
      this.respondInvite(call, 486);
      this.end(call, "busy", 486);
    }
  }

  private newCall(direction: CallDirection, id: string): Call {
    let done!: (r: CallResult) => void;
    const result = new Promise<CallResult>((resolve) => (done = resolve));
    return {
      id, direction, state: direction === "outgoing" ? "calling" : "ringing",
      local: "", remote: "", localTag: randomHex(6), remoteTarget: "", routeSet: [], localCseq: 0,
      invite: null, inviteKey: "", sentInvite: null, provisional: false, cancelWanted: false, sdp: "",
      ok: null, okTimer: null, okInterval: 0, okDeadline: 0, ackWaiter: null, ack: null, ackDest: null,
      code: "", holdMs: 0, dtmf: this.behaviour.dtmf, remoteSdp: "", media: null, reported: false, done, result,
    };
  }

  private async outgoingFlow(call: Call, uri: string): Promise<void> {
    let auth: { header: string; value: string } | null = null;
    for (let attempt = 0; attempt < 2; attempt++) {
      call.localCseq++;
      const inv = SipMsg.request("INVITE", uri);
      inv.add("Via", this.via(newBranch()));
      inv.add("Max-Forwards", "70");
      inv.add("From", call.local);
      inv.add("To", call.remote);
      inv.add("Call-ID", call.id);
      inv.add("CSeq", `${call.localCseq} INVITE`);
      inv.add("Contact", `<${this.contact}>`);
      inv.add("Allow", ALLOW);
      inv.add("User-Agent", USER_AGENT);
      if (auth !== null) inv.add(auth.header, auth.value);
      inv.setBody("application/sdp", call.sdp);
      call.sentInvite = inv;
      call.provisional = false;
      const res = await this.request(inv, this.o.pbx, (p) => {
        if (call.state === "ended") return;
        call.provisional = true;
        if (call.cancelWanted) this.sendCancel(call);
        if ((p.status === 180 || p.status === 183) && call.state === "calling") {
          call.state = "ringing";
          this.record("ringing", { callId: call.id, direction: "outgoing" });
        }
      });
      if (call.state === "ended") return;
      if (res === null) {
        this.end(call, "timeout", 408);
        return;
      }
      if ((res.status === 401 || res.status === 407) && attempt === 0 && !call.cancelWanted) {
        const header = res.status === 401 ? "Authorization" : "Proxy-Authorization";
        const challenge = res.get(res.status === 401 ? "WWW-Authenticate" : "Proxy-Authenticate") ?? "";
        auth = { header, value: authorize(challenge, { username: this.user, password: this.o.password, method: "INVITE", uri }) };
        continue;
      }
      if (res.status >= 300) {
        this.end(call, res.status === 487 ? "cancelled" : res.status === 486 || res.status === 600 ? "busy" : "rejected", res.status);
        return;
      }
      // 2xx: the dialog (§12.1.2): remote tag, target, route set in reverse.
      call.remote = res.get("To") ?? call.remote;
      call.remoteTarget = uriOf(res.get("Contact")) || uri;
      call.routeSet = res.all("Record-Route").reverse();
      this.sendAck(call, res);
      if (call.cancelWanted) {
        // The 200 crossed our CANCEL: the call is up, so end it properly.
        call.state = "confirmed";
        await this.bye(call);
        return;
      }
      call.state = "confirmed";
      call.remoteSdp = res.bodyText();
      this.startMedia(call, call.sdp, call.remoteSdp, call.remoteSdp);
      this.record("answered", { callId: call.id, direction: "outgoing" });
      await this.talk(call, call.code, "bye", call.holdMs);
      return;
    }
  }

  /** Up and running: the code as INFO (or RFC 4733 events), then BYE after holdMs (or wait for theirs). */
  private async talk(call: Call, code: string, hangup: "bye" | "wait", holdMs: number): Promise<void> {
    const b = this.behaviour;
    if (code !== "") {
      if (!(await this.sleep(b.dtmfDelayMs)) || call.state !== "confirmed") return;
      let mode = call.dtmf;
      if (mode === "rfc4733" && (call.media === null || !call.media.canSendEvents)) {
        this.warn(`call ${call.id}: no telephone-event agreed with the door; the code goes as INFO`);
        mode = "info";
      }
      for (const digit of code) {
        if (call.state !== "confirmed") return;
        if (!DIGITS.test(digit)) {
          this.warn(`not a DTMF digit, skipped: ${JSON.stringify(digit)}`);
          continue;
        }
        if (mode === "rfc4733" || mode === "inband") {
          const sent = call.media !== null && (await (mode === "inband" ? call.media.sendTones(digit, b.dtmfDurationMs) : call.media.sendDigit(digit)));
          if (!sent || call.state !== "confirmed") return;
          this.record("dtmf", { callId: call.id, digit, status: 0, via: mode });
          if (!(await this.sleep(b.dtmfGapMs)) || call.state !== "confirmed") return;
          continue;
        }
        const info = this.inDialog(call, "INFO");
        info.setBody("application/dtmf-relay", `Signal=${digit}\r\nDuration=${b.dtmfDurationMs}\r\n`);
        const res = await this.request(info, this.routeDest(call));
        if (call.state !== "confirmed") return;
        this.record("dtmf", { callId: call.id, digit, status: res === null ? 408 : res.status, via: "info" });
        if (res === null || res.status === 481 || res.status === 408) {
          this.end(call, "timeout", res === null ? 408 : res.status);
          return;
        }
        if (!(await this.sleep(b.dtmfGapMs)) || call.state !== "confirmed") return;
      }
    }
    if (hangup === "wait") return; // the other side's BYE ends it
    if (!(await this.sleep(holdMs)) || call.state !== "confirmed") return;
    await this.bye(call);
  }

  private async bye(call: Call): Promise<void> {
    if (call.state === "ended") return;
    const bye = this.inDialog(call, "BYE");
    // The call is over for us now; the BYE's answer only tells how it went.
    call.state = "ended";
    this.stopMedia(call);
    this.stopOkRetransmission(call);
    const res = await this.request(bye, this.routeDest(call));
    this.end(call, "local-bye", res === null ? 408 : res.status);
  }

  // ------------------------------------------------------------ incoming requests

  private receive(bytes: Uint8Array, address: string, port: number): void {
    if (this.stopped) return;
    const parsed = parseSip(bytes);
    if (!parsed.ok) {
      if (parsed.error !== "keep-alive") this.warn(`unparseable datagram from ${endpoint(address, port)}: ${parsed.error}`);
      return;
    }
    const msg = parsed.msg;
    if (msg.isRequest) this.onRequest(msg, address, port);
    else this.onResponse(msg);
  }

  private onRequest(req: SipMsg, address: string, port: number): void {
    const top = req.topVia;
    if (top === null) return;
    // RFC 3581: answer where it came from.
    const dest = { address, port };
    const key = `${branchOf(top)}|${req.method === "ACK" ? "INVITE" : req.method}`;
    const known = this.servers.get(key);
    if (req.method === "ACK") {
      this.onAck(req);
      return;
    }
    if (known !== undefined) {
      // A retransmission: the last response again (§17.2.1, §17.2.2).
      if (known.last !== null) this.socket.send(known.last, known.dest.address, known.dest.port);
      return;
    }
    const tx: ServerTx = { last: null, dest, at: Date.now() };
    this.servers.set(key, tx);
    const call = this.current;
    const sameCall = call !== null && call.id === req.callId;
    switch (req.method) {
      case "INVITE":
        if (tagOf(req.get("To")) !== "") {
          // re-INVITE: same session.
          if (sameCall && call!.state !== "ended") this.reply(tx, req, 200, call!.localTag, this.dialogHeaders(call!, false), call!.sdp);
          else this.reply(tx, req, 481, "");
          return;
        }
        this.onInvite(req, tx, key);
        return;
      case "CANCEL": {
        const inv = this.servers.get(`${branchOf(top)}|INVITE`);
        if (inv === undefined) {
          this.reply(tx, req, 481, "");
          return;
        }
        this.reply(tx, req, 200, "");
        if (call !== null && call.direction === "incoming" && call.inviteKey === `${branchOf(top)}|INVITE` && (call.state === "ringing" || call.state === "calling")) {
          this.respondInvite(call, 487);
          this.end(call, "cancelled", 487);
        }
        return;
      }
      case "BYE":
        if (!sameCall) {
          this.reply(tx, req, 481, "");
          return;
        }
        this.reply(tx, req, 200, "");
        this.stopOkRetransmission(call!);
        this.end(call!, "remote-bye", 0);
        return;
      case "INFO":
        this.reply(tx, req, sameCall ? 200 : 481, "");
        return;
      case "OPTIONS":
        this.reply(tx, req, 200, randomHex(4), ["Allow: " + ALLOW, "Accept: application/sdp, application/dtmf-relay"]);
        return;
      default:
        this.reply(tx, req, 405, randomHex(4), ["Allow: " + ALLOW]);
    }
  }

  private onInvite(req: SipMsg, tx: ServerTx, key: string): void {
    const from = req.get("From") ?? "";
    if (this.current !== null) {
      this.reply(tx, req, 486, randomHex(6));
      return;
    }
    const call = this.newCall("incoming", req.callId);
    call.invite = req;
    call.inviteKey = key;
    call.local = `${req.get("To")};tag=${call.localTag}`;
    call.remote = from;
    call.remoteTarget = uriOf(req.get("Contact"));
    call.routeSet = req.all("Record-Route");
    call.code = this.behaviour.doorCode;
    this.record("incoming", { callId: call.id, from });
    // An INVITE without an offer gets ours in the 200 (RFC 3264 §4; the answer comes in the ACK).
    // A phone that types in-band has no telephone-event to offer or answer.
    const events = this.behaviour.dtmf !== "inband";
    const answer = req.body.length === 0 ? sdpOffer(this.address, this.rtpPort, events) : sdpAnswer(req.bodyText(), this.address, this.rtpPort, events);
    if (this.behaviour.incoming === "busy") {
      this.reply(tx, req, 486, call.localTag);
      this.end(call, "busy", 486);
      return;
    }
    if (answer === null || call.remoteTarget === "") {
      this.reply(tx, req, 488, call.localTag);
      this.end(call, "rejected", 488);
      return;
    }
    call.sdp = answer;
    this.current = call;
    this.incomingFlow(call).catch((e: unknown) => this.failFlow(call, e));
  }

  private async incomingFlow(call: Call): Promise<void> {
    const b = this.behaviour;
    if (b.ringMs > 0 && (!(await this.sleep(b.ringMs)) || call.state !== "ringing")) return;
    this.respondInvite(call, 180);
    this.record("ringing", { callId: call.id, direction: "incoming" });
    if (b.incoming === "ring") return; // until CANCEL (or hangup())
    if (!(await this.sleep(Math.max(0, b.answerMs - b.ringMs))) || call.state !== "ringing") return;
    call.state = "answering";
    const acked = new Promise<boolean>((resolve) => (call.ackWaiter = resolve));
    this.respondInvite(call, 200);
    // Media from our answer on (RFC 3264 §5): the door may send RTP as soon as it has the 200, before our ACK
    // arrives, and its first packet (with the marker bit) is part of what is checked.
    const offer = call.invite !== null && call.invite.body.length > 0 ? call.invite.bodyText() : "";
    if (offer !== "") {
      call.remoteSdp = offer;
      this.startMedia(call, call.sdp, offer, call.sdp);
    }
    call.okInterval = this.t1;
    call.okDeadline = Date.now() + 64 * this.t1;
    this.scheduleOk(call);
    if (!(await acked)) {
      if (call.state === "answering") {
        // §13.3.1.4: no ACK -> the session is over; BYE.
        const bye = this.inDialog(call, "BYE");
        this.end(call, "no-ack", 0);
        await this.request(bye, this.routeDest(call));
      }
      return;
    }
    // The ACK (onAck) moved the call on; anything else (BYE, stop) ended it.
    if ((call.state as CallState) !== "confirmed") return;
    this.record("answered", { callId: call.id, direction: "incoming" });
    await this.talk(call, call.code, b.hangup, b.hangupMs);
  }

  private onAck(req: SipMsg): void {
    const call = this.current;
    if (call === null || call.id !== req.callId || call.direction !== "incoming") return; // ACK of a non-2xx, or stray
    if (call.state === "answering" && req.cseq.seq === call.invite?.cseq.seq) {
      call.state = "confirmed";
      // An INVITE without an offer: the door's answer (to our offer in the 200) is in this ACK.
      if (call.media === null && call.invite.body.length === 0) {
        call.remoteSdp = req.bodyText();
        this.startMedia(call, call.sdp, call.remoteSdp, call.remoteSdp);
      }
      this.stopOkRetransmission(call);
      const w = call.ackWaiter;
      call.ackWaiter = null;
      w?.(true);
    }
  }

  /** Send a response to the incoming INVITE of the call (180, 200, 486, 487). */
  private respondInvite(call: Call, status: number): void {
    const inv = call.invite;
    if (inv === null) return;
    const tx = this.servers.get(call.inviteKey);
    if (tx === undefined) return;
    const dialog = status > 100 && status < 300;
    const bytes = this.reply(tx, inv, status, call.localTag, dialog ? this.dialogHeaders(call, true) : [], status === 200 ? call.sdp : null);
    if (status === 200) call.ok = bytes;
  }

  private dialogHeaders(call: Call, recordRoute: boolean): string[] {
    const out: string[] = [];
    if (recordRoute && call.invite !== null) for (const rr of call.invite.all("Record-Route")) out.push(`Record-Route: ${rr}`);
    out.push(`Contact: <${this.contact}>`, `Allow: ${ALLOW}`);
    return out;
  }

  private scheduleOk(call: Call): void {
    call.okTimer = this.after(call.okInterval, () => {
      call.okTimer = null;
      if (call.state !== "answering" || call.ok === null) return;
      if (Date.now() >= call.okDeadline) {
        const w = call.ackWaiter;
        call.ackWaiter = null;
        w?.(false);
        return;
      }
      const tx = this.servers.get(call.inviteKey);
      if (tx !== undefined) this.socket.send(call.ok, tx.dest.address, tx.dest.port);
      call.okInterval = Math.min(call.okInterval * 2, this.t2);
      this.scheduleOk(call);
    });
  }

  private stopOkRetransmission(call: Call): void {
    if (call.okTimer !== null) {
      clearTimeout(call.okTimer);
      this.timers.delete(call.okTimer);
      call.okTimer = null;
    }
    const w = call.ackWaiter;
    call.ackWaiter = null;
    w?.(call.state === "confirmed");
  }

  /** Answer a request; the response is kept for retransmissions. Returns its bytes. */
  private reply(tx: ServerTx, req: SipMsg, status: number, toTag: string, extra: string[] = [], sdp: string | null = null): Uint8Array {
    const res = responseTo(req, status, toTag);
    for (const line of extra) {
      const c = line.indexOf(":");
      res.add(line.slice(0, c), line.slice(c + 1).trim());
    }
    res.add("Server", USER_AGENT);
    if (sdp !== null) res.setBody("application/sdp", sdp);
    const bytes = res.toBytes();
    tx.last = bytes;
    tx.at = Date.now();
    this.socket.send(bytes, tx.dest.address, tx.dest.port);
    return bytes;
  }

  // ------------------------------------------------------------ client transactions

  private via(branch: string): string {
    return `SIP/2.0/UDP ${endpoint(this.address, this.port)};branch=${branch};rport`;
  }

  /** Send a request (its top Via already written) and resolve with the final response, or null on timeout/stop. */
  private request(req: SipMsg, dest: { address: string; port: number }, onProvisional?: (res: SipMsg) => void): Promise<SipMsg | null> {
    if (this.stopped) return Promise.resolve(null);
    const branch = branchOf(req.topVia);
    const bytes = req.toBytes();
    return new Promise<SipMsg | null>((resolve) => {
      const tx: ClientTx = {
        branch, method: req.method, bytes, dest, resolve, onProvisional,
        retransmit: null, timeout: null, interval: this.t1, heard: false, done: false, ack: null,
      };
      this.clients.set(branch, tx);
      this.socket.send(bytes, dest.address, dest.port);
      const again = (): void => {
        tx.retransmit = this.after(tx.interval, () => {
          tx.retransmit = null;
          if (tx.done || (tx.method === "INVITE" && tx.heard)) return;
          this.socket.send(tx.bytes, tx.dest.address, tx.dest.port);
          tx.interval = tx.method === "INVITE" ? tx.interval * 2 : Math.min(tx.interval * 2, this.t2);
          again();
        });
      };
      again();
      // Timers B and F.
      tx.timeout = this.after(64 * this.t1, () => {
        tx.timeout = null;
        this.finish(tx, null);
      });
    });
  }

  private finish(tx: ClientTx, res: SipMsg | null): void {
    if (tx.done) return;
    tx.done = true;
    this.clearTimer(tx.retransmit);
    this.clearTimer(tx.timeout);
    tx.retransmit = tx.timeout = null;
    // Kept a while to absorb retransmitted responses (Timer D/K), then forgotten.
    this.after(res === null ? 0 : 5000, () => this.clients.delete(tx.branch));
    tx.resolve(res);
  }

  private onResponse(res: SipMsg): void {
    const top = res.topVia;
    const tx = this.clients.get(branchOf(top));
    if (tx === undefined || res.cseq.method !== tx.method) {
      // A retransmitted 2xx of an INVITE whose transaction is gone: ACK again (§13.2.2.4).
      const call = this.current;
      if (res.cseq.method === "INVITE" && res.status >= 200 && res.status < 300 && call !== null && call.id === res.callId && call.ack !== null && call.ackDest !== null) {
        this.socket.send(call.ack, call.ackDest.address, call.ackDest.port);
      }
      return;
    }
    tx.heard = true;
    if (res.status < 200) {
      if (!tx.done) tx.onProvisional?.(res);
      return;
    }
    if (tx.method === "INVITE") {
      if (res.status >= 300) {
        // §17.1.1.3: the ACK of a non-2xx is part of the transaction.
        if (tx.ack === null) tx.ack = this.nonSuccessAck(tx, res);
        this.socket.send(tx.ack, tx.dest.address, tx.dest.port);
      } else if (tx.done) {
        const call = this.current;
        if (call !== null && call.id === res.callId && call.ack !== null && call.ackDest !== null) this.socket.send(call.ack, call.ackDest.address, call.ackDest.port);
        return;
      }
    }
    this.finish(tx, res);
  }

  private nonSuccessAck(tx: ClientTx, res: SipMsg): Uint8Array {
    const inv = parseSip(tx.bytes);
    const sent = inv.ok ? inv.msg : null;
    const ack = SipMsg.request("ACK", sent?.uri ?? "");
    ack.add("Via", sent?.get("Via") ?? this.via(tx.branch));
    ack.add("Max-Forwards", "70");
    for (const r of sent?.all("Route") ?? []) ack.add("Route", r);
    ack.add("From", res.get("From") ?? "");
    ack.add("To", res.get("To") ?? "");
    ack.add("Call-ID", res.callId);
    ack.add("CSeq", `${res.cseq.seq} ACK`);
    return ack.toBytes();
  }

  /** ACK for a 2xx (§13.2.2.4): a new transaction, through the route set. */
  private sendAck(call: Call, ok: SipMsg): void {
    const ack = SipMsg.request("ACK", call.remoteTarget);
    ack.add("Via", this.via(newBranch()));
    ack.add("Max-Forwards", "70");
    for (const r of call.routeSet) ack.add("Route", r);
    ack.add("From", call.local);
    ack.add("To", call.remote);
    ack.add("Call-ID", call.id);
    ack.add("CSeq", `${ok.cseq.seq} ACK`);
    call.ack = ack.toBytes();
    call.ackDest = this.routeDest(call);
    this.socket.send(call.ack, call.ackDest.address, call.ackDest.port);
  }

  private sendCancel(call: Call): void {
    const inv = call.sentInvite;
    if (inv === null || !call.provisional || call.state === "ended") return;
    const cancel = SipMsg.request("CANCEL", inv.uri);
    cancel.add("Via", inv.get("Via")!);
    cancel.add("Max-Forwards", "70");
    cancel.add("From", inv.get("From")!);
    cancel.add("To", inv.get("To")!);
    cancel.add("Call-ID", inv.callId);
    cancel.add("CSeq", `${inv.cseq.seq} CANCEL`);
    cancel.add("User-Agent", USER_AGENT);
    // Its own transaction, same branch as the INVITE (§9.1); the key differs by method.
    const bytes = cancel.toBytes();
    this.socket.send(bytes, this.o.pbx.address, this.o.pbx.port);
  }

  /** A request inside the call's dialog (§12.2.1.1). */
  private inDialog(call: Call, method: string): SipMsg {
    const req = SipMsg.request(method, call.remoteTarget);
    req.add("Via", this.via(newBranch()));
    req.add("Max-Forwards", "70");
    for (const r of call.routeSet) req.add("Route", r);
    req.add("From", call.local);
    req.add("To", call.remote);
    req.add("Call-ID", call.id);
    req.add("CSeq", `${++call.localCseq} ${method}`);
    req.add("User-Agent", USER_AGENT);
    return req;
  }

  /** Where in-dialog requests go: the first Route (loose routing), else the remote target. */
  private routeDest(call: Call): { address: string; port: number } {
    const first = call.routeSet[0];
    const u = parseUri(first !== undefined ? uriOf(first) : call.remoteTarget);
    if (u === null) return this.o.pbx;
    return { address: stripBrackets(u.host), port: u.port > 0 ? u.port : 5060 };
  }

  // ------------------------------------------------------------ events, timers, stop

  /** Resolve with the first event of this type (from `history[since]` on) that `match` accepts; reject after timeoutMs. */
  waitFor<K extends PhoneEventName>(type: K, options: { timeoutMs?: number; since?: number; match?: (ev: PhoneEventData<K>) => boolean } = {}): Promise<PhoneEventData<K>> {
    const match = options.match ?? (() => true);
    for (let i = options.since ?? 0; i < this.history.length; i++) {
      const h = this.history[i]!;
      if (h.type === type && match(h as unknown as PhoneEventData<K>)) return Promise.resolve(h as unknown as PhoneEventData<K>);
    }
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise<PhoneEventData<K>>((resolve, reject) => {
      const listener = (ev: PhoneEventData<K>): void => {
        if (!match(ev)) return;
        cleanup();
        resolve(ev);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`phone: no "${type}" event within ${timeoutMs} ms`));
      }, timeoutMs);
      const cancel = (): void => {
        cleanup();
        reject(new Error(`phone: stopped while waiting for "${type}"`));
      };
      const cleanup = (): void => {
        clearTimeout(timer);
        this.waiters.delete(cancel);
        (this as unknown as EventEmitter).off(type, listener as (...args: unknown[]) => void);
      };
      this.waiters.add(cancel);
      (this as unknown as EventEmitter).on(type, listener as (...args: unknown[]) => void);
    });
  }

  /** Stop: timers cleared, a call in progress ended ("stopped", nothing sent), waits settled, sockets closed. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.sweeper);
    const call = this.current;
    if (call !== null) {
      this.stopOkRetransmission(call);
      this.end(call, "stopped", 0);
    }
    for (const tx of [...this.clients.values()]) this.finish(tx, null);
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.refreshTimer = null;
    for (const s of [...this.sleepers]) s(false);
    this.sleepers.clear();
    for (const w of [...this.waiters]) w();
    this.clients.clear();
    this.servers.clear();
    await Promise.all([this.socket.close(), this.rtp.close()]);
  }

  private end(call: Call, reason: EndReason, status: number): void {
    if (this.current === call) this.current = null;
    call.state = "ended";
    this.stopMedia(call);
    this.stopOkRetransmission(call);
    // Once: crossing BYEs, or a stop() during our BYE, must not report twice.
    if (call.reported) return;
    call.reported = true;
    const result: CallResult = { callId: call.id, direction: call.direction, reason, status };
    this.record("ended", result);
    call.done(result);
  }

  private failFlow(call: Call, e: unknown): void {
    this.warn(`call ${call.id}: ${e instanceof Error ? e.message : String(e)}`);
    this.end(call, "failed", 0);
  }

  private record<K extends PhoneEventName>(type: K, data: PhoneEventData<K>): void {
    this.history.push({ type, time: this.hub.now(), ...data } as PhoneHistoryEntry);
    // A digit typed is part of a door code (--door-code may be the user's own): the history and listeners have it, the log line not.
    this.log(`${type} ${JSON.stringify(type === "dtmf" ? { ...data, digit: undefined } : data)}`);
    try {
      (this as unknown as EventEmitter).emit(type, data);
    } catch (e) {
      // A listener that throws must not break the phone.
      if (type !== "warning") this.warn(`listener for ${type}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private warn(message: string): void {
    this.record("warning", { message });
  }

  private log(line: string): void {
    this.o.log?.(`phone: ${line}`);
  }

  /** A tracked timeout (cleared by stop()). */
  private after(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    if (this.stopped) clearTimeout(t);
    else this.timers.add(t);
    return t;
  }

  private clearTimer(t: NodeJS.Timeout | null): void {
    if (t === null) return;
    clearTimeout(t);
    this.timers.delete(t);
  }

  /** Wait ms; resolves false if the phone stopped meanwhile. */
  private sleep(ms: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const wake = (ok: boolean): void => {
        this.sleepers.delete(wake);
        resolve(ok && !this.stopped);
      };
      this.sleepers.add(wake);
      this.after(ms, () => wake(true));
    });
  }

  private sweep(): void {
    const old = Date.now() - 40_000;
    for (const [k, t] of this.servers) {
      if (t.at < old && (this.current === null || this.current.inviteKey !== k)) this.servers.delete(k);
    }
  }
}

function sameContact(a: string, b: string): boolean {
  const x = parseUri(a);
  const y = parseUri(b);
  return x !== null && y !== null && x.user === y.user && x.host.toLowerCase() === y.host.toLowerCase() && x.port === y.port;
}

/** The phone's SDP offer: PCMU, PCMA, telephone-event (RFC 4733). */
export function sdpOffer(address: string, rtpPort: number, telephoneEvent = true): string {
  const id = Math.floor(Date.now() / 1000);
  return [
    "v=0",
    `o=phone ${id} ${id} IN IP4 ${address}`,
    "s=doorsip loopback phone",
    `c=IN IP4 ${address}`,
    "t=0 0",
    `m=audio ${rtpPort} RTP/AVP 0 8${telephoneEvent ? " 101" : ""}`,
    "a=rtpmap:0 PCMU/8000",
    "a=rtpmap:8 PCMA/8000",
    ...(telephoneEvent ? ["a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16"] : []),
    "a=ptime:20",
    "a=sendrecv",
    "",
  ].join("\r\n");
}

/**
 * An SDP answer to `offer` (RFC 3264): PCMU if offered, else PCMA; the
 * offer's telephone-event payload type if any. Null when no audio stream
 * with either codec is offered.
 */
export function sdpAnswer(offer: string, address: string, rtpPort: number, telephoneEvent = true): string | null {
  const lines = offer.split(/\r?\n/);
  const m = lines.find((l) => l.startsWith("m=audio "));
  if (m === undefined) return null;
  const formats = m.trim().split(/\s+/).slice(3);
  const rtpmaps = new Map<string, string>();
  for (const l of lines) {
    const r = /^a=rtpmap:(\d+)\s+([^/\s]+)/.exec(l);
    if (r !== null) rtpmaps.set(r[1]!, r[2]!.toLowerCase());
  }
  const isCodec = (pt: string, name: string, staticPt: string): boolean => rtpmaps.has(pt) ? rtpmaps.get(pt) === name : pt === staticPt;
  const codec = formats.find((pt) => isCodec(pt, "pcmu", "0")) ?? formats.find((pt) => isCodec(pt, "pcma", "8"));
  if (codec === undefined) return null;
  const dtmf = telephoneEvent ? formats.find((pt) => rtpmaps.get(pt) === "telephone-event") : undefined;
  const pts = dtmf === undefined ? [codec] : [codec, dtmf];
  const id = Math.floor(Date.now() / 1000);
  const out = [
    "v=0",
    `o=phone ${id} ${id} IN IP4 ${address}`,
    "s=doorsip loopback phone",
    `c=IN IP4 ${address}`,
    "t=0 0",
    `m=audio ${rtpPort} RTP/AVP ${pts.join(" ")}`,
    `a=rtpmap:${codec} ${isCodec(codec, "pcmu", "0") ? "PCMU" : "PCMA"}/8000`,
  ];
  if (dtmf !== undefined) out.push(`a=rtpmap:${dtmf} telephone-event/8000`, `a=fmtp:${dtmf} 0-16`);
  out.push("a=ptime:20", "a=sendrecv", "");
  return out.join("\r\n");
}
