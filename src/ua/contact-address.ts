/*
 * The host:port the device offers in its Contact (RFC 3261 §10.2.1, §20.10),
 * kept as bytes so a REGISTER is written without building strings. It comes
 * from the transaction layer's advertised address, which RFC 3581 §4 lets us
 * correct from the received/rport a server reports. The string it was made
 * from is kept too, so "has it changed?" is a reference-cheap comparison.
 *
 * Its length, port and IPv6 flag are bytes after the address in the same
 * view, behind accessors (issue #9, idle heap: in XS each number property
 * is a heap slot; an address is then 3 slots and its view 4).
 */
import { spansEqualCI, utf8Write } from "../sip/message/bytes";
import { utf8Length } from "../util/utf8";

/** Longest address kept: an IPv6 literal with zone is < 64; a host name may be longer. Its length fits the one byte that holds it. */
export const MAX_ADDRESS = 255;

/** After the address: its length, the port (2 bytes, big-endian), 1 for an IPv6 literal. */
const LEN = MAX_ADDRESS;
const PORT = MAX_ADDRESS + 1;
const V6 = MAX_ADDRESS + 3;
/** Bytes an address takes in a shared store. */
export const CONTACT_ADDRESS_BYTES = MAX_ADDRESS + 4;

export class ContactAddress {
  /** The address without brackets (then, past MAX_ADDRESS, its length, port and flag). */
  bytes: Uint8Array;
  /** The string it was set from ("" when set from bytes or unset). */
  source = "";

  /** CONTACT_ADDRESS_BYTES of its own, or a view of them at `offset` in `store` (several addresses in one buffer: in XS a view costs no chunk of its own). */
  constructor(store?: ArrayBufferLike, offset = 0) {
    this.bytes = store !== undefined ? new Uint8Array(store, offset, CONTACT_ADDRESS_BYTES) : new Uint8Array(CONTACT_ADDRESS_BYTES);
  }

  /** View the same bytes at `offset` in `store`, a copy of the one viewed until now (its owner's store was rewritten, packed-numbers.ts replacePacked). */
  rebind(store: ArrayBufferLike, offset: number): void {
    this.bytes = new Uint8Array(store, offset, CONTACT_ADDRESS_BYTES);
  }

  get len(): number {
    return this.bytes[LEN]!;
  }

  get port(): number {
    const b = this.bytes;
    return (b[PORT]! << 8) | b[PORT + 1]!;
  }

  set port(port: number) {
    const b = this.bytes;
    b[PORT] = port >> 8;
    b[PORT + 1] = port;
  }

  /** An IPv6 literal: written in brackets in URIs. */
  get v6(): boolean {
    return this.bytes[V6] === 1;
  }

  /** Set from a string; returns true when the address or port changed. Strings only when they change (rare). */
  set(address: string, port: number): boolean {
    if (address === this.source && port === this.port && this.len > 0) return false;
    let a = address;
    if (a.length > 1 && a.charAt(0) === "[" && a.charAt(a.length - 1) === "]") a = a.substring(1, a.length - 1);
    const b = this.bytes;
    const end = utf8Length(a) <= MAX_ADDRESS ? utf8Write(a, b, 0) : -1;
    b[LEN] = end < 0 ? 0 : end;
    this.port = port;
    this.source = address;
    b[V6] = a.indexOf(":") >= 0 ? 1 : 0;
    return true;
  }

  /** Copy another address (no allocation). */
  copy(from: ContactAddress): void {
    const b = this.bytes;
    const src = from.bytes;
    const n = src[LEN]!;
    for (let i = 0; i < n; i++) b[i] = src[i]!;
    for (let i = LEN; i < CONTACT_ADDRESS_BYTES; i++) b[i] = src[i]!;
    this.source = from.source;
  }

  /** Set from a span (e.g. a Via received parameter), with its port. */
  setSpan(buf: Uint8Array, start: number, len: number, port: number): void {
    const n = len < MAX_ADDRESS ? len : MAX_ADDRESS;
    const bytes = this.bytes;
    let v6 = 0;
    for (let i = 0; i < n; i++) {
      const b = buf[start + i]!;
      bytes[i] = b;
      if (b === 58 /* : */) v6 = 1;
    }
    bytes[LEN] = n;
    this.port = port;
    bytes[V6] = v6;
    this.source = "";
  }

  clear(): void {
    const b = this.bytes;
    b[LEN] = b[PORT] = b[PORT + 1] = b[V6] = 0;
    this.source = "";
  }

  /** Same address (case-insensitive: host names) as buf[start, start+len)? Brackets in the span are ignored. */
  sameHost(buf: Uint8Array, start: number, len: number): boolean {
    if (len >= 2 && buf[start] === 91 /* [ */ && buf[start + len - 1] === 93 /* ] */) {
      start++;
      len -= 2;
    }
    return spansEqualCI(this.bytes, 0, this.bytes[LEN]!, buf, start, len);
  }

  equals(other: ContactAddress): boolean {
    return this.port === other.port && spansEqualCI(this.bytes, 0, this.bytes[LEN]!, other.bytes, 0, other.len);
  }
}
