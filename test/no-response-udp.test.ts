/*
 * `doorsip run` on real UDP (127.0.0.1): a sequential hunt whose first
 * target is a phone that is switched off (a bound UDP socket that never
 * answers) and whose second is the built-in PBX's desk phone (extension
 * 100). The door gives the silent one up when its INVITE had no response
 * for 8*T1 (src/ua/call/call.ts NO_RESPONSE_T1: four copies, RFC 3261
 * §17.1.1.2) and calls the desk phone, which answers; before, the desk
 * phone rang only after Timer B (32 s). Asserted: the order of events and
 * that the silent socket got only copies of one INVITE, all before the door
 * gave up; the time it took is reported, not asserted.
 */
import { describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { BIN, ROOT } from "./support/cli";

/** Resolves when `cond` holds on the output, or rejects after `ms` (every wait is bounded). */
function waitFor(get: () => string, cond: (out: string) => boolean, ms: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      if (cond(get())) {
        clearInterval(poll);
        resolve();
      } else if (Date.now() - started > ms) {
        clearInterval(poll);
        reject(new Error(`timed out waiting for ${what}; output:\n${get()}`));
      }
    }, 20);
  });
}

describe("doorsip run: a hunt target that never answers", () => {
  it("sequential hunt, first target a silent UDP socket: given up after its INVITE went unanswered, then the desk phone rings and answers", async () => {
    const silent = createSocket("udp4");
    await new Promise<void>((r) => silent.bind(0, "127.0.0.1", r));
    const silentPort = silent.address().port;
    const received: Array<{ text: string; at: number }> = [];
    silent.on("message", (m) => received.push({ text: m.toString("latin1"), at: Date.now() }));

    const child = spawn(process.execPath, [BIN, "run", "--ascii", "--hunt", "sequential", "--target", `sip:200@127.0.0.1:${silentPort}`, "--target", "100"], {
      cwd: ROOT, stdio: ["pipe", "pipe", "pipe"],
    });
    let out = "";
    const lines: Array<{ line: string; at: number }> = [];
    const take = (d: string): void => {
      out += d;
      for (const line of d.split("\n")) if (line.includes("· door:")) lines.push({ line: line.trim(), at: Date.now() });
    };
    child.stdout.setEncoding("utf8").on("data", take);
    child.stderr.setEncoding("utf8").on("data", take);
    const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
    try {
      await waitFor(() => out, (o) => o.includes("door: registered"), 30_000, "the door to register");
      child.stdin.write("press\n");
      await waitFor(() => out, (o) => o.includes("door: hunt over"), 30_000, "the hunt to end");
      const events = lines.map((l) => l.line.replace(/^· door: /, ""));
      const at = (prefix: string): number => events.findIndex((e) => e.startsWith(prefix));
      // In order: the press, the silent target given up (no response, 408), the desk phone ringing and answering, the hunt over.
      expect(at("button pressed"), events.join("\n")).toBeGreaterThanOrEqual(0);
      expect(at("call down (no response (408))"), events.join("\n")).toBeGreaterThan(at("button pressed"));
      expect(at("ringing (sip:100@"), events.join("\n")).toBeGreaterThan(at("call down (no response (408))"));
      expect(at("call up (sip:100@")).toBeGreaterThan(at("ringing (sip:100@"));
      expect(events.at(-1)).toBe("hunt over (answered)");
      expect(events.filter((e) => e.startsWith("call up"))).toHaveLength(1);
      // The silent socket got copies of the one INVITE (Timer A), all of them before the door gave up, and no CANCEL (§9.1).
      const gaveUpAt = lines[at("call down (no response (408))")]!.at;
      expect(received.length).toBeGreaterThanOrEqual(2);
      expect(new Set(received.map((r) => r.text)).size).toBe(1);
      expect(received[0]!.text).toMatch(new RegExp(`^INVITE sip:200@127\\.0\\.0\\.1:${silentPort} SIP/2\\.0\r\n`));
      expect(received.every((r) => r.at <= gaveUpAt)).toBe(true);
      const pressedAt = lines[at("button pressed")]!.at;
      console.info(`[no-response] ${received.length} INVITE copies to the silent target; given up ${gaveUpAt - pressedAt} ms after the press; ` +
        `desk phone ringing ${lines[at("ringing (sip:100@")]!.at - pressedAt} ms after it`);
      child.stdin.write("quit\n");
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("timeout"), 15_000))]);
      expect(code, out).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      silent.close();
    }
  }, 90_000);
});
