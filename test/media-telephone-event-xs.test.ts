/*
 * The RFC 4733 sender under the real XS engine (hosts/xs/harness.ts): per
 * packet written, and per media frame in an RtpSession's stream (event
 * packet or audio), 0 slots and 0 chunk bytes, with no garbage collection
 * during the measurement. The host socket only counts here (see
 * test/media-xs.test.ts).
 */
import { describe, expect, it } from "vitest";
import { measure } from "../hosts/xs/harness";

const entry = "test/xs/fixtures/telephone-event.ts";
const ITERATIONS = 500;

describe("RFC 4733 sending under XS", () => {
  it.each([
    ["a telephone-event packet written (start, updates, three ends, next key)", "writer"],
    ["a media frame with the sender: the event's packet or the audio, sent through RtpSession", "sessionFrame"],
  ])("%s: 0 slots, 0 chunk bytes", async (name, exportName) => {
    const m = await measure({ entry, exportName, iterations: ITERATIONS, warmup: 20 });
    expect(m.gcRan).toBe(false);
    expect(m.exact).toBe(true);
    expect({ slots: m.slots, chunkBytes: m.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
    expect(m.compute).toBeGreaterThan(0);
    console.log(`${name}: ${Math.round(m.perIteration.compute)} compute per call, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations}`);
  });
});
