/*
 * Signal checks for the audio tests: the Goertzel filter (the power of one
 * frequency in a block of samples, as DTMF detectors use it), a relative
 * measure "how much of the block's power is at f", and the dominant
 * frequency among candidates. Plain TypeScript over Int16Array samples.
 */

/** Goertzel power of `freq` in samples[from, from + n) at `rate` (un-normalised). */
export function goertzel(samples: Int16Array, from: number, n: number, freq: number, rate: number): number {
  const k = Math.round((n * freq) / rate);
  const w = (2 * Math.PI * k) / n;
  const coeff = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s0 = samples[from + i]! + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - coeff * s1 * s2;
}

/** Total energy of samples[from, from + n). */
export function energy(samples: Int16Array, from: number, n: number): number {
  let e = 0;
  for (let i = 0; i < n; i++) e += samples[from + i]! * samples[from + i]!;
  return e;
}

/**
 * The share (0..1) of the block's energy that is at `freq`: Goertzel power
 * of a pure tone of amplitude A over n samples is (A n / 2)^2 and its energy
 * n A^2 / 2, so power / (energy * n / 2) is 1 for a pure tone on a bin.
 */
export function toneShare(samples: Int16Array, from: number, n: number, freq: number, rate: number): number {
  const e = energy(samples, from, n);
  if (e === 0) return 0;
  return goertzel(samples, from, n, freq, rate) / ((e * n) / 2);
}

/** Root mean square level of samples[from, from + n). */
export function rms(samples: Int16Array, from = 0, n = samples.length - from): number {
  return n > 0 ? Math.sqrt(energy(samples, from, n) / n) : 0;
}

/** Of `candidates`, the frequency with the most Goertzel power in the block. */
export function dominant(samples: Int16Array, from: number, n: number, candidates: number[], rate: number): number {
  let best = candidates[0]!;
  let bestPower = -1;
  for (const f of candidates) {
    const p = goertzel(samples, from, n, f, rate);
    if (p > bestPower) {
      bestPower = p;
      best = f;
    }
  }
  return best;
}

/** Blocks of `n` samples (from the start) in which `freq` holds at least `minShare` of the energy and the level is at least `minRms`. */
export function blocksWithTone(samples: Int16Array, n: number, freq: number, rate: number, minShare = 0.5, minRms = 300): number {
  let count = 0;
  for (let from = 0; from + n <= samples.length; from += n) {
    if (rms(samples, from, n) >= minRms && toneShare(samples, from, n, freq, rate) >= minShare) count++;
  }
  return count;
}
