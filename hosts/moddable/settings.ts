/*
 * Settings: defaults from mc/config (manifest.json "config", the board file
 * in boards/, and `key=value` arguments to mcconfig, which arrive as strings),
 * each overridden by a preference of the same key when one is stored
 * (storage.ts, domain "doorsip"). Keys are at most 15 characters, the ESP32
 * NVS limit, so every one of them can be overridden on the device.
 *
 * "password" and "ssid" are the SDK's Wi-Fi keys (build/devices/esp32/setup/
 * network.js), hence "sip_password" for the SIP account.
 */
import config from "mc/config";
import { LogLevel, type StorageHost } from "../../src/host";
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

export interface Settings {
  board: string;
  sipServer: string;
  sipPort: number;
  sipUser: string;
  sipPassword: string;
  /** SIP domain (the host part of the AOR); the server when empty. */
  sipDomain: string;
  /** Who the doorbell calls: a user part or a full SIP URI. */
  callTarget: string;
  /** DTMF code that opens the door; empty disables opening by code. */
  doorCode: string;
  /** Seconds between NAT keepalives (0: none). */
  keepalive: number;
  /** Registration expiry asked for, in seconds. */
  expires: number;
  /** How long the relay stays energised when the door is opened, in ms. */
  doorOpenMs: number;
  /** Local UDP port for SIP. */
  localPort: number;
  /** Simulator control port on 127.0.0.1 (0: none). */
  ctlPort: number;
  logLevel: LogLevel;
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
}

/** Every key settings.ts reads, for documentation, tests and the preference length check. */
export const SETTING_KEYS = [
  "board", "sip_server", "sip_port", "sip_user", "sip_password", "sip_domain", "call_target",
  "door_code", "keepalive", "expires", "door_open_ms", "sip_local_port", "ctl_port", "log_level",
  "button_pin", "button_pull", "button_active", "debounce_ms", "relay_pin", "relay_active",
  "led_pin", "led_active", "led_kind", "audio_codec", "i2s_mclk", "i2s_bclk", "i2s_lrck",
  "i2s_dout", "i2s_din", "mic_pdm", "pa_pin",
] as const;
export type SettingKey = (typeof SETTING_KEYS)[number];

class Reader {
  private readonly storage: StorageHost | null;
  private readonly values: Record<string, unknown>;

  constructor(storage: StorageHost | null) {
    this.storage = storage;
    this.values = config;
  }

  /** The preference if stored, else the config value, as a string; undefined if neither. */
  private raw(key: SettingKey): string | undefined {
    const stored = this.storage?.get(key);
    if (stored !== undefined) return stored;
    const value = this.values[key];
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
    if (!Number.isInteger(value) || value < min || value > max) return fallback;
    return value;
  }

  flag(key: SettingKey, fallback: boolean): boolean {
    switch (this.raw(key)?.toLowerCase()) {
      case "true": case "1": case "yes": case "on": return true;
      case "false": case "0": case "no": case "off": return false;
      default: return fallback;
    }
  }

  choice<T extends string>(key: SettingKey, options: readonly T[], fallback: T): T {
    const text = this.raw(key)?.toLowerCase();
    for (const option of options) if (option === text) return option;
    return fallback;
  }
}

const PULLS: readonly Pull[] = ["up", "down", "none"];
const LEDS: readonly LedKind[] = ["gpio", "sk6812", "none"];
const LEVELS = ["low", "high"] as const;
const PIN_MAX = 48; // the highest GPIO number across ESP32 variants (ESP32-S3)

/** Read every setting once at start. `storage` null reads mc/config alone. */
export function loadSettings(storage: StorageHost | null): Settings {
  const r = new Reader(storage);
  const pin = (key: SettingKey): number => r.int(key, -1, -1, PIN_MAX);
  const sipServer = r.text("sip_server", "");
  return {
    board: r.text("board", "unknown"),
    sipServer,
    sipPort: r.int("sip_port", 5060, 1, 65535),
    sipUser: r.text("sip_user", ""),
    sipPassword: r.text("sip_password", ""),
    sipDomain: r.text("sip_domain", "") || sipServer,
    callTarget: r.text("call_target", ""),
    doorCode: r.text("door_code", ""),
    keepalive: r.int("keepalive", 25, 0, 3600),
    expires: r.int("expires", 600, 60, 86400),
    doorOpenMs: r.int("door_open_ms", 3000, 100, 60000),
    localPort: r.int("sip_local_port", 5060, 0, 65535),
    ctlPort: r.int("ctl_port", 0, 0, 65535),
    logLevel: parseLogLevel(r.text("log_level", "info"), LogLevel.Info),
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
  };
}

/** One line for the log at start: everything but the password. */
export function describeSettings(s: Settings): string {
  return `board ${s.board}; sip ${s.sipUser}@${s.sipDomain} via ${s.sipServer}:${s.sipPort}` +
    `, local port ${s.localPort}, call ${s.callTarget || "(none)"}, expires ${s.expires}s, keepalive ${s.keepalive}s` +
    `, password ${s.sipPassword ? "set" : "empty"}, door code ${s.doorCode ? "set" : "empty"}` +
    `; pins button ${s.buttonPin} relay ${s.relayPin} led ${s.ledPin} (${s.ledKind})`;
}
