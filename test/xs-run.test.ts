/*
 * The XS host end to end: the unmodified core's Intercom inside the real XS
 * engine (the doorsip-xs worker), with UDP, timers, randomness, logging and
 * pins bridged from Node (hosts/xs/xs-intercom.ts, hosts/xs/intercom-worker.ts).
 *
 * - `doorsip run --xs --demo` passes the same tour as the Node mode (with RTP
 *   bridged: the desk phone checks the door's RTP), in bounded time;
 * - XsIntercom, driven directly, registers at the built-in PBX (401, MD5 digest
 *   computed in XS), rings the desk phone, which answers and types a door code
 *   that opens the door; the phone calls the door with a wrong code; all this
 *   with a small heap, so that XS collects garbage while the calls run;
 * - `doorsip run --xs --server` is a door station against a server given on the
 *   command line, with keys on stdin;
 * - the MD5 and SHA-256 the XS host computes in script agree with node:crypto,
 *   inside XS.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { IntercomEvent, intercomEventName } from "../src/app/intercom";
import { LoopbackPbx } from "../hosts/node/pbx/index";
import { summarize } from "../hosts/node/ladder";
import type { PacketEvent } from "../hosts/node/pbx/tap";
import { ensureWorker } from "../hosts/xs/build-worker.mjs";
import { runScript } from "../hosts/xs/harness";
import { XsIntercom } from "../hosts/xs/xs-intercom";
import { BIN, ROOT, expectDemoCapture, expectDemoTour, runDoorsip } from "./support/cli";
import { until } from "./support/wait";

/** Bound of each wait for a step of the XS door (the worker is slower than Node on a busy machine). */
const XS_WAIT_MS = 15_000;

beforeAll(async () => {
  // Built once here (about 20 s the first time), so the runs below measure themselves only.
  await ensureWorker();
}, 180_000);

describe("doorsip run --xs", () => {
  it("--demo: the same tour as on Node (401, keepalive, doorbell call with the door code as INFO, RTP both ways, call to the door with the code as RFC 4733, unregistration)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "doorsip-xs-run-"));
    try {
      const pcap = join(dir, "demo.pcap");
      const started = Date.now();
      const r = await runDoorsip(["run", "--xs", "--demo", "--ascii", "--pcap", pcap], 60_000);
      const elapsed = Date.now() - started;
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const out = r.stdout;
      expect(out).toMatch(/door at 127\.0\.0\.1:\d+ \(the core runs inside XS, doorsip-xs pid \d+\)/);
      expectDemoTour(out);
      expect(out).toContain("door: door relay ON (door open)");
      expect(out).toContain("door: unregistered (200)");
      expect(out).not.toContain("doorpass");
      // The tour's own pace (keepalive at 5 s, two calls of a few seconds) is about 13 s; reported, not asserted.
      console.log(`doorsip run --xs --demo: ${elapsed} ms`);
      await expectDemoCapture(pcap);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it("XsIntercom registers at the built-in PBX and makes a doorbell call that the desk phone answers, on a small XS heap", async () => {
    const packets: PacketEvent[] = [];
    const pbx = await LoopbackPbx.start({
      tap: (ev) => packets.push(ev), doorCode: "1234#", ringMs: 50, answerMs: 200, dtmfDelayMs: 200, dtmfGapMs: 50, hangupMs: 400,
    });
    const events: Array<{ event: IntercomEvent; detail: string }> = [];
    const relay: boolean[] = [];
    let door: XsIntercom | null = null;
    try {
      door = await XsIntercom.create({
        settings: { account: pbx.door.account, targets: [pbx.door.extension], doorCode: "1234#", doorOpenMs: 300, keepaliveSeconds: 0 },
        // The smallest heap the worker takes: XS must collect (and grow) while the calls run.
        heap: { slots: 4096, chunkBytes: 65536 },
        onEvent: (event, detail) => events.push({ event, detail }),
        onPin: (what, on) => {
          if (what === "relay") relay.push(on);
        },
      });
      const seen = (e: IntercomEvent, from = 0): boolean => events.slice(from).some((x) => x.event === e);
      const label = (ep: string): string => pbx.label(ep);
      const doorEp = `${door.localAddress}:${door.localPort}`;
      expect(doorEp).toMatch(/^127\.0\.0\.1:\d+$/);
      const t0 = Date.now();
      door.start();
      await until(() => seen(IntercomEvent.Registered), "registration", XS_WAIT_MS);
      const registeredMs = Date.now() - t0;
      // The challenge came, and the answer (an MD5 digest computed inside XS) was accepted.
      expect(packets.some((p) => summarize(p.bytes).label.startsWith("401") && label(p.to) === "door" && p.to === doorEp)).toBe(true);

      const e1 = events.length;
      door.press();
      await until(() => seen(IntercomEvent.CallUp, e1), "doorbell call answered", XS_WAIT_MS);
      await until(() => seen(IntercomEvent.DoorOpened, e1), "door opened", XS_WAIT_MS);
      await until(() => seen(IntercomEvent.CallDown, e1), "call down", XS_WAIT_MS);
      const names = events.slice(e1).map((x) => intercomEventName(x.event));
      expect(names.slice(0, 3)).toEqual(["button pressed", "ringing", "call up"]);
      expect(events.slice(e1).filter((x) => x.event === IntercomEvent.Dtmf).map((x) => x.detail).join("")).toBe("1234#");
      expect(relay[0]).toBe(true);
      const invite = packets.find((p) => summarize(p.bytes).label.startsWith("INVITE") && p.from === doorEp);
      expect(invite).toBeDefined();
      expect(Buffer.from(invite!.bytes).toString("latin1")).toMatch(/^INVITE sip:100@127\.0\.0\.1 SIP\/2\.0\r\n/);
      expect(packets.some((p) => summarize(p.bytes).label.startsWith("200") && summarize(p.bytes).label.includes("INVITE") && p.to === doorEp)).toBe(true);
      await until(() => relay.length >= 2 && relay[relay.length - 1] === false, "relay off again");

      // The desk phone calls the door and types a wrong code: the door answers by itself and says so.
      const e2 = events.length;
      await until(() => !pbx.phone!.inCall, "free desk phone", XS_WAIT_MS);
      const result = await pbx.phone!.call(`sip:door@${pbx.domain}`, { code: "9#", holdMs: 300 });
      expect(result.reason).toBe("local-bye");
      await until(() => seen(IntercomEvent.CallDown, e2), "call down", XS_WAIT_MS);
      expect(seen(IntercomEvent.Incoming, e2)).toBe(true);
      expect(events.slice(e2).find((x) => x.event === IntercomEvent.WrongCode)?.detail).toBe("wrong code 1");
      expect(seen(IntercomEvent.DoorOpened, e2)).toBe(false);

      const status = await door.status();
      expect(status).toMatchObject({ registered: true, activeCalls: 0, relay: false });
      // The heap started at 4096 slots: the core ran through collections.
      expect(status.heap.gcs).toBeGreaterThan(0);
      console.log(`XS intercom: registered after ${registeredMs} ms; heap ${status.heap.slots} slots (peak ${status.heap.peakSlots}), ` +
        `${status.heap.chunkBytes} chunk bytes (peak ${status.heap.peakChunkBytes}), ${status.heap.gcs} collections, ` +
        `${status.heap.compute} compute; bridge ${JSON.stringify(door.counts)}`);

      const e3 = events.length;
      await door.stop();
      expect(seen(IntercomEvent.Unregistered, e3)).toBe(true);
      expect(door.running).toBe(false);
      expect(door.xsErrors).toEqual([]);
      expect(door.workerStderr).toEqual([]);
    } finally {
      await door?.stop();
      await pbx.stop();
    }
  }, 60_000);

  it("--server: a door station against the given server, keys on stdin, unregisters on quit", async () => {
    const pbx = await LoopbackPbx.start({ ringMs: 50, answerMs: 200, dtmfDelayMs: 200, hangupMs: 300 });
    try {
      const child = spawn(process.execPath, [
        BIN, "run", "--xs", "--server", `sip:${pbx.door.server}`, "--user", "door", "--password", pbx.door.password,
        "--target", pbx.door.extension, "--listen", "127.0.0.1:0", "--keepalive", "1", "--ascii",
        "--door-code", "#", // there is no default code; the built-in desk phone types "#"
      ], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      try {
        await until(() => stdout.includes("door: registered (200)"), "registration", 20_000);
        expect(stdout).toMatch(/door station at 127\.0\.0\.1:\d+, server 127\.0\.0\.1:\d+ \(the core runs inside XS/);
        await until(() => /\|-OPTIONS-+>\|/.test(stdout) && /\|<-200 OK \(OPTIONS\)-+\|/.test(stdout), "an OPTIONS keepalive", XS_WAIT_MS);
        child.stdin.write("press\n");
        await until(() => stdout.includes("door: door opened"), "door opened", XS_WAIT_MS);
        await until(() => stdout.includes("door: call down (remote hangup)"), "call down", XS_WAIT_MS);
        child.stdin.write("quit\n");
        const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("timeout"), 15_000))]);
        expect(code).toBe(0);
      } finally {
        child.kill("SIGKILL");
      }
      expect(stderr).toBe("");
      expect(stdout).toMatch(/\|<-401 Unauthorized \(REGISTER\)-*\|/);
      expect(stdout).toMatch(/\|-INVITE-+>\|/);
      expect(stdout).toContain("doorsip: unregistering...");
      expect(stdout).toContain("door: unregistered (200)");
      expect(stdout).not.toContain(pbx.door.password);
    } finally {
      await pbx.stop();
    }
  }, 60_000);

  it("the XS host's MD5 and SHA-256 (in script) agree with node:crypto inside XS", async () => {
    const lengths = [0, 1, 3, 55, 56, 57, 63, 64, 65, 119, 120, 128, 200, 1000];
    const stub = [
      `import { md5Hex, sha256Hex } from ${JSON.stringify(join(ROOT, "hosts", "xs", "digest.ts"))};`,
      `declare function send(s: string): void;`,
      `const lengths = ${JSON.stringify(lengths)};`,
      `const data = new Uint8Array(1000); for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 255;`,
      `const out: string[] = []; for (const n of lengths) out.push(md5Hex(data, n) + " " + sha256Hex(data, n));`,
      `send(JSON.stringify(out));`,
    ].join("\n");
    const bundle = await build({
      stdin: { contents: stub, resolveDir: ROOT, sourcefile: "digest-check.ts", loader: "ts" },
      bundle: true, format: "iife", target: "es2022", platform: "neutral", write: false, logLevel: "silent",
    });
    const run = await runScript(bundle.outputFiles[0]!.text);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const data = new Uint8Array(1000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 255;
    const expected = lengths.map((n) => {
      const d = data.subarray(0, n);
      return `${createHash("md5").update(d).digest("hex")} ${createHash("sha256").update(d).digest("hex")}`;
    });
    expect(JSON.parse(run.stdout.trim())).toEqual(expected);
  }, 30_000);
});
