/*
 * UdpHost on ECMA-419 `embedded:io/socket/udp` (modules/io/socket/lwip on the
 * ESP32, modules/io/socket/lin in the simulator). The legacy `socket` module
 * is not used: in the Linux simulator it binds a UDP socket's port only when
 * a multicast group is asked for (modules/network/socket/lin/modSocket.c).
 *
 * Receiving: read() takes no buffer in this SDK. Both implementations return
 * a new ArrayBuffer per datagram with `address` and `port` properties added
 * (xs_udp_read in lwip/udp.c and lin/udp.c), so there is no receive buffer to
 * reuse; the only extra allocation here is the Uint8Array view handed to the
 * receiver. The simulator polls the socket every few milliseconds, one
 * datagram per poll, and drops datagrams over 2048 bytes (lin/udp.c, udpTask).
 *
 * Device limit: a datagram arrives whole only up to 1,472 bytes (one
 * Ethernet MTU less the IPv4 and UDP headers). A larger one comes in IPv4
 * fragments; lwIP reassembles them (boards/sdkconfig turns that on), but
 * xs_udp_read copies only the first pbuf of the chain (`packet->pb->len`, not
 * `tot_len`: modules/io/socket/lwip/udp.c:183), so the core gets the first
 * fragment and answers 400 (Content-Length exceeds the message). RFC 3261
 * §18.1.1 would have such requests sent over TCP, which this host does not
 * offer. The simulator does not show this.
 *
 * Sending: write(buffer, address, port) copies the bytes into a pbuf (lwip) or
 * sends them (lin) before it returns, as UdpHost.send promises. The address
 * must be a dotted IPv4 literal (ipaddr_aton / inet_addr): names are resolved
 * beforehand (main.ts). write() throws on failure (no route while Wi-Fi is
 * down, lwIP out of pbufs); send() returns false and the core retransmits or
 * backs off as it would for a lost datagram.
 */
import UDP from "embedded:io/socket/udp";
import { LogLevel, type LogHost, type UdpHost, type UdpReceiver } from "../../src/host";

export interface ModdableUdpOptions {
  /** Local port to bind (0: an ephemeral one). */
  port: number;
  /** The address the host reports as its own (Net.get("IP") after Wi-Fi is up), default "0.0.0.0". */
  localAddress?: string;
  log?: LogHost | null;
}

export class ModdableUdp implements UdpHost {
  /**
   * This device's address as the core writes it in Via and Contact. Not
   * readonly: after a Wi-Fi reconnect DHCP may hand out another one, and the
   * app sets it here (the core compares it at every request it builds).
   */
  localAddress: string;
  readonly localPort: number;
  private readonly socket: UDP;
  private readonly log: LogHost | null;
  private receiver: UdpReceiver | null = null;
  /** Counters for the log and for tests. */
  received = 0;
  dropped = 0;
  sent = 0;
  failed = 0;

  constructor(options: ModdableUdpOptions) {
    this.localAddress = options.localAddress ?? "0.0.0.0";
    this.localPort = options.port;
    this.log = options.log ?? null;
    // The callback is made once here; the SDK calls it with the number of datagrams waiting.
    this.socket = new UDP({ port: options.port, onReadable: (count: number) => this.drain(count) });
  }

  /** Connect the receiver (the core, constructed with this socket, so this comes after). */
  attach(receiver: UdpReceiver): void {
    this.receiver = receiver;
  }

  send(data: Uint8Array, length: number, address: string, port: number): boolean {
    try {
      this.socket.write(length === data.byteLength ? data : data.subarray(0, length), address, port);
      this.sent++;
      return true;
    } catch {
      this.failed++;
      return false;
    }
  }

  close(): void {
    this.receiver = null;
    try {
      // The class has close() (lwip/udp.js, lin/udp.js); the typings leave it out.
      (this.socket as { close?: () => void }).close?.();
    } catch {
      // already closed
    }
  }

  private drain(count: number): void {
    for (let i = 0; i < count; i++) {
      const packet: (ArrayBuffer & { address: string; port: number }) | undefined = this.socket.read();
      if (packet === undefined) return;
      const receiver = this.receiver;
      if (receiver === null) {
        this.dropped++;
        continue;
      }
      this.received++;
      const bytes = new Uint8Array(packet);
      try {
        receiver.receive(bytes, bytes.length, packet.address, packet.port);
      } catch (error) {
        // One bad datagram must not take the socket callback down with it.
        this.log?.log(LogLevel.Error, `udp receiver threw: ${String(error)}`);
      }
    }
  }
}
