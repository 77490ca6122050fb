/*
 * DNS messages on the wire (RFC 1035 §4.1): the query the door sends and
 * the reader of the answer. Only what RFC 3263 server location needs: one
 * question of type SRV (RFC 2782) or A, class IN, recursion desired; and
 * from the answer its SRV records and A records (the additional section
 * too: a server usually sends the SRV targets' addresses there, RFC 2782
 * "Usage rules", sparing a query each).
 *
 * This runs at boot and when the server fails, not per message, so the
 * reader makes strings for names and an object per record. It never
 * throws: every offset is checked against the received length, name
 * compression pointers (§4.1.4) are followed at most MAX_POINTERS times
 * (a pointer loop ends there), and every failure is a DnsFailure.
 */

/** QTYPE values (RFC 1035 §3.2.2, RFC 2782). */
export const enum DnsType {
  A = 1,
  Cname = 5,
  Srv = 33,
}

/** QCLASS IN (§3.2.4). */
const CLASS_IN = 1;

/** A DNS message over UDP is at most 512 bytes unless EDNS0 says more (RFC 1035 §4.2.1); the door asks without EDNS0. */
export const DNS_UDP_SIZE = 512;

/** A name is at most 255 bytes on the wire, a label 63 (§2.3.4). */
const MAX_NAME = 255;
const MAX_LABEL = 63;
/** Compression pointers followed in one name: more is a loop or an attack (a real name needs a handful). */
const MAX_POINTERS = 16;

/** Why an answer gave nothing usable. */
export const enum DnsFailure {
  None = 0,
  /** Shorter than a header, or a record or name runs past the end. */
  Malformed = 1,
  /** Not a response (QR 0) or not to a standard query (opcode). */
  NotResponse = 2,
  /** The ID is not the query's (a late answer to an earlier query, or a forgery: RFC 5452). */
  WrongId = 3,
  /** The question section is not the query's (name, type or class). */
  WrongQuestion = 4,
  /** RCODE 3: the name does not exist. */
  NameError = 5,
  /** RCODE 1, 2, 4, 5 or another: the server could not or would not answer. */
  ServerFailure = 6,
  /** TC set and nothing complete in it (the door has no TCP for DNS). */
  Truncated = 7,
  /** No answer came (after every try): set by the client, never by the reader. */
  Timeout = 8,
  /** The name cannot be asked (empty label, label over 63 bytes, name over 255, not ASCII): set by the writer. */
  BadName = 9,
  /** The host could not send the query. */
  SendFailed = 10,
}

export function dnsFailureText(f: DnsFailure): string {
  switch (f) {
    case DnsFailure.None: return "ok";
    case DnsFailure.Malformed: return "malformed answer";
    case DnsFailure.NotResponse: return "not a response";
    case DnsFailure.WrongId: return "wrong ID";
    case DnsFailure.WrongQuestion: return "answer to another question";
    case DnsFailure.NameError: return "no such name (NXDOMAIN)";
    case DnsFailure.ServerFailure: return "server failure";
    case DnsFailure.Truncated: return "truncated answer";
    case DnsFailure.Timeout: return "no answer (timeout)";
    case DnsFailure.BadName: return "not a valid name";
    case DnsFailure.SendFailed: return "could not send";
    default: return "failure";
  }
}

/** An SRV record's data (RFC 2782): the target is a name, "" for "." (the service is not offered there). */
export interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
}

/** An A record: its owner name (lower case, no trailing dot) and IPv4 address. */
export interface ARecord {
  name: string;
  address: string;
}

export interface DnsAnswer {
  failure: DnsFailure;
  /** The RCODE as received (0 when none was read). */
  rcode: number;
  /** SRV records of the answer section owned by the question's name. */
  srv: SrvRecord[];
  /** An A query: the name's A records of the answer section (after any CNAME chain); an SRV query: the additional section's A records. */
  a: ARecord[];
  /** TC was set: records may be missing. */
  truncated: boolean;
}

/** A name as the door compares names: lower case, no trailing dot. */
export function canonicalName(name: string): string {
  const n = name.toLowerCase();
  return n.length > 0 && n.charCodeAt(n.length - 1) === 0x2e ? n.substring(0, n.length - 1) : n;
}

/**
 * Write a standard query (§4.1.1: ID, RD set, QDCOUNT 1; §4.1.2: QNAME,
 * QTYPE, QCLASS IN) into `buf`; returns its length, or 0 when `name`
 * cannot be asked (see DnsFailure.BadName) or does not fit.
 */
export function writeQuery(buf: Uint8Array, id: number, name: string, type: DnsType): number {
  const n = canonicalName(name);
  // Each label costs its length byte; the root label one more: n.length + 2 bytes.
  if (n.length === 0 || n.length + 2 > MAX_NAME || 12 + n.length + 2 + 4 > buf.length) return 0;
  buf[0] = (id >>> 8) & 0xff;
  buf[1] = id & 0xff;
  buf[2] = 0x01; // QR 0, opcode 0 (QUERY), AA 0, TC 0, RD 1
  buf[3] = 0x00; // RA 0, Z 0, RCODE 0
  buf[4] = 0;
  buf[5] = 1; // QDCOUNT
  for (let i = 6; i < 12; i++) buf[i] = 0; // ANCOUNT, NSCOUNT, ARCOUNT
  let lengthAt = 12;
  let at = 13;
  for (let i = 0; i < n.length; i++) {
    const c = n.charCodeAt(i);
    if (c > 0x7e || c <= 0x20) return 0;
    if (c === 0x2e) {
      const label = at - lengthAt - 1;
      if (label === 0 || label > MAX_LABEL) return 0;
      buf[lengthAt] = label;
      lengthAt = at;
    } else {
      buf[at] = c;
    }
    at++;
  }
  const last = at - lengthAt - 1;
  if (last === 0 || last > MAX_LABEL) return 0;
  buf[lengthAt] = last;
  buf[at++] = 0; // the root
  buf[at++] = (type >>> 8) & 0xff;
  buf[at++] = type & 0xff;
  buf[at++] = 0;
  buf[at++] = CLASS_IN;
  return at;
}

/** The reader's position after a name, and the name (lower case, dotted, "" for the root); end -1 when malformed. */
interface NameRead {
  end: number;
  name: string;
}

/** Read the name at `at` (§3.1, with §4.1.4 compression pointers). */
function readName(data: Uint8Array, length: number, at: number, out: NameRead): void {
  let name = "";
  let wire = 0;
  let pointers = 0;
  let end = -1;
  let i = at;
  out.end = -1;
  out.name = "";
  for (;;) {
    if (i >= length) return;
    const len = data[i]!;
    if (len === 0) {
      if (end < 0) end = i + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (i + 1 >= length || ++pointers > MAX_POINTERS) return;
      if (end < 0) end = i + 2;
      i = ((len & 0x3f) << 8) | data[i + 1]!;
      continue;
    }
    if (kind !== 0) return; // 0x40 and 0x80 are reserved (§4.1.4)
    if (i + 1 + len > length) return;
    wire += len + 1;
    if (wire + 1 > MAX_NAME) return;
    if (name.length > 0) name += ".";
    for (let k = i + 1; k <= i + len; k++) {
      let c = data[k]!;
      if (c >= 0x41 && c <= 0x5a) c += 0x20;
      name += String.fromCharCode(c);
    }
    i += 1 + len;
  }
  out.end = end;
  out.name = name;
}

function u16(data: Uint8Array, at: number): number {
  return (data[at]! << 8) | data[at + 1]!;
}

/** A failed answer holds no records: what was read before the fault is not trusted. */
function fail(answer: DnsAnswer, failure: DnsFailure): DnsAnswer {
  answer.failure = failure;
  answer.srv.length = 0;
  answer.a.length = 0;
  return answer;
}

/**
 * Read the answer to the query `id` for `name` / `type`, from
 * data[0..length). The result's failure is None when the server answered
 * the question (its records may still be none: an empty answer, NODATA).
 */
export function readAnswer(data: Uint8Array, length: number, id: number, name: string, type: DnsType): DnsAnswer {
  const answer: DnsAnswer = { failure: DnsFailure.None, rcode: 0, srv: [], a: [], truncated: false };
  const len = length < data.length ? length : data.length;
  if (len < 12) return fail(answer, DnsFailure.Malformed);
  if (u16(data, 0) !== (id & 0xffff)) return fail(answer, DnsFailure.WrongId);
  const flags = u16(data, 2);
  if ((flags & 0x8000) === 0 || (flags & 0x7800) !== 0) return fail(answer, DnsFailure.NotResponse);
  answer.truncated = (flags & 0x0200) !== 0;
  const rcode = flags & 0x000f;
  answer.rcode = rcode;
  const qdcount = u16(data, 4);
  const ancount = u16(data, 6);
  const nscount = u16(data, 8);
  const arcount = u16(data, 10);
  // The question echoed (§4.1.2; RFC 5452 §9.1: an answer is taken only for the question asked).
  if (qdcount !== 1) return fail(answer, rcode !== 0 && qdcount === 0 ? rcodeFailure(rcode) : DnsFailure.WrongQuestion);
  const nr: NameRead = { end: -1, name: "" };
  readName(data, len, 12, nr);
  if (nr.end < 0 || nr.end + 4 > len) return fail(answer, DnsFailure.Malformed);
  const qname = canonicalName(name);
  if (nr.name !== qname || u16(data, nr.end) !== type || u16(data, nr.end + 2) !== CLASS_IN) return fail(answer, DnsFailure.WrongQuestion);
  if (rcode !== 0) return fail(answer, rcodeFailure(rcode));
  let at = nr.end + 4;
  // The answer section's owner names the door takes: the question's, then any CNAME's target (§3.6.2).
  let owner = qname;
  const total = ancount + nscount + arcount;
  for (let r = 0; r < total; r++) {
    readName(data, len, at, nr);
    if (nr.end < 0 || nr.end + 10 > len) return cut(answer);
    const rrType = u16(data, nr.end);
    const rrClass = u16(data, nr.end + 2);
    const rdlength = u16(data, nr.end + 8);
    const rdata = nr.end + 10;
    if (rdata + rdlength > len) return cut(answer);
    const section = r < ancount ? 0 : r < ancount + nscount ? 1 : 2;
    const rrName = nr.name;
    at = rdata + rdlength;
    if (rrClass !== CLASS_IN || section === 1) continue;
    if (rrType === DnsType.Cname && section === 0 && rrName === owner) {
      readName(data, rdata + rdlength, rdata, nr);
      if (nr.end < 0) return fail(answer, DnsFailure.Malformed);
      owner = nr.name;
    } else if (rrType === DnsType.A && rdlength === 4 && (type === DnsType.A ? section === 0 && rrName === owner : section === 2)) {
      // An A query's addresses are its name's (after any CNAME) from the answer section only: an additional-section record
      // of another name (glue, or a forgery riding along, RFC 5452 §6) is no address of the name asked. With SRV, the
      // additional section's A records are the targets' (RFC 2782 "Usage rules"), matched to them by name.
      answer.a.push({ name: rrName, address: data[rdata]! + "." + data[rdata + 1]! + "." + data[rdata + 2]! + "." + data[rdata + 3]! });
    } else if (rrType === DnsType.Srv && section === 0 && type === DnsType.Srv && rrName === owner) {
      if (rdlength < 7) return fail(answer, DnsFailure.Malformed);
      // RFC 2782: the target is not compressed, but a lenient reader follows pointers anyway (some servers do compress it).
      readName(data, rdata + rdlength, rdata + 6, nr);
      if (nr.end < 0) return fail(answer, DnsFailure.Malformed);
      answer.srv.push({ priority: u16(data, rdata), weight: u16(data, rdata + 2), port: u16(data, rdata + 4), target: nr.name });
    }
  }
  // TC with nothing taken (often header and question only, RFC 2181 §9): the records did not fit, which is no empty answer.
  if (answer.truncated && answer.srv.length === 0 && answer.a.length === 0) return fail(answer, DnsFailure.Truncated);
  return answer;
}

/** The message ends inside a record: with TC that is expected (keep what was complete), otherwise malformed. */
function cut(answer: DnsAnswer): DnsAnswer {
  if (!answer.truncated) return fail(answer, DnsFailure.Malformed);
  return answer.srv.length === 0 && answer.a.length === 0 ? fail(answer, DnsFailure.Truncated) : answer;
}

function rcodeFailure(rcode: number): DnsFailure {
  return rcode === 3 ? DnsFailure.NameError : DnsFailure.ServerFailure;
}
