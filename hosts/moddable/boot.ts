/*
 * What the door makes first, once: the log, the preference storage, the
 * settings (mc/config, then preference overrides: settings.ts) and the pins,
 * with the relay driven off.
 *
 * On the ESP32 the setup module "setup/doorsip" (net/setup.ts) calls boot()
 * before Wi-Fi is up. main.ts runs only after every setup module has called
 * its done (setStepDone in xs/platforms/mc/xsHosts.c:583-604), and the SDK's
 * setup/network calls done only after an IP address and, on a cold boot, an
 * SNTP answer (build/devices/esp32/setup/network.js:43-58): made in main,
 * the relay GPIO would stay an unconfigured input for seconds after power-up,
 * for ever if the access point never answers, and the button and LED would
 * be dead. main.ts calls boot() again and gets the same objects. In the
 * Linux simulator there is no setup module: main's call makes them.
 *
 * Nothing here throws: the pins refuse a bad pin setting themselves
 * (pins_gpio.ts), the storage reads an NVS error as "not set" (storage.ts).
 */
import { LogLevel } from "../../src/host";
import { TraceLog } from "./log";
import { createPins } from "./pins";
import type { BoardPins } from "./pins";
import { describeSettings, loadSettings } from "./settings";
import type { Settings } from "./settings";
import { PreferenceStorage } from "./storage";

export interface Booted {
  readonly log: TraceLog;
  readonly storage: PreferenceStorage;
  readonly settings: Settings;
  readonly pins: BoardPins;
}

let booted: Booted | null = null;

/** Make the log, storage, settings and pins on the first call (relay off); every call returns the same ones. */
export function boot(): Booted {
  if (booted !== null) return booted;
  const log = new TraceLog(LogLevel.Info);
  const storage = new PreferenceStorage(undefined, log);
  const settings = loadSettings(storage);
  log.level = settings.logLevel;
  log.log(LogLevel.Info, `doorsip: ${describeSettings(settings)}`);
  for (const warning of settings.warnings) log.log(LogLevel.Warn, `doorsip: ${warning}`);
  const pins = createPins({
    settings,
    report: (text: string): void => log.log(LogLevel.Info, text),
    detail: (text: string): void => log.log(LogLevel.Debug, text),
  });
  pins.setRelay(false);
  booted = { log, storage, settings, pins };
  return booted;
}
