/* Run the doorsip command line as a child process, bounded in time. */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join, resolve } from "node:path";
import { expect } from "vitest";

export const ROOT = resolve(__dirname, "../..");
export const BIN = join(ROOT, "bin", "doorsip.mjs");

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawn `node bin/doorsip.mjs ...args`; killed, and rejected, if it has not exited after timeoutMs. */
export function runDoorsip(args: string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`doorsip ${args.join(" ")}: no exit after ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/**
 * What every `doorsip run --demo` must print, on Node and inside XS: the six
 * steps passed, and the ladder with its columns, directions, methods and
 * statuses with their CSeq method, and short Call-IDs; the audio step with
 * RTP both ways; the door opened twice, by INFO and by RFC 4733; no password.
 */
export function expectDemoTour(out: string): void {
  for (let step = 1; step <= 6; step++) expect(out).toContain(`demo: step ${step} ok`);
  // Audio (step 4): the door's RTP checked by the desk phone, and the phone's counted by the door.
  const audio = /demo: step 4 ok: the desk phone received (\d+) RTP packets from the door \(PCM[UA], 160 bytes = 20 ms each, .*\); the door received (\d+) of the desk phone's (\d+)/.exec(out);
  expect(audio, "the audio step").not.toBeNull();
  expect(Number(audio![1])).toBeGreaterThan(25); // the call lasts seconds: 50 packets a second
  expect(Number(audio![2])).toBeGreaterThan(25);
  // Step 5: the code as RFC 4733 events, one digit each.
  expect(out).toMatch(/demo: step 5 ok: \d+ digits from \d+ RFC 4733 packets, no INFO/);
  expect(out.split("door: door opened").length - 1).toBe(2);
  expect(out).toContain("demo: all steps passed");
  expect(out).toMatch(/^\s+time door\s+pbx\s+phone\s*$/m);
  expect(out).toMatch(/^\s+\d+\.\d{3} \|-REGISTER-+>\|\s+\| [0-9a-f]{8}$/m);
  expect(out).toMatch(/\|<-401 Unauthorized \(REGISTER\)-*\|/);
  expect(out).toMatch(/\|-OPTIONS-+>\|/);
  expect(out).toMatch(/\|<-INFO \(DTMF\)-+\|/);
  expect(out).toContain("door: door opened");
  expect(out).toContain("door: incoming call");
  expect(out).not.toContain("doorpass");
}

/** The pcap of a `doorsip run --demo --pcap FILE` read back by `doorsip parse`: every datagram a message, the doorbell's INVITE and the 401 among them. */
export async function expectDemoCapture(pcap: string): Promise<void> {
  const parsed = await runDoorsip(["parse", pcap], 30_000);
  expect(parsed.code).toBe(0);
  expect(parsed.stdout).toMatch(/ok request INVITE sip:100@127\.0\.0\.1/);
  expect(parsed.stdout).toMatch(/ok response 401 Unauthorized/);
}

/** A `doorsip` child that takes lines on stdin: its output so far, its exit, and waits on its output. */
export interface DoorsipProcess {
  child: ChildProcessWithoutNullStreams;
  out(): string;
  err(): string;
  /** Its exit code (null when killed). */
  exited: Promise<number | null>;
  /** Wait until `what` holds (a pattern of stdout, or a test), at most `ms`, or the child exits; true when it holds. */
  until(what: RegExp | (() => boolean), ms: number): Promise<boolean>;
}

/** Spawn `node bin/doorsip.mjs ...args` with stdin a pipe; the caller stops it (stdin "quit", or kill by its PID). */
export function spawnDoorsip(args: string[]): DoorsipProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<number | null>((r) => child.on("close", (code) => r(code)));
  const holds = (what: RegExp | (() => boolean)): boolean => (typeof what === "function" ? what() : what.test(out));
  return {
    child, out: () => out, err: () => err, exited,
    until: async (what, ms) => {
      const end = Date.now() + ms;
      while (!holds(what) && Date.now() < end && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      return holds(what);
    },
  };
}
