/*
 * A UdpHost for transaction tests: it records every datagram the core sends
 * (as latin-1 text, with the destination and the virtual time), and can be
 * told to refuse sends. Nothing goes on a network.
 */
import type { UdpHost } from "../../src/host";

export interface SentDatagram {
  text: string;
  address: string;
  port: number;
  at: number;
}

export class UdpRecorder implements UdpHost {
  localAddress = "192.0.2.10";
  localPort = 5060;
  sent: SentDatagram[] = [];
  /** When true, send() refuses (returns false) and records nothing. */
  refuse = false;

  constructor(private readonly now: () => number) {}

  send(data: Uint8Array, length: number, address: string, port: number): boolean {
    if (this.refuse) return false;
    this.sent.push({ text: Buffer.from(data.subarray(0, length)).toString("latin1"), address, port, at: this.now() });
    return true;
  }

  /** Everything sent since the last take(). */
  take(): SentDatagram[] {
    const s = this.sent;
    this.sent = [];
    return s;
  }
}
