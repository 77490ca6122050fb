/*
 * `doorsip bench` runs end to end (a couple of passes with --quick): the
 * JSON has the agreed shape (issue #9: parser, call, keepalive, refresh,
 * idle, codeSize, and the targets with their gaps) and every library parsed
 * messages. No timing is asserted: the figures of a quick run mean nothing.
 * (The allocation figures are asserted in perf-xs.test.ts.)
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writePcapHeader, writeUdpPacket } from "../hosts/node/pcap";
import { ROOT, runDoorsip as doorsip } from "./support/cli";

const LIBRARIES = ["doorsip", "sip.js", "JsSIP", "sip"] as const;


interface BenchJson {
  call: { xs: { computePerCall: number; slotsPerCall: number; bytesPerCall: number; slotsRetained: number; bytesRetained: number } | null };
  keepalive: { xs: { slots: number; bytes: number } | null };
  refresh: { xs: { slots: number; bytes: number } | null };
  idle: { xsHeapBytes: number | null };
  codeSize: { bytes: number | null; kind: string };
  targets: { name: string; met: boolean; gap?: string; notMeasured?: string }[];
  budgetNote?: string;
  parser: {
    messages: number;
    msgsPerSec: Record<(typeof LIBRARIES)[number], number>;
    ratioToFastestPeer: number;
    xs: { computePerMessage: number; slotsPerMessage: number; bytesPerMessage: number } | null;
    xsNote?: string;
    parsed: Record<(typeof LIBRARIES)[number], number>;
    corpus: string[];
  };
}

const tmp = mkdtempSync(join(tmpdir(), "doorsip-bench-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("doorsip bench --quick", () => {
  it("prints the figures as JSON in the agreed shape, every library having parsed the corpus", async () => {
    // The XS worker may be built on first use (about 20 s).
    const r = await doorsip(["bench", "--quick", "--json", "--bundle-size"], 170_000);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout) as BenchJson;
    const p = j.parser;
    expect(p.messages).toBeGreaterThan(4);
    expect(Object.keys(p.msgsPerSec).sort()).toEqual([...LIBRARIES].sort());
    for (const lib of LIBRARIES) {
      expect(typeof p.msgsPerSec[lib]).toBe("number");
      expect(p.msgsPerSec[lib]).toBeGreaterThan(0);
      expect(p.parsed[lib]).toBeGreaterThan(0);
      // The default corpus holds only messages that every library parses.
      expect(p.parsed[lib]).toBe(p.messages);
    }
    expect(typeof p.ratioToFastestPeer).toBe("number");
    expect(p.ratioToFastestPeer).toBeGreaterThan(0);
    expect(p.corpus).toContain("bench/corpus/invite-sdp.sip");
    expect(p.corpus).toContain("rfc4475/wsinv.dat");
    expect("xs" in p).toBe(true);
    if (existsSync(join(ROOT, "hosts", "xs", "harness.ts"))) {
      expect(p.xs, p.xsNote).not.toBeNull();
      expect(p.xs!.computePerMessage).toBeGreaterThan(0);
      expect(p.xs!.slotsPerMessage).toBeGreaterThanOrEqual(0);
      expect(p.xs!.bytesPerMessage).toBeGreaterThanOrEqual(0);
      // The station inside XS: every key of the shape, numbers.
      expect(j.call.xs, j.budgetNote).not.toBeNull();
      for (const k of ["computePerCall", "slotsPerCall", "bytesPerCall", "slotsRetained", "bytesRetained"] as const) expect(typeof j.call.xs![k]).toBe("number");
      expect(j.call.xs!.computePerCall).toBeGreaterThan(0);
      for (const x of [j.keepalive.xs, j.refresh.xs]) {
        expect(typeof x!.slots).toBe("number");
        expect(typeof x!.bytes).toBe("number");
      }
      expect(j.idle.xsHeapBytes).toBeGreaterThan(0);
    } else {
      expect(p.xs).toBeNull();
      expect(p.xsNote).toMatch(/xs harness unavailable/);
    }
    expect(j.codeSize.kind).toBe("esbuild-bundle");
    expect(j.codeSize.bytes).toBeGreaterThan(10_000);
    // Every target is listed; one not met says by how much, except the throughput, which a quick run does not judge.
    expect(j.targets.map((t) => t.name)).toEqual(expect.arrayContaining(["parser throughput", "parser allocation", "idle heap"]));
    for (const t of j.targets) {
      if (t.name === "parser throughput") expect(t.notMeasured).toMatch(/--quick/);
      else if (!t.met) expect(t.gap, t.name).toMatch(/\d/);
    }
  }, 180_000);

  it("--corpus DIR times each library on the messages it parses, pcaps included", async () => {
    const dir = join(tmp, "corpus");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir);
    copyFileSync(join(ROOT, "bench", "corpus", "register.sip"), join(dir, "register.sip"));
    writeFileSync(join(dir, "garbage.sip"), "this is not SIP\r\n\r\n");
    const invite = new Uint8Array(readFileSync(join(ROOT, "bench", "corpus", "invite-sdp.sip")));
    const ok = new Uint8Array(readFileSync(join(ROOT, "bench", "corpus", "ok-invite.sip")));
    const pcap = [writePcapHeader(), writeUdpPacket("192.0.2.1", 5060, "192.0.2.2", 5060, invite, 0), writeUdpPacket("192.0.2.2", 5060, "192.0.2.1", 5060, ok, 1)];
    writeFileSync(join(dir, "call.pcap"), Buffer.concat(pcap));
    const r = await doorsip(["bench", "--quick", "--json", "--no-xs", "--no-code-size", "--corpus", dir], 60_000);
    expect(r.code, r.stderr).toBe(0);
    const p = (JSON.parse(r.stdout) as BenchJson).parser;
    expect(p.messages).toBe(4);
    expect(p.parsed.doorsip).toBe(3);
    for (const lib of LIBRARIES) expect(p.parsed[lib]).toBeGreaterThan(0);
    expect(p.xs).toBeNull();
  });

  it("prints a table", async () => {
    const r = await doorsip(["bench", "--quick", "--no-xs", "--bundle-size"], 60_000);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^Code size: [\d,]+ bytes, the minified esbuild bundle/m);
    expect(r.stdout).toMatch(/^Targets:$/m);
    expect(r.stdout).toMatch(/^ {2}n\/a {6}parser throughput: not judged \(a --quick run/m);
    expect(r.stdout).not.toMatch(/NOT MET\s+parser throughput/);
    for (const lib of LIBRARIES) expect(r.stdout).toMatch(new RegExp(`^${lib.replace(".", "\\.")}\\s+\\d+\\s+[\\d,]+\\s+`, "m"));
    expect(r.stdout).toMatch(/doorsip ÷ fastest peer/);
  });
});
