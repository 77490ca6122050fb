/*
 * `doorsip run` end to end on the Node host (real UDP on 127.0.0.1): the
 * --demo tour against the built-in loopback PBX completes with the expected
 * ladder, in bounded time; a pcap of it parses back; bad options give a
 * clear message and exit code 2, not a stack trace.
 */
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, ROOT, expectDemoCapture, expectDemoTour, runDoorsip } from "./support/cli";

describe("doorsip run", () => {
  it("--demo: registration with 401, keepalive, doorbell call with the door code as INFO, RTP both ways, a call to the door with the code as RFC 4733, unregistration", async () => {
    const dir = mkdtempSync(join(tmpdir(), "doorsip-run-"));
    try {
      const pcap = join(dir, "demo.pcap");
      const r = await runDoorsip(["run", "--demo", "--ascii", "--pcap", pcap], 60_000);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const out = r.stdout;
      expectDemoTour(out);
      // The same traffic as a capture that doorsip's own pcap reader takes.
      await expectDemoCapture(pcap);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it("--proxy with a --server name that has no address (a SIP domain with only SRV/NAPTR records): the door starts and registers through the proxy", async () => {
    // With an outbound proxy every request goes to the proxy (RFC 3261 §8.1.2); the registrar's name is the SIP
    // domain, which the proxy resolves. ".invalid" never resolves (RFC 6761).
    const proxy = createSocket("udp4");
    await new Promise<void>((r) => proxy.bind(0, "127.0.0.1", r));
    const port = proxy.address().port;
    const first = new Promise<string>((r) => proxy.once("message", (m) => r(m.toString("latin1"))));
    const child = spawn(process.execPath, [BIN, "run", "--server", "sip:pbx.invalid", "--proxy", `sip:127.0.0.1:${port}`, "--user", "door", "--listen", "127.0.0.1:0"], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    try {
      const got = await Promise.race([first, exited.then((code) => `exited ${code}`), new Promise<string>((r) => setTimeout(() => r("timeout"), 15_000))]);
      expect(got, out).toMatch(/^REGISTER sip:pbx\.invalid SIP\/2\.0\r\n/);
      expect(got).toMatch(new RegExp(`\r\nRoute: <sip:127\\.0\\.0\\.1:${port};lr>\r\n`, "i"));
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      proxy.close();
    }
  }, 30_000);

  it("bad options give a clear message and exit code 2", async () => {
    const cases: Array<[string[], RegExp]> = [
      [["run", "--server", "sip:127.0.0.1"], /--user is needed with --server/],
      [["run", "--hunt", "random"], /--hunt must be sequential or parallel/],
      [["run", "--keepalive=-3"], /--keepalive must be a whole number/],
      [["run", "--door-code", "12x"], /--door-code must be/],
      [["run", "--no-such-option"], /Unknown option/],
      [["run", "--config", "/nonexistent/doorsip.json"], /--config \/nonexistent\/doorsip\.json:/],
      [["run", "--demo", "--server", "sip:127.0.0.1", "--user", "x"], /--demo runs against the built-in PBX/],
      [["run", "--proxy", "sip:127.0.0.1:5070"], /--proxy needs --server/],
      [["run", "--server", "sip:127.0.0.1", "--user", "x", "--proxy", "sip:127.0.0.1:99999"], /--proxy port must be a whole number/],
      [["run", "--server", "sip:127.0.0.1", "--user", "x", "--auth-user", "a b"], /--auth-user cannot hold spaces/],
      [["run", "--inband-dtmf", "maybe"], /--inband-dtmf must be auto, on or off/],
    ];
    for (const [args, message] of cases) {
      const r = await runDoorsip(args, 15_000);
      expect(r.code, args.join(" ")).toBe(2);
      expect(r.stderr, args.join(" ")).toMatch(message);
      expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    }
  }, 60_000);
});
