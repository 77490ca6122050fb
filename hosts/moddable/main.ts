/*
 * The Moddable app's main module (manifest.json creation.main). The SDK runs
 * it after the setup modules: on the ESP32 setup/network
 * (build/devices/esp32/setup/network.js) has joined the Wi-Fi given by the
 * mcconfig ssid=/password= arguments by then (or skipped it, with no ssid);
 * in the Linux simulator the host's network is simply there.
 *
 * It reads the settings (mc/config, then preference overrides), resolves the
 * SIP server's name to an address (the UDP socket takes IPv4 literals only),
 * makes the host adapters and starts the application (app.ts).
 */
import Net from "net";
import Timer from "timer";
import { LogLevel } from "../../src/host";
import { createHost } from "./adapters";
import { startApp } from "./app";
import { TraceLog } from "./log";
import { describeSettings, loadSettings, type Settings } from "./settings";
import { PreferenceStorage } from "./storage";

const RETRY_MS = 10_000;
const IPV4 = /^(?:\d{1,3}\.){3}\d{1,3}$/;

const log = new TraceLog(LogLevel.Info);
const storage = new PreferenceStorage(undefined, log);
const settings = loadSettings(storage);
log.level = settings.logLevel;
log.log(LogLevel.Info, `doorsip: ${describeSettings(settings)}`);

function start(serverAddress: string): void {
  try {
    startApp(createHost(settings, serverAddress, log, storage));
  } catch (error) {
    // Typically the SIP port is taken (bind failed); nothing useful runs without it.
    log.log(LogLevel.Error, `doorsip: cannot start: ${String(error)}`);
  }
}

function resolve(s: Settings): void {
  if (s.sipServer === "" || IPV4.test(s.sipServer)) {
    start(s.sipServer);
    return;
  }
  Net.resolve(s.sipServer, (name: string, address?: string) => {
    if (address !== undefined && address !== "") {
      log.log(LogLevel.Info, `doorsip: ${name} is ${address}`);
      start(address);
    } else {
      log.log(LogLevel.Warn, `doorsip: cannot resolve ${name}; retrying in ${RETRY_MS / 1000}s`);
      Timer.set(() => resolve(s), RETRY_MS);
    }
  });
}

resolve(settings);
