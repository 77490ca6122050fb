/*
 * The states of a call (an INVITE session, RFC 3261 §13) as the intercom
 * sees them, and why a call ended.
 */

export const enum CallState {
  /** The slot is free. */
  Idle = 0,
  /** UAS: an INVITE arrived; 180 Ringing sent, not answered yet. */
  Incoming = 1,
  /** UAC: INVITE sent, no ringing yet (at most 100 Trying). */
  Dialing = 2,
  /** UAC: the callee rings (180/183). */
  Ringing = 3,
  /** UAS: 200 OK sent, waiting for the ACK (§13.3.1.4). */
  Connecting = 4,
  /** The call is established (ACK received, or 2xx received and ACK sent). */
  Up = 5,
  /** We hung up: BYE or CANCEL sent, waiting for its answer. */
  Ending = 6,
  /** Over; the slot is freed right after the owner is told. */
  Ended = 7,
}

/**
 * How a DTMF key reached the door: SIP INFO (RFC 6086 legacy use) or RFC
 * 4733 events in the call's RTP. Some phones send each key both ways
 * (Call.dtmfCopy).
 */
export const enum DtmfWay {
  None = 0,
  Info = 1,
  Rtp = 2,
  /** Heard as tones in the audio (src/media/inband-dtmf.ts). */
  Inband = 3,
}

/**
 * How long (ms) the way that gave a call's last DTMF key stays the call's
 * way (Call.dtmfCopy): the two copies of one key come within milliseconds of
 * each other (an INFO whose first copy was lost comes a retransmission
 * later, 0.5-1.5 s), a person types a code's keys well within it; after this
 * long without a key, either way may take over (a re-INVITE that dropped
 * telephone-event, a PBX leg that changed).
 */
export const DTMF_WAY_HOLD_MS = 4000;

export const enum CallDirection {
  None = 0,
  /** Someone called the door. */
  Inbound = 1,
  /** The door called someone (doorbell, transfer). */
  Outbound = 2,
}

export const enum EndReason {
  None = 0,
  /** We hung up (BYE, CANCEL, or declined an unanswered incoming call). */
  LocalHangup = 1,
  /** The other side sent BYE. */
  RemoteHangup = 2,
  /** The caller cancelled before we answered (§9.2). */
  RemoteCancel = 3,
  /** Nobody answered within the ring timeout: CANCEL sent. */
  NoAnswer = 4,
  /** 486 Busy Here, 600 Busy Everywhere. */
  Busy = 5,
  /** Another final failure (4xx-6xx): see endStatus. */
  Rejected = 6,
  /** No response at all (Timer B), or the request could not be sent. */
  Failed = 7,
  /** Our 2xx was never acknowledged (§13.3.1.4): BYE sent. */
  NoAck = 8,
  /** The call time limit ran out: BYE sent. */
  TimeLimit = 9,
  /** No common codec (488), or no answer to our offer. */
  NotAcceptable = 10,
  /** Another target of a parallel hunt answered: CANCEL sent. */
  AnsweredElsewhere = 11,
  /** RFC 4028 §10: no session refresh came in time, or ours failed (408, 481, no answer): BYE sent. */
  SessionExpired = 12,
  /**
   * Our INVITE had no response at all, not even 100 Trying, for the
   * no-response time (call.ts NO_RESPONSE_T1): given up before Timer B
   * (the server or the phone is down); endStatus 408.
   */
  Unreachable = 13,
}

/** For logs. Returns literals: nothing is built. */
export function endReasonName(r: EndReason): string {
  switch (r) {
    case EndReason.LocalHangup: return "local hangup";
    case EndReason.RemoteHangup: return "remote hangup";
    case EndReason.RemoteCancel: return "cancelled by caller";
    case EndReason.NoAnswer: return "no answer";
    case EndReason.Busy: return "busy";
    case EndReason.Rejected: return "rejected";
    case EndReason.Failed: return "failed";
    case EndReason.NoAck: return "no ACK";
    case EndReason.TimeLimit: return "time limit";
    case EndReason.NotAcceptable: return "no common codec";
    case EndReason.AnsweredElsewhere: return "answered elsewhere";
    case EndReason.SessionExpired: return "session expired";
    case EndReason.Unreachable: return "no response";
    default: return "none";
  }
}

export function callStateName(s: CallState): string {
  switch (s) {
    case CallState.Idle: return "idle";
    case CallState.Incoming: return "incoming";
    case CallState.Dialing: return "dialing";
    case CallState.Ringing: return "ringing";
    case CallState.Connecting: return "connecting";
    case CallState.Up: return "up";
    case CallState.Ending: return "ending";
    case CallState.Ended: return "ended";
    default: return "?";
  }
}

/** A DTMF way's name for the log. */
export function dtmfWayName(w: DtmfWay): string {
  switch (w) {
    case DtmfWay.Info: return "INFO";
    case DtmfWay.Rtp: return "RFC 4733";
    case DtmfWay.Inband: return "in-band tones";
    default: return "none";
  }
}
