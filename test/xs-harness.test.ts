/*
 * The real-XS measurement harness (hosts/xs/harness.ts) measures what XS
 * actually allocates. These tests pin its figures to XS's allocation rules,
 * so a harness that miscounted (or an engine that changed) would fail them.
 *
 * XS's rules on a 64-bit host (xsAll.h, xsMemory.c):
 * - A slot (txSlot) is 32 bytes. An object is one slot for the instance plus
 *   one slot per own property; an array is the instance slot plus one slot
 *   holding the array (its items live in a chunk).
 * - A chunk is sizeof(txChunk) = 16 bytes of header plus the requested size
 *   rounded up to a multiple of sizeof(size_t) = 8 (fxAdjustChunkSize). The
 *   engine counts the whole thing in currentChunksSize (fxCheckChunk).
 * - A string is one chunk of its UTF-8 (CESU-8) bytes plus a NUL terminator;
 *   held in a local or closure variable it needs no slot of the heap.
 * - Array items are a chunk of `length` slots (32 bytes each).
 * On ESP32 (32-bit) a slot is 16 bytes and a chunk header 8: the counts of
 * slots are the same there, the chunk bytes differ.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ensureWorker } from "../hosts/xs/build-worker.mjs";
import { measure, runScript, type MeasureOptions } from "../hosts/xs/harness";

const entry = "test/xs/fixtures/allocations.ts";
const SLOT_SIZE = 32;
const CHUNK_HEADER = 16;
const ALIGN = 8;

/** The chunk bytes XS allocates for a request of `size` bytes. */
function chunk(size: number): number {
  return CHUNK_HEADER + Math.ceil(size / ALIGN) * ALIGN;
}

/** The chunk bytes of an ASCII string of `length` characters. */
function stringChunk(length: number): number {
  return chunk(length + 1);
}

function run(exportName: string, extra: Partial<MeasureOptions> = {}) {
  return measure({ entry, exportName, iterations: 1000, ...extra });
}

beforeAll(async () => {
  // The first use builds the worker (about 20 s on 2 cores); later runs reuse it.
  await ensureWorker({ log: () => {} });
}, 300_000);

describe("XS measurement harness", () => {
  it("runs on the 64-bit layout the expected figures assume", async () => {
    const m = await run("nothing", { iterations: 1 });
    expect(m.engine.slotSize).toBe(SLOT_SIZE);
    expect(m.engine.chunkHeaderSize).toBe(CHUNK_HEADER);
  });

  it("measures an empty function as 0 slots, 0 chunk bytes, 0 net compute", async () => {
    const m = await run("nothing");
    expect(m).toMatchObject({ slots: 0, chunkBytes: 0, compute: 0, gcRan: false, exact: true });
    expect(m.note).toBeUndefined();
    // Measuring itself (counter reads, the loop, the calls) allocates nothing ...
    expect(m.overhead).toMatchObject({ slots: 0, chunkBytes: 0, gcRan: false });
    // ... but does cost compute, which is subtracted.
    expect(m.overhead.compute).toBeGreaterThan(0);
  });

  it("counts one slot per empty object", async () => {
    const m = await run("oneObject");
    expect(m).toMatchObject({ slots: 1000, chunkBytes: 0, gcRan: false, exact: true, iterations: 1000 });
    expect(m.perIteration.slots).toBe(1);
    expect(m.compute).toBeGreaterThan(0);
  });

  it("counts the instance slot plus one slot per property", async () => {
    const m = await run("objectWithTwoProperties", { iterations: 500 });
    expect(m).toMatchObject({ slots: 500 * 3, chunkBytes: 0, exact: true });
  });

  it("counts an array literal as two slots plus a chunk of item slots", async () => {
    const m = await run("arrayOfThree", { iterations: 250 });
    // 16 + 3 * 32 = 112 bytes per array
    expect(m.perIteration).toMatchObject({ slots: 2, chunkBytes: chunk(3 * SLOT_SIZE) });
    expect(m).toMatchObject({ slots: 500, chunkBytes: 250 * 112, exact: true });
  });

  it.each([
    [7, 24], // 7 + 1 = 8 bytes: 16 + 8
    [8, 32], // 8 + 1 = 9 bytes, padded to 16: 16 + 16
    [10, 32], // 11 bytes, padded to 16
    [100, 120], // 101 bytes, padded to 104
  ])("counts a concatenation producing a %i-byte string as %i chunk bytes", async (length, bytes) => {
    expect(stringChunk(length)).toBe(bytes);
    const m = await run("concatenation", { args: [length] });
    expect(m).toMatchObject({ slots: 0, chunkBytes: 1000 * bytes, gcRan: false, exact: true });
    expect(m.perIteration.chunkBytes).toBe(bytes);
  });

  it("measures a loop over a Uint8Array as allocation-free", async () => {
    const m = await run("uint8Loop", { args: [256] });
    expect(m).toMatchObject({ slots: 0, chunkBytes: 0, gcRan: false, exact: true });
    expect(m.compute).toBeGreaterThan(256 * 1000);
  });

  it("reports compute exactly: deterministic and linear in the work done", async () => {
    const [a, b, c, again] = await Promise.all([
      run("uint8Loop", { args: [64], iterations: 100 }),
      run("uint8Loop", { args: [128], iterations: 100 }),
      run("uint8Loop", { args: [192], iterations: 100 }),
      run("uint8Loop", { args: [64], iterations: 100 }),
    ]);
    expect(again.compute).toBe(a.compute);
    expect(b.compute - a.compute).toBeGreaterThan(0);
    expect(c.compute - b.compute).toBe(b.compute - a.compute);
  });

  it("supports an async setup", async () => {
    const m = await run("asyncSetup", { iterations: 100 });
    expect(m).toMatchObject({ slots: 100, chunkBytes: 0, exact: true });
  });

  it("reports a collection during the run: gcRan true, exact false, with a note", async () => {
    const m = await run("explicitCollection", { iterations: 20 });
    expect(m).toMatchObject({ gcRan: true, gcCount: 20, exact: false });
    expect(m.note).toMatch(/garbage collection/);
  });

  it("reports an organic collection and gives lower bounds", async () => {
    // Each call makes a 200-byte string: chunk(201) = 224 bytes, 20000 calls = 4.48 MB,
    // far more than the 1 MiB of chunks this worker starts with.
    const perCall = stringChunk(200);
    const m = await run("churn", { args: [200], iterations: 20_000, heap: { chunkBytes: 1 << 20 } });
    expect(m).toMatchObject({ gcRan: true, exact: false });
    expect(m.gcCount).toBeGreaterThan(0);
    expect(m.note).toMatch(/lower bounds/);
    expect(m.chunkBytes).toBeGreaterThan(0);
    expect(m.chunkBytes).toBeLessThan(20_000 * perCall);
    // With a big heap (the default) the same run is exact.
    const big = await run("churn", { args: [200], iterations: 20_000 });
    expect(big).toMatchObject({ gcRan: false, exact: true, slots: 0, chunkBytes: 20_000 * perCall });
  });

  it("rejects bad options and missing exports", async () => {
    await expect(run("nothing", { iterations: 0 })).rejects.toThrow(RangeError);
    await expect(run("noSuchExport")).rejects.toThrow(/no function export "noSuchExport"/);
    await expect(run("lastResult")).rejects.toThrow(/did not return a function/);
  });
});

describe("doorsip-xs worker", () => {
  it("is built once and reused", async () => {
    const [a, b] = await Promise.all([ensureWorker({ log: () => {} }), ensureWorker({ log: () => {} })]);
    expect(a).toBe(b);
    expect(a).toMatch(/build\/xs\/[0-9a-f]{16}\/doorsip-xs$/);
  });

  it("feeds stdin lines to handleCommand; send() writes stdout, print() stderr", async () => {
    const script = `
      let count = 0;
      print("diagnostic");
      globalThis.handleCommand = (line) => { count++; send(JSON.stringify({ count, line })); };
    `;
    const r = await runScript(script, { stdin: "first\nsecond line\n" });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('{"count":1,"line":"first"}\n{"count":2,"line":"second line"}\n');
    expect(r.stderr).toBe("diagnostic\n");
  });

  it("exits 1 and reports an uncaught exception", async () => {
    const r = await runScript(`throw new Error("boom");`);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Error: boom/);
  });
});
