/*
 * The terminal ladder view (hosts/node/ladder.ts): golden text for
 * requests, responses (status, reason, CSeq method), DTMF INFO, garbage and
 * keep-alives, parties without a label, two-party traffic, the arrows
 * style, ASCII, colours, verbose output with secrets masked, and the tap
 * that prints the header as parties appear.
 */
import { describe, expect, it } from "vitest";
import { Ladder, ladderTap, LOOPBACK_COLUMNS, summarize, formatTime, type PacketEvent } from "../hosts/node/ladder";

const DOOR = "127.0.0.1:5062";
const PBX = "127.0.0.1:5060";
const PHONE = "127.0.0.1:5070";
const LABELS = { [PBX]: "pbx", [PHONE]: "phone" };

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

function req(method: string, o: { extra?: string; body?: string; type?: string; callId?: string } = {}): Uint8Array {
  const body = o.body ?? "";
  return enc(
    `${method} sip:100@127.0.0.1 SIP/2.0\r\n` +
    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\r\n" +
    "From: <sip:door@127.0.0.1>;tag=1\r\n" +
    "To: <sip:100@127.0.0.1>\r\n" +
    `Call-ID: ${o.callId ?? "a84b1c2d9e0f@door"}\r\n` +
    `CSeq: 1 ${method}\r\n` +
    "Max-Forwards: 70\r\n" +
    (o.extra ?? "") +
    (o.type !== undefined ? `Content-Type: ${o.type}\r\n` : "") +
    `Content-Length: ${body.length}\r\n\r\n${body}`,
  );
}

function res(status: number, reason: string, method: string): Uint8Array {
  return enc(
    `SIP/2.0 ${status} ${reason}\r\n` +
    "Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1\r\n" +
    "From: <sip:door@127.0.0.1>;tag=1\r\n" +
    "To: <sip:100@127.0.0.1>;tag=2\r\n" +
    "Call-ID: a84b1c2d9e0f@door\r\n" +
    `CSeq: 1 ${method}\r\n` +
    "Content-Length: 0\r\n\r\n",
  );
}

const TRACE: PacketEvent[] = [
  { time: 3.2, from: DOOR, to: PBX, bytes: req("REGISTER") },
  { time: 4.9, from: PBX, to: DOOR, bytes: res(401, "Unauthorized", "REGISTER") },
  { time: 1020, from: PBX, to: PHONE, bytes: req("INVITE") },
  { time: 1021.4, from: PHONE, to: PBX, bytes: res(200, "OK", "INVITE") },
  { time: 1500, from: PHONE, to: PBX, bytes: req("INFO", { body: "Signal=#\r\nDuration=160\r\n", type: "application/dtmf-relay" }) },
  { time: 1600, from: PBX, to: DOOR, bytes: res(407, "Proxy Authentication Required", "INVITE") },
  { time: 1700, from: DOOR, to: PHONE, bytes: req("BYE") },
  { time: 61234.5, from: DOOR, to: PBX, bytes: enc("\x00\x01garbage") },
  { time: 61235, from: DOOR, to: PBX, bytes: enc("\r\n\r\n") },
];

describe("ladder", () => {
  it("three columns: requests, responses with their CSeq method, DTMF, crossing arrows, garbage, keep-alive", () => {
    const ladder = new Ladder({ labels: LABELS, defaultLabel: "door", columns: LOOPBACK_COLUMNS });
    expect(ladder.formatAll(TRACE)).toBe([
      "    time door                           pbx                            phone",
      "   0.003 │─REGISTER────────────────────▶│                              │ a84b1c2d",
      "   0.005 │◀─401 Unauthorized (REGISTER)─│                              │ a84b1c2d",
      "   1.020 │                              │─INVITE──────────────────────▶│ a84b1c2d",
      "   1.021 │                              │◀─200 OK (INVITE)─────────────│ a84b1c2d",
      "   1.500 │                              │◀─INFO (DTMF)─────────────────│ a84b1c2d",
      "   1.600 │◀─407 Proxy Authent… (INVITE)─│                              │ a84b1c2d",
      "   1.700 │─BYE────────────────────────────────────────────────────────▶│ a84b1c2d",
      "  61.235 │─unparseable─────────────────▶│                              │ header section not terminated by an empty line at byte 9, 9 bytes",
      "  61.235 │─keep-alive──────────────────▶│                              │",
      "",
    ].join("\n"));
  });

  it("plain ASCII, narrower columns: reason phrases shortened before status or method", () => {
    const ladder = new Ladder({ labels: LABELS, defaultLabel: "door", columns: LOOPBACK_COLUMNS, ascii: true, width: 24 });
    expect(ladder.formatAll(TRACE.slice(0, 7))).toBe([
      "    time door                     pbx                      phone",
      "   0.003 |-REGISTER-------------->|                        | a84b1c2d",
      "   0.005 |<-401 Una... (REGISTER)-|                        | a84b1c2d",
      "   1.020 |                        |-INVITE---------------->| a84b1c2d",
      "   1.021 |                        |<-200 OK (INVITE)-------| a84b1c2d",
      "   1.500 |                        |<-INFO (DTMF)-----------| a84b1c2d",
      "   1.600 |<-407 Proxy... (INVITE)-|                        | a84b1c2d",
      "   1.700 |-BYE-------------------------------------------->| a84b1c2d",
      "",
    ].join("\n"));
  });

  it("two parties without labels: the endpoints name the columns, in the order they appear", () => {
    const a = "192.168.178.40:5060";
    const b = "192.168.178.1:5060";
    const ladder = new Ladder({ width: 34 });
    const events: PacketEvent[] = [
      { time: 0, from: a, to: b, bytes: req("OPTIONS") },
      { time: 12.5, from: b, to: a, bytes: res(200, "OK", "OPTIONS") },
    ];
    expect(ladder.formatAll(events)).toBe([
      "    time 192.168.178.40:5060                192.168.178.1:5060",
      "   0.000 │─OPTIONS─────────────────────────▶│ a84b1c2d",
      "   0.013 │◀─200 OK (OPTIONS)────────────────│ a84b1c2d",
      "",
    ].join("\n"));
    expect(ladder.parties).toEqual([a, b]);
    // A label function, and a name for everyone else.
    const named = new Ladder({ labels: (ep) => (ep === b ? "fritzbox" : undefined), defaultLabel: "door", width: 20 });
    expect(named.formatAll(events)).toBe([
      "    time door                 fritzbox",
      "   0.000 │─OPTIONS───────────▶│ a84b1c2d",
      "   0.013 │◀─200 OK (OPTIONS)──│ a84b1c2d",
      "",
    ].join("\n"));
  });

  it("arrows style: one 'from ─label─▶ to' line each, nothing shortened", () => {
    const ladder = new Ladder({ labels: new Map(Object.entries(LABELS)), defaultLabel: "door", style: "arrows" });
    expect(ladder.header()).toBe("");
    expect(TRACE.slice(0, 2).concat(TRACE[5]!, TRACE[7]!).map((ev) => ladder.line(ev))).toEqual([
      "   0.003 door ─REGISTER─▶ pbx a84b1c2d",
      "   0.005 pbx ─401 Unauthorized (REGISTER)─▶ door a84b1c2d",
      "   1.600 pbx ─407 Proxy Authentication Required (INVITE)─▶ door a84b1c2d",
      "  61.235 door ─unparseable─▶ pbx header section not terminated by an empty line at byte 9, 9 bytes",
    ]);
    expect(new Ladder({ style: "arrows", ascii: true, callIdLength: 0 }).line(TRACE[0]!)).toBe("   0.003 127.0.0.1:5062 -REGISTER-> 127.0.0.1:5060");
  });

  it("colours only when asked: the label by class, the Call-ID dim", () => {
    const plain = new Ladder({ labels: LABELS, defaultLabel: "door" });
    expect(plain.format(TRACE[1]!)).not.toContain("\x1b[");
    const color = new Ladder({ labels: LABELS, defaultLabel: "door", color: true });
    color.format(TRACE[0]!);
    expect(color.line(TRACE[0]!)).toBe("   0.003 │─\x1b[36mREGISTER\x1b[0m────────────────────▶│ \x1b[2ma84b1c2d\x1b[0m");
    expect(color.line(TRACE[1]!)).toContain("◀─\x1b[31m401 Unauthorized (REGISTER)\x1b[0m─│");
    expect(color.line({ ...TRACE[3]!, from: DOOR, to: PBX })).toContain("\x1b[32m200 OK (INVITE)\x1b[0m");
    expect(color.line({ ...TRACE[7]!, from: DOOR, to: PBX })).toContain("\x1b[35munparseable\x1b[0m");
  });

  it("verbose: the whole message under its line, control characters escaped, secrets masked", () => {
    const ladder = new Ladder({ labels: LABELS, defaultLabel: "door", verbose: true, redact: ["doorpass", ""] });
    const bytes = req("MESSAGE", { extra: "Subject: the password is doorpass\r\n", body: "doorpass\x1b[2J", type: "text/plain" });
    expect(ladder.format({ time: 7, from: DOOR, to: PBX, bytes })).toBe([
      "   0.007 │─MESSAGE─────────────────────▶│ a84b1c2d",
      "         MESSAGE sip:100@127.0.0.1 SIP/2.0",
      "         Via: SIP/2.0/UDP 127.0.0.1:5062;branch=z9hG4bK1",
      "         From: <sip:door@127.0.0.1>;tag=1",
      "         To: <sip:100@127.0.0.1>",
      "         Call-ID: a84b1c2d9e0f@door",
      "         CSeq: 1 MESSAGE",
      "         Max-Forwards: 70",
      "         Subject: the password is ********",
      "         Content-Type: text/plain",
      "         Content-Length: 12",
      "",
      "         ********\\x1b[2J",
      "",
      "",
    ].join("\n"));
    // Garbage is printed as it came, escaped.
    expect(ladder.format(TRACE[7]!)).toBe([
      "  61.235 │─unparseable─────────────────▶│ header section not terminated by an empty line at byte 9, 9 bytes",
      "         \\x00\\x01garbage",
      "",
      "",
    ].join("\n"));
  });

  it("DTMF digits are the door code: the label names no digit, verbose bodies mask it with as many '*'", () => {
    const ladder = new Ladder({ labels: LABELS, defaultLabel: "door", ascii: true, verbose: true });
    const relay = ladder.format({ time: 8, from: PHONE, to: DOOR, bytes: req("INFO", { body: "Signal=5\r\nDuration=160\r\n", type: "application/dtmf-relay" }) });
    expect(relay).toContain("|-INFO (DTMF)-");
    expect(relay).toContain("\n         Content-Type: application/dtmf-relay\n");
    expect(relay).toContain("\n         Signal=*\n         Duration=160\n");
    expect(relay).not.toContain("Signal=5");
    expect(relay).not.toMatch(/DTMF 5/);
    // "10" is '*' as an RFC 4733 event code: two characters, two '*'.
    const ten = ladder.format({ time: 9, from: PHONE, to: DOOR, bytes: req("INFO", { body: "Signal= 10\r\nDuration=160\r\n", type: "Application/DTMF-Relay" }) });
    expect(ten).toContain("\n         Signal= **\n");
    expect(ten).not.toMatch(/Signal= *10/);
    // application/dtmf: the body is the digit.
    const bare = ladder.format({ time: 10, from: PHONE, to: DOOR, bytes: req("INFO", { body: "7\r\n", type: "application/dtmf" }) });
    expect(bare).toContain("INFO (DTMF)");
    expect(bare.split("\n").filter((l) => l.trim() === "*")).toHaveLength(1);
    expect(bare).not.toMatch(/^\s*7\s*$/m);
    // Other bodies are printed as they came.
    const text = ladder.format({ time: 11, from: PHONE, to: DOOR, bytes: req("MESSAGE", { body: "Signal=5", type: "text/plain" }) });
    expect(text).toContain("Signal=5");
    // A malformed INFO the parser rejects still has its Signal masked.
    const broken = ladder.format({ time: 12, from: PHONE, to: DOOR, bytes: enc("INFO sip:door SIP/2.0\r\nContent-Type: application/dtmf-relay\r\nSignal=#\r\n") });
    expect(broken).toContain("unparseable");
    expect(broken).toContain("Signal=*");
    expect(broken).not.toContain("Signal=#");
  });

  it("a masked secret keeps the columns aligned, in the label too", () => {
    const ladder = new Ladder({ labels: LABELS, defaultLabel: "door", columns: LOOPBACK_COLUMNS, redact: ["Unauthorized"] });
    expect(ladder.line(TRACE[1]!)).toBe("   0.005 │◀─401 ************ (REGISTER)─│                              │ a84b1c2d");
  });

  it("ladderTap: the header first, and again when a new party adds a column", () => {
    let out = "";
    const tap = ladderTap((t) => (out += t), { labels: LABELS, defaultLabel: "door", width: 20 });
    tap(TRACE[0]!);
    tap(TRACE[1]!);
    tap(TRACE[2]!);
    expect(out).toBe([
      "    time door                 pbx",
      "   0.003 │─REGISTER──────────▶│ a84b1c2d",
      "   0.005 │◀─401 (REGISTER)────│ a84b1c2d",
      "    time door                 pbx                  phone",
      "   1.020 │                    │─INVITE────────────▶│ a84b1c2d",
      "",
    ].join("\n"));
  });

  it("summarize: what each datagram is", () => {
    expect(summarize(req("INVITE"))).toEqual({ kind: "request", label: "INVITE", callId: "a84b1c2d9e0f@door", method: "INVITE", status: 0, reason: "", detail: "" });
    expect(summarize(res(180, "Ringing", "INVITE"))).toMatchObject({ kind: "response", label: "180 Ringing (INVITE)", status: 180, reason: "Ringing", method: "INVITE" });
    expect(summarize(req("INFO", { body: "Signal=5\r\nDuration=160\r\n", type: "application/dtmf-relay" })).label).toBe("INFO (DTMF)");
    expect(summarize(req("INFO", { body: "5", type: "application/dtmf" })).label).toBe("INFO (DTMF)");
    expect(summarize(req("INFO", { body: "hello", type: "text/plain" })).label).toBe("INFO");
    expect(summarize(enc("\r\n")).kind).toBe("keep-alive");
    expect(summarize(enc(""))).toMatchObject({ kind: "unparseable", detail: "empty message at byte 0, 0 bytes" });
    expect(summarize(enc("SIP/2.0 99 Nope\r\n\r\n")).kind).toBe("unparseable");
    expect(formatTime(61234.5)).toBe("61.235");
    expect(formatTime(1021.4)).toBe("1.021");
    expect(formatTime(-1)).toBe("0.000");
  });
});
