/*
 * The UA's steady-state paths allocate nothing, measured under the real XS
 * engine (hosts/xs): a registration refresh round trip (timer -> REGISTER
 * written with preencoded config bytes -> 200 read: our Contact's expires,
 * the top Via -> next refresh armed) and an OPTIONS keepalive round trip,
 * both over the real transaction layer. Digest is not on this path (a
 * refresh under a cached nonce computes a digest with strings: auth is rare).
 */
import { describe, expect, it } from "vitest";
import { measure } from "../hosts/xs/harness";

const entry = "test/support/registrar-xs-fixtures.ts";

describe("UA steady state under XS", () => {
  it.each(["refreshRound", "keepaliveRound"])("%s allocates 0 slots and 0 chunk bytes", async (exportName) => {
    const m = await measure({ entry, exportName, iterations: 30, warmup: 5 });
    expect(m.gcRan).toBe(false);
    expect(m.exact).toBe(true);
    expect({ slots: m.slots, chunkBytes: m.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
    expect(m.compute).toBeGreaterThan(0);
    console.log(`${exportName}: ${m.perIteration.compute} compute/round, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations} rounds`);
  });
});
