/*
 * Everything the core needs, made from Settings on the Moddable SDK: one
 * object per interface of src/host.ts. The core's constructors take these;
 * the clock, socket and pins get their receivers afterwards through attach(),
 * as the Node host does (hosts/node).
 */
import Net from "net";
import { LogLevel, type HashHost, type LogHost, type RandomHost, type StorageHost } from "../../src/host";
import { TimerClock } from "./clock";
import { DigestHash } from "./hash";
import { createPins } from "./pins";
import type { BoardPins } from "./pins";
import { MathRandom } from "./random";
import type { Settings } from "./settings";
import { ModdableUdp } from "./udp";

export interface ModdableHost {
  settings: Settings;
  /** The SIP server's IPv4 address (sip_server resolved, see main.ts). */
  serverAddress: string;
  udp: ModdableUdp;
  clock: TimerClock;
  hash: HashHost;
  random: RandomHost;
  log: LogHost;
  pins: BoardPins;
  storage: StorageHost;
}

/** This device's IPv4 address once the network is up, else "0.0.0.0". */
export function localAddress(): string {
  try {
    const ip: unknown = Net.get("IP");
    if (typeof ip === "string" && ip !== "") return ip;
  } catch {
    // no network interface (simulator without one, or Wi-Fi not configured)
  }
  return "0.0.0.0";
}

/** Make the adapters and bind the SIP port (throws if the port is taken). */
export function createHost(settings: Settings, serverAddress: string, log: LogHost, storage: StorageHost): ModdableHost {
  const report = (text: string): void => log.log(LogLevel.Info, text);
  return {
    settings,
    serverAddress,
    udp: new ModdableUdp({ port: settings.localPort, localAddress: localAddress(), log }),
    clock: new TimerClock(),
    hash: new DigestHash(),
    random: new MathRandom(),
    log,
    pins: createPins({ settings, report }),
    storage,
  };
}
