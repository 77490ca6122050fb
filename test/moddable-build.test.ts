/*
 * The Moddable side: manifest.json and boards/ (always checked, no SDK
 * needed), and, when $MODDABLE points at a built Moddable SDK, a real
 * `mcconfig -d -m -p lin -t build` into a temporary directory followed by a
 * run of the app in the Linux simulator (mcsim under xvfb-run) that pokes
 * the SIP and control ports on 127.0.0.1 and reads the log from stdout. The
 * simulator's audio is files (hosts/moddable/audio/files.ts): its microphone
 * a 600 Hz tone, its speaker a WAV file. In the doorbell call the built-in
 * PBX's desk phone sends 800 Hz as RTP, which must be in the speaker file
 * (Goertzel), and must get the door's 600 Hz, its RTP in order, and its
 * RFC 4733 "#" confirming the door opening.
 *
 * Nothing of the SDK lives in this repository: the SDK is found through
 * $MODDABLE only (its tools in $MODDABLE/build/bin/lin/release, built with
 * `cd $MODDABLE/build/makefiles/lin && make`). Always `-t build`: the default
 * target of the lin makefile runs `pkill mcsim`/`pkill serial2xsbug`, and this
 * test must not end processes by name. The simulator it starts runs in a
 * process group of its own and is stopped through that group's id.
 */
import { describe, expect, it } from "vitest";
import { createSocket } from "node:dgram";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { LoopbackPbx, mediaProblems, type PacketEvent } from "../hosts/node/pbx/index";
import { eventProblems } from "../hosts/node/pbx/phone-media";
import { readWav } from "../hosts/node/audio/wav";
import { blocksWithTone, dominant } from "./interop/audio/signal";
import { FLASH_PIN_FIRST, FLASH_PIN_LAST, pinRefusal } from "../hosts/moddable/gpio_guard";
import { canRunSim, freePort, haveSdk, root, run, sdkEnv, sdkSkipReason, startSimulator, stopGroup, tools } from "./support/moddable-sim";

/** The simulator door's microphone (mic=tone:600, hosts/moddable/audio/files.ts) and the desk phone's tone. */
const DOOR_HZ = 600;
const PHONE_HZ = 800;
const RATE = 8000;

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
      const store = isObject(entry) && isObject(entry.modules) ? entry.modules["hosts/moddable/preference_store"] : undefined;
      // The simulator's own file reader (the SDK's lin module reads its file when loaded: at build time, preloaded).
      expect(store, `${platform} maps hosts/moddable/preference_store`).toBe(platform === "lin" ? "./hosts/moddable/preference_file" : "./hosts/moddable/preference_sdk");
    }
  });

  it("every ESP32 board merges the project's ESP-IDF options: IPv4 reassembly on, so a SIP message in fragments arrives", () => {
    // mcconfig merges $(SDKCONFIGPATH)/sdkconfig.defaults over the SDK's own (documentation/tools/manifest.md,
    // "How sdkconfig files are processed"); "./" is the manifest's directory (tools/mcmanifest.js, parseBuild).
    for (const platform of BOARD_PLATFORMS.filter((p) => p.startsWith("esp32"))) {
      const entry = platforms[platform];
      const path = isObject(entry) && isObject(entry.build) ? entry.build.SDKCONFIGPATH : undefined;
      expect(path, `${platform} sets build.SDKCONFIGPATH`).toBe("./boards/sdkconfig");
    }
    const options = readFileSync(join(root, "boards", "sdkconfig", "sdkconfig.defaults"), "utf8").split("\n").filter((l) => l.startsWith("CONFIG_"));
    expect(options).toContain("CONFIG_LWIP_IP4_REASSEMBLY=y");
  });

  it("release builds of every ESP32 board turn the task watchdog on; debug builds do not (a stopped debugger is not reset)", () => {
    // mcconfig merges $(SDKCONFIGPATH)/sdkconfig.defaults.release on release builds only (tools/mcmanifest.js,
    // generateConfigurationRules); the SDK leaves the watchdog off (xsProj-esp32/sdkconfig.defaults).
    const options = (name: string): string[] =>
      readFileSync(join(root, "boards", "sdkconfig", name), "utf8").split("\n").filter((l) => l.startsWith("CONFIG_"));
    const release = options("sdkconfig.defaults.release");
    for (const option of ["CONFIG_ESP_TASK_WDT_EN=y", "CONFIG_ESP_TASK_WDT_INIT=y", "CONFIG_ESP_TASK_WDT_PANIC=y"]) expect(release).toContain(option);
    const timeout = release.find((l) => l.startsWith("CONFIG_ESP_TASK_WDT_TIMEOUT_S="));
    expect(Number(timeout?.split("=")[1])).toBeGreaterThanOrEqual(2); // the SDK caps its waits at timeout - 1 s (xsHost.c)
    expect(options("sdkconfig.defaults").filter((l) => l.startsWith("CONFIG_ESP_TASK_WDT"))).toEqual([]);
  });

  it("other ESP32 targets fall back to an esp32/* entry, after every named one, with DevKitC pins, no audio and a warning", () => {
    // matchPlatform (tools/mcmanifest.js) returns the first key, in object order, that matches: "esp32/*" before
    // "esp32/m5atom_echo" would take the Atom Echo too.
    const keys = Object.keys(platforms);
    const star = keys.indexOf("esp32/*");
    expect(star, "an esp32/* entry").toBeGreaterThanOrEqual(0);
    for (const key of keys) if (key.startsWith("esp32/") && key !== "esp32/*") expect(keys.indexOf(key), key).toBeLessThan(star);
    const entry = platforms["esp32/*"];
    const plain = platforms.esp32;
    expect(isObject(entry) && isObject(plain)).toBe(true);
    expect((entry as JsonObject).include).toEqual((plain as JsonObject).include);
    expect((entry as JsonObject).modules).toEqual((plain as JsonObject).modules);
    expect(String((entry as JsonObject).warning)).toMatch(/no board file.*DevKitC/);
    // Many SDK targets bring their own sdkconfig directory (USB console, PSRAM): the fallback must not replace it.
    expect((entry as JsonObject).build).toBeUndefined();
  });

  it("no ESP32 board has audio yet: each maps audio/none and includes none of the SDK's ECMA-419 audio modules", () => {
    // Atom Echo: the io audioin C file is dropped for the target's pins/audioin of the same base name, so it would
    // not link; LyraT: no ES8388 set-up and two I2S controllers for one codec (boards/README.md, "Audio").
    for (const platform of Object.keys(platforms).filter((p) => p.startsWith("esp32"))) {
      const entry = platforms[platform] as JsonObject;
      expect((entry.modules as JsonObject)["hosts/moddable/audio/board"], platform).toBe("./hosts/moddable/audio/none");
      const file = boardFileOf(platform)!;
      const board = readJson(file);
      const includes = [...asList(entry.include), ...asList(board.include)].map(String);
      expect(includes.filter((i) => i.includes("modules/io/audio")), file).toEqual([]);
      expect(isObject(board.defines) ? Object.keys(board.defines) : [], file).not.toContain("audioIn");
      expect(isObject(board.defines) ? Object.keys(board.defines) : [], file).not.toContain("audioOut");
    }
  });

  it("boots without SNTP: nothing needs wall time, and a LAN without internet must not delay the door by 25 s", () => {
    // The SDK's setup/network asks sntp before main unless config.sntp is empty (build/devices/esp32/setup/network.js).
    const config = isObject(manifest.config) ? manifest.config : {};
    expect(config.sntp).toBe("");
  });

  it("lists every directory of the core and every module of the Moddable host", () => {
    // mcconfig's "*" matches one directory, not a tree (tools/mcmanifest.js, Rule.iterate):
    // each directory of src/ needs its own entry, named like its path so relative imports resolve.
    for (const dir of dirsWithTs(join(root, "src"))) {
      expect(modules[`${dir}/*`], `modules["${dir}/*"]`).toBe(`./${dir}/*`);
    }
    const host = join(root, "hosts", "moddable");
    for (const name of readdirSync(host)) {
      // pins_* and preference_* are mapped per platform (above), as hosts/moddable/pins and preference_store.
      if (!name.endsWith(".ts") || name.endsWith(".d.ts") || name.startsWith("pins_") || name.startsWith("preference_")) continue;
      const id = `hosts/moddable/${name.slice(0, -3)}`;
      expect(modules[id], `modules["${id}"]`).toBe(`./${id}`);
    }
  });

  it("has SIP defaults in config, with keys short enough for ESP32 NVS preferences", () => {
    const config = isObject(manifest.config) ? manifest.config : {};
    for (const key of ["sip_server", "sip_port", "sip_user", "sip_password", "sip_auth_user", "sip_domain", "sip_proxy", "call_target",
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
      // The ESP32 host never configures a flash pin (hosts/moddable/gpio_guard.ts): no board may use one.
      for (const pin of used) expect(pinRefusal(pin), `GPIO${pin}`).toBe("");
      if (platform === "lin") {
        // No GPIO in the simulator: the control port stands in for the button.
        expect(Number.isInteger(config.ctl_port) && (config.ctl_port as number) > 0).toBe(true);
      } else {
        for (const key of PIN_KEYS) expect(config[key] as number, key).toBeGreaterThanOrEqual(0);
      }
    });
  }
});

describe("ESP32 pins the host refuses (hosts/moddable/gpio_guard.ts)", () => {
  it("refuses exactly the SPI flash pins GPIO 6-11, which would crash the chip; the SDK itself refuses the rest", () => {
    const refused: number[] = [];
    for (let pin = -1; pin <= 48; pin++) if (pinRefusal(pin) !== "") refused.push(pin);
    expect(refused).toEqual([6, 7, 8, 9, 10, 11]);
    expect([FLASH_PIN_FIRST, FLASH_PIN_LAST]).toEqual([6, 11]);
    expect(pinRefusal(7)).toMatch(/GPIO 7 is an SPI flash pin/);
  });
});

// ---------------------------------------------------------------------------

if (!haveSdk) console.log(`moddable-build: skipping the mcconfig build and simulator run: ${sdkSkipReason}`);

/** Bind a UDP port on 127.0.0.1 and give it back: did it bind? */
function udpFree(port: number): Promise<boolean> {
  return new Promise((done) => {
    const s = createSocket("udp4");
    s.once("error", () => done(false));
    s.bind(port, "127.0.0.1", () => s.close(() => done(true)));
  });
}

/**
 * A first RTP port for rtp_port: even (RFC 3550 §11), with the RTP and RTCP
 * ports of every call slot (`slots` pairs) free now.
 */
async function freeRtpBase(slots: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort("udp");
    const base = port - (port % 2);
    if (base < 1024 || base + 2 * slots > 65535) continue;
    let free = true;
    for (let p = base; p < base + 2 * slots && free; p++) free = await udpFree(p);
    if (free) return base;
  }
  throw new Error("no free even UDP port range for RTP");
}

/** The first line of a datagram, as text. */
function firstLineOf(bytes: Uint8Array): string {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString("latin1");
  const end = text.indexOf("\r\n");
  return end < 0 ? text : text.slice(0, end);
}

/**
 * mcconfig for the ESP32 boards, as far as it goes without ESP-IDF: it resolves the manifests, writes mc.config.js,
 * the makefile and the merged sdkconfig, then stops at "$IDF_PATH not set" (tools/mcconfig.js), before any
 * compiler runs (IDF_PATH is removed from its environment, so it never starts an ESP-IDF build).
 */
describe("mcconfig for the ESP32 boards (manifest resolution, no ESP-IDF)", () => {
  const cases = [
    { p: "esp32", dir: "esp32", debug: true },
    { p: "esp32", dir: "esp32", debug: false },
    { p: "esp32/m5atom_echo", dir: "esp32/m5atom_echo", debug: true },
    { p: "esp32/m5atom_echo", dir: "esp32/m5atom_echo", debug: false },
    { p: `esp32:${join(root, "boards", "esp32_lyrat").toLowerCase()}`, dir: "esp32/esp32_lyrat", debug: true },
    // No board entry: the esp32/* fallback.
    { p: "esp32/m5atom_lite", dir: "esp32/m5atom_lite", debug: true },
  ];
  for (const c of cases) {
    it.skipIf(!haveSdk)(`-p ${c.p.startsWith("esp32:") ? "esp32:<repo>/boards/esp32_lyrat" : c.p}${c.debug ? " -d" : ""}`, async () => {
      const out = mkdtempSync(join(tmpdir(), "doorsip-esp32-"));
      try {
        const env = sdkEnv();
        delete env.IDF_PATH;
        const result = await run(join(tools, "mcconfig"), [...(c.debug ? ["-d"] : []), "-m", "-p", c.p, "-t", "build", "-o", out,
          "ssid=x", "password=y", "sip_server=192.168.1.10"], env, root);
        // The only error is the missing ESP-IDF, after everything this project decides.
        const errors = result.output.split("\n").filter((l) => l.startsWith("### Error"));
        expect(errors.length, result.output).toBe(1);
        expect(errors[0]).toContain("$IDF_PATH not set");
        const fallback = c.dir === "esp32/m5atom_lite";
        expect(result.output.includes("# warning: doorsip: no board file"), result.output).toBe(fallback);
        const build = join(out, "tmp", c.dir, c.debug ? "debug" : "release", "doorsip");
        const config = readFileSync(join(build, "mc.config.js"), "utf8");
        expect(config).toMatch(/"sntp": ""/);
        expect(config).toMatch(/"relay_pin": (26|13)\b/);
        const makefile = readFileSync(join(build, "makefile"), "utf8");
        // No ECMA-419 audio on any board yet (and so nothing for the Atom Echo's link to lose).
        expect(makefile).not.toContain("modules/io/audioin");
        expect(makefile).not.toContain("modules/io/audioout");
        expect(makefile).toMatch(/hosts\/moddable\/audio\/board\.xsb: \S*\/hosts\/moddable\/audio\/none\.js/);
        // The pins are made by setup/doorsip (hosts/moddable/boot.ts), which runs after the target's own setup
        // (setup modules run in the order of this list: it is the order of the linked scripts).
        const list = [...makefile.matchAll(/\$\(MODULES_DIR\)\/setup\/(\w+)\.xsb\\/g)].map((m) => m[1]);
        expect(list).toContain("doorsip");
        expect(list).toContain("network");
        expect(list.indexOf("doorsip")).toBe(list.length - 1);
        expect(makefile).toMatch(/hosts\/moddable\/boot\.xsb:/);
        // The merged ESP-IDF options: ours on every board that has an entry, the watchdog in release builds only.
        const sdkconfig = readFileSync(join(build, "xsProj-esp32", "sdkconfig.mc"), "utf8").split("\n");
        expect(sdkconfig.includes("CONFIG_LWIP_IP4_REASSEMBLY=y")).toBe(!fallback);
        expect(sdkconfig.includes("CONFIG_ESP_TASK_WDT_EN=y")).toBe(!fallback && !c.debug);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
    }, 60_000);
  }
});

describe("mcconfig build for the Linux simulator", () => {
  let out = "";
  let ports = { sip: 0, ctl: 0, xsbug: 0, pbx: 0, rtp: 0 };

  it.skipIf(!haveSdk)("builds with mcconfig -d -m -p lin -t build", async () => {
    out = mkdtempSync(join(tmpdir(), "doorsip-moddable-"));
    ports = { sip: await freePort("udp"), ctl: await freePort("udp"), xsbug: await freePort("tcp"), pbx: await freePort("udp"), rtp: await freeRtpBase(2) };
    // mcconfig runs tsc from PATH for .ts modules: the project's TypeScript comes first.
    const env = sdkEnv();
    // Configured against the built-in loopback PBX the run below starts on ports.pbx (hosts/node/pbx: extension door,
    // which authenticates as doorauth/doorpass, as 3CX gives an authentication ID; desk phone 100, domain 127.0.0.1). Keepalive off, so that the SIP trace holds registration and the call only.
    // tx_clients=6: with the default 4 the doorbell call cannot answer the PBX's 407 right after registering. The
    // simulator's Via carries the host's own address, so the PBX's received=127.0.0.1 makes it register a third time
    // (three REGISTER client transactions held for Timer K, 5 s) and the challenged INVITE holds the fourth (Timer D,
    // 32 s): "client pool full", the call ends with 407.
    const result = await run(join(tools, "mcconfig"), [
      "-d", "-m", "-p", "lin", "-t", "build", "-o", out,
      `sip_local_port=${ports.sip}`, `ctl_port=${ports.ctl}`,
      `sip_server=127.0.0.1:${ports.pbx}`, `sip_domain=127.0.0.1`, `sip_user=door`, `sip_auth_user=doorauth`, `sip_password=doorpass`,
      `call_target=100`, `door_code=#`, `door_open_ms=500`, `keepalive=0`, `tx_clients=6`,
      // RTP and RTCP of the 2 call slots on ports free now (rtp_port, rtp_port + 1, + 2, + 3).
      `max_calls=2`, `rtp_port=${ports.rtp}`,
      // A heap line (after a GC) every second, to read the heap once the call is over.
      `heap_ms=1000`,
      // The file audio of the simulator: a tone as the microphone, a WAV file as the speaker.
      `mic=tone:${DOOR_HZ}`, `speaker=${join(out, "speaker.wav")}`,
    ], env, root);
    if (result.code !== 0) console.log(result.output.slice(-6000));
    expect(result.code).toBe(0);
    expect(existsSync(join(out, "bin", "lin", "mc", "debug", "doorsip", "mc.so"))).toBe(true);
  }, 900_000);

  const canRun = canRunSim;
  if (haveSdk && !canRun) console.log("moddable-build: skipping the simulator run: needs stdbuf, and xvfb-run without a DISPLAY (apt-get install xvfb coreutils)");

  it.skipIf(!canRun)("runs in mcsim: registers at a real registrar under its authentication ID (401, 200); a press on the control port makes a doorbell call with audio both ways (files) and an RFC 4733 '#'", async () => {
    const so = join(out, "bin", "lin", "mc", "debug", "doorsip", "mc.so");
    expect(existsSync(so), "the build test ran first").toBe(true);
    // The registrar: the built-in loopback PBX (digest auth, a desk phone at 100 that answers and types "#").
    const packets: PacketEvent[] = [];
    // The phone sends its tone as RTP for the whole call and types the code after 2.5 s of audio both ways; it hangs
    // up 2 s later, after the door's 800 ms confirmation tone and its RFC 4733 "#".
    // The door's extension authenticates under another name (sip_auth_user): only doorauth's credentials register it.
    const pbx = await LoopbackPbx.start({
      port: ports.pbx, tap: (ev) => packets.push(ev), ringMs: 50, answerMs: 200, dtmfDelayMs: 2500, hangupMs: 2000,
      toneHz: PHONE_HZ, toneMs: 60_000,
      users: [{ user: "door", password: "doorpass", authId: "doorauth" }, { user: "100", password: "deskpass" }],
    });
    const phone = pbx.phone!;
    let phoneSummary = "";
    let heapSummary = "";
    const door = `127.0.0.1:${ports.sip}`;
    const toPbx = (): string[] => packets.filter((p) => p.from === door && pbx.label(p.to) === "pbx").map((p) => firstLineOf(p.bytes));
    const toDoor = (): string[] => packets.filter((p) => p.to === door).map((p) => firstLineOf(p.bytes));
    // mcsim opens each path it is given (tools/mcsim/main.js, onOpenFile): a directory of simulators, or an app's
    // mc.so, which it dlopens (modules/piu/PC/Screen/lin/piuScreen.c). Without a display it runs under xvfb-run.
    // trace() goes to stdout (xs/sources/xsDebug.c, fxReport); stdbuf makes it line-buffered.
    // XSBUG_PORT points the debug build at a port nobody listens on, so it never waits for xsbug.
    // XDG_CONFIG_HOME: mcsim's own preferences go to the test's directory, not the user's.
    const child = startSimulator(so, ports.xsbug, out);
    let log = "";
    child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
    child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
    const udp = createSocket("udp4");
    const trace = (): string => `--- simulator (pid ${child.pid}) log:\n${log.slice(-8000)}\n--- SIP at the PBX:\n` +
      packets.map((p) => `${p.from} -> ${p.to}: ${firstLineOf(p.bytes)}`).join("\n");
    try {
      const waitFor = async (cond: () => boolean, ms: number): Promise<boolean> => {
        const end = Date.now() + ms;
        while (Date.now() < end) {
          if (cond()) return true;
          if (child.exitCode !== null || child.signalCode !== null) return cond();
          await new Promise((r) => setTimeout(r, 50));
        }
        return cond();
      };
      const logged = (text: string, ms: number): Promise<boolean> => waitFor(() => log.includes(text), ms);
      expect(await logged("listening on", 30_000), trace()).toBe(true);
      expect(log).toContain("sip door@127.0.0.1 via 127.0.0.1:" + ports.pbx + ", auth user doorauth,");
      expect(log).toContain(`audio: microphone a ${DOOR_HZ} Hz tone, speaker ${join(out, "speaker.wav")}`);
      expect(await logged("self-test: clock woke after", 5_000), trace()).toBe(true);
      expect(log).toContain("self-test: md5 ok, sha-256 ok");

      // RFC 3261 §10.2 against the registrar: REGISTER, 401, REGISTER with credentials (MD5 in the device's crypt), 200.
      expect(await waitFor(() => toDoor().includes("SIP/2.0 200 OK") && toPbx().filter((l) => l.startsWith("REGISTER ")).length >= 2, 15_000), trace()).toBe(true);
      expect(toPbx().slice(0, 2)).toEqual(["REGISTER sip:127.0.0.1 SIP/2.0", "REGISTER sip:127.0.0.1 SIP/2.0"]);
      expect(toDoor().slice(0, 2)).toEqual(["SIP/2.0 401 Unauthorized", "SIP/2.0 200 OK"]);
      expect(pbx.server.lookup("door").length).toBe(1);

      // A datagram from elsewhere reaches the SIP socket (logged by the debug tap).
      udp.send(Buffer.from("OPTIONS sip:door@127.0.0.1 SIP/2.0\r\n\r\n"), ports.sip, "127.0.0.1");
      expect(await logged("sip: 38 bytes from 127.0.0.1:", 5_000), trace()).toBe(true);

      // The doorbell through the simulator's control port: an INVITE to the desk phone through the PBX, answered;
      // the phone types "#", the door opens.
      const reply = new Promise<string>((done) => udp.once("message", (m: Buffer) => done(m.toString())));
      udp.send(Buffer.from("press"), ports.ctl, "127.0.0.1");
      expect(await Promise.race([reply, new Promise<string>((r) => setTimeout(() => r("(no reply)"), 5_000))])).toBe("ok press\n");
      expect(await logged("doorbell released", 5_000), trace()).toBe(true);
      expect(log).toContain("doorbell pressed");
      expect(await waitFor(() => toPbx().some((l) => l === "INVITE sip:100@127.0.0.1 SIP/2.0"), 10_000), trace()).toBe(true);
      expect(await logged("relay ON (door open)", 15_000), trace()).toBe(true);

      // The call's audio: the phone's end of the call, and what it got from the door.
      expect(await waitFor(() => phone.history.some((h) => h.type === "ended"), 15_000), trace()).toBe(true);
      const callId = phone.history.find((h) => h.type === "ended")!.callId;
      const report = phone.mediaReport(callId);
      expect(report, trace()).toBeDefined();
      // The door's RTP from the simulator: G.711 in 20 ms packets, in step, one SSRC, from the SDP's port.
      expect(mediaProblems(report!, 100), trace()).toEqual([]);
      // Call slot 0's RTP port is the configured rtp_port, advertised in the door's SDP.
      expect(report!.remote.endsWith(`:${ports.rtp}`), report!.remote).toBe(true);
      // What the phone decoded: the simulator's microphone tone.
      expect(dominant(report!.samples, 0, RATE, [425, DOOR_HZ, PHONE_HZ, 1000, 1400], RATE)).toBe(DOOR_HZ);
      expect(blocksWithTone(report!.samples, 800, DOOR_HZ, RATE, 0.6, 1000)).toBeGreaterThan(15);
      // The door confirmed the opening with an RFC 4733 "#" (telephone-event was agreed).
      expect(report!.eventsSeen.map((e) => e.digit), trace()).toEqual(["#"]);
      expect(eventProblems(report!)).toEqual([]);
      expect(await logged("media: call 0:", 5_000), trace()).toBe(true);
      // The heap once the call is over, registered and idle, after a GC (hosts/moddable/heap.ts): it fits the
      // manifest's creation sizes (a slot is 32 bytes in the 64-bit simulator, 16 on the ESP32).
      const callOver = log.length;
      const HEAP_LINE = /heap: slots (\d+) B, chunks (\d+) B, keys \d+; [^\n]*calls 0, registered/;
      expect(await waitFor(() => HEAP_LINE.test(log.slice(callOver)), 5_000), trace()).toBe(true);
      const heapLine = HEAP_LINE.exec(log.slice(callOver))!;
      const slots = Number(heapLine[1]) / 32;
      const chunks = Number(heapLine[2]);
      const creation = manifest.creation as { heap: { initial: number }; chunk: { initial: number } };
      expect(slots).toBeLessThanOrEqual(creation.heap.initial);
      expect(chunks).toBeLessThanOrEqual(creation.chunk.initial);
      heapSummary = `idle after the call: ${slots} slots (of heap.initial ${creation.heap.initial}), ${chunks} chunk bytes (of chunk.initial ${creation.chunk.initial})`;
      phoneSummary = `the phone got ${report!.received} RTP packets from the simulator (${blocksWithTone(report!.samples, 800, DOOR_HZ, RATE, 0.6, 1000)} ` +
        `blocks of 100 ms with ${DOOR_HZ} Hz, ${report!.skippedFrames} frames skipped) and ${report!.eventsReceived} RFC 4733 packets`;
    } finally {
      udp.close();
      await stopGroup(child);
      await pbx.stop();
    }
    expect(child.exitCode !== null || child.signalCode !== null).toBe(true);
    // The simulator's speaker file: a valid WAV (its header is brought up to date when the call's media stops)
    // holding the phone's tone, received as RTP, through the jitter buffer, played by the core.
    const heard = readWav(join(out, "speaker.wav")).samples;
    console.log(`moddable-build: ${phoneSummary}; the speaker file holds ${(heard.length / RATE).toFixed(2)} s, ` +
      `${blocksWithTone(heard, 800, PHONE_HZ, RATE, 0.6, 1000)} blocks of 100 ms with ${PHONE_HZ} Hz; heap ${heapSummary}`);
    expect(heard.length).toBeGreaterThan(RATE * 3);
    expect(dominant(heard, RATE, RATE, [425, DOOR_HZ, PHONE_HZ, 1000, 1400], RATE)).toBe(PHONE_HZ);
    expect(blocksWithTone(heard, 800, PHONE_HZ, RATE, 0.6, 1000)).toBeGreaterThan(15);
  }, 120_000);

  it.skipIf(!haveSdk)("cleans up the temporary build", () => {
    if (out !== "") rmSync(out, { recursive: true, force: true });
  });
});
