/*
 * The transactions' message arena at its edges allocates nothing, measured
 * under the real XS engine (test/xs/fixtures/transaction-arena.ts): a
 * round where a full arena takes the copies of answered transactions
 * (copiesDropped) and sends a response it cannot keep without a copy
 * (unstored), and a round where a CANCEL is built from an INVITE kept
 * behind another message (moved to the arena's front to be parsed), each
 * allocate 0 slots and 0 chunk bytes, with no garbage collection
 * meanwhile. The fixture checks, on its warm-up round, that the counters
 * and datagrams are what the round claims.
 */
import { describe, expect, it } from "vitest";
import { measure } from "../hosts/xs/harness";

const entry = "test/xs/fixtures/transaction-arena.ts";
const ITERATIONS = 30;

describe("the transactions' message arena under XS", () => {
  it.each(["fullArenaRound", "cancelRound"])("%s allocates 0 slots and 0 chunk bytes per round", async (exportName) => {
    const m = await measure({ entry, exportName, iterations: ITERATIONS, warmup: 3 });
    expect(m.gcRan).toBe(false);
    expect(m.exact).toBe(true);
    expect({ slots: m.slots, chunkBytes: m.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
    expect(m.compute).toBeGreaterThan(0);
    console.log(`${exportName}: ${m.perIteration.compute} compute/round, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations} rounds`);
  });
});
