/*
 * Pins in the Linux simulator, which has no GPIO (modules/io/manifests/lin
 * has sockets and serial only). manifest.json maps module
 * "hosts/moddable/pins" to this file on "lin".
 *
 * The doorbell is a control datagram to 127.0.0.1:<ctl_port> (boards/lin.json):
 *   "press"   press, hold for debounce_ms + 100 ms, release (a ring: the
 *             core debounces the button, so a press must last that long)
 *   "down"    press and hold          "up"  release
 *   "status"  report relay and LED
 * The reply is "ok <command>" or "error <command>". The ECMA-419 simulator
 * socket binds INADDR_ANY whatever `address` says (lin/udp.c), so datagrams
 * from anywhere but 127.0.0.1 are ignored here. Relay changes are logged at
 * Info, LED changes (the LED blinks) at Debug: that is how tests and people
 * see them.
 */
import UDP from "embedded:io/socket/udp";
import { Alarm } from "./alarm";
import type { BoardPins, ButtonReceiver, PinsOptions, createPins as Contract } from "./pins";

const LOOPBACK = "127.0.0.1";
/** How much longer than the debounce time a "press" holds the button. */
const HOLD_EXTRA_MS = 100;

class SimPins implements BoardPins {
  private readonly report: (text: string) => void;
  private readonly detail: (text: string) => void;
  private readonly socket: UDP | null = null;
  private receiver: ButtonReceiver | null = null;
  private relay = false;
  private led = false;
  private pressed = false;
  private readonly holdMs: number;
  private readonly release = new Alarm(() => this.setButton(false));

  constructor(options: PinsOptions) {
    this.report = options.report;
    this.detail = options.detail;
    this.holdMs = options.settings.debounceMs + HOLD_EXTRA_MS;
    const port = options.settings.ctlPort;
    if (port > 0) {
      this.socket = new UDP({ port, onReadable: (count: number) => this.drain(count) });
      this.report(`sim pins: send "press", "down", "up" or "status" to ${LOOPBACK}:${port}`);
    } else {
      this.report("sim pins: no ctl_port, the button cannot be pressed");
    }
  }

  attach(receiver: ButtonReceiver): void {
    this.receiver = receiver;
  }

  setRelay(on: boolean): void {
    if (on === this.relay) return;
    this.relay = on;
    this.report(on ? "relay ON (door open)" : "relay off");
  }

  setLed(on: boolean): void {
    if (on === this.led) return;
    this.led = on;
    this.detail(on ? "led ON" : "led off");
  }

  close(): void {
    this.setRelay(false);
    this.receiver = null;
    this.release.close();
  }

  private setButton(pressed: boolean): void {
    if (pressed === this.pressed) return;
    this.pressed = pressed;
    this.receiver?.button(pressed);
  }

  private drain(count: number): void {
    const socket = this.socket;
    if (socket === null) return;
    for (let i = 0; i < count; i++) {
      const packet: (ArrayBuffer & { address: string; port: number }) | undefined = socket.read();
      if (packet === undefined) return;
      if (packet.address !== LOOPBACK) continue;
      const command = String.fromArrayBuffer(packet).trim().toLowerCase();
      let ok = true;
      switch (command) {
        case "press":
          this.setButton(true);
          this.release.start(this.holdMs);
          break;
        case "down":
          this.release.stop();
          this.setButton(true);
          break;
        case "up":
          this.release.stop();
          this.setButton(false);
          break;
        case "status":
          this.report(`relay ${this.relay ? "ON" : "off"}, led ${this.led ? "ON" : "off"}, button ${this.pressed ? "down" : "up"}`);
          break;
        default:
          ok = false;
          this.report(`sim pins: unknown command "${command}"`);
      }
      try {
        socket.write(ArrayBuffer.fromString(`${ok ? "ok" : "error"} ${command}\n`), packet.address, packet.port);
      } catch {
        // the sender is gone; the command was still carried out
      }
    }
  }
}

export const createPins: typeof Contract = (options: PinsOptions): BoardPins => new SimPins(options);
