/*
 * The host functions of the doorsip-xs worker (hosts/xs/native/doorsip-xs.c
 * and doorsip-meter.c; see hosts/xs/README.md), typed once for the code that
 * runs inside the worker: xs-measure.ts, intercom-worker.ts and the in-XS
 * fixtures of test/xs/fixtures/, which import them by name.
 *
 * They are read from globalThis rather than declared global (a .d.ts), so
 * that send, print, exit and gc do not become globals in the types of the
 * Node code that is type-checked with this file. Outside the worker they are
 * undefined. Each meter returns a plain number, so calling one allocates
 * nothing; reading them here, once, when the bundle starts, keeps it so.
 */

interface WorkerGlobals {
  /** A line to stdout, flushed (stdout carries nothing else). */
  send(line: string): void;
  /** A line to stderr. */
  print(...values: unknown[]): void;
  exit(code: number): void;
  /** A full garbage collection. */
  gc(): void;
  /** Slots in use (only a GC lowers it). */
  meterHeapCount(): number;
  /** Chunk bytes in use, headers and padding included (only a GC lowers it). */
  meterChunksSize(): number;
  meterPeakHeapCount(): number;
  meterPeakChunksSize(): number;
  meterResetPeaks(): void;
  /** Collections so far (16 bits). */
  meterGCCount(): number;
  /** XS's computation meter (32 bits). */
  meterCompute(): number;
  meterResetCompute(): void;
  /** sizeof(txSlot), sizeof(txChunk). */
  meterSlotSize(): number;
  meterChunkHeaderSize(): number;
  /** The heap reserved: slots, chunk bytes. */
  meterHeapCapacity(): number;
  meterChunksCapacity(): number;
}

const worker = globalThis as unknown as WorkerGlobals;

export const send = worker.send;
export const print = worker.print;
export const exit = worker.exit;
export const gc = worker.gc;
export const meterHeapCount = worker.meterHeapCount;
export const meterChunksSize = worker.meterChunksSize;
export const meterPeakHeapCount = worker.meterPeakHeapCount;
export const meterPeakChunksSize = worker.meterPeakChunksSize;
export const meterResetPeaks = worker.meterResetPeaks;
export const meterGCCount = worker.meterGCCount;
export const meterCompute = worker.meterCompute;
export const meterResetCompute = worker.meterResetCompute;
export const meterSlotSize = worker.meterSlotSize;
export const meterChunkHeaderSize = worker.meterChunkHeaderSize;
export const meterHeapCapacity = worker.meterHeapCapacity;
export const meterChunksCapacity = worker.meterChunksCapacity;
