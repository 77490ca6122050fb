/*
 * Allocation-free transactions, measured under the real XS engine: after
 * warm-up, a full non-INVITE server round (request → 200 from the TU →
 * retransmission absorbed and answered again → Timer J) and a full
 * non-INVITE client round (request → Timer E retransmission → 200 → a
 * retransmitted 200 absorbed → Timer K) allocate 0 slots and 0 chunk bytes,
 * with no garbage collection meanwhile; so do an INVITE server round (100
 * Trying after 200 ms → 486 → Timer G → ACK → Timer I) and an INVITE client
 * round (Timer A → 180 → 486 → ACK built by the transaction, sent again for
 * the retransmitted 486 → Timer D). The fake UdpHost only counts bytes.
 */
import { describe, expect, it } from "vitest";
import { measure } from "../hosts/xs/harness";

const entry = "test/xs/fixtures/transaction.ts";
const ITERATIONS = 50;

describe("transaction layer allocation under XS", () => {
  it.each(["serverRound", "clientRound", "inviteServerRound", "inviteClientRound"])("%s allocates 0 slots and 0 chunk bytes per round", async (exportName) => {
    const m = await measure({ entry, exportName, iterations: ITERATIONS, warmup: 5 });
    expect(m.gcRan).toBe(false);
    expect(m.exact).toBe(true);
    expect({ slots: m.slots, chunkBytes: m.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
    expect(m.compute).toBeGreaterThan(0);
    console.log(`${exportName}: ${m.perIteration.compute} compute/round, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations} rounds`);
  });
});
