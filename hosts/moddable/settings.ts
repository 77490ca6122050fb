/*
 * Settings: defaults from mc/config (manifest.json "config", the board file
 * in boards/, and `key=value` arguments to mcconfig, which arrive as strings),
 * each overridden by a preference of the same key when one is stored
 * (storage.ts, domain "doorsip"). Keys are at most 15 characters, the ESP32
 * NVS limit, so every one of them can be overridden on the device.
 *
 * The module is preloaded (manifest.json): its constant tables are frozen so
 * they stay in flash.
 *
 * "password" and "ssid" are the SDK's Wi-Fi keys (build/devices/esp32/setup/
 * network.js), hence "sip_password" for the SIP account.
 */
import config from "mc/config";
import { LogLevel, type StorageHost } from "../../src/host";
import { validDoorCode } from "../../src/app/door-opener";
import { usableAuthUser } from "../../src/ua/account";
import { normalTarget, TargetProblem } from "../../src/ua/dial-target";
import { parseLogLevel } from "./log";

export type Pull = "up" | "down" | "none";
export type LedKind = "gpio" | "sk6812" | "none";

export interface AudioPins {
  /** Codec or amplifier name, informational ("es8388", "ns4168", ""). */
  codec: string;
  mclk: number;
  bclk: number;
  lrck: number;
  /** Data from the ESP32 to the speaker side. */
  dout: number;
  /** Data from the microphone side to the ESP32. */
  din: number;
  /** The microphone is PDM (Atom Echo's SPM1423) rather than I2S. */
  pdmMic: boolean;
  /** Speaker amplifier enable, -1 if none. */
  paPin: number;
}

export type HuntChoice = "sequential" | "parallel";
export type ButtonChoice = "ignore" | "hangup";
export type AcceptChoice = "server" | "any";
export type UntrustedChoice = "reject" | "drop";
export type InbandChoice = "auto" | "on" | "off";

export interface Settings {
  board: string;
  /** The SIP server's host (name or IPv4 address), without the port; "" = no server. */
  sipServer: string;
  /** Its UDP port: the one in sip_server ("host:port") if given, else sip_port. */
  sipPort: number;
  /** sip_server named its port: a name is then located by its A record only, not its SRV records (RFC 3263 §4.2). */
  sipServerPortGiven: boolean;
  sipUser: string;
  sipPassword: string;
  /** The digest username when it is not sip_user (3CX's "Authentication ID"); "" = sip_user. */
  sipAuthUser: string;
  /** SIP domain (the host part of the AOR); the server's host when empty. */
  sipDomain: string;
  /** Outbound proxy's host (name or IPv4 address), without the port; "" = none: requests go to the server. */
  sipProxy: string;
  /** Its UDP port: the one in sip_proxy ("host:port"), else 5060. */
  sipProxyPort: number;
  /** sip_proxy named its port (else a name's SRV records are asked, RFC 3263 §4.1, §4.2). */
  sipProxyPortGiven: boolean;
  /** call_target as configured (for the log). */
  callTarget: string;
  /** call_target split at commas: user parts or SIP URIs, in calling order. */
  targets: string[];
  hunt: HuntChoice;
  /** DTMF code that opens the door; empty: none, DTMF never opens the door. */
  doorCode: string;
  /** Keys heard as tones in a call's audio: in calls without telephone-event (auto), in every call (on), never (off). */
  inbandDtmf: InbandChoice;
  /** Seconds between OPTIONS keepalives (0: none). */
  keepalive: number;
  /** Registration expiry asked for, in seconds. */
  expires: number;
  /** How long the relay stays energised when the door is opened, in ms. */
  doorOpenMs: number;
  /** Hang up this long after the door opened, ms (0: stay in the call). */
  hangupAfterOpenMs: number;
  /** Delay before an incoming call is answered, ms. */
  autoAnswerMs: number;
  /** Outgoing ring timeout (then CANCEL, next target), ms. */
  ringTimeoutMs: number;
  /** Longest call (then BYE), ms; 0 = no limit. */
  callLimitMs: number;
  /** What the doorbell does during a call or an outgoing ring. */
  buttonInCall: ButtonChoice;
  /**
   * Whom calls, INFO, MESSAGE and REFER are taken from: "server" (the SIP
   * server and allow_from; without a server, the local networks) or "any"
   * (anyone; the door code still works only in calls from those).
   */
  acceptFrom: AcceptChoice;
  /** Further trusted peers (allow_from, comma-separated): "192.168.1.20", "192.168.1.20:5062", "192.168.1.0/24". */
  allowFrom: string[];
  /** What other sources get: a 403, or nothing. */
  untrusted: UntrustedChoice;
  /** Local UDP port for SIP. */
  localPort: number;
  /** Simulator control port on 127.0.0.1 (0: none). */
  ctlPort: number;
  logLevel: LogLevel;
  /** Pools of the core (see hosts/moddable/README.md, "Memory"). */
  txClients: number;
  txServers: number;
  msgBuffer: number;
  /** Bytes for the messages all the transactions keep for retransmission (at least msgBuffer). */
  txArena: number;
  maxCalls: number;
  callBuffer: number;
  /** First RTP port (even); call slot i uses rtpPort + 2 i, RTCP the port after. */
  rtpPort: number;
  /** The heap line's interval at debug level (heap.ts), ms. */
  heapReportMs: number;
  buttonPin: number;
  buttonPull: Pull;
  buttonActiveLow: boolean;
  debounceMs: number;
  relayPin: number;
  relayActiveLow: boolean;
  ledPin: number;
  ledActiveLow: boolean;
  ledKind: LedKind;
  audio: AudioPins;
  /** Values that were given but could not be used, for the log. */
  warnings: string[];
}

/** Every key settings.ts reads, for documentation, tests and the preference length check. */
export const SETTING_KEYS = Object.freeze([
  "board", "sip_server", "sip_port", "sip_user", "sip_password", "sip_auth_user", "sip_domain", "sip_proxy", "call_target", "hunt",
  "door_code", "inband_dtmf", "keepalive", "expires", "door_open_ms", "hangup_after_ms", "auto_answer_ms",
  "ring_timeout_ms", "call_limit_ms", "button_in_call", "accept_from", "allow_from", "untrusted", "sip_local_port", "ctl_port",
  "log_level", "tx_clients", "tx_servers", "msg_buffer", "tx_arena", "max_calls", "call_buffer", "rtp_port", "heap_ms",
  "button_pin", "button_pull", "button_active", "debounce_ms", "relay_pin", "relay_active",
  "led_pin", "led_active", "led_kind", "audio_codec", "i2s_mclk", "i2s_bclk", "i2s_lrck",
  "i2s_dout", "i2s_din", "mic_pdm", "pa_pin",
] as const);
export type SettingKey = (typeof SETTING_KEYS)[number];

/**
 * Longer spellings accepted from mc/config only (an mcconfig argument), for
 * keys that had to be shortened to fit ESP32 NVS's 15 characters.
 */
const CONFIG_ALIASES: { readonly [key: string]: string } = Object.freeze({
  hangup_after_ms: "hangup_after_open_ms",
  button_in_call: "button_during_call",
});

class Reader {
  private readonly storage: StorageHost | null;
  private readonly values: Record<string, unknown>;
  /**
   * A value given but not usable, and the default used instead: without a
   * word in the log, `expires=30` (below 60) or `hunt=paralel` would leave
   * the user wondering why the door does not do as configured.
   */
  readonly warnings: string[] = [];

  constructor(storage: StorageHost | null) {
    this.storage = storage;
    this.values = config;
  }

  /** The preference if stored, else the config value (or its alias), as a string; undefined if neither. */
  private raw(key: SettingKey): string | undefined {
    const stored = this.storage?.get(key);
    if (stored !== undefined) return stored;
    const alias = CONFIG_ALIASES[key];
    const value = alias !== undefined && this.values[alias] !== undefined ? this.values[alias] : this.values[key];
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    return undefined;
  }

  text(key: SettingKey, fallback: string): string {
    return this.raw(key) ?? fallback;
  }

  int(key: SettingKey, fallback: number, min: number, max: number): number {
    const text = this.raw(key);
    if (text === undefined || text.trim() === "") return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) {
      this.warnings.push(`${key}=${text} is not a whole number from ${min} to ${max}; using ${fallback}`);
      return fallback;
    }
    return value;
  }

  flag(key: SettingKey, fallback: boolean): boolean {
    const text = this.raw(key);
    switch (text?.trim().toLowerCase()) {
      case "true": case "1": case "yes": case "on": return true;
      case "false": case "0": case "no": case "off": return false;
      case undefined: case "": return fallback;
      default:
        this.warnings.push(`${key}=${text} is not true or false; using ${fallback}`);
        return fallback;
    }
  }

  choice<T extends string>(key: SettingKey, options: readonly T[], fallback: T): T {
    const given = this.raw(key);
    const text = given?.trim().toLowerCase();
    for (const option of options) if (option === text) return option;
    if (text !== undefined && text !== "") this.warnings.push(`${key}=${given} is not one of ${options.join(", ")}; using ${fallback}`);
    return fallback;
  }
}

const PULLS: readonly Pull[] = Object.freeze(["up", "down", "none"]);
const LEDS: readonly LedKind[] = Object.freeze(["gpio", "sk6812", "none"]);
const LEVELS = Object.freeze(["low", "high"] as const);
const HUNTS: readonly HuntChoice[] = Object.freeze(["sequential", "parallel"]);
const BUTTONS: readonly ButtonChoice[] = Object.freeze(["ignore", "hangup"]);
const ACCEPTS: readonly AcceptChoice[] = Object.freeze(["server", "any"]);
const UNTRUSTED: readonly UntrustedChoice[] = Object.freeze(["reject", "drop"]);
const INBAND: readonly InbandChoice[] = Object.freeze(["auto", "on", "off"]);
const LOG_LEVELS: readonly string[] = Object.freeze(["error", "warn", "info", "debug", "0", "1", "2", "3"]);
const PIN_MAX = 48; // the highest GPIO number across ESP32 variants (ESP32-S3)
const HOUR_MS = 3600000;

/** RTP takes the even port of a pair (RFC 3550 §11). */
function evenPort(port: number): number {
  return port - (port % 2);
}

/**
 * sip_server: "host", "host:port", or "sip:host[:port]" (a user part or
 * parameters are ignored). IPv4 or a name: the socket is IPv4 only.
 */
/** port 0: none given; -1: given but unusable. */
export function parseServer(text: string): { host: string; port: number } {
  let t = text.trim();
  if (t.startsWith("sip:")) t = t.substring(4);
  const at = t.lastIndexOf("@");
  if (at >= 0) t = t.substring(at + 1);
  const semi = t.indexOf(";");
  if (semi >= 0) t = t.substring(0, semi);
  const colon = t.indexOf(":");
  if (colon < 0 || colon !== t.lastIndexOf(":")) return { host: t, port: 0 };
  const port = Number(t.substring(colon + 1));
  return { host: t.substring(0, colon), port: Number.isInteger(port) && port > 0 && port <= 65535 ? port : -1 };
}

/** A comma-separated list (allow_from, call_target): entries trimmed, empty ones dropped. */
export function parseTargets(text: string): string[] {
  const out: string[] = [];
  for (const part of text.split(",")) {
    const t = part.trim();
    if (t !== "") out.push(t);
  }
  return out;
}

/**
 * call_target: "100", "100,101", "sip:100@pbx, 101", each made a SIP URI or
 * a user part as the core takes them (src/ua/dial-target.ts); an entry that
 * is neither is left out with a warning.
 */
export function parseCallTargets(text: string, warnings: string[]): string[] {
  const out: string[] = [];
  for (const t of parseTargets(text)) {
    const target = normalTarget(t);
    if (typeof target === "string") out.push(target);
    else if (target === TargetProblem.Space) warnings.push(`call_target "${t}" holds a space; left out`);
    else if (target === TargetProblem.Scheme) warnings.push(`call_target "${t}": only sip: and sips: URIs can be called; left out`);
    else warnings.push(`call_target "${t}" is neither an extension (letters, digits, - _ . ! ~ * ' ( ) & = + $ ; ? /) nor a SIP URI; left out`);
  }
  return out;
}

/** Read every setting once at start. `storage` null reads mc/config alone. */
export function loadSettings(storage: StorageHost | null): Settings {
  const r = new Reader(storage);
  const pin = (key: SettingKey): number => r.int(key, -1, -1, PIN_MAX);
  const server = parseServer(r.text("sip_server", ""));
  const proxy = parseServer(r.text("sip_proxy", ""));
  const authUser = r.text("sip_auth_user", "").trim();
  const callTarget = r.text("call_target", "");
  const code = r.text("door_code", "").trim();
  const warnings = r.warnings;
  if (code === "") warnings.push("no door_code: DTMF does not open the door");
  else if (!validDoorCode(code)) warnings.push("door_code must be 1 to 16 of 0-9 * # A-D; DTMF does not open the door");
  const allowFrom = parseTargets(r.text("allow_from", ""));
  if (server.port < 0) warnings.push("sip_server has an unusable port; using sip_port");
  if (proxy.port < 0) warnings.push("sip_proxy has an unusable port; using 5060");
  if (proxy.host !== "" && server.host === "") warnings.push("sip_proxy without sip_server: no registration, and calls go straight to their URIs");
  const authUserOk = usableAuthUser(authUser);
  const sipPort = server.port > 0 ? server.port : r.int("sip_port", 5060, 1, 65535);
  if (!authUserOk) warnings.push("sip_auth_user cannot hold spaces, quotes or backslashes; using sip_user");
  return {
    board: r.text("board", "unknown"),
    sipServer: server.host,
    sipPort,
    // A sip_port other than 5060 is a port given too: the name's A record with that port, no SRV (RFC 3263 §4.2).
    sipServerPortGiven: server.port > 0 || sipPort !== 5060,
    sipUser: r.text("sip_user", ""),
    sipPassword: r.text("sip_password", ""),
    sipAuthUser: authUserOk ? authUser : "",
    sipDomain: r.text("sip_domain", "").trim() || server.host,
    sipProxy: server.host !== "" ? proxy.host : "",
    sipProxyPort: proxy.port > 0 ? proxy.port : 5060,
    sipProxyPortGiven: proxy.port > 0,
    callTarget,
    targets: parseCallTargets(callTarget, warnings),
    hunt: r.choice("hunt", HUNTS, "sequential"),
    doorCode: validDoorCode(code) ? code : "",
    inbandDtmf: r.choice("inband_dtmf", INBAND, "auto"),
    keepalive: r.int("keepalive", 25, 0, 3600),
    expires: r.int("expires", 600, 60, 86400),
    doorOpenMs: r.int("door_open_ms", 3000, 100, 60000),
    hangupAfterOpenMs: r.int("hangup_after_ms", 0, 0, HOUR_MS),
    autoAnswerMs: r.int("auto_answer_ms", 0, 0, 60000),
    ringTimeoutMs: r.int("ring_timeout_ms", 30000, 1000, 600000),
    callLimitMs: r.int("call_limit_ms", 120000, 0, 24 * HOUR_MS),
    buttonInCall: r.choice("button_in_call", BUTTONS, "ignore"),
    acceptFrom: r.choice("accept_from", ACCEPTS, "server"),
    allowFrom,
    untrusted: r.choice("untrusted", UNTRUSTED, "reject"),
    localPort: r.int("sip_local_port", 5060, 0, 65535),
    ctlPort: r.int("ctl_port", 0, 0, 65535),
    logLevel: parseLogLevel(r.choice("log_level", LOG_LEVELS, "info"), LogLevel.Info),
    txClients: r.int("tx_clients", 4, 2, 32),
    txServers: r.int("tx_servers", 6, 2, 32),
    msgBuffer: r.int("msg_buffer", 1300, 800, 4096),
    txArena: r.int("tx_arena", 3900, 800, 32768),
    maxCalls: r.int("max_calls", 2, 1, 8),
    callBuffer: r.int("call_buffer", 1500, 800, 4096),
    // RFC 3550 §11: RTP on an even port, RTCP on the next; slot i uses rtp_port + 2 i.
    rtpPort: evenPort(r.int("rtp_port", 40000, 1024, 64998)),
    heapReportMs: r.int("heap_ms", 60000, 1000, 3600000),
    buttonPin: pin("button_pin"),
    buttonPull: r.choice("button_pull", PULLS, "up"),
    buttonActiveLow: r.choice("button_active", LEVELS, "low") === "low",
    debounceMs: r.int("debounce_ms", 30, 0, 1000),
    relayPin: pin("relay_pin"),
    relayActiveLow: r.choice("relay_active", LEVELS, "high") === "low",
    ledPin: pin("led_pin"),
    ledActiveLow: r.choice("led_active", LEVELS, "high") === "low",
    ledKind: r.choice("led_kind", LEDS, "gpio"),
    audio: {
      codec: r.text("audio_codec", ""),
      mclk: pin("i2s_mclk"),
      bclk: pin("i2s_bclk"),
      lrck: pin("i2s_lrck"),
      dout: pin("i2s_dout"),
      din: pin("i2s_din"),
      pdmMic: r.flag("mic_pdm", false),
      paPin: pin("pa_pin"),
    },
    warnings,
  };
}

/** One line for the log at start: everything but the password. */
export function describeSettings(s: Settings): string {
  return `board ${s.board}; sip ${s.sipUser}@${s.sipDomain} via ${s.sipServer || "(no server)"}:${s.sipPort}` +
    `${s.sipAuthUser !== "" ? `, auth user ${s.sipAuthUser}` : ""}${s.sipProxy !== "" ? `, proxy ${s.sipProxy}:${s.sipProxyPort}` : ""}` +
    `, local port ${s.localPort}, call ${s.targets.length > 0 ? s.targets.join(",") : "(none)"} (${s.hunt})` +
    `, expires ${s.expires}s, keepalive ${s.keepalive}s, accept from ${s.acceptFrom}` +
    `${s.allowFrom.length > 0 ? ` and ${s.allowFrom.join(",")}` : ""}, untrusted ${s.untrusted}` +
    `, password ${s.sipPassword ? "set" : "empty"}, door code ${s.doorCode ? "set" : "none (DTMF opens nothing)"}` +
    `; pools ${s.txClients}/${s.txServers} transactions, messages of ${s.msgBuffer} B in ${s.txArena} B, ${s.maxCalls} calls of ${s.callBuffer} B, rtp from ${s.rtpPort}` +
    `; pins button ${s.buttonPin} relay ${s.relayPin} led ${s.ledPin} (${s.ledKind})`;
}
