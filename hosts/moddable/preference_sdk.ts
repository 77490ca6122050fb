/*
 * Module "hosts/moddable/preference_store" on the ESP32 (preference_store.d.ts):
 * the SDK's `preference` module, NVS (modules/files/preference/esp32).
 */
import Preference from "preference";
import type { PreferenceStore } from "./preference_store";

const Store: PreferenceStore = Preference;
export default Store;
