/*
 * Turning requests away allocates nothing, measured under the real XS
 * engine: after warm-up (past the log's rate limit), an untrusted INVITE
 * answered 403 statelessly, one dropped, an INVITE from the registrar's
 * address on a foreign port, a SIP scanner's OPTIONS, and with
 * untrusted=drop an OPTIONS probe without User-Agent each cost 0 slots
 * and 0 chunk bytes, with no garbage collection, and take no transaction
 * (the fixture checks every round).
 */
import { describe, expect, it } from "vitest";
import { measure } from "../hosts/xs/harness";

const entry = "test/xs/fixtures/trust.ts";

describe("trusted sources allocate nothing under XS", () => {
  it.each(["untrustedInviteRejected", "untrustedInviteDropped", "serverAddressOtherPort", "scannerDropped", "untrustedOptionsDropped"])("%s: 0 slots and 0 chunk bytes per request", async (exportName) => {
    const m = await measure({ entry, exportName, iterations: 200, warmup: 5 });
    expect(m.gcRan).toBe(false);
    expect(m.exact).toBe(true);
    expect({ slots: m.slots, chunkBytes: m.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
    expect(m.compute).toBeGreaterThan(0);
    console.log(`${exportName}: ${m.perIteration.compute} compute/request, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations}`);
  });
});
