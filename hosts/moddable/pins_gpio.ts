/*
 * Pins on the ESP32 through ECMA-419 `embedded:io/digital`
 * (modules/io/digital/esp32): the doorbell button as an input with edge
 * callbacks, the door relay and the status LED as outputs. manifest.json maps
 * module "hosts/moddable/pins" to this file on esp32 platforms.
 *
 * Button: every edge callback reads the pin and reports a change of level
 * to the receiver (the app, which hands it to the core's Doorbell:
 * intercom.buttonChanged). Debouncing happens there, on the core's clock, so
 * the same logic runs and is tested on every host. The SDK coalesces edges
 * that arrive while a callback is pending (digitalISR in
 * modules/io/digital/esp32/digitalbank.c) and the callback reads the level
 * afterwards, so the last level is always reported; a press costs no
 * allocation.
 *
 * GPIO 34..39 have no internal pull resistors; boards with buttons there
 * (Atom Echo G39, LyraT G36) have external pull-ups and set button_pull
 * "none". Asking for a pull-up on those pins only logs an ESP-IDF error.
 *
 * The M5Stack Atom Echo's LED is an SK6812 (one addressable RGB pixel on
 * G27), which a plain digital write cannot light. With led_kind "sk6812" the
 * LED goes through the NeoPixel the SDK's m5atom_echo target already creates
 * as globalThis.lights (build/devices/esp32/targets/m5atom_echo/setup-target.js).
 * Note that target also watches G39 for its own M5Button; the Digital made
 * here replaces that pin's interrupt handler (gpio_isr_handler_add), which is
 * what we want, but globalThis.button.a stops seeing presses.
 *
 * A bad pin setting (a wrong preference survives reflashing) must not stop
 * the door: `new Digital` throws for a pin the chip lacks, an output on an
 * input-only pin or a pin in use (modules/io/digital/esp32/digitalbank.c:120,
 * :123, :168), and an exception out of boot goes to fxAbort, which restarts
 * a release build (c_exit is esp_restart: xs/platforms/esp/xsPlatform.c:283,
 * xsHost.h:384) into the same setting, a reboot loop. Each pin is made
 * through openPin, which refuses the flash pins (gpio_guard.ts), catches the
 * throw and logs; the door then runs without that pin.
 *
 * Outputs start at their off level (initialValue, digitalbank.c:170-173 and
 * :217): without it the SDK drives 0 first, which with relay_active=low
 * pulses the relay for a few microseconds at boot.
 */
import Digital from "embedded:io/digital";
import { pinRefusal } from "./gpio_guard";
import type { BoardPins, ButtonReceiver, PinsOptions, createPins as Contract } from "./pins";

/**
 * The options of `new Digital` used here. `initialValue` is in the SDK's own
 * typings ($MODDABLE/typings/embedded_io/digital.d.ts) and read by
 * modules/io/digital/digital.js:48-49, but @moddable/typings 5.6.0 (the
 * SDK-free check, tsconfig.json) lacks it; an object of this type passes
 * either declaration.
 */
interface PinOptions {
  pin: number;
  mode: ConstructorParameters<typeof Digital>[0]["mode"];
  /** Outputs: the level driven from the start. */
  initialValue?: 0 | 1;
  edge?: number;
  onReadable?: () => void;
}

/** `new Digital(options)`, or null (logged) when the pin is refused or the SDK throws. */
function openPin(report: (text: string) => void, what: string, options: PinOptions): Digital | null {
  const refusal = pinRefusal(options.pin);
  if (refusal !== "") {
    report(`${what}: ${refusal}; not used`);
    return null;
  }
  try {
    return new Digital(options);
  } catch (error) {
    report(`${what}: GPIO ${options.pin}: ${String(error)}; not used`);
    return null;
  }
}

/** The parts of the SDK NeoPixel (modules/drivers/neopixel/neopixel.js) used here. */
interface PixelStrip {
  makeRGB(r: number, g: number, b: number): number;
  setPixel(index: number, color: number): void;
  update(): void;
}

function isPixelStrip(value: unknown): value is PixelStrip {
  if (typeof value !== "object" || value === null) return false;
  return typeof Reflect.get(value, "setPixel") === "function" &&
    typeof Reflect.get(value, "makeRGB") === "function" &&
    typeof Reflect.get(value, "update") === "function";
}

class GpioPins implements BoardPins {
  private readonly report: (text: string) => void;
  private readonly relay: Digital | null = null;
  private readonly relayOn: 0 | 1;
  private readonly led: Digital | null = null;
  private readonly ledOn: 0 | 1;
  private readonly pixels: PixelStrip | null = null;
  private readonly button: Digital | null = null;
  private readonly buttonPressed: 0 | 1;
  private pressed = false;
  private receiver: ButtonReceiver | null = null;

  constructor(options: PinsOptions) {
    const s = options.settings;
    this.report = options.report;
    this.relayOn = s.relayActiveLow ? 0 : 1;
    this.ledOn = s.ledActiveLow ? 0 : 1;
    this.buttonPressed = s.buttonActiveLow ? 0 : 1;

    if (s.relayPin >= 0) {
      // De-energised from the start.
      this.relay = openPin(this.report, "relay", { pin: s.relayPin, mode: Digital.Output, initialValue: this.relayOn ? 0 : 1 });
    }

    if (s.ledKind === "sk6812") {
      let lights: unknown;
      try {
        lights = Reflect.get(globalThis, "lights"); // the target's lazy getter makes the NeoPixel
      } catch {
        lights = undefined;
      }
      // The SK6812 keeps its colour through a reset, but this first access makes the NeoPixel,
      // whose constructor sends its zeroed pixels (c_calloc and np_show in
      // modules/drivers/neopixel/esp32/modneopixel.c:104, :144): the LED goes dark here, at
      // setup. The target's setup/target defines the getter and runs before setup/doorsip
      // (setup modules run in the manifest's module order: modRunMachineSetup, xsHosts.c:606).
      if (isPixelStrip(lights)) this.pixels = lights;
      else this.report("led: no SK6812 driver on this target; LED changes only logged");
    } else if (s.ledKind === "gpio" && s.ledPin >= 0) {
      this.led = openPin(this.report, "led", { pin: s.ledPin, mode: Digital.Output, initialValue: this.ledOn ? 0 : 1 });
    }

    if (s.buttonPin >= 0) {
      const mode = s.buttonPull === "up" ? Digital.InputPullUp
        : s.buttonPull === "down" ? Digital.InputPullDown
        : Digital.Input;
      this.button = openPin(this.report, "button", {
        pin: s.buttonPin,
        mode,
        edge: Digital.Rising | Digital.Falling,
        onReadable: () => this.edge(),
      });
      this.pressed = this.button?.read() === this.buttonPressed;
    }
  }

  attach(receiver: ButtonReceiver): void {
    this.receiver = receiver;
  }

  setRelay(on: boolean): void {
    if (this.relay !== null) this.relay.write(on ? this.relayOn : this.relayOn ? 0 : 1);
    else this.report(`relay ${on ? "on" : "off"} (no relay pin)`);
  }

  setLed(on: boolean): void {
    if (this.led !== null) {
      this.led.write(on ? this.ledOn : this.ledOn ? 0 : 1);
    } else if (this.pixels !== null) {
      this.pixels.setPixel(0, on ? this.pixels.makeRGB(0, 48, 0) : 0);
      this.pixels.update();
    }
  }

  close(): void {
    this.setRelay(false);
    this.receiver = null;
    this.button?.close();
    this.relay?.close();
    this.led?.close();
  }

  private edge(): void {
    if (this.button === null) return;
    const pressed = this.button.read() === this.buttonPressed;
    if (pressed === this.pressed) return; // edges that came back to where they were before this callback
    this.pressed = pressed;
    this.receiver?.button(pressed);
  }
}

export const createPins: typeof Contract = (options: PinsOptions): BoardPins => new GpioPins(options);
