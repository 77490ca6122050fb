/*
 * The contract of module "hosts/moddable/preference_store", where storage.ts
 * keeps preferences. manifest.json maps it per platform: preference_sdk.ts
 * on the ESP32 (the SDK's `preference`, NVS), preference_file.ts in the
 * Linux simulator. The SDK's lin `preference` module reads its JSON file in
 * a static initializer, which runs at build time once a preloaded module
 * imports it (storage.ts is preloaded): the simulator then never saw the
 * file's values, and every save threw inside the module (its cache is in
 * the preloaded, read-only heap) and left the file empty.
 */
export interface PreferenceStore {
  get(domain: string, key: string): string | number | boolean | ArrayBuffer | undefined;
  set(domain: string, key: string, value: string): void;
  delete(domain: string, key: string): void;
}

declare const Store: PreferenceStore;
export default Store;
