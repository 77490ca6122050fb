/*
 * RandomHost. On the ESP32 XS's Math.random draws from the hardware RNG
 * (c_rand is `0x7fffffff & esp_random()`, xs/platforms/esp/xsHost.h), which
 * is truly random while the radio runs. In the Linux simulator c_rand is
 * libc rand(), never seeded (xs/platforms/xsPlatform.h), so every run would
 * repeat the same Call-IDs and tags; mixing in a xorshift state seeded from
 * the wall clock and tick count once at start keeps runs apart.
 */
import Time from "time";
import type { RandomHost } from "../../src/host";

export class MathRandom implements RandomHost {
  private state: number;

  constructor() {
    // Any non-zero 32-bit seed will do for xorshift32.
    this.state = ((Date.now() % 4294967296) ^ (Time.ticks * 2654435761)) >>> 0 || 0x9e3779b9;
  }

  u32(): number {
    // Math.random gives at most 31 random bits (c_rand / C_RAND_MAX): take 16 from each of two draws.
    const high = Math.floor(Math.random() * 65536);
    const low = Math.floor(Math.random() * 65536);
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return ((high * 65536 + low) ^ this.state) >>> 0;
  }
}
