/*
 * Pins in the Linux simulator, which has no GPIO (modules/io/manifests/lin
 * has sockets and serial only). manifest.json maps module
 * "hosts/moddable/pins" to this file on "lin".
 *
 * The doorbell is a control datagram to 127.0.0.1:<ctl_port> (boards/lin.json):
 *   "press"   press and release (a ring)
 *   "down"    press and hold          "up"  release
 *   "status"  report relay and LED
 * The reply is "ok <command>" or "error <command>". The ECMA-419 simulator
 * socket binds INADDR_ANY whatever `address` says (lin/udp.c), so datagrams
 * from anywhere but 127.0.0.1 are ignored here. Relay and LED changes are
 * reported through the log, which is how tests and people see them.
 */
import UDP from "embedded:io/socket/udp";
import type { BoardPins, ButtonReceiver, PinsOptions, createPins as Contract } from "./pins";

const LOOPBACK = "127.0.0.1";

class SimPins implements BoardPins {
  private readonly report: (text: string) => void;
  private readonly socket: UDP | null = null;
  private receiver: ButtonReceiver | null = null;
  private relay = false;
  private led = false;
  private pressed = false;

  constructor(options: PinsOptions) {
    this.report = options.report;
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
    this.report(on ? "led ON" : "led off");
  }

  close(): void {
    this.setRelay(false);
    this.receiver = null;
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
          this.setButton(false);
          break;
        case "down":
          this.setButton(true);
          break;
        case "up":
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
