/*
 * The network in the Linux simulator: the computer's own, up from the start.
 * There is no Wi-Fi step (the SDK's lin "wifi" module is a stub); the
 * address is the one the SDK's `net` module reports (Net.get("IP"), the
 * first non-loopback IPv4 address of the host), or 127.0.0.1 without one.
 */
import Net from "net";
import type { Network, NetworkListener, getNetwork as Contract } from "./network";

class HostNetwork implements Network {
  listener: NetworkListener | null = null;
  readonly up = true;
  readonly address: string;
  readonly name = "host network";

  constructor() {
    let ip: unknown;
    try {
      ip = Net.get("IP");
    } catch {
      ip = undefined;
    }
    this.address = typeof ip === "string" && ip !== "" ? ip : "127.0.0.1";
  }
}

let network: HostNetwork | null = null;

export const getNetwork: typeof Contract = (): Network => (network ??= new HostNetwork());
