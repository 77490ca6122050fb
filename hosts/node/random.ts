/*
 * RandomHost on node:crypto. Draws 4 bytes at a time from a pool refilled
 * with randomFillSync, so tags and branches are unpredictable (RFC 3261 §19.3
 * asks for cryptographic randomness in tags).
 */
import { randomFillSync } from "node:crypto";
import type { RandomHost } from "../../src/host";

export class NodeRandom implements RandomHost {
  private readonly pool = new Uint32Array(256);
  private index = 256;

  u32(): number {
    if (this.index >= this.pool.length) {
      randomFillSync(this.pool);
      this.index = 0;
    }
    return this.pool[this.index++]!;
  }
}
