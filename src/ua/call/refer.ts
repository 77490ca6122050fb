/*
 * The notifier side of a transfer (RFC 3515): after 202 Accepted to a
 * REFER, the progress of the call placed to the Refer-To target is sent in
 * NOTIFYs in the referring dialog: Event: refer, a message/sipfrag body
 * with the status line ("SIP/2.0 100 Trying" at once, §2.4.5), and
 * Subscription-State terminated with the final status (RFC 6665 §4.2.2).
 * One NOTIFY is in flight at a time; a newer status waits for its answer.
 *
 * The notifier's state is the referring call's (ReferSubscription: a
 * transaction and three numbers in the call's table), and these are
 * functions over it, as timer-pair.ts is over a TimerPair: in XS a
 * notifier object of its own was 8 heap slots per call slot (16 bytes each
 * on the device), with a pointer back to its call and to the owner.
 */
import { ascii } from "../../sip/message/bytes";
import { H } from "../../sip/message/header";
import type { SipMessage } from "../../sip/message/message";
import { Method } from "../../sip/message/method";
import type { SipWriter } from "../../sip/message/writer";
import type { Dialog } from "../../sip/dialog/dialog";
import type { ClientTransactionHandle, ClientTransactionUser } from "../../sip/transaction/api";
import { writeContact } from "./headers";
import type { CallOwner } from "./owner";

const K_EVENT_REFER = ascii("Event: refer");
const K_ID = ascii(";id=");
const K_ACTIVE = ascii("Subscription-State: active;expires=60\r\n");
const K_TERMINATED = ascii("Subscription-State: terminated;reason=noresource\r\n");
const K_SIPFRAG = ascii("Content-Type: message/sipfrag;version=2.0\r\n");
const K_SIP20 = ascii("SIP/2.0 ");

/** Purpose tag of NOTIFY transactions in the call's userData space (see Call's Purpose). */
export const NOTIFY_PURPOSE = 4;

/** The reason phrase for a sipfrag status line (RFC 3261 §21's phrases for the common ones). */
function phrase(status: number): string {
  switch (status) {
    case 100: return "Trying";
    case 180: return "Ringing";
    case 183: return "Session Progress";
    case 200: return "OK";
    case 404: return "Not Found";
    case 408: return "Request Timeout";
    case 480: return "Temporarily Unavailable";
    case 486: return "Busy Here";
    case 487: return "Request Terminated";
    case 488: return "Not Acceptable Here";
    case 503: return "Service Unavailable";
    case 603: return "Decline";
    default: return status < 300 ? "OK" : "Failed";
  }
}

/** The notifier's flags, in one number. */
const enum Flag {
  /** Subscription alive: NOTIFYs are due. */
  Active = 1,
  /** The final status was sent (RFC 6665 §4.2.2: Subscription-State terminated). */
  Finished = 2,
  /** A REFER was accepted in this dialog... */
  Referred = 4,
  /** ...and then another: NOTIFYs carry the id of the subscription (RFC 3515 §2.4.6). */
  ReferredAgain = 8,
  /** The last REFER's Referred-By was not carried to the target (RFC 3892 §2.2; Call.referRequest). */
  ReferredByDropped = 16,
}

/** What the referring call carries for its implicit subscription (RFC 3515 §2.4.4): the call is the NOTIFYs' transaction user. */
export interface ReferSubscription extends ClientTransactionUser {
  readonly dialog: Dialog;
  /** The NOTIFY in flight, null when none. */
  notifyTx: ClientTransactionHandle | null;
  /** Flag bits. */
  referFlags: number;
  /** The status to report next (0: nothing pending); a final one ends the subscription. */
  referPending: number;
  /** The id of the subscription (RFC 3515 §2.4.6): the CSeq of the REFER, written from the second REFER of a dialog on. */
  referCseq: number;
}

/** Subscription alive: NOTIFYs are due. */
export function referActive(s: ReferSubscription): boolean {
  return (s.referFlags & Flag.Active) !== 0;
}

function deactivate(s: ReferSubscription): void {
  s.referFlags &= ~Flag.Active;
}

/** A new call in the slot: no subscription. */
export function referReset(s: ReferSubscription): void {
  s.referFlags = 0;
  s.notifyTx = null;
  s.referPending = 0;
}

/** The REFER just accepted had a Referred-By that the call to the target does not carry (too long, several, malformed). */
export function markReferredByDropped(s: ReferSubscription): void {
  s.referFlags |= Flag.ReferredByDropped;
}

export function referredByDropped(s: ReferSubscription): boolean {
  return (s.referFlags & Flag.ReferredByDropped) !== 0;
}

/** A REFER was accepted (202): report "100 Trying" (RFC 3515 §2.4.5). */
export function referStart(s: ReferSubscription, owner: CallOwner, referCseq: number): void {
  const flags = s.referFlags;
  const again = (flags & Flag.Referred) !== 0 ? Flag.ReferredAgain : 0;
  s.referFlags = (flags & Flag.ReferredAgain) | again | Flag.Referred | Flag.Active;
  s.referCseq = referCseq;
  referProgress(s, owner, 100);
}

/** The referred call progressed: 1xx keeps the subscription, a final status ends it. */
export function referProgress(s: ReferSubscription, owner: CallOwner, status: number): void {
  if (!referActive(s) || (s.referFlags & Flag.Finished) !== 0) return;
  s.referPending = status;
  if (s.notifyTx === null) flush(s, owner);
}

/** A response to a NOTIFY of this call. */
export function referResponse(s: ReferSubscription, owner: CallOwner, tx: ClientTransactionHandle, msg: SipMessage): void {
  if (tx !== s.notifyTx || msg.status < 200) return;
  s.notifyTx = null;
  // RFC 6665 §4.1.3: 481 (or any failure) means the subscriber is gone.
  if (msg.status >= 300 || (s.referFlags & Flag.Finished) !== 0) {
    deactivate(s);
    return;
  }
  flush(s, owner);
}

/** A NOTIFY of this call got no final response (its transaction failed). */
export function referFailed(s: ReferSubscription, tx: ClientTransactionHandle): void {
  if (tx !== s.notifyTx) return;
  s.notifyTx = null;
  deactivate(s);
}

/** The referring call ended: its dialog can carry no more NOTIFYs. */
export function referCallEnded(s: ReferSubscription): void {
  deactivate(s);
  s.referPending = 0;
}

function flush(s: ReferSubscription, owner: CallOwner): void {
  const status = s.referPending;
  if (status === 0 || !referActive(s)) return;
  s.referPending = 0;
  const d = s.dialog;
  if (!d.active || d.remoteTarget.len === 0) {
    deactivate(s);
    return;
  }
  const tx = owner.layer.createClient(s, Method.NOTIFY);
  if (tx === null) return;
  tx.userData = NOTIFY_PURPOSE;
  const final = status >= 200;
  // The user agent's scratch writer: a NOTIFY is handed to its transaction as soon as it is written.
  const w: SipWriter = owner.scratch.w.reset();
  d.writeRequestLine(w, Method.NOTIFY);
  owner.layer.writeVia(w, tx);
  d.writeHeaders(w, Method.NOTIFY, d.nextLocalSeq());
  w.bytes(K_EVENT_REFER);
  if ((s.referFlags & Flag.ReferredAgain) !== 0) w.bytes(K_ID).uint(s.referCseq);
  w.crlf();
  w.bytes(final ? K_TERMINATED : K_ACTIVE);
  writeContact(w, owner.config, owner.contact());
  owner.config.writeUserAgent(w);
  w.bytes(K_SIPFRAG);
  // The body: "SIP/2.0 <status> <reason>\r\n" (RFC 3420).
  const body = K_SIP20.length + 3 + 1 + phrase(status).length + 2;
  w.headerUint(H.ContentLength, body).crlf();
  w.bytes(K_SIP20).uint(status).byte(32).text(phrase(status)).crlf();
  if (final) s.referFlags |= Flag.Finished;
  s.notifyTx = tx;
  if (!owner.layer.send(tx, w, d.hop.address, d.hop.port)) {
    s.notifyTx = null;
    deactivate(s);
  }
}
