/*
 * `doorsip run` end to end on the Node host (real UDP on 127.0.0.1): the
 * --demo tour against the built-in loopback PBX completes with the expected
 * ladder, in bounded time; a pcap of it parses back; bad options give a
 * clear message and exit code 2, not a stack trace.
 */
import { describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectDemoCapture, expectDemoTour, runDoorsip } from "./support/cli";

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
