/*
 * The part of the ECMA-419 Wi-Fi network interface ("embedded:network/
 * interface/wifi", modules/io/wifi in the SDK) that net/wifi.ts uses.
 * @moddable/typings 5.6.0 does not declare it; the SDK's own typings
 * (typings/embedded_network/interface/wifi.d.ts) do, and mcconfig builds use
 * those instead of this file (this directory is not listed in manifest.json).
 *
 * connection: 200 disconnected, 300 connecting, 400 associated without an
 * address yet, 500 connected with an address (xs_wifi419_connection_get in
 * modules/io/wifi/esp32/wifi-esp32.c).
 */
declare module "embedded:network/interface/wifi" {
  export interface WiFiOptions {
    onChanged?: (property: "connection" | "address") => void;
  }

  export interface WiFiConnectOptions {
    SSID: string;
    password?: string;
  }

  class WiFi {
    constructor(options: WiFiOptions);
    close(): void;
    connect(options: WiFiConnectOptions): void;
    disconnect(): void;
    readonly connection: number;
    readonly address: string | undefined;
    readonly SSID: string | undefined;
    readonly RSSI: number | undefined;
  }

  export default WiFi;
}
