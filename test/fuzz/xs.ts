/*
 * Run a fuzz campaign inside the real XS engine: bundle the campaign
 * (test/xs/fixtures/fuzz.ts, which imports the same loop and properties as
 * the Node run) with the seeds into one script for the project's XS worker
 * (hosts/xs/harness.ts runScript, passed in: tests import the harness,
 * the bundled CLI loads it with bench/xs.ts's loadHarness so that its
 * build-worker.mjs finds the project), and read its result line.
 */
import { resolve } from "node:path";
import type { runScript as RunScript } from "../../hosts/xs/harness";
import { bundleForXs } from "../../hosts/xs/xs-bundle";
import type { CampaignResult } from "./campaign";
import { hex } from "./properties";

const RESULT_PREFIX = "doorsip-fuzz ";

export interface XsCampaignOptions {
  root: string;
  seeds: readonly Uint8Array[];
  runs: number;
  seed: number;
  guardEvery: number;
  maxFailures?: number;
  timeoutMs?: number;
  /** The harness's runScript. */
  runScript: typeof RunScript;
}

export async function runCampaignInXs(o: XsCampaignOptions): Promise<CampaignResult> {
  const entry = resolve(o.root, "test", "xs", "fixtures", "fuzz.ts");
  const args = [o.seeds.map(hex), o.runs, o.seed, o.guardEvery, o.maxFailures ?? 3];
  const stub = `import { fuzzInXs } from ${JSON.stringify(entry)};\nfuzzInXs(...(${JSON.stringify(args)} as [string[], number, number, number, number]));\n`;
  const script = await bundleForXs(o.root, { kind: "stub", contents: stub, sourcefile: "doorsip-fuzz-entry.ts" });
  // A big heap: the fuzzer itself allocates freely (copies, signatures, strings).
  const run = await o.runScript(script, { heap: { slots: 4 * 1024 * 1024, chunkBytes: 256 * 1024 * 1024 }, timeoutMs: o.timeoutMs ?? 120_000 });
  const line = run.stdout.split("\n").find((l) => l.startsWith(RESULT_PREFIX));
  if (run.code !== 0 || line === undefined) {
    throw new Error(`doorsip-xs fuzz run failed (exit ${run.code ?? run.signal}):\n${run.stderr.trim()}\n${run.stdout.trim().slice(0, 2000)}`);
  }
  return JSON.parse(line.slice(RESULT_PREFIX.length)) as CampaignResult;
}
