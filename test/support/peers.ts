/*
 * Third-party SIP peers for the interop tests (test/interop-*.test.ts):
 * kamailio, SIPp (Debian's sip-tester), baresip and Linphone
 * (linphone-cli's linphone-daemon), run as child processes on 127.0.0.1,
 * and the SIPVicious scanners (svmap, svwar, svcrack: runSipvicious),
 * and the door under test (startDoor: the real intercom on the Node host,
 * traced). See test/interop/README.md.
 *
 * Rules kept here for every peer:
 * - spawned directly (no shell), in a process group of its own, so the PID
 *   we hold is the peer's; stdin closed unless the peer takes commands
 *   there (PeerSpec.stdin); stopped by that PID: SIGTERM, then SIGKILL to
 *   its group after a grace period (and to any child it left behind);
 * - stdout and stderr go to one ring buffer per peer (the last 256 KiB);
 * - every wait has a timeout, and a wait fails early when the peer exits;
 * - every peer is in a registry: usePeers() stops all of them after the
 *   test file (afterAll), on failure too, and a process "exit" handler
 *   SIGKILLs whatever is still running if the worker dies;
 * - ports are chosen at run time (freeUdpPort) or by the peer itself;
 *   everything binds to 127.0.0.1 only;
 * - on a failed test, usePeers() prints the log (and files, e.g. SIPp's
 *   message trace) of every peer running or started during the test, and
 *   the SIP traces (trackTrace) and files (trackFile) registered during it.
 *
 * Missing binaries: requirePeers() makes a describe block skip with a
 * printed reason, unless CI=true, where the tests run and fail (binary()
 * throws) so that a broken install cannot pass as a skip.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createConnection, createServer, type Socket as TcpSocket } from "node:net";
import type { Writable } from "node:stream";
import { afterAll, beforeEach } from "vitest";
import { splitEndpoint } from "../../hosts/node/pbx/tap";
import { NodeIntercom, type DoorRuntime } from "../../hosts/node/runtime";
import { IntercomEvent, intercomEventName, type Intercom, type IntercomSettings } from "../../src/app/intercom";
import type { LogHost, LogLevel, UdpHost, UdpReceiver } from "../../src/host";
import type { AccountConfig } from "../../src/ua/account";
import type { Call } from "../../src/ua/call/call";
import { sleep, until } from "./wait";

export const CI = process.env.CI === "true";
export const INTEROP_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "interop");
export const SIPP_DIR = join(INTEROP_DIR, "sipp");
export const KAMAILIO_CFG = join(INTEROP_DIR, "kamailio.cfg");
/** An outbound proxy in front of a PBX (test/interop-proxy.test.ts). */
export const KAMAILIO_PROXY_CFG = join(INTEROP_DIR, "kamailio-proxy.cfg");
/** The users of test/interop/kamailio.cfg. */
export const USERS = {
  door: { user: "door", password: "doorpass" },
  desk: { user: "100", password: "deskpass" },
  sipp: { user: "sipp", password: "sipppass" },
  /** Extension 101, whose credentials carry its authentication ID (as 3CX gives one). */
  authId: { user: "101", authUser: "Gt5sK2x", password: "authidpass" },
} as const;
export const REALM = "doorsip.test";
/** The Debian packages that provide the peers (what .ci/run installs). */
export const PACKAGES: Record<string, string> = {
  kamailio: "kamailio", kamcmd: "kamailio", sipp: "sip-tester", baresip: "baresip", "linphone-daemon": "linphone-cli",
  svmap: "sipvicious", svwar: "sipvicious", svcrack: "sipvicious", sipsak: "sipsak", "Net::SIP": "libnet-sip-perl", "sip-options": "sofia-sip-bin",
};

/** Perl modules a peer needs, by the file Debian installs (a name with "::" in requirePeers). */
const PERL_MODULES: Record<string, string> = { "Net::SIP": "/usr/share/perl5/Net/SIP.pm" };

// ---------------------------------------------------------------- binaries

/** The absolute path of an executable `name` in PATH or /usr/sbin (kamailio lives there), or null. */
export function findBinary(name: string): string | null {
  const dirs = (process.env.PATH ?? "").split(delimiter).filter((d) => d !== "");
  for (const extra of ["/usr/sbin", "/usr/local/sbin", "/sbin"]) if (!dirs.includes(extra)) dirs.push(extra);
  for (const dir of dirs) {
    const path = join(dir, name);
    try {
      accessSync(path, constants.X_OK);
      if (statSync(path).isFile()) return path;
    } catch {
      // not here
    }
  }
  return null;
}

export interface PeerCheck {
  /** describe.skipIf(check.skip): true only when something is missing and CI is not "true". */
  skip: boolean;
  missing: string[];
}

const announced = new Set<string>();

/**
 * Check the binaries a test file needs. When some are missing outside CI,
 * print why the tests skip (once per set); in CI, do not skip: binary()
 * then throws with the same message and the tests fail.
 */
export function requirePeers(...names: string[]): PeerCheck {
  const missing = names.filter((n) => (n.includes("::") ? !existsSync(PERL_MODULES[n] ?? "/nonexistent") : findBinary(n) === null));
  if (missing.length > 0 && !announced.has(missing.join(","))) {
    announced.add(missing.join(","));
    const verdict = CI ? "CI=true: the interop tests will FAIL" : "interop tests SKIPPED";
    console.warn(`[interop] ${verdict}: ${missingMessage(missing)}`);
  }
  return { skip: missing.length > 0 && !CI, missing };
}

function missingMessage(missing: string[]): string {
  const pkgs = [...new Set(missing.map((m) => PACKAGES[m] ?? m))].join(" ");
  return `${missing.join(", ")} not found in PATH or /usr/sbin (install: apt-get install --no-install-recommends ${pkgs}; .ci/run does)`;
}

/** The path of a binary; throws a clear error when it is missing (the CI=true case of requirePeers). */
export function binary(name: string): string {
  const path = findBinary(name);
  if (path === null) throw new Error(missingMessage([name]));
  return path;
}

// ---------------------------------------------------------------- ports, files

const handedOut = new Set<number>();

/**
 * A UDP port on 127.0.0.1 that was free a moment ago: bind port 0, read the
 * port back, close. Never the same port twice in one test process. The
 * peer binds it right after; where a peer can pick its own port and report
 * it, prefer that.
 */
export async function freeUdpPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createSocket("udp4");
      s.once("error", reject);
      s.bind(0, "127.0.0.1", () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("freeUdpPort: no fresh port after 20 tries");
}

/** A TCP port on 127.0.0.1 that was free a moment ago (baresip's ctrl_tcp): listen on port 0, read it, close. */
export async function freeTcpPort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        const p = typeof address === "object" && address !== null ? address.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (port > 0 && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("freeTcpPort: no fresh port after 20 tries");
}

/** Is something bound to UDP 127.0.0.1:port (or 0.0.0.0:port)? Read from /proc/net/udp, without binding. */
export function udpBound(port: number): boolean {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  for (const file of ["/proc/net/udp", "/proc/net/udp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "latin1");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const local = line.trim().split(/\s+/)[1];
      if (local !== undefined && local.endsWith(":" + hex)) return true;
    }
  }
  return false;
}

const tempDirs: string[] = [];

/** A fresh directory under the OS tmp dir, removed by stopAllPeers() (kept when KEEP_INTEROP_TMP=1). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `doorsip-${prefix}-`));
  tempDirs.push(dir);
  return dir;
}

// ---------------------------------------------------------------- waiting

// until() and sleep() live in wait.ts (for tests that start no peer); here for the tests that do.
export { sleep, until };

// ---------------------------------------------------------------- ring buffer

/** The last `limit` characters written, with absolute offsets so a reader can ask for "what came after X". */
export class RingBuffer {
  private buf = "";
  /** Characters dropped from the front so far. */
  private dropped = 0;

  constructor(readonly limit = 256 * 1024) {}

  append(text: string): void {
    this.buf += text;
    if (this.buf.length > this.limit) {
      const cut = this.buf.length - this.limit;
      this.buf = this.buf.slice(cut);
      this.dropped += cut;
    }
  }

  /** Absolute offset of the end (characters written so far). */
  get end(): number {
    return this.dropped + this.buf.length;
  }

  /** What is kept from absolute offset `from` on (everything kept when it was dropped already). */
  since(from = 0): string {
    return this.buf.slice(Math.max(0, from - this.dropped));
  }

  text(): string {
    return (this.dropped > 0 ? `[... ${this.dropped} characters dropped ...]\n` : "") + this.buf;
  }
}

// ---------------------------------------------------------------- peers

export interface PeerSpec {
  /** Label for logs ("kamailio", "sipp uas-answer"...). */
  name: string;
  /** Absolute path of the executable (see binary()). */
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Resolve start only once the output matches this (waitFor with readyTimeoutMs). */
  ready?: RegExp;
  /** Default 10000 ms. */
  readyTimeoutMs?: number;
  /** Ring buffer size in characters; default 256 KiB. */
  logLimit?: number;
  /** Files to print with the log when a test fails (a SIPp message trace, say). */
  files?: string[];
  /** Keep stdin open as a pipe (Peer.input) for a peer driven by commands (linphone-daemon); default: stdin closed. */
  stdin?: boolean;
}

export interface PeerExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running (or finished) peer process. */
export class Peer {
  readonly name: string;
  readonly pid: number;
  readonly commandLine: string;
  readonly log: RingBuffer;
  readonly files: string[];
  /** The peer's stdin when spawned with `stdin: true`, else null. */
  readonly input: Writable | null;
  readonly exit: Promise<PeerExit>;
  exited: PeerExit | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(spec: PeerSpec, child: ChildProcess) {
    if (child.pid === undefined) throw new Error(`${spec.name}: no PID`);
    this.name = spec.name;
    this.pid = child.pid;
    this.commandLine = [spec.command, ...spec.args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a}'`)).join(" ");
    this.log = new RingBuffer(spec.logLimit);
    this.files = spec.files ?? [];
    this.input = spec.stdin === true ? child.stdin : null;
    // A peer that exits while we write to it must not take the worker down (EPIPE).
    this.input?.on("error", () => {});
    const take = (chunk: string): void => {
      this.log.append(chunk);
      for (const w of [...this.waiters]) w();
    };
    child.stdout?.setEncoding("utf8").on("data", take);
    child.stderr?.setEncoding("utf8").on("data", take);
    this.exit = new Promise<PeerExit>((resolve) => {
      child.once("exit", (code, signal) => {
        this.exited = { code, signal };
        this.log.append(`\n[${this.name} pid ${this.pid} exited: ${code !== null ? `code ${code}` : `signal ${signal}`}]\n`);
        for (const w of [...this.waiters]) w();
        resolve(this.exited);
      });
    });
  }

  get running(): boolean {
    return this.exited === null;
  }

  /** The log's current end: pass it to waitFor({ from }) to wait for output that comes after now. */
  mark(): number {
    return this.log.end;
  }

  /**
   * Wait until the output (from absolute offset `from`, default 0) matches
   * `pattern`. Fails on timeout (default 10 s) or when the peer exits first;
   * the error carries the log's tail.
   */
  waitFor(pattern: RegExp, options: { timeoutMs?: number; from?: number } = {}): Promise<RegExpExecArray> {
    const timeoutMs = options.timeoutMs ?? 10_000;
    const from = options.from ?? 0;
    return new Promise<RegExpExecArray>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = (): void => {
        const m = pattern.exec(this.log.since(from));
        if (m !== null) {
          done();
          resolve(m);
        } else if (this.exited !== null) {
          done();
          reject(this.failure(`exited before its output matched ${pattern}`));
        }
      };
      const done = (): void => {
        this.waiters.delete(check);
        if (timer !== undefined) clearTimeout(timer);
      };
      timer = setTimeout(() => {
        done();
        reject(this.failure(`output did not match ${pattern} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Wait for the process to end by itself; throws after `timeoutMs` (the peer keeps running: stop() it). */
  async waitExit(timeoutMs = 10_000): Promise<PeerExit> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(this.failure(`did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exit, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stop by PID: SIGTERM, then after `graceMs` SIGKILL to the peer's process
   * group; children it left behind in its group get SIGKILL too.
   */
  async stop(graceMs = 3000): Promise<PeerExit> {
    if (this.exited === null) {
      signalPid(this.pid, "SIGTERM");
      const timer = new Promise<null>((resolve) => setTimeout(() => resolve(null), graceMs));
      const result = await Promise.race([this.exit, timer]);
      if (result === null && this.exited === null) {
        this.log.append(`\n[${this.name} pid ${this.pid}: no exit ${graceMs} ms after SIGTERM, SIGKILL to its group]\n`);
        signalGroup(this.pid, "SIGKILL");
        signalPid(this.pid, "SIGKILL");
        await Promise.race([this.exit, sleep(2000)]);
      }
    }
    // Leftover children in the peer's own group (the group id is the peer's PID).
    signalGroup(this.pid, "SIGKILL");
    return this.exited ?? { code: null, signal: "SIGKILL" };
  }

  /** An Error with the peer's identity and the tail of its log. */
  failure(what: string): Error {
    return new Error(`${this.name} (pid ${this.pid}) ${what}\n$ ${this.commandLine}\n--- ${this.name} log (tail) ---\n${tail(this.log.text(), 8000)}`);
  }
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function signalGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // no such group left
  }
}

function tail(text: string, max: number): string {
  return text.length <= max ? text : `[...]\n${text.slice(text.length - max)}`;
}

/** Peers started in this process (running and finished), in order. */
const registry: Peer[] = [];
const traces: { label: string; trace: SipTrace }[] = [];
const extraFiles: string[] = [];
const texts: { label: string; read: () => string }[] = [];

/**
 * Start a peer: spawn (no shell) in a process group of its own, stdin
 * closed, output to the ring buffer; register it; wait for `spec.ready` if
 * given. Throws (after stopping it) when it fails to start or get ready.
 */
export async function startPeer(spec: PeerSpec): Promise<Peer> {
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: [spec.stdin === true ? "pipe" : "ignore", "pipe", "pipe"],
    detached: true,
  });
  const spawned = await new Promise<Error | null>((resolve) => {
    child.once("spawn", () => resolve(null));
    child.once("error", (e) => resolve(e));
  });
  if (spawned !== null) throw new Error(`${spec.name}: cannot start ${spec.command}: ${spawned.message}`);
  const peer = new Peer(spec, child);
  registry.push(peer);
  if (spec.ready !== undefined) {
    try {
      await peer.waitFor(spec.ready, { timeoutMs: spec.readyTimeoutMs ?? 10_000 });
    } catch (e) {
      await peer.stop(1000);
      throw e;
    }
  }
  return peer;
}

/** Every registered peer that is still running. */
export function livePeers(): Peer[] {
  return registry.filter((p) => p.running);
}

/** Stop every running peer (by PID, in parallel) and remove the temporary directories. */
export async function stopAllPeers(): Promise<void> {
  await Promise.all(livePeers().map((p) => p.stop()));
  if (process.env.KEEP_INTEROP_TMP !== "1") {
    for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  }
}

// Last resort: the worker is exiting with peers still running (a crash, a kill).
process.once("exit", () => {
  for (const p of livePeers()) {
    signalGroup(p.pid, "SIGKILL");
    signalPid(p.pid, "SIGKILL");
  }
});

/** Print this trace when a test fails (usePeers). */
export function trackTrace(label: string, trace: SipTrace): SipTrace {
  traces.push({ label, trace });
  return trace;
}

/** Print this file when a test fails (usePeers). */
export function trackFile(path: string): void {
  extraFiles.push(path);
}

/** Print what `read()` returns (a log of ours, the door's state) when a test fails (usePeers). */
export function trackText(label: string, read: () => string): void {
  texts.push({ label, read });
}

/** Where the registries stood when a test began: diagnostics() shows what came after (and every running peer). */
export interface DiagnosticsMark {
  peers: number;
  traces: number;
  files: number;
  texts?: number;
}

export function diagnosticsMark(): DiagnosticsMark {
  return { peers: registry.length, traces: traces.length, files: extraFiles.length, texts: texts.length };
}

/**
 * Everything there is to know after a failure: the log and files of each
 * peer that is running or was started since `from`, the SIP traces and
 * files registered since `from`.
 */
export function diagnostics(from: DiagnosticsMark = { peers: 0, traces: 0, files: 0 }): string {
  const parts: string[] = [];
  registry.forEach((p, i) => {
    if (i < from.peers && !p.running) return;
    const status = p.exited === null ? "running" : p.exited.code !== null ? `exited with code ${p.exited.code}` : `killed by ${p.exited.signal}`;
    parts.push(`===== peer ${p.name} (pid ${p.pid}, ${status})\n$ ${p.commandLine}\n${tail(p.log.text(), 20_000)}`);
    for (const f of p.files) parts.push(fileSection(f));
  });
  for (const f of extraFiles.slice(from.files)) parts.push(fileSection(f));
  for (const { label, read } of texts.slice(from.texts ?? 0)) {
    let text: string;
    try {
      text = read();
    } catch (e) {
      text = `(could not read: ${String(e)})`;
    }
    parts.push(`===== ${label}\n${tail(text, 20_000)}`);
  }
  for (const { label, trace } of traces.slice(from.traces)) {
    parts.push(`===== SIP trace ${label} (${trace.entries.length} datagrams, at our side)\n${tail(trace.format(), 30_000)}`);
  }
  return parts.join("\n\n");
}

function fileSection(path: string): string {
  if (!existsSync(path)) return `===== file ${path}: (not there)`;
  return `===== file ${path}\n${tail(readFileSync(path, "latin1"), 20_000)}`;
}

/**
 * Call at the top of an interop test file: prints diagnostics() when a test
 * fails, and stops every peer after the file (afterAll), pass or fail.
 */
export function usePeers(): void {
  beforeEach((ctx) => {
    const mark = diagnosticsMark();
    ctx.onTestFailed(() => {
      console.error(`\n[interop] "${ctx.task.name}" failed; peers and SIP traces:\n${diagnostics(mark)}\n`);
    });
  });
  afterAll(async () => {
    await stopAllDoors();
    await stopAllPeers();
    traces.length = 0;
    extraFiles.length = 0;
    texts.length = 0;
  });
}

// ---------------------------------------------------------------- short-lived tools

export interface ToolResult extends PeerExit {
  output: string;
}

/** Run a short command (kamcmd...) as a registered peer and wait for it; stopped by PID after `timeoutMs`. */
export async function runTool(name: string, command: string, args: string[], timeoutMs = 5000): Promise<ToolResult> {
  const peer = await startPeer({ name, command, args });
  try {
    const exit = await peer.waitExit(timeoutMs);
    return { ...exit, output: peer.log.since(0) };
  } catch (e) {
    await peer.stop(500);
    throw e;
  }
}

// ---------------------------------------------------------------- SIP on our side

export interface TraceEntry {
  /** "out": we sent it; "in": we received it. */
  dir: "in" | "out";
  /** ms since the trace was created. */
  at: number;
  address: string;
  port: number;
  text: string;
}

/**
 * The datagrams one of our sockets sent and received, as latin-1 text.
 * host() wraps the UdpHost the core sends through; receiver() wraps the
 * UdpReceiver the socket delivers to.
 */
export class SipTrace {
  readonly entries: TraceEntry[] = [];
  private readonly t0 = Date.now();

  record(dir: "in" | "out", data: Uint8Array, length: number, address: string, port: number): void {
    this.entries.push({ dir, at: Date.now() - this.t0, address, port, text: Buffer.from(data.buffer, data.byteOffset, length).toString("latin1") });
  }

  host(inner: UdpHost): UdpHost {
    const trace = this;
    return {
      send(data: Uint8Array, length: number, address: string, port: number): boolean {
        trace.record("out", data, length, address, port);
        return inner.send(data, length, address, port);
      },
      get localAddress() {
        return inner.localAddress;
      },
      get localPort() {
        return inner.localPort;
      },
    };
  }

  receiver(inner: UdpReceiver): UdpReceiver {
    return {
      receive: (data: Uint8Array, length: number, address: string, port: number): void => {
        this.record("in", data, length, address, port);
        inner.receive(data, length, address, port);
      },
    };
  }

  /** First lines of what went each way, e.g. ["out REGISTER sip:doorsip.test SIP/2.0", "in SIP/2.0 401 Unauthorized", ...]. */
  summary(): string[] {
    return this.entries.map((e) => `${e.dir} ${firstLine(e.text)}`);
  }

  /** Requests we sent (dir "out") or received ("in") with this method. */
  requests(dir: "in" | "out", method: string): TraceEntry[] {
    return this.entries.filter((e) => e.dir === dir && firstLine(e.text).startsWith(method + " "));
  }

  /** Responses we received (or sent) whose CSeq method is `method`. */
  responses(dir: "in" | "out", method: string): TraceEntry[] {
    return this.entries.filter((e) => e.dir === dir && e.text.startsWith("SIP/2.0 ") && cseqMethod(e.text) === method);
  }

  format(): string {
    return this.entries
      .map((e) => `--- +${e.at} ms ${e.dir === "out" ? "sent to" : "received from"} ${e.address}:${e.port}\n${e.text.replace(/\r\n/g, "\n")}`)
      .join("\n");
  }
}

export function firstLine(text: string): string {
  const i = text.indexOf("\r\n");
  return i < 0 ? text : text.slice(0, i);
}

/** Status code of a response's text, or 0 for a request. */
export function statusOf(text: string): number {
  const m = /^SIP\/2\.0 (\d{3}) /.exec(text);
  return m === null ? 0 : Number(m[1]);
}

/** Values of a header (full or compact name, case-insensitive) in a message's text; one per header line. */
export function headerValues(text: string, name: string, compact?: string): string[] {
  const end = text.indexOf("\r\n\r\n");
  const lines = (end < 0 ? text : text.slice(0, end)).split("\r\n").slice(1);
  const names = [name.toLowerCase(), ...(compact !== undefined ? [compact.toLowerCase()] : [])];
  const out: string[] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    if (colon > 0 && names.includes(line.slice(0, colon).trim().toLowerCase())) out.push(line.slice(colon + 1).trim());
  }
  return out;
}

export function headerValue(text: string, name: string, compact?: string): string | undefined {
  return headerValues(text, name, compact)[0];
}

export function bodyOf(text: string): string {
  const end = text.indexOf("\r\n\r\n");
  return end < 0 ? "" : text.slice(end + 4);
}

function cseqMethod(text: string): string {
  return (headerValue(text, "CSeq") ?? "").split(/\s+/)[1] ?? "";
}

/**
 * Send an OPTIONS from a socket of our own to 127.0.0.1:port and wait for a
 * response (with the same Call-ID) for up to `timeoutMs`, resending every
 * `everyMs`. Resolves to the response's text, or null on timeout.
 */
export async function sipPing(port: number, timeoutMs = 5000, everyMs = 100): Promise<string | null> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", () => resolve()));
  const local = s.address().port;
  const callId = `ping-${process.pid}-${local}-${Date.now()}@127.0.0.1`;
  try {
    return await new Promise<string | null>((resolve) => {
      let n = 0;
      const send = (): void => {
        n++;
        const msg =
          `OPTIONS sip:127.0.0.1:${port} SIP/2.0\r\n` +
          `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-ping-${local}-${n};rport\r\n` +
          `Max-Forwards: 70\r\nFrom: <sip:ping@127.0.0.1:${local}>;tag=ping${local}\r\nTo: <sip:127.0.0.1:${port}>\r\n` +
          `Call-ID: ${callId}\r\nCSeq: ${n} OPTIONS\r\nContent-Length: 0\r\n\r\n`;
        s.send(Buffer.from(msg, "latin1"), port, "127.0.0.1");
      };
      const timer = setInterval(send, everyMs);
      const stop = setTimeout(() => {
        clearInterval(timer);
        resolve(null);
      }, timeoutMs);
      s.on("message", (data) => {
        const text = data.toString("latin1");
        if (statusOf(text) >= 200 && headerValue(text, "Call-ID", "i") === callId) {
          clearInterval(timer);
          clearTimeout(stop);
          resolve(text);
        }
      });
      send();
    });
  } finally {
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/**
 * Send one out-of-dialog request from a socket of our own to
 * 127.0.0.1:port and wait (bounded) for its final response's text.
 */
export async function sipRequest(port: number, method: string, uri: string, timeoutMs = 4000): Promise<string> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", () => resolve()));
  const local = s.address().port;
  try {
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no final response to ${method} ${uri} within ${timeoutMs} ms`)), timeoutMs);
      s.on("message", (data) => {
        const text = data.toString("latin1");
        if (statusOf(text) >= 200) {
          clearTimeout(timer);
          resolve(text);
        }
      });
      const msg =
        `${method} ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-probe-${local};rport\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:probe@example.invalid>;tag=probe${local}\r\nTo: <${uri}>\r\n` +
        `Call-ID: probe-${local}-${Date.now()}@127.0.0.1\r\nCSeq: 1 ${method}\r\nContent-Length: 0\r\n\r\n`;
      s.send(Buffer.from(msg, "latin1"), port, "127.0.0.1");
    });
  } finally {
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

// ---------------------------------------------------------------- kamailio

export interface Kamailio {
  peer: Peer;
  /** The UDP port on 127.0.0.1 it listens on. */
  port: number;
  dir: string;
  /** The ctl module's binrpc socket, for kamcmd -s. */
  ctl: string;
  /** kamcmd -s <ctl> ARGS; the output. */
  kamcmd(...args: string[]): Promise<string>;
  /** The Contact URIs registered for a user (usrloc is keyed by user part only), [] when none. */
  contacts(user: string): Promise<string[]>;
}

/** The module directory of Debian's kamailio (multiarch path), or undefined to use the compiled-in default. */
function kamailioModules(): string | undefined {
  if (process.env.KAMAILIO_MODULES !== undefined) return process.env.KAMAILIO_MODULES;
  for (const lib of ["/usr/lib", "/usr/lib64", "/usr/local/lib"]) {
    let entries: string[];
    try {
      entries = readdirSync(lib);
    } catch {
      continue;
    }
    for (const sub of ["", ...entries]) {
      const dir = join(lib, sub, "kamailio", "modules");
      if (existsSync(join(dir, "registrar.so"))) return dir;
    }
  }
  return undefined;
}

/**
 * Start kamailio with test/interop/kamailio.cfg on 127.0.0.1:<free port>, in
 * the foreground (-DD -E), runtime and working dir in a tmp dir, the ctl
 * socket there. Ready when it answers an OPTIONS (and its pid file holds the
 * PID we spawned).
 */
export async function startKamailio(options: {
  timeoutMs?: number;
  /** The configuration (default KAMAILIO_CFG). */
  cfg?: string;
  /** Its #!define values, each "NAME=value" (kamailio -A). */
  defines?: string[];
  /** The UDP port on 127.0.0.1 (default a free one): the same again for a PBX that restarts. */
  port?: number;
} = {}): Promise<Kamailio> {
  const bin = binary("kamailio");
  const kamcmdBin = binary("kamcmd");
  const dir = tempDir("kamailio");
  const port = options.port ?? await freeUdpPort();
  const ctl = `unix:${join(dir, "kamailio_ctl")}`;
  const modules = kamailioModules();
  const args = [
    "-f", options.cfg ?? KAMAILIO_CFG,
    ...(modules !== undefined ? ["-L", modules] : []),
    "-l", `udp:127.0.0.1:${port}`,
    "-DD", "-E",
    "-Y", dir, "-w", dir, "-P", join(dir, "kamailio.pid"),
    "-m", "32", "-M", "8", "-n", "2",
    "-A", `CTL_SOCKET="${ctl}"`,
    ...(options.defines ?? []).flatMap((d) => ["-A", d]),
  ];
  const peer = await startPeer({ name: "kamailio", command: bin, args, cwd: dir });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const answer = await Promise.race([sipPing(port, timeoutMs), peer.exit.then(() => null)]);
  if (answer === null || statusOf(answer) !== 200) {
    await peer.stop(1000);
    throw peer.failure(`did not answer OPTIONS on 127.0.0.1:${port} within ${timeoutMs} ms`);
  }
  const kamcmd = async (...a: string[]): Promise<string> => {
    const r = await runTool("kamcmd", kamcmdBin, ["-s", ctl, ...a]);
    return r.output;
  };
  const contacts = async (user: string): Promise<string[]> => {
    // "s:" keeps kamcmd from turning a numeric user into an integer.
    const out = await kamcmd("ul.lookup", "location", `s:${user}`);
    if (/AOR (not found|has no contacts)/.test(out)) return [];
    const found = [...out.matchAll(/^\s*Address: (.*)$/gm)].map((m) => m[1]!.trim());
    if (found.length === 0) throw new Error(`kamcmd ul.lookup location ${user}: unexpected output\n${out}`);
    return found;
  };
  return { peer, port, dir, ctl, kamcmd, contacts };
}

/**
 * A PBX that restarts: `kam` stopped by PID, `downMs` of silence, then a new kamailio on the same port, its location
 * table empty (usrloc in memory). Returns the new one (stop it by its peer) and when it answered.
 */
export async function restartKamailio(kam: Kamailio, downMs: number): Promise<{ kam: Kamailio; upAt: number }> {
  await kam.peer.stop(3000);
  await sleep(downMs);
  const again = await startKamailio({ port: kam.port });
  return { kam: again, upAt: Date.now() };
}

/** `user`'s contacts at kamailio, asked every 200 ms until it has some or `ms` have passed ([] then). */
export async function contactsWithin(kam: Kamailio, user: string, ms: number): Promise<string[]> {
  let found: string[] = [];
  for (const end = Date.now() + ms; found.length === 0 && Date.now() < end;) {
    await sleep(200);
    found = await kam.contacts(user);
  }
  return found;
}

// ---------------------------------------------------------------- SIPp

export interface SippOptions {
  /** A file in test/interop/sipp/ ("uac-options.xml") or an absolute path. */
  scenario: string;
  /** host:port to send to (UAC scenarios); omitted for a UAS. */
  remote?: string;
  /** -s: the user part of the Request-URI ([service]). */
  service?: string;
  /** -p: our SIP port; default a free port chosen now. */
  port?: number;
  /** -m: calls before SIPp exits; default 1. */
  calls?: number;
  /** -timeout (s) with -timeout_error: SIPp fails by itself after this; default 15. */
  timeoutS?: number;
  /** -d: the length of <pause/> in ms; default 200. */
  pauseMs?: number;
  /** -au / -ap for [authentication]. */
  authUser?: string;
  authPassword?: string;
  /** More arguments (-key, -set, -rsa...). */
  extra?: string[];
  /** -trace_msg and -trace_err (messageFile, errorFile); default true. Off for floods: tens of thousands of lines. */
  traces?: boolean;
}

export interface Sipp {
  peer: Peer;
  /** SIPp's SIP port. */
  port: number;
  /** Message and error logs (-trace_msg, -trace_err). */
  messageFile: string;
  errorFile: string;
  /** Wait for SIPp to end (default: its own -timeout plus 5 s); the run's verdict. */
  done(timeoutMs?: number): Promise<SippResult>;
}

export interface SippResult extends PeerExit {
  /** SIPp's exit code 0: every call succeeded. */
  ok: boolean;
  output: string;
  messages: string;
  errors: string;
}

/** The scenario files SIPp can run, by name. */
export function sippScenario(name: string): string {
  return isAbsolute(name) ? name : join(SIPP_DIR, name);
}

/**
 * Start SIPp in the foreground (we own its PID): -i 127.0.0.1, -p PORT,
 * -m, -timeout/-timeout_error, -trace_msg and -trace_err into a tmp dir,
 * -nostdin. For a UAS, resolves once its SIP port is bound. Media ports are
 * left to SIPp (it binds the first free pair from 6000 on).
 */
export async function startSipp(o: SippOptions): Promise<Sipp> {
  const bin = binary("sipp");
  const dir = tempDir("sipp");
  const port = o.port ?? (await freeUdpPort());
  const scenario = sippScenario(o.scenario);
  const base = scenario.replace(/^.*\//, "").replace(/\.xml$/, "");
  const messageFile = join(dir, `${base}-messages.log`);
  const errorFile = join(dir, `${base}-errors.log`);
  const timeoutS = o.timeoutS ?? 15;
  const args = [
    ...(o.remote !== undefined ? [o.remote] : []),
    "-sf", scenario,
    "-i", "127.0.0.1",
    "-p", String(port),
    "-m", String(o.calls ?? 1),
    "-timeout", `${timeoutS}s`, "-timeout_error",
    "-d", String(o.pauseMs ?? 200),
    ...(o.traces === false ? [] : ["-trace_msg", "-message_file", messageFile, "-trace_err", "-error_file", errorFile]),
    "-nostdin",
    ...(o.service !== undefined ? ["-s", o.service] : []),
    ...(o.authUser !== undefined ? ["-au", o.authUser] : []),
    ...(o.authPassword !== undefined ? ["-ap", o.authPassword] : []),
    ...(o.extra ?? []),
  ];
  const peer = await startPeer({ name: `sipp ${base}`, command: bin, args, cwd: dir, files: [messageFile, errorFile] });
  if (o.remote === undefined) {
    try {
      await until(() => udpBound(port) || !peer.running, `sipp ${base} to bind 127.0.0.1:${port}`, 5000);
    } catch (e) {
      await peer.stop(500);
      throw e;
    }
    if (!peer.running) throw peer.failure("exited before binding its port");
  }
  const done = async (timeoutMs = (timeoutS + 5) * 1000): Promise<SippResult> => {
    let exit: PeerExit;
    try {
      exit = await peer.waitExit(timeoutMs);
    } catch (e) {
      await peer.stop(500);
      throw e;
    }
    const read = (f: string): string => (existsSync(f) ? readFileSync(f, "latin1") : "");
    return { ...exit, ok: exit.code === 0, output: peer.log.since(0), messages: read(messageFile), errors: read(errorFile) };
  };
  return { peer, port, messageFile, errorFile, done };
}

/** startSipp + done. */
export async function runSipp(o: SippOptions): Promise<SippResult> {
  return (await startSipp(o)).done();
}

/**
 * The SIP messages of a SIPp -trace_msg file ("UDP message sent (N bytes):"
 * and "UDP message received [N] bytes :" sections), in order, with CRLF
 * line ends.
 */
export function sippMessages(log: string): { dir: "sent" | "received"; text: string }[] {
  const out: { dir: "sent" | "received"; text: string }[] = [];
  for (const part of log.split(/^-{20,} .*$/m)) {
    const m = /^\s*UDP message (sent|received) (?:\(\d+ bytes\)|\[\d+\] bytes ?):\r?\n\r?\n([\s\S]*)$/.exec(part);
    if (m === null) continue;
    const lines = m[2]!.replace(/\r/g, "").replace(/\n+$/, "");
    const text = lines.replace(/\n/g, "\r\n");
    out.push({ dir: m[1] === "sent" ? "sent" : "received", text: text.includes("\r\n\r\n") ? text : text + "\r\n\r\n" });
  }
  return out;
}

// ---------------------------------------------------------------- baresip

/** A message from baresip's ctrl_tcp module: a command's response, or an event (CALL_ESTABLISHED...). */
export interface BaresipMessage {
  response?: boolean;
  ok?: boolean;
  data?: string;
  token?: string;
  event?: boolean;
  type?: string;
  class?: string;
  direction?: string;
  peeruri?: string;
  param?: string;
  [key: string]: unknown;
}

/** baresip's ctrl_tcp: JSON in netstrings over TCP ("len:{...},"), commands answered by token, events kept in order. */
export class BaresipControl {
  readonly events: BaresipMessage[] = [];
  private buf = "";
  private token = 0;
  private readonly pending = new Map<string, (m: BaresipMessage) => void>();
  private readonly waiters = new Set<() => void>();
  private closed = false;

  private constructor(private readonly socket: TcpSocket, private readonly peer: Peer) {
    socket.setEncoding("utf8");
    socket.on("data", (chunk: string) => this.take(chunk));
    socket.on("close", () => {
      this.closed = true;
      for (const w of [...this.waiters]) w();
    });
    socket.on("error", () => {});
  }

  static async connect(port: number, peer: Peer, timeoutMs = 5000): Promise<BaresipControl> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const socket = await new Promise<TcpSocket | Error>((resolve) => {
        const s = createConnection({ host: "127.0.0.1", port });
        s.once("connect", () => resolve(s));
        s.once("error", (e) => resolve(e));
      });
      if (!(socket instanceof Error)) return new BaresipControl(socket, peer);
      if (!peer.running) throw peer.failure(`exited before its ctrl_tcp port ${port} accepted a connection`);
      if (Date.now() > end) throw peer.failure(`ctrl_tcp on 127.0.0.1:${port}: ${socket.message} for ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  private take(chunk: string): void {
    this.buf += chunk;
    for (;;) {
      const colon = this.buf.indexOf(":");
      if (colon < 0) return;
      const len = Number(this.buf.slice(0, colon));
      if (!Number.isInteger(len) || this.buf.length < colon + 1 + len + 1) return;
      const body = this.buf.slice(colon + 1, colon + 1 + len);
      this.buf = this.buf.slice(colon + 1 + len + 1); // the trailing ","
      let m: BaresipMessage;
      try {
        m = JSON.parse(body) as BaresipMessage;
      } catch {
        this.peer.log.append(`\n[ctrl_tcp: not JSON: ${body}]\n`);
        continue;
      }
      this.peer.log.append(`\n[ctrl_tcp <- ${body}]\n`);
      if (m.response === true && m.token !== undefined) {
        const resolve = this.pending.get(m.token);
        this.pending.delete(m.token);
        resolve?.(m);
      } else if (m.event === true) {
        this.events.push(m);
        for (const w of [...this.waiters]) w();
      }
    }
  }

  /** Send a command ("dial", "hangup", "accept"...) and wait (bounded) for its response. */
  command(command: string, params = "", timeoutMs = 5000): Promise<BaresipMessage> {
    const token = `t${++this.token}`;
    const json = JSON.stringify({ command, params, token });
    this.peer.log.append(`\n[ctrl_tcp -> ${json}]\n`);
    return new Promise<BaresipMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(this.peer.failure(`no ctrl_tcp response to ${json} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.socket.write(`${Buffer.byteLength(json)}:${json},`);
    });
  }

  /** Wait for an event of `type` at index `from` or later in `events`; bounded, fails early when baresip exits. */
  waitEvent(type: string, from = 0, timeoutMs = 10_000): Promise<BaresipMessage> {
    return new Promise<BaresipMessage>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = (): void => {
        const found = this.events.slice(from).find((e) => e.type === type);
        if (found !== undefined) {
          done();
          resolve(found);
        } else if (this.closed || !this.peer.running) {
          done();
          reject(this.peer.failure(`ended before the ctrl_tcp event ${type}; events: ${this.events.map((e) => e.type).join(", ")}`));
        }
      };
      const done = (): void => {
        this.waiters.delete(check);
        if (timer !== undefined) clearTimeout(timer);
      };
      timer = setTimeout(() => {
        done();
        reject(this.peer.failure(`no ctrl_tcp event ${type} within ${timeoutMs} ms; events: ${this.events.map((e) => e.type).join(", ")}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface Baresip {
  peer: Peer;
  /** Its SIP port on 127.0.0.1. */
  port: number;
  /** The config directory (-f). */
  dir: string;
  /** Wait for a "200 OK ... binding" line after `from` (peer.mark()). */
  registered(from?: number, timeoutMs?: number): Promise<RegExpExecArray>;
  /** The ctrl_tcp connection (options.control), else null. */
  control: BaresipControl | null;
}

export interface BaresipOptions {
  /** The registrar: 127.0.0.1:<kamailio port>. */
  registrarPort: number;
  user: string;
  password: string;
  /** Binding lifetime asked for (regint); default 60. */
  expires?: number;
  /** Account parameters appended as is (";answermode=auto"...). */
  accountParams?: string;
  /** Wait for the registration (default true). */
  waitRegistered?: boolean;
  /** Load ctrl_tcp on 127.0.0.1:<free TCP port> and connect to it (Baresip.control): commands and call events. */
  control?: boolean;
  timeoutMs?: number;
}

/** What writeBaresipConfig puts in a baresip config dir. */
export interface BaresipConfig {
  /** SIP on 127.0.0.1:<port>. */
  port: number;
  /** ctrl_tcp on 127.0.0.1:<controlPort>; 0: the module is not loaded. */
  controlPort: number;
  /** The one line of the accounts file (without the newline). */
  account: string;
  /**
   * The microphone: a WAV file (aufile, 8 kHz mono: ausrc_srate and
   * ausrc_channels must match the file), else a 440 Hz sine (ausine).
   */
  mic?: string;
  /** Record what is received and sent (sndfile: "dump-<call>-dec.wav" and "-enc.wav" in the config dir). */
  record?: boolean;
}

/**
 * A headless baresip config dir: SIP on 127.0.0.1, modules g711, ausine or
 * aufile (source), aubridge (player), sndfile when recording, account and
 * menu (and ctrl_tcp on 127.0.0.1 with a control port); no UI module, no
 * audio device, no STUN/TURN/ICE; one account; no contacts.
 */
export function writeBaresipConfig(dir: string, c: BaresipConfig): void {
  const modules = existsSync("/usr/lib/baresip/modules") ? "/usr/lib/baresip/modules" : "/usr/local/lib/baresip/modules";
  const file = c.mic !== undefined;
  // ausine makes 48 kHz stereo only (baresip converts to the 8 kHz mono of G.711); aufile reads the file as it is.
  const rate = file ? "8000" : "48000";
  const channels = file ? "1" : "2";
  writeFileSync(
    join(dir, "config"),
    [
      "# generated by test/support/peers.ts",
      "poll_method\t\tepoll",
      `sip_listen\t\t127.0.0.1:${c.port}`,
      "call_local_timeout\t30",
      "call_max_calls\t\t2",
      // The player goes nowhere (aubridge with no source of that name); sndfile, when loaded, records what is played.
      "audio_player\t\taubridge,doorsip",
      "audio_alert\t\taubridge,doorsip",
      file ? `audio_source\t\taufile,${c.mic}` : "audio_source\t\tausine,440",
      `ausrc_srate\t\t${rate}`,
      `ausrc_channels\t\t${channels}`,
      `auplay_srate\t\t${rate}`,
      `auplay_channels\t\t${channels}`,
      // Media on loopback too (else the SDP carries the default interface's address).
      "net_interface\t\t127.0.0.1",
      `module_path\t\t${modules}`,
      "module\t\t\tg711.so",
      file ? "module\t\t\taufile.so" : "module\t\t\tausine.so",
      "module\t\t\taubridge.so",
      ...(c.record === true ? ["module\t\t\tsndfile.so", `snd_path\t\t${dir}`] : []),
      "module_tmp\t\tuuid.so",
      "module_tmp\t\taccount.so",
      "module_app\t\tmenu.so",
      ...(c.controlPort > 0 ? ["module_app\t\tctrl_tcp.so", `ctrl_tcp_listen\t\t127.0.0.1:${c.controlPort}`] : []),
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "accounts"), `${c.account}\n`);
  writeFileSync(join(dir, "contacts"), "");
}

/**
 * Run baresip on a config dir (writeBaresipConfig) until "baresip is
 * ready.", and connect to its ctrl_tcp when `controlPort` > 0. `ready`
 * (the registration, say) is awaited before it returns; if any of it
 * fails, baresip is stopped.
 */
export async function launchBaresip(
  name: string, dir: string, controlPort: number, timeoutMs: number, ready?: (peer: Peer) => Promise<unknown>,
): Promise<{ peer: Peer; control: BaresipControl | null }> {
  // -s: baresip prints every SIP message it sends and receives (the trace for diagnostics and checks).
  const peer = await startPeer({ name, command: binary("baresip"), args: ["-4", "-s", "-f", dir], cwd: dir, ready: /baresip is ready\./, readyTimeoutMs: timeoutMs });
  let control: BaresipControl | null = null;
  try {
    if (controlPort > 0) control = await BaresipControl.connect(controlPort, peer, timeoutMs);
    if (ready !== undefined) await ready(peer);
  } catch (e) {
    control?.close();
    await peer.stop(1000);
    throw e;
  }
  if (control !== null) {
    const c = control;
    void peer.exit.then(() => c.close());
  }
  return { peer, control };
}

/**
 * Start baresip headless (writeBaresipConfig, with a 440 Hz sine as its
 * microphone) with one account registering at the registrar on loopback.
 * Waits for "baresip is ready." and (by default) for the registrar's 200.
 */
export async function startBaresip(o: BaresipOptions): Promise<Baresip> {
  binary("baresip"); // fails before anything is made when baresip is missing
  const dir = tempDir("baresip");
  const port = await freeUdpPort();
  const controlPort = o.control === true ? await freeTcpPort() : 0;
  const account = `<sip:${o.user}@127.0.0.1:${o.registrarPort}>;auth_pass=${o.password};regint=${o.expires ?? 60}` +
    `;audio_codecs=PCMU,PCMA${o.accountParams ?? ""}`;
  writeBaresipConfig(dir, { port, controlPort, account });
  const timeoutMs = o.timeoutMs ?? 10_000;
  const registeredOn = (peer: Peer) => (from = 0, ms = timeoutMs): Promise<RegExpExecArray> =>
    peer.waitFor(new RegExp(`${o.user}@127\\.0\\.0\\.1[^\\n]*: \\{\\d+/UDP/v4\\} 200 OK[^\\n]*\\[(\\d+) bindings?\\]`), { from, timeoutMs: ms });
  const waitRegistered = o.waitRegistered === false ? undefined : (p: Peer) => registeredOn(p)(0, timeoutMs);
  const { peer, control } = await launchBaresip("baresip", dir, controlPort, timeoutMs, waitRegistered);
  const registered = registeredOn(peer);
  return { peer, port, dir, registered, control };
}

// ---------------------------------------------------------------- Linphone

/** Which way Linphone sends DTMF ([sip] use_rfc2833 / use_info): RFC 4733 events (its default), SIP INFO, or both at once. */
export type LinphoneDtmf = "rfc4733" | "info" | "both";

export interface LinphoneOptions {
  /** The registrar and outbound proxy: 127.0.0.1:<kamailio port>. */
  registrarPort: number;
  user: string;
  password: string;
  /** Binding lifetime asked for (reg_expires); default 60. */
  expires?: number;
  /** Answer incoming calls at once (linphone-daemon --auto-answer). */
  autoAnswer?: boolean;
  /** Default "rfc4733", Linphone's own default. */
  dtmf?: LinphoneDtmf;
  /** Wait for the registrar's 200 (default true). */
  waitRegistered?: boolean;
  timeoutMs?: number;
}

/** What writeLinphoneConfig puts in a linphonerc. */
export interface LinphoneConfig {
  /** SIP on 127.0.0.1:<port>, UDP only. */
  port: number;
  registrarPort: number;
  user: string;
  password: string;
  expires: number;
  dtmf: LinphoneDtmf;
}

/**
 * A linphonerc for a headless linphone-daemon on loopback: SIP on
 * 127.0.0.1:<port> (UDP only), RTP bound to 127.0.0.1 on ports the OS
 * picks, no video, one account registering at the registrar, which is its
 * outbound proxy too (reg_route: without it Linphone sends an INVITE to
 * the Request-URI's host, a DNS lookup of doorsip.test).
 *
 * Linphone's own defaults otherwise: its REGISTER carries +sip.instance
 * and "Supported: gruu", kamailio grants a GRUU (RFC 5627), and Linphone's
 * Contact in dialogs is sip:100@doorsip.test;gr=urn:uuid:..., which
 * test/interop/kamailio.cfg resolves to the registered contact (route[GRUU]).
 *
 * No sound card is needed: without one, Linphone sends no RTP of its own;
 * `incall-player-start FILE.wav` plays a file into the call instead.
 */
export function writeLinphoneConfig(path: string, c: LinphoneConfig): void {
  const proxy = `sip:127.0.0.1:${c.registrarPort};transport=udp`;
  writeFileSync(
    path,
    [
      "# generated by test/support/peers.ts",
      "[sip]",
      `sip_port=${c.port}`,
      // 0: transport disabled.
      "sip_tcp_port=0",
      "sip_tls_port=0",
      "bind_address=127.0.0.1",
      "use_ipv6=0",
      "guess_hostname=0",
      `contact=sip:${c.user}@127.0.0.1`,
      "default_proxy=0",
      `use_rfc2833=${c.dtmf === "info" ? 0 : 1}`,
      `use_info=${c.dtmf === "rfc4733" ? 0 : 1}`,
      // Not auto_net_state_mon=0: then the network never counts as up and no listening point is made.
      "",
      "[rtp]",
      "bind_address=127.0.0.1",
      // -1: a port the OS picks.
      "audio_rtp_port=-1",
      "video_rtp_port=-1",
      "text_rtp_port=-1",
      "",
      "[video]",
      "enabled=0",
      "capture=0",
      "display=0",
      "automatically_initiate=0",
      "automatically_accept=0",
      "",
      "[proxy_0]",
      `reg_proxy=<${proxy}>`,
      `reg_route=<${proxy};lr>`,
      `reg_identity="Linphone" <sip:${c.user}@${REALM}>`,
      `reg_expires=${c.expires}`,
      "reg_sendregister=1",
      "publish=0",
      "",
      "[auth_info_0]",
      `username=${c.user}`,
      `passwd=${c.password}`,
      `realm=${REALM}`,
      `domain=${REALM}`,
      "",
    ].join("\n"),
  );
}

/**
 * linphone-daemon (Debian's linphone-cli) driven through its stdin: one
 * command line at a time, each answered "Status: Ok" or "Status: Error"
 * (with "Reason: ..."); call events ("Event-type: call-state-changed",
 * "Event: LinphoneCallStreamsRunning", "Id: 1") and DTMF received
 * ("Event-type: receiving-tone") are printed on stdout as they happen, all
 * into the peer's log. Its own log (SIP messages, media statistics) goes to
 * `logFile`, which is buffered until it quits.
 */
export class Linphone {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly peer: Peer,
    /** Its SIP port on 127.0.0.1. */
    readonly port: number,
    readonly dir: string,
    readonly logFile: string,
  ) {}

  /**
   * Send one command and wait (bounded) for its "Status:" line; resolves to
   * { ok, reason, text } where text is what the daemon printed from the
   * status line to the next prompt. Commands are sent one after the other.
   */
  command(line: string, timeoutMs = 5000): Promise<{ ok: boolean; reason: string; text: string }> {
    const run = async (): Promise<{ ok: boolean; reason: string; text: string }> => {
      const input = this.peer.input;
      if (input === null || !this.peer.running) throw this.peer.failure(`is not running: cannot send "${line}"`);
      this.peer.log.append(`\n[stdin -> ${line}]\n`);
      const after = this.peer.mark();
      input.write(`${line}\n`);
      const status = await this.peer.waitFor(/^Status: (Ok|Error)\n(?:Reason: ([^\n]*)\n)?/m, { from: after, timeoutMs });
      // The response ends at the next prompt (readline prints it when the command is done).
      const end = await this.peer.waitFor(/^Status: (?:Ok|Error)\n[\s\S]*?daemon-linphone>/m, { from: after, timeoutMs });
      return { ok: status[1] === "Ok", reason: status[2] ?? "", text: end[0] };
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** The call states printed since `from` (peer.mark()), in order: "LinphoneCallIncomingReceived", "LinphoneCallStreamsRunning"... */
  callStates(from = 0): string[] {
    return [...this.peer.log.since(from).matchAll(/^Event-type: call-state-changed\n+Event: (\w+)$/gm)].map((m) => m[1]!);
  }

  /** Wait (bounded; fails early when the daemon exits) for the call state `state` printed after `from`. */
  waitCallState(state: string, from = 0, timeoutMs = 5000): Promise<RegExpExecArray> {
    return this.peer.waitFor(new RegExp(`^Event-type: call-state-changed\\n+Event: ${state}$`, "m"), { from, timeoutMs });
  }

  /** The tones it received ("Event-type: receiving-tone", "Tone: 5") since `from`. */
  tones(from = 0): string[] {
    return [...this.peer.log.since(from).matchAll(/^Event-type: receiving-tone\n+Tone: (.)$/gm)].map((m) => m[1]!);
  }

  /** Poll `register-status 1` until LinphoneRegistrationOk (bounded); fails at once on LinphoneRegistrationFailed. */
  async registered(timeoutMs = 5000): Promise<void> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = await this.command("register-status 1");
      const state = /^State: (\w+)$/m.exec(r.text)?.[1] ?? "";
      if (state === "LinphoneRegistrationOk") return;
      if (state === "LinphoneRegistrationFailed") throw this.peer.failure("registration failed (register-status 1)");
      if (Date.now() >= end) throw this.peer.failure(`not registered within ${timeoutMs} ms (last state ${state || "unknown"})`);
      await sleep(50);
    }
  }

  /**
   * "quit": the daemon unregisters (REGISTER with Expires: 0, challenged
   * again, then 200), flushes its log and exits 0; waited for (bounded),
   * else stopped by PID.
   */
  async quit(timeoutMs = 15_000): Promise<PeerExit> {
    if (!this.peer.running) return this.peer.exited!;
    this.peer.log.append("\n[stdin -> quit]\n");
    this.peer.input?.write("quit\n");
    try {
      return await this.peer.waitExit(timeoutMs);
    } catch {
      return this.peer.stop(1000);
    }
  }

  /** Its own log file (liblinphone, belle-sip, mediastreamer), complete once it has quit. */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, "latin1") : "";
  }

  /** The SIP messages in its log file, in order ("message sent to" / "received [N] new bytes from"), with CRLF line ends. */
  sipMessages(): { dir: "sent" | "received"; text: string }[] {
    const out: { dir: "sent" | "received"; text: string }[] = [];
    const re = /(message sent to|new bytes from) \[[^\]]*\](?:, size: \[\d+\] bytes|:)\n([\s\S]*?)\r?\n\r?\n(?=\d{4}-\d\d-\d\d )/g;
    for (const m of this.log().matchAll(re)) {
      const text = m[2]!.replace(/\r?\n/g, "\r\n");
      out.push({ dir: m[1] === "message sent to" ? "sent" : "received", text: text.includes("\r\n\r\n") ? text : text + "\r\n\r\n" });
    }
    return out;
  }

  /**
   * The RTP packets its audio sessions sent and received, from the statistics
   * block oRTP logs when a stream stops (at a hold, a resume and the hang-up;
   * the counts add up over the call, so the highest is the total). Its
   * bandwidth lines are no measure: the first is printed about 1 s into a
   * stream, so a short stream may have none, or one from before its player started.
   */
  rtpPackets(): { sent: number; received: number } {
    let sent = 0;
    let received = 0;
    for (const m of this.log().matchAll(/ortp-message-(sent|received) +(\d+) packets$/gm)) {
      if (m[1] === "sent") sent = Math.max(sent, Number(m[2]));
      else received = Math.max(received, Number(m[2]));
    }
    return { sent, received };
  }
}

/**
 * Start linphone-daemon on 127.0.0.1 (writeLinphoneConfig in a temp dir,
 * HOME and the XDG dirs there too, so that its database, call history and
 * ZRTP cache stay out of the user's ~/.local), stdin open for commands,
 * its log into the temp dir. Waits (by default) until it is registered.
 */
export async function startLinphone(o: LinphoneOptions): Promise<Linphone> {
  const bin = binary("linphone-daemon");
  const dir = tempDir("linphone");
  const home = join(dir, "home");
  mkdirSync(join(home, ".local", "share", "linphone"), { recursive: true });
  mkdirSync(join(home, ".config"), { recursive: true });
  const port = await freeUdpPort();
  const rc = join(dir, "linphonerc");
  const logFile = join(dir, "linphone.log");
  writeLinphoneConfig(rc, {
    port, registrarPort: o.registrarPort, user: o.user, password: o.password, expires: o.expires ?? 60, dtmf: o.dtmf ?? "rfc4733",
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    XDG_CONFIG_HOME: join(home, ".config"),
    XDG_DATA_HOME: join(home, ".local", "share"),
    XDG_CACHE_HOME: join(home, ".cache"),
  };
  const timeoutMs = o.timeoutMs ?? 10_000;
  const peer = await startPeer({
    name: "linphone",
    command: bin,
    args: ["--config", rc, "--log", logFile, ...(o.autoAnswer === true ? ["--auto-answer"] : [])],
    cwd: dir,
    env,
    stdin: true,
    // readline's first prompt: the core is up and reads commands.
    ready: /daemon-linphone>/,
    readyTimeoutMs: timeoutMs,
    files: [logFile],
  });
  const linphone = new Linphone(peer, port, dir, logFile);
  if (o.waitRegistered !== false) {
    try {
      await linphone.registered(timeoutMs);
    } catch (e) {
      await linphone.quit(2000);
      throw e;
    }
  }
  return linphone;
}

// ---------------------------------------------------------------- SIPVicious

/** svmap, svwar, svcrack (Debian's sipvicious 0.3.x). */
export type SipviciousTool = "svmap" | "svwar" | "svcrack";

export interface SipviciousRun extends PeerExit {
  peer: Peer;
  /** The UDP port on 127.0.0.1 it sent from (-P): the door's trace tells its datagrams by it. */
  port: number;
  /** What it printed (stdout and stderr: its log lines, and svmap's table of devices). */
  output: string;
}

/**
 * Run one SIPVicious tool at 127.0.0.1:<port> only, and wait for it to end
 * by itself (bounded by `timeoutMs`, then stopped by PID). It binds
 * 127.0.0.1:<free port> (-b, -P; it would take 5060 and up otherwise),
 * names 127.0.0.1 as its address (-x: else it resolves the host name), logs
 * verbosely (-v), and keeps its session files (~/.sipvicious) in a temp
 * dir that is its HOME. Its own waits are fixed: svmap and svwar wait 3 s
 * for late answers, svcrack 10 s for its first one.
 */
export async function runSipvicious(tool: SipviciousTool, port: number, args: string[], timeoutMs = 20_000): Promise<SipviciousRun> {
  const bin = binary(tool);
  const home = tempDir(tool);
  const local = await freeUdpPort();
  const peer = await startPeer({
    name: `${tool} ${args.join(" ")}`,
    command: bin,
    args: [...args, "-p", String(port), "-P", String(local), "-b", "127.0.0.1", "-x", "127.0.0.1", "-v", "127.0.0.1"],
    cwd: home,
    env: { ...process.env, HOME: home, PYTHONUNBUFFERED: "1" },
  });
  let exit: PeerExit;
  try {
    exit = await peer.waitExit(timeoutMs);
  } catch (e) {
    await peer.stop(500);
    throw e;
  }
  const output = peer.log.since(0);
  // It moves to the next port when -P is taken: then the trace could not tell its datagrams apart.
  if (/could not bind to/.test(output)) throw peer.failure(`could not bind 127.0.0.1:${local}`);
  return { ...exit, peer, port: local, output };
}

// ---------------------------------------------------------------- the door under test

/** An intercom event as the door's listener saw it. */
export interface DoorEvent {
  event: IntercomEvent;
  /** intercomEventName(event): "incoming call", "call up", "door opened"... */
  name: string;
  detail: string;
  /** ms since the door was started. */
  at: number;
}

export interface DoorOptions {
  /** For diagnostics ("door (SIPp direct)"). */
  label?: string;
  /**
   * Over the defaults: account door/doorpass at 127.0.0.1:9, domain doorsip.test; no registration, no
   * keepalive; the intercom's defaults otherwise: no door code, and calls only from the registrar
   * (src/ua/trust: a peer straight at the door needs settings.trust.allow).
   */
  settings?: Partial<IntercomSettings>;
  account?: Partial<AccountConfig>;
}

/** What a door holds, for the checks after a call or a burst. */
export interface DoorTables {
  activeCalls: number;
  serverCount: number;
  clientCount: number;
  relay: boolean;
}

/**
 * The door under test, whatever runs its core (DoorRuntime: NodeIntercom
 * here, XsIntercom in test/support/interop-xs-door.ts): what it sent and
 * received (SipTrace from the runtime's packet tap), its events, relay
 * changes and log lines, and bounded waits on them. Registered for
 * diagnostics (trackDoor) and stopped by usePeers' afterAll.
 */
export abstract class DoorBase<R extends DoorRuntime = DoorRuntime> {
  readonly events: DoorEvent[] = [];
  readonly log: string[] = [];
  /** Relay changes, in order. */
  readonly relay: { on: boolean; at: number }[] = [];
  readonly trace = new SipTrace();
  runtime!: R;
  stopped = false;
  private readonly t0 = Date.now();
  private readonly waiters = new Set<() => void>();
  private endpoint = "";

  constructor(readonly label: string) {}

  get port(): number {
    return this.runtime.localPort;
  }

  /** Calls and the transaction layer's table sizes (asked of the core, wherever it runs). */
  abstract tables(): Promise<DoorTables>;

  /** Event names in order ("incoming call", "call up", "call down"...). */
  eventNames(): string[] {
    return this.events.map((e) => e.name);
  }

  /** Wait for `event` at index `from` or later of `events` (bounded). */
  waitEvent(event: IntercomEvent, from = 0, timeoutMs = 5000): Promise<DoorEvent> {
    return new Promise<DoorEvent>((resolve, reject) => {
      const check = (): void => {
        const found = this.events.slice(from).find((e) => e.event === event);
        if (found !== undefined) {
          this.waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`${this.label}: no "${intercomEventName(event)}" event within ${timeoutMs} ms; events: ${this.eventNames().join(", ")}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  /** Poll tables() until `cond` holds (bounded); returns the last tables, or throws naming `what` and what is left. */
  async waitTables(cond: (t: DoorTables) => boolean, what: string, timeoutMs = 5000, stepMs = 20): Promise<DoorTables> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const t = await this.tables();
      if (cond(t)) return t;
      if (Date.now() >= end) throw new Error(`${this.label}: no ${what} within ${timeoutMs} ms (${JSON.stringify(t)})`);
      await sleep(stepMs);
    }
  }

  /** Hang up, unregister when registered (bounded), close the socket. */
  async stop(timeoutMs = 3000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    doors.splice(doors.indexOf(this), 1);
    await this.runtime.stop(timeoutMs);
  }

  /** @internal */
  attach(runtime: R): void {
    this.runtime = runtime;
    this.endpoint = `${runtime.localAddress}:${runtime.localPort}`;
  }

  /** @internal: the runtime's tap. */
  tap(from: string, to: string, bytes: Uint8Array): void {
    const out = from === this.endpoint;
    const peer = splitEndpoint(out ? to : from);
    this.trace.record(out ? "out" : "in", bytes, bytes.length, peer.address, peer.port);
  }

  /** @internal */
  event(event: IntercomEvent, detail: string): void {
    this.events.push({ event, name: intercomEventName(event), detail, at: Date.now() - this.t0 });
    for (const w of [...this.waiters]) w();
  }

  /** @internal */
  logLine(level: LogLevel, text: string): void {
    this.log.push(`+${Date.now() - this.t0} ms ${["error", "warn", "info", "debug"][level] ?? level}: ${text}`);
  }

  /** @internal */
  pin(what: "relay" | "led", on: boolean): void {
    if (what === "relay") this.relay.push({ on, at: Date.now() - this.t0 });
  }
}

/**
 * The real intercom (NodeIntercom: the core's Intercom on the Node host) on
 * 127.0.0.1:<port chosen by the OS>, every datagram in its SipTrace, its
 * log, events and relay changes kept (DoorBase).
 */
export class Door extends DoorBase<NodeIntercom> {
  get intercom(): Intercom {
    return this.runtime.intercom;
  }

  /** Calls, transactions and dialogs still held: what a failed test wants to see. */
  state(): string {
    const ic = this.intercom;
    const calls = ic.ua.calls.map((c: Call, i: number) => `call ${i}: state ${c.state} direction ${c.direction}`).join("; ");
    return `activeCalls ${ic.ua.activeCalls}, layer.serverCount ${ic.layer.serverCount}, layer.clientCount ${ic.layer.clientCount}, relay ${this.runtime.pins.relay}; ${calls}`;
  }

  /** Transactions and calls drained: no call active and no transaction in the layer's tables. */
  get drained(): boolean {
    const ic = this.intercom;
    return ic.ua.activeCalls === 0 && ic.layer.serverCount === 0 && ic.layer.clientCount === 0;
  }

  tables(): Promise<DoorTables> {
    const ic = this.intercom;
    return Promise.resolve({
      activeCalls: ic.ua.activeCalls, serverCount: ic.layer.serverCount, clientCount: ic.layer.clientCount, relay: this.runtime.pins.relay,
    });
  }
}

const doors: DoorBase[] = [];

/** Register a started door: stopped by usePeers' afterAll; its trace, log, events and `state()` printed when a test fails. */
export function trackDoor(door: DoorBase, state: () => string): void {
  doors.push(door);
  trackTrace(door.label, door.trace);
  trackText(`${door.label}: log`, () => door.log.join("\n"));
  trackText(`${door.label}: events, calls and tables`, () =>
    `events: ${door.events.map((e) => `+${e.at} ${e.name}${e.detail !== "" ? ` (${e.detail})` : ""}`).join(", ")}\n${state()}`);
}

/** The door's IntercomSettings for these options, whatever runs its core (startDoor, startXsDoor). */
export function doorSettings(o: DoorOptions = {}): IntercomSettings {
  const account: AccountConfig = {
    // Nothing is sent there unless the door registers or keeps alive (both off by default).
    registrarHost: "127.0.0.1",
    registrarPort: 9,
    domain: REALM,
    user: USERS.door.user,
    password: USERS.door.password,
    ...o.account,
  };
  return { register: false, keepaliveSeconds: 0, ...o.settings, account };
}

export async function startDoor(o: DoorOptions = {}): Promise<Door> {
  const door = new Door(o.label ?? "door");
  const log: LogHost = { log: (level, text) => door.logLine(level, text) };
  const runtime = await NodeIntercom.create({
    settings: doorSettings(o),
    address: "127.0.0.1",
    port: 0,
    log,
    tap: (ev) => door.tap(ev.from, ev.to, ev.bytes),
    onEvent: (event, detail) => door.event(event, detail),
    onPin: (what, on) => door.pin(what, on),
  });
  door.attach(runtime);
  trackDoor(door, () => door.state());
  runtime.start();
  return door;
}

/** Stop every door still running (usePeers' afterAll). */
export async function stopAllDoors(): Promise<void> {
  await Promise.all([...doors].map((d) => d.stop(2000)));
}

/** The door's SDP in a message (its body), and whether it holds G.711 (payload type 0 or 8 on an m=audio line with a port). */
export function g711Answer(text: string): boolean {
  return /^m=audio [1-9]\d* RTP\/AVP( \d+)*( 0| 8)( |\r?$)/m.test(bodyOf(text));
}

// ---------------------------------------------------------------- Twinkle

/*
 * Twinkle (Debian's twinkle-console 1.10.2: its own SIP stack) as a third
 * softphone, for RFC 3262 (100rel/PRACK) and RFC 3515 (REFER) with a real
 * peer. It is driven through its stdin (the console's commands: call,
 * answer, bye, transfer, quit) and reports on stdout ("Line 1: incoming
 * call", "Line 1: far end answered call."...). Its settings live in
 * $HOME/.twinkle: twinkle.sys (ports, audio devices, logging) and one user
 * profile, NAME.cfg, named on the command line. Twinkle 1.10.2 has no bind
 * address setting (no twinkle.sys or profile key, no option: its
 * t_socket_udp and t_socket_tcp bind INADDR_ANY in the code), so it runs
 * with loopback-bind.so in LD_PRELOAD (./loopback-bind.c, compiled at test
 * time by loopbackBindShim()), which turns every bind to 0.0.0.0 into one
 * to 127.0.0.1: its SIP port (UDP and TCP) and RTP sockets listen on
 * loopback only (Twinkle.sockets() reads them back from /proc/net). What
 * it sends goes to 127.0.0.1 only (kamailio is its registrar and outbound
 * proxy, all_requests_to_proxy), and its Via and Contact say 127.0.0.1
 * (it takes the source address of the route to the proxy).
 */

/** Twinkle's 100rel setting (user profile ext_100rel): as UAC "preferred" and "required" both send Require: 100rel. */
export type Twinkle100rel = "disabled" | "supported" | "preferred" | "required";

export interface TwinkleOptions {
  /** The registrar and outbound proxy: 127.0.0.1:<kamailio port>. */
  registrarPort: number;
  user: string;
  password: string;
  /** ext_100rel; default "supported" (Twinkle's own default). */
  ext100rel?: Twinkle100rel;
  /** Put the call on hold before sending REFER (referrer_hold; Twinkle's default true). */
  referrerHold?: boolean;
  /** Wait for "registration succeeded" (default true). */
  waitRegistered?: boolean;
  timeoutMs?: number;
}

/** What writeTwinkleConfig puts in $HOME/.twinkle. */
export interface TwinkleConfig {
  sipPort: number;
  /** Line n's RTP port is rtpPort + 2n (Twinkle's t_line::init_rtp_port). */
  rtpPort: number;
  registrarPort: number;
  user: string;
  password: string;
  ext100rel: Twinkle100rel;
  referrerHold: boolean;
}

// The packages that provide it and the compiler of its shim (what .ci/run installs), for requirePeers' message; set here to keep this block in one piece.
PACKAGES["twinkle-console"] = "twinkle-console";
PACKAGES.cc = "gcc";

/** The shim's source, and where it is built: build/ (not committed), next to the XS worker's build/xs. */
const LOOPBACK_BIND_C = join(dirname(fileURLToPath(import.meta.url)), "loopback-bind.c");
const LOOPBACK_BIND_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "build", "peers");
let loopbackBindBuild: Promise<string> | null = null;

/**
 * The path of loopback-bind.so, compiled from ./loopback-bind.c with `cc`
 * once per test process, and reused when the one in build/peers is newer
 * than the source. Built under a name of its own and renamed into place,
 * so that test files compiling at once never load a half-written file.
 * Throws with cc's output when it cannot be built (a missing `cc` is
 * caught earlier by requirePeers("cc"): skip, or fail under CI=true).
 */
export function loopbackBindShim(): Promise<string> {
  loopbackBindBuild ??= buildLoopbackBind();
  return loopbackBindBuild;
}

async function buildLoopbackBind(): Promise<string> {
  const out = join(LOOPBACK_BIND_DIR, "loopback-bind.so");
  // LD_PRELOAD splits its list on spaces and colons.
  if (/[\s:]/.test(out)) throw new Error(`loopback-bind.so: its path has a space or colon, which LD_PRELOAD cannot take: ${out}`);
  if (existsSync(out) && statSync(out).mtimeMs > statSync(LOOPBACK_BIND_C).mtimeMs) return out;
  const cc = binary("cc");
  mkdirSync(LOOPBACK_BIND_DIR, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const args = ["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-o", tmp, LOOPBACK_BIND_C, "-ldl"];
  await new Promise<void>((resolve, reject) => {
    execFile(cc, args, { timeout: 60_000 }, (error, stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`loopback-bind.so: ${cc} ${args.join(" ")} failed (${error.message.trim()}):\n${stdout}${stderr}`));
    });
  }).catch((e: unknown) => {
    rmSync(tmp, { force: true });
    throw e;
  });
  renameSync(tmp, out);
  return out;
}

/** An IPv4 or IPv6 socket of a process, as /proc/net/{udp,tcp,udp6,tcp6} show it. */
export interface InetSocket {
  proto: "udp" | "tcp" | "udp6" | "tcp6";
  /** The local address as the kernel prints it: hex, in network byte order read as host words ("0100007F" is 127.0.0.1 on a little-endian machine, "00000000" is 0.0.0.0). */
  localHex: string;
  /** The same, decoded: "127.0.0.1", "0.0.0.0", "0:0:0:0:0:0:0:1". */
  address: string;
  port: number;
  /** The kernel's state number in hex: "0A" is a TCP listener, "07" an unconnected UDP socket. */
  state: string;
}

/** /proc/net's hex address: IPv4 one 32-bit word, IPv6 four, each printed in host (little-endian) byte order. */
function procAddress(hex: string): string {
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = words.flatMap((w) => [w.slice(6, 8), w.slice(4, 6), w.slice(2, 4), w.slice(0, 2)].map((b) => parseInt(b, 16)));
  if (bytes.length === 4) return bytes.join(".");
  const groups: string[] = [];
  for (let i = 0; i + 1 < bytes.length; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return groups.join(":");
}

/**
 * Every IPv4 and IPv6 socket process `pid` holds: the socket inodes of
 * /proc/PID/fd looked up in /proc/net/{udp,tcp,udp6,tcp6}. Threads share
 * the table, so a multithreaded peer's sockets are all there.
 */
export function inetSocketsOf(pid: number): InetSocket[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m !== null) inodes.add(m[1]!);
    } catch {
      // closed since readdir
    }
  }
  const out: InetSocket[] = [];
  for (const proto of ["udp", "tcp", "udp6", "tcp6"] as const) {
    let text: string;
    try {
      text = readFileSync(`/proc/net/${proto}`, "latin1");
    } catch {
      continue; // no IPv6 in this kernel
    }
    // "sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ..."
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 10 || !inodes.has(f[9]!)) continue;
      const [hex, port] = f[1]!.split(":");
      out.push({ proto, localHex: hex!, address: procAddress(hex!), port: parseInt(port!, 16), state: f[3]! });
    }
  }
  return out;
}

/** The profile's name: PROFILE.cfg in $HOME/.twinkle, given on the command line. */
export const TWINKLE_PROFILE = "doorsip";

/**
 * twinkle.sys and doorsip.cfg in `dir` ($HOME/.twinkle). No sound card:
 * every audio device is ALSA's "null" PCM (alsa-lib's own configuration
 * defines it: it takes what is played and gives silence), the check of the
 * devices at start-up is off, and so are ring tones. SIP messages go to
 * twinkle.log. The profile: the user at doorsip.test, kamailio as
 * registrar and outbound proxy for every request, G.711 only, RFC 2833
 * DTMF, 100rel as asked, REFER allowed without asking, no presence
 * PUBLISH, no MWI.
 */
export function writeTwinkleConfig(dir: string, c: TwinkleConfig): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "twinkle.sys"),
    [
      "dev_ringtone=alsa:null",
      "dev_speaker=alsa:null",
      "dev_mic=alsa:null",
      "validate_audio_dev=no",
      "log_max_size=5",
      "log_show_sip=yes",
      "log_show_stun=no",
      "log_show_memory=no",
      "log_show_debug=no",
      `sip_port=${c.sipPort}`,
      `rtp_port=${c.rtpPort}`,
      "play_ringtone=no",
      "play_ringback=no",
      "call_waiting=no",
      "",
    ].join("\n"),
  );
  const proxy = `127.0.0.1:${c.registrarPort}`;
  writeFileSync(
    join(dir, `${TWINKLE_PROFILE}.cfg`),
    [
      `user_name=${c.user}`,
      `user_domain=${REALM}`,
      "user_display=Twinkle",
      `auth_realm=${REALM}`,
      `auth_name=${c.user}`,
      `auth_pass=${c.password}`,
      // Server values without a scheme: Twinkle adds "sip:" itself.
      `outbound_proxy=${proxy}`,
      "all_requests_to_proxy=yes",
      `registrar=${proxy}`,
      "registration_time=60",
      "register_at_startup=yes",
      "codecs=g711u,g711a",
      "dtmf_transport=rfc2833",
      "sip_transport=udp",
      `ext_100rel=${c.ext100rel}`,
      "allow_refer=yes",
      "ask_user_to_refer=no",
      `referrer_hold=${c.referrerHold ? "yes" : "no"}`,
      "pres_publish_startup=no",
      "mwi_sollicited=no",
      "timer_noanswer=30",
      "",
    ].join("\n"),
  );
}

/** A port free on 127.0.0.1 for UDP (and TCP): Twinkle binds its SIP port there for both (through loopback-bind.so). */
async function portFreeOnLoopback(port: number, tcp: boolean): Promise<boolean> {
  const udp = await new Promise<boolean>((resolve) => {
    const s = createSocket("udp4");
    s.once("error", () => resolve(false));
    s.bind(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
  if (!udp || !tcp) return udp;
  return new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/**
 * Twinkle's ports, free on 127.0.0.1 a moment ago: the SIP port (UDP and
 * TCP) and an even RTP base with `rtpPorts` ports after it (its lines take
 * rtpPort + 2n and the RTCP port after each). Never handed out twice.
 */
export async function freeTwinklePorts(rtpPorts = 16): Promise<{ sipPort: number; rtpPort: number }> {
  let sipPort = 0;
  for (let i = 0; i < 20 && sipPort === 0; i++) {
    const p = await freeUdpPort();
    if (await portFreeOnLoopback(p, true)) sipPort = p;
  }
  for (let i = 0; i < 50 && sipPort > 0; i++) {
    // An even base in 20000-59998: the OS's ephemeral range starts at 32768 on Linux, but a free block is what counts.
    const base = 20000 + 2 * Math.floor(Math.random() * 19000);
    let ok = true;
    for (let p = base; p < base + rtpPorts && ok; p++) ok = !handedOut.has(p) && p !== sipPort && (await portFreeOnLoopback(p, false));
    if (!ok) continue;
    for (let p = base; p < base + rtpPorts; p++) handedOut.add(p);
    return { sipPort, rtpPort: base };
  }
  throw new Error("freeTwinklePorts: no free SIP port or RTP block");
}

/** A SIP message in Twinkle's log ("Send to: udp:..." / "Received from: udp:..." blocks), with CRLF line ends. */
export interface TwinkleMessage {
  dir: "sent" | "received";
  /** "udp:127.0.0.1:PORT": where it went to or came from. */
  peer: string;
  text: string;
}

/**
 * twinkle-console driven through its stdin: commands go in one line at a
 * time (command()), what it prints comes out in the peer's log, waited on
 * with waitOutput(); its own log ($HOME/.twinkle/twinkle.log: every SIP
 * message sent and received) is read with sipMessages().
 */
export class Twinkle {
  constructor(
    readonly peer: Peer,
    /** Its SIP port, UDP and TCP on 127.0.0.1 (line n's RTP port: rtpPort + 2n). */
    readonly port: number,
    readonly rtpPort: number,
    /** $HOME/.twinkle */
    readonly dir: string,
  ) {}

  get logFile(): string {
    return join(this.dir, "twinkle.log");
  }

  /** Send one command line ("call sip:door@doorsip.test", "answer", "bye", "transfer sip:sipp@doorsip.test"); returns the log's mark before it. */
  command(line: string): number {
    const input = this.peer.input;
    if (input === null || !this.peer.running) throw this.peer.failure(`is not running: cannot send "${line}"`);
    this.peer.log.append(`\n[stdin -> ${line}]\n`);
    const mark = this.peer.mark();
    input.write(`${line}\n`);
    return mark;
  }

  /** Wait (bounded; fails early when Twinkle exits) for its console output after `from` to match `pattern`. */
  waitOutput(pattern: RegExp, from = 0, timeoutMs = 5000): Promise<RegExpExecArray> {
    return this.peer.waitFor(pattern, { from, timeoutMs });
  }

  /** Its console output since `from`, lines trimmed, empty ones and prompts dropped. */
  output(from = 0): string[] {
    return this.peer.log.since(from).split("\n").map((l) => l.replace(/^(?:Twinkle> )+/, "").trim()).filter((l) => l !== "");
  }

  /** Its IPv4 and IPv6 sockets now (inetSocketsOf its PID): where it listens. */
  sockets(): InetSocket[] {
    return inetSocketsOf(this.peer.pid);
  }

  /** The SIP messages in its log file, in order. */
  sipMessages(): TwinkleMessage[] {
    const log = existsSync(this.logFile) ? readFileSync(this.logFile, "latin1") : "";
    const out: TwinkleMessage[] = [];
    // Each report: "+++ date time LEVEL ... \n<text>\n---"; SIP ones start "Send to: udp:..." or "Received from: udp:...".
    for (const m of log.matchAll(/^(Send to|Received from): (udp:[^\n]+)\n([\s\S]*?)\n---$/gm)) {
      const body = m[3]!.replace(/\r?\n/g, "\r\n");
      out.push({ dir: m[1] === "Send to" ? "sent" : "received", peer: m[2]!.trim(), text: body.includes("\r\n\r\n") ? body : body + "\r\n\r\n" });
    }
    return out;
  }

  /**
   * "quit": Twinkle ends its calls, unregisters (challenged again, then
   * 200) and exits; waited for (bounded), else stopped by PID.
   */
  async quit(timeoutMs = 15_000): Promise<PeerExit> {
    if (!this.peer.running) return this.peer.exited!;
    this.command("quit");
    try {
      return await this.peer.waitExit(timeoutMs);
    } catch {
      return this.peer.stop(1000);
    }
  }
}

/**
 * Start twinkle-console with HOME in a temp dir (its settings, log, lock
 * file, call history and address book stay there), stdin open for
 * commands, loopback-bind.so in LD_PRELOAD (its environment only) so that
 * it listens on 127.0.0.1. Waits (by default) for "registration succeeded".
 */
export async function startTwinkle(o: TwinkleOptions): Promise<Twinkle> {
  const bin = binary("twinkle-console");
  const home = tempDir("twinkle");
  const dir = join(home, ".twinkle");
  const { sipPort, rtpPort } = await freeTwinklePorts();
  writeTwinkleConfig(dir, {
    sipPort, rtpPort, registrarPort: o.registrarPort, user: o.user, password: o.password,
    ext100rel: o.ext100rel ?? "supported", referrerHold: o.referrerHold ?? true,
  });
  const shim = await loopbackBindShim();
  const preload = [shim, process.env.LD_PRELOAD ?? ""].filter((p) => p !== "").join(" ");
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, LD_PRELOAD: preload };
  const timeoutMs = o.timeoutMs ?? 10_000;
  const peer = await startPeer({
    name: "twinkle",
    command: bin,
    args: [`${TWINKLE_PROFILE}.cfg`],
    cwd: home,
    env,
    stdin: true,
    // Printed once its SIP socket is open and the registration has begun.
    ready: /registering phone\.\.\./,
    readyTimeoutMs: timeoutMs,
    files: [join(dir, "twinkle.log")],
  });
  const twinkle = new Twinkle(peer, sipPort, rtpPort, dir);
  if (o.waitRegistered !== false) {
    try {
      await peer.waitFor(/registration succeeded|registration failed[^\n]*/, { timeoutMs });
      if (/registration failed/.test(peer.log.since(0))) throw peer.failure("registration failed");
    } catch (e) {
      await twinkle.quit(2000);
      throw e;
    }
  }
  return twinkle;
}
