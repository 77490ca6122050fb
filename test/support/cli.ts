/* Run the doorsip command line as a child process, bounded in time. */
import { spawn } from "node:child_process";
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
 * What every `doorsip run --demo` must print, on Node and inside XS: the five
 * steps passed, and the ladder with its columns, directions, methods and
 * statuses with their CSeq method, and short Call-IDs; no password.
 */
export function expectDemoTour(out: string): void {
  for (let step = 1; step <= 5; step++) expect(out).toContain(`demo: step ${step} ok`);
  expect(out).toContain("demo: all steps passed");
  expect(out).toMatch(/^\s+time door\s+pbx\s+phone\s*$/m);
  expect(out).toMatch(/^\s+\d+\.\d{3} \|-REGISTER-+>\|\s+\| [0-9a-f]{8}$/m);
  expect(out).toMatch(/\|<-401 Unauthorized \(REGISTER\)-*\|/);
  expect(out).toMatch(/\|-OPTIONS-+>\|/);
  expect(out).toMatch(/\|<-INFO \(DTMF #\)-+\|/);
  expect(out).toContain("door: door opened");
  expect(out).toContain("door: incoming call");
  expect(out).not.toContain("doorpass");
}
