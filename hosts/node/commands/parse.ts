/*
 * `doorsip parse FILE...`: run the parser on message files and pcap captures
 * and say what it found: `ok request INVITE sip:...`, `ok response 200 OK`,
 * or `error <reason> at byte <offset>`; with --json, the parsed fields.
 */
import { readFileSync } from "node:fs";
import { ParseError, PARSE_ERROR_REASONS } from "../../../src/sip/message/errors";
import { H } from "../../../src/sip/message/header";
import { Kind, SipMessage } from "../../../src/sip/message/message";
import { NameAddr } from "../../../src/sip/message/name-addr";
import { SipParser } from "../../../src/sip/message/parser";
import { spanToString } from "../../../src/sip/message/bytes";
import { isPcap, isPcapng, readPcap, PcapError } from "../pcap";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type Command } from "./command";
import { commandArgs } from "./options";

const USAGE = `usage: doorsip parse [--json] [--port N] FILE...

Parse SIP messages and print, for each, one of
  ok request METHOD REQUEST-URI
  ok response STATUS REASON
  error REASON at byte OFFSET
prefixed with the file name (and #packet for captures) when there are several.
A FILE is one raw message, or a classic pcap capture (Ethernet, raw IP, Linux
cooked, loopback; IPv4/IPv6; VLAN tags) whose UDP datagrams are one message
each. "-" reads standard input. Exit code 1 when any message fails to parse.

  --json     print the parsed fields as a JSON array, one object per message
  --port N   in captures, only datagrams from or to UDP port N
`;

/** One message to parse, and where it came from. */
interface Input {
  file: string;
  bytes: Uint8Array;
  /** For captures: record number, time and addresses. */
  packet?: number;
  timeMs?: number;
  src?: string;
  dst?: string;
  truncated?: boolean;
}

export interface NameAddrJson {
  display: string | null;
  uri: string;
  tag: string | null;
}

export interface ViaJson {
  transport: string;
  host: string;
  port: number | null;
  branch: string | null;
  received: string | null;
  /** null when absent, true when present without a value, else the port. */
  rport: number | true | null;
}

/** What `doorsip parse --json` prints for one message. */
export interface ParsedJson {
  file: string;
  packet?: number;
  time?: string;
  src?: string;
  dst?: string;
  truncated?: boolean;
  ok: boolean;
  /** Only for a datagram holding nothing but CRLFs (a keep-alive, RFC 5626 §4.4.1). */
  keepAlive?: boolean;
  kind: "request" | "response" | null;
  method: string | null;
  uri: string | null;
  status: number | null;
  reason: string | null;
  headers: { name: string; value: string }[];
  callId: string | null;
  cseq: number | null;
  cseqMethod: string | null;
  via: ViaJson | null;
  from: NameAddrJson | null;
  to: NameAddrJson | null;
  bodyLength: number;
  error?: { code: number; reason: string; offset: number };
}

function span(buf: Uint8Array, start: number, len: number): string | null {
  return len < 0 ? null : spanToString(buf, start, len);
}

function nameAddrJson(a: NameAddr): NameAddrJson {
  return {
    display: a.displayLen < 0 ? null : a.displayName(),
    uri: spanToString(a.buf, a.uriStart, a.uriLen),
    tag: span(a.buf, a.tagStart, a.tagLen),
  };
}

/** The fields of a parsed message. Top Via / From / To only when they were read without error. */
export function messageJson(msg: SipMessage): Omit<ParsedJson, "file"> {
  const buf = msg.buf;
  const ok = msg.ok;
  const e = msg.error;
  // When parsing stopped early (too large, too many headers) the header values were not validated.
  const validated = e !== ParseError.TooLarge && e !== ParseError.TooManyHeaders;
  const headers: { name: string; value: string }[] = [];
  for (let i = 0; i < msg.headerCount; i++) headers.push({ name: msg.nameString(i), value: msg.valueString(i) });
  let via: ViaJson | null = null;
  if (validated && msg.has(H.Via) && e !== ParseError.BadVia) {
    const v = msg.via;
    via = {
      transport: spanToString(buf, v.transportStart, v.transportLen),
      host: spanToString(buf, v.hostStart, v.hostLen),
      port: v.port < 0 ? null : v.port,
      branch: span(buf, v.branchStart, v.branchLen),
      received: span(buf, v.receivedStart, v.receivedLen),
      rport: v.rport < 0 ? null : v.rport === 0 ? true : v.rport,
    };
  }
  const request = msg.kind === Kind.Request;
  const response = msg.kind === Kind.Response;
  const out: Omit<ParsedJson, "file"> = {
    ok,
    kind: request ? "request" : response ? "response" : null,
    method: request && msg.methodLen > 0 ? msg.methodString() : null,
    uri: request && msg.uriLen > 0 ? msg.uriString() : null,
    status: response && msg.status > 0 ? msg.status : null,
    reason: response && msg.status > 0 ? msg.reasonString() : null,
    headers,
    callId: msg.callIdLen < 0 ? null : msg.callIdString(),
    cseq: msg.cseq < 0 ? null : msg.cseq,
    cseqMethod: msg.cseq < 0 ? null : spanToString(buf, msg.cseqMethodStart, msg.cseqMethodLen),
    via,
    from: validated && msg.has(H.From) && e !== ParseError.BadFrom ? nameAddrJson(msg.from) : null,
    to: validated && msg.has(H.To) && e !== ParseError.BadTo ? nameAddrJson(msg.to) : null,
    bodyLength: msg.bodyLen,
  };
  if (!ok) out.error = { code: e, reason: PARSE_ERROR_REASONS[e] ?? `error ${e}`, offset: msg.errorOffset };
  return out;
}

/** The one-line summary of a parsed message. */
export function messageLine(msg: SipMessage): string {
  if (!msg.ok) return `error ${PARSE_ERROR_REASONS[msg.error] ?? `error ${msg.error}`} at byte ${msg.errorOffset}`;
  if (msg.kind === Kind.Request) return `ok request ${msg.methodString()} ${msg.uriString()}`;
  return `ok response ${msg.status} ${msg.reasonString()}`.trimEnd();
}

function isKeepAlive(b: Uint8Array): boolean {
  if (b.length === 0) return false;
  for (let i = 0; i < b.length; i++) if (b[i] !== 13 && b[i] !== 10) return false;
  return true;
}

function readInput(file: string): Uint8Array {
  return new Uint8Array(file === "-" ? readFileSync(0) : readFileSync(file));
}

export const parseCommand: Command = {
  summary: "parse SIP messages from files or pcap captures",
  usage: USAGE,
  async run(args, io) {
    const parsed = commandArgs("parse", USAGE, args, io, {
      json: { type: "boolean", default: false },
      port: { type: "string" },
    });
    if (typeof parsed === "number") return parsed;
    const { values, positionals: files } = parsed;
    if (files.length === 0) {
      io.err(`doorsip parse: no FILE given\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    const port = values.port === undefined ? -1 : Number(values.port);
    if (values.port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65535)) {
      io.err(`doorsip parse: --port wants a UDP port number, not ${values.port}\n`);
      return EXIT_USAGE;
    }

    let failed = false;
    const inputs: Input[] = [];
    for (const file of files) {
      let bytes: Uint8Array;
      try {
        bytes = readInput(file);
      } catch (e) {
        io.err(`doorsip parse: ${file}: ${e instanceof Error ? e.message : String(e)}\n`);
        failed = true;
        continue;
      }
      if (isPcap(bytes) || isPcapng(bytes)) {
        try {
          const cap = readPcap(bytes);
          for (const d of cap.datagrams) {
            if (port >= 0 && d.srcPort !== port && d.dstPort !== port) continue;
            inputs.push({
              file,
              bytes: d.payload,
              packet: d.packet,
              timeMs: d.timeMs,
              src: `${d.srcIp.includes(":") ? `[${d.srcIp}]` : d.srcIp}:${d.srcPort}`,
              dst: `${d.dstIp.includes(":") ? `[${d.dstIp}]` : d.dstIp}:${d.dstPort}`,
              truncated: d.truncated,
            });
          }
          if (cap.truncatedFile) io.err(`doorsip parse: ${file}: the capture ends inside a packet\n`);
        } catch (e) {
          io.err(`doorsip parse: ${file}: ${e instanceof PcapError ? e.message : String(e)}\n`);
          failed = true;
        }
      } else {
        inputs.push({ file, bytes });
      }
    }

    if (inputs.length === 0 && !failed) io.err("doorsip parse: no messages found (no UDP datagrams in the capture?)\n");
    const several = inputs.length > 1;
    const parser = new SipParser();
    const results: ParsedJson[] = [];
    const lines: string[] = [];
    for (const input of inputs) {
      // A fresh message each time: fields of an earlier message cannot show through.
      const msg = new SipMessage();
      const label = input.packet === undefined ? input.file : `${input.file}#${input.packet}`;
      const prefix = several ? `${label}: ` : "";
      const where: Partial<ParsedJson> = {};
      if (input.packet !== undefined) {
        where.packet = input.packet;
        if (input.timeMs !== undefined) where.time = new Date(input.timeMs).toISOString();
        where.src = input.src;
        where.dst = input.dst;
        if (input.truncated) where.truncated = true;
      }
      if (input.packet !== undefined && isKeepAlive(input.bytes)) {
        // A CRLF keep-alive between messages is not a message: report it, do not fail it.
        lines.push(`${prefix}keep-alive (${input.bytes.length} bytes of CRLF)`);
        parser.parse(input.bytes, input.bytes.length, msg);
        results.push({ file: input.file, ...where, ...messageJson(msg), ok: true, keepAlive: true, error: undefined });
        continue;
      }
      const ok = parser.parse(input.bytes, input.bytes.length, msg);
      if (!ok) failed = true;
      lines.push(`${prefix}${messageLine(msg)}${input.truncated ? " (datagram truncated by the capture)" : ""}`);
      results.push({ file: input.file, ...where, ...messageJson(msg) });
    }
    if (values.json) io.out(`${JSON.stringify(results, null, 2)}\n`);
    else if (lines.length > 0) io.out(`${lines.join("\n")}\n`);
    return failed ? EXIT_FAILED : EXIT_OK;
  },
};
