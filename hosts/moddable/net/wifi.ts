/*
 * The network on the ESP32: Wi-Fi through the ECMA-419 network interface
 * ("embedded:network/interface/wifi", modules/io/wifi/esp32), with the SDK's
 * own `ssid` and `password` settings (mcconfig ssid=... password=...).
 *
 * The SDK's setup/network (build/devices/esp32/setup/network.js, included by
 * manifest_net.json) joins the network before main runs, but it tries once:
 * when the access point is not there at power-up (a router that boots slower
 * than the door station after a power cut) it never finishes, and main never
 * runs; and once connected it closes its Wi-Fi object, so a later loss of
 * the link is nobody's business. The SDK's Wi-Fi does not reconnect by
 * itself (ESP-IDF leaves that to the application). This module does both:
 *  - it is made during setup (net/setup.ts, a setup module that finishes at
 *    once). If the link is not up FIRST_TRY_GRACE_MS after that, it
 *    connects itself: setup/network's failed try changes nothing of this
 *    object's own state (connecting, connected, ip), and the SDK calls a
 *    Wi-Fi object's onChanged only when its own state changes
 *    (wifiConnectDeliver, modules/io/wifi/esp32/wifi-esp32.c:325-367), so no
 *    event would ever start a retry. Once this object has connected, it hears
 *    its own failures and backs off from 1 s to 30 s. A connection sets
 *    every Wi-Fi object's state (wifi-esp32.c:334-338), so setup/network
 *    sees the retry succeed and lets main run;
 *  - later it reconnects after every loss, backing off from 1 s to 30 s,
 *    and tells its listener (the app) when the link is gone and when it is
 *    back, so the app can register again at once (intercom.networkUp()).
 * It does not connect at once: setup/network's own try may be under way, and
 * a second esp_wifi_connect() during its scan would only restart it. Should
 * it still be scanning after the grace time, the connect is rejected or
 * restarts the scan; either way the catch below schedules the next try.
 */
import WiFi from "embedded:network/interface/wifi";
import config from "mc/config";
import { Alarm } from "../alarm";
import type { Network, NetworkListener, getNetwork as Contract } from "./network";

const CONNECTED = 500;
const DISCONNECTED = 200;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30000;
/** setup/network tries once (build/devices/esp32/setup/network.js:62); if the link is not up this long after setup, try ourselves. */
const FIRST_TRY_GRACE_MS = 20000;

function report(text: string): void {
  trace("I ", text, "\n");
}

class WifiNetwork implements Network {
  listener: NetworkListener | null = null;
  up = false;
  address = "";
  readonly name: string;
  private readonly ssid: string;
  private readonly password: string;
  private readonly wifi: WiFi;
  private readonly retry: Alarm;
  private retryMs = 0;

  constructor() {
    this.ssid = typeof config.ssid === "string" ? config.ssid : "";
    this.password = typeof config.password === "string" ? config.password : "";
    this.name = this.ssid !== "" ? `Wi-Fi "${this.ssid}"` : "Wi-Fi (no ssid configured)";
    this.retry = new Alarm(() => this.reconnect());
    this.wifi = new WiFi({ onChanged: () => this.changed(true) });
    // Connected already (made after setup/network succeeded)? Not connected is no reason to
    // retry yet: setup/network's first attempt may be under way (its own object's state).
    this.changed(false);
    // But if that attempt fails, this object's state stays 0/0/0 and the SDK calls no
    // onChanged (wifiConnectDeliver, wifi-esp32.c:349-354): without this alarm nothing would
    // ever retry, setup/network would never call done, and main would never run.
    if (!this.up && this.ssid !== "") this.retry.start(FIRST_TRY_GRACE_MS);
  }

  private changed(event: boolean): void {
    const connection = this.wifi.connection;
    if (connection >= CONNECTED) {
      const address = this.wifi.address ?? "";
      const was = this.up;
      if (was && address === this.address) return;
      this.up = true;
      this.address = address;
      this.retryMs = 0;
      this.retry.stop();
      report(`${this.name}: ${was ? "address now" : "up, address"} ${address}`);
      this.listener?.onNetworkUp(address);
    } else if (connection <= DISCONNECTED) {
      if (this.up) {
        this.up = false;
        this.address = "";
        report(`${this.name}: lost`);
        this.listener?.onNetworkDown();
      }
      if (event) this.scheduleRetry();
    }
    // 300 (connecting) and 400 (associated, no address yet): wait for the next change.
  }

  private scheduleRetry(): void {
    if (this.ssid === "" || this.retry.pending) return;
    this.retryMs = this.retryMs === 0 ? FIRST_RETRY_MS : Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.retry.start(this.retryMs);
  }

  private reconnect(): void {
    if (this.wifi.connection > DISCONNECTED) return; // someone else is connecting, or it came back
    report(`${this.name}: connecting`);
    try {
      this.wifi.connect(this.password !== "" ? { SSID: this.ssid, password: this.password } : { SSID: this.ssid });
    } catch (error) {
      report(`${this.name}: connect failed: ${String(error)}`);
      this.scheduleRetry();
    }
  }
}

let network: WifiNetwork | null = null;

export const getNetwork: typeof Contract = (): Network => (network ??= new WifiNetwork());
