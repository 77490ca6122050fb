/*
 * The contract of module "hosts/moddable/net/network", which manifest.json
 * maps per platform like "hosts/moddable/pins": to wifi.ts on the ESP32
 * (ECMA-419 Wi-Fi, with reconnection) and to sim.ts in the Linux simulator
 * (the computer's own network, always up). This declaration is what tsc
 * resolves "./net/network" to; XS resolves it to the module the manifest put
 * there.
 */

export interface NetworkListener {
  /** The network is usable (again, after a loss), or this device's address changed. */
  onNetworkUp(address: string): void;
  /** The link is gone (Wi-Fi lost); reconnection is under way. */
  onNetworkDown(): void;
}

export interface Network {
  /** Connected with an IPv4 address. */
  readonly up: boolean;
  /** This device's IPv4 address while up, else "". */
  readonly address: string;
  /** What it is, for the log ("Wi-Fi \"home\"", "host network"). */
  readonly name: string;
  /** Told about every change; one listener (the app). */
  listener: NetworkListener | null;
}

/** The one Network of this device, made on first use. */
export declare function getNetwork(): Network;
