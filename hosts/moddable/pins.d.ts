/*
 * The contract of module "hosts/moddable/pins". manifest.json maps that
 * module to a different source per platform: pins_gpio.ts on the ESP32
 * (ECMA-419 embedded:io/digital), pins_sim.ts in the Linux simulator (which
 * has no GPIO: a control datagram presses the button, the log shows relay
 * and LED). This declaration is what tsc resolves "./pins" to; XS resolves
 * it to whichever module the manifest put there.
 */
import type { PinsHost } from "../../src/host";
import type { Settings } from "./settings";

/**
 * Who hears the doorbell: every change of the button's level, pressed true,
 * released false. Not debounced: the core's Doorbell does that
 * (intercom.buttonChanged, debounce_ms).
 */
export interface ButtonReceiver {
  button(pressed: boolean): void;
}

export interface BoardPins extends PinsHost {
  /** Connect the button's receiver (replaces any earlier one). */
  attach(receiver: ButtonReceiver): void;
  /** Release the pins (relay off first). */
  close(): void;
}

export interface PinsOptions {
  /** Pins and levels; pins_sim also reads ctl_port and debounce_ms (a "press" outlasts it). */
  settings: Settings;
  /** Where the adapter reports what it does (pins_sim: every relay change; also setup problems). Info level. */
  report(text: string): void;
  /** Frequent detail (pins_sim: every LED change, which blinks). Debug level. */
  detail(text: string): void;
}

export declare function createPins(options: PinsOptions): BoardPins;
