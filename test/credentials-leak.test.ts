/*
 * Credentials never leave the process except as a digest: `doorsip run
 * --demo` with a distinctive password, every output channel turned up
 * (--verbose, --log-level debug, --pcap), on Node and with the core inside
 * XS (the password crosses the bridge into the worker). stdout, stderr and
 * the capture hold the Authorization header and its response hash, never
 * the password. A config file the JSON parser refuses is reported without
 * quoting it. The maskers of the ladder, the log and the pcap writer catch
 * a password wherever a peer might echo it, even one learnt after they
 * were made.
 *
 * The door code is a credential too (it opens the door): the same runs use
 * a chosen --door-code, the desk phone types it as INFO and as RFC 4733,
 * and no digit of it shows per event (the log's "intercom: dtmf", the
 * run's "door: dtmf", the ladder's "INFO (DTMF)" and "Signal=*"); only the
 * banner names the code, as it always does for the built-in PBX's demo.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LogLevel } from "../src/host";
import { ladderTap } from "../hosts/node/ladder";
import { NodeLog } from "../hosts/node/log";
import { maskSecrets, PcapFileWriter, readPcap } from "../hosts/node/pcap";
import { runDoorsip } from "./support/cli";

/** Distinctive: found nowhere else, and with characters a sloppy escaper would change. */
const PASSWORD = "Zq7-leak-canary-9f3e";

/** Distinctive, and valid for --door-code (1 to 16 of 0-9 * # A-D). */
const DOOR_CODE = "7391#";

/** No DTMF digit in any line: not after "dtmf"/"DTMF", not as "Signal=", not as an event's "(7)" detail or a "digit" field. */
function expectNoDigits(what: string, text: string): void {
  const lines = text.split("\n").filter((l) => !l.startsWith("doorsip: built-in PBX at "));
  const leaks = lines.filter((l) =>
    /(dtmf|DTMF)[ (:=]{1,3}[0-9*#]/.test(l) || /signal\s*=\s*[0-9#]/i.test(l) || /door: dtmf \(/.test(l) || /"digit"/.test(l));
  expect(leaks, `${what} shows DTMF digits`).toEqual([]);
}

function expectClean(what: string, text: string): void {
  expect(text.includes(PASSWORD), `${what} holds the password`).toBe(false);
  // Not even in a recoverable form: base64 or hex of it.
  expect(text.includes(Buffer.from(PASSWORD).toString("base64")), `${what} holds it in base64`).toBe(false);
  expect(text.includes(Buffer.from(PASSWORD).toString("hex")), `${what} holds it in hex`).toBe(false);
}

async function demoLeaves(extra: string[]): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "doorsip-cred-"));
  try {
    const pcap = join(dir, "demo.pcap");
    const r = await runDoorsip(["run", "--demo", "--ascii", "--verbose", "--log-level", "debug", "--password", PASSWORD, "--door-code", DOOR_CODE, "--pcap", pcap, ...extra], 90_000);
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stdout).toContain("demo: all steps passed");
    // The registration was challenged and answered with a digest, shown in full by --verbose.
    expect(r.stdout).toMatch(/Authorization: Digest [^\n]*response="[0-9a-f]{32}"/);
    expect(r.stderr).toMatch(/DEBUG/);
    expectClean("stdout", r.stdout);
    expectClean("stderr", r.stderr);
    // The chosen code went both ways (INFO in step 3, RFC 4733 in step 5) and opened the door twice: what shows is that DTMF came, not which.
    expect(r.stdout).toContain(`door code ${DOOR_CODE}`);
    expect(r.stdout).toMatch(/demo: step 5 ok: 5 digits from \d+ RFC 4733 packets/);
    expect(r.stdout.split("door: door opened").length - 1).toBe(2);
    expect(r.stdout.split("\n").filter((l) => l === "  · door: dtmf")).toHaveLength(2 * DOOR_CODE.length);
    expect(r.stdout.match(/\|<-INFO \(DTMF\)-+\|/g)?.length).toBeGreaterThanOrEqual(DOOR_CODE.length);
    expect(r.stdout.match(/^\s+Signal=\*$/gm)?.length).toBeGreaterThanOrEqual(DOOR_CODE.length);
    expect(r.stderr.match(/ INFO intercom: dtmf$/gm)).toHaveLength(2 * DOOR_CODE.length);
    expectNoDigits("stdout", r.stdout);
    expectNoDigits("stderr", r.stderr);
    const bytes = readFileSync(pcap);
    expectClean("the pcap", bytes.toString("latin1"));
    expect(bytes.toString("latin1")).toMatch(/Authorization: Digest [^\r]*response="[0-9a-f]{32}"/);
    // The capture is the wire as it was (Wireshark's DTMF analysis needs it): the INFO bodies keep their digits.
    for (const d of DOOR_CODE) expect(bytes.toString("latin1")).toContain(`Signal=${d}\r\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("credentials in the output of doorsip run", () => {
  it("--demo on Node: stdout, stderr (debug log) and the pcap hold the digest, not the password; no digit of the door code but in the pcap", async () => {
    await demoLeaves([]);
  }, 120_000);

  it("--demo --xs: the same with the core inside XS", async () => {
    await demoLeaves(["--xs"]);
  }, 120_000);

  it("a --config file that is not JSON is reported without quoting its text", async () => {
    const dir = mkdtempSync(join(tmpdir(), "doorsip-cred-"));
    try {
      const file = join(dir, "door.json");
      writeFileSync(file, `{"server": "sip:127.0.0.1", "user": "door", "password": "${PASSWORD}" oops}`);
      const r = await runDoorsip(["run", "--config", file], 15_000);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`--config ${file}: not valid JSON`);
      expectClean("stderr", r.stderr);
      expectClean("stdout", r.stdout);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("the maskers", () => {
  const echoed = `SIP/2.0 403 Forbidden\r\nWarning: 399 pbx "bad password ${PASSWORD}"\r\nContent-Length: 0\r\n\r\n`;

  it("the ladder masks a secret added after it was made (the built-in PBX's password is known only once it runs)", () => {
    const secrets: string[] = [];
    const out: string[] = [];
    const ladder = ladderTap((t) => out.push(t), { verbose: true, ascii: true, redact: secrets });
    secrets.push(PASSWORD);
    ladder({ time: 1, from: "127.0.0.1:5060", to: "127.0.0.1:5070", bytes: Buffer.from(echoed, "latin1") });
    const text = out.join("");
    expect(text).toContain("bad password ********************");
    expectClean("the ladder", text);
  });

  it("the log masks every secret in every line", () => {
    const lines: string[] = [];
    const log = new NodeLog(LogLevel.Debug, { write: (t: string) => lines.push(t) });
    log.secrets.push(PASSWORD);
    log.log(LogLevel.Warn, `peer said: ${PASSWORD} and ${PASSWORD}`);
    expect(lines[0]).toMatch(/WARN peer said: \*{20} and \*{20}\n$/);
  });

  it("the pcap writer masks payloads, keeping their length, so the capture still parses", () => {
    const dir = mkdtempSync(join(tmpdir(), "doorsip-cred-"));
    try {
      const file = join(dir, "x.pcap");
      const secrets: string[] = [];
      const w = new PcapFileWriter(file, undefined, secrets);
      secrets.push(PASSWORD);
      const payload = Buffer.from(echoed, "latin1");
      w.udp("127.0.0.1", 5060, "127.0.0.1", 5070, payload, 1000);
      w.close();
      const bytes = readFileSync(file);
      expectClean("the pcap", bytes.toString("latin1"));
      const packets = readPcap(bytes).datagrams;
      expect(packets).toHaveLength(1);
      expect(Buffer.from(packets[0]!.payload).toString("latin1")).toBe(echoed.replace(PASSWORD, "*".repeat(PASSWORD.length)));
      // Untouched when there is nothing to mask: the same bytes, not a copy.
      const clean = new Uint8Array([1, 2, 3]);
      expect(maskSecrets(clean, [PASSWORD])).toBe(clean);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
