/*
 * The fuzzer's deterministic PRNG (mulberry32): the same seed gives the same
 * mutations on Node and inside XS, so a failure reported with its seed
 * replays anywhere. Platform-free (it is bundled into the XS worker).
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  u32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** An integer in [0, n), 0 when n <= 0. */
  below(n: number): number {
    return n <= 0 ? 0 : this.u32() % n;
  }

  /** True with probability num/den. */
  chance(num: number, den: number): boolean {
    return this.below(den) < num;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

/** The seed of run `i` of a campaign seeded with `seed`: each input replays on its own. */
export function runSeed(seed: number, i: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(i + 1, 0x85ebca77)) >>> 0;
}
