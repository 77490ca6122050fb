/*
 * `doorsip pbx`: the built-in PBX on its own, for a door elsewhere (the
 * Moddable simulator, another terminal, a board). Here the door is the real
 * `doorsip run --server` command line, on 127.0.0.1, both processes
 * stopped by their PIDs (stdin "quit", then SIGKILL if one lingers).
 */
import { afterEach, describe, expect, it } from "vitest";
import { pbxPlan } from "../hosts/node/commands/pbx";
import { type DoorsipProcess, runDoorsip, spawnDoorsip } from "./support/cli";

const started: DoorsipProcess[] = [];
afterEach(() => {
  for (const p of started.splice(0)) if (p.child.exitCode === null && p.child.pid !== undefined) process.kill(p.child.pid, "SIGKILL");
});

function start(args: string[]): DoorsipProcess {
  const p = spawnDoorsip(args);
  started.push(p);
  return p;
}

/** Wait for `what`; throws with the output when it does not come. */
async function until(p: DoorsipProcess, what: RegExp | (() => boolean), what2: string, ms = 15_000): Promise<void> {
  if (!(await p.until(what, ms))) throw new Error(`waiting for ${what2}:\n${p.out()}${p.err()}`);
}

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe("doorsip pbx", () => {
  it("options: defaults, and usage errors for what a door could not use", () => {
    const p = pbxPlan({ "door-code": "1234" });
    expect(p).toMatchObject({ address: "127.0.0.1", port: 5060, user: "door", password: "doorpass", doorCode: "1234", dtmf: "info" });
    expect(pbxPlan({})).toMatchObject({ doorCode: expect.stringMatching(/^\d{4}#$/) });
    expect(pbxPlan({ listen: "0.0.0.0:5060" })).toMatch(/not 0\.0\.0\.0/);
    expect(pbxPlan({ listen: "127.0.0.1:70000" })).toMatch(/above 65535/);
    expect(pbxPlan({ "door-code": "12x" })).toMatch(/--door-code/);
    expect(pbxPlan({ dtmf: "sms" })).toMatch(/--dtmf must be one of info, rfc4733, inband/);
    expect(pbxPlan({ user: "100" })).toMatch(/desk phone/);
  });

  it("doorsip --help lists it; --help describes it", async () => {
    expect((await runDoorsip(["--help"], 15_000)).stdout).toMatch(/^ {2}pbx +the built-in PBX alone/m);
    const r = await runDoorsip(["pbx", "--help"], 15_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^usage: doorsip pbx/);
  });

  it("a door started with the line it prints registers; its doorbell reaches the desk phone, which opens the door; 'call' and 'wrong' from the PBX's keys reach the door", async () => {
    const pbx = start(["pbx", "--listen", "127.0.0.1:0", "--door-code", "4711#", "--ascii"]);
    await until(pbx, /^ {2}Node: +doorsip run (.*)$/m, "the PBX's start lines");
    const line = /^ {2}Node: +doorsip run (.*)$/m.exec(pbx.out())![1]!;
    expect(pbx.out()).toMatch(/simulator: mcconfig -d -m -p lin -t build sip_server=127\.0\.0\.1:\d+ .*call_target=100 door_code='4711#'/);
    // The printed line, as a shell would split it (the code's quotes removed).
    const args = line.split(" ").map((a) => a.replace(/^'(.*)'$/, "$1"));
    const door = start(["run", ...args, "--ascii"]);
    await until(door, /door: registered \(200\)/, "the door's registration");
    door.child.stdin.write("press\n");
    await until(door, () => count(door.out(), "door relay ON") >= 1, "the door opened by the desk phone's code");
    await until(door, () => count(door.out(), "door: call down") >= 1, "the doorbell call's end");
    // Both keys at once: the second waits for the first call's end (a key while the phone is in a call is not lost).
    pbx.child.stdin.write("call\nwrong\n");
    await until(pbx, /the desk phone is in a call; it calls the door when that call has ended/, "the PBX's word that the second call waits");
    await until(door, () => count(door.out(), "door relay ON") >= 2, "the desk phone's call opening the door");
    await until(door, () => count(door.out(), "door: call down") >= 2, "the desk phone's call's end");
    await until(door, /door: wrong code/, "the wrong code counted");
    expect(count(door.out(), "door relay ON")).toBe(2);
    pbx.child.stdin.write("nonsense\n");
    await until(pbx, /unknown command "nonsense" \(call, wrong, quit\)/, "the PBX's answer to an unknown key");
    door.child.stdin.write("quit\n");
    expect(await door.exited).toBe(0);
    expect(door.out()).toContain("door: unregistered (200)");
    pbx.child.stdin.write("quit\n");
    expect(await pbx.exited).toBe(0);
    // The ladder names the parties: the door's REGISTER arrives at the PBX from the door's column.
    expect(pbx.out()).toMatch(/^\s+time door\s+pbx\s+phone\s*$/m);
    expect(pbx.out()).toMatch(/\|-REGISTER-+>\|/);
  }, 90_000);

  it("a port already taken is named, with what to do", async () => {
    const first = start(["pbx", "--listen", "127.0.0.1:0", "--door-code", "1"]);
    await until(first, /doorsip pbx: at 127\.0\.0\.1:(\d+)/, "the first PBX");
    const port = /doorsip pbx: at 127\.0\.0\.1:(\d+)/.exec(first.out())![1]!;
    const r = await runDoorsip(["pbx", "--listen", `127.0.0.1:${port}`], 15_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`another program has UDP port ${port}`);
    first.child.stdin.write("quit\n");
    expect(await first.exited).toBe(0);
  }, 30_000);
});
