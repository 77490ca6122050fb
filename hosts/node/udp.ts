/*
 * UdpHost on node:dgram. bind() resolves once the socket is listening, so
 * localPort is known (pass port 0 for an ephemeral one). Every datagram goes
 * to the UdpReceiver as (bytes, length, address, port).
 */
import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import type { UdpHost, UdpReceiver } from "../../src/host";

export interface NodeUdpOptions {
  receiver: UdpReceiver;
  /** Default 127.0.0.1. */
  address?: string;
  /** Default 0 (ephemeral). SIP's registered port is 5060 (RFC 3261 §19.1.2). */
  port?: number;
  /** Default "udp4"; "udp6" for IPv6 addresses. */
  type?: "udp4" | "udp6";
  /** Called for asynchronous send or socket errors (default: ignored; UDP is lossy anyway). */
  onError?: (error: Error) => void;
  /**
   * Bound to a wildcard address (0.0.0.0, ::), report as localAddress the
   * address this computer sends from to reach this host (the SIP server or
   * proxy): the core advertises localAddress in Via and Contact, and a
   * Contact of 0.0.0.0 reaches nobody until the server's received/rport
   * (RFC 3581) corrects it.
   */
  routeTo?: { address: string; port: number };
}

/** The local address the system routes from toward address:port (a connected, unused UDP socket; nothing is sent); "" when there is no route. */
export function sourceAddressToward(address: string, port: number, type: "udp4" | "udp6"): Promise<string> {
  return new Promise<string>((resolve) => {
    const probe = createSocket({ type });
    const done = (found: string): void => {
      try {
        probe.close();
      } catch {
        // Already closed.
      }
      resolve(found);
    };
    probe.once("error", () => done(""));
    try {
      probe.connect(port, address, () => {
        try {
          done(probe.address().address);
        } catch {
          done("");
        }
      });
    } catch {
      done("");
    }
  });
}

function isWildcard(address: string): boolean {
  return address === "0.0.0.0" || address === "::" || address === "[::]";
}

export class NodeUdp implements UdpHost {
  private readonly socket: Socket;
  private readonly onError: ((error: Error) => void) | undefined;
  private closed = false;
  localAddress = "";
  localPort = 0;
  /** Datagrams handed to the socket, and sends refused or failed. */
  sent = 0;
  failed = 0;

  private constructor(socket: Socket, onError: ((error: Error) => void) | undefined) {
    this.socket = socket;
    this.onError = onError;
  }

  static bind(options: NodeUdpOptions): Promise<NodeUdp> {
    const socket = createSocket({ type: options.type ?? "udp4" });
    const udp = new NodeUdp(socket, options.onError);
    const receiver = options.receiver;
    socket.on("message", (msg: Buffer, rinfo: RemoteInfo) => {
      receiver.receive(msg, msg.length, rinfo.address, rinfo.port);
    });
    return new Promise<NodeUdp>((resolve, reject) => {
      const failBind = (error: Error): void => {
        socket.close();
        reject(error);
      };
      socket.once("error", failBind);
      socket.bind(options.port ?? 0, options.address ?? "127.0.0.1", () => {
        socket.off("error", failBind);
        socket.on("error", (error: Error) => udp.reportError(error));
        const info = socket.address();
        udp.localAddress = info.address;
        udp.localPort = info.port;
        const to = options.routeTo;
        if (to === undefined || !isWildcard(info.address)) {
          resolve(udp);
          return;
        }
        void sourceAddressToward(to.address, to.port, options.type ?? "udp4").then((found) => {
          if (found !== "" && !isWildcard(found)) udp.localAddress = found;
          resolve(udp);
        });
      });
    });
  }

  send(data: Uint8Array, length: number, address: string, port: number): boolean {
    if (this.closed || length < 0 || length > data.length || port <= 0 || port > 65535) {
      this.failed++;
      return false;
    }
    // dgram may hold the buffer until the send completes; the core reuses its
    // buffer at once (UdpHost.send contract), so copy.
    const copy = Buffer.allocUnsafe(length);
    copy.set(data.subarray(0, length));
    try {
      this.socket.send(copy, 0, length, port, address, (error) => {
        if (error) {
          this.failed++;
          this.reportError(error);
        }
      });
    } catch (error) {
      this.failed++;
      this.reportError(error instanceof Error ? error : new Error(String(error)));
      return false;
    }
    this.sent++;
    return true;
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private reportError(error: Error): void {
    this.onError?.(error);
  }
}
