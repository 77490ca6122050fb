/*
 * The parser's one-pass paths change the speed, never the result (issues #3
 * and #9). The indexing pass recognises the usual header names byte by byte
 * (in SipParser.headers) and validates the usual shapes of Via,
 * From, To, Contact, Route, Call-ID, CSeq and the numeric headers as it goes
 * (Via.scan, NameAddr.scan, Uri.readTo / readSipAddrSpec); anything else goes
 * to the full readers. Checked here against those full readers, on the
 * torture corpus, the fixtures, the peers' messages and mutations of them:
 *
 * - every header name gets the id the name table gives it, whichever path
 *   found it, in any case, followed by more name or not, near the end of the
 *   datagram or not;
 * - the top Via, From and To the parser leaves in the message hold exactly
 *   what the full reader reads from that element (the fields and the error);
 * - a message the parser accepts has only headers the full readers accept,
 *   and a message whose headers they all accept is never rejected for one of
 *   them.
 */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ascii } from "../src/sip/message/bytes";
import { C } from "../src/sip/message/chars";
import { ParseError } from "../src/sip/message/errors";
import { H, HEADER_NAMES, headerIdOf } from "../src/sip/message/header";
import { elementEnd, parseUint, scanToken, skipClass, skipLws } from "../src/sip/message/lex";
import { SipMessage } from "../src/sip/message/message";
import { NameAddr } from "../src/sip/message/name-addr";
import { SipParser } from "../src/sip/message/parser";
import { Method, METHOD_NAMES, methodOf } from "../src/sip/message/method";
import { HostKind, Uri } from "../src/sip/message/uri";
import { Via } from "../src/sip/message/via";
import { fuzzSeeds } from "./fuzz/corpus";
import { mutate } from "./fuzz/mutate";
import { Prng, runSeed } from "./fuzz/prng";

const ROOT = resolve(__dirname, "..");
const SEEDS = fuzzSeeds(ROOT).map((s) => s.bytes);
const MAX_U32 = 4294967295;
/** Mutated inputs per property (seeded: FUZZ_SEED replays another campaign). */
const RUNS = 3000;
const CAMPAIGN = Number(process.env.FUZZ_SEED ?? 20261121);

const parser = new SipParser();
function parse(bytes: Uint8Array): SipMessage {
  const m = new SipMessage();
  parser.parse(bytes, bytes.length, m);
  return m;
}

/*
 * Edge cases of the shapes the one-pass readers take, each put in a message
 * in place of one header's value: numbers at and past their limits, hosts
 * that almost are IPv4 addresses, transports and parameters in unusual case
 * or spacing, URIs that end where the fast paths must hand over.
 */
const EDGES: readonly [string, readonly string[]][] = [
  [
    "Via",
    [
      ...["0", "5060", "65535", "65536", "99999", "0065535", "", "1a"].map((p) => `SIP/2.0/UDP 192.0.2.1:${p};branch=z9hG4bK1`),
      ...["192.0.2.1", "256.0.2.1", "1.2.3", "1.2.3.4.5", "01.002.3.4", "1.2.3.4a", "h-1.example", "[::1]", "[::1", "a_b", "-"].map((h) => `SIP/2.0/UDP ${h};branch=z9hG4bK1`),
      ...["UDP", "udp", "TCP", "TLS", "Tls", "SCTP", "WS", "WSS", "XYZ", "UD"].map((t) => `SIP/2.0/${t} host.example;branch=z9hG4bK1`),
      ...[";rport", ";rport=", ";rport=5060", ";rport=70000", ";RPORT", ";rport ;x=1", ";rport;branch=z9hG4bK2", ";rportx", ";rport=1;rport"]
        .map((p) => `SIP/2.0/UDP h.example;branch=z9hG4bK1${p}`),
      ...[";received=192.0.2.1", ";received=", ";branch=", ";branch", ";maddr=x", ";maddr", ";ttl=255", ";ttl=256", ";x=\"q\"", "; x = 1 "].map(
        (p) => `SIP/2.0/UDP h.example:5060${p}`,
      ),
      "SIP/2.0/UDP h.example;branch=z9hG4bK1;rport, SIP/2.0/TCP h2:70000",
      "SIP/2.0/UDP h.example;rport,SIP/2.0/UDP h2;branch=z9hG4bK2",
      "SIP/2.0/UDP h.example;branch=z9hG4bK1\r\n ;rport",
      "SIP / 2.0 / UDP h.example;branch=z9hG4bK1",
      "SIP/2.0/UDP  h.example ; branch = z9hG4bK1",
      ...[";received=192.0.2.1;rport=5060", ";rport=5060;received=192.0.2.1;branch=z9hG4bK3", ";ttl=1;maddr=239.0.0.1", ";Branch=z9hG4bK4", ";foo=bar;branch=z9hG4bK5"]
        .map((p) => `SIP/2.0/UDP h.example${p}`),
      ...[";foo=;branch=z9hG4bK6", ";foo=\"q\";branch=z9hG4bK7", ";x=[::1];branch=z9hG4bK8", ";=1;branch=z9hG4bK9", ";x=1 ;branch=z9hG4bKa", ";x=1\r\n ;ttl=2"]
        .map((p) => `SIP/2.0/UDP h.example${p}`),
    ],
  ],
  [
    "To",
    [
      ...["sip:user@example.com", "sip:user@example.com:65535", "sip:user@example.com:65536", "sip:user@example.com:", "sip:@example.com", "sip:user@", "sip:", "sip:user@h?x=1"],
      ...["sip:user@h,x", "sip:u;p@h", "sip:user@192.0.2.300", "sip:u%41@h", "sip:u:pw@h", "sips:u@h", "SIP:u@h", "sip:u@h;tag=1", "sip:u@h;tag", "sip:u@h;tag="],
      ...["sip:u@h ;tag=1", "sip:u@[::1]:5060", "sip:u@h:5060;tag=1;x", "<sip:u@h:99999>", '"A" <sip:u@h>;tag=x', "<sip:u@h;lr>;tag=1", "A B <sip:u@h>", "<sip:u@h?x=y>"],
      ...["sip:u@h\r\n ;tag=1", "tel:+1234", "sip:u@h>", "<sip:u@h"],
      ...["<sip:u@h;x=%41b;y%20z=1>;tag=1", "<sip:u@h;x=%4>", "<sip:u@h;x=%zz>", "<sip:u@h;x=a%41>", "<sip:u@h;%41=1;lr>", "<sip:u@h;=1>", "<sip:u@h;x=>"],
      ...["<sip:u@h;x=%41;lr?a=b>", "<sip:u@h;x=a%>", "<sip:u@h>;foo=bar;tag=1", "<sip:u@h>;foo=;tag=1", "<sip:u@h>;Tag=T1", "<sip:u@h>;foo=bar ;tag=1", "<sip:u@h>;foo=\"q\";tag=1"],
    ],
  ],
  ["From", ["sip:u@h;tag=1", "sip:u@h:70000;tag=1", "sip:u@h;tag", "sip:u@h?;tag=1", "<sip:u@h>;tag=1;tag=2", "sip:u@h\t;tag=a"]],
  [
    "Contact",
    [
      ...["<sip:u@h>;expires=4294967295", "<sip:u@h>;expires=4294967296", "<sip:u@h>;expires=", "sip:u@h:65536, <sip:v@h>", "sip:u@h, sip:v@h:1", "*", "<sip:u@h>, *"],
      ...["sip:u@h;expires=60", "sip:u@h,", ",sip:u@h", "<sip:u@192.0.2.4:5060;transport=udp>;+sip.instance=\"<urn:x>\""],
      ...["<sip:u@h>;expires=60;q=0.5;foo=bar", "<sip:u@h>;Expires=60;Q=1", "<sip:u@h>;q=;expires=1", "<sip:u@h>;expires=60, <sip:v@h>;q=0.1", "<sip:u@h;transport=udp%41>;expires=1"],
    ],
  ],
  ["Route", ["<sip:p@h;lr>", "sip:p@h", "<sip:p@h;lr>, sip:q@h", "<sip:p@h:65536;lr>"]],
  ["Call-ID", ["a@b", "a@", "@b", "a b", "a@b@c", "a@b ", "x".repeat(300)]],
  ["CSeq", ["4294967295 INVITE", "4294967296 INVITE", "1INVITE", "1 INV ITE", "01  INVITE", " 1 INVITE", "1 invite", "1 INVITX", "1 INVITEX", "1 INVIT", "1 BYE"]],
  ["Max-Forwards", ["255", "256", "0070", "", "7 0"]],
  ["Content-Length", ["0", "4294967296", "00", "1 ", "-1"]],
  ["Expires", ["4294967295", "4294967296", "x"]],
];

function edgeMessage(name: string, value: string): Uint8Array {
  const h: Record<string, string> = {
    Via: "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKedge",
    To: "<sip:bob@example.com>",
    From: '"Alice" <sip:alice@example.com>;tag=a1',
    "Call-ID": "edge@example.com",
    CSeq: "1 INVITE",
    "Max-Forwards": "70",
    Contact: "<sip:alice@192.0.2.1>",
    "Content-Length": "0",
  };
  h[name] = value;
  let text = "INVITE sip:bob@example.com SIP/2.0\r\n";
  for (const [k, v] of Object.entries(h)) text += `${k}: ${v}\r\n`;
  return ascii(text + "\r\n");
}

/** The seeds, the edge cases, then RUNS mutations of the seeds (each replayable from its run seed). */
function* inputs(): Generator<[string, Uint8Array]> {
  for (let k = 0; k < SEEDS.length; k++) yield [`seed ${k}`, SEEDS[k]!];
  for (const [name, values] of EDGES) for (const v of values) yield [`${name}: ${JSON.stringify(v)}`, edgeMessage(name, v)];
  for (let i = 0; i < RUNS; i++) {
    const rng = new Prng(runSeed(CAMPAIGN, i));
    yield [`run ${i} of campaign ${CAMPAIGN}`, mutate(rng, rng.pick(SEEDS), SEEDS)];
  }
}

// A span, or null when absent (the start of an absent span means nothing).
const span = (start: number, len: number): [number, number] | null => (len < 0 ? null : [start, len]);

function uriFields(u: Uri): object {
  return {
    scheme: u.scheme,
    schemeLen: u.schemeLen,
    start: u.start,
    end: u.end,
    user: span(u.userStart, u.userLen),
    password: span(u.passwordStart, u.passwordLen),
    host: [u.hostStart, u.hostLen, u.hostKind],
    port: u.port,
    params: [u.paramsStart, u.paramsEnd],
    headers: span(u.headersStart, u.headersLen),
    error: u.error,
  };
}

function addrFields(a: NameAddr): object {
  return {
    display: span(a.displayStart, a.displayLen),
    displayQuoted: a.displayQuoted,
    uri: [a.uriStart, a.uriLen],
    angle: a.angle,
    params: [a.paramsStart, a.paramsEnd],
    tag: span(a.tagStart, a.tagLen),
    expires: span(a.expiresStart, a.expiresLen),
    q: span(a.qStart, a.qLen),
    star: a.star,
    error: a.error,
    // The URI reader's fields are meaningful once the URI was read whole.
    uriReader: a.error < 0 && !a.star ? uriFields(a.uri) : null,
  };
}

function viaFields(v: Via): object {
  return {
    protocol: [v.protocolStart, v.protocolLen],
    version: [v.versionStart, v.versionLen],
    transport: [v.transport, v.transportStart, v.transportLen],
    host: [v.hostStart, v.hostLen, v.hostKind],
    port: v.port,
    params: [v.paramsStart, v.paramsEnd],
    branch: span(v.branchStart, v.branchLen),
    received: span(v.receivedStart, v.receivedLen),
    rport: v.rport,
    maddr: span(v.maddrStart, v.maddrLen),
    ttl: v.ttl,
    error: v.error,
  };
}

/** The header indexes of `id`, in order. */
function headersOf(m: SipMessage, id: H): number[] {
  const out: number[] = [];
  for (let h = m.first[id]!; h >= 0; h = m.hNext[h]!) out.push(h);
  return out;
}

/** Each comma-separated element of a header value passes `ok` (as the parser's validate splits them). */
function everyElement(buf: Uint8Array, s: number, e: number, ok: (s: number, e: number) => boolean): boolean {
  let i = s;
  for (;;) {
    const ee = elementEnd(buf, i, e);
    if (ee < 0 || !ok(i, ee)) return false;
    if (ee >= e) return true;
    i = ee + 1;
  }
}

const fullVia = new Via();
const fullAddr = new NameAddr();

/** The full readers' verdict on the headers the parser validates in its indexing pass; the error each maps to. */
const CHECKS: readonly [H, ParseError, (buf: Uint8Array, s: number, e: number) => boolean][] = [
  [H.Via, ParseError.BadVia, (b, s, e) => everyElement(b, s, e, (i, j) => fullVia.read(b, i, j))],
  [H.From, ParseError.BadFrom, (b, s, e) => fullAddr.read(b, s, e)],
  [H.To, ParseError.BadTo, (b, s, e) => fullAddr.read(b, s, e)],
  [H.Contact, ParseError.BadContact, (b, s, e) => everyElement(b, s, e, (i, j) => addrOk(b, i, j, false))],
  [H.Route, ParseError.BadRoute, (b, s, e) => everyElement(b, s, e, (i, j) => addrOk(b, i, j, true))],
  [H.RecordRoute, ParseError.BadRoute, (b, s, e) => everyElement(b, s, e, (i, j) => addrOk(b, i, j, true))],
  [H.CallId, ParseError.BadCallId, callIdOk],
  [H.CSeq, ParseError.BadCSeq, cseqOk],
  [H.ContentLength, ParseError.BadContentLength, (b, s, e) => parseUint(b, s, e, MAX_U32) >= 0],
  [H.MaxForwards, ParseError.BadMaxForwards, (b, s, e) => parseUint(b, s, e, 255) >= 0],
  [H.Expires, ParseError.BadExpires, (b, s, e) => parseUint(b, s, e, MAX_U32) >= 0],
];

/** Contact, Route, Record-Route: name-addr or addr-spec (Route: in angle brackets), expires below 2**32 (§20.10). */
function addrOk(buf: Uint8Array, s: number, e: number, angleRequired: boolean): boolean {
  if (!fullAddr.read(buf, s, e) || (angleRequired && !fullAddr.angle)) return false;
  return fullAddr.expiresLen < 0 || parseUint(buf, fullAddr.expiresStart, fullAddr.expiresStart + fullAddr.expiresLen, MAX_U32) >= 0;
}

/** callid = word [ "@" word ] (§25.1). */
function callIdOk(buf: Uint8Array, s: number, e: number): boolean {
  let i = skipClass(buf, s, e, C.Word);
  if (i === s) return false;
  if (i < e && buf[i] === 0x40) {
    const w = i + 1;
    i = skipClass(buf, w, e, C.Word);
    if (i === w) return false;
  }
  return i === e;
}

/** CSeq = 1*DIGIT LWS Method, the number below 2**32 (§20.16). */
function cseqOk(buf: Uint8Array, s: number, e: number): boolean {
  const de = skipClass(buf, s, e, C.Digit);
  const ms = skipLws(buf, de, e);
  return parseUint(buf, s, de, MAX_U32) >= 0 && ms > de && scanToken(buf, ms, e) === e;
}

describe("header names: the byte-by-byte path and the trie give the name table's id", () => {
  const names: string[] = [];
  for (let id = 1; id < HEADER_NAMES.length; id++) names.push(HEADER_NAMES[id]!);
  names.push(..."imelcfsktvourbxyajd".split(""));
  const variants = (n: string): string[] => [n, n.toLowerCase(), n.toUpperCase(), n.replace(/[a-z]/gi, (c, k: number) => (k % 2 ? c.toUpperCase() : c.toLowerCase()))];

  it("every known name, in any case, alone or with more name after it, with much or little of the datagram left", () => {
    let checked = 0;
    // Near misses too: each name cut short, and with its last letter changed.
    const nearMisses = names.filter((n) => n.length > 1).flatMap((n) => [n.slice(0, -1), n.slice(0, -1) + (n.endsWith("x") ? "q" : "x")]);
    for (const name of [...names, ...nearMisses]) {
      for (const v of variants(name)) {
        for (const more of ["", "x", "-Foo", "s", "1"]) {
          const field = v + more;
          const expected = headerIdOf(ascii(field), 0, field.length);
          for (const tail of [": value\r\n\r\n", ": a-value-long-enough-for-every-name-to-be-compared\r\n\r\n", ":x"]) {
            const bytes = ascii(`OPTIONS sip:a@example.com SIP/2.0\r\n${field}${tail}`);
            const m = parse(bytes);
            expect(m.headerCount, `${field}${JSON.stringify(tail)}`).toBe(1);
            expect([field, m.hId[0]]).toEqual([field, expected]);
            expect(m.hNameLen[0]).toBe(field.length);
            checked++;
          }
        }
      }
    }
    // More than a handful of names must have gone through each path: the table is the arbiter.
    expect(checked).toBeGreaterThan(10000);
    expect(headerIdOf(ascii("Via"), 0, 3)).toBe(H.Via);
    expect(headerIdOf(ascii("Viax"), 0, 4)).toBe(H.Other);
  });

  it("bytes that only look like letters once OR-ed with 0x20 do not make a name", () => {
    // "\r" | 0x20 is "-", "@" | 0x20 is "`", "[" | 0x20 is "{": none may stand for the dash or a letter.
    const cases: [string, H][] = [
      ["Call\rID", H.CallId],
      ["Max\rForwards", H.MaxForwards],
      ["Content\rLength", H.ContentLength],
      ["Record\rRoute", H.RecordRoute],
      ["C@ll-ID", H.CallId],
      ["V[a", H.Via],
      ["@llow", H.Allow],
    ];
    for (const [field, id] of cases) {
      const m = parse(ascii(`OPTIONS sip:a@example.com SIP/2.0\r\n${field}: 1\r\n\r\n`));
      expect(m.ok, JSON.stringify(field)).toBe(false);
      expect(m.first[id], JSON.stringify(field)).toBe(-1);
    }
  });
});

describe("methods: the in-place comparisons give the name table's method", () => {
  it("every known method, and tokens that differ from one by a byte, a letter's case or their length", () => {
    const tokens = new Set<string>();
    for (const name of METHOD_NAMES.slice(1)) {
      tokens.add(name);
      tokens.add(name.toLowerCase());
      tokens.add(name.slice(0, -1));
      tokens.add(name + "S");
      tokens.add("X" + name.slice(1));
      for (let k = 1; k < name.length; k++) tokens.add(name.slice(0, k) + (name[k] === "Z" ? "Y" : "Z") + name.slice(k + 1));
    }
    let known = 0;
    for (const t of tokens) {
      // In a buffer with bytes around it that continue a known name, so only `len` may end it.
      const bytes = ascii(`x${t}INVITE`);
      const expected = METHOD_NAMES.indexOf(t) > 0 ? METHOD_NAMES.indexOf(t) : Method.Extension;
      if (expected !== Method.Extension) known++;
      expect([t, methodOf(bytes, 1, t.length)]).toEqual([t, expected]);
    }
    expect(known).toBe(METHOD_NAMES.length - 1);
  });
});

describe("the one-pass readers agree with the full readers", () => {
  it("the top Via, From and To hold what the full readers read from that element", () => {
    let compared = 0;
    for (const [label, bytes] of inputs()) {
      const m = parse(bytes);
      if (m.error === ParseError.TooManyHeaders) continue;
      const buf = m.buf;
      const v = m.first[H.Via]!;
      if (v >= 0) {
        const s = m.hValueStart[v]!;
        const e = m.hValueEnd[v]!;
        const ee = elementEnd(buf, s, e);
        if (ee >= 0) {
          const full = new Via();
          full.read(buf, s, ee);
          expect(viaFields(m.via), `Via, ${label}`).toEqual(viaFields(full));
          compared++;
        }
      }
      for (const [id, reader] of [
        [H.From, m.from],
        [H.To, m.to],
      ] as const) {
        const h = m.first[id]!;
        if (h < 0) continue;
        const full = new NameAddr();
        full.read(buf, m.hValueStart[h]!, m.hValueEnd[h]!);
        expect(addrFields(reader), `${id === H.From ? "From" : "To"}, ${label}`).toEqual(addrFields(full));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(5000);
  });

  it("a message is accepted only when the full readers accept its headers, and never rejected for one they accept", () => {
    let accepted = 0;
    let rejected = 0;
    for (const [label, bytes] of inputs()) {
      const m = parse(bytes);
      if (m.error === ParseError.TooManyHeaders || m.error === ParseError.TooLarge) continue;
      let firstBad: ParseError = ParseError.None;
      const bad = new Set<ParseError>();
      for (const [id, err, ok] of CHECKS) {
        for (const h of headersOf(m, id)) {
          if (!ok(m.buf, m.hValueStart[h]!, m.hValueEnd[h]!)) {
            bad.add(err);
            if (firstBad === ParseError.None) firstBad = err;
          }
        }
      }
      if (m.ok) {
        expect([label, [...bad]]).toEqual([label, []]);
        accepted++;
      } else {
        if (CHECKS.some(([, err]) => err === m.error)) expect(bad.has(m.error), `${label}: rejected with ${m.error}`).toBe(true);
        rejected++;
      }
    }
    // Both verdicts are exercised.
    expect(accepted).toBeGreaterThan(500);
    expect(rejected).toBeGreaterThan(500);
  });
});

/*
 * The one-pass readers' table scans have no bound of their own: they stop at
 * the LF ending the last whole line of the datagram (SipParser.message, `hl`).
 * A datagram sits in a receive buffer larger than itself, after which lie the
 * bytes of an earlier, longer datagram: nothing past `length` may count, and a
 * datagram cut anywhere (its last line without an LF) must get what the same
 * bytes get in a buffer of their own.
 */
describe("a datagram in a larger receive buffer: nothing past its length is read", () => {
  /** Everything the parse leaves in the message that a caller can see. */
  function seen(m: SipMessage): object {
    const n = m.headerCount;
    const index: number[][] = [];
    for (let h = 0; h < n; h++) index.push([m.hId[h]!, m.hNameStart[h]!, m.hNameLen[h]!, m.hValueStart[h]!, m.hValueEnd[h]!, m.hNext[h]!]);
    const present = (id: H): boolean => m.first[id]! >= 0;
    return {
      error: [m.error, m.errorOffset],
      kind: m.kind,
      startLine: [m.method, m.methodLen, m.uriLen, m.uriScheme, m.versionLen, m.status, m.reasonLen],
      index,
      body: [m.bodyStart, m.bodyLen],
      values: [m.contentLength, m.contentLengthConflict, m.cseq, m.cseqMethod, m.cseqMethodLen, m.maxForwards, m.expires, m.callIdStart, m.callIdLen],
      via: present(H.Via) ? viaFields(m.via) : null,
      from: present(H.From) ? addrFields(m.from) : null,
      to: present(H.To) ? addrFields(m.to) : null,
    };
  }

  it("gives every message, whole or cut at any line's end or inside a line, what it gets alone", () => {
    // Stale bytes that every scanned class holds (host, token, word, parameter value,
    // digits), then a line end that a reader running past `length` would take as its own.
    const STALE = ascii("a1.a1.a1.a1.a1.a1.a1.a1.a1.a1.a1.a1.a1.a1.a1.a1\r\n");
    const big = new Uint8Array(70000);
    const alone = new SipMessage();
    const inBig = new SipMessage();
    let compared = 0;
    let k = 0;
    for (const [label, bytes] of inputs()) {
      if (k++ > 600) break;
      // The whole message, then cuts: just before and after each LF, and inside lines.
      const cuts = new Set<number>([bytes.length]);
      for (let i = 0; i < bytes.length; i++) {
        if (bytes[i] === 10) {
          cuts.add(i);
          cuts.add(i + 1);
        }
      }
      for (let c = 7; c < bytes.length; c += 29) cuts.add(c);
      for (const cut of cuts) {
        if (cut <= 0 || cut > bytes.length) continue;
        const own = bytes.slice(0, cut);
        for (let i = 0; i < cut + 64; i++) big[i] = i < cut ? bytes[i]! : STALE[(i - cut) % STALE.length]!;
        parser.parse(own, cut, alone);
        parser.parse(big, cut, inBig);
        expect(seen(inBig), `${label}, cut at ${cut}`).toEqual(seen(alone));
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(10000);
  });
});

/*
 * The index keeps no per-header count, name length or end-of-chain mark: a
 * repeated header's link is the only hNext entry written (the others stay
 * -1 from the last message's clearing), `last` is written from an id's second
 * header on, and counts and name lengths are found when asked for. A message
 * object reused for datagram after datagram must show what a fresh one does.
 */
describe("the header index: what is not stored per header is what a fresh message holds", () => {
  const ids = Array.from({ length: HEADER_NAMES.length }, (_, id) => id as H);

  function index(m: SipMessage): object {
    const n = m.headerCount;
    const rows: number[][] = [];
    for (let h = 0; h < n; h++) rows.push([m.hId[h]!, m.hNameStart[h]!, m.hNameLen[h]!, m.hValueStart[h]!, m.hValueEnd[h]!, m.hNext[h]!]);
    const count = m.count;
    return { rows, first: ids.map((id) => m.first[id]!), count: ids.map((id) => count[id]!), several: ids.map((id) => m.several(id)) };
  }

  it("a reused message, after messages with repeated headers, matches a fresh one; counts, chains and name lengths are right", () => {
    const reused = new SipMessage();
    let repeated = 0;
    let compared = 0;
    for (const [label, bytes] of inputs()) {
      parser.parse(bytes, bytes.length, reused);
      const fresh = parse(bytes);
      expect(index(reused), label).toEqual(index(fresh));
      if (fresh.error === ParseError.TooManyHeaders) continue;
      // The truth from hId alone: each id's headers in order, hence first, last, count, several.
      const n = fresh.headerCount;
      const own = new Map<H, number[]>();
      for (let h = 0; h < n; h++) {
        const id = fresh.hId[h] as H;
        if (!own.has(id)) own.set(id, []);
        own.get(id)!.push(h);
      }
      const want = { first: [] as number[], last: [] as number[], count: [] as number[], several: [] as boolean[], chains: [] as number[][] };
      const got = { first: [] as number[], last: [] as number[], count: [] as number[], several: [] as boolean[], chains: [] as number[][] };
      const count = fresh.count;
      for (const id of ids) {
        const hs = own.get(id) ?? [];
        want.first.push(hs.length > 0 ? hs[0]! : -1);
        want.last.push(hs.length > 1 ? hs[hs.length - 1]! : -1);
        want.count.push(Math.min(hs.length, 255));
        want.several.push(hs.length > 1);
        want.chains.push(hs);
        got.first.push(fresh.first[id]!);
        got.last.push(fresh.last[id]!);
        got.count.push(count[id]!);
        got.several.push(fresh.several(id));
        got.chains.push(headersOf(fresh, id));
        if (hs.length > 1) repeated++;
      }
      expect(got, label).toEqual(want);
      // A name is token bytes up to the HCOLON's blank or colon.
      for (let h = 0; h < n; h++) {
        const s = fresh.hNameStart[h]!;
        const e = s + fresh.hNameLen[h]!;
        const b = fresh.buf[e];
        if (e <= s || skipClass(fresh.buf, s, e, C.Token) !== e || (b !== 0x3a && b !== 0x20 && b !== 0x09)) {
          expect.fail(`${label}: header ${h}'s name [${s}, ${e})`);
        }
      }
      compared++;
    }
    expect(compared).toBeGreaterThan(3000);
    expect(repeated).toBeGreaterThan(100);
  });
});

/*
 * A host's kind (name, IPv4 address, IPv6 reference) is found from its span
 * when asked for, not while parsing: it must be what the host is.
 */
describe("host kinds, found on demand", () => {
  const HOSTS: readonly [string, HostKind][] = [
    ["192.0.2.1", HostKind.IPv4],
    ["255.255.255.255", HostKind.IPv4],
    ["256.0.2.1", HostKind.Name],
    ["1.2.3", HostKind.Name],
    ["1.2.3.4.5", HostKind.Name],
    ["1.2.3.4a", HostKind.Name],
    ["1234.1.1.1", HostKind.Name],
    ["1.example.com", HostKind.Name],
    ["example.com", HostKind.Name],
    ["[2001:db8::1]", HostKind.IPv6],
    ["[::ffff:192.0.2.1]", HostKind.IPv6],
  ];

  it("in the top Via, the From and To URIs, and a Request-URI, whichever reader read them", () => {
    for (const [host, kind] of HOSTS) {
      for (const [to, from] of [
        [`<sip:bob@${host}>`, `"A" <sip:a@${host}>;tag=1`],
        [`sip:bob@${host}`, `sip:a@${host};tag=1`],
        [`<sip:bob@${host}:5060;lr>`, `A <sip:${host}>;tag=1`],
      ]) {
        const text =
          `OPTIONS sip:${host} SIP/2.0\r\nVia: SIP/2.0/UDP ${host}:5060;branch=z9hG4bK1\r\nTo: ${to}\r\nFrom: ${from}\r\n` +
          `Call-ID: k@h\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n\r\n`;
        const m = parse(ascii(text));
        expect(m.error, text).toBe(ParseError.None);
        expect(m.via.hostKind, text).toBe(kind);
        expect(m.to.uri.hostKind, text).toBe(kind);
        expect(m.from.uri.hostKind, text).toBe(kind);
        const u = new Uri();
        expect(u.read(m.buf, m.uriStart, m.uriStart + m.uriLen), text).toBe(true);
        expect(u.hostKind, text).toBe(kind);
      }
    }
    // No host at all: a tel URI.
    const tel = new Uri();
    expect(tel.read(ascii("tel:+12345"), 0, 10)).toBe(true);
    expect(tel.hostKind).toBe(HostKind.Name);
  });
});

/*
 * The indexing pass takes a request's CSeq method as the request's own when
 * the bytes are the same, and then `validate` does not compare them again
 * (§8.1.1.5): every other method must still be caught.
 */
describe("the CSeq method against the request's", () => {
  it("a mismatch is an error exactly when the bytes differ", () => {
    const methods = ["INVITE", "REGISTER", "BYE", "FOO", "INVITX", "INVITEX", "INVIT", "invite", "FOX", "FOOO"];
    for (const rm of ["INVITE", "REGISTER", "FOO"]) {
      for (const cm of methods) {
        for (const sep of [" ", "  ", "\t"]) {
          const text =
            `${rm} sip:b@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:b@example.com>\r\n` +
            `From: <sip:a@example.com>;tag=1\r\nCall-ID: c@h\r\nCSeq: 7${sep}${cm}\r\nCSeq: 8 ${rm}\r\nMax-Forwards: 70\r\n\r\n`;
          const m = parse(ascii(text));
          expect(m.error, text).toBe(cm === rm ? ParseError.None : ParseError.CSeqMethodMismatch);
          expect(m.cseq, text).toBe(7);
        }
      }
    }
  });
});
