/*
 * The real-XS measurement harness: measure what a function costs under the XS
 * engine itself (compute, slots, chunk bytes), in doorsip's own XS worker.
 * See hosts/xs/README.md.
 *
 *   const m = await measure({ entry: "test/xs/fixtures/objects.ts", exportName: "oneObject", iterations: 1000 });
 *   m.slots === 1000 && m.exact
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { ensureWorker, projectRoot } from "./build-worker.mjs";
import { bundleForXs } from "./xs-bundle";
import { RESULT_PREFIX, type RawResult, type RawSample } from "./xs-measure";

export interface MeasureOptions {
  /** A module (.ts or .js; absolute, or relative to the project root) exporting the setup function. */
  entry: string;
  /** The export to call; default "setup". It returns (or resolves to) the function to measure. */
  exportName?: string;
  /** Arguments for the setup function (JSON values). */
  args?: readonly JsonValue[];
  /** Measured calls (an integer >= 1). */
  iterations: number;
  /** Unmeasured calls before measuring, so lazily created things are made; default 10. */
  warmup?: number;
  /** Run a full garbage collection just before measuring (default true), so a short run does not collect. */
  collectFirst?: boolean;
  /** The worker's heap: slots (default 1 Mi) and chunk bytes (default 64 MiB) made at start-up. */
  heap?: { slots?: number; chunkBytes?: number };
  /** Kill the worker after this long (default 60 s). */
  timeoutMs?: number;
}

export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export interface Figures {
  /** XS meter ticks (about one per byte-code executed), net of the measuring loop's own cost. */
  compute: number;
  /** Slots allocated (32 bytes each on a 64-bit host, 16 on ESP32). */
  slots: number;
  /** Chunk bytes allocated (strings, array items, buffers, ...), chunk headers and padding included. */
  chunkBytes: number;
}

export interface Measurement extends Figures {
  iterations: number;
  /** Figures divided by iterations. */
  perIteration: Figures;
  /** Whether a garbage collection ran during the measured calls. */
  gcRan: boolean;
  /** How many ran. */
  gcCount: number;
  /**
   * True when slots and chunkBytes are exactly what was allocated (no
   * collection ran). When false they are lower bounds: at least this much
   * was allocated (the larger of the net change and the high-water mark).
   * compute is exact either way.
   */
  exact: boolean;
  note?: string;
  /** The same loop around an empty function: what measuring itself costs (slots and chunkBytes must be 0). */
  overhead: Figures & { gcRan: boolean };
  /** This build of XS: sizeof(txSlot), sizeof(txChunk), heap capacity at the end. */
  engine: RawResult["engine"];
}

const here = resolve(projectRoot, "hosts", "xs");

/** Bundle the entry module with the measuring code into one classic script for XS. */
export async function bundleMeasurement(options: MeasureOptions): Promise<string> {
  const entry = isAbsolute(options.entry) ? options.entry : resolve(projectRoot, options.entry);
  const exportName = options.exportName ?? "setup";
  const warmup = options.warmup ?? 10;
  const stub = [
    `import * as entry from ${JSON.stringify(entry)};`,
    `import { runMeasurement } from ${JSON.stringify(join(here, "xs-measure.ts"))};`,
    `runMeasurement((entry as Record<string, unknown>)[${JSON.stringify(exportName)}], ${JSON.stringify(exportName)}, ` +
      `${JSON.stringify(options.args ?? [])}, ${options.iterations}, ${warmup}, ${options.collectFirst ?? true});`,
  ].join("\n");
  return bundleForXs(projectRoot, { kind: "stub", contents: stub, sourcefile: "doorsip-measure-entry.ts" });
}

export interface WorkerRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run a classic script in a fresh doorsip-xs worker (built on first use) and collect its output. */
export async function runScript(
  script: string,
  options: { heap?: MeasureOptions["heap"]; timeoutMs?: number; stdin?: string } = {},
): Promise<WorkerRun> {
  const worker = await ensureWorker();
  const dir = await mkdtemp(join(tmpdir(), "doorsip-xs-"));
  const path = join(dir, "script.js");
  try {
    await writeFile(path, script);
    const args: string[] = [];
    if (options.heap?.slots !== undefined) args.push("--slots", String(options.heap.slots));
    if (options.heap?.chunkBytes !== undefined) args.push("--chunks", String(options.heap.chunkBytes));
    args.push(path);
    return await new Promise<WorkerRun>((resolvePromise, reject) => {
      const child = spawn(worker, args, { stdio: ["pipe", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      const timeoutMs = options.timeoutMs ?? 60_000;
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`doorsip-xs: no exit after ${timeoutMs} ms\n${stderr}`));
      }, timeoutMs);
      child.on("error", (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        resolvePromise({ code, signal, stdout, stderr });
      });
      child.stdin.on("error", () => {}); // the worker may exit without reading
      child.stdin.end(options.stdin ?? "");
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isSample(v: unknown): v is RawSample {
  return (
    isRecord(v) &&
    ["compute", "slots", "chunkBytes", "peakSlots", "peakChunkBytes", "gcs"].every((k) => typeof v[k] === "number")
  );
}

function parseResult(run: WorkerRun): RawResult {
  const line = run.stdout
    .split("\n")
    .reverse()
    .find((l) => l.startsWith(RESULT_PREFIX));
  if (run.code !== 0 || line === undefined) {
    throw new Error(
      `doorsip-xs failed (exit ${run.code ?? run.signal}):\n${run.stderr.trim() || "(no stderr)"}\n${run.stdout.trim()}`,
    );
  }
  const raw: unknown = JSON.parse(line.slice(RESULT_PREFIX.length));
  if (!isRecord(raw) || !isSample(raw.measured) || !isSample(raw.baseline) || !isRecord(raw.engine)) {
    throw new Error(`doorsip-xs: malformed result: ${line}`);
  }
  return raw as unknown as RawResult;
}

function perIteration(f: Figures, n: number): Figures {
  return { compute: f.compute / n, slots: f.slots / n, chunkBytes: f.chunkBytes / n };
}

/**
 * Measure, under the real XS engine, the function that `entry`'s export
 * returns: compute, slots and chunk bytes for `iterations` calls, and
 * whether a garbage collection ran meanwhile.
 */
export async function measure(options: MeasureOptions): Promise<Measurement> {
  if (!Number.isInteger(options.iterations) || options.iterations < 1) {
    throw new RangeError(`iterations must be an integer >= 1, not ${options.iterations}`);
  }
  if (options.warmup !== undefined && (!Number.isInteger(options.warmup) || options.warmup < 0)) {
    throw new RangeError(`warmup must be an integer >= 0, not ${options.warmup}`);
  }
  const script = await bundleMeasurement(options);
  const run = await runScript(script, { heap: options.heap, timeoutMs: options.timeoutMs });
  const raw = parseResult(run);
  const m = raw.measured;
  const b = raw.baseline;
  const gcRan = m.gcs > 0;
  // The measuring loop around an empty function allocates nothing (tested); if it ever
  // did, the figures would be suspect, so say so rather than subtract it silently.
  const overheadAllocated = b.slots !== 0 || b.chunkBytes !== 0 || b.gcs !== 0;
  const slots = gcRan ? Math.max(m.slots, m.peakSlots) : m.slots;
  const chunkBytes = gcRan ? Math.max(m.chunkBytes, m.peakChunkBytes) : m.chunkBytes;
  const figures: Figures = { compute: m.compute - b.compute, slots, chunkBytes };
  const result: Measurement = {
    ...figures,
    iterations: raw.iterations,
    perIteration: perIteration(figures, raw.iterations),
    gcRan,
    gcCount: m.gcs,
    exact: !gcRan && !overheadAllocated,
    overhead: { compute: b.compute, slots: b.slots, chunkBytes: b.chunkBytes, gcRan: b.gcs > 0 },
    engine: raw.engine,
  };
  const notes: string[] = [];
  if (gcRan) {
    notes.push(
      `${m.gcs} garbage collection(s) ran during the measured calls: slots and chunkBytes are lower bounds ` +
      `(the larger of the net change, ${m.slots} slots / ${m.chunkBytes} bytes, and the high-water mark, ` +
      `${m.peakSlots} slots / ${m.peakChunkBytes} bytes); compute is exact. Use fewer iterations or a bigger heap.`,
    );
  }
  if (overheadAllocated) {
    notes.push(
      `the measuring loop itself allocated ${b.slots} slots / ${b.chunkBytes} bytes around an empty function ` +
        `(${b.gcs} collections): the figures are not reliable.`,
    );
  }
  if (notes.length > 0) result.note = notes.join(" Also, ");
  return result;
}
