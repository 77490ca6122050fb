/*
 * A small string-level SIP message model for the loopback PBX and its desk
 * phone (test peers, not product code). Datagrams are validated by the
 * core's parser (src/sip/message/parser.ts): what it rejects is reported as
 * unparseable, with the parser's reason. What it accepts is copied into
 * strings here: header names canonical (compact forms expanded), list
 * headers (Via, Route, Record-Route, Contact) split into one entry per
 * element (RFC 3261 §7.3.1), the body kept as bytes. Messages are built and
 * edited as strings and serialized with a fresh Content-Length.
 */
import { randomBytes } from "node:crypto";
import { ascii, spanToString } from "../../../src/sip/message/bytes";
import { PARSE_ERROR_PHRASES, PARSE_ERROR_REASONS, statusForParseError } from "../../../src/sip/message/errors";
import { H, HEADER_NAMES, headerIdOf } from "../../../src/sip/message/header";
import { Kind, SipMessage } from "../../../src/sip/message/message";
import { SipParser } from "../../../src/sip/message/parser";

export interface SipHeader {
  name: string;
  value: string;
}

/** Headers whose comma-separated elements become separate entries. */
const LIST_HEADERS = new Set<H>([H.Via, H.Route, H.RecordRoute, H.Contact]);

const REASONS: Record<number, string> = {
  100: "Trying", 180: "Ringing", 181: "Call Is Being Forwarded", 182: "Queued", 183: "Session Progress",
  200: "OK", 202: "Accepted",
  301: "Moved Permanently", 302: "Moved Temporarily",
  400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
  407: "Proxy Authentication Required", 408: "Request Timeout", 415: "Unsupported Media Type",
  420: "Bad Extension", 423: "Interval Too Brief", 480: "Temporarily Unavailable",
  481: "Call/Transaction Does Not Exist", 482: "Loop Detected", 483: "Too Many Hops", 484: "Address Incomplete",
  486: "Busy Here", 487: "Request Terminated", 488: "Not Acceptable Here", 491: "Request Pending",
  500: "Server Internal Error", 501: "Not Implemented", 503: "Service Unavailable", 504: "Server Time-out",
  505: "Version Not Supported", 513: "Message Too Large",
  600: "Busy Everywhere", 603: "Decline", 604: "Does Not Exist Anywhere", 606: "Not Acceptable",
};

/** The usual reason phrase of a status code. */
export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status < 200 ? "Progress" : status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : status < 600 ? "Server Error" : "Global Failure");
}

/** The canonical spelling of a header name (compact forms expanded), or the name as given for unknown headers. */
export function canonicalName(name: string): string {
  const b = ascii(name);
  const id = headerIdOf(b, 0, b.length);
  return id === H.Other ? name : HEADER_NAMES[id]!;
}

const EMPTY = new Uint8Array(0);

export class SipMsg {
  kind: "request" | "response";
  method = "";
  uri = "";
  status = 0;
  reason = "";
  headers: SipHeader[] = [];
  body: Uint8Array = EMPTY;

  private constructor(kind: "request" | "response") {
    this.kind = kind;
  }

  static request(method: string, uri: string): SipMsg {
    const m = new SipMsg("request");
    m.method = method;
    m.uri = uri;
    return m;
  }

  static response(status: number, reason: string = reasonPhrase(status)): SipMsg {
    const m = new SipMsg("response");
    m.status = status;
    m.reason = reason;
    return m;
  }

  get isRequest(): boolean {
    return this.kind === "request";
  }

  /** Values of every header of this name, in order (case-insensitive, compact forms accepted). */
  all(name: string): string[] {
    const n = canonicalName(name).toLowerCase();
    const out: string[] = [];
    for (const h of this.headers) if (h.name.toLowerCase() === n) out.push(h.value);
    return out;
  }

  get(name: string): string | undefined {
    const n = canonicalName(name).toLowerCase();
    for (const h of this.headers) if (h.name.toLowerCase() === n) return h.value;
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Append a header at the end. */
  add(name: string, value: string): this {
    this.headers.push({ name: canonicalName(name), value });
    return this;
  }

  /** Insert before the first header of this name (at the very top when there is none). */
  prepend(name: string, value: string): this {
    const c = canonicalName(name);
    const n = c.toLowerCase();
    const i = this.headers.findIndex((h) => h.name.toLowerCase() === n);
    this.headers.splice(i < 0 ? 0 : i, 0, { name: c, value });
    return this;
  }

  /** Replace the first header of this name (append when absent); later ones of the same name are removed. */
  set(name: string, value: string): this {
    const c = canonicalName(name);
    const n = c.toLowerCase();
    const i = this.headers.findIndex((h) => h.name.toLowerCase() === n);
    if (i < 0) return this.add(c, value);
    this.headers[i] = { name: c, value };
    this.headers = this.headers.filter((h, k) => k <= i || h.name.toLowerCase() !== n);
    return this;
  }

  /** Replace the value of the first header of this name; false when absent. */
  replaceFirst(name: string, value: string): boolean {
    const n = canonicalName(name).toLowerCase();
    const i = this.headers.findIndex((h) => h.name.toLowerCase() === n);
    if (i < 0) return false;
    this.headers[i] = { name: this.headers[i]!.name, value };
    return true;
  }

  /** Remove every header of this name. */
  remove(name: string): this {
    const n = canonicalName(name).toLowerCase();
    this.headers = this.headers.filter((h) => h.name.toLowerCase() !== n);
    return this;
  }

  /** Remove the first header of this name and return its value. */
  removeFirst(name: string): string | undefined {
    const n = canonicalName(name).toLowerCase();
    const i = this.headers.findIndex((h) => h.name.toLowerCase() === n);
    if (i < 0) return undefined;
    return this.headers.splice(i, 1)[0]!.value;
  }

  setBody(contentType: string, body: string | Uint8Array): this {
    this.set("Content-Type", contentType);
    this.body = typeof body === "string" ? new TextEncoder().encode(body) : body;
    return this;
  }

  bodyText(): string {
    return new TextDecoder().decode(this.body);
  }

  get callId(): string {
    return this.get("Call-ID") ?? "";
  }

  /** CSeq number and method ({ seq: -1, method: "" } when absent). */
  get cseq(): { seq: number; method: string } {
    const v = this.get("CSeq");
    const m = v === undefined ? null : /^\s*(\d+)\s+(\S+)/.exec(v);
    return m === null ? { seq: -1, method: "" } : { seq: Number(m[1]), method: m[2]! };
  }

  /** The method of the transaction: the request's, or the CSeq method of a response. */
  get txMethod(): string {
    return this.isRequest ? this.method : this.cseq.method;
  }

  /** The top Via, parsed (null when absent or unreadable). */
  get topVia(): Via | null {
    const v = this.get("Via");
    return v === undefined ? null : parseVia(v);
  }

  clone(): SipMsg {
    const m = new SipMsg(this.kind);
    m.method = this.method;
    m.uri = this.uri;
    m.status = this.status;
    m.reason = this.reason;
    m.headers = this.headers.map((h) => ({ name: h.name, value: h.value }));
    m.body = this.body;
    return m;
  }

  /** The head as text: start line, headers, Content-Length, blank line. */
  head(): string {
    const lines = [this.isRequest ? `${this.method} ${this.uri} SIP/2.0` : `SIP/2.0 ${this.status} ${this.reason}`];
    for (const h of this.headers) if (h.name !== "Content-Length") lines.push(`${h.name}: ${h.value}`);
    lines.push(`Content-Length: ${this.body.length}`, "", "");
    return lines.join("\r\n");
  }

  toBytes(): Uint8Array {
    const head = new TextEncoder().encode(this.head());
    const out = new Uint8Array(head.length + this.body.length);
    out.set(head, 0);
    out.set(this.body, head.length);
    return out;
  }

  toString(): string {
    return new TextDecoder().decode(this.toBytes());
  }

  /** Build from the core's parsed message (valid only during the parse: everything is copied). */
  static fromParsed(p: SipMessage): SipMsg {
    const m = new SipMsg(p.kind === Kind.Request ? "request" : "response");
    if (p.kind === Kind.Request) {
      m.method = p.methodString();
      m.uri = p.uriString();
    } else {
      m.status = p.status;
      m.reason = p.reasonString();
    }
    for (let i = 0; i < p.headerCount; i++) {
      const id = p.hId[i]! as H;
      const name = id === H.Other ? p.nameString(i) : HEADER_NAMES[id]!;
      const value = p.valueString(i).trim();
      if (LIST_HEADERS.has(id) && !(id === H.Contact && value === "*")) {
        for (const element of splitList(value)) m.headers.push({ name, value: element });
      } else {
        m.headers.push({ name, value });
      }
    }
    m.body = p.buf.slice(p.bodyStart, p.bodyStart + p.bodyLen);
    return m;
  }
}

/** What parsing a datagram gave: a message, or why not. */
export type ParseOutcome =
  | { ok: true; msg: SipMsg }
  | {
    ok: false;
    /** The parser's reason ("malformed Via"), "keep-alive" for CRLFs only. */
    error: string;
    offset: number;
    /** For a request the parser could still read: what to answer (400 ..., 505, 513), else 0. */
    status: number;
    phrase: string;
    /** The request as far as it could be read, to answer it (only when status > 0). */
    partial: SipMsg | null;
  };

const parser = new SipParser();
const scratch = new SipMessage();

/** Parse one datagram with the core's parser. */
export function parseSip(bytes: Uint8Array, length: number = bytes.length): ParseOutcome {
  if (length > 0 && isKeepAlive(bytes, length)) return { ok: false, error: "keep-alive", offset: 0, status: 0, phrase: "", partial: null };
  if (parser.parse(bytes, length, scratch)) return { ok: true, msg: SipMsg.fromParsed(scratch) };
  const e = scratch.error;
  const request = scratch.kind === Kind.Request && scratch.methodLen > 0;
  const status = request ? statusForParseError(e) : 0;
  let partial: SipMsg | null = null;
  if (status > 0) {
    try {
      partial = SipMsg.fromParsed(scratch);
    } catch {
      partial = null;
    }
  }
  return {
    ok: false,
    error: PARSE_ERROR_REASONS[e] ?? `error ${e}`,
    offset: scratch.errorOffset,
    status,
    phrase: PARSE_ERROR_PHRASES[e] ?? "Bad Request",
    partial,
  };
}

function isKeepAlive(b: Uint8Array, length: number): boolean {
  for (let i = 0; i < length; i++) if (b[i] !== 13 && b[i] !== 10) return false;
  return true;
}

/** Latin-1 view of bytes for logs (never throws). */
export function bytesToText(b: Uint8Array): string {
  return spanToString(b, 0, b.length);
}

/** Split a header value on commas outside quotes and angle brackets. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let angle = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === "\"") quoted = false;
    } else if (c === "\"") quoted = true;
    else if (c === "<") angle = true;
    else if (c === ">") angle = false;
    else if (c === "," && !angle) {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((s) => s !== "");
}

/** ";a=b;c" -> [["a","b"],["c",null]] (names lower-cased). */
export function parseParams(text: string): [string, string | null][] {
  const out: [string, string | null][] = [];
  for (const part of text.split(";")) {
    const p = part.trim();
    if (p === "") continue;
    const eq = p.indexOf("=");
    if (eq < 0) out.push([p.toLowerCase(), null]);
    else out.push([p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim()]);
  }
  return out;
}

export function formatParams(params: readonly [string, string | null][]): string {
  return params.map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`)).join("");
}

export interface SipUri {
  scheme: string;
  user: string | null;
  host: string;
  /** -1 when absent. */
  port: number;
  params: [string, string | null][];
}

/** A sip: or sips: URI (user, host, port, parameters; URI headers are dropped). Null when it is not one. */
export function parseUri(uri: string): SipUri | null {
  const m = /^(sips?):(?:([^@]*)@)?(\[[^\]]+\]|[^:;?]+)(?::(\d+))?((?:;[^?]*)?)(?:\?.*)?$/i.exec(uri.trim());
  if (m === null) return null;
  return {
    scheme: m[1]!.toLowerCase(),
    user: m[2] === undefined ? null : m[2],
    host: m[3]!,
    port: m[4] === undefined ? -1 : Number(m[4]),
    params: parseParams(m[5] ?? ""),
  };
}

export function formatUri(u: SipUri): string {
  return `${u.scheme}:${u.user !== null ? `${u.user}@` : ""}${u.host}${u.port >= 0 ? `:${u.port}` : ""}${formatParams(u.params)}`;
}

export interface NameAddr {
  display: string;
  uri: string;
  /** Header parameters after the URI (tag, expires, ...). */
  params: [string, string | null][];
}

/** name-addr or addr-spec with header parameters (From, To, Contact, Route, Record-Route). */
export function parseNameAddr(value: string): NameAddr {
  const v = value.trim();
  const lt = indexOutsideQuotes(v, "<");
  if (lt >= 0) {
    const gt = v.indexOf(">", lt);
    const end = gt < 0 ? v.length : gt;
    return { display: v.slice(0, lt).trim(), uri: v.slice(lt + 1, end).trim(), params: parseParams(v.slice(end + 1)) };
  }
  // addr-spec: parameters after the URI belong to the header (RFC 3261 §20.10).
  const semi = v.indexOf(";");
  return { display: "", uri: semi < 0 ? v : v.slice(0, semi), params: parseParams(semi < 0 ? "" : v.slice(semi)) };
}

function indexOutsideQuotes(v: string, ch: string): number {
  let quoted = false;
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (quoted) {
      if (c === "\\") i++;
      else if (c === "\"") quoted = false;
    } else if (c === "\"") quoted = true;
    else if (c === ch) return i;
  }
  return -1;
}

export function param(params: readonly [string, string | null][], name: string): string | null | undefined {
  const n = name.toLowerCase();
  for (const [k, v] of params) if (k === n) return v;
  return undefined;
}

/** The tag parameter of a From/To value, or "". */
export function tagOf(value: string | undefined): string {
  if (value === undefined) return "";
  const t = param(parseNameAddr(value).params, "tag");
  return typeof t === "string" ? t : "";
}

/** The URI of a From/To/Contact/Route value. */
export function uriOf(value: string | undefined): string {
  return value === undefined ? "" : parseNameAddr(value).uri;
}

/** The user part of the URI of a From/To value, or "". */
export function userOf(value: string | undefined): string {
  return parseUri(uriOf(value))?.user ?? "";
}

export interface Via {
  transport: string;
  host: string;
  /** -1 when absent. */
  port: number;
  params: [string, string | null][];
}

export function parseVia(value: string): Via | null {
  const m = /^\s*SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^\s:;]+)(?:\s*:\s*(\d+))?\s*((?:;.*)?)$/i.exec(value);
  if (m === null) return null;
  return { transport: m[1]!.toUpperCase(), host: m[2]!, port: m[3] === undefined ? -1 : Number(m[3]), params: parseParams(m[4] ?? "") };
}

export function formatVia(v: Via): string {
  return `SIP/2.0/${v.transport} ${v.host}${v.port >= 0 ? `:${v.port}` : ""}${formatParams(v.params)}`;
}

/** The branch of a Via, or "". */
export function branchOf(v: Via | null): string {
  const b = v === null ? undefined : param(v.params, "branch");
  return typeof b === "string" ? b : "";
}

/**
 * Where responses to a request with this top Via go (RFC 3261 §18.2.2,
 * RFC 3581 §4): the received address (else the sent-by host), the rport
 * value (else the sent-by port, else 5060).
 */
export function responseTarget(v: Via): { address: string; port: number } {
  const received = param(v.params, "received");
  const rport = param(v.params, "rport");
  const address = typeof received === "string" && received !== "" ? received : v.host;
  const rp = typeof rport === "string" ? Number(rport) : NaN;
  const port = Number.isInteger(rp) && rp > 0 ? rp : v.port > 0 ? v.port : 5060;
  return { address: stripBrackets(address), port };
}

/** Stamp the top Via of a received request with received/rport (RFC 3261 §18.2.1, RFC 3581 §4). */
export function stampVia(v: Via, address: string, port: number): Via {
  const params = v.params.map(([k, val]) => [k, val] as [string, string | null]);
  const ri = params.findIndex(([k]) => k === "rport");
  if (ri >= 0) params[ri] = ["rport", String(port)];
  const hasReceived = params.findIndex(([k]) => k === "received");
  if (ri >= 0 || stripBrackets(v.host) !== address) {
    if (hasReceived >= 0) params[hasReceived] = ["received", address];
    else params.push(["received", address]);
  }
  return { ...v, params };
}

export function stripBrackets(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** "addr:port", with brackets around IPv6 addresses. */
export function endpoint(address: string, port: number): string {
  return `${address.includes(":") ? `[${address}]` : address}:${port}`;
}

/** Random lower-case hex. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString("hex");
}

/** A new RFC 3261 branch (§8.1.1.7). */
export function newBranch(): string {
  return `z9hG4bK${randomHex(8)}`;
}

/** A response to `req` (§8.2.6.2): Vias, From, To (tagged unless 100), Call-ID, CSeq copied. */
export function responseTo(req: SipMsg, status: number, toTag: string, reason?: string): SipMsg {
  const r = SipMsg.response(status, reason ?? reasonPhrase(status));
  for (const v of req.all("Via")) r.add("Via", v);
  const from = req.get("From");
  if (from !== undefined) r.add("From", from);
  const to = req.get("To");
  if (to !== undefined) r.add("To", status > 100 && tagOf(to) === "" && toTag !== "" ? `${to};tag=${toTag}` : to);
  const callId = req.get("Call-ID");
  if (callId !== undefined) r.add("Call-ID", callId);
  const cseq = req.get("CSeq");
  if (cseq !== undefined) r.add("CSeq", cseq);
  if (status === 100) {
    const ts = req.get("Timestamp");
    if (ts !== undefined) r.add("Timestamp", ts);
  }
  return r;
}
