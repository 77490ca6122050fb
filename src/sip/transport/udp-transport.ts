/*
 * The UDP transport layer (RFC 3261 §18): every datagram the host receives is
 * parsed into one preallocated SipMessage and handed to the transaction
 * layer as a request or a response; sends go to the host's socket. One
 * datagram is one message (§18.3), so there is no framing state.
 *
 * Responses that fail to parse are dropped here (§18.1.2: a client does not
 * answer a response). Requests that fail to parse still go up, because the
 * UAS answers most of them (400 / 505 with the precise reason, §8.2, §21.4);
 * ACKs among them are dropped above (§17.2.3: an ACK is never answered).
 */
import { LogLevel, type LogHost, type UdpHost, type UdpReceiver } from "../../host";
import { ParseError } from "../message/errors";
import { Kind, SipMessage } from "../message/message";
import { SipParser } from "../message/parser";
import { utf8Write } from "../message/bytes";

/** Room for a source address as text (an IPv6 address with zone fits). */
export const ADDRESS_BYTES = 64;

/** Where parsed datagrams go (the transaction layer). The message is valid during the call only. */
export interface TransportSink {
  onRequest(msg: SipMessage, address: string, port: number): void;
  onResponse(msg: SipMessage, address: string, port: number): void;
}

/** §18.2.2 and RFC 3581 §4: the port a response to `msg` goes to, given the source port of the request. */
export function responsePort(msg: SipMessage, sourcePort: number): number {
  const via = msg.via;
  // rport in the request (with or without a value) asks for the source port, so the
  // response follows the NAT binding the request created (RFC 3581 §4).
  if (via.rport >= 0) return sourcePort;
  return via.port > 0 ? via.port : 5060;
}

export class UdpTransport implements UdpReceiver {
  /** The one message every datagram is parsed into. */
  readonly msg: SipMessage;
  /**
   * May be shared (the transaction layer passes its own): parse() keeps
   * nothing between calls and calls nobody, so it is done before the sink
   * sees the message, and the sink may parse with it again.
   */
  private readonly parser: SipParser;
  private readonly sink: TransportSink;
  private readonly log: LogHost | undefined;
  udp: UdpHost | null;
  /**
   * The source address of the datagram being handled, as bytes, for the
   * "received" Via parameter (§18.2.1). Encoded only when the address
   * changes: reading a string's characters allocates in XS, comparing two
   * strings does not.
   */
  readonly source: Uint8Array;
  sourceLen = 0;
  private sourceString = "";
  /** Datagrams received, parse failures, datagrams dropped here, sends refused, sink exceptions. */
  received = 0;
  malformed = 0;
  dropped = 0;
  sent = 0;
  sendErrors = 0;
  errors = 0;

  /** `source`: ADDRESS_BYTES to keep the source address in (a view of a shared buffer, say); by default its own. */
  constructor(sink: TransportSink, udp: UdpHost | null, log?: LogHost, maxHeaders?: number, parser?: SipParser, source?: Uint8Array) {
    this.sink = sink;
    this.source = source ?? new Uint8Array(ADDRESS_BYTES);
    this.udp = udp;
    this.log = log;
    this.msg = new SipMessage(maxHeaders);
    this.parser = parser ?? new SipParser();
  }

  receive(data: Uint8Array, length: number, address: string, port: number): void {
    this.received++;
    const msg = this.msg;
    try {
      if (address !== this.sourceString) {
        const n = utf8Write(address, this.source, 0);
        this.sourceLen = n < 0 ? 0 : n;
        this.sourceString = address;
      }
      const ok = this.parser.parse(data, length, msg);
      if (!ok) this.malformed++;
      if (msg.kind === Kind.Request) {
        this.sink.onRequest(msg, address, port);
      } else if (msg.kind === Kind.Response && ok) {
        this.sink.onResponse(msg, address, port);
      } else if (msg.error !== ParseError.Empty) {
        // Unparseable responses and garbage: silently discarded (§18.1.2). A datagram of
        // CRLFs only is a keep-alive (RFC 5626 §4.4.1), not counted as dropped.
        this.dropped++;
      }
    } catch (error) {
      // Nothing throws out of the core: the host's receive loop must survive any message.
      this.errors++;
      if (this.log !== undefined) this.log.log(LogLevel.Error, "transport: receive threw: " + String(error));
    }
  }

  /** Send buf[0, length) to address:port; false when there is no socket or the host refused. */
  send(buf: Uint8Array, length: number, address: string, port: number): boolean {
    const udp = this.udp;
    let ok = false;
    if (udp !== null) {
      try {
        ok = udp.send(buf, length, address, port);
      } catch (error) {
        ok = false;
        if (this.log !== undefined) this.log.log(LogLevel.Error, "transport: send threw: " + String(error));
      }
    }
    if (ok) this.sent++;
    else this.sendErrors++;
    return ok;
  }
}
