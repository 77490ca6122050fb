/*
 * One call: an INVITE session (RFC 3261 §13) with its dialog (§12), either
 * answered by the door (UAS) or placed by it (UAC), and the requests inside
 * it: BYE (§15), CANCEL (§9), re-INVITE (§14), UPDATE (RFC 3311), PRACK
 * (RFC 3262), INFO (RFC 6086), MESSAGE (RFC 3428), REFER (RFC 3515).
 *
 * A Call is a slot of the user agent's fixed pool: every buffer is made at
 * construction, and a slot is reused call after call.
 *
 * UAS: 100 Trying at once, then 180 Ringing (reliable when the INVITE
 * requires 100rel), then, after the auto-answer delay, 200 OK with the
 * G.711 answer (or an offer, when the INVITE had none: the ACK then carries
 * the answer). The 2xx is resent, T1 doubling up to T2, until the ACK comes;
 * after 64*T1 without one the call is ended with BYE (§13.3.1.4).
 *
 * UAC: INVITE with the G.711 offer; 401/407 answered once with the
 * credentials, a 3xx followed once (its first Contact), reliable 18x
 * acknowledged with PRACK, every 2xx (retransmissions too) acknowledged
 * with ACK (§13.2.2.4). The ring timeout sends CANCEL; the call time limit
 * sends BYE. An INVITE that gets no response at all is given up after
 * 8*T1 (NO_RESPONSE_T1), not Timer B's 64*T1.
 */
import { LogLevel, logEnabled } from "../../host";
import { DigestSession, DigestVerdict } from "../../sip/auth/digest-session";
import { ascii, spanEquals, spanToString } from "../../sip/message/bytes";
import { H } from "../../sip/message/header";
import type { SipMessage } from "../../sip/message/message";
import { Method } from "../../sip/message/method";
import type { NameAddr } from "../../sip/message/name-addr";
import { type RAck, rseqOf } from "../../sip/message/rack";
import { writeResponseHead } from "../../sip/message/response";
import { Scheme } from "../../sip/message/uri";
import type { HeaderValues } from "../../sip/message/values";
import { SipWriter } from "../../sip/message/writer";
import { Dialog, DialogCheck, DialogState, DIALOG_BUFFER_BYTES } from "../../sip/dialog/dialog";
import { dialogHash } from "../../sip/dialog/dialog-hash";
import type { StoreField } from "../../sip/dialog/dialog-store";
import { textEquals } from "../../sip/dialog/next-hop";
import { Codec } from "../../sip/sdp/reader";
import type { SdpReader } from "../../sip/sdp/reader";
import { Direction } from "../../sip/sdp/direction";
import { readIpv4 } from "../../sip/sdp/ipv4";
import { LocalMedia, LocalMediaNum } from "../../sip/sdp/writer";
import { TimerNode } from "../../sip/timer/timer-queue";
import { TimerKind } from "../../sip/timer/timer-kind";
import {
  ClientFailure, ServerState, type ClientTransactionHandle, type ClientTransactionUser, type ServerTransactionHandle,
} from "../../sip/transaction/api";
import { writeCallId, writeTag, CALL_ID_LENGTH, TAG_LENGTH } from "../../sip/ids";
import {
  CallFired, type CallTimers, fire as dueTimer, rearm, startNoResponse, startPhase, startRetransmit, startSession, startTimeout, stopAll,
  stopNoResponse, stopPair, stopPhase, stopSession,
} from "./call-timers";
import { CallDirection, CallState, DtmfWay, DTMF_WAY_HOLD_MS, EndReason, callStateName, dtmfWayName, endReasonName } from "./call-types";
import {
  K_CONTENT_TYPE_SDP, sendAck2xx, writeCapabilities, writeContact, writeEmptyRecvInfo, writeRAck, writeReliable, writeRetryAfter, writeWarning305,
} from "./headers";
import { hasOptionTag, K_ACCEPT_DTMF } from "./capabilities";
import { DtmfRead } from "./dtmf";
import type { CallOwner } from "./owner";
import * as P from "./phrases";
import {
  Decision, MIN_SE, Read, Refresher, decide, decisionRefresher, decisionSeconds, decisionSupported, expiryMs, readMinSe, readSessionExpires,
  refreshMs, writeMinSe, writeRequireTimer, writeSessionExpires,
} from "./session-timer";
import {
  type ReferSubscription, markReferredByDropped, referActive, referCallEnded, referFailed, referProgress, referredByDropped, referReset,
  referResponse, referStart,
} from "./refer";

/** What a client transaction of the call is for (its userData). */
const enum Purpose {
  None = 0,
  Invite = 1,
  Bye = 2,
  Prack = 3,
  Notify = 4,
  /** Our session refresh, UPDATE or re-INVITE (RFC 4028 §7.4, §10). */
  Refresh = 5,
}

/** What the session timer does when it fires (RFC 4028 §10). */
/** What sendBye() came to (byeOrHold). */
const enum ByeSend {
  Sent = 0,
  NoRoom = 1,
  Failed = 2,
}

const enum SessionMode {
  None = 0,
  /** The peer refreshes: BYE when no refresh came in time. */
  Watch = 1,
  /** The door refreshes: UPDATE or re-INVITE at half the interval. */
  Refresh = 2,
}

/** Bits of Num.SessionFlags. */
const enum SessionFlag {
  /** The peer's Allow listed UPDATE: refresh with UPDATE, else re-INVITE (RFC 4028 §7.4 prefers UPDATE). */
  PeerUpdate = 1,
  /** Our refresh is in flight. */
  Pending = 2,
  /** Our refresh was challenged (401/407) and sent again with credentials since the last new interval: not again. */
  AuthTried = 4,
  /** Our refresh got 491 and was tried again since the last new interval: not again. */
  GlareTried = 8,
  /** The refresh in flight is a re-INVITE (with our offer), not an UPDATE: kept apart from PeerUpdate, which the peer's next Allow may change meanwhile. */
  PendingInvite = 16,
}

const K_100REL = ascii("100rel");
const K_UPDATE = ascii("UPDATE");
const K_FROM_OPEN = ascii("From: ");
const K_QUOTE = ascii("\"");
const K_LT = ascii("<");
const K_TAG = ascii(">;tag=");
const K_TO_OPEN = ascii("To: <");
const K_GT_CRLF = ascii(">\r\n");
const K_CSEQ = ascii("CSeq: ");
const K_INVITE_CRLF = ascii(" INVITE\r\n");
const K_MAX_FORWARDS = ascii("Max-Forwards: 70\r\n");
const K_INVITE_SP = ascii("INVITE ");
const K_SIP20 = ascii(" SIP/2.0\r\n");
const K_ACCEPT = ascii("Accept: ");
/** The methods as the digest's A2 names them (RFC 7616 §3.4.3). */
const K_INVITE = ascii("INVITE");
const K_BYE = ascii("BYE");

/** Retries of one request on 401/407 before giving up (§22.2: a second rejection means bad credentials). */
const MAX_AUTH_TRIES = 2;
/**
 * How long, in T1, our INVITE may go without any response at all, not even
 * 100 Trying, before the door gives its target up (EndReason.Unreachable,
 * 408): 8*T1, 4 s with the default T1 of 500 ms. Timer A starts at T1 and
 * doubles (RFC 3261 §17.1.1.2), so the INVITE went out at 0, T1, 3*T1 and
 * 7*T1 (0, 0.5, 1.5, 3.5 s): four transmissions, the last given a whole T1,
 * the round-trip estimate (§17.1.1.1), to be answered. Whatever receives
 * an INVITE answers it within 200 ms (§17.2.1: a server transaction sends
 * 100 Trying unless its TU responds sooner), so a proxy, registrar or
 * phone that said nothing to four copies is down or switched off; Timer B
 * (64*T1, 32 s) would keep the visitor listening to ringback for nothing
 * while a hunt's next target waits. Any response stops this (the call then
 * rings until its ring timeout, as before; the transaction's Timer B is
 * unchanged); each new INVITE (after a 401/407, a 3xx) starts it again.
 */
const NO_RESPONSE_T1 = 8;
/** The longest Request-URI we send and REFER target we take. */
const URI_FIELD_BYTES = 256;
/**
 * The longest Referred-By value (RFC 3892) carried from a REFER into the
 * INVITE it triggers. It is kept in reqBuf right after the Request-URI's
 * field, its length in the byte before it (REFERRED_BY_AT: no number of its
 * own in the slot's table), so before the credential lines at reqBuf's end
 * (CallConfig's 600 bytes at least leave 143 for those). A longer one is
 * dropped, not the transfer.
 */
export const REFERRED_BY_BYTES = 200;
/** Where in reqBuf the Referred-By's length byte is (its bytes follow). */
const REFERRED_BY_AT = URI_FIELD_BYTES;

/**
 * Where each of a call's numbers is in Call.n (see the accessors), after
 * its LocalMedia's (LocalMediaNum.Count of them: a literal here, since
 * esbuild does not count on from another module's enum member; the type
 * below fails to compile when the two disagree).
 */
const enum Num {
  State = 7, Direction, EndReason, EndStatus,
  RemoteRtpPort, Codec, CodecPt, TelephoneEventPt, RemoteDirection, LocalDirection,
  UserData, AnsweredAt, StartedAt,
  ReqLen, HasReq, OfferInInvite,
  AwaitingAck, OkCseq, AckCarriesAnswer,
  Reliable, Rseq, RelPending, AnswerAfterPrack,
  ByeAfterAck, ByeReason,
  InviteCseq, AuthTries, Redirected, CancelReason, LastRseq,
  WwwActive, ProxyActive, CredLen, AckLen, ByeAuthTries, TargetLen,
  RetransmitAt, RetransmitInterval, TimeoutAt, PhaseAt,
  Index, Trusted, ReferredBy, HasRtpAddress, InvitePort,
  ReferFlags, ReferPending, ReferCseq,
  DtmfWay, DtmfAt,
  RemoteRtcpPort, RemoteRtcpIp4,
  SessionAt, SessionSeconds, SessionMode, SessionFlags, SessionMinSe,
  EndedDialog, EndedCall, EndedSeq,
  ByeHeldUntil,
  Count,
}

/** Compiles only while Num.State is LocalMediaNum.Count. */
export type MediaNumbersFirst = `${Num.State}` extends `${LocalMediaNum.Count}` ? true : never;
const MEDIA_NUMBERS_FIRST: MediaNumbersFirst = true;
void MEDIA_NUMBERS_FIRST;

export class Call extends TimerNode implements ClientTransactionUser, CallTimers, ReferSubscription {
  readonly dialog: Dialog;
  /** Our SDP: session id fixed per call, version raised when what we send changes (RFC 3264 §8). Its numbers are at the head of n. */
  readonly media: LocalMedia;
  /**
   * The call's numbers (state, SDP figures, CSeqs, flags, times), each
   * read and written through the named accessors below: in XS each
   * property of an object is a heap slot (16 bytes on the device), a
   * number here 8 bytes (a Float64Array, so any number a peer sends is
   * kept exactly), and the array a view of the call's one buffer.
   */
  private readonly n: Float64Array;

  private readonly owner: CallOwner;
  /** The last RTP address a peer's SDP gave, kept across calls (remoteRtpAddress is it while HasRtpAddress is set). */
  private lastRtpAddress = "";
  /** peer(), once asked for in this call. */
  private peerText: string | null = null;
  /**
   * UAS: the INVITE received, copied: its responses are built from it
   * later (auto-answer delay, CANCEL), parsed again into the user agent's
   * scratch message each time. UAC: the Request-URI at the head, a
   * transfer's Referred-By after its field (URI_FIELD_BYTES), and the
   * credential lines of our INVITE at the end (for its ACK), then that
   * ACK, kept for 2xx retransmissions (§13.2.2.4). A call is one or the
   * other, so one buffer serves both.
   */
  private readonly reqBuf: Uint8Array;
  private inviteTx: ServerTransactionHandle | null = null;
  /** The 2xx retransmitting server transaction (INVITE or re-INVITE). */
  private okTx: ServerTransactionHandle | null = null;

  // UAC
  private inviteClient: ClientTransactionHandle | null = null;
  /** Where our INVITE goes (§8.1.2): the outbound proxy, the registrar, the dialed URI's host, or a 3xx's Contact's; its port is a number below. */
  private inviteAddress = "";
  /** Made on the first challenge of this slot (then kept: their state holds the nonce): an unchallenged slot costs no heap for them. */
  private www: DigestSession | null = null;
  private proxyAuth: DigestSession | null = null;
  private byeTx: ClientTransactionHandle | null = null;
  /** ReferSubscription (refer.ts): the NOTIFY in flight of a transfer the peer asked for; its numbers are accessors below. */
  notifyTx: ClientTransactionHandle | null = null;

  constructor(owner: CallOwner, index: number) {
    // The call is itself the entry of its three timers (call-timers.ts): the 2xx retransmission (§13.3.1.4) or
    // reliable 1xx retransmission (RFC 3262 §3), 64*T1 for the ACK (§13.3.1.4) or the PRACK (RFC 3262 §3), and the
    // phase timer (auto-answer delay, ring timeout, call time limit); their numbers are accessors below. No entry
    // object (a slot each, and its properties), no property to hold one (another), no target pointing back (a third).
    super(TimerKind.Retransmit2xx);
    this.owner = owner;
    const cfg = owner.config;
    // The numbers, the dialog's store and reqBuf in one buffer, the Request-URI over reqBuf's head: views cost no chunk of their own (see Field).
    const size = cfg.messageBuffer; // at least 600 (CallConfig): room for the URI and credential lines
    const numbers = 8 * Num.Count;
    const store = new ArrayBuffer(numbers + DIALOG_BUFFER_BYTES + size);
    this.n = new Float64Array(store, 0, Num.Count);
    this.dialog = new Dialog(owner.scratch, store, numbers);
    this.reqBuf = new Uint8Array(store, numbers + DIALOG_BUFFER_BYTES, size);
    this.media = new LocalMedia({ sessionId: 0, address: "0.0.0.0", rtpPort: cfg.rtpPort + 2 * index, numbers: this.n });
    this.n[Num.Index] = index;
    this.codec = Codec.None;
    this.codecPt = -1;
    this.telephoneEventPt = -1;
    this.retransmitAt = -1;
    this.timeoutAt = -1;
    this.phaseAt = -1;
    this.sessionAt = -1;
  }

  // ------------------------------------------------ the user agent's scratch

  /*
   * Writers for requests, responses and SDP bodies, and readers: the user
   * agent's, shared (src/ua/scratch.ts; the transactions keep copies, and
   * a 2xx or reliable 1xx is resent from its transaction's copy). Read
   * through the owner rather than kept: a property is a heap slot per call
   * slot, an accessor none.
   */
  private get w(): SipWriter { return this.owner.scratch.w; }
  private get sdpW(): SipWriter { return this.owner.scratch.sdp; }
  private get values(): HeaderValues { return this.owner.scratch.values; }
  private get addr(): NameAddr { return this.owner.scratch.addr; }
  private get rack(): RAck { return this.owner.scratch.rack; }
  /**
   * Our tag is the dialog's localTag, written there when the call begins
   * (UAS: in the To of every response, also before the dialog exists,
   * §8.2.6.2; UAC: in our From): no copy of its own, and an accessor (no
   * slot). It is the first field of the dialog's store, so it starts at
   * byte 0: writeResponseHead is given localTag.bytes and its length.
   */
  private get localTag(): StoreField { return this.dialog.localTag; }

  // ------------------------------------------------------------- numbers

  get state(): CallState { return this.n[Num.State]!; }
  set state(v: CallState) { this.n[Num.State] = v; }
  get direction(): CallDirection { return this.n[Num.Direction]!; }
  set direction(v: CallDirection) { this.n[Num.Direction] = v; }
  get endReason(): EndReason { return this.n[Num.EndReason]!; }
  set endReason(v: EndReason) { this.n[Num.EndReason] = v; }
  /** The final status that ended the call (sent or received), 0 when none. */
  get endStatus(): number { return this.n[Num.EndStatus]!; }
  set endStatus(v: number) { this.n[Num.EndStatus] = v; }
  /** What the peer's SDP said: its RTP port, the codec and its payload type, telephone-event's (-1: none), its direction. */
  get remoteRtpPort(): number { return this.n[Num.RemoteRtpPort]!; }
  set remoteRtpPort(v: number) { this.n[Num.RemoteRtpPort] = v; }
  get codec(): Codec { return this.n[Num.Codec]!; }
  set codec(v: Codec) { this.n[Num.Codec] = v; }
  get codecPt(): number { return this.n[Num.CodecPt]!; }
  set codecPt(v: number) { this.n[Num.CodecPt] = v; }
  get telephoneEventPt(): number { return this.n[Num.TelephoneEventPt]!; }
  set telephoneEventPt(v: number) { this.n[Num.TelephoneEventPt] = v; }
  get remoteDirection(): Direction { return this.n[Num.RemoteDirection]!; }
  set remoteDirection(v: Direction) { this.n[Num.RemoteDirection] = v; }
  /** Our direction as last answered (mirrors hold, RFC 3264 §6.1). */
  get localDirection(): Direction { return this.n[Num.LocalDirection]!; }
  set localDirection(v: Direction) { this.n[Num.LocalDirection] = v; }
  /** Set by the application: the hunt or transfer this call belongs to. */
  get userData(): number { return this.n[Num.UserData]!; }
  set userData(v: number) { this.n[Num.UserData] = v; }
  /** Clock time (ms) the call was answered, 0 before. */
  get answeredAt(): number { return this.n[Num.AnsweredAt]!; }
  set answeredAt(v: number) { this.n[Num.AnsweredAt] = v; }
  /** Clock time (ms) of the start. */
  get startedAt(): number { return this.n[Num.StartedAt]!; }
  set startedAt(v: number) { this.n[Num.StartedAt] = v; }
  /** CallTimers (call-timers.ts): the due times of the 2xx / 1xx retransmission, of its 64*T1 wait and of the phase timer, -1 when stopped. */
  get retransmitAt(): number { return this.n[Num.RetransmitAt]!; }
  set retransmitAt(v: number) { this.n[Num.RetransmitAt] = v; }
  get retransmitInterval(): number { return this.n[Num.RetransmitInterval]!; }
  set retransmitInterval(v: number) { this.n[Num.RetransmitInterval] = v; }
  get timeoutAt(): number { return this.n[Num.TimeoutAt]!; }
  set timeoutAt(v: number) { this.n[Num.TimeoutAt] = v; }
  get phaseAt(): number { return this.n[Num.PhaseAt]!; }
  set phaseAt(v: number) { this.n[Num.PhaseAt] = v; }
  get sessionAt(): number { return this.n[Num.SessionAt]!; }
  set sessionAt(v: number) { this.n[Num.SessionAt] = v; }
  /** RFC 4028: the session interval in force (s), 0 when the call has no session timer. */
  get sessionExpires(): number { return this.n[Num.SessionSeconds]!; }
  /** RFC 4028 §10: the door sends the refreshes (else it watches for the peer's, or there is no session timer). */
  get sessionRefresher(): boolean { return this.n[Num.SessionMode] === SessionMode.Refresh; }
  /** The slot's place in the user agent's pool. */
  get index(): number { return this.n[Num.Index]!; }
  /** Set by the user agent as a call starts: did it come from a trusted source (or did we place it)? Only such calls may open the door. */
  get trusted(): boolean { return this.n[Num.Trusted] !== 0; }
  set trusted(v: boolean) { this.n[Num.Trusted] = v ? 1 : 0; }
  /** A call placed because of a REFER in another call: its progress is reported there by NOTIFY (RFC 3515 §2.4.4). Kept as that call's index + 1. */
  get referredBy(): Call | null {
    const i = this.n[Num.ReferredBy]! - 1;
    return i >= 0 ? this.owner.calls[i]! : null;
  }
  set referredBy(c: Call | null) { this.n[Num.ReferredBy] = c !== null ? c.index + 1 : 0; }
  /**
   * Bytes of the REFER's Referred-By value kept for this call's INVITEs
   * (RFC 3892 §2.2), 0 when none. Valid in an outgoing call until its ACK
   * is written over it (ackLen); an incoming call's INVITE fills reqBuf, and
   * end() zeroes the byte again.
   */
  get referredByLen(): number {
    return this.direction === CallDirection.Outbound && this.ackLen === 0 ? this.reqBuf[REFERRED_BY_AT]! : 0;
  }
  /** The last REFER this call took had a Referred-By that was not carried to the target (longer than REFERRED_BY_BYTES, several, or malformed). */
  get referredByDropped(): boolean {
    return referredByDropped(this);
  }
  /** What the peer's SDP said: where to send RTP (the port, codec, payload types and direction are numbers too); "" when none. */
  get remoteRtpAddress(): string { return this.n[Num.HasRtpAddress] !== 0 ? this.lastRtpAddress : ""; }
  /** Its a=rtcp port (RFC 3605), 0 when it gave none: RTCP then goes to the RTP port + 1 (RFC 3550 §11). */
  get remoteRtcpPort(): number { return this.n[Num.RemoteRtcpPort]!; }
  /** Its a=rtcp IPv4 address as a number when it named one other than the RTP address; 0 when RTCP goes to the RTP address. */
  get remoteRtcpIp4(): number { return this.n[Num.RemoteRtcpIp4]!; }
  /** ReferSubscription (refer.ts): the transfer's flags, the status to report next, the REFER's CSeq. */
  get referFlags(): number { return this.n[Num.ReferFlags]!; }
  set referFlags(v: number) { this.n[Num.ReferFlags] = v; }
  get referPending(): number { return this.n[Num.ReferPending]!; }
  set referPending(v: number) { this.n[Num.ReferPending] = v; }
  get referCseq(): number { return this.n[Num.ReferCseq]!; }
  set referCseq(v: number) { this.n[Num.ReferCseq] = v; }

  /** Bytes of the INVITE received in reqBuf (UAS), and whether it parsed. */
  private get reqLen(): number { return this.n[Num.ReqLen]!; }
  private set reqLen(v: number) { this.n[Num.ReqLen] = v; }
  private get hasReq(): boolean { return this.n[Num.HasReq] !== 0; }
  private set hasReq(v: boolean) { this.n[Num.HasReq] = v ? 1 : 0; }
  /** The INVITE had an SDP offer; otherwise our 200 carries the offer and the ACK the answer (§13.2.1). */
  private get offerInInvite(): boolean { return this.n[Num.OfferInInvite] !== 0; }
  private set offerInInvite(v: boolean) { this.n[Num.OfferInInvite] = v ? 1 : 0; }
  /** A 2xx (to the INVITE or a re-INVITE) waits for its ACK; its CSeq, and whether the ACK must carry the SDP answer. */
  private get awaitingAck(): boolean { return this.n[Num.AwaitingAck] !== 0; }
  private set awaitingAck(v: boolean) { this.n[Num.AwaitingAck] = v ? 1 : 0; }
  private get okCseq(): number { return this.n[Num.OkCseq]!; }
  private set okCseq(v: number) { this.n[Num.OkCseq] = v; }
  private get ackCarriesAnswer(): boolean { return this.n[Num.AckCarriesAnswer] !== 0; }
  private set ackCarriesAnswer(v: boolean) { this.n[Num.AckCarriesAnswer] = v ? 1 : 0; }
  /** RFC 3262: our 180 is reliable, its RSeq, it waits for PRACK, the answer waits for that PRACK. */
  private get reliable(): boolean { return this.n[Num.Reliable] !== 0; }
  private set reliable(v: boolean) { this.n[Num.Reliable] = v ? 1 : 0; }
  private get rseq(): number { return this.n[Num.Rseq]!; }
  private set rseq(v: number) { this.n[Num.Rseq] = v; }
  private get relPending(): boolean { return this.n[Num.RelPending] !== 0; }
  private set relPending(v: boolean) { this.n[Num.RelPending] = v ? 1 : 0; }
  private get answerAfterPrack(): boolean { return this.n[Num.AnswerAfterPrack] !== 0; }
  private set answerAfterPrack(v: boolean) { this.n[Num.AnswerAfterPrack] = v ? 1 : 0; }
  /** A BYE is due once the ACK has come (§15: no BYE before the ACK of our 2xx), and why. */
  private get byeAfterAck(): boolean { return this.n[Num.ByeAfterAck] !== 0; }
  private set byeAfterAck(v: boolean) { this.n[Num.ByeAfterAck] = v ? 1 : 0; }
  private get byeReason(): EndReason { return this.n[Num.ByeReason]!; }
  private set byeReason(v: EndReason) { this.n[Num.ByeReason] = v; }
  /** UAC: our INVITE's CSeq, its 401/407 retries, a 3xx followed, why we cancelled, the last RSeq acknowledged (RFC 3262 §4). */
  private get inviteCseq(): number { return this.n[Num.InviteCseq]!; }
  private set inviteCseq(v: number) { this.n[Num.InviteCseq] = v; }
  private get authTries(): number { return this.n[Num.AuthTries]!; }
  private set authTries(v: number) { this.n[Num.AuthTries] = v; }
  private get redirected(): boolean { return this.n[Num.Redirected] !== 0; }
  private set redirected(v: boolean) { this.n[Num.Redirected] = v ? 1 : 0; }
  private get cancelReason(): EndReason { return this.n[Num.CancelReason]!; }
  private set cancelReason(v: EndReason) { this.n[Num.CancelReason] = v; }
  private get lastRseq(): number { return this.n[Num.LastRseq]!; }
  private set lastRseq(v: number) { this.n[Num.LastRseq] = v; }
  /** The digest sessions hold an accepted challenge (§22.2, §22.3). */
  private get wwwActive(): boolean { return this.n[Num.WwwActive] !== 0; }
  private set wwwActive(v: boolean) { this.n[Num.WwwActive] = v ? 1 : 0; }
  private get proxyActive(): boolean { return this.n[Num.ProxyActive] !== 0; }
  private set proxyActive(v: boolean) { this.n[Num.ProxyActive] = v ? 1 : 0; }
  /** Bytes of the credential lines of our last INVITE, kept at the end of reqBuf and repeated in its ACK (§22.1). */
  private get credLen(): number { return this.n[Num.CredLen]!; }
  private set credLen(v: number) { this.n[Num.CredLen] = v; }
  /** Bytes of the ACK of our 2xx kept at the head of reqBuf (0: none), sent again for each retransmission of the 2xx (§13.2.2.4). */
  private get ackLen(): number { return this.n[Num.AckLen]!; }
  private set ackLen(v: number) { this.n[Num.AckLen] = v; }
  private get byeAuthTries(): number { return this.n[Num.ByeAuthTries]!; }
  private set byeAuthTries(v: number) { this.n[Num.ByeAuthTries] = v; }
  /**
   * Our BYE found no room in the transaction layer (its client pool or
   * message arena full): the time until which it is tried again, 0 when
   * none is held (bye(), holdBye()).
   */
  private get byeHeldUntil(): number { return this.n[Num.ByeHeldUntil]!; }
  private set byeHeldUntil(v: number) { this.n[Num.ByeHeldUntil] = v; }
  /**
   * Bytes of the Request-URI (the dialed URI, or a 3xx's Contact), kept at
   * the head of reqBuf: an outgoing call keeps no INVITE there, and needs
   * the URI no more once its ACK is written over it. Call-ID, URIs and our
   * From tag are written straight into the dialog (Dialog.restartUac).
   */
  private get targetLen(): number { return this.n[Num.TargetLen]!; }
  private set targetLen(v: number) { this.n[Num.TargetLen] = v; }
  private get invitePort(): number { return this.n[Num.InvitePort]!; }
  private set invitePort(v: number) { this.n[Num.InvitePort] = v; }

  /** The dialogHash of the last confirmed dialog a call in this slot ended, or of a fork of it (keepEndedFork; 0: none). */
  get endedDialog(): number {
    return this.n[Num.EndedDialog]!;
  }

  /**
   * A 2xx from a fork of the call `call` names (dialogHash of its Call-ID and our tag, user-agent.ts ourCall) was
   * ended by the user agent (dialogHash `h`): if that call was this slot's last and ended without a dialog of its
   * own, `h` is kept as the slot's ended dialog, so that copies of that 2xx get no BYE again.
   */
  keepEndedFork(call: number, h: number): boolean {
    if (this.n[Num.EndedDialog] !== 0 || this.endedSeq(call) === 0) return false;
    this.n[Num.EndedDialog] = h;
    return true;
  }

  /**
   * The last CSeq this slot's last call sent, if it is the call `call` names (dialogHash of its Call-ID and our tag,
   * 0: none), else 0: user-agent.ts onStray2xx numbers the BYE to a late fork above it.
   */
  endedSeq(call: number): number {
    return call !== 0 && call === this.n[Num.EndedCall] ? this.n[Num.EndedSeq]! : 0;
  }

  /**
   * The last CSeq this call sent (its dialog's local sequence) when it is an outgoing call under way and `msg`, a 2xx
   * with no transaction, answers one of its INVITEs (its Call-ID and our From tag), else 0: a 2xx to an INVITE it
   * retried with credentials, from a fork whose early dialog had the call's PRACK, gets a BYE above that PRACK's
   * CSeq (user-agent.ts onStray2xx; found by test/sfuzz.test.ts).
   */
  liveSeq(msg: SipMessage): number {
    if (!this.active || this.direction !== CallDirection.Outbound) return 0;
    const from = msg.from;
    const d = this.dialog;
    if (msg.callIdLen <= 0 || from.error >= 0 || from.tagLen <= 0) return 0;
    if (!d.callId.equals(msg.buf, msg.callIdStart, msg.callIdLen) || !d.localTag.equals(msg.buf, from.tagStart, from.tagLen)) return 0;
    return d.localSeq;
  }

  get idle(): boolean {
    return this.state === CallState.Idle;
  }

  /** The call is set up or being set up (not idle, not ended). */
  get active(): boolean {
    return this.state !== CallState.Idle && this.state !== CallState.Ended;
  }

  /** The INVITE server transaction of an incoming call that is not answered yet. */
  isInviteTx(tx: ServerTransactionHandle): boolean {
    return this.inviteTx === tx;
  }

  /** The peer's URI (From of an incoming call, To of an outgoing one), for logs and events: made once per call, on demand. */
  peer(): string {
    if (this.peerText === null) this.peerText = this.dialog.remoteUri.toString();
    return this.peerText;
  }

  callIdString(): string {
    return this.dialog.callId.toString();
  }

  // ---------------------------------------------------------------- UAS

  /**
   * A new INVITE (no To tag) for this free slot. Answers what must be
   * answered at once (100, 180, or a rejection) and schedules the answer.
   */
  incoming(tx: ServerTransactionHandle, msg: SipMessage): void {
    this.begin(CallDirection.Inbound);
    this.inviteTx = tx;
    const owner = this.owner;
    this.newTag();
    if (msg.length > this.reqBuf.length) {
      this.rejectInvite(513, P.R_TOO_LARGE, EndReason.Failed, msg);
      return;
    }
    const buf = this.reqBuf;
    const src = msg.buf;
    for (let i = 0; i < msg.length; i++) buf[i] = src[i]!;
    this.reqLen = msg.length;
    // Parsed from our copy: the SDP reader's spans must outlive the host's receive buffer.
    const req = this.storedInvite();
    if (req === null) {
      this.rejectInvite(400, P.R_BAD_REQUEST_CONTACT, EndReason.Failed, msg);
      return;
    }
    this.hasReq = true;
    this.inviteCseq = req.cseq;
    this.prepareMedia();
    if (!this.dialog.initUas(req, this.localTag.bytes, this.localTag.start, this.localTag.len)) {
      this.rejectInvite(400, P.R_BAD_REQUEST_CONTACT, EndReason.Failed, msg);
      return;
    }
    // RFC 4028 §9: a Session-Expires the door cannot take is answered before ringing.
    const se = decide(req, this.values);
    if (se < 0) {
      this.rejectInvite(se === Decision.TooSmall ? 422 : 400, sessionPhrase(se), EndReason.Failed, msg);
      return;
    }
    this.offerInInvite = req.bodyLen > 0;
    if (this.offerInInvite) {
      const sdp = owner.sdp;
      if (!sdp.read(req.buf, req.bodyStart, req.bodyLen)) {
        this.rejectInvite(400, P.R_BAD_REQUEST_SDP, EndReason.NotAcceptable, msg);
        return;
      }
      if (!this.takeOffer(sdp)) {
        this.rejectInvite(488, P.R_NOT_ACCEPTABLE_HERE, EndReason.NotAcceptable, msg);
        return;
      }
    }
    this.reliable = hasOptionTag(req, H.Require, K_100REL, this.values);
    this.setState(CallState.Incoming);
    if (this.logs(LogLevel.Debug)) this.logDebug("call " + this.index + ": incoming call, caller " + this.peer());
    // 100 Trying at once (§8.2.6.1), then 180 Ringing. The listeners may have parsed into the scratch message: parse again.
    const again = this.storedInvite();
    const w = this.w.reset();
    if (again !== null && writeResponseHead(w, again, 100, P.R_TRYING, null, 0, false)) {
      w.end();
      tx.respond(w, 100);
    }
    this.sendRinging();
    const cfg = this.owner.config;
    if (!cfg.autoAnswer) return;
    if (cfg.autoAnswerMs > 0) startPhase(this.owner.timers, this, cfg.autoAnswerMs);
    else this.answer();
  }

  /** Answer an incoming call now (auto-answer does this after its delay). */
  answer(): boolean {
    if (this.state !== CallState.Incoming || !this.hasReq) return false;
    if (this.relPending) {
      // RFC 3262 §3: our 180 is not acknowledged yet; answer once the PRACK comes.
      this.answerAfterPrack = true;
      return true;
    }
    stopPhase(this.owner.timers, this);
    const ok = this.w;
    const req = this.storedInvite();
    // RFC 4028 §9: the same choice as when the INVITE came (incoming() rejected what it could not take).
    const se = req !== null ? decide(req, this.values) : Decision.NoTimer;
    if (req === null || !this.write2xx(ok, req, this.offerInInvite, se)) {
      this.rejectInvite(500, P.R_SERVER_ERROR, EndReason.Failed);
      return false;
    }
    this.sessionAllows(req);
    const tx = this.inviteTx!;
    this.startAwaitingAck(tx, this.inviteCseq, !this.offerInInvite);
    this.inviteTx = null;
    tx.respond(ok, 200);
    // §10: the session timer starts when the 2xx is sent.
    this.startSessionTimer(se > 0 ? decisionSeconds(se) : 0, decisionRefresher(se) === Refresher.Uas, readMinSe(req));
    this.dialog.confirm();
    this.answeredAt = this.now();
    this.setState(CallState.Connecting);
    return true;
  }

  /** An ACK in this dialog (§13.3.1.4): ends the 2xx retransmission; may carry the SDP answer. */
  ack(msg: SipMessage): void {
    if (!this.awaitingAck || msg.cseq !== this.okCseq) return;
    this.stopAwaitingAck();
    if (this.ackCarriesAnswer) {
      // §13.2.1: our 2xx carried the offer; the ACK must carry the answer.
      const sdp = this.owner.sdp;
      if (msg.bodyLen <= 0 || !sdp.read(msg.buf, msg.bodyStart, msg.bodyLen) || !this.takeAnswer(sdp)) {
        if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": the ACK carries no usable SDP answer, hanging up");
        this.setUpIfConnecting();
        this.bye(EndReason.NotAcceptable);
        return;
      }
    }
    this.setUpIfConnecting();
    if (this.byeAfterAck) {
      this.byeAfterAck = false;
      this.bye(this.byeReason);
    }
  }

  /** §9.2: the caller cancelled before we answered: 487 to the INVITE. */
  cancelled(): void {
    if (this.state !== CallState.Incoming) return;
    this.rejectInvite(487, P.R_TERMINATED, EndReason.RemoteCancel);
  }

  // ---------------------------------------------------------------- UAC

  /**
   * Place a call to `uri` (a SIP URI, uri[uriStart, uriStart + uriLen)),
   * sending the INVITE to address:port (the outbound proxy, the registrar,
   * or the URI's host). Returns false when it could not even be sent (the
   * slot is then free).
   */
  dial(uri: Uint8Array, uriStart: number, uriLen: number, address: string, port: number): boolean {
    this.begin(CallDirection.Outbound);
    const owner = this.owner;
    const cfg = owner.config;
    const d = this.dialog;
    if (!this.setTarget(uri, uriStart, uriLen)) {
      this.end(EndReason.Failed, 0);
      return false;
    }
    // The dialog's fields in its store's order, so that none moves (dialog-store.ts): our tag, the Call-ID, the URIs.
    const tag = this.localTag;
    const tagAt = tag.reserve(TAG_LENGTH);
    const idAt = d.callId.reserve(CALL_ID_LENGTH);
    if (idAt < 0 || writeCallId(owner.random, d.callId.bytes, idAt) < 0) d.callId.clear();
    if (tagAt < 0 || writeTag(owner.random, tag.bytes, tagAt) < 0) tag.clear();
    cfg.setAor(d.localUri);
    if (!d.remoteUri.set(uri, uriStart, uriLen)) {
      this.end(EndReason.Failed, 0);
      return false;
    }
    this.inviteAddress = address;
    this.invitePort = port;
    this.inviteCseq = 1 + (owner.random.u32() % 1000);
    this.prepareMedia();
    d.restartUac(this.inviteCseq);
    if (cfg.outboundProxy) {
      this.dialog.fallbackAddress = cfg.proxyHost;
      this.dialog.fallbackPort = cfg.proxyPort;
    }
    this.setState(CallState.Dialing);
    if (this.logs(LogLevel.Debug)) this.logDebug("call " + this.index + ": calling " + spanToString(this.reqBuf, 0, this.targetLen));
    if (!this.sendInvite()) {
      this.end(EndReason.Failed, 503);
      return false;
    }
    if (cfg.ringTimeoutMs > 0) startPhase(owner.timers, this, cfg.ringTimeoutMs);
    return true;
  }

  onResponse(tx: ClientTransactionHandle, msg: SipMessage): void {
    try {
      switch (tx.userData as Purpose) {
        case Purpose.Invite:
          if (tx !== this.inviteClient) {
            // The INVITE of this slot's call before the last (RFC 6026 Accepted, 64*T1), the slot taken by a new call
            // since: its 2xx is ACKed, and ended with BYE unless its dialog is known to be over, as a stray one. (Its
            // CANCEL's transaction carries the same purpose: a 200 to a CANCEL is not one.)
            if (msg.status >= 200 && msg.status < 300 && tx.method === Method.INVITE) this.owner.onStray2xx(msg);
            return;
          }
          if (this.state === CallState.Idle) {
            // The call ended (BYE, answered) while its INVITE transaction still passes 2xx copies up (RFC 6026
            // Accepted, 64*T1), until the slot's next call: never a new start for the ended call (it would come Up
            // again in its idle slot, test/call-uac.test.ts, found by test/sfuzz.test.ts). Its own 2xx is ACKed
            // again (§13.2.2.4); another fork's is ACKed and ended with BYE, as any unwanted fork's.
            if (msg.status >= 200 && msg.status < 300) this.endedCall2xx(msg);
            return;
          }
          this.inviteResponse(msg);
          return;
        case Purpose.Bye:
          if (tx === this.byeTx) this.byeResponse(msg);
          return;
        case Purpose.Notify:
          referResponse(this, this.owner, tx, msg);
          return;
        case Purpose.Refresh:
          // A refresh of an earlier call in this slot (it ended while the refresh was out) is not this call's.
          if (this.dialog.matchesResponse(msg)) this.refreshResponse(msg);
          return;
        default:
          return; // PRACK: its 200 needs nothing (RFC 3262 §4)
      }
    } catch (e) {
      this.caught(e);
    }
  }

  onFailure(tx: ClientTransactionHandle, reason: ClientFailure): void {
    try {
      switch (tx.userData as Purpose) {
        case Purpose.Invite:
          if (tx !== this.inviteClient) return;
          this.inviteClient = null;
          // Timer B: no final response (§17.1.1.2). After our CANCEL, the callee simply never answered.
          if (this.state === CallState.Up) return;
          if (this.cancelReason !== EndReason.None) this.end(this.cancelReason, 0);
          else this.end(EndReason.Failed, reason === ClientFailure.Timeout ? 408 : 503);
          return;
        case Purpose.Bye:
          if (tx !== this.byeTx) return;
          this.byeTx = null;
          // §15.1.1: a BYE without answer still ends the call.
          this.end(this.byeReason, 0);
          return;
        case Purpose.Notify:
          referFailed(this, tx);
          return;
        case Purpose.Refresh:
          // RFC 4028 §10: a refresh that times out ends the session. Only while one is pending: a refresh of an
          // earlier call in this slot (ended, and the slot reused, within its 64*T1) must not end this one.
          if ((this.n[Num.SessionFlags]! & SessionFlag.Pending) !== 0) this.refreshFailed(408);
          return;
        default:
          return;
      }
    } catch (e) {
      this.caught(e);
    }
  }

  /** A 2xx matching this call's dialog after its INVITE transaction was gone: acknowledge it again (§13.2.2.4). */
  stray2xx(msg: SipMessage): boolean {
    const to = msg.to;
    if (!this.dialog.matchesResponse(msg)) {
      // The slot's ended call's own dialog, still whole (until the slot's next call, or until it is lent to end a
      // fork): a late 2xx in it, to its INVITE or a re-INVITE that gave up, is ACKed along its route set and target
      // (§13.2.2.4), which the response alone does not give (a re-INVITE's 2xx need not repeat the Record-Route,
      // §12.2.1.2); never a BYE: the dialog is over (found by test/sfuzz.test.ts).
      // Only one that was confirmed (Num.EndedDialog): an early dialog the call ended in is confirmed by this 2xx and
      // needs its BYE (user-agent.ts endFork).
      if (this.state !== CallState.Idle || this.n[Num.EndedDialog] === 0 || !this.dialog.endedMatches(msg)) return false;
      if (this.n[Num.EndedDialog] !== dialogHash(msg.buf, msg.callIdStart, msg.callIdLen, msg.buf, to.tagStart, to.tagLen)) return false;
      sendAck2xx(this.w, this.dialog, this.owner.layer, this.owner.config, msg.cseq);
      return true;
    }
    const initial = this.direction === CallDirection.Outbound && msg.cseq === this.inviteCseq;
    if (!initial) {
      // A 2xx to our re-INVITE (a session refresh) after its transaction gave up (Timer B): this call's dialog, which
      // then ended (RFC 4028 §10: BYE under way) or goes on. It is ACKed with its CSeq (§13.2.2.4); its dialog is this
      // call's, already being ended or still wanted: no BYE of its own (one with the BYE's CSeq again, a merged
      // request, test/call-session-timer.test.ts, found by test/sfuzz.test.ts).
      // (An incoming call's inviteCseq is the peer's CSeq, another number space: only the tag tells.)
      if (to.tagLen <= 0 || !this.dialog.remoteTag.equals(msg.buf, to.tagStart, to.tagLen)) return false;
      sendAck2xx(this.w, this.dialog, this.owner.layer, this.owner.config, msg.cseq);
      return true;
    }
    if (this.dialog.state === DialogState.Confirmed && to.tagLen > 0 && this.dialog.remoteTag.equals(msg.buf, to.tagStart, to.tagLen) && this.ackLen > 0) {
      this.resendAck();
      return true;
    }
    return false;
  }

  // ------------------------------------------------------- both: hangup

  /**
   * Hang up, whatever the state: CANCEL an outgoing call still ringing
   * (§9.1), decline an incoming one not answered (603), BYE an established
   * one (§15.1.1; after the ACK of our 2xx, §15).
   */
  hangup(reason: EndReason = EndReason.LocalHangup): void {
    try {
      switch (this.state) {
        case CallState.Incoming:
          this.rejectInvite(603, P.R_DECLINE, reason);
          return;
        case CallState.Dialing:
        case CallState.Ringing:
          this.cancel(reason);
          return;
        case CallState.Connecting:
          this.byeAfterAck = true;
          this.byeReason = reason;
          return;
        case CallState.Up:
          if (this.awaitingAck) {
            this.byeAfterAck = true;
            this.byeReason = reason;
            return;
          }
          this.bye(reason);
          return;
        default:
          return;
      }
    } catch (e) {
      this.caught(e);
    }
  }

  // ------------------------------------------------ requests in the dialog

  /** A request (not ACK, not CANCEL) that matched this call's dialog (§12.2.2). */
  request(tx: ServerTransactionHandle, msg: SipMessage): void {
    const method = msg.method;
    if (this.dialog.acceptRemoteCSeq(msg) === DialogCheck.OutOfOrder) {
      this.respondSimple(tx, msg, 500, P.R_CSEQ_ORDER);
      return;
    }
    // §12.1.1: our 2xx confirmed the dialog. A new request in it before the ACK means the ACK
    // was lost or overtaken: the call is up (the 2xx is still resent until the ACK, §13.3.1.4),
    // so that a door code typed at once is not dropped.
    if (this.state === CallState.Connecting && msg.cseq > this.okCseq) this.setUpIfConnecting();
    switch (method) {
      case Method.BYE:
        this.remoteBye(tx, msg);
        return;
      case Method.INVITE:
        this.reInvite(tx, msg);
        return;
      case Method.UPDATE:
        this.update(tx, msg);
        return;
      case Method.PRACK:
        this.prack(tx, msg);
        return;
      case Method.INFO:
        this.info(tx, msg);
        return;
      case Method.MESSAGE:
        this.respondSimple(tx, msg, 200, P.R_OK);
        this.owner.messageReceived(this, msg);
        return;
      case Method.OPTIONS:
        this.respondOptions(tx, msg);
        return;
      case Method.REFER:
        this.referRequest(tx, msg);
        return;
      case Method.NOTIFY:
        // We subscribe to nothing (we never send REFER or SUBSCRIBE): RFC 6665 §4.1.3.
        this.respondSimple(tx, msg, 481, P.R_NO_SUBSCRIPTION);
        return;
      case Method.SUBSCRIBE:
        this.respondSimple(tx, msg, 489, P.R_BAD_EVENT);
        return;
      default:
        this.respondSimple(tx, msg, 481, P.R_NO_TRANSACTION);
    }
  }

  private remoteBye(tx: ServerTransactionHandle, msg: SipMessage): void {
    this.respondSimple(tx, msg, 200, P.R_OK);
    if (this.state === CallState.Incoming) {
      // §15.1.2: a BYE on the early dialog: the pending INVITE gets 487.
      this.rejectInvite(487, P.R_TERMINATED, EndReason.RemoteHangup);
      return;
    }
    if ((this.state === CallState.Dialing || this.state === CallState.Ringing) && this.inviteClient !== null) {
      // Our INVITE is still pending and the callee BYEs its early dialog (§15 says it must not; some do): the
      // INVITE is CANCELled (§9.1), and the call ends with its final response (a crossing 2xx gets ACK and BYE).
      // Ended at once, it left the INVITE's client transaction in Proceeding for good, a slot of the pool lost per
      // such call (test/call-uac.test.ts, found by test/sfuzz.test.ts).
      this.cancel(EndReason.RemoteHangup);
      return;
    }
    this.stopAwaitingAck();
    this.end(EndReason.RemoteHangup, 0);
  }

  /** §14.2: a re-INVITE: hold, resume, or a refreshed target. Same codec, mirrored direction. */
  private reInvite(tx: ServerTransactionHandle, msg: SipMessage): void {
    if (this.state !== CallState.Up) {
      // §14.2: a second INVITE before our final response to the first / before the ACK: 500 with Retry-After.
      const w = this.w.reset();
      if (writeResponseHead(w, msg, 500, P.R_SERVER_ERROR, null, 0, false)) {
        writeRetryAfter(w, 1 + (this.owner.random.u32() % 10));
        w.end();
        tx.respond(w, 500);
      }
      return;
    }
    if (this.awaitingAck) {
      this.respondSimple(tx, msg, 500, P.R_SERVER_ERROR);
      return;
    }
    if ((this.n[Num.SessionFlags]! & SessionFlag.PendingInvite) !== 0) {
      // §14.2: our refreshing re-INVITE is pending: 491 (the peer retries later).
      this.respondSimple(tx, msg, 491, P.R_PENDING);
      return;
    }
    // RFC 4028 §9: a re-INVITE is a session refresh request.
    const se = decide(msg, this.values);
    if (se < 0) {
      this.rejectRefresh(tx, msg, se);
      return;
    }
    const hasOffer = msg.bodyLen > 0;
    if (hasOffer && !this.acceptOffer(tx, msg)) return;
    this.dialog.refreshTarget(msg);
    const ok = this.w;
    if (!this.write2xx(ok, msg, hasOffer, se)) {
      this.respondSimple(tx, msg, 500, P.R_SERVER_ERROR);
      return;
    }
    this.startAwaitingAck(tx, msg.cseq, !hasOffer);
    tx.respond(ok, 200);
    this.sessionAllows(msg);
    this.startSessionTimer(decisionSeconds(se), decisionRefresher(se) === Refresher.Uas, readMinSe(msg));
  }

  /** RFC 4028 §9: 422 with our Min-SE for an interval too small, 400 for an unreadable Session-Expires or Min-SE. */
  private rejectRefresh(tx: ServerTransactionHandle, msg: SipMessage, se: number): void {
    if (se === Decision.TooSmall) this.respond422(tx, msg);
    else this.respondSimple(tx, msg, 400, sessionPhrase(se));
  }

  /**
   * Read a new offer in the dialog (re-INVITE, UPDATE). Malformed SDP is
   * answered 400; no G.711 is answered 488 and the session stays as it was
   * (§14.2, RFC 3311 §5.2). False when the request has been answered.
   */
  private acceptOffer(tx: ServerTransactionHandle, msg: SipMessage): boolean {
    const sdp = this.owner.sdp;
    if (!sdp.read(msg.buf, msg.bodyStart, msg.bodyLen)) {
      this.respondSimple(tx, msg, 400, P.R_BAD_REQUEST_SDP);
      return false;
    }
    if (!this.takeOffer(sdp)) {
      this.respond488(tx, msg);
      return false;
    }
    return true;
  }

  /** RFC 3311: UPDATE, in an early or confirmed dialog; answered at once (no ACK). */
  private update(tx: ServerTransactionHandle, msg: SipMessage): void {
    // RFC 4028 §9: an UPDATE in the confirmed dialog is a session refresh request (one on the early dialog is not, §7.4).
    const confirmed = this.state === CallState.Up || this.state === CallState.Connecting;
    const se = confirmed ? decide(msg, this.values) : Decision.NoTimer;
    if (se < 0) {
      this.rejectRefresh(tx, msg, se);
      return;
    }
    const hasOffer = msg.bodyLen > 0;
    if (hasOffer && (this.n[Num.SessionFlags]! & SessionFlag.PendingInvite) !== 0) {
      // RFC 3311 §5.2: an offer while ours (the refreshing re-INVITE's) waits for its answer: 491.
      this.respondSimple(tx, msg, 491, P.R_PENDING);
      return;
    }
    if (hasOffer && !this.acceptOffer(tx, msg)) return;
    this.dialog.refreshTarget(msg);
    const w = this.w;
    if (!this.writeOkHead(w, msg, 200, se)) return;
    if (hasOffer) {
      // RFC 3311 §5.2: the 2xx carries the answer.
      const sdpW = this.sdpW.reset();
      if (!this.media.writeAnswer(sdpW, this.owner.sdp, this.localDirection)) {
        this.respondSimple(tx, msg, 500, P.R_SERVER_ERROR);
        return;
      }
      w.bytes(K_CONTENT_TYPE_SDP).body(sdpW.buf, 0, sdpW.length);
    } else {
      w.end();
    }
    tx.respond(w, 200);
    if (!confirmed) return;
    this.sessionAllows(msg);
    this.startSessionTimer(decisionSeconds(se), decisionRefresher(se) === Refresher.Uas, readMinSe(msg));
  }

  /** RFC 3262 §3: PRACK for our reliable provisional response. */
  private prack(tx: ServerTransactionHandle, msg: SipMessage): void {
    const rack = this.rack;
    if (!rack.read(msg)) {
      this.respondSimple(tx, msg, 400, P.R_BAD_REQUEST_RACK);
      return;
    }
    if (!this.relPending || rack.rseq !== this.rseq || rack.cseq !== this.inviteCseq || rack.method !== Method.INVITE) {
      this.respondSimple(tx, msg, 481, P.R_NO_RELIABLE);
      return;
    }
    this.relPending = false;
    stopPair(this.owner.timers, this);
    this.respondSimple(tx, msg, 200, P.R_OK);
    if (this.answerAfterPrack) {
      this.answerAfterPrack = false;
      this.answer();
    }
  }

  /** RFC 6086: legacy INFO carrying DTMF; an Info Package we never offered gets 469. */
  private info(tx: ServerTransactionHandle, msg: SipMessage): void {
    if (msg.first[H.InfoPackage]! >= 0) {
      const w = this.w.reset();
      if (writeResponseHead(w, msg, 469, P.R_BAD_INFO_PACKAGE, null, 0, false)) {
        writeEmptyRecvInfo(w);
        w.end();
        tx.respond(w, 469);
      }
      return;
    }
    if (msg.bodyLen <= 0) {
      // An INFO with no body (used as a ping by some peers): nothing to do.
      this.respondSimple(tx, msg, 200, P.R_OK);
      return;
    }
    const digit = this.owner.dtmf.read(msg);
    if (digit === DtmfRead.NotDtmf) {
      // §21.4.13: 415 with what we accept.
      const w = this.w.reset();
      if (writeResponseHead(w, msg, 415, P.R_UNSUPPORTED_MEDIA, this.localTag.bytes, this.localTag.len, false)) {
        w.bytes(K_ACCEPT).bytes(K_ACCEPT_DTMF).crlf();
        w.end();
        tx.respond(w, 415);
      }
      return;
    }
    if (digit === DtmfRead.NoDigit) {
      this.respondSimple(tx, msg, 400, P.R_BAD_REQUEST_DTMF);
      return;
    }
    this.respondSimple(tx, msg, 200, P.R_OK);
    if (this.state === CallState.Up) this.owner.dtmfReceived(this, digit);
    else if (this.logs(LogLevel.Info)) this.logInfo("call " + this.index + ": DTMF outside an established call ignored");
  }

  /**
   * Is a key that came by `way` the copy of one that came the other way?
   * Some phones send each key both as SIP INFO and as RFC 4733 events
   * (Linphone with INFO on, desk phones set to "RFC 2833 + SIP INFO"), and
   * counting both would make every door code wrong. The way that gave the
   * call's last key stays its way while keys keep coming: a key by the
   * other way within DTMF_WAY_HOLD_MS of the last one is its copy. Which
   * way a copy comes first does not matter, nor which digit it names (the
   * copy of the next key may come before that key by the call's way).
   * Called for keys of an established call only; false takes the key.
   */
  dtmfCopy(way: DtmfWay): boolean {
    const n = this.n;
    const now = this.now();
    const last = n[Num.DtmfWay]!;
    if (last !== DtmfWay.None && last !== way && now - n[Num.DtmfAt]! < DTMF_WAY_HOLD_MS) {
      if (this.logs(LogLevel.Debug)) this.logDebug("call " + this.index + ": a DTMF key by " + dtmfWayName(way) + " taken as the copy of one by " + dtmfWayName(last));
      return true;
    }
    n[Num.DtmfWay] = way;
    n[Num.DtmfAt] = now;
    return false;
  }

  /** RFC 3515: REFER in the dialog: 202, then a call to the Refer-To target, reported by NOTIFY. */
  private referRequest(tx: ServerTransactionHandle, msg: SipMessage): void {
    if (!this.owner.config.allowRefer) {
      this.respondSimple(tx, msg, 603, P.R_DECLINE);
      return;
    }
    // Only in a confirmed dialog (RFC 3261 §12): a callee that has not answered has nothing to transfer, and a 2xx from
    // another fork (§13.2.2.4) would confirm a different dialog, where the subscription's NOTIFYs would then go
    // (found by the stateful fuzzer: NOTIFYs in another fork's dialog, after that one had ended).
    if (this.dialog.state !== DialogState.Confirmed) {
      this.respondSimple(tx, msg, 403, P.R_FORBIDDEN_EARLY_TRANSFER);
      return;
    }
    if (referActive(this)) {
      // One transfer at a time.
      this.respondSimple(tx, msg, 491, P.R_PENDING);
      return;
    }
    const h = msg.first[H.ReferTo]!;
    const a = this.addr;
    if (h < 0 || msg.several(H.ReferTo) || !a.read(msg.buf, msg.hValueStart[h]!, msg.hValueEnd[h]!)) {
      this.respondSimple(tx, msg, 400, P.R_BAD_REQUEST_REFER_TO);
      return;
    }
    if (a.uri.scheme !== Scheme.Sip && a.uri.scheme !== Scheme.Sips) {
      this.respondSimple(tx, msg, 416, P.R_UNSUPPORTED_SCHEME);
      return;
    }
    // The target without its "?headers" (Replaces and the like are not acted on), read where it is: placeReferredCall takes it at once.
    const uriStart = a.uriStart;
    const uriLen = a.uri.headersLen >= 0 ? a.uri.headersStart - 1 - uriStart : a.uriLen;
    if (uriLen > URI_FIELD_BYTES) {
      this.respondSimple(tx, msg, 400, P.R_BAD_REQUEST_REFER_TO);
      return;
    }
    // Toll fraud: the call a REFER triggers is placed with the door's account, so only a trusted call may ask for one, and
    // only to the account's own domain (through the server) or a trusted source (user-agent.ts transferAllowed).
    if (!this.owner.transferAllowed(this, a.uri)) {
      if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": transfer refused (" + (this.trusted ? "a target outside the account's domain" : "a call from an untrusted source") + ")");
      this.respondSimple(tx, msg, 403, P.R_FORBIDDEN_TRANSFER);
      return;
    }
    this.respondSimple(tx, msg, 202, P.R_ACCEPTED);
    referStart(this, this.owner, msg.cseq);
    if (this.logs(LogLevel.Info)) this.logInfo("call " + this.index + ": transfer to " + spanToString(msg.buf, uriStart, uriLen));
    // RFC 3892 §2.2: the request the REFER triggers carries its Referred-By (also in the compact form "b", §3). None
    // is made up when the REFER has none: RFC 3892 asks the referee to copy, not to assert who referred it, and PJSIP
    // (pjsua_call.c, on_call_transferred) copies only a Referred-By the REFER carried. placeReferredCall gives the slot
    // it picks the referrer and the value (expectReferral) before that call's first INVITE. The header is copied as it
    // is; a Referred-By token (an S/MIME body of the REFER, named by its cid parameter) is not carried: a target that
    // insists on one answers 429 Provide Referrer Identity, which ends the transferred call as any failure does.
    let rbStart = 0;
    let rbLen = 0;
    const rb = msg.first[H.ReferredBy]!;
    if (rb >= 0) {
      rbStart = msg.hValueStart[rb]!;
      rbLen = msg.hValueEnd[rb]! - rbStart;
      // One value, a name-addr or addr-spec (§3), that fits: anything else is dropped, and the call placed without it.
      if (rbLen > REFERRED_BY_BYTES || msg.several(H.ReferredBy) || !this.addr.read(msg.buf, rbStart, rbStart + rbLen)) {
        if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": the REFER's Referred-By (" + rbLen + " bytes) is not carried to the transfer target");
        rbLen = -1;
      }
    }
    if (rbLen < 0) {
      markReferredByDropped(this);
      rbLen = 0;
    }
    const call = this.owner.placeReferredCall(this, msg.buf, uriStart, uriLen, rbStart, rbLen);
    if (call === null) referProgress(this, this.owner, 503);
  }

  /**
   * This free slot is about to place the call a REFER in `referrer`
   * triggers (null: it did not after all; the user agent's
   * placeReferredCall): that call is referredBy it from its start (its
   * first state is reported, RFC 3515 §2.4.4), and its INVITEs carry the
   * Referred-By value buf[start, start+len), copied to reqBuf after the
   * Request-URI's field (RFC 3892 §2.2), its length in the byte before it.
   * begin() keeps both (dial() writes reqBuf's head only); end() clears them.
   */
  expectReferral(referrer: Call | null, buf: Uint8Array, start: number, len: number): void {
    this.referredBy = referrer;
    const b = this.reqBuf;
    for (let i = 0; i < len; i++) b[REFERRED_BY_AT + 1 + i] = buf[start + i]!;
    b[REFERRED_BY_AT] = len;
  }

  /** A call we placed for a REFER changed state: NOTIFY its progress in this (the referring) call. */
  referProgress(call: Call): void {
    if (!referActive(this)) return;
    const owner = this.owner;
    if (call.state === CallState.Up) referProgress(this, owner, 200);
    else if (call.state === CallState.Ended) {
      // A final status the target sent, else 488 for a 2xx without G.711 (ended by our BYE), else 487 (ended here).
      referProgress(this, owner, call.endStatus > 0 ? call.endStatus : call.endReason === EndReason.NotAcceptable ? 488 : 487);
    }
    else if (call.state === CallState.Ringing) referProgress(this, owner, 180);
  }

  // ------------------------------------------------------------- timers

  /** The queue fires the call itself, the entry of its timers: whichever of them is due (call-timers.ts). */
  fire(): void {
    try {
      const t = this.owner.timerValues;
      const q = this.owner.timers;
      const due = dueTimer(q, this);
      if (due === CallFired.Phase) {
        if (this.state === CallState.Ending) {
          // A BYE held for room in the transaction layer (byeOrHold): try again.
          if (this.byeHeldUntil !== 0 && this.byeTx === null) this.byeOrHold(this.sendBye());
        } else if (this.state === CallState.Up) {
          if (this.logs(LogLevel.Info)) this.logInfo("call " + this.index + ": time limit reached, hanging up");
          this.hangup(EndReason.TimeLimit);
        } else if (this.direction === CallDirection.Inbound) this.answer();
        else if (this.state === CallState.Dialing || this.state === CallState.Ringing) {
          if (this.logs(LogLevel.Info)) this.logInfo("call " + this.index + ": no answer, cancelling");
          this.cancel(EndReason.NoAnswer);
        }
      } else if (due === CallFired.Session) {
        this.sessionDue();
      } else if (due === CallFired.Retransmit) {
        if (this.awaitingAck && this.okTx !== null) {
          // §13.3.1.4: resend the 2xx (its transaction's copy, RFC 6026 §7.1), T1 doubling up to T2.
          this.okTx.resend();
          startRetransmit(q, this, t.nextCapped(this.retransmitInterval));
        } else if (this.relPending && this.inviteTx !== null) {
          // RFC 3262 §3: resend the reliable provisional response (its transaction's copy), T1 doubling.
          this.inviteTx.resend();
          startRetransmit(q, this, 2 * this.retransmitInterval);
        }
      } else if (due === CallFired.Timeout) {
        if (this.awaitingAck) {
          // §13.3.1.4: no ACK within 64*T1: confirm and end the dialog with BYE.
          if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": no ACK for our 2xx, hanging up");
          this.stopAwaitingAck();
          this.setUpIfConnecting();
          this.byeAfterAck = false;
          this.bye(EndReason.NoAck);
        } else if (this.relPending) {
          // RFC 3262 §3: no PRACK within 64*T1: reject the INVITE with a 5xx.
          this.relPending = false;
          this.rejectInvite(500, P.R_NO_PRACK, EndReason.Failed);
        } else if (this.direction === CallDirection.Outbound && this.state !== CallState.Up) {
          this.noResponse();
        }
      }
      // The entry back on what remains of the three (see fire()).
      rearm(q, this);
    } catch (e) {
      this.caught(e);
    }
  }

  // ------------------------------------------------------- session timer

  /*
   * RFC 4028. Each 2xx to a session refresh request (the INVITE, a
   * re-INVITE, an UPDATE in the confirmed dialog; sent or received) sets the
   * interval afresh and says who refreshes (§9, §7.2); the call then either
   * watches (BYE at SE - min(32, SE/3), §10) or refreshes (at SE/2). Its
   * numbers are in n; its due time is the fourth of the call's timers
   * (call-timers.ts), beside the call time limit.
   */

  /** The Allow of a request or 2xx, when it has one: does the peer take UPDATE (RFC 3311)? */
  private sessionAllows(msg: SipMessage): void {
    if (msg.first[H.Allow]! < 0) return;
    // Method names are case-sensitive (§7.1): an exact match.
    let update = false;
    const v = this.values.begin(msg, H.Allow);
    while (v.next()) if (spanEquals(msg.buf, v.start, v.len, K_UPDATE)) update = true;
    const f = this.n[Num.SessionFlags]!;
    this.n[Num.SessionFlags] = update ? f | SessionFlag.PeerUpdate : f & ~SessionFlag.PeerUpdate;
  }

  /** Start (or restart) the session timer for `seconds` (0: the call has none, §9); `minSe` is the peer's Min-SE or Read.Absent. */
  private startSessionTimer(seconds: number, doorRefreshes: boolean, minSe: number): void {
    const n = this.n;
    const q = this.owner.timers;
    if (seconds <= 0) {
      n[Num.SessionSeconds] = 0;
      n[Num.SessionMode] = SessionMode.None;
      stopSession(q, this);
      return;
    }
    n[Num.SessionSeconds] = seconds;
    // A new interval: our next refresh may again answer one challenge and retry one 491.
    n[Num.SessionFlags] = n[Num.SessionFlags]! & ~(SessionFlag.AuthTried | SessionFlag.GlareTried);
    if (minSe > n[Num.SessionMinSe]!) n[Num.SessionMinSe] = minSe;
    n[Num.SessionMode] = doorRefreshes ? SessionMode.Refresh : SessionMode.Watch;
    startSession(q, this, doorRefreshes ? refreshMs(seconds) : expiryMs(seconds));
    if (this.logs(LogLevel.Debug)) this.logDebug("call " + this.index + ": session timer " + seconds + " s, " + (doorRefreshes ? "the door refreshes" : "the peer refreshes"));
  }

  /**
   * §7.2: the Session-Expires of a 2xx to our INVITE or refresh sets the
   * interval; its refresher "uac" means the door. None in the 2xx: no
   * session timer. `absent`: whom a Session-Expires without refresher names.
   */
  private sessionFromResponse(msg: SipMessage, absent: Refresher): void {
    const se = readSessionExpires(msg);
    if (se < 4) {
      this.startSessionTimer(0, false, Read.Absent);
      return;
    }
    const r = se % 4;
    this.startSessionTimer(Math.floor(se / 4), (r === Refresher.None ? absent : r) === Refresher.Uac, readMinSe(msg));
  }

  /** The session timer fired: hang up (the peer stopped refreshing, §10), or refresh. */
  private sessionDue(): void {
    if (this.state !== CallState.Up && this.state !== CallState.Connecting) return;
    const n = this.n;
    const seconds = n[Num.SessionSeconds]!;
    if (n[Num.SessionMode] === SessionMode.Watch) {
      if (this.logs(LogLevel.Info)) this.logInfo("call " + this.index + ": no session refresh within " + seconds + " s (RFC 4028), hanging up");
      this.hangup(EndReason.SessionExpired);
      return;
    }
    if (n[Num.SessionMode] !== SessionMode.Refresh) return;
    const flags = n[Num.SessionFlags]!;
    if ((flags & SessionFlag.Pending) !== 0 || (this.awaitingAck && (flags & SessionFlag.PeerUpdate) === 0)) {
      // A refresh still in flight, or a re-INVITE would cross the ACK of ours (§14.1): again a T2 later.
      startSession(this.owner.timers, this, this.owner.timerValues.t2);
      return;
    }
    if (!this.sendRefresh()) this.refreshFailed(0);
  }

  /** §7.4, §10: our refresh: UPDATE without a body when the peer allows it, else a re-INVITE with our SDP (unchanged, RFC 3264 §8). */
  private sendRefresh(): boolean {
    const d = this.dialog;
    if (d.remoteTarget.len === 0 || !d.hop.valid) return false;
    const owner = this.owner;
    const n = this.n;
    const update = (n[Num.SessionFlags]! & SessionFlag.PeerUpdate) !== 0;
    const method = update ? Method.UPDATE : Method.INVITE;
    const tx = owner.layer.createClient(this, method);
    if (tx === null) return false;
    tx.userData = Purpose.Refresh;
    const cfg = owner.config;
    const w = this.w.reset();
    d.writeRequestLine(w, method);
    owner.layer.writeVia(w, tx);
    d.writeHeaders(w, method, d.nextLocalSeq());
    writeContact(w, cfg, owner.contact());
    writeCapabilities(w, true);
    const seconds = n[Num.SessionSeconds]!;
    // The door keeps refreshing: refresher=uac (the sender of this request, §4). Min-SE: the largest seen, never above the interval.
    writeSessionExpires(w, seconds, Refresher.Uac);
    const seen = n[Num.SessionMinSe]! > MIN_SE ? n[Num.SessionMinSe]! : MIN_SE;
    writeMinSe(w, seen < seconds ? seen : seconds);
    const name = update ? K_UPDATE : K_INVITE;
    const t = d.remoteTarget;
    if (this.wwwActive) this.credentials(w, H.Authorization, this.session(false), name, t.bytes, t.start, t.len);
    if (this.proxyActive) this.credentials(w, H.ProxyAuthorization, this.session(true), name, t.bytes, t.start, t.len);
    cfg.writeUserAgent(w);
    if (update) w.end();
    else {
      const sdpW = this.sdpW.reset();
      if (!this.media.writeOffer(sdpW, this.localDirection)) {
        owner.layer.release(tx);
        return false;
      }
      w.bytes(K_CONTENT_TYPE_SDP).body(sdpW.buf, 0, sdpW.length);
    }
    if (w.overflow) {
      owner.layer.release(tx);
      return false;
    }
    n[Num.SessionFlags] = n[Num.SessionFlags]! | (update ? SessionFlag.Pending : SessionFlag.Pending | SessionFlag.PendingInvite);
    if (this.logs(LogLevel.Debug)) this.logDebug("call " + this.index + ": session refresh by " + (update ? "UPDATE" : "re-INVITE"));
    return owner.layer.send(tx, w, d.hop.address, d.hop.port);
  }

  /**
   * The answer to our refresh (each 2xx of a re-INVITE is acknowledged, §13.2.2.4). Asked again at once after
   * 422 (its Min-SE), 405/501 to an UPDATE (by re-INVITE) and 401/407 (credentials, once per interval); after 491
   * once, a random wait later; anything else is refreshFailed().
   */
  private refreshResponse(msg: SipMessage): void {
    const status = msg.status;
    if (status < 200) return;
    const invite = msg.cseqMethod === Method.INVITE;
    if (status < 300) {
      if (invite && this.active) this.ackRefresh(msg);
      const n = this.n;
      if ((n[Num.SessionFlags]! & SessionFlag.Pending) === 0) return; // a retransmitted 2xx
      n[Num.SessionFlags] = n[Num.SessionFlags]! & ~(SessionFlag.Pending | SessionFlag.PendingInvite);
      // Credentials it carried worked: a later plain challenge (a fresh nonce per request, 3CX) is an expired nonce.
      this.credentialsProven();
      if (this.state !== CallState.Up && this.state !== CallState.Connecting) return;
      if (invite && msg.bodyLen > 0) {
        const sdp = this.owner.sdp;
        if (sdp.read(msg.buf, msg.bodyStart, msg.bodyLen)) this.takeAnswer(sdp);
      }
      this.sessionAllows(msg);
      this.sessionFromResponse(msg, Refresher.Uac);
      return;
    }
    const n = this.n;
    n[Num.SessionFlags] = n[Num.SessionFlags]! & ~(SessionFlag.Pending | SessionFlag.PendingInvite);
    if (this.state === CallState.Up || this.state === CallState.Connecting) {
      if (status === 422) {
        // §7.2 (§6): the peer wants a longer interval: ask again once with its Min-SE.
        const m = readMinSe(msg);
        if (m > n[Num.SessionSeconds]!) {
          n[Num.SessionSeconds] = m;
          n[Num.SessionMinSe] = m;
          if (this.sendRefresh()) return;
        }
      } else if ((status === 405 || status === 501) && !invite && (n[Num.SessionFlags]! & SessionFlag.PeerUpdate) !== 0) {
        // The peer listed UPDATE but refuses it: refresh by re-INVITE from now on.
        n[Num.SessionFlags] = n[Num.SessionFlags]! & ~SessionFlag.PeerUpdate;
        if (this.sendRefresh()) return;
      } else if ((status === 401 || status === 407) && (n[Num.SessionFlags]! & SessionFlag.AuthTried) === 0) {
        // RFC 3261 §22.2, §22.3: the refresh again with credentials, once (as the BYE, byeResponse); a PBX that
        // challenges every request (3CX) would otherwise see the session lapse.
        n[Num.SessionFlags] = n[Num.SessionFlags]! | SessionFlag.AuthTried;
        if (this.challenge(msg, status === 407, this.dialog.hop.address, this.dialog.hop.port) && this.sendRefresh()) return;
      } else if (status === 491 && (n[Num.SessionFlags]! & SessionFlag.GlareTried) === 0 && n[Num.SessionMode] === SessionMode.Refresh) {
        // RFC 3261 §14.1 (RFC 3311 §5.1): glare with a request of the peer's: try again after a random wait, 2.1 to
        // 4 s when the door chose the Call-ID (it placed the call), else 0 to 2 s. Once; sessionDue() sends it.
        n[Num.SessionFlags] = n[Num.SessionFlags]! | SessionFlag.GlareTried;
        const r = this.owner.random.u32();
        startSession(this.owner.timers, this, this.direction === CallDirection.Outbound ? 2100 + (r % 1901) : r % 2001);
        return;
      }
    }
    this.refreshFailed(status);
  }

  /**
   * §10: a refresh that got 408 or 481, or no answer, ends the call with
   * BYE. Any other failure (or one that could not be sent, 0) leaves the
   * session until it expires: the door watches the rest of the interval.
   */
  private refreshFailed(status: number): void {
    const n = this.n;
    n[Num.SessionFlags] = n[Num.SessionFlags]! & ~(SessionFlag.Pending | SessionFlag.PendingInvite);
    if (this.state !== CallState.Up && this.state !== CallState.Connecting) return;
    if (status === 408 || status === 481) {
      if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": session refresh failed (" + status + "), hanging up");
      this.hangup(EndReason.SessionExpired);
      return;
    }
    const seconds = n[Num.SessionSeconds]!;
    if (this.logs(LogLevel.Info)) this.logInfo("call " + this.index + ": session refresh not taken (" + status + "), the session expires in " + (expiryMs(seconds) - refreshMs(seconds)) / 1000 + " s");
    n[Num.SessionMode] = SessionMode.Watch;
    startSession(this.owner.timers, this, expiryMs(seconds) - refreshMs(seconds));
  }

  /** The ACK of a 2xx to our refreshing re-INVITE (§13.2.2.4), built afresh for each (a retransmission too). */
  private ackRefresh(msg: SipMessage): void {
    sendAck2xx(this.w, this.dialog, this.owner.layer, this.owner.config, msg.cseq);
  }

  // ------------------------------------------------------------ internals

  /** A new tag (§19.3) as the dialog's local tag; empty when it cannot be made. */
  private newTag(): void {
    const t = this.localTag;
    const at = t.reserve(TAG_LENGTH);
    if (at < 0 || writeTag(this.owner.random, t.bytes, at) < 0) t.clear();
  }

  private begin(direction: CallDirection): void {
    this.direction = direction;
    this.state = CallState.Idle;
    this.endReason = EndReason.None;
    this.endStatus = 0;
    this.dialog.reset();
    this.hasReq = false;
    this.reqLen = 0;
    this.peerText = null;
    this.inviteTx = null;
    this.offerInInvite = false;
    this.awaitingAck = false;
    this.okTx = null;
    this.okCseq = 0;
    this.ackCarriesAnswer = false;
    this.reliable = false;
    this.rseq = 0;
    this.relPending = false;
    this.answerAfterPrack = false;
    this.byeAfterAck = false;
    this.byeReason = EndReason.None;
    this.inviteClient = null;
    this.inviteCseq = 0;
    this.authTries = 0;
    this.redirected = false;
    this.cancelReason = EndReason.None;
    this.lastRseq = 0;
    if (this.www !== null) this.www.reset();
    if (this.proxyAuth !== null) this.proxyAuth.reset();
    this.wwwActive = false;
    this.proxyActive = false;
    this.credLen = 0;
    this.byeTx = null;
    this.byeAuthTries = 0;
    this.byeHeldUntil = 0;
    this.ackLen = 0;
    this.targetLen = 0;
    referReset(this);
    // referredBy and the Referred-By are not cleared: a call placed for a REFER has them from before its start (expectReferral).
    this.userData = 0;
    this.n[Num.DtmfWay] = DtmfWay.None;
    this.n[Num.HasRtpAddress] = 0;
    this.n[Num.RemoteRtcpPort] = 0;
    this.n[Num.RemoteRtcpIp4] = 0;
    this.n[Num.SessionSeconds] = 0;
    this.n[Num.SessionMode] = SessionMode.None;
    this.n[Num.SessionFlags] = 0;
    this.n[Num.SessionMinSe] = 0;
    this.remoteRtpPort = 0;
    this.codec = Codec.None;
    this.codecPt = -1;
    this.telephoneEventPt = -1;
    this.remoteDirection = Direction.SendRecv;
    this.localDirection = Direction.SendRecv;
    this.answeredAt = 0;
    this.startedAt = this.now();
  }

  /**
   * The INVITE received, parsed again from reqBuf into the user agent's
   * scratch message: valid until the next parse there, so taken again after
   * anything that calls out (listeners). Null when there is none.
   */
  private storedInvite(): SipMessage | null {
    if (this.reqLen <= 0) return null;
    const msg = this.owner.scratch.msg;
    return this.owner.parser.parse(this.reqBuf, this.reqLen, msg) ? msg : null;
  }

  /** A fresh SDP session for this call, on our current address (RFC 4566 §5.2: o= id unique per session). */
  private prepareMedia(): void {
    const c = this.owner.contact();
    this.media.newSession(this.owner.random.u32() % 2147483647, c.source !== "" ? c.source : this.owner.layer.advertisedAddress);
  }

  /** Read the peer's offer into the call. False when it has no usable G.711 audio (488). */
  private takeOffer(sdp: SdpReader): boolean {
    if (sdp.audioIndex < 0 || sdp.codec === Codec.None) return false;
    this.takeRemote(sdp);
    return true;
  }

  /** Read the peer's answer to our offer (RFC 3264 §6): it must pick PCMU or PCMA. */
  private takeAnswer(sdp: SdpReader): boolean {
    if (sdp.audioIndex < 0 || sdp.codec === Codec.None) return false;
    this.takeRemote(sdp);
    return true;
  }

  private takeRemote(sdp: SdpReader): void {
    this.codec = sdp.codec;
    this.codecPt = sdp.codecPt;
    this.telephoneEventPt = sdp.telephoneEventPt;
    this.remoteDirection = sdp.direction;
    this.remoteRtpPort = sdp.audioPort;
    // A new string only for a new address: the same peer call after call costs none.
    if (sdp.connNull) this.n[Num.HasRtpAddress] = 0;
    else {
      if (!textEquals(this.lastRtpAddress, sdp.buf, sdp.connStart, sdp.connLen)) this.lastRtpAddress = sdp.connectionAddress();
      this.n[Num.HasRtpAddress] = 1;
    }
    // RFC 3605 a=rtcp: taken afresh from every SDP, so a re-offer without it goes back to RTP + 1. Its address, a
    // number, only when it is not the RTP's (c= read from the body's bytes: no string): the media makes the text.
    this.n[Num.RemoteRtcpPort] = sdp.rtcpPort;
    const ip4 = sdp.rtcpIp4;
    this.n[Num.RemoteRtcpIp4] = ip4 !== 0 && !sdp.connNull && readIpv4(sdp.buf, sdp.connStart, sdp.connLen) !== ip4 ? ip4 : 0;
  }

  /** 180 Ringing (reliable when required, RFC 3262 §3), with Contact for the early dialog (§12.1.1). */
  private sendRinging(): void {
    const tx = this.inviteTx;
    if (tx === null) return;
    if (this.reliable) {
      this.rseq = 1 + (this.owner.random.u32() % 2147483647);
      this.relPending = true;
    }
    const w = this.w180();
    tx.respond(w, 180);
    if (this.reliable) {
      const t = this.owner.timerValues;
      startRetransmit(this.owner.timers, this, t.t1);
      startTimeout(this.owner.timers, this, t.b);
    }
  }

  private w180(): SipWriter {
    const w = this.w.reset();
    const req = this.storedInvite();
    if (req === null || !this.writeResponseStart(w, req, 180, P.R_RINGING, true)) {
      w.overflow = true; // not sent
      return w;
    }
    writeContact(w, this.owner.config, this.owner.contact());
    if (this.reliable) writeReliable(w, this.rseq);
    writeCapabilities(w);
    this.owner.config.writeServer(w);
    w.end();
    return w;
  }

  /** A dialog-creating or in-dialog 200 with Contact, Allow, Supported, the session timer's choice `se` (session-timer.ts) and the SDP (answer, or offer when `answer` is false). */
  private write2xx(w: SipWriter, req: SipMessage, answer: boolean, se: number): boolean {
    if (!this.writeOkHead(w, req, 200, se)) return false;
    const sdpW = this.sdpW.reset();
    const ok = answer ? this.media.writeAnswer(sdpW, this.owner.sdp, this.localDirection) : this.media.writeOffer(sdpW, this.localDirection);
    if (!ok) return false;
    w.bytes(K_CONTENT_TYPE_SDP).body(sdpW.buf, 0, sdpW.length);
    return !w.overflow;
  }

  private writeOkHead(w: SipWriter, req: SipMessage, status: number, se: number): boolean {
    w.reset();
    if (!this.writeResponseStart(w, req, status, P.R_OK, req.method === Method.INVITE && this.direction === CallDirection.Inbound && this.state === CallState.Incoming)) return false;
    writeContact(w, this.owner.config, this.owner.contact());
    writeCapabilities(w, se > 0);
    if (se > 0) {
      // RFC 4028 §9: the interval and who refreshes; Require: timer when the request indicated support (a must when the UAC refreshes).
      writeSessionExpires(w, decisionSeconds(se), decisionRefresher(se));
      if (decisionSupported(se)) writeRequireTimer(w);
    }
    this.owner.config.writeServer(w);
    return true;
  }

  /** Status line and the headers copied from the request, with our To tag; Record-Route for dialog-creating responses (§12.1.1). */
  private writeResponseStart(w: SipWriter, req: SipMessage, status: number, reason: Uint8Array, recordRoute: boolean): boolean {
    return writeResponseHead(w, req, status, reason, this.localTag.bytes, this.localTag.len, recordRoute);
  }

  private respondSimple(tx: ServerTransactionHandle, req: SipMessage, status: number, reason: Uint8Array): void {
    const w = this.w.reset();
    if (!writeResponseHead(w, req, status, reason, this.localTag.bytes, this.localTag.len, false)) return;
    this.owner.config.writeServer(w);
    w.end();
    tx.respond(w, status);
  }

  /** §11.2 in a dialog: the same Allow and Supported as outside one (user-agent.ts options). */
  private respondOptions(tx: ServerTransactionHandle, req: SipMessage): void {
    const w = this.w.reset();
    if (!writeResponseHead(w, req, 200, P.R_OK, this.localTag.bytes, this.localTag.len, false)) return;
    writeCapabilities(w, true);
    this.owner.config.writeServer(w);
    w.end();
    tx.respond(w, 200);
  }

  /** 488 with Warning 305 (§21.4.26, §20.43). */
  private respond488(tx: ServerTransactionHandle, req: SipMessage): void {
    const w = this.w.reset();
    if (!writeResponseHead(w, req, 488, P.R_NOT_ACCEPTABLE_HERE, this.localTag.bytes, this.localTag.len, false)) return;
    writeWarning305(w, this.owner.contact());
    this.owner.config.writeServer(w);
    w.end();
    tx.respond(w, 488);
  }

  /** RFC 4028 §6, §9: 422 with the door's Min-SE. */
  private respond422(tx: ServerTransactionHandle, req: SipMessage): void {
    const w = this.w.reset();
    if (!writeResponseHead(w, req, 422, P.R_INTERVAL_TOO_SMALL, this.localTag.bytes, this.localTag.len, false)) return;
    writeMinSe(w, MIN_SE);
    this.owner.config.writeServer(w);
    w.end();
    tx.respond(w, 422);
  }

  /** A final non-2xx to the incoming INVITE, and the end of the call. */
  private rejectInvite(status: number, reason: Uint8Array, why: EndReason, source: SipMessage | null = null): void {
    const tx = this.inviteTx;
    this.inviteTx = null;
    this.relPending = false;
    this.answerAfterPrack = false;
    const timers = this.owner.timers;
    stopAll(timers, this);
    if (tx !== null && tx.state === ServerState.Proceeding) {
      const src = source !== null ? source : this.hasReq ? this.storedInvite() : null;
      if (src !== null) {
        if (status === 488) this.respond488(tx, src);
        else if (status === 422) this.respond422(tx, src);
        else this.respondSimple(tx, src, status, reason);
      }
    }
    if ((status === 488 || status === 513 || status === 422 || (status === 400 && !this.hasReq)) && this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": incoming INVITE rejected with " + status);
    this.end(why, status);
  }

  private startAwaitingAck(tx: ServerTransactionHandle, cseq: number, ackCarriesAnswer: boolean): void {
    this.awaitingAck = true;
    this.okTx = tx;
    this.okCseq = cseq;
    this.ackCarriesAnswer = ackCarriesAnswer;
    const t = this.owner.timerValues;
    startRetransmit(this.owner.timers, this, t.t1);
    startTimeout(this.owner.timers, this, t.h);
  }

  private stopAwaitingAck(): void {
    if (!this.awaitingAck) return;
    this.awaitingAck = false;
    this.okTx = null;
    stopPair(this.owner.timers, this);
  }

  private setUpIfConnecting(): void {
    if (this.state !== CallState.Connecting) return;
    this.setState(CallState.Up);
    this.startLimit();
  }

  private startLimit(): void {
    const limit = this.owner.config.callLimitMs;
    if (limit > 0) startPhase(this.owner.timers, this, limit);
  }

  // ------------------------------------------------------------- UAC internals

  /** Write and send the INVITE (first, authenticated retry, or after a redirect). */
  private sendInvite(): boolean {
    const owner = this.owner;
    const layer = owner.layer;
    const tx = layer.createClient(this, Method.INVITE);
    if (tx === null) {
      if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": no free transaction for the INVITE");
      return false;
    }
    tx.userData = Purpose.Invite;
    const cfg = owner.config;
    const w = this.w.reset();
    w.bytes(K_INVITE_SP);
    w.span(this.reqBuf, 0, this.targetLen);
    w.bytes(K_SIP20);
    layer.writeVia(w, tx);
    w.bytes(K_MAX_FORWARDS);
    cfg.writeRoute(w);
    w.bytes(K_FROM_OPEN);
    if (cfg.displayName !== "") w.bytes(K_QUOTE).text(cfg.displayName).bytes(K_QUOTE).byte(32);
    w.bytes(K_LT);
    const d = this.dialog;
    d.localUri.write(w).bytes(K_TAG);
    d.localTag.write(w).crlf();
    w.bytes(K_TO_OPEN);
    d.remoteUri.write(w).bytes(K_GT_CRLF);
    w.headerName(H.CallId);
    d.callId.write(w).crlf();
    w.bytes(K_CSEQ).uint(this.inviteCseq).bytes(K_INVITE_CRLF);
    writeContact(w, cfg, owner.contact());
    writeCapabilities(w);
    // RFC 3892 §2.2: the Referred-By of the REFER that made this call, in each of its INVITEs (after a 401/407, a 3xx).
    const rbLen = this.referredByLen;
    if (rbLen > 0) w.headerName(H.ReferredBy).span(this.reqBuf, REFERRED_BY_AT + 1, rbLen).crlf();
    cfg.writeUserAgent(w);
    // Credentials (§22.2, §22.3): the digest-uri is the Request-URI. Kept for the ACK (§22.1).
    const credStart = w.pos;
    if (this.wwwActive) this.credentials(w, H.Authorization, this.session(false), K_INVITE, this.reqBuf, 0, this.targetLen);
    if (this.proxyActive) this.credentials(w, H.ProxyAuthorization, this.session(true), K_INVITE, this.reqBuf, 0, this.targetLen);
    this.keepCredentials(w, credStart);
    const sdpW = this.sdpW.reset();
    if (!this.media.writeOffer(sdpW, Direction.SendRecv)) {
      layer.release(tx);
      return false;
    }
    w.bytes(K_CONTENT_TYPE_SDP).body(sdpW.buf, 0, sdpW.length);
    if (w.overflow) {
      layer.release(tx);
      if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": INVITE does not fit the buffer");
      return false;
    }
    this.inviteClient = tx;
    this.dialog.localSeq = this.inviteCseq;
    if (!layer.send(tx, w, this.inviteAddress, this.invitePort)) return false;
    // The clock of NO_RESPONSE_T1 runs from this INVITE's first transmission, as its Timer A does.
    startNoResponse(owner.timers, this, NO_RESPONSE_T1 * owner.timerValues.t1);
    return true;
  }

  private inviteResponse(msg: SipMessage): void {
    const status = msg.status;
    const d = this.dialog;
    // Any response, 100 Trying too, means the target is there: no early give-up (NO_RESPONSE_T1). Only before the
    // answer: once up, the timeout is the pair's (call-timers.ts), e.g. a re-INVITE's 2xx waiting for its ACK while a
    // retransmission of our 2xx comes.
    if (this.state === CallState.Dialing || this.cancelReason !== EndReason.None) stopNoResponse(this.owner.timers, this);
    if (status < 200) {
      if (status === 100) return;
      if (this.state === CallState.Ending) return;
      const to = msg.to;
      if (to.tagLen > 0 && (d.state === DialogState.None || d.state === DialogState.Early)) d.fromResponse(msg);
      if (msg.bodyLen > 0) {
        // Early media (§13.2.1, RFC 3262): an SDP answer in a provisional response.
        const sdp = this.owner.sdp;
        if (sdp.read(msg.buf, msg.bodyStart, msg.bodyLen)) this.takeAnswer(sdp);
      }
      this.prackIfReliable(msg);
      if (this.state === CallState.Dialing) this.setState(CallState.Ringing);
      return;
    }
    if (status < 300) {
      this.credentialsProven();
      this.inviteAccepted(msg);
      return;
    }
    this.inviteClient = null;
    if (this.state === CallState.Up) return;
    if ((status === 401 || status === 407) && this.cancelReason === EndReason.None && this.authTries < MAX_AUTH_TRIES) {
      if (this.challenge(msg, status === 407, this.inviteAddress, 0) && this.nextInvite()) return;
      this.end(EndReason.Rejected, status);
      return;
    }
    if (status >= 300 && status < 400 && !this.redirected && this.cancelReason === EndReason.None && this.redirect(msg)) return;
    if (this.cancelReason !== EndReason.None) {
      this.end(this.cancelReason, status);
      return;
    }
    if (this.logs(LogLevel.Info)) this.logInfo("call " + this.index + ": rejected: " + status + " " + msg.reasonString());
    this.end(status === 486 || status === 600 ? EndReason.Busy : status === 488 || status === 606 ? EndReason.NotAcceptable : EndReason.Rejected, status);
  }

  /** A 2xx to our INVITE (and each retransmission): ACK it (§13.2.2.4); the call is up. */
  private inviteAccepted(msg: SipMessage): void {
    const d = this.dialog;
    const to = msg.to;
    if (d.state === DialogState.Confirmed) {
      if (to.tagLen > 0 && d.remoteTag.equals(msg.buf, to.tagStart, to.tagLen)) {
        // A retransmission: the same ACK again.
        this.resendAck();
      } else {
        // Another fork answered too (§13.2.2.4): acknowledge it and end it.
        this.owner.forkAnswered(msg, this.dialog.localSeq);
      }
      return;
    }
    if (d.state === DialogState.Early && to.tagLen > 0 && !d.remoteTag.equals(msg.buf, to.tagStart, to.tagLen)) {
      // The 2xx comes from another fork than the early dialog: that fork's dialog is the call.
      d.state = DialogState.None;
    }
    if (!d.fromResponse(msg)) {
      if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": 2xx without a usable To tag or Contact");
      this.end(EndReason.Failed, msg.status);
      return;
    }
    stopPhase(this.owner.timers, this);
    this.sendAck();
    if (this.owner.dialogEnded(dialogHash(d.callId.bytes, d.callId.start, d.callId.len, d.remoteTag.bytes, d.remoteTag.start, d.remoteTag.len))) {
      // The same phone answered an earlier INVITE of this call (the one a 401/407 or 3xx asked us to send again) and
      // that 2xx, one of no live call's, was ended with BYE: this answer is in that dialog, which is over. ACKed, and
      // the call fails (a peer that breaks §17: a final response, then a 2xx, to one INVITE; found by test/sfuzz.test.ts).
      if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": answered in a dialog already ended");
      this.end(EndReason.Failed, msg.status);
      return;
    }
    if (this.cancelReason !== EndReason.None) {
      // §9.1: the 2xx crossed our CANCEL (ring timeout, hang-up, another hunt target answered): end it with BYE.
      this.bye(this.cancelReason);
      return;
    }
    const sdp = this.owner.sdp;
    const answered = msg.bodyLen > 0 && sdp.read(msg.buf, msg.bodyStart, msg.bodyLen) && this.takeAnswer(sdp);
    this.answeredAt = this.now();
    if (!answered && this.codec === Codec.None) {
      // Answered, but nobody to talk to: ACKed and ended with BYE, never Up, so that a hunt moves on to its next
      // target (or keeps the others ringing) and a transfer's NOTIFY reports a failure (488), not a 200.
      if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": the answer has no G.711 audio, hanging up");
      this.bye(EndReason.NotAcceptable);
      return;
    }
    this.setState(CallState.Up);
    this.startLimit();
    // RFC 4028 §7.2: our INVITE does not offer timers, but a 2xx that sets one anyway is followed: refresher=uac makes
    // the door refresh, uas makes it watch (§10).
    this.sessionAllows(msg);
    this.sessionFromResponse(msg, Refresher.Uas);
  }

  /**
   * The ACK of the 2xx (§13.2.2.4), with the INVITE's credentials (§22.1),
   * written in the scratch writer and sent from there, and kept at the head
   * of reqBuf for retransmissions of the 2xx (over the Request-URI and the
   * credentials it copied, which are no longer needed).
   */
  private sendAck(): void {
    const d = this.dialog;
    const w = this.w.reset();
    d.writeRequestLine(w, Method.ACK);
    this.owner.layer.writeStatelessVia(w);
    d.writeHeaders(w, Method.ACK, this.inviteCseq);
    if (this.credLen > 0) w.span(this.reqBuf, this.reqBuf.length - this.credLen, this.credLen);
    this.owner.config.writeUserAgent(w);
    w.end();
    this.credLen = 0;
    const n = w.length;
    if (w.overflow || n > this.reqBuf.length) {
      if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": ACK does not fit");
      this.ackLen = 0;
      return;
    }
    const buf = this.reqBuf;
    const src = w.buf;
    for (let i = 0; i < n; i++) buf[i] = src[i]!;
    this.ackLen = n;
    this.owner.layer.sendStateless(w, d.hop.address, d.hop.port);
  }

  /**
   * A 2xx to the INVITE of this slot's ended call (onResponse), ACKed and ended as any unwanted fork's (user-agent.ts
   * forkAnswered). The call's own confirmed dialog is known to be over (its hash, Num.EndedDialog): its copy gets the
   * ACK again and no second BYE. Any other gets its BYE: another fork's, and the early dialog the call had when it
   * ended unanswered (its CANCEL never sent, or crossed), which this 2xx confirms (§9.1). The BYE is numbered above
   * every CSeq the call sent (Num.EndedSeq: a PRACK in that early dialog), not from the slot's dialog, which the user
   * agent may have lent out and reset since to end another fork (found by test/sfuzz.test.ts).
   */
  private endedCall2xx(msg: SipMessage): void {
    this.owner.forkAnswered(msg, this.n[Num.EndedSeq]!);
  }

  /** The kept ACK again, for a retransmission of the 2xx (§13.2.2.4), through the scratch writer. */
  private resendAck(): void {
    const n = this.ackLen;
    if (n <= 0) return;
    const d = this.dialog;
    const w = this.w.reset();
    w.span(this.reqBuf, 0, n);
    this.owner.layer.sendStateless(w, d.hop.address, d.hop.port);
  }

  /** The Digest session for 401 (WWW-Authenticate) or 407 (Proxy-Authenticate, `proxy`), made on first use. */
  private session(proxy: boolean): DigestSession {
    const cfg = this.owner.config;
    if (proxy) {
      if (this.proxyAuth === null) this.proxyAuth = new DigestSession(this.owner.hash, this.owner.random, { username: cfg.authUser, password: cfg.password });
      return this.proxyAuth;
    }
    if (this.www === null) this.www = new DigestSession(this.owner.hash, this.owner.random, { username: cfg.authUser, password: cfg.password });
    return this.www;
  }

  /** Our credentials for `method` to uri[uriStart, uriStart + uriLen) (§22.2, §22.3: the digest-uri is the Request-URI), computed into w. */
  private credentials(w: SipWriter, header: H, session: DigestSession, method: Uint8Array, uri: Uint8Array, uriStart: number, uriLen: number): void {
    const at = w.pos;
    w.headerName(header);
    if (session.writeAuthorization(w, method, 0, method.length, uri, uriStart, uriLen)) w.crlf();
    else if (!w.overflow) w.pos = at; // no accepted challenge: no header
  }

  /** The Request-URI, src[start, start+len), into the head of reqBuf; false (and none) when longer than URI_FIELD_BYTES. */
  private setTarget(src: Uint8Array, start: number, len: number): boolean {
    if (len < 0 || len > URI_FIELD_BYTES) {
      this.targetLen = 0;
      return false;
    }
    const buf = this.reqBuf;
    for (let i = 0; i < len; i++) buf[i] = src[start + i]!;
    this.targetLen = len;
    return true;
  }

  /** Keep the INVITE's credential lines, w.buf[from, w.pos), at the end of reqBuf (after the Request-URI and the Referred-By) for its ACK. */
  private keepCredentials(w: SipWriter, from: number): void {
    const n = w.overflow ? 0 : w.pos - from;
    const buf = this.reqBuf;
    if (n <= 0 || n > buf.length - REFERRED_BY_AT - 1 - this.referredByLen) {
      this.credLen = 0;
      return;
    }
    const at = buf.length - n;
    const src = w.buf;
    for (let i = 0; i < n; i++) buf[at + i] = src[from + i]!;
    this.credLen = n;
  }

  /**
   * RFC 3262 §4: acknowledge a reliable provisional response once per RSeq. Counted as acknowledged only once the
   * PRACK went: with no client transaction free (two phones of a parallel hunt sending reliable 183s at once, the
   * pool taken by their INVITEs and another request) the callee resends its 18x (§3, T1 doubling for 64*T1) and
   * the PRACK goes with a copy; marked at once, it never went, and the callee ended the call for want of it.
   */
  private prackIfReliable(msg: SipMessage): void {
    if (!hasOptionTag(msg, H.Require, K_100REL, this.values)) return;
    const rseq = rseqOf(msg);
    const d = this.dialog;
    if (rseq <= 0 || (this.lastRseq > 0 && rseq <= this.lastRseq) || d.state !== DialogState.Early || d.remoteTarget.len === 0) return;
    const owner = this.owner;
    const tx = owner.layer.createClient(this, Method.PRACK);
    if (tx === null) return;
    tx.userData = Purpose.Prack;
    const w = this.w.reset();
    d.writeRequestLine(w, Method.PRACK);
    owner.layer.writeVia(w, tx);
    d.writeHeaders(w, Method.PRACK, d.nextLocalSeq());
    writeRAck(w, rseq, this.inviteCseq);
    owner.config.writeUserAgent(w);
    w.end();
    if (owner.layer.send(tx, w, d.hop.address, d.hop.port)) this.lastRseq = rseq;
  }

  /**
   * §22.2/§22.3: take the challenge to the request sent to `to`; true when it should be resent with credentials.
   * The account's credentials are answered only to the configured server (the registrar, or the outbound proxy:
   * config.proxyHost, moved with the server): a call to another host (a REFER's or a 3xx's target, a call target
   * given as a URI of another host, a peer's remote target) that challenges is ended, so that nobody else gets a
   * digest response to guess the password from offline with a nonce of its choosing (RFC 7616 §5.9) or to replay at the server.
   * A request in the dialog (`port` > 0: a BYE, a session refresh) of a trusted call may also go to the server under
   * another address, one the owner trusts (allow_from: a multi-homed PBX's second address, its Contact or Record-Route):
   * user-agent.ts serverPeer. A new call's INVITE (`port` 0) only to the server itself.
   */
  private challenge(msg: SipMessage, proxy: boolean, to: string, port: number): boolean {
    if (to !== this.owner.config.proxyHost && (port === 0 || !this.owner.serverPeer(this, to, port))) {
      if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": " + msg.status + " to a request sent to " + to + ", not the server: the account's credentials are not sent there");
      return false;
    }
    // Read from the message's bytes, the credentials computed into the writer: no strings but the host's digests.
    const verdict = this.session(proxy).challengeFrom(msg, proxy ? H.ProxyAuthenticate : H.WwwAuthenticate, proxy);
    if (verdict === -1) return false;
    if (verdict !== DigestVerdict.Retry) {
      if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": credentials rejected (" + msg.status + ")");
      return false;
    }
    if (proxy) this.proxyActive = true;
    else this.wwwActive = true;
    return true;
  }

  /**
   * Our INVITE with credentials was accepted: a later challenge in this call without stale=true (a BYE's,
   * RFC 2617 §3.2.1) then means an expired nonce, not a wrong password. 3CX challenges each request of a
   * phone with a nonce of its own, the BYE too; without this the door gave up on the BYE and the PBX
   * kept the call (test/interop-pbx.test.ts).
   */
  private credentialsProven(): void {
    if (this.wwwActive && this.www !== null) this.www.succeeded();
    if (this.proxyActive && this.proxyAuth !== null) this.proxyAuth.succeeded();
  }

  /** The next INVITE of this call: a new transaction, a higher CSeq (restartInvite), same Call-ID and From tag (§8.1.3.5, §22.2). */
  private nextInvite(): boolean {
    this.authTries++;
    this.restartInvite();
    return this.sendInvite();
  }

  /**
   * The CSeq of the call's next INVITE: above the last one's and above any request sent in an early dialog of it (a
   * PRACK to a reliable 18x before a 407), so that no two requests of the call with one Call-ID and From tag share
   * a number; a BYE to a late fork of an earlier INVITE goes above it too (liveSeq).
   */
  private restartInvite(): void {
    const d = this.dialog;
    this.inviteCseq = (d.localSeq > this.inviteCseq ? d.localSeq : this.inviteCseq) + 1;
    d.restartUac(this.inviteCseq);
  }

  /**
   * §8.1.3.4: try the first Contact of a 3xx, once. Toll fraud: a target that is not the account's own (a call
   * target given as another host's URI) may not redirect the call to the account's domain or server, nor, with an
   * outbound proxy (which carries every INVITE), to any other host than its own: else a stranger's server could
   * send the door, with its credentials (which go to the server only), to a number at the door's own provider. A
   * 3xx of the account's own target (its domain, the server: the owner's forwarding, a redirect server's
   * registered contact) is followed wherever it points, as before.
   */
  private redirect(msg: SipMessage): boolean {
    const h = msg.first[H.Contact]!;
    if (h < 0) return false;
    const v = this.values.begin(msg, H.Contact);
    if (!v.next()) return false;
    const a = this.addr;
    // The target this 3xx answers, read before the Contact takes the same reader: its host stays in reqBuf until setTarget.
    if (!a.read(this.reqBuf, 0, this.targetLen)) return false;
    const own = this.owner.ownTarget(a.uri);
    const oldStart = a.uri.hostStart;
    const oldLen = a.uri.hostLen;
    const oldPort = a.uri.port;
    if (!a.read(msg.buf, v.start, v.start + v.len) || a.star || (a.uri.scheme !== Scheme.Sip && a.uri.scheme !== Scheme.Sips)) return false;
    const u = a.uri;
    const sameHost = u.port === oldPort && spansEqualCI(this.reqBuf, oldStart, oldLen, msg.buf, u.hostStart, u.hostLen);
    if (!own && !sameHost && (this.owner.config.outboundProxy || this.owner.ownTarget(u))) {
      if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": a " + msg.status + " of a target elsewhere to " + spanToString(msg.buf, a.uriStart, a.uriLen) + " is not followed (the account's own server, or another host through the outbound proxy)");
      return false;
    }
    if (!this.setTarget(msg.buf, a.uriStart, a.uriLen)) return false;
    if (!this.owner.config.outboundProxy) {
      // The Contact's host and port, made by the dialog's next hop (which keeps its last string: none made for a repeated host);
      // restartUac() below clears it again.
      const hop = this.dialog.hop;
      if (!hop.fromUri(a.uri)) return false;
      this.inviteAddress = hop.address;
      this.invitePort = hop.port;
    }
    this.redirected = true;
    if (this.logs(LogLevel.Info)) this.logInfo("call " + this.index + ": redirected to " + spanToString(this.reqBuf, 0, this.targetLen));
    this.authTries = 0;
    this.restartInvite();
    return this.sendInvite();
  }

  /**
   * NO_RESPONSE_T1 passed without any response to our INVITE: give the
   * target up now rather than at Timer B. The transaction is abandoned (it
   * stops retransmitting; a late 2xx then reaches the user agent as a stray
   * one, which it ACKs and ends with BYE, §13.2.2.4; anything else is
   * dropped), and the call ends: a hunt moves on, a REFER's NOTIFY says 408.
   */
  private noResponse(): void {
    const tx = this.inviteClient;
    // abandon() is false once the INVITE had a response (its transaction is no longer Calling): nothing to give up.
    if (tx === null || !this.owner.layer.abandon(tx)) return;
    this.inviteClient = null;
    // Cancelled meanwhile (ring timeout, hang-up), the CANCEL held for a 1xx that never came: ended as Timer B would end it.
    if (this.cancelReason !== EndReason.None) {
      this.end(this.cancelReason, 0);
      return;
    }
    if (this.logs(LogLevel.Info)) this.logInfo("call " + this.index + ": no response to the INVITE, giving up");
    this.end(EndReason.Unreachable, 408);
  }

  /** §9.1: CANCEL the INVITE (held by the layer until a provisional response came). */
  private cancel(reason: EndReason): void {
    this.cancelReason = reason;
    stopPhase(this.owner.timers, this);
    const tx = this.inviteClient;
    this.setState(CallState.Ending);
    if (tx === null || !tx.cancel()) this.end(reason, 0);
  }

  /** §15.1.1: BYE; the call is over when it is answered (or times out). */
  private bye(reason: EndReason): void {
    this.byeReason = reason;
    stopPhase(this.owner.timers, this);
    if (this.state !== CallState.Ending) this.setState(CallState.Ending);
    this.byeOrHold(this.sendBye());
  }

  /**
   * What a BYE's sending came to. Sent: the call ends with its answer (or
   * Timer F). Failed (no dialog to send it in, a transport error): the call
   * ends at the door. NoRoom: the layer's client pool or message arena was
   * full (a parallel hunt's INVITEs, a CANCEL, a keepalive, a refresh): the
   * BYE is held and tried again (T1 doubling up to T2) for up to 64*T1, as a CANCEL is
   * held (client.ts cancelNow). Ended at the door at once, the call went on
   * at the phone, its audio to a door that no longer listened, until the
   * callee hung up or its session timer ran out.
   */
  private byeOrHold(sent: ByeSend): void {
    if (sent === ByeSend.Sent) {
      this.byeHeldUntil = 0;
      return;
    }
    const q = this.owner.timers;
    const now = q.now();
    if (sent === ByeSend.NoRoom) {
      if (this.byeHeldUntil === 0) {
        this.byeHeldUntil = now + this.owner.timerValues.b;
        if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": no room for the BYE yet, holding it");
      }
      if (now < this.byeHeldUntil) {
        // T1 doubling up to T2, as Timer E (§17.1.2.2): the time held so far is the next wait.
        const t = this.owner.timerValues;
        const held = now - (this.byeHeldUntil - t.b);
        startPhase(q, this, held < t.t1 ? t.t1 : held > t.t2 ? t.t2 : held);
        return;
      }
      if (this.logs(LogLevel.Warn)) this.logWarn("call " + this.index + ": still no room for the BYE, ending the call here");
    }
    this.end(this.byeReason, 0);
  }

  private sendBye(): ByeSend {
    const d = this.dialog;
    if (d.remoteTarget.len === 0 || !d.hop.valid) return ByeSend.Failed;
    const owner = this.owner;
    const tx = owner.layer.createClient(this, Method.BYE);
    if (tx === null) return ByeSend.NoRoom;
    tx.userData = Purpose.Bye;
    const w = this.w.reset();
    d.writeRequestLine(w, Method.BYE);
    owner.layer.writeVia(w, tx);
    const cseq = d.nextLocalSeq();
    d.writeHeaders(w, Method.BYE, cseq);
    if (this.wwwActive) this.credentials(w, H.Authorization, this.session(false), K_BYE, d.remoteTarget.bytes, d.remoteTarget.start, d.remoteTarget.len);
    if (this.proxyActive) this.credentials(w, H.ProxyAuthorization, this.session(true), K_BYE, d.remoteTarget.bytes, d.remoteTarget.start, d.remoteTarget.len);
    owner.config.writeUserAgent(w);
    w.end();
    this.byeTx = tx;
    if (owner.layer.send(tx, w, d.hop.address, d.hop.port)) return ByeSend.Sent;
    this.byeTx = null;
    return owner.layer.sendRefused ? ByeSend.NoRoom : ByeSend.Failed;
  }

  private byeResponse(msg: SipMessage): void {
    const status = msg.status;
    if (status < 200) return;
    this.byeTx = null;
    if ((status === 401 || status === 407) && this.byeAuthTries < 1 && this.challenge(msg, status === 407, this.dialog.hop.address, this.dialog.hop.port)) {
      this.byeAuthTries++;
      this.byeOrHold(this.sendBye());
      return;
    }
    this.end(this.byeReason, 0);
  }

  // ------------------------------------------------------------- state

  private setState(state: CallState): void {
    if (state === this.state) return;
    this.state = state;
    if (this.logs(LogLevel.Debug)) this.logDebug("call " + this.index + ": " + callStateName(state));
    this.owner.stateChanged(this);
    const r = this.referredBy;
    if (r !== null) r.referProgress(this);
  }

  /** The end: stop everything, tell the owner, free the slot. */
  private end(reason: EndReason, status: number): void {
    if (this.state === CallState.Ended || (this.state === CallState.Idle && this.direction === CallDirection.None)) return;
    const timers = this.owner.timers;
    stopAll(timers, this);
    this.awaitingAck = false;
    this.okTx = null;
    this.endReason = reason;
    this.endStatus = status;
    const d = this.dialog;
    // The slot's last confirmed dialog, kept until its next call ends: a late copy of a 2xx in it (the peer resends
    // its 2xx until our ACK arrives, §13.3.1.4; a 2xx to our re-INVITE after Timer B) is ACKed, and not ended again
    // by a BYE in a dialog that is over (user-agent.ts endFork; found by test/sfuzz.test.ts). An early dialog is not
    // kept: a 2xx after our CANCEL makes a dialog that does need its BYE (§9.1).
    // A call that ended without one (no answer, a 487 or 408) keeps the one before; in a slot that had none, it leaves
    // the place to the first fork of its own that the user agent ends after it (keepEndedFork).
    // The one it remembered before goes to the user agent's list (owner.endedBefore), but only when this call has
    // one to keep instead: a call that ended without a dialog (declined, unanswered) pushed out of the list, oldest
    // first, a dialog still within its 64*T1 of 2xx copies, which then got a second BYE (test/sfuzz.test.ts, seed
    // 5056: four calls in five seconds with one call slot).
    const confirmed = d.state === DialogState.Confirmed && d.callId.len > 0 && d.remoteTag.len > 0;
    if (confirmed) {
      const before = this.n[Num.EndedDialog]!;
      if (before !== 0) this.owner.endedBefore(before);
      this.n[Num.EndedDialog] = dialogHash(d.callId.bytes, d.callId.start, d.callId.len, d.remoteTag.bytes, d.remoteTag.start, d.remoteTag.len);
    }
    // And the last CSeq the call sent, for a BYE to a fork whose 2xx comes after the call ended (the INVITE's 408 or
    // 487 first, a forking proxy forwarding every 2xx, §16.7): that fork's early dialog may have had our PRACK or
    // UPDATE, and its BYE must be numbered above them (§12.2.1.1). The slot's dialog may be lent out by then.
    if (d.callId.len > 0 && d.localTag.len > 0) {
      // The one before goes to the user agent's list, for a fork of that call answering late (owner.endedCallBefore).
      if (this.n[Num.EndedCall] !== 0) this.owner.endedCallBefore(this.n[Num.EndedCall]!, this.n[Num.EndedSeq]!);
      this.n[Num.EndedCall] = dialogHash(d.callId.bytes, d.callId.start, d.callId.len, d.localTag.bytes, d.localTag.start, d.localTag.len);
      this.n[Num.EndedSeq] = d.localSeq;
    }
    d.terminate();
    if (this.logs(LogLevel.Debug)) this.logDebug("call " + this.index + ": ended (" + endReasonName(reason) + (status > 0 ? ", " + status : "") + ")");
    this.setState(CallState.Ended);
    referCallEnded(this);
    this.state = CallState.Idle;
    this.direction = CallDirection.None;
    this.referredBy = null;
    // No Referred-By for the slot's next call (an incoming call's INVITE, or our ACK, may have filled the byte).
    this.reqBuf[REFERRED_BY_AT] = 0;
    this.owner.released(this);
  }

  private now(): number {
    return this.owner.timers.now();
  }

  /** Nothing throws out of the core: log; a call that cannot go on is ended. */
  private caught(e: unknown): void {
    const log = this.owner.log;
    if (log !== undefined) log.log(LogLevel.Error, "call " + this.index + ": " + String(e));
    if (this.active) this.end(EndReason.Failed, 500);
  }

  /** Would the log write a line of `level`? Asked before building its text. */
  private logs(level: LogLevel): boolean {
    return logEnabled(this.owner.log, level);
  }

  private logDebug(text: string): void {
    const log = this.owner.log;
    if (log !== undefined) log.log(LogLevel.Debug, text);
  }

  private logInfo(text: string): void {
    const log = this.owner.log;
    if (log !== undefined) log.log(LogLevel.Info, text);
  }

  private logWarn(text: string): void {
    const log = this.owner.log;
    if (log !== undefined) log.log(LogLevel.Warn, text);
  }
}

/** The reason phrase of a 400/422 for a Session-Expires or Min-SE the door cannot take (session-timer.ts Decision). */
function sessionPhrase(se: number): Uint8Array {
  if (se === Decision.TooSmall) return P.R_INTERVAL_TOO_SMALL;
  return se === Decision.BadMinSe ? P.R_BAD_REQUEST_MIN_SE : P.R_BAD_REQUEST_SESSION_EXPIRES;
}



/** Do a[aStart, aStart+aLen) and b[bStart, bStart+bLen) hold the same host, ASCII letters in either case (RFC 3261 §19.1.4)? */
function spansEqualCI(a: Uint8Array, aStart: number, aLen: number, b: Uint8Array, bStart: number, bLen: number): boolean {
  if (aLen !== bLen) return false;
  for (let i = 0; i < aLen; i++) {
    const x = a[aStart + i]!;
    const y = b[bStart + i]!;
    if (x !== y && !((x | 0x20) === (y | 0x20) && (x | 0x20) >= 97 && (x | 0x20) <= 122)) return false;
  }
  return true;
}
