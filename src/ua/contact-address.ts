/*
 * The host:port the device offers in its Contact (RFC 3261 §10.2.1, §20.10),
 * kept as bytes so a REGISTER is written without building strings. It comes
 * from the transaction layer's advertised address, which RFC 3581 §4 lets us
 * correct from the received/rport a server reports. The string it was made
 * from is kept too, so "has it changed?" is a reference-cheap comparison.
 */
import { spansEqualCI, utf8Write } from "../sip/message/bytes";

/** Longest address kept: an IPv6 literal with zone is < 64; a host name may be longer. */
export const MAX_ADDRESS = 255;

export class ContactAddress {
  /** The address without brackets. */
  readonly bytes: Uint8Array;
  len = 0;
  port = 0;
  /** An IPv6 literal: written in brackets in URIs. */
  v6 = false;
  /** The string it was set from ("" when set from bytes or unset). */
  source = "";

  /** MAX_ADDRESS bytes of its own, or a view of them at `offset` in `store` (several addresses in one buffer: in XS a view costs no chunk of its own). */
  constructor(store?: ArrayBuffer, offset = 0) {
    this.bytes = store !== undefined ? new Uint8Array(store, offset, MAX_ADDRESS) : new Uint8Array(MAX_ADDRESS);
  }

  /** Set from a string; returns true when the address or port changed. Strings only when they change (rare). */
  set(address: string, port: number): boolean {
    if (address === this.source && port === this.port && this.len > 0) return false;
    let a = address;
    if (a.length > 1 && a.charAt(0) === "[" && a.charAt(a.length - 1) === "]") a = a.substring(1, a.length - 1);
    const end = utf8Write(a, this.bytes, 0);
    this.len = end < 0 ? 0 : end;
    this.port = port;
    this.source = address;
    this.v6 = a.indexOf(":") >= 0;
    return true;
  }

  /** Copy another address (no allocation). */
  copy(from: ContactAddress): void {
    for (let i = 0; i < from.len; i++) this.bytes[i] = from.bytes[i]!;
    this.len = from.len;
    this.port = from.port;
    this.v6 = from.v6;
    this.source = from.source;
  }

  /** Set from a span (e.g. a Via received parameter), with its port. */
  setSpan(buf: Uint8Array, start: number, len: number, port: number): void {
    const n = len < MAX_ADDRESS ? len : MAX_ADDRESS;
    let v6 = false;
    for (let i = 0; i < n; i++) {
      const b = buf[start + i]!;
      this.bytes[i] = b;
      if (b === 58 /* : */) v6 = true;
    }
    this.len = n;
    this.port = port;
    this.v6 = v6;
    this.source = "";
  }

  clear(): void {
    this.len = 0;
    this.port = 0;
    this.source = "";
    this.v6 = false;
  }

  /** Same address (case-insensitive: host names) as buf[start, start+len)? Brackets in the span are ignored. */
  sameHost(buf: Uint8Array, start: number, len: number): boolean {
    if (len >= 2 && buf[start] === 91 /* [ */ && buf[start + len - 1] === 93 /* ] */) {
      start++;
      len -= 2;
    }
    return spansEqualCI(this.bytes, 0, this.len, buf, start, len);
  }

  equals(other: ContactAddress): boolean {
    return this.port === other.port && spansEqualCI(this.bytes, 0, this.len, other.bytes, 0, other.len);
  }
}
