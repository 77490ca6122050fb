/*
 * Allocation-free SDP, measured under the real XS engine: after warm-up,
 * reading each realistic offer, reading a malformed body, answering an
 * offer into the body writer, and writing an offer whose version changes
 * every time (and starting a new session on the same address) allocate
 * 0 slots and 0 chunk bytes, with no garbage collection during the
 * measurement. A control checks that the measurement sees a string made
 * on demand.
 */
import { describe, expect, it } from "vitest";
import { measure } from "../hosts/xs/harness";
import * as offers from "./xs/fixtures/sdp";

const entry = "test/xs/fixtures/sdp.ts";
const ITERATIONS = 50;

const OFFERS: [string, string][] = [
  ["Asterisk", offers.ASTERISK],
  ["FreeSWITCH", offers.FREESWITCH],
  ["FreeSWITCH hold", offers.FREESWITCH_HOLD],
  ["FRITZ!Box", offers.FRITZBOX],
  ["baresip IPv6", offers.BARESIP_IP6],
  ["Linphone with video", offers.LINPHONE],
  ["Linphone with a=rtcp", offers.LINPHONE_RTCP],
  ["SIPp", offers.SIPP],
  ["dynamic G.711", offers.DYNAMIC_G711],
  ["c=0.0.0.0 hold", offers.NULL_HOLD],
  ["replaced stream", offers.REPLACED_STREAM],
  ["video first, SRTP audio", offers.VIDEO_FIRST],
];

function expectZero(m: Awaited<ReturnType<typeof measure>>): void {
  expect(m.gcRan).toBe(false);
  expect(m.exact).toBe(true);
  expect({ slots: m.slots, chunkBytes: m.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
  expect(m.compute).toBeGreaterThan(0);
}

describe("SDP allocation under XS", () => {
  it.each(OFFERS)("reads the %s offer with 0 slots and 0 chunk bytes", async (name, text) => {
    const m = await measure({ entry, exportName: "readOffer", args: [text], iterations: ITERATIONS, warmup: 3 });
    expectZero(m);
    console.log(`read ${name}: ${m.perIteration.compute} compute, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations}`);
  });

  it("reads an offer without G.711 with 0 slots and 0 chunk bytes", async () => {
    expectZero(await measure({ entry, exportName: "readOffer", args: [offers.NO_G711], iterations: ITERATIONS, warmup: 3 }));
  });

  it.each([
    ["a second o=", offers.SIPP + "o=- 1 1 IN IP4 192.0.2.1\n"],
    ["a bad m= port", offers.SIPP.replace("6000", "70000")],
    ["video only", offers.SIPP.replace("m=audio", "m=video")],
  ])("rejects %s with 0 slots and 0 chunk bytes", async (_name, text) => {
    const m = await measure({ entry, exportName: "readInvalid", args: [text], iterations: ITERATIONS, warmup: 3 });
    expect(m.gcRan).toBe(false);
    expect({ slots: m.slots, chunkBytes: m.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
  });

  it.each(OFFERS)("reads the %s offer and writes the answer with 0 slots and 0 chunk bytes", async (name, text) => {
    const m = await measure({ entry, exportName: "answerOffer", args: [text], iterations: ITERATIONS, warmup: 3 });
    expectZero(m);
    console.log(`answer ${name}: ${m.perIteration.compute} compute, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations}`);
  });

  it("writes offers with a new version each time with 0 slots and 0 chunk bytes", async () => {
    const m = await measure({ entry, exportName: "writeOffers", iterations: ITERATIONS, warmup: 3 });
    expectZero(m);
    console.log(`offer: ${m.perIteration.compute} compute, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations}`);
  });

  it("starts a new session on the same address and writes its offer with 0 slots and 0 chunk bytes", async () => {
    const m = await measure({ entry, exportName: "newSessionOffer", iterations: ITERATIONS, warmup: 3 });
    expectZero(m);
    console.log(`new session + offer: ${m.perIteration.compute} compute, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations}`);
  });

  it("the measurement can fail: making the address string is caught", async () => {
    const m = await measure({ entry, exportName: "readOfferAndAddress", args: [offers.ASTERISK], iterations: ITERATIONS, warmup: 3 });
    expect(m.gcRan).toBe(false);
    expect(m.chunkBytes).toBeGreaterThan(0);
  });
});
