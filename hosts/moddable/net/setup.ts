/*
 * Setup module "setup/doorsip" (ESP32 only, see manifest.json): makes the
 * Wi-Fi keeper of net/wifi.ts before main runs, so that it can retry when
 * the SDK's setup/network fails to join at power-up (see wifi.ts). It does
 * not wait for anything itself.
 *
 * The SDK runs every module named "setup/..." before main and waits for
 * each to call done (modRunMachineSetup in xs/platforms/mc/xsHosts.c). This
 * module's name is not the file's path, so it imports the network by its
 * module name, not a relative path.
 */
import { getNetwork } from "hosts/moddable/net/network";

export default function setup(done: () => void): void {
  getNetwork();
  done();
}
