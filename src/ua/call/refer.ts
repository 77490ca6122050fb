/*
 * The notifier side of a transfer (RFC 3515): after 202 Accepted to a
 * REFER, the progress of the call placed to the Refer-To target is sent in
 * NOTIFYs in the referring dialog: Event: refer, a message/sipfrag body
 * with the status line ("SIP/2.0 100 Trying" at once, §2.4.5), and
 * Subscription-State terminated with the final status (RFC 6665 §4.2.2).
 * One NOTIFY is in flight at a time; a newer status waits for its answer.
 */
import { ascii } from "../../sip/message/bytes";
import { H } from "../../sip/message/header";
import type { SipMessage } from "../../sip/message/message";
import { Method } from "../../sip/message/method";
import type { SipWriter } from "../../sip/message/writer";
import type { ClientTransactionHandle } from "../../sip/transaction/api";
import type { Call } from "./call";
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

/** The notifier's flags, in one number (in XS each property is a heap slot per call slot, 16 bytes on the device). */
const enum Flag {
  /** Subscription alive: NOTIFYs are due. */
  Active = 1,
  /** The final status was sent (RFC 6665 §4.2.2: Subscription-State terminated). */
  Finished = 2,
  /** A REFER was accepted in this dialog... */
  Referred = 4,
  /** ...and then another: NOTIFYs carry the id of the subscription (RFC 3515 §2.4.6). */
  ReferredAgain = 8,
}

export class ReferNotifier {
  private readonly owner: CallOwner;
  private readonly call: Call;
  private tx: ClientTransactionHandle | null = null;
  private flags = 0;
  /** The status to report next (0: nothing pending); a final one ends the subscription. */
  private pending = 0;
  /** The id of the subscription (RFC 3515 §2.4.6): the CSeq of the REFER, written from the second REFER of a dialog on. */
  private referCseq = 0;

  constructor(owner: CallOwner, call: Call) {
    this.owner = owner;
    this.call = call;
  }

  /** The user agent's scratch writer (read through the owner: no slot of its own): a NOTIFY is handed to its transaction as soon as it is written. */
  private get w(): SipWriter {
    return this.owner.scratch.w;
  }

  /** Subscription alive: NOTIFYs are due. */
  get active(): boolean {
    return (this.flags & Flag.Active) !== 0;
  }
  private set active(v: boolean) {
    this.flags = v ? this.flags | Flag.Active : this.flags & ~Flag.Active;
  }

  private get finished(): boolean {
    return (this.flags & Flag.Finished) !== 0;
  }

  reset(): void {
    this.flags = 0;
    this.tx = null;
    this.pending = 0;
  }

  /** A REFER was accepted (202): report "100 Trying" (RFC 3515 §2.4.5). */
  start(referCseq: number): void {
    const again = (this.flags & Flag.Referred) !== 0 ? Flag.ReferredAgain : 0;
    this.flags = (this.flags & Flag.ReferredAgain) | again | Flag.Referred | Flag.Active;
    this.referCseq = referCseq;
    this.progress(100, null);
  }

  /** The referred call progressed: 1xx keeps the subscription, a final status ends it. */
  progress(status: number, _call: Call | null): void {
    if (!this.active || this.finished) return;
    this.pending = status;
    if (this.tx === null) this.flush();
  }

  response(tx: ClientTransactionHandle, msg: SipMessage): void {
    if (tx !== this.tx || msg.status < 200) return;
    this.tx = null;
    // RFC 6665 §4.1.3: 481 (or any failure) means the subscriber is gone.
    if (msg.status >= 300 || this.finished) {
      this.active = false;
      return;
    }
    this.flush();
  }

  failed(tx: ClientTransactionHandle): void {
    if (tx !== this.tx) return;
    this.tx = null;
    this.active = false;
  }

  /** The referring call ended: its dialog can carry no more NOTIFYs. */
  callEnded(): void {
    this.active = false;
    this.pending = 0;
  }

  private flush(): void {
    const status = this.pending;
    if (status === 0 || !this.active) return;
    this.pending = 0;
    const d = this.call.dialog;
    if (!d.active || d.remoteTarget.len === 0) {
      this.active = false;
      return;
    }
    const owner = this.owner;
    const tx = owner.layer.createClient(this.call, Method.NOTIFY);
    if (tx === null) return;
    tx.userData = NOTIFY_PURPOSE;
    const final = status >= 200;
    const w = this.w.reset();
    d.writeRequestLine(w, Method.NOTIFY);
    owner.layer.writeVia(w, tx);
    d.writeHeaders(w, Method.NOTIFY, d.nextLocalSeq());
    w.bytes(K_EVENT_REFER);
    if ((this.flags & Flag.ReferredAgain) !== 0) w.bytes(K_ID).uint(this.referCseq);
    w.crlf();
    w.bytes(final ? K_TERMINATED : K_ACTIVE);
    writeContact(w, owner.config.userAt, owner.contact());
    w.bytes(owner.config.userAgentHeader);
    w.bytes(K_SIPFRAG);
    // The body: "SIP/2.0 <status> <reason>\r\n" (RFC 3420).
    const body = K_SIP20.length + 3 + 1 + phrase(status).length + 2;
    w.headerUint(H.ContentLength, body).crlf();
    w.bytes(K_SIP20).uint(status).byte(32).text(phrase(status)).crlf();
    if (final) this.flags |= Flag.Finished;
    this.tx = tx;
    if (!owner.layer.send(tx, w, d.hop.address, d.hop.port)) {
      this.tx = null;
      this.active = false;
    }
  }
}
