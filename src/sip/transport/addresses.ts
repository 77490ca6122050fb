/*
 * Our own address as the transport layer knows it:
 * - the advertised address (written in Via and offered for Contact): the
 *   socket's own until configured or corrected, kept as bytes so that a Via
 *   is written without string work (RFC 3261 §18.1.1, RFC 3581 §3);
 * - the address a server saw our requests come from, as given by the
 *   "received" and "rport" parameters of the top Via of its responses (RFC 3581 §4): what a NAT maps
 *   us to. A string is made only when it changes.
 */
import type { UdpHost } from "../../host";
import { spanToString, spansEqual, utf8Write } from "../message/bytes";
import type { SipMessage } from "../message/message";
import { ADDRESS_BYTES } from "./udp-transport";

export class AdvertisedAddress {
  /** ADDRESS_BYTES; may be a view of a buffer shared with other small fields (a view costs 4 slots in XS, an array of its own 7 and a chunk). */
  readonly bytes: Uint8Array;
  len = 0;
  address = "";
  port = 0;
  /** Set by configuration (or the UA's NAT logic): no longer follows the socket. */
  private fixed = false;

  constructor(bytes?: Uint8Array) {
    this.bytes = bytes ?? new Uint8Array(ADDRESS_BYTES);
  }

  /** Returns false when the address does not fit. */
  set(address: string, port: number): boolean {
    const n = utf8Write(address, this.bytes, 0);
    if (n < 0) return false;
    this.len = n;
    this.address = address;
    this.port = port;
    this.fixed = true;
    return true;
  }

  /** Until set(), follow the socket's own address (string comparison only: no allocation when unchanged). */
  follow(udp: UdpHost | null): void {
    if (this.fixed || udp === null) return;
    if (udp.localAddress === this.address && udp.localPort === this.port) return;
    const n = utf8Write(udp.localAddress, this.bytes, 0);
    if (n < 0) return;
    this.len = n;
    this.address = udp.localAddress;
    this.port = udp.localPort;
  }
}

export class LearnedAddress {
  /** ADDRESS_BYTES, or a view of a shared buffer (see AdvertisedAddress). */
  readonly bytes: Uint8Array;
  len = 0;
  address = "";
  port = 0;

  constructor(bytes?: Uint8Array) {
    this.bytes = bytes ?? new Uint8Array(ADDRESS_BYTES);
  }

  /** Take received/rport from the top Via of a response to our request; true when either changed. */
  learn(msg: SipMessage): boolean {
    const via = msg.via;
    const buf = msg.buf;
    let changed = false;
    if (via.receivedLen > 0 && via.receivedLen <= this.bytes.length && !spansEqual(buf, via.receivedStart, via.receivedLen, this.bytes, 0, this.len)) {
      for (let i = 0; i < via.receivedLen; i++) this.bytes[i] = buf[via.receivedStart + i]!;
      this.len = via.receivedLen;
      this.address = spanToString(buf, via.receivedStart, via.receivedLen);
      changed = true;
    }
    if (via.rport > 0 && via.rport !== this.port) {
      this.port = via.rport;
      changed = true;
    }
    return changed;
  }
}
