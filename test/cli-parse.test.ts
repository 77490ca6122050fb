/*
 * `doorsip parse`, run as a user runs it (node bin/doorsip.mjs parse ...):
 * torture messages, a capture made here with the pcap writer, and the --json
 * fields checked against what the RFC 4475 / RFC 5118 files hold.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ParsedJson } from "../hosts/node/commands/parse";
import { LINKTYPE_ETHERNET, writePcapHeader, writeUdpPacket } from "../hosts/node/pcap";
import { PARSE_ERROR_REASONS } from "../src/sip/message/errors";
import { runDoorsip as doorsip } from "./support/cli";
import { TORTURE, verdicts } from "./support/torture";

const RFC4475 = join(TORTURE, "rfc4475");
const RFC5118 = join(TORTURE, "rfc5118");


const rfc4475 = verdicts("rfc4475");
const valid = [...rfc4475].filter(([, [, v]]) => v === "valid").map(([f]) => f);
const invalid = [...rfc4475].filter(([, [, v]]) => v === "invalid").map(([f]) => f);
const ERROR_LINE = /^error (.+) at byte (\d+)$/;

const tmp = mkdtempSync(join(tmpdir(), "doorsip-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("doorsip parse (text)", () => {
  it("finds the torture corpus", () => {
    expect(valid.length).toBe(30);
    expect(invalid.length).toBe(19);
  });

  it("prints one ok line, without a prefix, for a single valid message", async () => {
    const r = await doorsip(["parse", join(RFC4475, "wsinv.dat")]);
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("ok request INVITE sip:vivekg@chair-dnrc.example.com;unknownparam\n");
    expect(r.code).toBe(0);
  });

  it("prints ok lines prefixed with the file name for every valid RFC 4475 message, exit 0", async () => {
    const r = await doorsip(["parse", ...valid.map((f) => join(RFC4475, f))]);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(valid.length);
    valid.forEach((f, i) => {
      expect(lines[i]!.startsWith(`${join(RFC4475, f)}: ok `)).toBe(true);
    });
    expect(lines).toContain(`${join(RFC4475, "noreason.dat")}: ok response 100`);
    expect(lines).toContain(`${join(RFC4475, "unreason.dat")}: ok response 200 = 2**3 * 5**2 но сто девяносто девять - простое`);
    expect(lines).toContain(`${join(RFC4475, "esc02.dat")}: ok request RE%47IST%45R sip:registrar.example.com`);
    expect(lines).toContain(`${join(RFC4475, "unkscm.dat")}: ok request OPTIONS nobodyKnowsThisScheme:totallyopaquecontent`);
    expect(r.code).toBe(0);
  });

  it("prints an error line with a reason and a byte offset for every invalid RFC 4475 message, exit 1", async () => {
    const r = await doorsip(["parse", ...invalid.map((f) => join(RFC4475, f))]);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toHaveLength(invalid.length);
    invalid.forEach((f, i) => {
      const prefix = `${join(RFC4475, f)}: `;
      expect(lines[i]!.startsWith(prefix)).toBe(true);
      const m = ERROR_LINE.exec(lines[i]!.slice(prefix.length));
      expect(m, lines[i]).not.toBeNull();
      expect(PARSE_ERROR_REASONS).toContain(m![1]);
      const size = readFileSync(join(RFC4475, f)).length;
      expect(Number(m![2])).toBeLessThanOrEqual(size);
    });
    const line = (f: string) => lines[invalid.indexOf(f)]!;
    expect(line("badvers.dat")).toMatch(/: error unsupported SIP version at byte \d+$/);
    expect(line("bigcode.dat")).toMatch(/: error malformed status code at byte \d+$/);
    expect(r.code).toBe(1);
  });

  it("exits 1 when one message of several fails", async () => {
    const r = await doorsip(["parse", join(RFC4475, "wsinv.dat"), join(RFC5118, "ipv6-bad.dat"), join(RFC5118, "wire", "ipv6-good.dat")]);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/wsinv\.dat: ok request INVITE /);
    expect(lines[1]).toMatch(/ipv6-bad\.dat: error malformed Request-URI at byte \d+$/);
    expect(lines[2]).toMatch(/ipv6-good\.dat: ok request REGISTER sip:\[2001:db8::10\]$/);
    expect(r.code).toBe(1);
  });

  it("usage errors exit 2; --help exits 0", async () => {
    const none = await doorsip(["parse"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/usage: doorsip parse/);
    const missing = await doorsip(["parse", join(tmp, "no-such-file")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/no-such-file/);
    const run = await doorsip(["run", "--frobnicate"]);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/usage: doorsip run/);
    const badOption = await doorsip(["parse", "--frobnicate", join(RFC4475, "wsinv.dat")]);
    expect(badOption.code).toBe(2);
    expect(badOption.stdout).toBe("");
    expect(badOption.stderr).toMatch(/^doorsip parse: Unknown option '--frobnicate'[\s\S]*\n\nusage: doorsip parse /);
    // A subcommand's --help (or -h) prints its usage on stdout and nothing else.
    for (const [cmd, flag] of [["parse", "--help"], ["parse", "-h"], ["run", "--help"], ["run", "-h"]] as const) {
      const r = await doorsip([cmd, flag]);
      expect(r.code, `${cmd} ${flag}`).toBe(0);
      expect(r.stderr, `${cmd} ${flag}`).toBe("");
      expect(r.stdout, `${cmd} ${flag}`).toMatch(new RegExp(`^usage: doorsip ${cmd} `));
    }
    const unknown = await doorsip(["frobnicate"]);
    expect(unknown.code).toBe(2);
    const help = await doorsip(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/parse/);
    expect(help.stdout).toMatch(/bench/);
    expect(help.stdout).toMatch(/run/);
  });
});

describe("doorsip parse (captures)", () => {
  const wsinv = new Uint8Array(readFileSync(join(RFC4475, "wsinv.dat")));
  const noreason = new Uint8Array(readFileSync(join(RFC4475, "noreason.dat")));
  const badvers = new Uint8Array(readFileSync(join(RFC4475, "badvers.dat")));
  const t = Date.UTC(2024, 4, 1, 12, 0, 0);

  function capture(name: string, linkType: typeof LINKTYPE_ETHERNET | undefined, packets: Uint8Array[]): string {
    const path = join(tmp, name);
    const parts = [writePcapHeader(linkType), ...packets];
    const size = parts.reduce((n, p) => n + p.length, 0);
    const file = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      file.set(p, at);
      at += p.length;
    }
    writeFileSync(path, file);
    return path;
  }

  it("parses each UDP datagram of a capture written with the pcap writer, labelled with its packet number", async () => {
    const path = capture("call.pcap", LINKTYPE_ETHERNET, [
      writeUdpPacket("192.0.2.1", 5060, "192.0.2.10", 5060, wsinv, t, LINKTYPE_ETHERNET),
      writeUdpPacket("192.0.2.10", 5060, "192.0.2.1", 5060, noreason, t + 20, LINKTYPE_ETHERNET),
      writeUdpPacket("192.0.2.1", 5060, "192.0.2.10", 5060, new TextEncoder().encode("\r\n\r\n"), t + 30, LINKTYPE_ETHERNET),
      writeUdpPacket("192.0.2.1", 5060, "192.0.2.10", 5060, badvers, t + 40, LINKTYPE_ETHERNET),
      writeUdpPacket("192.0.2.1", 7078, "192.0.2.10", 7090, new Uint8Array(172), t + 50, LINKTYPE_ETHERNET),
    ]);
    const r = await doorsip(["parse", "--port", "5060", path]);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines).toEqual([
      `${path}#1: ok request INVITE sip:vivekg@chair-dnrc.example.com;unknownparam`,
      `${path}#2: ok response 100`,
      `${path}#3: keep-alive (4 bytes of CRLF)`,
      expect.stringMatching(new RegExp(`^${path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}#4: error unsupported SIP version at byte \\d+$`)),
    ]);
    expect(r.code).toBe(1);

    // Without the port filter the RTP-sized datagram is parsed too (and fails).
    const all = await doorsip(["parse", path]);
    expect(all.stdout.trimEnd().split("\n")).toHaveLength(5);
    expect(all.stdout).toMatch(/#5: error /);
  });

  it("exits 0 for a capture of valid messages, IPv6 included, and reports addresses and times in --json", async () => {
    const ipv6 = new Uint8Array(readFileSync(join(RFC5118, "wire", "ipv6-good.dat")));
    const path = capture("v6.pcap", undefined, [
      writeUdpPacket("2001:db8::9:1", 5060, "2001:db8::10", 5060, ipv6, t),
      writeUdpPacket("192.0.2.10", 5062, "192.0.2.1", 5060, noreason, t + 1.5),
    ]);
    const text = await doorsip(["parse", path]);
    expect(text.code).toBe(0);
    expect(text.stdout).toBe(`${path}#1: ok request REGISTER sip:[2001:db8::10]\n${path}#2: ok response 100\n`);
    const r = await doorsip(["parse", "--json", path]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { packet: number; src: string; dst: string; time: string; kind: string }[];
    expect(out).toHaveLength(2);
    expect(out[0]).toMatchObject({ packet: 1, src: "[2001:db8::9:1]:5060", dst: "[2001:db8::10]:5060", time: new Date(t).toISOString(), kind: "request" });
    expect(out[1]).toMatchObject({ packet: 2, src: "192.0.2.10:5062", dst: "192.0.2.1:5060", kind: "response" });
  });

  it("says why it cannot read a pcapng file", async () => {
    const path = join(tmp, "x.pcapng");
    writeFileSync(path, Uint8Array.of(0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a));
    const r = await doorsip(["parse", path]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/pcapng/);
  });
});

describe("doorsip parse --json", () => {
  async function json(file: string): Promise<ParsedJson> {
    const r = await doorsip(["parse", "--json", file]);
    const out = JSON.parse(r.stdout) as ParsedJson[];
    expect(out).toHaveLength(1);
    return out[0]!;
  }

  it("wsinv.dat (RFC 4475 §3.1.1.1): the fields behind the folding and odd spacing", async () => {
    const m = await json(join(RFC4475, "wsinv.dat"));
    expect(m).toMatchObject({
      ok: true,
      kind: "request",
      method: "INVITE",
      uri: "sip:vivekg@chair-dnrc.example.com;unknownparam",
      status: null,
      reason: null,
      callId: "wsinv.ndaksdj@192.0.2.1",
      cseq: 9,
      cseqMethod: "INVITE",
      bodyLength: 150,
    });
    // The top Via is the first Via header ("Via  : SIP  /   2.0 /UDP 192.0.2.2;branch=390skdjuw");
    // the compact "v:" header further down holds the second and third.
    expect(m.via).toEqual({ transport: "UDP", host: "192.0.2.2", port: null, branch: "390skdjuw", received: null, rport: null });
    // from: "J Rosenberg \\\""  <sip:jdrosen@example.com> ; tag = 98asjd8 — quoted pairs undone.
    expect(m.from).toEqual({ display: 'J Rosenberg \\"', uri: "sip:jdrosen@example.com", tag: "98asjd8" });
    expect(m.to).toEqual({ display: null, uri: "sip:vivekg@chair-dnrc.example.com", tag: "1918181833n" });
    expect(m.headers.map((h) => h.name)).toEqual([
      "TO", "from", "MaX-fOrWaRdS", "Call-ID", "Content-Length", "cseq", "Via", "s",
      "NewFangledHeader", "UnknownHeaderWithUnusualValue", "Content-Type", "Route", "v", "m",
    ]);
    expect(m.headers[2]!.value).toBe("0068");
    expect(m.headers[7]!.value).toBe("");
    expect(m.headers[9]!.value).toBe(";;,,;;,;");
    // Folded values are kept as they are on the wire.
    const v = m.headers[12]!.value;
    expect(v.startsWith("SIP  / 2.0  / TCP     spindle.example.com   ;\r\n  branch  =   z9hG4bK9ikj8  ,")).toBe(true);
    expect(m.error).toBeUndefined();
  });

  it("bcast.dat (RFC 4475 §3.3.10): a response's status, reason and top Via", async () => {
    const m = await json(join(RFC4475, "bcast.dat"));
    expect(m).toMatchObject({
      ok: true,
      kind: "response",
      method: null,
      uri: null,
      status: 200,
      reason: "OK",
      callId: "bcast.0384840201234ksdfak3j2erwedfsASdf",
      cseq: 35,
      cseqMethod: "INVITE",
      bodyLength: 154,
    });
    expect(m.via).toEqual({ transport: "UDP", host: "192.0.2.198", port: null, branch: "z9hG4bK1324923", received: null, rport: null });
    expect(m.from).toEqual({ display: null, uri: "sip:user@example.com", tag: "11141343" });
    expect(m.to).toEqual({ display: null, uri: "sip:user@example.edu", tag: "2229" });
  });

  it("via-received-param-no-delim.dat (RFC 5118 §4.5): IPv6 sent-by and received", async () => {
    const m = await json(join(RFC5118, "wire", "via-received-param-no-delim.dat"));
    expect(m.via).toEqual({ transport: "UDP", host: "[2001:db8::9:1]", port: null, branch: "z9hG4bKas3", received: "2001:db8::9:255", rport: null });
    expect(m.callId).toBe("SSG95523997077@hlau_4100");
    expect(m).toMatchObject({ cseq: 921, cseqMethod: "OPTIONS", bodyLength: 0 });
  });

  it("dblreq.dat (RFC 4475 §3.1.1.8): the body ends at Content-Length, trailing octets ignored", async () => {
    const m = await json(join(RFC4475, "dblreq.dat"));
    expect(m).toMatchObject({ ok: true, method: "REGISTER", bodyLength: 0, cseq: 8, cseqMethod: "REGISTER" });
  });

  it("badvers.dat (RFC 4475 §3.1.2.16): ok false and the error's code, reason and offset", async () => {
    const r = await doorsip(["parse", "--json", join(RFC4475, "badvers.dat")]);
    expect(r.code).toBe(1);
    const m = (JSON.parse(r.stdout) as ParsedJson[])[0]!;
    expect(m.ok).toBe(false);
    expect(m.kind).toBe("request");
    expect(m.method).toBe("OPTIONS");
    expect(m.error).toBeDefined();
    expect(m.error!.reason).toBe("unsupported SIP version");
    expect(PARSE_ERROR_REASONS[m.error!.code]).toBe("unsupported SIP version");
    // "OPTIONS sip:t.watson@example.org SIP/7.0": the offset is where the version starts.
    expect(m.error!.offset).toBe(readFileSync(join(RFC4475, "badvers.dat"), "latin1").indexOf("SIP/7.0"));
  });
});
