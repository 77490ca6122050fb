/*
 * A fuzz campaign: `runs` inputs, each made from a seed message by the
 * mutation operators with a PRNG seeded from (campaign seed, run index), so
 * any input replays alone. A fifth of the runs mutate an SDP body alone and
 * feed it to the SDP reader. A failing input is shrunk (chunks deleted while
 * the same property still fails) and reported with the seed and run index,
 * as hex and as escaped text. Platform-free: the same loop runs on Node and,
 * bundled, inside the XS worker.
 */
import { headerEnd, mutate, OP_NAMES } from "./mutate";
import { Checker, escapeBytes, hex, Target } from "./properties";
import { Prng, runSeed } from "./prng";

export interface CampaignOptions {
  /** Seed messages (whole datagrams). */
  seeds: readonly Uint8Array[];
  runs: number;
  seed: number;
  /** Every n-th input also goes through the guarded, read-counting view (0: never). */
  guardEvery?: number;
  /** Stop after this many failures (default 3). */
  maxFailures?: number;
  /** Called every `progressEvery` runs. */
  progress?: (done: number) => void;
  progressEvery?: number;
}

export interface Failure {
  run: number;
  /** The run's own PRNG seed (runSeed(seed, run)). */
  runSeed: number;
  target: "sip" | "sdp";
  property: string;
  ops: string[];
  /** The shrunk input. */
  hex: string;
  text: string;
  /** Its size before shrinking. */
  originalLength: number;
}

export interface CampaignResult {
  runs: number;
  seed: number;
  accepted: number;
  rejected: number;
  sdpRuns: number;
  guarded: number;
  maxReadsPerByte: number;
  failures: Failure[];
}

/** The SDP bodies of the seeds (after the empty line, when the message says application/sdp). */
export function sdpBodies(seeds: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const s of seeds) {
    const he = headerEnd(s);
    if (he >= s.length) continue;
    const head = String.fromCharCode.apply(null, Array.from(s.subarray(0, he))).toLowerCase();
    if (head.indexOf("application/sdp") >= 0) out.push(s.slice(he));
  }
  return out;
}

/** The input of run `i` (and the operators used), for replaying one run. */
export function makeInput(seeds: readonly Uint8Array[], bodies: readonly Uint8Array[], seed: number, i: number): { target: Target; input: Uint8Array; rng: Prng; ops: number[] } {
  const rng = new Prng(runSeed(seed, i));
  const sdp = bodies.length > 0 && rng.chance(1, 5);
  const pool = sdp ? bodies : seeds;
  const base = rng.pick(pool);
  const ops: number[] = [];
  // Now and then the seed as it is, so the round trip sees every valid message.
  const input = rng.chance(1, 50) ? base : mutate(rng, base, pool, ops);
  return { target: sdp ? Target.Sdp : Target.Sip, input, rng, ops };
}

/** Delete chunks of the input while `fails` still holds (at most `budget` tries). */
export function shrink(input: Uint8Array, fails: (b: Uint8Array) => boolean, budget = 3000): Uint8Array {
  let cur = input;
  let tries = 0;
  for (let size = cur.length >> 1; size >= 1 && tries < budget; size = size >> 1) {
    let at = 0;
    while (at < cur.length && tries < budget) {
      const n = Math.min(size, cur.length - at);
      const next = new Uint8Array(cur.length - n);
      next.set(cur.subarray(0, at), 0);
      next.set(cur.subarray(at + n), at);
      tries++;
      if (fails(next)) cur = next;
      else at += n;
    }
  }
  return cur;
}

export function runCampaign(o: CampaignOptions): CampaignResult {
  const checker = new Checker();
  const bodies = sdpBodies(o.seeds);
  const failures: Failure[] = [];
  const maxFailures = o.maxFailures ?? 3;
  const guardEvery = o.guardEvery ?? 0;
  let sdpRuns = 0;
  let guarded = 0;
  let i = 0;
  for (; i < o.runs && failures.length < maxFailures; i++) {
    if (o.progress !== undefined && o.progressEvery !== undefined && i > 0 && i % o.progressEvery === 0) o.progress(i);
    const { target, input, rng, ops } = makeInput(o.seeds, bodies, o.seed, i);
    if (target === Target.Sdp) sdpRuns++;
    const guard = guardEvery > 0 && i % guardEvery === 0;
    if (guard) guarded++;
    const property = checker.check(target, input, rng, guard);
    if (property === "") continue;
    // Shrink with the same PRNG state for each try (offsets and fills as in the failing run), guarded.
    const kind = property.replace(/[0-9]+/g, "#");
    const fails = (b: Uint8Array): boolean => {
      const p = new Checker().check(target, b, new Prng(runSeed(o.seed, i) ^ 0x5bd1e995), true);
      return p !== "" && p.replace(/[0-9]+/g, "#") === kind;
    };
    const small = fails(input) ? shrink(input, fails) : input;
    failures.push({
      run: i,
      runSeed: runSeed(o.seed, i),
      target: target === Target.Sdp ? "sdp" : "sip",
      property,
      ops: ops.map((op) => OP_NAMES[op]!),
      hex: hex(small),
      text: escapeBytes(small),
      originalLength: input.length,
    });
  }
  return {
    runs: i,
    seed: o.seed,
    accepted: checker.accepted,
    rejected: checker.rejected,
    sdpRuns,
    guarded,
    maxReadsPerByte: Math.round(checker.maxReadsPerByte * 10) / 10,
    failures,
  };
}

/** A failure as the report prints it. */
export function formatFailure(f: Failure, seed: number): string {
  return [
    `fuzz failure (${f.target}): ${f.property}`,
    `  campaign seed ${seed}, run ${f.run} (run seed ${f.runSeed}); operators: ${f.ops.join(", ") || "none (a seed as it is)"}`,
    `  minimal input (${f.hex.length / 2} bytes, shrunk from ${f.originalLength}):`,
    `  text: ${f.text}`,
    `  hex:  ${f.hex}`,
  ].join("\n");
}
