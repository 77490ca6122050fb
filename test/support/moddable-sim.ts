/*
 * What a test needs to build the app with mcconfig and run it in the Linux
 * simulator (mcsim): the SDK found through $MODDABLE only, free ports, a
 * child's output, and stopping the simulator's process group by its id
 * (never by name: the SDK's own makefile target would `pkill mcsim`, hence
 * always `-t build`). The same steps as test/moddable-build.test.ts.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";

export const root = resolve(__dirname, "..", "..");
export const MODDABLE = process.env.MODDABLE ?? "";
export const tools = join(MODDABLE, "build", "bin", "lin", "release");
export const haveSdk = MODDABLE !== "" && existsSync(join(tools, "mcconfig"));
export const sdkSkipReason = MODDABLE === ""
  ? "MODDABLE is not set"
  : `no mcconfig in ${tools} (build the SDK tools: cd $MODDABLE/build/makefiles/lin && make)`;
export const headless = (process.env.DISPLAY ?? "") === "";

export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** The simulator can run here: the SDK, stdbuf, and xvfb-run without a display. */
export const canRunSim = haveSdk && hasCommand("stdbuf") && (!headless || hasCommand("xvfb-run"));

/** mcconfig's environment: the project's tsc first on PATH (it compiles each .ts module), then the SDK's tools. */
export function sdkEnv(): NodeJS.ProcessEnv {
  return { ...process.env, MODDABLE, PATH: `${join(root, "node_modules", ".bin")}:${tools}:${process.env.PATH ?? ""}` };
}

export function freePort(kind: "udp" | "tcp"): Promise<number> {
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

/** Run a command to its end; its exit code and output (stdout and stderr). */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    child.on("close", (code) => done({ code, output }));
  });
}

/** The app's mc.so of a debug build into `out`. */
export function simulatorApp(out: string, name = "doorsip"): string {
  return join(out, "bin", "lin", "mc", "debug", name, "mc.so");
}

/**
 * Start mcsim on an app (under xvfb-run without a display) in a process group of its own, its trace on stdout
 * line-buffered. XSBUG_PORT points the debug build at a port nobody listens on (it then never waits for xsbug);
 * XDG_CONFIG_HOME keeps mcsim's own preferences in `configHome`.
 */
export function startSimulator(so: string, xsbugPort: number, configHome: string): ChildProcess {
  const mcsim = [join(tools, "mcsim"), so];
  const command = headless ? ["xvfb-run", "-a", "stdbuf", "-oL", "-eL", ...mcsim] : ["stdbuf", "-oL", "-eL", ...mcsim];
  return spawn(command[0]!, command.slice(1), {
    detached: true, // a process group of its own, stopped by its id in stopGroup
    env: { ...process.env, MODDABLE, XSBUG_HOST: "127.0.0.1", XSBUG_PORT: String(xsbugPort), XDG_CONFIG_HOME: configHome },
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/**
 * Stop a child's whole process group (xvfb-run, Xvfb and mcsim, or mcsim alone) by its id: SIGTERM, then SIGKILL
 * to the group if it has not exited within `graceMs`. Only the group the test created is signalled.
 */
export async function stopGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-pid, sig);
    } catch {
      // the group is gone
    }
  };
  const exited = child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise<void>((done) => child.once("exit", () => done()));
  signal("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
  clearTimeout(timer);
  // xvfb-run may exit before its Xvfb and mcsim: the rest of the group gets SIGKILL either way.
  signal("SIGKILL");
  if (!inTime) await exited;
}

/** Poll `cond` every 50 ms until it holds, `ms` pass, or `child` exits. */
export async function waitFor(cond: () => boolean, ms: number, child?: ChildProcess): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    if (child !== undefined && (child.exitCode !== null || child.signalCode !== null)) return cond();
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}
