/*
 * StorageHost as a JSON file of string values. Loaded once; each set()
 * rewrites the file through a temporary file and rename, so a crash never
 * leaves half a file behind.
 */
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import type { StorageHost } from "../../src/host";

export class JsonFileStorage implements StorageHost {
  readonly path: string;
  private readonly values = new Map<string, string>();

  constructor(path: string) {
    this.path = path;
    let text: string | undefined;
    try {
      text = readFileSync(path, "utf8");
    } catch {
      return; // no file yet: start empty
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      return; // unreadable: start empty; the next set() replaces it
    }
    if (data !== null && typeof data === "object" && !Array.isArray(data)) {
      for (const [key, value] of Object.entries(data)) {
        if (typeof value === "string") this.values.set(key, value);
      }
    }
  }

  get(key: string): string | undefined {
    return this.values.get(key);
  }

  /** The last write failure, if any: set() keeps the value in memory and does not throw into the core. */
  lastError: unknown = undefined;

  set(key: string, value: string): void {
    this.values.set(key, value);
    const temp = `${this.path}.${process.pid}.tmp`;
    try {
      writeFileSync(temp, JSON.stringify(Object.fromEntries(this.values), null, 2) + "\n");
      renameSync(temp, this.path);
      this.lastError = undefined;
    } catch (error) {
      this.lastError = error;
    }
  }
}
