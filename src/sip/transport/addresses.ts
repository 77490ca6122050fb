/*
 * Our own address as the transport layer knows it:
 * - the advertised address (written in Via and offered for Contact): the
 *   socket's own until configured or corrected, kept as bytes so that a Via
 *   is written without string work (RFC 3261 §18.1.1, RFC 3581 §3);
 * - the address a server saw our requests come from, as given by the
 *   "received" and "rport" parameters of the top Via of its responses (RFC 3581 §4): what a NAT maps
 *   us to. A string is made only when it changes.
 *
 * Both in one object over one view (issue #9, the idle heap): the two
 * addresses' bytes, then their lengths, ports and the "fixed" flag as
 * bytes of the same view. In XS an object costs a slot and each property
 * another (16 bytes each on the device), a view 4 slots: two objects with
 * a view and four or five properties each took 19 slots, this one takes 8.
 */
import type { UdpHost } from "../../host";
import { spanToString, spansEqual, utf8Length, utf8Write } from "../message/bytes";
import type { SipMessage } from "../message/message";
import { ADDRESS_BYTES } from "./udp-transport";

/**
 * Where the learned address and the numbers are in the view, after the
 * advertised address (ADDRESS_BYTES, 64, < 256: a length is one byte).
 * Literals: esbuild leaves a const enum member undefined when it follows
 * one initialised from another module's value.
 */
const enum At {
  /** ADDRESS_BYTES */
  Learned = 64,
  AdvertisedLen = 128,
  LearnedLen = 129,
  Fixed = 130,
  /** 16 bits, high byte first. */
  AdvertisedPort = 131,
  LearnedPort = 133,
  End = 135,
}

/** The bytes a LocalAddresses views: the advertised address at 0, the learned one at ADDRESS_BYTES, then their numbers. */
export const LOCAL_ADDRESS_BYTES: number = At.End;

export class LocalAddresses {
  /** LOCAL_ADDRESS_BYTES; may be a view of a buffer shared with other small fields (a view costs 4 slots in XS, an array of its own 7 and a chunk). The advertised address is bytes [0, advertisedLen). */
  readonly bytes: Uint8Array;
  /** The advertised address as a string (also what follow() compares the socket's with). */
  advertised = "";
  /** RFC 3581 §4: the received address of the last response to our requests ("" until seen). */
  learned = "";

  constructor(bytes?: Uint8Array) {
    this.bytes = bytes ?? new Uint8Array(LOCAL_ADDRESS_BYTES);
  }

  get advertisedLen(): number {
    return this.bytes[At.AdvertisedLen]!;
  }

  get advertisedPort(): number {
    return (this.bytes[At.AdvertisedPort]! << 8) | this.bytes[At.AdvertisedPort + 1]!;
  }

  /** RFC 3581 §4: the rport of the last response to our requests (0 until seen). */
  get learnedPort(): number {
    return (this.bytes[At.LearnedPort]! << 8) | this.bytes[At.LearnedPort + 1]!;
  }

  /** Set by configuration (or the UA's NAT logic): the advertised address no longer follows the socket. Returns false when the address does not fit or the port is not one (0-65535: it is kept in 16 bits). */
  setAdvertised(address: string, port: number): boolean {
    if (!this.advertise(address, port)) return false;
    this.bytes[At.Fixed] = 1;
    return true;
  }

  /** Until setAdvertised(), follow the socket's own address (string comparison only: no allocation when unchanged). */
  follow(udp: UdpHost | null): void {
    if (this.bytes[At.Fixed] !== 0 || udp === null) return;
    if (udp.localAddress === this.advertised && udp.localPort === this.advertisedPort) return;
    this.advertise(udp.localAddress, udp.localPort);
  }

  /** Take received/rport from the top Via of a response to our request; true when either changed. */
  learn(msg: SipMessage): boolean {
    const via = msg.via;
    const buf = msg.buf;
    const bytes = this.bytes;
    let changed = false;
    const n = via.receivedLen;
    if (n > 0 && n <= ADDRESS_BYTES && !spansEqual(buf, via.receivedStart, n, bytes, At.Learned, bytes[At.LearnedLen]!)) {
      for (let i = 0; i < n; i++) bytes[At.Learned + i] = buf[via.receivedStart + i]!;
      bytes[At.LearnedLen] = n;
      this.learned = spanToString(buf, via.receivedStart, n);
      changed = true;
    }
    if (via.rport > 0 && via.rport !== this.learnedPort) {
      setPort(bytes, At.LearnedPort, via.rport);
      changed = true;
    }
    return changed;
  }

  private advertise(address: string, port: number): boolean {
    const bytes = this.bytes;
    if (utf8Length(address) > ADDRESS_BYTES || !(port >= 0 && port <= 65535 && port === Math.floor(port))) return false;
    const n = utf8Write(address, bytes, 0);
    bytes[At.AdvertisedLen] = n;
    setPort(bytes, At.AdvertisedPort, port);
    this.advertised = address;
    return true;
  }
}

function setPort(bytes: Uint8Array, at: number, port: number): void {
  bytes[at] = (port >> 8) & 255;
  bytes[at + 1] = port & 255;
}
