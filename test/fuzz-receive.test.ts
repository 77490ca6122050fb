/*
 * The user agent's receive path under fuzz (issue #10): mutated datagrams
 * (requests of every method the door handles, responses, the torture corpus
 * and the peers' messages) from the registrar's address go into
 * Intercom.receiver on a virtual clock. None may throw; every 20 of them an
 * OPTIONS must still be answered 200 (after the transaction timers when
 * every slot was busy) with the registration still up, and again once every
 * timer has run out.
 */
import { describe, expect, it } from "vitest";
import { resolve } from "node:path";
import { NodeHash } from "../hosts/node/hash";
import { fuzzSeeds } from "./fuzz/corpus";
import { receiveSeeds, runReceive } from "./fuzz/receive";
import { torture } from "./support/torture";

const ROOT = resolve(__dirname, "..");
const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const RUNS = 2000;

describe("fuzz: the intercom's receive path", () => {
  it(`${RUNS} mutated datagrams into Intercom.receiver: nothing throws, OPTIONS still answered, still registered (seed ${SEED})`, () => {
    const seeds = [...receiveSeeds(), ...fuzzSeeds(ROOT).map((s) => s.bytes)];
    const r = runReceive({ seeds, runs: RUNS, seed: SEED, hash: new NodeHash() });
    expect(r.failures.map((f) => `${f.property}\n  run ${f.run} (run seed ${f.runSeed}), seed ${SEED}\n  ${f.text}\n  hex: ${f.hex}`)).toEqual([]);
    expect(r.runs).toBe(RUNS);
    expect(r.probes).toBeGreaterThanOrEqual(RUNS / 20 + 1);
    // The datagrams reached calls, not just the 400 path: answered INVITEs, BYEs of the door's own calls, rejections.
    expect(r.kinds["200 INVITE"] ?? 0).toBeGreaterThan(10);
    expect(r.kinds["BYE"] ?? 0).toBeGreaterThan(10);
    expect(r.kinds["400 INVITE"] ?? 0).toBeGreaterThan(10);
    expect(r.kinds["REGISTER"] ?? 0).toBeGreaterThanOrEqual(1);
  });

  // Found by this fuzzer: RFC 4475's longreq.dat (3,515 bytes, valid) is larger
  // than a call's message buffer, and its 513 (copying 34 Via fields) did not fit
  // either; the INVITE server transaction then stayed in Proceeding for ever, and
  // sixteen of them filled the table (503 for good). A final response that cannot
  // be sent now ends its transaction (ServerTransaction.respond, counters.unanswerable).
  it("an INVITE too large for a call slot is answered and frees its server transaction", () => {
    const seeds = [torture("rfc4475", "longreq.dat")];
    const r = runReceive({ seeds, runs: 40, seed: SEED, hash: new NodeHash(), probeEvery: 40 });
    expect(r.failures.map((f) => f.property)).toEqual([]);
  });
});
