/*
 * What a call needs from the user agent that owns it: the layers below,
 * shared scratch readers, and where its events go.
 */
import type { HashHost, LogHost, RandomHost } from "../../host";
import type { SipMessage } from "../../sip/message/message";
import type { SipParser } from "../../sip/message/parser";
import type { Uri } from "../../sip/message/uri";
import type { SdpReader } from "../../sip/sdp/reader";
import type { TimerQueue } from "../../sip/timer/timer-queue";
import type { TimerValues } from "../../sip/timer/timers";
import type { TransactionLayerApi } from "../../sip/transaction/api";
import type { ContactAddress } from "../contact-address";
import type { Scratch } from "../scratch";
import type { Call } from "./call";
import type { CallConfig } from "./config";
import type { DtmfReader } from "./dtmf";

export interface CallOwner {
  readonly layer: TransactionLayerApi;
  readonly timers: TimerQueue;
  readonly timerValues: TimerValues;
  readonly random: RandomHost;
  readonly hash: HashHost;
  readonly log: LogHost | undefined;
  readonly config: CallConfig;
  /** The call slots, by index (a call placed for a REFER names its referrer by index: Call.referredBy). */
  readonly calls: readonly Call[];
  /** Shared scratch: writers, the message a call parses its stored INVITE into, readers (src/ua/scratch.ts). */
  readonly scratch: Scratch;
  /** Shared scratch: a call parses its stored INVITE, reads SDP and DTMF with these. */
  readonly parser: SipParser;
  readonly sdp: SdpReader;
  readonly dtmf: DtmfReader;
  /** Our Contact address, kept equal to the layer's advertised address. */
  contact(): ContactAddress;
  /** The call's state changed (including the end: call.state === CallState.Ended). */
  stateChanged(call: Call): void;
  /** A DTMF digit (character code) arrived in the call. */
  dtmfReceived(call: Call, digit: number): void;
  /** A MESSAGE arrived (in the call's dialog, or outside any with call null). */
  messageReceived(call: Call | null, msg: SipMessage): void;
  /**
   * REFER accepted in `call`: place the call to the URI in buf[start,
   * start+len) (the REFER's bytes), referred by `call` from its first state
   * and carrying the Referred-By value buf[rbStart, rbStart+rbLen) (none
   * when rbLen is 0). Null when no slot is free or the target is unusable.
   */
  placeReferredCall(call: Call, buf: Uint8Array, start: number, len: number, rbStart: number, rbLen: number): Call | null;
  /**
   * May a REFER in `call` make the door call `target` (the Refer-To URI)? Only
   * in a trusted call, and only to the account's domain or a trusted source.
   */
  transferAllowed(call: Call, target: Uri): boolean;
  /** Is `target` the account's domain or the server's name (no port, no maddr) or a trusted source? */
  trustedTarget(target: Uri): boolean;
  /**
   * May a challenge to a request in `call`'s dialog sent to address:port be answered, though it is not the server's
   * configured address? Only in a trusted call, and only to a source the owner configured as trusted (the server's
   * addresses, allow_from), never the local networks' default.
   */
  serverPeer(call: Call, address: string, port: number): boolean;
  /** Is `target` the account's own: its domain or the server's name (any port), or the server's address? */
  ownTarget(target: Uri): boolean;
  /**
   * A 2xx from another fork of a call that is already up (§13.2.2.4): acknowledge it, then BYE it. `seqFloor`: the
   * call's last CSeq (its PRACK or UPDATE may have gone to that fork's early dialog): the BYE's is above it.
   */
  forkAnswered(msg: SipMessage, seqFloor: number): void;
  /** A 2xx to an INVITE no call holds any longer (a slot's earlier call, its transaction still passing copies up): as one with no transaction. */
  onStray2xx(msg: SipMessage): void;
  /**
   * An ended dialog (dialogHash) a call slot remembered gives way to its next call's: the user agent keeps it among
   * its list of dialogs ended last, so that a late copy of a 2xx in it still gets no BYE.
   */
  endedBefore(h: number): void;
  /** Has a dialog (dialogHash of its Call-ID and remote tag) been ended already: a slot's or the user agent's list? */
  dialogEnded(h: number): boolean;
  /** As endedBefore, for an ended call's hash (Call-ID and our tag) and the last CSeq it sent. */
  endedCallBefore(call: number, seq: number): void;
  /** A call slot is free again. */
  released(call: Call): void;
}
