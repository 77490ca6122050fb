/*
 * The measuring side of the XS harness: this file runs INSIDE the XS worker
 * (doorsip-xs), bundled by hosts/xs/harness.ts together with the module under
 * measurement. It must not import anything from Node.
 *
 * The measured window is allocation-free by construction and by test:
 * counters are read by host functions that return plain numbers into local
 * (stack) variables, and the loop is a plain counted `for` calling the
 * function. Anything that allocates (the result object, JSON) happens after
 * the last counter is read.
 */

import {
  exit, gc, meterChunkHeaderSize, meterChunksCapacity, meterChunksSize, meterCompute, meterGCCount, meterHeapCapacity, meterHeapCount,
  meterPeakChunksSize, meterPeakHeapCount, meterResetCompute, meterResetPeaks, meterSlotSize, print, send,
} from "./worker-globals";

/** The line prefix of the result, so stray output cannot be mistaken for it. */
export const RESULT_PREFIX = "doorsip-measure ";

/** What one measured loop saw; every figure is an end-minus-start difference. */
export interface RawSample {
  /** XS meter ticks (about one per byte-code) for the whole loop. */
  compute: number;
  /** Change in slots in use. Exactly the slots allocated when gcs is 0. */
  slots: number;
  /** Change in chunk bytes in use. Exactly the chunk bytes allocated when gcs is 0. */
  chunkBytes: number;
  /** High-water mark of slots in use minus the start figure (>= 0). */
  peakSlots: number;
  /** High-water mark of chunk bytes in use minus the start figure (>= 0). */
  peakChunkBytes: number;
  /** Garbage collections that ran during the loop. */
  gcs: number;
}

export interface RawResult {
  iterations: number;
  warmup: number;
  /** The loop calling the measured function. */
  measured: RawSample;
  /** The same loop calling an empty function: the cost of measuring itself. */
  baseline: RawSample;
  engine: {
    slotSize: number;
    chunkHeaderSize: number;
    heapSlots: number;
    chunkCapacity: number;
  };
}

function loop(fn: () => unknown, n: number): void {
  for (let i = 0; i < n; i++) fn();
}

// The baseline: an empty arrow function, the usual shape of a measured
// closure (an arrow costs XS a few meter ticks more per call than a plain
// function, for its lexical `this`), so an empty arrow measures 0 net compute.
const empty = (): void => {};

const U32 = 4294967296;
const U16 = 65536;

function sample(fn: () => unknown, n: number, collectFirst: boolean): RawSample {
  if (collectFirst) gc();
  meterResetPeaks();
  meterResetCompute();
  const gc0 = meterGCCount();
  const slots0 = meterHeapCount();
  const chunks0 = meterChunksSize();
  const compute0 = meterCompute();
  loop(fn, n);
  const compute1 = meterCompute();
  const chunks1 = meterChunksSize();
  const slots1 = meterHeapCount();
  const gc1 = meterGCCount();
  const peakSlots = meterPeakHeapCount();
  const peakChunks = meterPeakChunksSize();
  // Measurement over: allocating from here on is fine.
  return {
    compute: (compute1 - compute0 + U32) % U32,
    slots: slots1 - slots0,
    chunkBytes: chunks1 - chunks0,
    peakSlots: peakSlots - slots0,
    peakChunkBytes: peakChunks - chunks0,
    gcs: (gc1 - gc0 + U16) % U16,
  };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === "object" || typeof value === "function") &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

function fail(error: unknown): void {
  print(`doorsip-measure: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
  exit(1);
}

/**
 * Call `setup(...args)` (it may return a promise), then measure the function
 * it returns: `warmup` unmeasured calls, a gc() (if `collectFirst`), then
 * `iterations` measured calls; the same for an empty function as baseline.
 * Sends one RESULT_PREFIX line with a RawResult.
 */
export function runMeasurement(
  setup: unknown,
  exportName: string,
  args: readonly unknown[],
  iterations: number,
  warmup: number,
  collectFirst: boolean,
): void {
  if (typeof setup !== "function") {
    fail(new TypeError(`the entry module has no function export "${exportName}"`));
    return;
  }
  const go = (fn: unknown): void => {
    if (typeof fn !== "function") {
      fail(new TypeError(`${exportName}() did not return a function to measure`));
      return;
    }
    const f = fn as () => unknown;
    loop(f, warmup);
    loop(empty, warmup);
    const baseline = sample(empty, iterations, collectFirst);
    const measured = sample(f, iterations, collectFirst);
    const result: RawResult = {
      iterations,
      warmup,
      measured,
      baseline,
      engine: {
        slotSize: meterSlotSize(),
        chunkHeaderSize: meterChunkHeaderSize(),
        heapSlots: meterHeapCapacity(),
        chunkCapacity: meterChunksCapacity(),
      },
    };
    send(RESULT_PREFIX + JSON.stringify(result));
  };
  let prepared: unknown;
  try {
    prepared = (setup as (...a: readonly unknown[]) => unknown)(...args);
  } catch (e) {
    fail(e);
    return;
  }
  if (isThenable(prepared)) prepared.then(go, fail).then(undefined, fail);
  else {
    try {
      go(prepared);
    } catch (e) {
      fail(e);
    }
  }
}
