/*
 * The "xs" figures of the parser benchmark, from the real-XS measurement
 * harness (hosts/xs/harness.ts, written alongside): compute, slots and chunk
 * bytes per message when XS parses the corpus.
 *
 * The harness is loaded at run time (bundled on the fly with esbuild, its
 * build-worker.mjs left external so that it finds the project from its own
 * location): when it is missing or broken the benchmark still runs, and
 * reports xs as null with the reason.
 */
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";

type Harness = typeof import("../hosts/xs/harness");

export interface XsFigures {
  computePerMessage: number;
  slotsPerMessage: number;
  bytesPerMessage: number;
}

export interface XsResult {
  figures: XsFigures | null;
  /** Why figures is null, or a caveat (a garbage collection ran, so slots/bytes are lower bounds). */
  note?: string;
  /** Passes over the corpus measured. */
  iterations?: number;
  exact?: boolean;
}

export async function loadHarness(root: string): Promise<Harness> {
  const source = join(root, "hosts", "xs", "harness.ts");
  if (!existsSync(source)) throw new Error("hosts/xs/harness.ts not found");
  const esbuild = await import("esbuild");
  const outDir = join(root, "build", "node");
  mkdirSync(outDir, { recursive: true });
  const out = join(outDir, "xs-harness.mjs");
  const result = await esbuild.build({
    entryPoints: [source],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    write: false,
    logLevel: "silent",
    plugins: [
      {
        name: "keep-build-worker-external",
        setup(b) {
          // build-worker.mjs locates the project from its own URL: import it where it is.
          b.onResolve({ filter: /build-worker\.mjs$/ }, (args) => ({
            path: relative(outDir, join(args.resolveDir, args.path)).split("\\").join("/").replace(/^(?!\.)/, "./"),
            external: true,
          }));
        },
      },
    ],
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error("esbuild produced no output for the harness");
  const tmp = `${out}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, file.contents);
  renameSync(tmp, out);
  const mod = (await import(`${pathToFileURL(out).href}?t=${Date.now()}`)) as Partial<Harness>;
  if (typeof mod.measure !== "function") throw new Error("hosts/xs/harness.ts does not export measure()");
  return mod as Harness;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** Measure parsing `messages` (each once per iteration) under XS. Never throws: failures become a note. */
export async function measureXs(root: string, messages: readonly Uint8Array[], iterations: number): Promise<XsResult> {
  if (messages.length === 0) return { figures: null, note: "no messages to measure" };
  let harness: Harness;
  try {
    harness = await loadHarness(root);
  } catch (e) {
    return { figures: null, note: `xs harness unavailable: ${e instanceof Error ? e.message : String(e)}` };
  }
  try {
    const m = await harness.measure({
      entry: join(root, "bench", "xs-parse.ts"),
      exportName: "setup",
      args: [messages.map(hex)],
      iterations,
      warmup: 2,
      timeoutMs: 120_000,
    });
    const n = messages.length;
    const r: XsResult = {
      figures: {
        computePerMessage: round(m.perIteration.compute / n),
        slotsPerMessage: round(m.perIteration.slots / n),
        bytesPerMessage: round(m.perIteration.chunkBytes / n),
      },
      iterations: m.iterations,
      exact: m.exact,
    };
    if (m.note !== undefined) r.note = m.note;
    return r;
  } catch (e) {
    return { figures: null, note: `xs measurement failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
