/*
 * A deterministic RandomHost: the same seed gives the same tags, branches and
 * Call-IDs, so tests can assert exact bytes. mulberry32, which is plenty for
 * tests and must never be used on a device.
 */
import type { RandomHost } from "../../src/host";

export class SeededRandom implements RandomHost {
  private state: number;
  calls = 0;

  constructor(seed = 1) {
    this.state = seed >>> 0;
  }

  u32(): number {
    this.calls++;
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }
}

/** A RandomHost that replays fixed values (cycling), for exact-output tests. */
export class FixedRandom implements RandomHost {
  private index = 0;
  private readonly values: readonly number[];

  constructor(values: readonly number[]) {
    this.values = values.length > 0 ? values : [0];
  }

  u32(): number {
    const v = this.values[this.index % this.values.length]!;
    this.index++;
    return v >>> 0;
  }
}
