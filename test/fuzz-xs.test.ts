/*
 * The mutation fuzzer inside the real XS engine (issue #10): the same
 * campaign as on Node (test/fuzz/campaign.ts: mutated torture and peer
 * messages, the parser with every structured reader, the SDP reader and our
 * answer, guard bytes around the input, a read-counting Proxy, the round
 * trip through the writer), bundled into the project's XS worker with a
 * deterministic PRNG seeded here. A bounded count in CI; `doorsip fuzz --xs`
 * runs longer.
 */
import { describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { formatFailure } from "./fuzz/campaign";
import { fuzzSeeds } from "./fuzz/corpus";
import { runCampaignInXs } from "./fuzz/xs";
import { runScript } from "../hosts/xs/harness";

const ROOT = resolve(__dirname, "..");
/** The campaign seed (FUZZ_SEED overrides it, to replay a report). */
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const RUNS = 600;

describe("fuzz under XS", () => {
  it(`${RUNS} mutated messages in the XS engine: no exception, no read outside the input, bounded work, round trip (seed ${SEED})`, async () => {
    const seeds = fuzzSeeds(ROOT).map((s) => s.bytes);
    const r = await runCampaignInXs({ root: ROOT, seeds, runs: RUNS, seed: SEED, guardEvery: 4, runScript });
    expect(r.failures.map((f) => formatFailure(f, r.seed))).toEqual([]);
    expect(r.runs).toBe(RUNS);
    // It reached both targets and both verdicts, and the guarded view ran.
    expect(r.sdpRuns).toBeGreaterThan(RUNS / 10);
    expect(r.accepted).toBeGreaterThan(RUNS / 10);
    expect(r.rejected).toBeGreaterThan(RUNS / 10);
    expect(r.guarded).toBe(RUNS / 4);
    expect(r.maxReadsPerByte).toBeGreaterThan(0);
  });
});
