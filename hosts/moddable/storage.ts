/*
 * StorageHost on the SDK's `preference` module: NVS on the ESP32
 * (modules/files/preference/esp32), a JSON file under config.file.root
 * ("/tmp/modpreferences.json") in the Linux simulator, in the SDK's format
 * but read at run time (preference_file.ts; preference_store.d.ts says why).
 *
 * One preference domain, "doorsip", holds both the core's own values and the
 * overrides of mc/config settings (settings.ts reads a key here first), so a
 * value the core stores under a config key name takes effect at next boot.
 *
 * ESP32 NVS limits keys (and the domain, the NVS namespace) to 15 characters
 * and throws on longer ones; set() reports failures to the log instead of
 * throwing into the core.
 */
import Preference from "./preference_store";
import { LogLevel, type LogHost, type StorageHost } from "../../src/host";

export const PREFERENCE_DOMAIN = "doorsip";
/** NVS_KEY_NAME_MAX_SIZE is 16 including the terminating NUL (ESP-IDF nvs.h). */
export const MAX_KEY_LENGTH = 15;

export class PreferenceStorage implements StorageHost {
  private readonly domain: string;
  private readonly log: LogHost | null;

  constructor(domain: string = PREFERENCE_DOMAIN, log: LogHost | null = null) {
    this.domain = domain;
    this.log = log;
  }

  /** Strings as stored; numbers and booleans (set by other tools) as their string form. */
  get(key: string): string | undefined {
    let value: unknown;
    try {
      value = Preference.get(this.domain, key);
    } catch {
      return undefined; // NVS read errors (e.g. key too long) read as "not set"
    }
    if (typeof value === "string") return value;
    if (typeof value === "number" || typeof value === "boolean") return String(value);
    return undefined;
  }

  set(key: string, value: string): void {
    if (key.length > MAX_KEY_LENGTH) {
      this.log?.log(LogLevel.Warn, `preference key "${key}" is longer than ${MAX_KEY_LENGTH} characters; not stored`);
      return;
    }
    try {
      Preference.set(this.domain, key, value);
    } catch {
      this.log?.log(LogLevel.Warn, `preference "${key}" could not be stored`);
    }
  }

  delete(key: string): void {
    try {
      Preference.delete(this.domain, key);
    } catch {
      // not there, or not erasable: either way it no longer overrides anything
    }
  }
}
