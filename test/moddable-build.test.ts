/*
 * The Moddable side: manifest.json and boards/ (always checked, no SDK
 * needed), and, when $MODDABLE points at a built Moddable SDK, a real
 * `mcconfig -d -m -p lin -t build` into a temporary directory followed by a
 * run of the app in the Linux simulator (mcsim under xvfb-run) that pokes
 * the SIP and control ports on 127.0.0.1 and reads the log from stdout.
 *
 * Nothing of the SDK lives in this repository: the SDK is found through
 * $MODDABLE only (its tools in $MODDABLE/build/bin/lin/release, built with
 * `cd $MODDABLE/build/makefiles/lin && make`). Always `-t build`: the default
 * target of the lin makefile runs `pkill mcsim`/`pkill serial2xsbug`, and this
 * test must not end processes by name. The simulator it starts runs in a
 * process group of its own and is stopped through that group's id.
 */
import { describe, expect, it } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";

const root = resolve(__dirname, "..");

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readJson(path: string): JsonObject {
  const value: Json = JSON.parse(readFileSync(path, "utf8"));
  if (!isObject(value)) throw new Error(`${path}: not a JSON object`);
  return value;
}

function asList(value: Json | undefined): Json[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

const manifest = readJson(join(root, "manifest.json"));
const platforms = isObject(manifest.platforms) ? manifest.platforms : {};
const modules = isObject(manifest.modules) ? manifest.modules : {};

/** The board file a platform entry includes (the one under ./boards/). */
function boardFileOf(platform: string): string | undefined {
  const entry = platforms[platform];
  if (!isObject(entry)) return undefined;
  const include = asList(entry.include).find((x): x is string => typeof x === "string" && x.startsWith("./boards/"));
  return include === undefined ? undefined : join(root, include);
}

/** The pin keys of boards/*.json, as hosts/moddable/settings.ts reads them. */
const PIN_KEYS = ["button_pin", "relay_pin", "led_pin"] as const;
const AUDIO_PIN_KEYS = ["i2s_mclk", "i2s_bclk", "i2s_lrck", "i2s_dout", "i2s_din", "pa_pin"] as const;
const BOARD_PLATFORMS = ["esp32", "esp32/m5atom_echo", "esp32/esp32_lyrat", "lin"];

function dirsWithTs(dir: string): string[] {
  const out: string[] = [];
  let hasTs = false;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...dirsWithTs(p));
    else if (name.endsWith(".ts") && !name.endsWith(".d.ts")) hasTs = true;
  }
  if (hasTs) out.push(relative(root, dir));
  return out;
}

describe("manifest.json", () => {
  it("is a Moddable manifest with the SDK's base, network and IO manifests", () => {
    const include = asList(manifest.include);
    expect(include).toContain("$(MODDABLE)/examples/manifest_base.json");
    expect(include).toContain("$(MODDABLE)/examples/manifest_net.json");
    expect(include).toContain("$(MODDABLE)/modules/io/manifest.json");
    expect(isObject(manifest.creation) && manifest.creation.main).toBe("hosts/moddable/main");
  });

  it("has the esp32 boards and the lin simulator as platforms, each with its board file", () => {
    for (const platform of BOARD_PLATFORMS) {
      expect(Object.keys(platforms), platform).toContain(platform);
      const file = boardFileOf(platform);
      expect(file, `${platform} includes a board file`).toBeDefined();
      expect(existsSync(file!), `${file} exists`).toBe(true);
      const entry = platforms[platform];
      const pins = isObject(entry) && isObject(entry.modules) ? entry.modules["hosts/moddable/pins"] : undefined;
      expect(pins, `${platform} maps hosts/moddable/pins`).toBe(platform === "lin" ? "./hosts/moddable/pins_sim" : "./hosts/moddable/pins_gpio");
    }
  });

  it("lists every directory of the core and every module of the Moddable host", () => {
    // mcconfig's "*" matches one directory, not a tree (tools/mcmanifest.js, Rule.iterate):
    // each directory of src/ needs its own entry, named like its path so relative imports resolve.
    for (const dir of dirsWithTs(join(root, "src"))) {
      expect(modules[`${dir}/*`], `modules["${dir}/*"]`).toBe(`./${dir}/*`);
    }
    const host = join(root, "hosts", "moddable");
    for (const name of readdirSync(host)) {
      if (!name.endsWith(".ts") || name.endsWith(".d.ts") || name.startsWith("pins_")) continue;
      const id = `hosts/moddable/${name.slice(0, -3)}`;
      expect(modules[id], `modules["${id}"]`).toBe(`./${id}`);
    }
  });

  it("has SIP defaults in config, with keys short enough for ESP32 NVS preferences", () => {
    const config = isObject(manifest.config) ? manifest.config : {};
    for (const key of ["sip_server", "sip_port", "sip_user", "sip_password", "sip_domain", "call_target",
      "door_code", "keepalive", "expires", "sip_local_port"]) {
      expect(Object.keys(config), key).toContain(key);
    }
    // "password" and "ssid" belong to the SDK's Wi-Fi setup.
    expect(Object.keys(config)).not.toContain("password");
    const keys = [...Object.keys(config)];
    for (const platform of Object.values(platforms)) {
      if (isObject(platform) && isObject(platform.config)) keys.push(...Object.keys(platform.config));
    }
    for (const key of keys) expect(key.length, key).toBeLessThanOrEqual(15);
  });
});

describe("boards", () => {
  for (const platform of BOARD_PLATFORMS) {
    it(`${platform}: the board file has the required pins, none used twice`, () => {
      const file = boardFileOf(platform)!;
      const board = readJson(file);
      expect(isObject(board.config), `${file} has config`).toBe(true);
      const config = board.config as JsonObject;
      expect(typeof config.board).toBe("string");
      for (const key of Object.keys(config)) expect(key.length, key).toBeLessThanOrEqual(15);
      expect(["up", "down", "none"]).toContain(config.button_pull);
      for (const key of ["button_active", "relay_active", "led_active"]) expect(["low", "high"], key).toContain(config[key]);
      expect(["gpio", "sk6812", "none"]).toContain(config.led_kind);
      const used: number[] = [];
      for (const key of [...PIN_KEYS, ...AUDIO_PIN_KEYS]) {
        const value = config[key];
        if (value === undefined && !(PIN_KEYS as readonly string[]).includes(key)) continue;
        expect(Number.isInteger(value), `${key} is an integer`).toBe(true);
        const pin = value as number;
        expect(pin, key).toBeGreaterThanOrEqual(-1);
        expect(pin, key).toBeLessThanOrEqual(48);
        if (pin >= 0) {
          expect(used, `${key} = GPIO${pin} is not used twice`).not.toContain(pin);
          used.push(pin);
        }
      }
      if (platform === "lin") {
        // No GPIO in the simulator: the control port stands in for the button.
        expect(Number.isInteger(config.ctl_port) && (config.ctl_port as number) > 0).toBe(true);
      } else {
        for (const key of PIN_KEYS) expect(config[key] as number, key).toBeGreaterThanOrEqual(0);
      }
    });
  }
});

// ---------------------------------------------------------------------------

const MODDABLE = process.env.MODDABLE ?? "";
const tools = join(MODDABLE, "build", "bin", "lin", "release");
const haveSdk = MODDABLE !== "" && existsSync(join(tools, "mcconfig"));
const skipReason = MODDABLE === ""
  ? "MODDABLE is not set"
  : `no mcconfig in ${tools} (build the SDK tools: cd $MODDABLE/build/makefiles/lin && make)`;
if (!haveSdk) console.log(`moddable-build: skipping the mcconfig build and simulator run: ${skipReason}`);

function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

function freePort(kind: "udp" | "tcp"): Promise<number> {
  return new Promise((done, fail) => {
    if (kind === "udp") {
      const s = createSocket("udp4");
      s.once("error", fail);
      s.bind(0, "127.0.0.1", () => {
        const port = s.address().port;
        s.close(() => done(port));
      });
    } else {
      const s = createServer();
      s.once("error", fail);
      s.listen(0, "127.0.0.1", () => {
        const address = s.address();
        const port = typeof address === "object" && address !== null ? address.port : 0;
        s.close(() => done(port));
      });
    }
  });
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("close", (code) => done({ code, output }));
  });
}

/** Stop the simulator's whole process group (xvfb-run, Xvfb, mcsim) by its id. */
function stopGroup(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null) return;
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    // already gone
  }
}

describe("mcconfig build for the Linux simulator", () => {
  let out = "";
  let ports = { sip: 0, ctl: 0, xsbug: 0 };

  it.skipIf(!haveSdk)("builds with mcconfig -d -m -p lin -t build", async () => {
    out = mkdtempSync(join(tmpdir(), "doorsip-moddable-"));
    ports = { sip: await freePort("udp"), ctl: await freePort("udp"), xsbug: await freePort("tcp") };
    // mcconfig runs tsc from PATH for .ts modules: the project's TypeScript comes first.
    const env = { ...process.env, MODDABLE, PATH: `${join(root, "node_modules", ".bin")}:${tools}:${process.env.PATH ?? ""}` };
    const result = await run(join(tools, "mcconfig"), [
      "-d", "-m", "-p", "lin", "-t", "build", "-o", out,
      `sip_local_port=${ports.sip}`, `ctl_port=${ports.ctl}`,
    ], env, root);
    if (result.code !== 0) console.log(result.output.slice(-6000));
    expect(result.code).toBe(0);
    expect(existsSync(join(out, "bin", "lin", "mc", "debug", "doorsip", "mc.so"))).toBe(true);
  }, 900_000);

  const canRun = haveSdk && hasCommand("xvfb-run") && hasCommand("stdbuf");
  if (haveSdk && !canRun) console.log("moddable-build: skipping the simulator run: needs xvfb-run and stdbuf (apt-get install xvfb coreutils)");

  it.skipIf(!canRun)("runs in mcsim: logs start-up, SIP datagrams and doorbell presses", async () => {
    const so = join(out, "bin", "lin", "mc", "debug", "doorsip", "mc.so");
    expect(existsSync(so), "the build test ran first").toBe(true);
    // trace() goes to stdout (xs/sources/xsDebug.c, fxReport); stdbuf makes it line-buffered.
    // XSBUG_PORT points the debug build at a port nobody listens on, so it never waits for xsbug.
    const child = spawn("xvfb-run", ["-a", "stdbuf", "-oL", "-eL", join(tools, "mcsim"), so], {
      detached: true, // a process group of its own, stopped by id in stopGroup
      env: { ...process.env, MODDABLE, XSBUG_HOST: "127.0.0.1", XSBUG_PORT: String(ports.xsbug) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let log = "";
    child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
    const udp = createSocket("udp4");
    try {
      const waitFor = async (text: string, ms: number): Promise<boolean> => {
        const end = Date.now() + ms;
        while (Date.now() < end) {
          if (log.includes(text)) return true;
          if (child.exitCode !== null) return false;
          await new Promise((r) => setTimeout(r, 100));
        }
        return log.includes(text);
      };
      expect(await waitFor(`listening on`, 30_000), log).toBe(true);
      expect(await waitFor("self-test: clock woke after", 5_000), log).toBe(true);
      expect(log).toContain("self-test: md5 ok, sha-256 ok");

      udp.send(Buffer.from("OPTIONS sip:door@127.0.0.1 SIP/2.0\r\n\r\n"), ports.sip, "127.0.0.1");
      expect(await waitFor("sip: 38 bytes from 127.0.0.1:", 5_000), log).toBe(true);

      const reply = new Promise<string>((done) => udp.once("message", (m: Buffer) => done(m.toString())));
      udp.send(Buffer.from("press"), ports.ctl, "127.0.0.1");
      expect(await Promise.race([reply, new Promise<string>((r) => setTimeout(() => r("(no reply)"), 5_000))])).toBe("ok press\n");
      expect(await waitFor("doorbell released", 5_000), log).toBe(true);
      expect(log).toContain("doorbell pressed");
    } finally {
      udp.close();
      stopGroup(child);
    }
  }, 120_000);

  it.skipIf(!haveSdk)("cleans up the temporary build", () => {
    if (out !== "") rmSync(out, { recursive: true, force: true });
  });
});
