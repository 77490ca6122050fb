/*
 * The contract between the transaction layer (RFC 3261 §17) and the
 * transaction users above it (registration, keepalive, dialogs, the
 * intercom). The layer owns the UDP socket's receive path, the fixed pools
 * of client and server transactions, and their timers; users write request
 * and response bytes with a SipWriter and hand them over.
 *
 * Messages passed to callbacks (SipMessage) are views of the receive buffer:
 * valid only during the call. Copy what must outlive it.
 */
import type { SipMessage } from "../message/message";
import type { Method } from "../message/method";
import type { UasPolicy } from "../message/check";
import type { SipWriter } from "../message/writer";

export const enum ClientState {
  Idle = 0,
  /** INVITE: Calling; non-INVITE: Trying. */
  Calling = 1,
  Proceeding = 2,
  Completed = 3,
  /** RFC 6026 §7.2: INVITE client transaction after a 2xx, absorbing retransmitted 2xx. */
  Accepted = 4,
  Terminated = 5,
}

export const enum ServerState {
  Idle = 0,
  Trying = 1,
  Proceeding = 2,
  Completed = 3,
  Confirmed = 4,
  /** RFC 6026 §7.1: INVITE server transaction after sending a 2xx. */
  Accepted = 5,
  Terminated = 6,
}

/** Why a client transaction ended without a final response. */
export const enum ClientFailure {
  /** Timer B (INVITE) or Timer F (non-INVITE) fired: no final response (§17.1.1.2, §17.1.2.2). */
  Timeout = 1,
  /** The host could not send (§17.1.4). */
  TransportError = 2,
}

/** What a client transaction reports to its user. */
export interface ClientTransactionUser {
  /** A response matched to the transaction (§17.1.3). 1xx may come several times; a final response once (plus 2xx retransmissions for INVITE). */
  onResponse(tx: ClientTransactionHandle, msg: SipMessage): void;
  /** The transaction ended with no final response. */
  onFailure(tx: ClientTransactionHandle, reason: ClientFailure): void;
}

/** A client transaction as its user sees it. */
export interface ClientTransactionHandle {
  readonly method: Method;
  readonly state: ClientState;
  /** The user's own tag, to tell its transactions apart (e.g. which registration attempt). */
  userData: number;
  /**
   * Send a CANCEL for this INVITE (§9.1): only after a provisional response
   * was received; before that the CANCEL is held until one arrives (§9.1).
   * Returns false when the transaction is not an INVITE or already completed.
   */
  cancel(): boolean;
}

/** What the layer reports about incoming requests: implemented by the UA core. */
export interface ServerTransactionUser {
  /**
   * A new request (not a retransmission) in a new server transaction. The
   * user answers now or later with tx.respond(). Requests that fail the
   * checks of RFC 3261 §8.2 may already have been answered by the layer
   * (it then does not call this). ACK is not delivered here.
   */
  onRequest(tx: ServerTransactionHandle, msg: SipMessage, address: string, port: number): void;
  /** An ACK for a 2xx (it has no server transaction, §17.2.1), or a stray ACK. */
  onAck(msg: SipMessage, address: string, port: number): void;
  /**
   * A CANCEL matched a pending INVITE server transaction (§9.2). The layer has
   * already answered the CANCEL with 200; the user answers the INVITE (487).
   */
  onCancel(inviteTx: ServerTransactionHandle, msg: SipMessage): void;
  /** An INVITE server transaction's Timer H fired: the ACK for a 3xx-6xx never came (§17.2.1). */
  onServerTimeout(tx: ServerTransactionHandle): void;
  /**
   * A 2xx to INVITE that matched no client transaction (the transaction is
   * gone, or another fork answered): RFC 3261 §13.2.2.4 / RFC 6026 leave it
   * to the dialog layer (ACK it, then BYE if unwanted). Without this method
   * it is dropped. A method of the user rather than a callback in the
   * layer's options: a closure costs the idle heap some 11 slots in XS.
   */
  onStray2xx?(msg: SipMessage, address: string, port: number): void;
}

/** A server transaction as its user sees it. */
export interface ServerTransactionHandle {
  readonly method: Method;
  readonly state: ServerState;
  userData: number;
  /**
   * Send a response built in `w` (w.buf[0, w.length)). The transaction copies
   * it for retransmission and sends it to the address of §18.2.2 (the
   * request's source address; the source port when the top Via has rport,
   * RFC 3581, else the Via port or 5060). Returns false when the transaction
   * can no longer respond or the writer overflowed. When w is the
   * layer's own writer (TransactionLayer.scratch) its top Via is marked
   * (§18.2.1) where it is.
   */
  respond(w: SipWriter, status: number): boolean;
  /**
   * Send the last response again, from the transaction's own copy: the
   * TU's retransmissions of a 2xx to INVITE (§13.3.1.4; the transaction is
   * in Accepted, RFC 6026 §7.1) and of a reliable provisional response
   * (RFC 3262 §3), so the TU need not keep the response itself. False when
   * there is nothing to resend (no response yet, or the transaction ended).
   */
  resend(): boolean;
}

/** Configuration of the layer. */
export interface TransactionLayerOptions {
  /** Fixed pool sizes; when full, new requests get 503 with Retry-After and new client requests fail. */
  maxClientTransactions?: number;
  maxServerTransactions?: number;
  /** The largest message a transaction sends and keeps (a request or a response), and the size of the layer's writer. */
  messageBuffer?: number;
  /**
   * Bytes for the messages all the transactions keep for retransmission
   * together (arena.ts; at least messageBuffer). Default 3 * messageBuffer.
   * When it is full, transactions waiting out their timers give theirs back;
   * then requests are refused and responses sent without a copy
   * (counters.unstored in layer.ts).
   */
  arenaBytes?: number;
  /**
   * Bytes of the arena that server transactions leave free for our own
   * requests, so that a flood of requests cannot keep the door from
   * refreshing its registration. Default: messageBuffer, or what the arena
   * has beyond one messageBuffer when that is less.
   */
  clientReserve?: number;
  /** Seconds for the Retry-After of the 503 sent when the server pool is full. */
  retryAfter?: number;
  /**
   * The UA's request checks (RFC 3261 §8.2): methods allowed, option tags
   * supported, bodies accepted. Requests failing them are answered by the
   * layer through a server transaction of their own.
   */
  policy?: UasPolicy;
  /** The value of the Allow header for 405/501 (§8.2.1, §20.5), e.g. "INVITE, ACK, CANCEL, BYE, OPTIONS". */
  allowHeader?: Uint8Array;
  /** The value of the Accept header for 415/406 (§8.2.3, §21.4.13); default "application/sdp". */
  acceptHeader?: Uint8Array;
  /** How long the INVITE server transaction waits for the user's first response before sending 100 Trying itself (§17.2.1: 200 ms). */
  tryingDelay?: number;
  /** The received/rport of a response's top Via changed (RFC 3581 §4): registration can fix its Contact. */
  onNatLearned?: (address: string, port: number) => void;
  /** Looks at each request before any transaction is taken for it (trusted sources, scanners). */
  screen?: RequestScreen;
}

/** What a RequestScreen decides about a request. */
export const enum ScreenVerdict {
  /** Handled as usual. */
  Pass = 0,
  /** Answered statelessly with the response writeRejection() writes; no transaction is taken (§8.2.7). */
  Reject = 1,
  /** Discarded without an answer or a transaction. */
  Drop = 2,
}

/**
 * A filter in front of the server transactions: a request it rejects or
 * drops never takes a slot of the fixed pool, so unwanted INVITEs cannot
 * hold the table until Timer H or L.
 */
export interface RequestScreen {
  screen(msg: SipMessage, address: string, port: number): ScreenVerdict;
  /** Write the whole response for a Reject verdict into w (reset); false sends nothing. */
  writeRejection(w: SipWriter, msg: SipMessage): boolean;
}

/** Monotonic counters, for tests and the bench. */
export interface TransactionCounters {
  /** Requests (Timers A, E) and responses (Timer G, retransmitted requests answered again) sent again. */
  readonly retransmissions: number;
  /** Retransmitted requests absorbed by a server transaction (§17.2.1, §17.2.2), ACKs for non-2xx included. */
  readonly requestsAbsorbed: number;
  /** Retransmitted responses absorbed by a client transaction (§17.1.1.2, §17.1.2.2). */
  readonly responsesAbsorbed: number;
  /** Requests answered by the layer itself: failed checks (§8.2), parse errors, 481 to CANCEL. */
  readonly rejected: number;
  /** Server slots taken, because the pool was full, from answered transactions waiting out Timer J, I or H (layer.ts reclaimCost). */
  readonly reclaimed: number;
  /** 503 Service Unavailable sent because the server pool was full. */
  readonly unavailable: number;
  /** Server transactions ended unanswered because the TU's final response did not fit the buffers. */
  readonly unanswerable: number;
  /** Client slots taken from transactions in Completed (waiting out Timer D or K) because the pool was full. */
  readonly clientsReclaimed: number;
  /** Datagrams dropped: unparseable responses, bad ACKs, unmatched responses. */
  readonly dropped: number;
  /** Sends the host refused. */
  readonly sendErrors: number;
  /** Exceptions thrown by user callbacks (caught and logged). */
  readonly userErrors: number;
}

/** The layer's interface to transaction users. */
export interface TransactionLayerApi {
  /**
   * Reserve a client transaction for a new request and generate its branch
   * (§8.1.1.7). Returns null when the pool is full. The user then writes the
   * request into a SipWriter, calling writeVia() for its top Via, and calls
   * send(); or release() to give the slot back unsent.
   */
  createClient(user: ClientTransactionUser, method: Method): ClientTransactionHandle | null;
  /** Write "Via: SIP/2.0/UDP <advertised host>:<port>;branch=<tx branch>;rport\r\n" (RFC 3581 §3). */
  writeVia(w: SipWriter, tx: ClientTransactionHandle): void;
  /** Send the request in w to address:port and start Timers A/B or E/F (§17.1.1.2, §17.1.2.2). False on overflow or a send error. */
  send(tx: ClientTransactionHandle, w: SipWriter, address: string, port: number): boolean;
  /**
   * The last send() was false only because the layer had no room to keep
   * the request for retransmission (the arena, full of answers to a flood):
   * a local, passing condition like a full pool, nothing went out. Retry
   * soon; it says nothing about the server or the network.
   */
  readonly sendRefused: boolean;
  /**
   * Give back a reserved, unsent transaction; or a non-INVITE one already
   * sent whose answer its user no longer wants (the server moved,
   * src/ua/server-name.ts): it stops retransmitting and frees its slot, and
   * an answer that still comes matches nothing (§17.1.3: dropped). An
   * INVITE once sent is not given back (CANCEL and ACK need it).
   */
  release(tx: ClientTransactionHandle): void;
  /**
   * Give up an INVITE that has had no response at all (still Calling,
   * §17.1.1.2): its user no longer waits for Timer B (the door moves on to
   * another target). Neither a CANCEL (§9.1: none before a provisional
   * response) nor an ACK (no final response) is owed yet, so nothing needs
   * the INVITE any more: it stops retransmitting and frees its slot. A
   * response that still comes matches nothing (§17.1.3): a 2xx goes to
   * onStray2xx (ACK, then BYE), anything else is dropped. False, and
   * nothing done, for any other transaction or state.
   */
  abandon(tx: ClientTransactionHandle): boolean;
  /**
   * Write a top Via with a fresh branch, for a request sent with no client
   * transaction: the ACK for a 2xx, a transaction of its own (§13.2.2.4).
   */
  writeStatelessVia(w: SipWriter): void;
  /** Send bytes with no transaction: ACK for a 2xx (§13.2.2.4), 2xx retransmissions by the dialog (§13.3.1.4). */
  sendStateless(w: SipWriter, address: string, port: number): boolean;
  /** The address and port written in Via and offered for Contact (configured, or learned from received/rport, RFC 3581 §4). */
  setAdvertised(address: string, port: number): void;
  readonly advertisedAddress: string;
  readonly advertisedPort: number;
  /** Live transactions, for tests and the bench ("no transaction is left in the tables"). */
  readonly clientCount: number;
  readonly serverCount: number;
  /**
   * The top Via "received" and "rport" of the last response matched to one
   * of our requests (RFC 3581 §4): the address and port a NAT maps us to as
   * the server sees it. "" and 0 until a response carried them.
   */
  readonly learnedAddress: string;
  readonly learnedPort: number;
  readonly counters: TransactionCounters;
}
