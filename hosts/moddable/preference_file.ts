/*
 * Module "hosts/moddable/preference_store" in the Linux simulator
 * (preference_store.d.ts): the same JSON file and format as the SDK's lin
 * `preference` module (config.file.root + "modpreferences.json", or the
 * build's sim_prefs, one object per domain), read on first use rather than when the module is loaded, so
 * that it works preloaded: the file is read when the app runs, not when it
 * is built, and the values live in RAM.
 *
 * Every change rewrites the file whole, as the SDK's does, but through a
 * temporary file and a rename: the SDK's way (delete, then write) loses every
 * preference when the write fails, and leaves stale bytes after a shorter
 * text when the delete fails. A file that cannot be read counts as empty
 * (and a domain that is not an object as no domain); a write that fails
 * leaves the values as they were, in RAM too, and throws (storage.ts logs
 * it; the settings page reads a value back to know it was stored).
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
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
          // Only object domains: a string or array one would throw on set, or be dropped by JSON.stringify.
          const domains = parsed as Record<string, unknown>;
          const names = Object.keys(domains);
          for (let i = 0; i < names.length; i++) {
            const values = domains[names[i]!];
            if (typeof values === "object" && values !== null && !Array.isArray(values)) cache[names[i]!] = values as Record<string, unknown>;
          }
        }
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
    const values = (cache[domain] ??= {});
    const before = values[key];
    values[key] = value;
    try {
      this.save(cache);
    } catch (error) {
      // Not stored: nor kept in RAM, where a get() would report it stored.
      if (before === undefined) delete values[key];
      else values[key] = before;
      if (Object.keys(values).length === 0) delete cache[domain];
      throw error;
    }
  }

  delete(domain: string, key: string): void {
    const cache = this.load();
    const values = cache[domain];
    if (values === undefined || values[key] === undefined) return;
    const before = values[key];
    delete values[key];
    if (Object.keys(values).length === 0) delete cache[domain];
    try {
      this.save(cache);
    } catch (error) {
      (cache[domain] ??= values)[key] = before;
      throw error;
    }
  }

  private save(cache: Domains): void {
    const temp = this.path + ".new";
    File.delete(temp);
    const file = new File(temp, true);
    try {
      file.write(JSON.stringify(cache));
    } finally {
      file.close();
    }
    // rename(2): the file is the old one or the new one, never half of either.
    if (!File.rename(temp, this.path)) {
      File.delete(temp);
      throw new Error(`cannot replace ${this.path}`);
    }
  }
}

const Store: PreferenceStore = new FileStore();
export default Store;
