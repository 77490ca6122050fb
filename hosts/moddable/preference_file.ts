/*
 * Module "hosts/moddable/preference_store" in the Linux simulator
 * (preference_store.d.ts): the same JSON file and format as the SDK's lin
 * `preference` module (config.file.root + "modpreferences.json", or the
 * build's sim_prefs, one object per domain), read on first use rather than when the module is loaded, so
 * that it works preloaded: the file is read when the app runs, not when it
 * is built, and the values live in RAM.
 *
 * Every change rewrites the file whole, as the SDK's does; a file that
 * cannot be read counts as empty, and a write that fails throws (storage.ts
 * logs it).
 */
import { File } from "file";
import config from "mc/config";
import type { PreferenceStore } from "./preference_store";

type Domains = Record<string, Record<string, unknown>>;

const c = config as { file?: { root?: string }; sim_prefs?: unknown };
/**
 * `sim_prefs=<path>` on the mcconfig command line gives a build its own file
 * (a test's simulator, so that it neither reads nor changes the preferences
 * of other simulators on the machine); else the SDK's.
 */
const PATH = typeof c.sim_prefs === "string" && c.sim_prefs !== "" ? c.sim_prefs : (c.file?.root ?? "/tmp/") + "modpreferences.json";

class FileStore implements PreferenceStore {
  private cache: Domains | null = null;

  private get path(): string {
    return PATH;
  }

  private load(): Domains {
    if (this.cache !== null) return this.cache;
    let cache: Domains = {};
    try {
      if (File.exists(this.path)) {
        const file = new File(this.path, false);
        const text = file.read(String);
        file.close();
        const parsed: unknown = JSON.parse(text);
        if (typeof parsed === "object" && parsed !== null) cache = parsed as Domains;
      }
    } catch {
      // unreadable: no preferences
    }
    this.cache = cache;
    return cache;
  }

  get(domain: string, key: string): string | number | boolean | ArrayBuffer | undefined {
    const value = this.load()[domain]?.[key];
    return typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? value : undefined;
  }

  set(domain: string, key: string, value: string): void {
    const cache = this.load();
    (cache[domain] ??= {})[key] = value;
    this.save(cache);
  }

  delete(domain: string, key: string): void {
    const cache = this.load();
    const values = cache[domain];
    if (values === undefined || values[key] === undefined) return;
    delete values[key];
    if (Object.keys(values).length === 0) delete cache[domain];
    this.save(cache);
  }

  private save(cache: Domains): void {
    File.delete(this.path);
    const file = new File(this.path, true);
    file.write(JSON.stringify(cache));
    file.close();
  }
}

const Store: PreferenceStore = new FileStore();
export default Store;
