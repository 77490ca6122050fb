/*
 * Where a request goes (RFC 3261 §8.1.2, §12.2.1.1): the host and port of
 * a SIP URI, as the strings the host's UdpHost.send takes. Made once per
 * target or route change (a dialog's life), not per request. RFC 3263's DNS
 * SRV/NAPTR lookups are not done: a host name goes to the host as it is,
 * with the URI's port or 5060 (UDP, §19.1.2).
 */
import { spanToString } from "../message/bytes";
import { HostKind, Scheme, type Uri } from "../message/uri";

export const DEFAULT_PORT = 5060;

const charCodeAt = String.prototype.charCodeAt;

/**
 * Is `text` the ASCII bytes buf[start, start+len)? Compared without making
 * a string: charCodeAt through call(), unlike a method call or a property
 * of a string primitive, allocates nothing in XS. Non-ASCII bytes never match (the
 * caller then makes the string).
 */
export function textEquals(text: string, buf: Uint8Array, start: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (charCodeAt.call(text, i) !== buf[start + i]) return false;
  // Past the end charCodeAt gives NaN (text.length would allocate: a property of a string primitive).
  const after = charCodeAt.call(text, len);
  return after !== after;
}

export class NextHop {
  address = "";
  port = 0;
  /** The last address made from a URI, kept through clear(). */
  private last = "";

  /** From a URI that was read; false when it is not a SIP(S) URI with a host. */
  fromUri(uri: Uri): boolean {
    if ((uri.scheme !== Scheme.Sip && uri.scheme !== Scheme.Sips) || uri.hostLen <= 0) return false;
    let start = uri.hostStart;
    let len = uri.hostLen;
    if (uri.hostKind === HostKind.IPv6) {
      start++;
      len -= 2;
    }
    // The last string made again when the host repeats (the same peer call after call): no string per call.
    if (!textEquals(this.last, uri.buf, start, len)) this.last = spanToString(uri.buf, start, len);
    this.address = this.last;
    this.port = uri.port > 0 ? uri.port : DEFAULT_PORT;
    return true;
  }

  set(address: string, port: number): void {
    this.address = address;
    this.port = port;
  }

  clear(): void {
    this.address = "";
    this.port = 0;
  }

  get valid(): boolean {
    return this.port > 0;
  }
}
