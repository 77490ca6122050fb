/*
 * `doorsip run` (and `npm start`): the intercom on this computer.
 *
 * With no --server it starts the built-in loopback PBX (a registrar with
 * digest auth and a desk phone, extension 100) and shows the traffic as a
 * ladder: registration with its 401, OPTIONS keepalives, a doorbell call
 * answered by the desk phone, which types the door code, and, on request,
 * a call from the desk phone to the door. --demo runs that tour by itself
 * and exits 0 when every step happened.
 *
 * With --server it is a door station on this computer, on real sockets.
 *
 * --xs runs the same core inside the real XS engine (hosts/xs/xs-intercom.ts:
 * the doorsip-xs worker, with UDP, timers, randomness, logging and pins
 * bridged from here); everything else (PBX, ladder, pcap, keys, the tour)
 * is shared: both runtimes are a DoorRuntime.
 */
import { randomInt } from "node:crypto";
import { lookup } from "node:dns/promises";
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { LogLevel } from "../../../src/host";
import { ButtonAction, HuntMode, IntercomEvent, intercomEventName, type IntercomSettings } from "../../../src/app/intercom";
import { validDoorCode } from "../../../src/app/door-opener";
import { normalTarget, TargetProblem } from "../../../src/ua/dial-target";
import { DEFAULT_MAX_CLIENT, DEFAULT_MAX_SERVER, DEFAULT_MESSAGE_BUFFER } from "../../../src/sip/transaction/layer";
import { type AccountConfig, hasOutboundProxy, usableAuthUser } from "../../../src/ua/account";
import { parseSourceEntry } from "../../../src/ua/trust/source-list";
import { parseUntrustedAction, UntrustedAction } from "../../../src/ua/trust/trust-settings";
import { FileAudio, parseMic, type MicSource } from "../audio/file-audio";
import { WavWriter } from "../audio/wav";
import { ladderTap, LOOPBACK_COLUMNS } from "../ladder";
import { NodeLog, parseLogLevel } from "../log";
import { PcapFileWriter } from "../pcap";
import { LoopbackPbx } from "../pbx/index";
import { pcapTap, type PacketEvent, type PacketTap } from "../pbx/tap";
import { NodeIntercom, type DoorRuntime, type DoorRuntimeOptions } from "../runtime";
import { XsIntercom } from "../../xs/xs-intercom";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo, type Command } from "./command";
import { runDemo } from "./demo";
import { listenForKeys } from "./keys";
import { closest, commandOptions } from "./options";
import { type DnsServerAddress, parseDnsServer } from "../../../src/dns/dns-client";
import { describeLocation } from "../../../src/dns/server-locator";
import { locateServer, systemDnsServers } from "../locate";

/** The Node host's transaction arena: every transaction of the default pools with its largest message. */
const NODE_ARENA_BYTES = (DEFAULT_MAX_CLIENT + DEFAULT_MAX_SERVER) * DEFAULT_MESSAGE_BUFFER;

const USAGE = `usage: doorsip run [options]

Run the door intercom on this computer. Without --server, a built-in loopback
PBX is started (registrar with digest auth, and a desk phone at extension 100)
and the SIP traffic is shown as a ladder.

Keys (or lines on stdin): b / Enter / "press"  ring the doorbell
                          c / "call"           the desk phone calls the door (built-in PBX)
                                               and types the door code
                          w / "wrong"          the same with a wrong code (built-in PBX)
                          h / "hangup"         hang up
                          q / "quit"           unregister and exit (also Ctrl-C, SIGTERM)

Server options:
  --server sip:host[:port]   registrar / proxy (default: the built-in PBX)
  --user NAME --password PW  the door's account
  --auth-user NAME           digest username, when not NAME (3CX's Authentication ID)
  --domain DOMAIN            SIP domain (default: the server's host)
  --proxy sip:host[:port]    outbound proxy: every request goes there first
                             (RFC 3261 8.1.2; a provider's or an SBC's)
                             A name without port is located by its SRV records
                             (_sip._udp.NAME, RFC 3263), else its address, port 5060;
                             when it stops answering, its next target, or the name again
  --dns HOST[:PORT]          the DNS server(s) to ask, comma-separated (default: the
                             system's, from /etc/resolv.conf)
  --target URI|EXT           who the doorbell calls: an extension (100) or a SIP URI
                             (sip:100@pbx; user@host gets the sip:); repeatable or
                             comma-separated (100,101)
  --hunt sequential|parallel how several targets are called (default sequential)
  --listen ip:port           local address (default 127.0.0.1:0, or 0.0.0.0:5060 with --server)
  --keepalive SECONDS        OPTIONS keepalive interval, 0 = off (default 30;
                             5 with the built-in PBX)
  --expires SECONDS          registration expiry asked for (default 3600)
  --door-code CODE           DTMF code that opens the door, 1 to 16 of 0-9 * # A-D;
                             quote it in a shell ('4711#'): default none, DTMF opens
                             nothing; with the built-in PBX a random one per run
  --allow ADDR               also take calls from ADDR: ip, ip:port or a.b.c.d/n
                             (repeatable; the server itself is always trusted)
  --untrusted reject|drop    what calls from other sources get: 403 (default) or nothing
  --auto-answer MS           delay before answering calls (default 0)
  --inband-dtmf auto|on|off  keys heard as tones in a call's audio: auto (default) in
                             calls that agreed no telephone-event, on in every call
  --button ignore|hangup     what the button does during a call (default ignore)
  --transfers on|off         a phone may transfer the door's call (REFER) to the
                             account's domain or a trusted host: on (default), or
                             off (603)
  --config FILE.json         the same settings as JSON, named as the options
                             without "--" ({"server": "sip:pbx", "user": "door",
                             "target": ["100"]}); an unknown name is an error;
                             options on the command line win
Output:
  --verbose                  print whole messages under the ladder
  --pcap FILE                write the traffic as a pcap (Wireshark, sngrep)
  --ascii                    plain ASCII ladder
  --log-level LEVEL          error, warn, info, debug (default warn)
  --demo                     run the built-in tour and exit 0 when every step happened
Runtime:
  --xs                       run the core inside the real XS engine (the doorsip-xs
                             worker, built on first use), bridged to this process
Audio (G.711 RTP in calls; 8 kHz 16-bit mono, other WAV rates and stereo converted):
  --mic FILE.wav|tone:HZ     the door's microphone: a WAV file (looped) or a tone
                             (default: silence)
  --speaker OUT.wav          the door's speaker: what the call says (and ringback,
                             the door-open tone) is written there
  --rtp-port PORT            first RTP port (call slot i: PORT + 2i; default: free ports)
`;

interface RunOptions {
  server?: string;
  user?: string;
  password?: string;
  "auth-user"?: string;
  domain?: string;
  proxy?: string;
  dns?: string;
  target?: string[];
  hunt?: string;
  listen?: string;
  keepalive?: string;
  expires?: string;
  "door-code"?: string;
  allow?: string[];
  untrusted?: string;
  "auto-answer"?: string;
  "inband-dtmf"?: string;
  button?: string;
  transfers?: string;
  config?: string;
  verbose?: boolean;
  pcap?: string;
  ascii?: boolean;
  "log-level"?: string;
  demo?: boolean;
  xs?: boolean;
  mic?: string;
  speaker?: string;
  "rtp-port"?: string;
  help?: boolean;
}

class UsageError extends Error {}

function int(name: string, value: string | number | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === "number" ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got ${String(value)})`);
  return n;
}

/** "sip:host[:port]" or "host[:port]" → host and port (`option` names it in the message: server, proxy); portGiven: the text had one. */
export function parseServer(text: string, option = "server"): { host: string; port: number; portGiven: boolean } {
  const m = /^(?:sips?:)?(?:[^@;]*@)?(\[[0-9a-fA-F:.]+\]|[^:;[\]]+)(?::(\d+))?(?:;.*)?$/.exec(text.trim());
  if (m === null || m[1] === undefined || m[1] === "") throw new UsageError(`--${option}: cannot read "${text}" (expected sip:host[:port])`);
  const host = m[1].startsWith("[") ? m[1].slice(1, -1) : m[1];
  const port = m[2] !== undefined ? int(`${option} port`, m[2], 1, 65535)! : 5060;
  return { host, port, portGiven: m[2] !== undefined };
}

/** --dns: "HOST[:PORT]", comma-separated; IPv4 addresses (the door's DNS client is IPv4). */
function parseDns(text: string): DnsServerAddress[] {
  const out: DnsServerAddress[] = [];
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const a = parseDnsServer(part);
    if (a === null) throw new UsageError(`--dns: cannot read "${part.trim()}" (expected an IPv4 address, optionally :port)`);
    out.push(a);
  }
  if (out.length === 0) throw new UsageError("--dns: no server given");
  return out;
}

/**
 * --target values as the core takes them (src/ua/dial-target.ts):
 * comma-separated lists split, each made a SIP URI or a user part; what is
 * neither is a UsageError.
 */
export function normalTargets(values: readonly string[]): string[] {
  const out: string[] = [];
  for (const value of values) {
    for (const part of value.split(",")) {
      const t = part.trim();
      if (t === "") continue;
      const target = normalTarget(t);
      if (typeof target === "string") out.push(target);
      else if (target === TargetProblem.Space) throw new UsageError(`--target "${t}": no spaces in a target`);
      else if (target === TargetProblem.Scheme) throw new UsageError(`--target "${t}": only sip: and sips: URIs can be called (or an extension, such as 100)`);
      else throw new UsageError(`--target "${t}": an extension holds letters, digits and - _ . ! ~ * ' ( ) & = + $ ; ? / only (RFC 3261 §25.1); or give a SIP URI, sip:user@host`);
    }
  }
  return out;
}

function parseListen(text: string): { address: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+)(?::(\d+))?$/.exec(text.trim());
  if (m === null) throw new UsageError(`--listen: cannot read "${text}" (expected ip:port)`);
  const address = m[1]!.startsWith("[") ? m[1]!.slice(1, -1) : m[1]!;
  return { address, port: m[2] !== undefined ? int("listen port", m[2], 0, 65535)! : 5060 };
}

/** The settings a --config file may hold: the options' names without "--" (also camelCase, and "targets"). */
const CONFIG_STRINGS = ["server", "user", "password", "auth-user", "domain", "proxy", "dns", "hunt", "listen", "keepalive", "expires", "door-code", "untrusted", "auto-answer", "inband-dtmf", "button", "transfers", "mic", "speaker", "rtp-port"] as const;
const CONFIG_KEYS: readonly string[] = [...CONFIG_STRINGS, "target", "targets", "allow"];

/** "auth-user" → "authUser". */
function camel(key: string): string {
  return key.replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

/** Settings from a JSON file: the same names as the options (also camelCase). */
function readConfig(path: string): RunOptions {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    // JSON.parse's message quotes the text around the fault, which may be the password.
    const why = e instanceof SyntaxError ? "not valid JSON" : e instanceof Error && "code" in e ? String((e as { code: unknown }).code) : "unreadable";
    throw new UsageError(`--config ${path}: ${why}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new UsageError(`--config ${path}: expected a JSON object`);
  const o: RunOptions = {};
  const src = raw as Record<string, unknown>;
  // A misspelt key would otherwise be ignored without a word: a "pasword" leaves the door without its password.
  const known = new Set([...CONFIG_KEYS, ...CONFIG_KEYS.map(camel)]);
  for (const k of Object.keys(src)) {
    if (known.has(k)) continue;
    const near = closest(k, [...known]);
    throw new UsageError(`--config ${path}: unknown setting "${k}"${near !== undefined ? ` (did you mean "${near}"?)` : ""}; the file takes ${CONFIG_KEYS.join(", ")}`);
  }
  const str = (k: string): string | undefined => {
    const v = src[k] ?? src[camel(k)];
    if (v === undefined) return undefined;
    if (typeof v !== "string" && typeof v !== "number") throw new UsageError(`--config ${path}: "${k}" must be a string or number`);
    return String(v);
  };
  for (const k of CONFIG_STRINGS) {
    const v = str(k);
    if (v !== undefined) (o as Record<string, unknown>)[k] = v;
  }
  const t = src.target ?? src.targets;
  if (t !== undefined) {
    if (typeof t === "string") o.target = [t];
    else if (Array.isArray(t) && t.every((x) => typeof x === "string")) o.target = t as string[];
    else throw new UsageError(`--config ${path}: "targets" must be a string or a list of strings`);
  }
  const allow = src.allow;
  if (allow !== undefined) {
    if (typeof allow === "string") o.allow = [allow];
    else if (Array.isArray(allow) && allow.every((x) => typeof x === "string")) o.allow = allow as string[];
    else throw new UsageError(`--config ${path}: "allow" must be a string or a list of strings`);
  }
  return o;
}

/** What `doorsip run` was asked to do, validated. */
export interface RunPlan {
  builtIn: boolean;
  settings: Omit<IntercomSettings, "account"> & { account?: AccountConfig };
  listen: { address: string; port: number };
  verbose: boolean;
  pcap?: string;
  ascii: boolean;
  logLevel: LogLevel;
  demo: boolean;
  xs: boolean;
  doorCode: string;
  /** --password: the door's account password (with the built-in PBX, the PBX's too). */
  password?: string;
  /** --auth-user: the digest username (with the built-in PBX, the door's account there takes it as its authentication ID). */
  authUser?: string;
  /** --dns: the DNS servers to ask (none: the system's). */
  dns?: DnsServerAddress[];
  /** --mic, --speaker: the door's audio (checked: a readable 16-bit PCM WAV, or tone:HZ). */
  mic?: MicSource;
  speaker?: string;
  rtpPort?: number;
}

/** `doorsip run`'s options for commandOptions (which adds -h/--help); RunOptions are their values. */
const RUN_OPTIONS = {
  server: { type: "string" }, user: { type: "string" }, password: { type: "string" }, "auth-user": { type: "string" },
  domain: { type: "string" }, proxy: { type: "string" }, dns: { type: "string" },
  target: { type: "string", multiple: true }, hunt: { type: "string" }, listen: { type: "string" },
  keepalive: { type: "string" }, expires: { type: "string" }, "door-code": { type: "string" },
  allow: { type: "string", multiple: true }, untrusted: { type: "string" },
  "auto-answer": { type: "string" }, "inband-dtmf": { type: "string" }, button: { type: "string" }, transfers: { type: "string" }, config: { type: "string" },
  verbose: { type: "boolean" }, pcap: { type: "string" }, ascii: { type: "boolean" }, "log-level": { type: "string" },
  demo: { type: "boolean" }, xs: { type: "boolean" },
  mic: { type: "string" }, speaker: { type: "string" }, "rtp-port": { type: "string" },
} as const;

/** The run checked from the options' values (and --config's file, which the options override); UsageError when they do not fit. */
export function plan(values: RunOptions): RunPlan {
  const o: RunOptions = { ...(values.config !== undefined ? readConfig(values.config) : {}), ...stripUndefined(values) };
  const builtIn = o.server === undefined || o.server === "";
  if (o.demo === true && !builtIn) throw new UsageError("--demo runs against the built-in PBX: leave out --server");
  const logLevel = o["log-level"] !== undefined ? parseLogLevel(o["log-level"]) : LogLevel.Warn;
  if (logLevel === undefined) throw new UsageError(`--log-level must be error, warn, info or debug (got ${o["log-level"]})`);
  const hunt = o.hunt === undefined || o.hunt === "sequential" ? HuntMode.Sequential : o.hunt === "parallel" ? HuntMode.Parallel : undefined;
  if (hunt === undefined) throw new UsageError(`--hunt must be sequential or parallel (got ${o.hunt})`);
  const button = o.button === undefined || o.button === "ignore" ? ButtonAction.Ignore : o.button === "hangup" ? ButtonAction.Hangup : undefined;
  if (button === undefined) throw new UsageError(`--button must be ignore or hangup (got ${o.button})`);
  // No default code: a trivial one would open the door to anyone whose call gets through. The
  // built-in PBX's desk phone is told the code, so the tour gets a fresh random one.
  const doorCode = o["door-code"] ?? (builtIn ? randomDoorCode() : "");
  if (doorCode !== "" && !validDoorCode(doorCode)) throw new UsageError(`--door-code must be 1 to 16 of 0-9 * # A-D (got ${doorCode})`);
  const transfers = o.transfers ?? "on";
  if (transfers !== "on" && transfers !== "off") throw new UsageError(`--transfers must be on or off (got ${transfers})`);
  const inband = o["inband-dtmf"] ?? "auto";
  if (inband !== "auto" && inband !== "on" && inband !== "off") throw new UsageError(`--inband-dtmf must be auto, on or off (got ${inband})`);
  const untrusted = o.untrusted === undefined ? UntrustedAction.Reject : parseUntrustedAction(o.untrusted);
  if (untrusted === undefined) throw new UsageError(`--untrusted must be reject or drop (got ${o.untrusted})`);
  for (const a of o.allow ?? []) {
    const e = parseSourceEntry(a);
    if (!e.ok) throw new UsageError(`--allow ${e.error}`);
  }
  const keepalive = int("keepalive", o.keepalive, 0, 86400) ?? (builtIn ? 5 : 30);
  const expires = int("expires", o.expires, 10, 604800);
  const autoAnswer = int("auto-answer", o["auto-answer"], 0, 600000);
  const authUser = o["auth-user"] !== undefined && o["auth-user"] !== "" ? o["auth-user"] : undefined;
  if (authUser !== undefined && !usableAuthUser(authUser)) throw new UsageError(`--auth-user cannot hold spaces, quotes or backslashes (got ${authUser})`);
  let account: AccountConfig | undefined;
  if (!builtIn) {
    const { host, port, portGiven } = parseServer(o.server!);
    if (o.user === undefined || o.user === "") throw new UsageError("--user is needed with --server");
    account = { registrarHost: host, registrarPort: port, domain: o.domain, user: o.user, password: o.password ?? "", expires };
    // No port: the name's SRV records are asked (RFC 3263 §4.2); with one, its address only.
    if (portGiven) account.serverNamePort = port;
    if (authUser !== undefined) account.authUser = authUser;
    if (o.proxy !== undefined && o.proxy !== "") {
      const proxy = parseServer(o.proxy, "proxy");
      account.outboundProxyHost = proxy.host;
      // Absent: not given, so an SRV record's port may apply (RFC 3263 §4.1 locates the first hop the same way).
      if (proxy.portGiven) account.outboundProxyPort = proxy.port;
    }
  } else if (o.proxy !== undefined && o.proxy !== "") {
    throw new UsageError("--proxy needs --server (the built-in PBX is on this computer: no proxy in between)");
  }
  const listen = o.listen !== undefined ? parseListen(o.listen) : builtIn ? { address: "127.0.0.1", port: 0 } : { address: "0.0.0.0", port: 5060 };
  return {
    builtIn,
    settings: {
      account,
      targets: normalTargets(o.target ?? []),
      hunt,
      buttonDuringCall: button,
      doorCode,
      inbandDtmf: inband,
      keepaliveSeconds: keepalive,
      calls: { autoAnswerMs: autoAnswer, allowRefer: transfers === "on" },
      trust: { allow: o.allow ?? [], untrusted },
      // A computer has memory to spare: room for every transaction's largest message (the layer's default pools,
      // 8 client + 16 server, of 1300 bytes), so no copy is ever given up; the device's arena is tx_arena.
      arenaBytes: NODE_ARENA_BYTES,
    },
    listen,
    verbose: o.verbose === true,
    pcap: o.pcap,
    ascii: o.ascii === true,
    logLevel,
    demo: o.demo === true,
    xs: o.xs === true,
    doorCode,
    password: o.password,
    authUser,
    dns: o.dns !== undefined && o.dns !== "" ? parseDns(o.dns) : undefined,
    ...audioPlan(o),
  };
}

/** --mic, --speaker, --rtp-port, checked. */
function audioPlan(o: RunOptions): Pick<RunPlan, "mic" | "speaker" | "rtpPort"> {
  let mic: MicSource | undefined;
  try {
    mic = o.mic !== undefined ? parseMic(o.mic) : undefined;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new UsageError(message.startsWith("--mic") ? message : `--mic: ${message}`);
  }
  const rtpPort = int("rtp-port", o["rtp-port"], 1024, 65534);
  if (rtpPort !== undefined && rtpPort % 2 !== 0) throw new UsageError(`--rtp-port must be even (RFC 3550 §11: RTCP takes the next, odd, port); got ${rtpPort}`);
  return { mic, speaker: o.speaker, rtpPort };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Why the run could not start, with what to do about the usual socket errors
 * (the door's --listen address) and the option behind a file that cannot be
 * written (--pcap, --speaker).
 */
export function startError(e: unknown, p: Pick<RunPlan, "listen" | "builtIn" | "pcap" | "speaker">): string {
  const message = e instanceof Error ? e.message : String(e);
  const field = (name: string): string => (e instanceof Error && name in e ? String((e as unknown as Record<string, unknown>)[name]) : "");
  const code = field("code");
  const path = field("path");
  if (path !== "" && field("syscall") !== "bind") {
    const option = path === p.pcap ? "--pcap " : path === p.speaker ? "--speaker " : "";
    return `${option}${path}: cannot write it (${code !== "" ? code : message})`;
  }
  const at = `${p.listen.address}:${p.listen.port}`;
  const other = p.builtIn ? "" : ` (--listen defaults to 0.0.0.0:5060 with --server)`;
  switch (code) {
    case "EADDRINUSE":
      return `${message}: another program (a softphone, a PBX, another doorsip) has UDP port ${p.listen.port}; give the door another with --listen, e.g. --listen 0.0.0.0:5062${other}`;
    case "EADDRNOTAVAIL":
      return `${message}: ${p.listen.address} is not an address of this computer; --listen takes one of its own (or 0.0.0.0)`;
    case "EACCES":
      return `${message}: this user may not bind ${at}; --listen takes a port of 1024 or more, or 0 for any`;
    default:
      return message;
  }
}

/** Everything a run started, stopped in reverse order. */
class Session {
  pbx: LoopbackPbx | null = null;
  door: DoorRuntime | null = null;
  pcap: PcapFileWriter | null = null;
  private stopped = false;
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.door?.stop();
    await this.pbx?.stop();
    this.pcap?.close();
  }
}

export const runCommand: Command = {
  summary: "run the intercom on this computer (a built-in loopback PBX unless --server is given)",
  usage: USAGE,
  async run(args: string[], io: CliIo): Promise<number> {
    const values = commandOptions("run", USAGE, args, io, RUN_OPTIONS);
    if (typeof values === "number") return values;
    let p: RunPlan;
    try {
      p = plan(values);
    } catch (e) {
      if (e instanceof UsageError) {
        io.err(`doorsip run: ${e.message}\n\n${USAGE}\ndoorsip run: ${e.message}\n`);
        return EXIT_USAGE;
      }
      throw e;
    }
    const session = new Session();
    try {
      return await start(p, io, session);
    } catch (e) {
      io.err(`doorsip run: ${startError(e, p)}\n`);
      return EXIT_FAILED;
    } finally {
      await session.stop();
    }
  },
};

/** The ladder's columns with a real server (labels from serverLabels), with and without an outbound proxy. */
const SERVER_COLUMNS: readonly string[] = Object.freeze(["door", "server"]);
const PROXY_COLUMNS: readonly string[] = Object.freeze(["door", "proxy", "server"]);
/** Characters between those columns: "481 Call/Transaction Does Not Exist (NOTIFY)" and its arrow fit. */
const SERVER_COLUMN_WIDTH = 50;

/** The ladder's names for a real server's and proxy's addresses (as resolved). */
function serverLabels(a: AccountConfig): Map<string, string> {
  const names = new Map<string, string>([[`${a.registrarHost}:${a.registrarPort ?? 5060}`, "server"]]);
  if (hasOutboundProxy(a)) names.set(`${a.outboundProxyHost}:${a.outboundProxyPort ?? 5060}`, "proxy");
  return names;
}

/**
 * What a failed registration most likely means, for `doorsip run`'s user:
 * the status alone ("registration failed (401)") does not say which option to check.
 */
export function registrationHint(status: string, a: AccountConfig, password: string | undefined): string | undefined {
  const server = `${a.serverName ?? a.registrarHost}:${a.registrarPort ?? 5060}`;
  switch (status) {
    case "401": case "407":
      return `the server refused the door's credentials (${status}): check --user ${a.user} and --password` +
        `${password === undefined || password === "" ? " (none was given)" : ""}` +
        `${a.authUser === undefined ? ", and --auth-user if the PBX gives an authentication ID apart from the extension (3CX)" : ` and --auth-user ${a.authUser}`}`;
    case "403":
      // Some PBXs answer wrong credentials 403 rather than a second 401.
      return `the server forbids this registration (403): check --user ${a.user}, --password${password === undefined || password === "" ? " (none was given)" : ""}` +
        ` and --domain (default: the server's host)`;
    case "404":
      return `the server does not know ${a.user}@${a.domain ?? a.registrarHost} (404): check --user and --domain`;
    case "408":
      return `no answer from ${server}${hasOutboundProxy(a) ? ` through the proxy ${a.outboundProxyHost}:${a.outboundProxyPort ?? 5060}` : ""} (408): ` +
        "check the address and port in --server, that the PBX is running, and that it takes SIP over UDP from this computer; the door keeps trying";
    default:
      return undefined;
  }
}

/** The ladder and pcap taps for a run. */
export function taps(p: RunPlan, io: CliIo, session: Session | { pcap: PcapFileWriter | null }, labels: (ep: string) => string | undefined, redact: string[]): PacketTap {
  // With a real server the built-in PBX's columns (pbx, phone) would stand empty beside it.
  const columns = p.builtIn ? LOOPBACK_COLUMNS : p.settings.account !== undefined && hasOutboundProxy(p.settings.account) ? PROXY_COLUMNS : SERVER_COLUMNS;
  // Fewer columns, so room for a real PBX's long reasons ("407 Proxy Authentication Required (INVITE)") uncut.
  const width = p.builtIn ? undefined : SERVER_COLUMN_WIDTH;
  const ladder = ladderTap((t) => io.out(t), { labels, columns, verbose: p.verbose, ascii: p.ascii, redact, ...(width !== undefined ? { width } : {}) });
  const t0 = Date.now();
  const pcap = p.pcap !== undefined ? new PcapFileWriter(p.pcap, undefined, redact) : null;
  session.pcap = pcap;
  const pt = pcap !== null ? pcapTap(pcap, t0) : null;
  return (ev: PacketEvent) => {
    ladder(ev);
    pt?.(ev);
  };
}

async function start(p: RunPlan, io: CliIo, session: Session): Promise<number> {
  const log = new NodeLog(p.logLevel, { write: (t: string) => io.err(t) });
  // Every secret is masked in the ladder and in log lines (the pcap holds only what was on the wire).
  const redact: string[] = log.secrets;
  let labels: (ep: string) => string | undefined = () => undefined;
  let doorEndpoint = "";
  const packets: PacketEvent[] = [];
  const shown = taps(p, io, session, (ep) => labels(ep) ?? (ep === doorEndpoint ? "door" : undefined), redact);
  // Until the PBX has told its endpoints' names, hold what its tap sees (the desk phone registers during start()).
  let held: PacketEvent[] | null = [];
  const tap: PacketTap = (ev) => {
    if (p.demo) packets.push(ev);
    if (held !== null) held.push(ev);
    else shown(ev);
  };
  const release = (): void => {
    const list = held ?? [];
    held = null;
    for (const ev of list) shown(ev);
  };
  let settings: IntercomSettings;
  if (p.builtIn) {
    const pbx = await LoopbackPbx.start({
      tap, doorCode: p.doorCode, answerMs: 800, ringMs: 100, dtmfDelayMs: 600, hangupMs: 1500, callHoldMs: 2500,
      log: (line) => log.log(LogLevel.Debug, line),
      // --password: the door's account at the built-in PBX gets it too.
      // --auth-user: the door's account there authenticates under that name (3CX's form: extension and Authentication ID).
      users: (p.password !== undefined && p.password !== "") || p.authUser !== undefined
        ? [{ user: "door", password: p.password || "doorpass", ...(p.authUser !== undefined ? { authId: p.authUser } : {}) }, { user: "100", password: "deskpass" }]
        : undefined,
    });
    session.pbx = pbx;
    labels = (ep) => pbx.labels.get(ep);
    redact.push(pbx.door.password);
    settings = { ...p.settings, account: pbx.door.account, targets: p.settings.targets!.length > 0 ? p.settings.targets : [pbx.door.extension] };
  } else {
    const dns = p.dns ?? systemDnsServers();
    settings = { ...p.settings, account: await resolved(p.settings.account!, log, dns, io) };
    redact.push(settings.account.password);
    const names = serverLabels(settings.account);
    labels = (ep) => names.get(ep);
  }
  const hinted = new Set<string>();
  const events: Array<{ event: IntercomEvent; detail: string }> = [];
  let onEvent: ((e: IntercomEvent) => void) | null = null;
  let failure: Error | null = null;
  let onFailure: ((e: Error) => void) | null = null;
  const options: DoorRuntimeOptions = {
    settings,
    address: p.listen.address,
    port: p.listen.port,
    log,
    // The built-in PBX's tap sees all of the door's traffic; with a real server the door's own socket is tapped.
    tap: p.builtIn ? undefined : tap,
    onEvent: (event, detail) => {
      events.push({ event, detail });
      // A dtmf event's detail is a digit of the door code: never printed (README, Security).
      const shown = event === IntercomEvent.Dtmf ? "" : detail;
      io.out(`  · door: ${intercomEventName(event)}${shown !== "" ? ` (${shown})` : ""}\n`);
      if (event === IntercomEvent.RegistrationFailed && !hinted.has(detail)) {
        hinted.add(detail);
        const hint = registrationHint(detail, settings.account, p.password);
        if (hint !== undefined) io.out(`doorsip: ${hint}\n`);
      }
      onEvent?.(event);
    },
    // The relay is worth a line; the status LED blinks, which would flood the terminal.
    onPin: (what, on) => {
      if (what === "relay") io.out(`  · door: door relay ${on ? "ON (door open)" : "off"}\n`);
    },
    audio: p.mic !== undefined || p.speaker !== undefined ? new FileAudio(p.mic ?? null, p.speaker !== undefined ? new WavWriter(p.speaker) : null) : undefined,
    rtpPort: p.rtpPort,
    // With a server name, the core's own DNS client looks it up again on failure (SRV targets walked, RFC 3263 §4.3).
    dnsServers: p.builtIn ? undefined : coreDnsServers(settings.account, p.dns ?? systemDnsServers()),
  };
  const door: DoorRuntime = p.xs
    ? await XsIntercom.create({
        ...options,
        root: io.root,
        logLevel: p.logLevel,
        buildLog: (line) => io.err(`${line}\n`),
        onFatal: (e) => {
          failure = e;
          io.err(`doorsip run: ${e.message}\n`);
          onFailure?.(e);
        },
      })
    : await NodeIntercom.create(options);
  session.door = door;
  doorEndpoint = `${door.localAddress}:${door.localPort}`;
  release();
  const engine = door instanceof XsIntercom ? ` (the core runs inside XS, doorsip-xs pid ${door.pid})` : "";
  if (p.builtIn) io.out(`doorsip: built-in PBX at ${session.pbx!.door.server}, desk phone at extension ${session.pbx!.door.extension}, door at ${doorEndpoint}${engine}; door code ${p.doorCode || "none"}\n`);
  else {
    const a = settings.account;
    const via = hasOutboundProxy(a) ? ` via proxy ${a.outboundProxyHost}:${a.outboundProxyPort ?? 5060}` : "";
    io.out(`doorsip: door station at ${doorEndpoint}, server ${a.registrarHost}:${a.registrarPort ?? 5060}${via}${engine}\n`);
    if (settings.targets === undefined || settings.targets.length === 0) io.out("doorsip: no --target: the doorbell calls nobody\n");
  }
  door.start();
  if (p.demo) return runDemo({ io, pbx: session.pbx!, door, events, packets, setOnEvent: (f) => (onEvent = f), failure: () => failure });
  return interactive(io, session, door, (f) => (onFailure = f), p.builtIn, p.doorCode);
}

/**
 * The server's host name located (RFC 3263 §4.2, with the core's own DNS
 * client, hosts/node/locate.ts: SRV records of _sip._udp.NAME when no port
 * was given, else, or without them, its address) to the address and port
 * its datagrams come from: the core trusts the registrar by the address
 * and port the transport reports (src/ua/trust). The name stays the SIP
 * domain, and the server's name, looked up again should the server stop
 * answering; the other SRV targets are where the door goes then (§4.3).
 */
export async function resolved(account: AccountConfig, log: NodeLog, dns: readonly DnsServerAddress[], io: CliIo): Promise<AccountConfig> {
  const host = account.registrarHost;
  if (isIP(host) !== 0) return resolvedProxy(account, log, dns, io);
  let found: { address: string; port: number; targets?: Array<{ address: string; port: number }> };
  try {
    found = await locateName(host, account.serverNamePort ?? 0, "--server", dns, io);
  } catch (e) {
    // With a proxy every request goes there (RFC 3261 §8.1.2) and the name is only the SIP domain, which the proxy
    // resolves: a provider's domain may have SRV/NAPTR records and no address. Nothing is trusted by it then.
    if (!hasOutboundProxy(account)) throw e;
    log.log(LogLevel.Warn, `run: ${host} has no address; it stays the SIP domain, requests go to the proxy`);
    return resolvedProxy({ ...account, domain: account.domain ?? host }, log, dns, io);
  }
  log.log(LogLevel.Info, `run: ${host} is ${found.address}:${found.port}`);
  // The name is kept: the core looks it up again when the server stops answering (src/ua/server-name.ts).
  return resolvedProxy({
    ...account, registrarHost: found.address, registrarPort: found.port, domain: account.domain ?? host, serverName: host,
    ...(found.targets !== undefined ? { serverTargets: found.targets } : {}),
  }, log, dns, io);
}

/**
 * The outbound proxy's name located (RFC 3263 §4.1 applies to the first hop), as the server's is: the name is
 * kept, and with a proxy it is the one the core looks up again, or whose next SRV target it takes, when the proxy
 * stops answering (src/ua/server-name.ts).
 */
async function resolvedProxy(account: AccountConfig, log: NodeLog, dns: readonly DnsServerAddress[], io: CliIo): Promise<AccountConfig> {
  if (!hasOutboundProxy(account) || isIP(account.outboundProxyHost) !== 0) return account;
  const proxy = account.outboundProxyHost;
  const port = account.outboundProxyPort ?? 0;
  const found = await locateName(proxy, port, "--proxy", dns, io);
  log.log(LogLevel.Info, `run: proxy ${proxy} is ${found.address}:${found.port}`);
  return {
    ...account, outboundProxyHost: found.address, outboundProxyPort: found.port, outboundProxyName: proxy,
    ...(port > 0 ? { outboundProxyNamePort: port } : {}),
    ...(found.targets !== undefined ? { outboundProxyTargets: found.targets } : {}),
  };
}

/**
 * A name located by RFC 3263 with the core's DNS client (one line says what was found); with no IPv4 DNS server
 * known, or nothing found there, the system's resolver (/etc/hosts too) as before, port `port` or 5060.
 */
async function locateName(host: string, port: number, option: string, dns: readonly DnsServerAddress[], io: CliIo): Promise<{ address: string; port: number; targets?: Array<{ address: string; port: number }> }> {
  if (dns.length > 0) {
    const loc = await locateServer(host, port, dns);
    io.out(`doorsip: ${describeLocation(loc)}\n`);
    if (loc.targets.length > 0) {
      const t = loc.targets[0]!;
      return { address: t.address, port: t.port, targets: loc.targets.map((x) => ({ address: x.address, port: x.port })) };
    }
    if (loc.notOffered) throw new Error(`${option}: ${host} does not offer SIP over UDP (its SRV record's target is ".")`);
  }
  return { address: await lookupName(host, option), port: port > 0 ? port : 5060 };
}

/**
 * The DNS servers the core asks when the server fails: only when its name was located by them (serverTargets set).
 * A name they do not know that the system's resolver found (/etc/hosts, mDNS) is looked up again the same way, by
 * the runtime's NodeResolver: the core's own client would only ever hear "no such name" and never follow it.
 */
export function coreDnsServers(account: AccountConfig, dns: readonly DnsServerAddress[]): readonly DnsServerAddress[] | undefined {
  return account.serverTargets !== undefined && account.serverTargets.length > 0 && dns.length > 0 ? dns : undefined;
}

/** A name's IPv4 address (the door's socket is IPv4), else any; a clear message when it has none. */
async function lookupName(host: string, option: string): Promise<string> {
  try {
    const { address } = await lookup(host, { family: 4 }).catch(() => lookup(host));
    return address;
  } catch (e) {
    const code = e instanceof Error && "code" in e ? String((e as { code: unknown }).code) : "no address";
    throw new Error(`${option}: cannot find ${host} (${code})`);
  }
}

/** A fresh door code for the built-in PBX's desk phone to type: four digits and "#". */
export function randomDoorCode(): string {
  return `${String(randomInt(0, 10000)).padStart(4, "0")}#`;
}

/** A code of the door code's length that is not it (the `w` key's): its first digit changed. */
export function wrongCode(code: string): string {
  if (code === "") return "1#";
  return (code[0] === "1" ? "2" : "1") + code.substring(1);
}

/** Keys on a terminal, lines otherwise; ends on quit, end of input, SIGINT or SIGTERM. */
async function interactive(io: CliIo, session: Session, door: DoorRuntime, onFailure: (f: (e: Error) => void) => void, builtIn: boolean, doorCode: string): Promise<number> {
  // The desk phone is the built-in PBX's: with a real server there is none to call the door.
  io.out(`keys: b/Enter = doorbell,${builtIn ? " c = desk phone calls the door, w = the same with a wrong code," : ""} h = hang up, q = quit\n`);
  return new Promise<number>((resolve) => {
    let done = false;
    let stop = (): void => {};
    const finish = (code: number = EXIT_OK): void => {
      if (done) return;
      done = true;
      stop();
      if (code === EXIT_OK) io.out("doorsip: unregistering...\n");
      resolve(code);
    };
    // The runtime died (the XS worker exited): nothing left to drive.
    onFailure(() => finish(EXIT_FAILED));
    const act = (cmd: string): void => {
      switch (cmd) {
        case "b": case "\r": case "\n": case "": case "press":
          door.press();
          return;
        case "c": case "call":
          if (session.pbx?.phone) void session.pbx.phone.call(`sip:door@${session.pbx.domain}`).catch(() => {});
          else io.out("doorsip: no desk phone (a real server is configured)\n");
          return;
        case "w": case "wrong":
          // The door's defence, seen: the entry is counted, and three in a row lock the code (README, Security).
          if (session.pbx?.phone) void session.pbx.phone.call(`sip:door@${session.pbx.domain}`, { code: wrongCode(doorCode) }).catch(() => {});
          else io.out("doorsip: no desk phone (a real server is configured)\n");
          return;
        case "h": case "hangup":
          door.hangupAll();
          return;
        case "q": case "quit": case "exit":
          finish();
          return;
        default:
          io.out(`doorsip: unknown command "${cmd}" (${builtIn ? "press, call, wrong, hangup, quit" : "press, hangup, quit"})\n`);
      }
    };
    stop = listenForKeys(act, finish);
    // Finished already (the runtime failed meanwhile): undo at once.
    if (done) stop();
  });
}
