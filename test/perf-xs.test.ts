/*
 * The memory budget of issue #9, asserted on the figures XS gives
 * deterministically (never timings): the whole station on the virtual host
 * inside the real XS engine (test/xs/fixtures/perf-budget.ts): the core's
 * share of each operation, with the host's script MD5 and the scripted
 * peer metered apart.
 *
 * Targets met and asserted exactly: 0 per keepalive round trip and per
 * refresh with a digest challenge, 0 retained after calls. Not met yet,
 * asserted as a ceiling (a little above the figure measured when this was
 * written): the idle heap.
 */
import { resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runBudgetInXs } from "../bench/xs-budget";
import type { BudgetResult } from "./xs/fixtures/perf-budget";

const root = resolve(__dirname, "..");

/** Measured ceiling of the target not reached yet (see the README's performance section): 263,776 bytes when written. */
const IDLE_CEILING_BYTES = 300_000;

let r: BudgetResult;

beforeAll(async () => {
  r = await runBudgetInXs(root, { runs: 4, warmup: 2, manyCalls: 10 }, 170_000);
}, 180_000);

describe("the station's budget inside XS", () => {
  it("ran what it claims: calls up and down, keepalives answered, refreshes challenged and accepted, nothing unexpected", () => {
    const c = r.checks;
    // 2 warm-up + 4 measured calls of each kind, then 1 + 1 and 5 + 5 for the retained figures.
    expect(c.callsUp).toBe(2 * (2 + 4) + 2 + 10);
    expect(c.callsDown).toBe(c.callsUp);
    expect(c.proxyChallenges).toBe(2 + 4 + 1 + 5);
    expect(c.keepalivesAnswered).toBe(2 + 4);
    expect(c.keepaliveOptionsAtPeer).toBe(c.keepalivesAnswered);
    // Each refresh: REGISTER with the spent nonce, 401 stale, REGISTER with credentials, 200; plus the first registration.
    expect(c.refreshChallenges).toBe(1 + 2 + 4);
    expect(c.refreshRegistered).toBe(1 + 2 + 4);
    expect(c.refreshRegisters).toBe(2 * (1 + 2 + 4));
    expect(c.refreshAuthFailed).toBe(0);
    expect(c.refreshStillRegistered).toBe(1);
    expect(c.idleRegistered).toBe(1);
    expect(c.peerUnexpected).toBe(0);
    expect(c.droppedDatagrams).toBe(0);
    expect(c.logErrors).toBe(0);
  });

  it("measured every window without a garbage collection (exact figures)", () => {
    for (const w of [r.call.inbound, r.call.doorbell, r.keepalive, r.refresh]) expect(w.gcs).toBe(0);
  });

  it("a keepalive round trip allocates only its outgoing datagram (copied by the host): 0 slots, 0 bytes in the core", () => {
    expect(r.keepalive.datagramsOut).toBe(1);
    expect({ slots: r.keepalive.perRun.slots, chunkBytes: r.keepalive.perRun.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
    expect(r.keepalive.hostHashPerRun.calls).toBe(0);
  });

  it("nothing is retained after calls: 0 slots, 0 bytes after a GC, after one call of each kind and after ten", () => {
    expect({ slots: r.call.retainedOne.slots, chunkBytes: r.call.retainedOne.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
    expect({ slots: r.call.retainedMany.slots, chunkBytes: r.call.retainedMany.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
  });

  it("an inbound call allocates no slots (its chunk bytes are log lines and event texts)", () => {
    expect(r.call.inbound.datagramsOut).toBe(4); // 100, 180, 200 and the 200 to BYE
    expect(r.call.inbound.perRun.slots).toBe(0);
    expect(r.call.inbound.hostHashPerRun.calls).toBe(0);
  });

  it("a refresh with a digest challenge allocates only its outgoing datagrams: 0 slots, 0 bytes in the core (the host's digests apart)", () => {
    expect(r.refresh.datagramsOut).toBe(2);
    // HA1, HA2 and the response for each REGISTER (the first still answers the spent nonce): the HashHost returns
    // strings, so the host allocates those; they are metered apart.
    expect(r.refresh.hostHashPerRun.calls).toBe(6);
    expect({ slots: r.refresh.perRun.slots, chunkBytes: r.refresh.perRun.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
  });

  it("the idle heap stays within its measured ceiling (target < 16 KB; not reached)", () => {
    expect(r.idle.bytes).toBe(r.idle.slots * r.engine.slotSize + r.idle.chunkBytes);
    expect(r.idle.bytes).toBeGreaterThan(0);
    expect(r.idle.bytes).toBeLessThanOrEqual(IDLE_CEILING_BYTES);
  });
});
