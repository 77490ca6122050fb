/*
 * Wiring for UA tests: virtual clock, timer queue, seeded randomness, the
 * fake layer talking to a scripted registrar, and a Registration and/or
 * Keepalive on top, with their state callbacks recorded.
 */
import { TimerQueue } from "../../src/sip/timer/timer-queue";
import { Registration, type RegState, type RegistrationOptions } from "../../src/ua/registration";
import { Keepalive, type KeepaliveOptions } from "../../src/ua/keepalive";
import type { AccountConfig } from "../../src/ua/account";
import { NodeHash } from "../../hosts/node/hash";
import { LogLevel, type LogHost } from "../../src/host";
import { VirtualClock } from "./virtual-clock";
import { SeededRandom } from "./seeded-random";
import { FakeLayer } from "./fake-layer";
import { ScriptedRegistrar, type RegistrarOptions } from "./registrar";

export const ACCOUNT: AccountConfig = {
  registrarHost: "192.168.1.1",
  domain: "fritz.box",
  user: "door",
  password: "secret",
};

export class MemoryLog implements LogHost {
  readonly lines: string[] = [];
  log(level: LogLevel, text: string): void {
    this.lines.push(`${level}: ${text}`);
  }
  get errors(): string[] {
    return this.lines.filter((l) => l.startsWith(`${LogLevel.Error}:`));
  }
}

export interface Setup {
  clock: VirtualClock;
  timers: TimerQueue;
  random: SeededRandom;
  layer: FakeLayer;
  registrar: ScriptedRegistrar;
  reg: Registration;
  states: { state: RegState; status: number; time: number }[];
  log: MemoryLog;
}

export function setup(
  registrarOptions: RegistrarOptions = {},
  account: Partial<AccountConfig> = {},
  options: Partial<RegistrationOptions> = {},
): Setup {
  const clock = new VirtualClock(0);
  const log = new MemoryLog();
  const timers = new TimerQueue(clock, log);
  clock.attach(timers);
  const random = new SeededRandom(42);
  const registrar = new ScriptedRegistrar(registrarOptions);
  const layer = new FakeLayer(timers, registrar);
  const states: Setup["states"] = [];
  const reg = new Registration({
    account: { ...ACCOUNT, ...account },
    layer, timers, random, hash: new NodeHash(), log,
    listener: { onRegistrationState: (state, status) => states.push({ state, status, time: clock.now() }) },
    ...options,
  });
  return { clock, timers, random, layer, registrar, reg, states, log };
}

export function keepalive(s: Setup, options: Partial<KeepaliveOptions> = {}, account: Partial<AccountConfig> = {}): Keepalive {
  return new Keepalive({
    account: { ...ACCOUNT, ...account },
    layer: s.layer, timers: s.timers, random: s.random, log: s.log,
    listener: s.reg,
    ...options,
  });
}
