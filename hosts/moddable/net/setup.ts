/*
 * Setup module "setup/doorsip" (ESP32 only, see manifest.json). It makes,
 * before main runs and without waiting for anything:
 *  - the pins, relay off (boot.ts): main is imported only after every setup
 *    module has called done (setStepDone in xs/platforms/mc/xsHosts.c:583-604),
 *    and the SDK's setup/network calls done only once Wi-Fi has an address
 *    (and SNTP answered, unless sntp is ""), so pins made in main would leave
 *    the relay GPIO unconfigured until then, or for ever if the access point
 *    never answers;
 *  - the Wi-Fi keeper of net/wifi.ts, so that it can retry when the SDK's
 *    setup/network fails to join at power-up (see wifi.ts).
 *
 * The SDK runs every module named "setup/..." before main and waits for
 * each to call done (modRunMachineSetup in xs/platforms/mc/xsHosts.c). This
 * module's name is not the file's path, so it imports the others by their
 * module names, not relative paths.
 */
import { boot } from "hosts/moddable/boot";
import { getNetwork } from "hosts/moddable/net/network";

export default function setup(done: () => void): void {
  boot();
  getNetwork();
  done();
}
