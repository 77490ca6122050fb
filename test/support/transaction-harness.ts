/*
 * A transaction layer on a virtual clock and a recording UDP host, with
 * users that record every callback, for the transaction tests. Datagrams
 * are written as text ("\n" line ends are turned into CRLF) and delivered
 * with deliver(); what the layer sent is read back with udp.take() and
 * parsed with parse().
 */
import type { UasPolicy } from "../../src/sip/message/check";
import type { MediaType } from "../../src/sip/message/media-type";
import { H } from "../../src/sip/message/header";
import { SipMessage } from "../../src/sip/message/message";
import { Method } from "../../src/sip/message/method";
import { SipParser } from "../../src/sip/message/parser";
import { TimerQueue } from "../../src/sip/timer/timer-queue";
import type {
  ClientFailure,
  ClientTransactionHandle,
  ClientTransactionUser,
  ServerTransactionHandle,
  ServerTransactionUser,
  TransactionLayerOptions,
} from "../../src/sip/transaction/api";
import { TransactionLayer } from "../../src/sip/transaction/layer";
import { SeededRandom } from "./seeded-random";
import { UdpRecorder, type SentDatagram } from "./udp-recorder";
import { SipWriter } from "../../src/sip/message/writer";
import { writeResponseHead } from "../../src/sip/message/response";
import { VirtualClock } from "./virtual-clock";

export const PEER = "198.51.100.7";

export function crlf(text: string): string {
  return text.replace(/\r?\n/g, "\r\n");
}

export function bytes(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text, "latin1"));
}

/** Parse a datagram the layer sent; throws when it does not parse. */
export function parse(text: string): SipMessage {
  const msg = new SipMessage();
  const buf = bytes(text);
  if (!new SipParser().parse(buf, buf.length, msg)) throw new Error(`sent message does not parse (error ${msg.error}):\n${text}`);
  return msg;
}

/** The first value of a header in a sent message, or undefined. */
export function header(text: string, id: H): string | undefined {
  return parse(text).getString(id);
}

export const POLICY: UasPolicy = {
  isAllowed: (m: Method) => m === Method.INVITE || m === Method.ACK || m === Method.CANCEL || m === Method.BYE || m === Method.OPTIONS || m === Method.MESSAGE || m === Method.INFO,
  isSupported: () => false,
  acceptsContent: (_m: Method, t: MediaType) => t.matches(Uint8Array.from(Buffer.from("application")), Uint8Array.from(Buffer.from("sdp"))),
};

export type ServerEvent =
  | { kind: "request"; tx: ServerTransactionHandle; method: string; address: string; port: number; at: number }
  | { kind: "ack"; method: string; at: number; cseq: number }
  | { kind: "cancel"; tx: ServerTransactionHandle; at: number }
  | { kind: "timeout"; tx: ServerTransactionHandle; at: number };

export class RecordingServerUser implements ServerTransactionUser {
  events: ServerEvent[] = [];
  /** Called for each new request, e.g. to respond at once. */
  onNew: ((tx: ServerTransactionHandle, msg: SipMessage) => void) | null = null;
  /** A 2xx to INVITE that matched no client transaction; dropped when unset. */
  onStray2xx: ((msg: SipMessage, address: string, port: number) => void) | undefined = undefined;
  constructor(private readonly clock: VirtualClock) {}
  onRequest(tx: ServerTransactionHandle, msg: SipMessage, address: string, port: number): void {
    this.events.push({ kind: "request", tx, method: msg.methodString(), address, port, at: this.clock.now() });
    this.onNew?.(tx, msg);
  }
  onAck(msg: SipMessage): void {
    this.events.push({ kind: "ack", method: msg.methodString(), at: this.clock.now(), cseq: msg.cseq });
  }
  onCancel(tx: ServerTransactionHandle): void {
    this.events.push({ kind: "cancel", tx, at: this.clock.now() });
  }
  onServerTimeout(tx: ServerTransactionHandle): void {
    this.events.push({ kind: "timeout", tx, at: this.clock.now() });
  }
}

export type ClientEvent =
  | { kind: "response"; tx: ClientTransactionHandle; status: number; method: string; at: number; toTag: string }
  | { kind: "failure"; tx: ClientTransactionHandle; reason: ClientFailure; at: number };

export class RecordingClientUser implements ClientTransactionUser {
  events: ClientEvent[] = [];
  constructor(private readonly clock: VirtualClock) {}
  onResponse(tx: ClientTransactionHandle, msg: SipMessage): void {
    const toTag = msg.to.tagLen >= 0 ? Buffer.from(msg.buf.subarray(msg.to.tagStart, msg.to.tagStart + msg.to.tagLen)).toString("latin1") : "";
    this.events.push({ kind: "response", tx, status: msg.status, method: Buffer.from(msg.buf.subarray(msg.cseqMethodStart, msg.cseqMethodStart + msg.cseqMethodLen)).toString(), at: this.clock.now(), toTag });
  }
  onFailure(tx: ClientTransactionHandle, reason: ClientFailure): void {
    this.events.push({ kind: "failure", tx, reason, at: this.clock.now() });
  }
}

export function setup(options: TransactionLayerOptions = {}) {
  const clock = new VirtualClock(0);
  const queue = new TimerQueue(clock);
  clock.attach(queue);
  const udp = new UdpRecorder(() => clock.now());
  const random = new SeededRandom(42);
  const server = new RecordingServerUser(clock);
  const client = new RecordingClientUser(clock);
  const logs: string[] = [];
  const layer = new TransactionLayer({
    policy: POLICY,
    ...options,
    queue,
    random,
    user: server,
    udp,
    log: { log: (_level, text) => logs.push(text) },
  });
  /** Deliver a datagram from the peer (default source port 5070). */
  const deliver = (text: string, port = 5070, address = PEER): void => {
    const b = bytes(crlf(text));
    layer.receive(b, b.length, address, port);
  };
  return { clock, queue, udp, random, server, client, layer, deliver, logs };
}

/** The response a peer would send to a request the layer sent: its headers copied (§8.2.6.2), a To tag added. */
export function answer(requestText: string, status: number, reason: string, toTag: string | null = "peer-tag", extra = ""): string {
  const req = parse(requestText);
  const w = new SipWriter(4096);
  const tag = toTag === null ? null : bytes(toTag);
  if (!writeResponseHead(w, req, status, bytes(reason), tag, tag?.length ?? 0, false)) throw new Error("cannot answer");
  if (extra) w.text(crlf(extra));
  w.end();
  return Buffer.from(w.buf.subarray(0, w.length)).toString("latin1");
}

/** Build a request for a client transaction: request line, our Via, then the given headers. */
export function writeRequest(layer: TransactionLayer, tx: ClientTransactionHandle, requestLine: string, headers: string): SipWriter {
  const w = new SipWriter(1300);
  w.text(crlf(requestLine + "\n"));
  layer.writeVia(w, tx);
  w.text(crlf(headers));
  w.end();
  return w;
}

export function times(sent: readonly SentDatagram[]): number[] {
  return sent.map((s) => s.at);
}
