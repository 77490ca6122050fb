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
 *
 * How one key's text is read and checked is setting-rules.ts's, shared with
 * the settings page (web/), so a value the page stores is one boot takes.
 */
import config from "mc/config";
import { LogLevel, type StorageHost } from "../../src/host";
import { validDoorCode } from "../../src/app/door-opener";
import { usableAuthUser } from "../../src/ua/account";
import { parseLogLevel } from "./log";
import {
  AUTH_USER_PROBLEM, type AcceptChoice, type ButtonChoice, type Checked, type ChoiceKey, CHOICE_RULES, DOOR_CODE_PROBLEM,
  type FlagKey, type HuntChoice, type InbandChoice, type IntKey, type LedKind, type OnOff, parseCallTargets, parseServer, parseTargets,
  PROXY_PORT_PROBLEM, type Pull, readChoice, readFlag, readInt, readText, SERVER_PORT_PROBLEM, type SettingKey, type UntrustedChoice,
} from "./setting-rules";

// The rules live in setting-rules.ts (pure, shared with the settings page); these names stay importable from here.
export { parseCallTargets, parseServer, parseTargets, SETTING_KEYS } from "./setting-rules";
export type { AcceptChoice, ButtonChoice, HuntChoice, InbandChoice, LedKind, OnOff, Pull, SettingKey, UntrustedChoice } from "./setting-rules";

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
  /** A phone may transfer the door's call (REFER: only in trusted calls, to the account's domain or a trusted host); "off": every REFER declined (603). */
  transfers: OnOff;
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
  /** The settings page's password (web/server.ts); "" = no page, no socket. Never logged. */
  webPassword: string;
  /** The settings page's TCP port. */
  webPort: number;
  /** Values that were given but could not be used, for the log. */
  warnings: string[];
}

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
  raw(key: SettingKey): string | undefined {
    const stored = this.storage?.get(key);
    if (stored !== undefined) return stored;
    const alias = CONFIG_ALIASES[key];
    const value = alias !== undefined && this.values[alias] !== undefined ? this.values[alias] : this.values[key];
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    return undefined;
  }

  text(key: SettingKey, fallback: string): string {
    return this.use(readText(key, this.raw(key), fallback), JSON.stringify(fallback));
  }

  int(key: IntKey): number {
    return this.use(readInt(key, this.raw(key)));
  }

  flag(key: FlagKey): boolean {
    return this.use(readFlag(key, this.raw(key)));
  }

  choice<K extends ChoiceKey>(key: K): (typeof CHOICE_RULES)[K]["fallback"] {
    return this.use(readChoice(key, this.raw(key)));
  }

  /** The value read, or its default with a warning in the same words the settings page refuses it with. */
  private use<T>(checked: Checked<T>, shown: string = String(checked.value)): T {
    if (!checked.ok) this.warnings.push(`${checked.problem}; using ${shown}`);
    return checked.value;
  }
}

/** RTP takes the even port of a pair (RFC 3550 §11). */
function evenPort(port: number): number {
  return port - (port % 2);
}

/** The text of one setting as the device has it: the stored preference, else mc/config; undefined if neither. */
export function rawSetting(storage: StorageHost | null, key: SettingKey): string | undefined {
  return new Reader(storage).raw(key);
}

/** Read every setting once at start. `storage` null reads mc/config alone. */
export function loadSettings(storage: StorageHost | null): Settings {
  const r = new Reader(storage);
  const server = parseServer(r.text("sip_server", ""));
  const proxy = parseServer(r.text("sip_proxy", ""));
  const authUser = r.text("sip_auth_user", "").trim();
  const callTarget = r.text("call_target", "");
  const code = r.text("door_code", "").trim();
  const warnings = r.warnings;
  if (code === "") warnings.push("no door_code: DTMF does not open the door");
  else if (!validDoorCode(code)) warnings.push(`${DOOR_CODE_PROBLEM}; DTMF does not open the door`);
  const allowFrom = parseTargets(r.text("allow_from", ""));
  if (server.port < 0) warnings.push(`${SERVER_PORT_PROBLEM}; using sip_port`);
  if (proxy.port < 0) warnings.push(`${PROXY_PORT_PROBLEM}; using 5060`);
  if (proxy.host !== "" && server.host === "") warnings.push("sip_proxy without sip_server: no registration, and calls go straight to their URIs");
  const authUserOk = usableAuthUser(authUser);
  const sipPort = server.port > 0 ? server.port : r.int("sip_port");
  if (!authUserOk) warnings.push(`${AUTH_USER_PROBLEM}; using sip_user`);
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
    hunt: r.choice("hunt"),
    doorCode: validDoorCode(code) ? code : "",
    inbandDtmf: r.choice("inband_dtmf"),
    keepalive: r.int("keepalive"),
    expires: r.int("expires"),
    doorOpenMs: r.int("door_open_ms"),
    hangupAfterOpenMs: r.int("hangup_after_ms"),
    autoAnswerMs: r.int("auto_answer_ms"),
    ringTimeoutMs: r.int("ring_timeout_ms"),
    callLimitMs: r.int("call_limit_ms"),
    buttonInCall: r.choice("button_in_call"),
    transfers: r.choice("transfers"),
    acceptFrom: r.choice("accept_from"),
    allowFrom,
    untrusted: r.choice("untrusted"),
    localPort: r.int("sip_local_port"),
    ctlPort: r.int("ctl_port"),
    logLevel: parseLogLevel(r.choice("log_level"), LogLevel.Info),
    txClients: r.int("tx_clients"),
    txServers: r.int("tx_servers"),
    msgBuffer: r.int("msg_buffer"),
    txArena: r.int("tx_arena"),
    maxCalls: r.int("max_calls"),
    callBuffer: r.int("call_buffer"),
    // RFC 3550 §11: RTP on an even port, RTCP on the next; slot i uses rtp_port + 2 i.
    rtpPort: evenPort(r.int("rtp_port")),
    heapReportMs: r.int("heap_ms"),
    buttonPin: r.int("button_pin"),
    buttonPull: r.choice("button_pull"),
    buttonActiveLow: r.choice("button_active") === "low",
    debounceMs: r.int("debounce_ms"),
    relayPin: r.int("relay_pin"),
    relayActiveLow: r.choice("relay_active") === "low",
    ledPin: r.int("led_pin"),
    ledActiveLow: r.choice("led_active") === "low",
    ledKind: r.choice("led_kind"),
    audio: {
      codec: r.text("audio_codec", ""),
      mclk: r.int("i2s_mclk"),
      bclk: r.int("i2s_bclk"),
      lrck: r.int("i2s_lrck"),
      dout: r.int("i2s_dout"),
      din: r.int("i2s_din"),
      pdmMic: r.flag("mic_pdm"),
      paPin: r.int("pa_pin"),
    },
    webPassword: r.text("web_password", ""),
    webPort: r.int("web_port"),
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
    `, password ${s.sipPassword ? "set" : "empty"}, settings page ${s.webPassword !== "" ? `on port ${s.webPort}` : "off"}, door code ${s.doorCode ? "set" : "none (DTMF opens nothing)"}` +
    `; pools ${s.txClients}/${s.txServers} transactions, messages of ${s.msgBuffer} B in ${s.txArena} B, ${s.maxCalls} calls of ${s.callBuffer} B, rtp from ${s.rtpPort}` +
    `; pins button ${s.buttonPin} relay ${s.relayPin} led ${s.ledPin} (${s.ledKind})`;
}
