/*
 * What a new user of `doorsip run` trips over, and what they are told: a
 * misspelt option or --config key named with the one meant, the message
 * repeated under the long usage, targets written as "user@host", a failed
 * registration explained, and, with a real server, a ladder and key list
 * without the built-in PBX's desk phone. The server is the loopback PBX on
 * 127.0.0.1 (real UDP), the door the real command line.
 */
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { normalTargets, plan, registrationHint, wrongCode } from "../hosts/node/commands/run";
import { closest } from "../hosts/node/commands/options";
import { LoopbackPbx } from "../hosts/node/pbx/index";
import { runDoorsip, spawnDoorsip } from "./support/cli";

const tmp = mkdtempSync(join(tmpdir(), "doorsip-newuser-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The first and the last line of a usage error: the same message, so that it is seen under the usage. */
function ends(stderr: string): [string, string] {
  const lines = stderr.trimEnd().split("\n");
  return [lines[0]!, lines[lines.length - 1]!];
}

describe("usage errors", () => {
  it("a misspelt option names the one meant, before and after the usage", async () => {
    const r = await runDoorsip(["run", "--servr", "sip:127.0.0.1", "--user", "door"], 15_000);
    expect(r.code).toBe(2);
    const [first, last] = ends(r.stderr);
    expect(first).toBe("doorsip run: Unknown option '--servr' (did you mean --server?)");
    expect(last).toBe(first);
    expect(r.stderr).toMatch(/\n\nusage: doorsip run /);
    const parse = await runDoorsip(["parse", "--jsn", "x"], 15_000);
    expect(parse.code).toBe(2);
    expect(ends(parse.stderr)).toEqual(["doorsip parse: Unknown option '--jsn' (did you mean --json?)", "doorsip parse: Unknown option '--jsn' (did you mean --json?)"]);
    // Nothing near: no guess.
    const far = await runDoorsip(["run", "--frobnicate"], 15_000);
    expect(ends(far.stderr)[1]).toBe("doorsip run: Unknown option '--frobnicate'");
  }, 60_000);

  it("a value error is repeated under the usage too", async () => {
    const r = await runDoorsip(["run", "--door-code", "12x"], 15_000);
    expect(r.code).toBe(2);
    expect(ends(r.stderr)).toEqual(["doorsip run: --door-code must be 1 to 16 of 0-9 * # A-D (got 12x)", "doorsip run: --door-code must be 1 to 16 of 0-9 * # A-D (got 12x)"]);
  }, 30_000);

  it("closest: typos of up to 2 edits (1 for short words), case aside", () => {
    const names = ["server", "password", "door-code", "xs", "target"];
    expect(closest("pasword", names)).toBe("password");
    expect(closest("doorcode", names)).toBe("door-code");
    expect(closest("SERVER", names)).toBe("server");
    expect(closest("targets", names)).toBe("target");
    expect(closest("x", names)).toBe("xs");
    expect(closest("verbose", names)).toBeUndefined();
  });
});

describe("the built-in PBX's keys", () => {
  it("wrongCode: same length, not the code", () => {
    expect(wrongCode("4711#")).toBe("1711#");
    expect(wrongCode("1234")).toBe("2234");
    expect(wrongCode("")).toBe("1#");
  });

  it("\"wrong\": the desk phone calls the door and types a wrong code, which is counted and opens nothing", async () => {
    const door = spawnDoorsip(["run", "--ascii"]);
    const { child, exited, until } = door;
    try {
      await until(/door: registered/, 15_000);
      expect(door.out(), door.err()).toContain("keys: b/Enter = doorbell, c = desk phone calls the door, w = the same with a wrong code, h = hang up, q = quit\n");
      child.stdin.write("wrong\n");
      await until(/door: call down/, 20_000);
      expect(door.out(), door.err()).toContain("door: incoming call");
      expect(door.out()).toContain("door: wrong code (wrong code 1)");
      expect(door.out()).not.toContain("door opened");
      expect(door.out()).not.toContain("door relay ON");
      child.stdin.write("quit\n");
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("timeout"), 15_000))]);
      expect(code, door.out() + door.err()).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    }
  }, 60_000);
});

describe("a port in use", () => {
  it("says which and what to do, exit 1", async () => {
    const taken = createSocket("udp4");
    await new Promise<void>((r) => taken.bind(0, "127.0.0.1", r));
    const port = taken.address().port;
    try {
      const r = await runDoorsip(["run", "--server", `sip:127.0.0.1:${port}`, "--user", "door", "--listen", `127.0.0.1:${port}`], 15_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(`doorsip run: bind EADDRINUSE 127.0.0.1:${port}: another program (a softphone, a PBX, another doorsip) has UDP port ${port}; ` +
        "give the door another with --listen, e.g. --listen 0.0.0.0:5062 (--listen defaults to 0.0.0.0:5060 with --server)\n");
    } finally {
      taken.close();
    }
  }, 30_000);
});

describe("files that cannot be written or read", () => {
  it("name their option", async () => {
    const missing = join(tmp, "no-such-dir");
    const pcap = await runDoorsip(["run", "--pcap", join(missing, "x.pcap")], 15_000);
    expect(pcap.code).toBe(1);
    expect(pcap.stderr).toBe(`doorsip run: --pcap ${join(missing, "x.pcap")}: cannot write it (ENOENT)\n`);
    const speaker = await runDoorsip(["run", "--speaker", join(missing, "x.wav")], 15_000);
    expect(speaker.code).toBe(1);
    expect(speaker.stderr).toBe(`doorsip run: --speaker ${join(missing, "x.wav")}: cannot write it (ENOENT)\n`);
    // Said once, not "--mic: --mic tone:abc".
    expect(() => plan({ mic: "tone:abc" })).toThrow(/^--mic tone:abc: expected tone:HZ, e\.g\. tone:440$/);
  }, 30_000);
});

describe("--transfers", () => {
  it("on by default; off makes the core decline every REFER (calls.allowRefer); another value names the choices", () => {
    expect(plan({}).settings.calls?.allowRefer).toBe(true);
    expect(plan({ transfers: "on" }).settings.calls?.allowRefer).toBe(true);
    expect(plan({ transfers: "off" }).settings.calls?.allowRefer).toBe(false);
    expect(() => plan({ transfers: "no" })).toThrow(/^--transfers must be on or off \(got no\)$/);
  });
});

describe("--config", () => {
  it("an unknown key is an error naming it and the key meant; the password is not printed", async () => {
    const file = join(tmp, "typo.json");
    writeFileSync(file, JSON.stringify({ server: "sip:127.0.0.1", user: "door", pasword: "s3cret-Pw" }));
    const r = await runDoorsip(["run", "--config", file], 15_000);
    expect(r.code).toBe(2);
    expect(ends(r.stderr)[1]).toMatch(new RegExp(`^doorsip run: --config ${file}: unknown setting "pasword" \\(did you mean "password"\\?\\); the file takes server, user, password, `));
    expect(r.stderr + r.stdout).not.toContain("s3cret-Pw");
  }, 30_000);

  it("takes the options' names and their camelCase, and checks targets as --target does", () => {
    const file = join(tmp, "good.json");
    writeFileSync(file, JSON.stringify({ server: "sip:127.0.0.1:5070", user: "door", password: "pw", doorCode: "4711#", targets: ["100@pbx.example", "101"], authUser: "Gt5sK2x" }));
    const p = plan({ config: file });
    expect(p.doorCode).toBe("4711#");
    expect(p.settings.targets).toEqual(["sip:100@pbx.example", "101"]);
    expect(p.settings.account).toMatchObject({ registrarHost: "127.0.0.1", registrarPort: 5070, user: "door", authUser: "Gt5sK2x" });
  });
});

describe("--target", () => {
  it("user@host gets its sip:, lists are split, the scheme is lower-cased, extensions stay", () => {
    expect(normalTargets(["100@pbx.example"])).toEqual(["sip:100@pbx.example"]);
    expect(normalTargets(["100, 101", "sip:102@pbx"])).toEqual(["100", "101", "sip:102@pbx"]);
    expect(normalTargets(["SIP:100@pbx", "sips:103@pbx"])).toEqual(["sip:100@pbx", "sips:103@pbx"]);
    expect(normalTargets(["**610"])).toEqual(["**610"]);
  });

  it("what is neither an extension nor a SIP URI is a usage error", async () => {
    expect(() => normalTargets(["tel:+4930123"])).toThrow(/only sip: and sips: URIs/);
    expect(() => normalTargets(["1 00"])).toThrow(/no spaces/);
    expect(() => normalTargets(["10#"])).toThrow(/an extension holds letters, digits/);
    const r = await runDoorsip(["run", "--target", "tel:+4930123"], 15_000);
    expect(r.code).toBe(2);
    expect(ends(r.stderr)[1]).toBe(`doorsip run: --target "tel:+4930123": only sip: and sips: URIs can be called (or an extension, such as 100)`);
  }, 30_000);
});

describe("a failed registration", () => {
  const account = { registrarHost: "192.0.2.7", registrarPort: 5062, user: "door", password: "" };

  it("registrationHint: which options to check, by status", () => {
    expect(registrationHint("401", account, undefined)).toBe(
      "the server refused the door's credentials (401): check --user door and --password (none was given), and --auth-user if the PBX gives an authentication ID apart from the extension (3CX)");
    expect(registrationHint("407", { ...account, authUser: "Gt5" }, "pw")).toBe(
      "the server refused the door's credentials (407): check --user door and --password and --auth-user Gt5");
    expect(registrationHint("403", account, "pw")).toBe("the server forbids this registration (403): check --user door, --password and --domain (default: the server's host)");
    expect(registrationHint("404", { ...account, domain: "pbx.example" }, "pw")).toMatch(/does not know door@pbx\.example \(404\)/);
    expect(registrationHint("408", { ...account, serverName: "pbx.example" }, "pw")).toMatch(/^no answer from pbx\.example:5062 \(408\): check the address and port in --server/);
    expect(registrationHint("500", account, "pw")).toBeUndefined();
  });

  it("against a real server with a wrong password (the loopback PBX answers 403): the hint once, a ladder of door and server, keys without the desk phone", async () => {
    const pbx = await LoopbackPbx.start({ phoneUser: false, users: [{ user: "door", password: "right-pass" }] });
    const door = spawnDoorsip(["run", "--server", `sip:${pbx.door.server}`, "--user", "door", "--password", "wrong-pass", "--listen", "127.0.0.1:0", "--ascii"]);
    const { child, exited, until } = door;
    try {
      await until(/door: registration failed \(403\)\n.*\n/, 15_000);
      expect(door.out(), door.err()).toContain("door: registration failed (403)\ndoorsip: the server forbids this registration (403): check --user door, --password and --domain (default: the server's host)\n");
      expect(door.out()).toMatch(/^\s+time door\s+server\s*$/m);
      expect(door.out()).toContain("doorsip: no --target: the doorbell calls nobody\n");
      expect(door.out()).not.toMatch(/phone/);
      expect(door.out()).toContain("keys: b/Enter = doorbell, h = hang up, q = quit\n");
      expect(door.out()).toMatch(/\|<-403 Forbidden \(REGISTER\)-*\|/);
      // 50 characters between the columns: long reasons are not cut.
      expect(door.out()).toMatch(/^\s+\d+\.\d{3} \|-REGISTER-{35,}>\| [0-9a-f]{8}$/m);
      expect(door.out() + door.err()).not.toContain("wrong-pass");
      child.stdin.write("call\n");
      child.stdin.write("x\n");
      child.stdin.write("quit\n");
      const code = await Promise.race([exited, new Promise<string>((r) => setTimeout(() => r("timeout"), 15_000))]);
      expect(code, door.out() + door.err()).toBe(0);
      expect(door.out()).toContain("doorsip: no desk phone (a real server is configured)");
      expect(door.out()).toContain('doorsip: unknown command "x" (press, hangup, quit)');
      expect(door.out().split("forbids").length - 1).toBe(1);
      // Quit after the failure: nothing was registered, so no status that reads as the unregister's own answer.
      expect(door.out()).toMatch(/door: unregistered\n/);
      expect(door.out()).not.toContain("unregistered (403)");
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
      await pbx.stop();
    }
  }, 45_000);
});
