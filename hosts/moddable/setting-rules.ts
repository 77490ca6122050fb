/*
 * How each setting's text is read and checked: its range, its choices, its
 * special rules (a door code, a server's port, call targets). One code path
 * for every source of a value: settings.ts reads mc/config and stored
 * preferences through these functions at boot (a bad value falls back to
 * its default, with a warning), and the settings page (web/server.ts)
 * checks what a user submits through the same functions before storing it
 * (a bad value is refused). The problem texts are the same words in both
 * places; boot adds what it uses instead ("; using 600").
 *
 * Pure TypeScript (no SDK module), so Node tests it directly. The tables
 * are frozen: settings.ts is preloaded, and they stay in flash.
 */
import { validDoorCode } from "../../src/app/door-opener";
import { usableAuthUser } from "../../src/ua/account";
import { normalTarget, TargetProblem } from "../../src/ua/dial-target";

export type Pull = "up" | "down" | "none";
export type LedKind = "gpio" | "sk6812" | "none";
export type HuntChoice = "sequential" | "parallel";
export type ButtonChoice = "ignore" | "hangup";
export type AcceptChoice = "server" | "any";
export type UntrustedChoice = "reject" | "drop";
export type InbandChoice = "auto" | "on" | "off";
export type OnOff = "on" | "off";
export type LevelChoice = "low" | "high";

/** Every key settings.ts reads, for documentation, tests and the preference length check. */
export const SETTING_KEYS = Object.freeze([
  "board", "sip_server", "sip_port", "sip_user", "sip_password", "sip_auth_user", "sip_domain", "sip_proxy", "call_target", "hunt",
  "door_code", "inband_dtmf", "keepalive", "expires", "door_open_ms", "hangup_after_ms", "auto_answer_ms",
  "ring_timeout_ms", "call_limit_ms", "button_in_call", "transfers", "accept_from", "allow_from", "untrusted", "sip_local_port", "ctl_port",
  "log_level", "tx_clients", "tx_servers", "msg_buffer", "tx_arena", "max_calls", "call_buffer", "rtp_port", "heap_ms",
  "button_pin", "button_pull", "button_active", "debounce_ms", "relay_pin", "relay_active",
  "led_pin", "led_active", "led_kind", "audio_codec", "i2s_mclk", "i2s_bclk", "i2s_lrck",
  "i2s_dout", "i2s_din", "mic_pdm", "pa_pin", "web_password", "web_port",
] as const);
export type SettingKey = (typeof SETTING_KEYS)[number];

export interface IntRule {
  readonly fallback: number;
  readonly min: number;
  readonly max: number;
}

export interface ChoiceRule<T extends string> {
  readonly options: readonly T[];
  readonly fallback: T;
}

const HOUR_MS = 3600000;
const PIN_MAX = 48; // the highest GPIO number across ESP32 variants (ESP32-S3)
const PIN: IntRule = Object.freeze({ fallback: -1, min: -1, max: PIN_MAX });

function int(fallback: number, min: number, max: number): IntRule {
  return Object.freeze({ fallback, min, max });
}

function choice<T extends string>(options: readonly T[], fallback: T): ChoiceRule<T> {
  return Object.freeze({ options: Object.freeze(options), fallback });
}

/** Whole numbers: default, smallest, largest. */
export const INT_RULES = Object.freeze({
  sip_port: int(5060, 1, 65535),
  keepalive: int(25, 0, 3600),
  expires: int(600, 60, 86400),
  door_open_ms: int(3000, 100, 60000),
  hangup_after_ms: int(0, 0, HOUR_MS),
  auto_answer_ms: int(0, 0, 60000),
  ring_timeout_ms: int(30000, 1000, 600000),
  call_limit_ms: int(120000, 0, 24 * HOUR_MS),
  sip_local_port: int(5060, 0, 65535),
  ctl_port: int(0, 0, 65535),
  tx_clients: int(4, 2, 32),
  tx_servers: int(6, 2, 32),
  msg_buffer: int(1300, 800, 4096),
  tx_arena: int(3900, 800, 32768),
  max_calls: int(2, 1, 8),
  call_buffer: int(1500, 800, 4096),
  rtp_port: int(40000, 1024, 64998),
  heap_ms: int(60000, 1000, 3600000),
  debounce_ms: int(30, 0, 1000),
  // The settings page's TCP port (web/server.ts); only used with a web_password.
  web_port: int(80, 1, 65535),
  button_pin: PIN, relay_pin: PIN, led_pin: PIN, i2s_mclk: PIN, i2s_bclk: PIN, i2s_lrck: PIN, i2s_dout: PIN, i2s_din: PIN, pa_pin: PIN,
});
export type IntKey = keyof typeof INT_RULES;

const LEVEL: ChoiceRule<LevelChoice> = choice<LevelChoice>(["low", "high"], "high");

/** One of a few words (compared in lower case); the first of `options` is not necessarily the default. */
export const CHOICE_RULES = Object.freeze({
  hunt: choice<HuntChoice>(["sequential", "parallel"], "sequential"),
  inband_dtmf: choice<InbandChoice>(["auto", "on", "off"], "auto"),
  button_in_call: choice<ButtonChoice>(["ignore", "hangup"], "ignore"),
  transfers: choice<OnOff>(["on", "off"], "on"),
  accept_from: choice<AcceptChoice>(["server", "any"], "server"),
  untrusted: choice<UntrustedChoice>(["reject", "drop"], "reject"),
  log_level: choice(["error", "warn", "info", "debug", "0", "1", "2", "3"], "info"),
  button_pull: choice<Pull>(["up", "down", "none"], "up"),
  button_active: choice<LevelChoice>(["low", "high"], "low"),
  relay_active: LEVEL,
  led_active: LEVEL,
  led_kind: choice<LedKind>(["gpio", "sk6812", "none"], "gpio"),
});
export type ChoiceKey = keyof typeof CHOICE_RULES;

export const FLAG_RULES = Object.freeze({ mic_pdm: false });
export type FlagKey = keyof typeof FLAG_RULES;

/** A value read: what to use, or why the text cannot be used (then `value` is the default). */
export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly value: T; readonly problem: string };

function good<T>(value: T): Checked<T> {
  return { ok: true, value };
}

function bad<T>(value: T, problem: string): Checked<T> {
  return { ok: false, value, problem };
}

/** An integer setting's text; empty (or absent) is its default. */
export function readInt(key: IntKey, text: string | undefined): Checked<number> {
  const rule = INT_RULES[key];
  if (text === undefined || text.trim() === "") return good(rule.fallback);
  const value = Number(text);
  if (!Number.isInteger(value) || value < rule.min || value > rule.max) {
    return bad(rule.fallback, `${key}=${text} is not a whole number from ${rule.min} to ${rule.max}`);
  }
  return good(value);
}

/** One of the key's words, in any case, spaces around ignored; empty (or absent) is its default. */
export function readChoice<K extends ChoiceKey>(key: K, text: string | undefined): Checked<(typeof CHOICE_RULES)[K]["fallback"]> {
  const rule: ChoiceRule<(typeof CHOICE_RULES)[K]["fallback"]> = CHOICE_RULES[key];
  const t = text?.trim().toLowerCase();
  for (let i = 0; i < rule.options.length; i++) if (rule.options[i] === t) return good(rule.options[i]!);
  if (t === undefined || t === "") return good(rule.fallback);
  return bad(rule.fallback, `${key}=${text} is not one of ${rule.options.join(", ")}`);
}

export function readFlag(key: FlagKey, text: string | undefined): Checked<boolean> {
  const fallback = FLAG_RULES[key];
  switch (text?.trim().toLowerCase()) {
    case "true": case "1": case "yes": case "on": return good(true);
    case "false": case "0": case "no": case "off": return good(false);
    case undefined: case "": return good(fallback);
    default: return bad(fallback, `${key}=${text} is not true or false`);
  }
}

/**
 * sip_server, sip_proxy: "host", "host:port", or "sip:host[:port]" (a user
 * part or parameters are ignored). IPv4 or a name: the socket is IPv4 only.
 * port 0: none given; -1: given but unusable.
 */
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
  const parts = text.split(",");
  for (let i = 0; i < parts.length; i++) {
    const t = parts[i]!.trim();
    if (t !== "") out.push(t);
  }
  return out;
}

/** Why one call_target entry cannot be called, or undefined (src/ua/dial-target.ts takes it). */
export function callTargetProblem(entry: string): string | undefined {
  const target = normalTarget(entry);
  if (typeof target === "string") return undefined;
  if (target === TargetProblem.Space) return `call_target "${entry}" holds a space`;
  if (target === TargetProblem.Scheme) return `call_target "${entry}": only sip: and sips: URIs can be called`;
  return `call_target "${entry}" is neither an extension (letters, digits, - _ . ! ~ * ' ( ) & = + $ ; ? /) nor a SIP URI`;
}

/**
 * call_target: "100", "100,101", "sip:100@pbx, 101", each made a SIP URI or
 * a user part as the core takes them (src/ua/dial-target.ts); an entry that
 * is neither is left out with a warning.
 */
export function parseCallTargets(text: string, warnings: string[]): string[] {
  const out: string[] = [];
  const entries = parseTargets(text);
  for (let i = 0; i < entries.length; i++) {
    const t = entries[i]!;
    const target = normalTarget(t);
    if (typeof target === "string") out.push(target);
    else warnings.push(`${callTargetProblem(t)!}; left out`);
  }
  return out;
}

export const DOOR_CODE_PROBLEM = "door_code must be 1 to 16 of 0-9 * # A-D";
export const SERVER_PORT_PROBLEM = "sip_server has an unusable port";
export const PROXY_PORT_PROBLEM = "sip_proxy has an unusable port";
export const AUTH_USER_PROBLEM = "sip_auth_user cannot hold spaces, quotes or backslashes";

/** A text that ends up in a SIP header or the log: no control characters (a CR LF would start a header of its own). */
function controlProblem(key: string, text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 32 || c === 127) return `${key} holds a control character`;
  }
  return undefined;
}

/**
 * Why `text` cannot be used for `key`, or undefined when it can (an empty
 * text is always usable: it means the default, or none). The settings page
 * refuses a value with this message; boot logs the same words with the
 * default it uses instead.
 */
export function settingProblem(key: SettingKey, text: string): string | undefined {
  if (key in INT_RULES) return problemOf(readInt(key as IntKey, text));
  if (key in CHOICE_RULES) return problemOf(readChoice(key as ChoiceKey, text));
  if (key in FLAG_RULES) return problemOf(readFlag(key as FlagKey, text));
  const control = controlProblem(key, text);
  if (control !== undefined) return control;
  const t = text.trim();
  switch (key) {
    case "door_code": return t === "" || validDoorCode(t) ? undefined : DOOR_CODE_PROBLEM;
    case "sip_server": return parseServer(t).port < 0 ? SERVER_PORT_PROBLEM : undefined;
    case "sip_proxy": return parseServer(t).port < 0 ? PROXY_PORT_PROBLEM : undefined;
    case "sip_auth_user": return usableAuthUser(t) ? undefined : AUTH_USER_PROBLEM;
    case "call_target": {
      const entries = parseTargets(t);
      for (let i = 0; i < entries.length; i++) {
        const problem = callTargetProblem(entries[i]!);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    default: return undefined;
  }
}

/** A text setting: anything but control characters; absent is its default. */
export function readText(key: SettingKey, text: string | undefined, fallback: string): Checked<string> {
  if (text === undefined) return good(fallback);
  const problem = controlProblem(key, text);
  return problem === undefined ? good(text) : bad(fallback, problem);
}

function problemOf<T>(checked: Checked<T>): string | undefined {
  return checked.ok ? undefined : checked.problem;
}
