/*
 * The message writer: a cursor over one preallocated buffer. It writes
 * start lines, headers copied from spans, numbers, tokens and the body, with
 * no string concatenation. Overflow is reported (`overflow`), never silently
 * truncated; a message that overflowed must not be sent.
 */
import { ascii, utf8Write } from "./bytes";
import { H, HEADER_NAMES } from "./header";
import { type Method, METHOD_BYTES } from "./method";

const CRLF = ascii("\r\n");
const COLON_SP = ascii(": ");
const SIP_20 = ascii("SIP/2.0");
const HEADER_BYTES: readonly Uint8Array[] = Object.freeze(HEADER_NAMES.map((n) => ascii(n)));
const K_CONTENT_LENGTH = ascii("Content-Length: ");

export class SipWriter {
  readonly buf: Uint8Array;
  pos = 0;
  overflow = false;

  constructor(size: number | Uint8Array = 4096) {
    this.buf = typeof size === "number" ? new Uint8Array(size) : size;
  }

  reset(): this {
    this.pos = 0;
    this.overflow = false;
    return this;
  }

  get length(): number {
    return this.pos;
  }

  byte(b: number): this {
    if (this.pos >= this.buf.length) this.overflow = true;
    else this.buf[this.pos++] = b;
    return this;
  }

  bytes(k: Uint8Array): this {
    return this.span(k, 0, k.length);
  }

  span(src: Uint8Array, start: number, len: number): this {
    if (len <= 0) return this;
    if (this.pos + len > this.buf.length) {
      this.overflow = true;
      return this;
    }
    // copyWithin-free copy: a subarray would allocate a view in XS.
    const buf = this.buf;
    let p = this.pos;
    for (let i = 0; i < len; i++) buf[p++] = src[start + i]!;
    this.pos = p;
    return this;
  }

  /** Write a string as UTF-8 (config values written rarely; hot paths use pre-encoded bytes). */
  text(s: string): this {
    const at = utf8Write(s, this.buf, this.pos);
    if (at < 0) this.overflow = true;
    else this.pos = at;
    return this;
  }

  /** A non-negative integer in decimal. */
  uint(n: number): this {
    if (n < 0 || n !== Math.floor(n)) n = 0;
    let div = 1;
    while (n / div >= 10) div *= 10;
    while (div >= 1) {
      const d = Math.floor(n / div) % 10;
      this.byte(48 + d);
      div /= 10;
    }
    return this;
  }

  crlf(): this {
    return this.bytes(CRLF);
  }

  /** "METHOD uri SIP/2.0\r\n" with the Request-URI from a span. */
  requestLine(method: Method, methodSrc: Uint8Array | null, methodStart: number, methodLen: number, uri: Uint8Array, uriStart: number, uriLen: number): this {
    if (methodSrc !== null) this.span(methodSrc, methodStart, methodLen);
    else this.bytes(METHOD_BYTES[method]!);
    return this.byte(32).span(uri, uriStart, uriLen).byte(32).bytes(SIP_20).crlf();
  }

  /** "SIP/2.0 code reason\r\n" */
  statusLine(code: number, reason: Uint8Array): this {
    return this.bytes(SIP_20).byte(32).uint(code).byte(32).bytes(reason).crlf();
  }

  /** "Name: " for a known header. */
  headerName(id: H): this {
    return this.bytes(HEADER_BYTES[id]!).bytes(COLON_SP);
  }

  /** A whole header line "Name: value\r\n" with the value copied from a span. */
  header(id: H, src: Uint8Array, start: number, len: number): this {
    return this.headerName(id).span(src, start, len).crlf();
  }

  /** A header line whose value is a constant. */
  headerBytes(id: H, value: Uint8Array): this {
    return this.headerName(id).bytes(value).crlf();
  }

  /** A header line whose value is a number. */
  headerUint(id: H, n: number): this {
    return this.headerName(id).uint(n).crlf();
  }

  /** End the header section with Content-Length and the body (RFC 3261 §18.3: always send Content-Length). */
  body(src: Uint8Array | null, start: number, len: number): this {
    this.bytes(K_CONTENT_LENGTH).uint(src === null ? 0 : len).crlf().crlf();
    if (src !== null) this.span(src, start, len);
    return this;
  }

  /** End the header section with an empty body. */
  end(): this {
    return this.body(null, 0, 0);
  }
}

export { HEADER_BYTES };
