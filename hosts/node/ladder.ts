/*
 * The ladder view of SIP traffic for the terminal: one line per datagram,
 * with the time since start, a column per party and an arrow for the
 * direction, what the message is, and a short Call-ID:
 *
 *       time door                           pbx                            phone
 *      0.003 │─REGISTER────────────────────▶│                              │ 5d0c3b1a
 *      0.005 │◀─401 Unauthorized (REGISTER)─│                              │ 5d0c3b1a
 *      1.020 │                              │─INVITE──────────────────────▶│ 9f3e0a77
 *      1.021 │                              │◀─200 OK (INVITE)─────────────│ 9f3e0a77
 *
 * Requests show their method ("INFO (DTMF)" with an application/dtmf-relay
 * or application/dtmf body, never the digit), responses "status reason
 * (CSeq method)", datagrams the core's parser
 * rejects "unparseable" (the reason, offset and size after the columns),
 * CRLF-only datagrams "keep-alive".
 * style "arrows" prints "door ─INVITE─▶ pbx" instead, without columns.
 * Parties are named through `labels` (addr:port -> name); any other
 * endpoint is `defaultLabel`, or its own addr:port. Columns follow `columns`
 * and then the order in which parties first appear. `verbose` adds the
 * whole message under its line; `color` ANSI colours; `ascii` plain ASCII
 * art. Every configured secret (`redact`) is masked in whatever is printed
 * (digest never puts a password on the wire, but a misconfigured peer
 * might). DTMF digits are the door code, a credential: in a verbose DTMF
 * body the value after "Signal=" (dtmf-relay) or the body itself
 * (application/dtmf) is masked with as many '*' ("Signal=*", "Signal=**"
 * for 10), so the format stays visible. A pcap keeps them (it is the wire).
 */
import { Kind, SipMessage } from "../../src/sip/message/message";
import { SipParser } from "../../src/sip/message/parser";
import { PARSE_ERROR_REASONS } from "../../src/sip/message/errors";
import { spanToString } from "../../src/sip/message/bytes";
import { DtmfType, dtmfType } from "../../src/ua/call/dtmf";
import type { PacketEvent } from "./pbx/tap";

export type { PacketEvent } from "./pbx/tap";

/** The columns of the loopback PBX's traffic, in the natural order. */
export const LOOPBACK_COLUMNS: readonly string[] = Object.freeze(["door", "pbx", "phone"]);

export interface LadderOptions {
  /** Names of endpoints: a map or record "addr:port" -> name, or a function (undefined: not known). */
  labels?: ReadonlyMap<string, string> | Readonly<Record<string, string>> | ((endpoint: string) => string | undefined);
  /** The name of endpoints without a label (default: the endpoint itself). */
  defaultLabel?: string;
  /** Column order; parties not listed get columns as they appear. */
  columns?: readonly string[];
  /** "ladder" (default): aligned columns; "arrows": "from ─X─▶ to" lines. */
  style?: "ladder" | "arrows";
  /** Characters between two neighbouring columns (default 30, at least 12). */
  width?: number;
  /** Print the whole message under its line. */
  verbose?: boolean;
  /** ANSI colours (default false). */
  color?: boolean;
  /** Plain ASCII instead of box-drawing characters (default false). */
  ascii?: boolean;
  /** Strings never to print (passwords): masked with as many '*'. Read at each use, so secrets learnt later count. */
  redact?: readonly string[];
  /** Characters of the Call-ID shown (default 8; 0 hides it). */
  callIdLength?: number;
}

export type SummaryKind = "request" | "response" | "keep-alive" | "unparseable";

/** What one datagram is, in a few words. */
export interface PacketSummary {
  kind: SummaryKind;
  /** "INVITE", "INFO (DTMF)", "200 OK (INVITE)", "unparseable", "keep-alive". */
  label: string;
  /** The Call-ID, "" when unknown. */
  callId: string;
  /** Request method, or the CSeq method of a response ("" when unknown). */
  method: string;
  /** Response status (0 for anything else). */
  status: number;
  /** For responses: the reason phrase. */
  reason: string;
  /** For unparseable datagrams: why, where, and the size ("malformed Via at byte 40, 312 bytes"). */
  detail: string;
}

const parser = new SipParser();
const scratch = new SipMessage();

/** Summarise one datagram (the core's parser decides what parses). */
export function summarize(bytes: Uint8Array): PacketSummary {
  const out: PacketSummary = { kind: "unparseable", label: "", callId: "", method: "", status: 0, reason: "", detail: "" };
  if (bytes.length > 0 && bytes.every((b) => b === 13 || b === 10)) {
    out.kind = "keep-alive";
    out.label = "keep-alive";
    return out;
  }
  const ok = parser.parse(bytes, bytes.length, scratch);
  if (!ok) {
    out.label = "unparseable";
    out.detail = `${PARSE_ERROR_REASONS[scratch.error] ?? "error"} at byte ${scratch.errorOffset}, ${bytes.length} bytes`;
    return out;
  }
  const m = scratch;
  out.callId = m.callIdString();
  if (m.kind === Kind.Request) {
    out.kind = "request";
    out.method = m.methodString();
    out.label = out.method;
    // Which digit stays unsaid: it is part of the door code.
    if (dtmfBody(m) !== DtmfType.None) out.label = `${out.method} (DTMF)`;
  } else {
    out.kind = "response";
    out.status = m.status;
    out.reason = m.reasonString();
    out.method = m.cseq < 0 ? "" : spanToString(m.buf, m.cseqMethodStart, m.cseqMethodLen);
    out.label = `${m.status}${out.reason === "" ? "" : ` ${out.reason}`}${out.method === "" ? "" : ` (${out.method})`}`;
  }
  return out;
}

/** The DTMF type of a request's body, as the core reads it (src/ua/call/dtmf.ts dtmfType), or None. */
function dtmfBody(m: SipMessage): DtmfType {
  return m.kind !== Kind.Request || m.bodyLen <= 0 ? DtmfType.None : dtmfType(m);
}

/** Every Signal value masked with as many '*' (the rest of the body kept). */
function maskSignals(text: string): string {
  return text.replace(/(signal[ \t]*=[ \t]*)([^\s]+)/gi, (_all, key: string, value: string) => key + "*".repeat(value.length));
}

/**
 * The datagram as text for verbose output, DTMF digits masked: after
 * "Signal=" in a dtmf-relay body, every visible character of an
 * application/dtmf body (to the end of the datagram: bytes past
 * Content-Length are printed too), and after "Signal=" anywhere in a
 * datagram the parser rejects (a malformed INFO may still carry a digit).
 */
function maskedText(bytes: Uint8Array): string {
  const all = (): string => spanToString(bytes, 0, bytes.length);
  if (!parser.parse(bytes, bytes.length, scratch)) return maskSignals(all());
  const type = dtmfBody(scratch);
  if (type === DtmfType.None) return all();
  const start = scratch.bodyStart;
  const head = spanToString(bytes, 0, start);
  const body = spanToString(bytes, start, bytes.length - start);
  return head + (type === DtmfType.Relay ? maskSignals(body) : body.replace(/\S/g, "*"));
}

interface Glyphs {
  bar: string;
  line: string;
  right: string;
  left: string;
  ellipsis: string;
}

const UNICODE: Glyphs = { bar: "│", line: "─", right: "▶", left: "◀", ellipsis: "…" };
const ASCII: Glyphs = { bar: "|", line: "-", right: ">", left: "<", ellipsis: "..." };

const RESET = "\x1b[0m";
const DIM = "\x1b[2m";

function colorOf(s: PacketSummary): string {
  switch (s.kind) {
    case "request": return "\x1b[36m"; // cyan
    case "keep-alive": return DIM;
    case "unparseable": return "\x1b[35m"; // magenta
    default:
      return s.status < 200 ? "\x1b[33m" : s.status < 300 ? "\x1b[32m" : "\x1b[31m";
  }
}

const TIME_WIDTH = 8;

export class Ladder {
  readonly style: "ladder" | "arrows";
  readonly width: number;
  private readonly o: LadderOptions;
  private readonly g: Glyphs;
  private readonly columns: string[];
  private readonly secrets: readonly string[];
  private readonly callIdLength: number;

  constructor(options: LadderOptions = {}) {
    this.o = options;
    this.style = options.style ?? "ladder";
    this.width = Math.max(12, Math.floor(options.width ?? 30));
    this.g = options.ascii === true ? ASCII : UNICODE;
    this.columns = [...(options.columns ?? [])];
    // The caller's list itself: a secret added after the ladder was made (the built-in PBX's password) is masked too.
    this.secrets = options.redact ?? [];
    this.callIdLength = Math.max(0, Math.floor(options.callIdLength ?? 8));
  }

  /** The parties in column order (grows as new ones appear). */
  get parties(): readonly string[] {
    return this.columns;
  }

  /** The name of an endpoint. */
  nameOf(endpoint: string): string {
    const l = this.o.labels;
    let name: string | undefined;
    if (typeof l === "function") name = l(endpoint);
    else if (l instanceof Map) name = l.get(endpoint);
    else if (l !== undefined) name = (l as Readonly<Record<string, string>>)[endpoint];
    return name ?? this.o.defaultLabel ?? endpoint;
  }

  /** The column titles line (ladder style; "" for arrows). */
  header(): string {
    if (this.style !== "ladder" || this.columns.length === 0) return "";
    const step = this.width + 1;
    let s = "time".padStart(TIME_WIDTH) + " ";
    this.columns.forEach((name, i) => {
      const last = i === this.columns.length - 1;
      const n = last ? name : name.length > this.width ? name.slice(0, this.width) : name;
      s += last ? n : n.padEnd(step);
    });
    return this.mask(s.trimEnd());
  }

  /** Would this event add a column (so the header changes)? */
  addsColumn(ev: PacketEvent): boolean {
    return !this.columns.includes(this.nameOf(ev.from)) || !this.columns.includes(this.nameOf(ev.to));
  }

  /** The one-line view of a packet (no newline). */
  line(ev: PacketEvent): string {
    return this.mask(this.render(ev, summarize(ev.bytes)));
  }

  /** The line, and in verbose mode the message under it; ends with a newline. */
  format(ev: PacketEvent): string {
    const s = summarize(ev.bytes);
    let out = this.render(ev, s) + "\n";
    if (this.o.verbose === true) out += this.body(maskedText(ev.bytes));
    return this.mask(out);
  }

  /** Header and every event, for a recorded trace. */
  formatAll(events: readonly PacketEvent[]): string {
    for (const ev of events) this.register(ev);
    let out = "";
    const h = this.header();
    if (h !== "") out += h + "\n";
    for (const ev of events) out += this.format(ev);
    return out;
  }

  private register(ev: PacketEvent): void {
    for (const name of [this.nameOf(ev.from), this.nameOf(ev.to)]) if (!this.columns.includes(name)) this.columns.push(name);
  }

  private render(ev: PacketEvent, s: PacketSummary): string {
    this.register(ev);
    const from = this.nameOf(ev.from);
    const to = this.nameOf(ev.to);
    const time = formatTime(ev.time).padStart(TIME_WIDTH);
    const cid = this.callIdLength > 0 && s.callId !== "" ? s.callId.slice(0, this.callIdLength) : "";
    const tail = s.detail !== "" ? ` ${printable(s.detail)}` : cid === "" ? "" : ` ${this.paint(DIM, cid)}`;
    const a = this.columns.indexOf(from);
    const b = this.columns.indexOf(to);
    if (this.style === "arrows" || a === b) {
      const g = this.g;
      return `${time} ${from} ${g.line}${this.paint(colorOf(s), s.label)}${g.line}${g.right} ${to}${tail}`;
    }
    return `${time} ${this.row(a, b, s)}${tail}`;
  }

  /** The columns with an arrow from column a to column b, the label on it. */
  private row(a: number, b: number, s: PacketSummary): string {
    const g = this.g;
    const step = this.width + 1;
    const n = (this.columns.length - 1) * step + 1;
    const cells: string[] = new Array<string>(n).fill(" ");
    for (let i = 0; i < this.columns.length; i++) cells[i * step] = g.bar;
    const lo = Math.min(a, b) * step;
    const hi = Math.max(a, b) * step;
    for (let x = lo + 1; x < hi; x++) cells[x] = g.line;
    // Room between the bars: one line cell before the label, at least one after, then the head.
    const room = hi - lo - 1 - 3;
    const label = fit(s, room, g.ellipsis);
    let start: number;
    if (b > a) {
      cells[hi - 1] = g.right;
      start = lo + 2;
    } else {
      cells[lo + 1] = g.left;
      start = lo + 3;
    }
    for (let i = 0; i < label.length; i++) cells[start + i] = label[i]!;
    if (this.o.color === true && label.length > 0) {
      cells[start] = colorOf(s) + cells[start]!;
      cells[start + label.length - 1] = cells[start + label.length - 1]! + RESET;
    }
    return cells.join("").trimEnd();
  }

  private body(message: string): string {
    const indent = " ".repeat(TIME_WIDTH + 1);
    const text = printable(message);
    const lines = text.split(/\r?\n/);
    while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
    return lines.map((l) => `${indent}${l}`.trimEnd()).join("\n") + "\n\n";
  }

  private paint(code: string, text: string): string {
    return this.o.color === true && text !== "" ? `${code}${text}${RESET}` : text;
  }

  /** Mask every secret with as many '*' (keeps the columns aligned). */
  private mask(text: string): string {
    let out = text;
    for (const secret of this.secrets) if (secret !== "") out = out.split(secret).join("*".repeat(secret.length));
    return out;
  }
}

/** Seconds with milliseconds: 1234.5 -> "1.235". */
export function formatTime(ms: number): string {
  return (Math.round(Math.max(0, ms)) / 1000).toFixed(3);
}

/** Shorten a label to `room` characters: a response's reason phrase first, so that status and method stay. */
function fit(s: PacketSummary, room: number, ellipsis: string): string {
  const label = s.label;
  if (label.length <= room) return label;
  if (room <= 0) return "";
  if (s.kind === "response" && s.reason !== "") {
    const head = `${s.status} `;
    const tail = s.method === "" ? "" : ` (${s.method})`;
    const keep = room - head.length - tail.length - ellipsis.length;
    if (keep >= 3) return `${head}${s.reason.slice(0, keep).trimEnd()}${ellipsis}${tail}`;
    // No room for a useful part of the reason: status and method say more.
    if (`${s.status}${tail}`.length <= room) return `${s.status}${tail}`;
  }
  return `${label.slice(0, Math.max(0, room - ellipsis.length))}${ellipsis}`;
}

/** Control characters (other than CR, LF, tab) shown as "\xNN" so a datagram cannot drive the terminal. */
function printable(text: string): string {
  let out = "";
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if ((c < 32 && c !== 9 && c !== 10 && c !== 13) || c === 127 || (c >= 0x80 && c < 0xa0)) out += `\\x${c.toString(16).padStart(2, "0")}`;
    else out += ch;
  }
  return out;
}

/**
 * A tap that writes the ladder as traffic happens: the header first, and
 * again whenever a new party adds a column.
 */
export function ladderTap(write: (text: string) => void, options: LadderOptions = {}): (ev: PacketEvent) => void {
  const ladder = new Ladder(options);
  let shown = "";
  return (ev) => {
    let out = "";
    if (ladder.style === "ladder" && (shown === "" || ladder.addsColumn(ev))) {
      // Let the ladder learn the parties of this event first, then print the header it makes.
      const line = ladder.format(ev);
      const h = ladder.header();
      if (h !== shown) {
        out += h + "\n";
        shown = h;
      }
      write(out + line);
      return;
    }
    write(ladder.format(ev));
  };
}
