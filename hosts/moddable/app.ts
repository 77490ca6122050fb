/*
 * The application's entry point, called by main.ts with the adapters ready.
 *
 * PLACEHOLDER: the intercom user agent (the core in src/) is being written.
 * Until it exists this only proves the host: it takes the SIP socket's
 * datagrams and logs their length and source, logs doorbell presses, and
 * lights the LED once it is listening. When the core's intercom lands, this
 * function constructs it with `host` (udp, clock, hash, random, log, pins,
 * storage, settings) and attaches it as the socket's UdpReceiver, the
 * clock's Wakeable and the button's receiver, in place of the loggers below.
 */
import { LogLevel, type UdpReceiver, type Wakeable } from "../../src/host";
import type { ModdableHost } from "./adapters";
import type { ButtonReceiver } from "./pins";

class DatagramLogger implements UdpReceiver {
  private readonly host: ModdableHost;

  constructor(host: ModdableHost) {
    this.host = host;
  }

  receive(data: Uint8Array, length: number, address: string, port: number): void {
    this.host.log.log(LogLevel.Info, `sip: ${length} bytes from ${address}:${port}`);
  }
}

class ButtonLogger implements ButtonReceiver {
  private readonly host: ModdableHost;

  constructor(host: ModdableHost) {
    this.host = host;
  }

  button(pressed: boolean): void {
    this.host.log.log(LogLevel.Info, pressed ? "doorbell pressed" : "doorbell released");
  }
}

/**
 * Start-up check of the adapters the placeholder does not otherwise use: one
 * clock wake-up, one MD5 and one SHA-256 (RFC 1321 and FIPS 180 test vectors
 * for "abc") and a random number, logged at Info so the simulator test sees
 * them. The core's intercom takes the clock over when it lands.
 */
class SelfTest implements Wakeable {
  private readonly host: ModdableHost;
  private readonly started: number;

  constructor(host: ModdableHost) {
    this.host = host;
    this.started = host.clock.now();
  }

  run(): void {
    const abc = new Uint8Array([0x61, 0x62, 0x63]);
    const md5 = this.host.hash.hex("MD5", abc, 3) === "900150983cd24fb0d6963f7d28e17f72";
    const sha = this.host.hash.hex("SHA-256", abc, 3) === "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    const random = this.host.random.u32();
    this.host.log.log(md5 && sha ? LogLevel.Info : LogLevel.Error,
      `self-test: md5 ${md5 ? "ok" : "WRONG"}, sha-256 ${sha ? "ok" : "WRONG"}, random ${random >>> 0}`);
    this.host.clock.attach(this);
    this.host.clock.wake(250);
  }

  tick(): void {
    const elapsed = this.host.clock.now() - this.started;
    this.host.log.log(elapsed >= 250 ? LogLevel.Info : LogLevel.Error, `self-test: clock woke after ${elapsed} ms`);
  }
}

export function startApp(host: ModdableHost): void {
  host.udp.attach(new DatagramLogger(host));
  host.pins.attach(new ButtonLogger(host));
  host.pins.setRelay(false);
  host.pins.setLed(true);
  new SelfTest(host).run();
  host.log.log(LogLevel.Info, `sip: listening on ${host.udp.localAddress}:${host.udp.localPort}, server ${host.serverAddress}:${host.settings.sipPort}`);
}
