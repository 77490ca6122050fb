/*
 * The traffic tap of the loopback PBX, and the UDP sockets it watches.
 *
 * Every datagram the PBX's sockets send or receive is reported once as a
 * PacketEvent: sends when they are handed to the socket, receives only when
 * they come from outside (a datagram from the PBX to its own desk phone is
 * reported when sent, not again when it arrives). The ladder view
 * (hosts/node/ladder.ts) and the pcap writer (hosts/node/pcap.ts, through
 * pcapTap) consume these events.
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import type { PcapFileWriter } from "../pcap";
import { endpoint } from "./sip";

/** One datagram seen on the wire. */
export interface PacketEvent {
  /** Milliseconds since the tap's start. */
  time: number;
  /** "addr:port" of the sender and of the receiver ("[v6]:port" for IPv6). */
  from: string;
  to: string;
  bytes: Uint8Array;
}

export type PacketTap = (ev: PacketEvent) => void;

/** Split "addr:port" / "[v6]:port" into its parts. */
export function splitEndpoint(ep: string): { address: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(ep) ?? /^([^:]+):(\d+)$/.exec(ep);
  if (m === null) throw new RangeError(`not an addr:port endpoint: ${ep}`);
  return { address: m[1]!, port: Number(m[2]) };
}

/**
 * A tap that records each event into a pcap file. `startedAtMs` is the
 * wall-clock time (Date.now()) of the tap's start, so that the capture
 * carries real timestamps (LoopbackPbx.startedAt).
 */
export function pcapTap(writer: PcapFileWriter, startedAtMs: number): PacketTap {
  return (ev) => {
    const from = splitEndpoint(ev.from);
    const to = splitEndpoint(ev.to);
    writer.udp(from.address, from.port, to.address, to.port, ev.bytes, startedAtMs + ev.time);
  };
}

/** Shared by the sockets of one PBX: the time origin, the tap, and which endpoints are ours. */
export class TapHub {
  readonly t0: number;
  /** Endpoints ("addr:port") of our own sockets. */
  readonly own = new Set<string>();
  private readonly tap: PacketTap | undefined;
  private readonly onError: (e: unknown) => void;

  constructor(tap: PacketTap | undefined, onError: (e: unknown) => void, t0: number = performance.now()) {
    this.tap = tap;
    this.onError = onError;
    this.t0 = t0;
  }

  /** Milliseconds since the start. */
  now(): number {
    return performance.now() - this.t0;
  }

  sent(from: string, to: string, bytes: Uint8Array): void {
    this.report(from, to, bytes);
  }

  received(from: string, to: string, bytes: Uint8Array): void {
    // Between two of our sockets: already reported when sent.
    if (!this.own.has(from)) this.report(from, to, bytes);
  }

  private report(from: string, to: string, bytes: Uint8Array): void {
    if (this.tap === undefined) return;
    try {
      this.tap({ time: this.now(), from, to, bytes });
    } catch (e) {
      // A tap that throws must not take the PBX down.
      this.onError(e);
    }
  }
}

export type DatagramHandler = (bytes: Uint8Array, address: string, port: number) => void;

/** A bound UDP socket whose traffic goes through the hub. */
export class TappedSocket {
  readonly address: string;
  readonly port: number;
  readonly endpoint: string;
  private readonly socket: Socket;
  private readonly hub: TapHub;
  private closed = false;

  private constructor(socket: Socket, hub: TapHub, address: string, port: number) {
    this.socket = socket;
    this.hub = hub;
    this.address = address;
    this.port = port;
    this.endpoint = endpoint(address, port);
  }

  /** Bind on address:port (0: ephemeral); `onDatagram` gets every datagram, `onError` socket errors. */
  static bind(hub: TapHub, address: string, port: number, onDatagram: DatagramHandler, onError: (e: Error) => void, tapped = true): Promise<TappedSocket> {
    const socket = createSocket({ type: address.includes(":") ? "udp6" : "udp4" });
    return new Promise<TappedSocket>((resolve, reject) => {
      const failBind = (error: Error): void => {
        socket.close();
        reject(error);
      };
      socket.once("error", failBind);
      socket.bind(port, address, () => {
        socket.off("error", failBind);
        const info = socket.address();
        const s = new TappedSocket(socket, hub, info.address, info.port);
        if (tapped) hub.own.add(s.endpoint);
        socket.on("error", (e: Error) => onError(e));
        socket.on("message", (msg: Buffer, rinfo: RemoteInfo) => {
          const bytes = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
          if (tapped) hub.received(endpoint(rinfo.address, rinfo.port), s.endpoint, bytes);
          try {
            onDatagram(bytes, rinfo.address, rinfo.port);
          } catch (e) {
            onError(e instanceof Error ? e : new Error(String(e)));
          }
        });
        resolve(s);
      });
    });
  }

  /** Send a datagram (copied); false once closed. Send errors go to the socket's onError. */
  send(bytes: Uint8Array, address: string, port: number, tapped = true): boolean {
    if (this.closed) return false;
    const copy = Buffer.from(bytes);
    if (tapped) this.hub.sent(this.endpoint, endpoint(address, port), copy);
    try {
      this.socket.send(copy, port, address);
    } catch {
      return false;
    }
    return true;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}
