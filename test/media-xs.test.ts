/*
 * Allocation per RTP packet under the real XS engine (hosts/xs/harness.ts):
 * after warm-up, encoding and decoding a 20 ms frame (both laws),
 * packetizing it through RtpSession.sendFrame, reading a header, receiving a
 * packet through the whole session (header, statistics, latching, jitter
 * buffer) and playing the frame out, the jitter buffer's put and get,
 * concealment of lost packets, RFC 4733 key presses, an RTCP report and a
 * frame of tone each allocate 0 slots and 0 chunk bytes, with no garbage
 * collection during the measurement. The host socket is a counter here, so
 * what the host's own send costs is not in the figures (on Node it copies
 * into a Buffer; on the device the ECMA-419 socket writes the bytes out).
 * A control shows the measurement sees a string made per packet.
 */
import { describe, expect, it } from "vitest";
import { measure } from "../hosts/xs/harness";

const entry = "test/xs/fixtures/media.ts";
const ITERATIONS = 500;

function expectZero(m: Awaited<ReturnType<typeof measure>>): void {
  expect(m.gcRan).toBe(false);
  expect(m.exact).toBe(true);
  expect({ slots: m.slots, chunkBytes: m.chunkBytes }).toEqual({ slots: 0, chunkBytes: 0 });
  expect(m.compute).toBeGreaterThan(0);
}

const CASES: [string, string, (boolean | number)[]][] = [
  ["µ-law encode of a frame", "encode", [false]],
  ["A-law encode of a frame", "encode", [true]],
  ["µ-law decode of a frame", "decode", [false]],
  ["A-law decode of a frame", "decode", [true]],
  ["packetize and send (RtpSession.sendFrame)", "packetize", []],
  ["depacketize (header with CSRC and extension)", "depacketize", []],
  ["receive a packet and play its frame (RtpSession)", "receiveAndPlay", []],
  ["jitter buffer put and get", "jitterPutGet", []],
  ["concealment of lost packets", "conceal", []],
  ["RFC 4733 packets through the session", "telephoneEvent", []],
  ["RFC 4733 receiver alone", "telephoneEventReceiver", []],
  ["RTCP report written and sent", "rtcpReport", []],
  ["a frame of dual tone mixed in", "toneFrame", []],
  ["in-band DTMF: a frame classified and read (keys and speech in turn)", "inbandFrames", []],
];

describe("media allocation under XS, per packet", () => {
  it.each(CASES)("%s: 0 slots, 0 chunk bytes", async (name, exportName, args) => {
    const m = await measure({ entry, exportName, args, iterations: ITERATIONS, warmup: 20 });
    expectZero(m);
    console.log(`${name}: ${Math.round(m.perIteration.compute)} compute per packet, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations}`);
  });

  it.each([
    ["the peer's RTCP (SR about our stream) from its a=rtcp address, learned", "rtcpFromPeer"],
    ["a stranger's RTCP, dropped by the source check", "rtcpFromStranger"],
  ])("RTCP received (RtpSession.receiveRtcp): %s: 0 slots, 0 chunk bytes", async (name, exportName) => {
    const m = await measure({ entry: "test/xs/fixtures/rtcp-receive.ts", exportName, iterations: ITERATIONS, warmup: 20 });
    expectZero(m);
    console.log(`RTCP in, ${name}: ${Math.round(m.perIteration.compute)} compute per packet, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations}`);
  });

  it("a call in progress, per 20 ms: a packet in, the media clock's frame out and played, RTCP when due (Intercom, timer queue): 0 slots, 0 chunk bytes", async () => {
    const m = await measure({ entry: "test/xs/fixtures/media-call.ts", exportName: "callTick", iterations: ITERATIONS, warmup: 20 });
    expectZero(m);
    console.log(`call tick: ${Math.round(m.perIteration.compute)} compute per 20 ms, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations} (${(ITERATIONS * 20) / 1000} s of call)`);
  });

  it("a call without telephone-event, per 20 ms: the same, with in-band DTMF listened for at the microphone and in the call, keys taken and opening the door: 0 slots, 0 chunk bytes", async () => {
    const m = await measure({ entry: "test/xs/fixtures/media-call.ts", exportName: "callTick", args: [true], iterations: ITERATIONS, warmup: 20 });
    expectZero(m);
    console.log(`call tick with in-band DTMF: ${Math.round(m.perIteration.compute)} compute per 20 ms, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations} (${ITERATIONS / 6} keys)`);
  });

  it("a call without telephone-event, per 20 ms, listening for in-band DTMF in voice both ways (no key): 0 slots, 0 chunk bytes", async () => {
    const m = await measure({ entry: "test/xs/fixtures/media-call.ts", exportName: "callTick", args: [true, false], iterations: ITERATIONS, warmup: 20 });
    expectZero(m);
    console.log(`call tick listening for in-band DTMF: ${Math.round(m.perIteration.compute)} compute per 20 ms, ${m.slots} slots, ${m.chunkBytes} chunk bytes over ${m.iterations}`);
  });

  it("the measurement can fail: a string per packet is caught", async () => {
    const m = await measure({ entry, exportName: "receiveAndLog", iterations: ITERATIONS, warmup: 20 });
    expect(m.chunkBytes).toBeGreaterThan(0);
  });
});
