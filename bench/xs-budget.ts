/*
 * The Node side of the whole-station measurements inside XS: bundle an
 * in-XS entry (test/xs/fixtures/perf-budget.ts, soak-cycles.ts) into one
 * classic script, run it in a fresh doorsip-xs worker (hosts/xs/harness.ts
 * runScript) and read its one result line.
 */
import { join } from "node:path";
import type { BreakdownResult } from "../test/xs/fixtures/perf-breakdown";
import type { BudgetOptions, BudgetResult } from "../test/xs/fixtures/perf-budget";
import type { SoakOptions, SoakResult } from "../test/xs/fixtures/soak-cycles";
import { bundleForXs } from "../hosts/xs/xs-bundle";
import { loadHarness } from "./xs";

type JsonArg = null | boolean | number | string | { readonly [key: string]: JsonArg | undefined };

/** The worker's heap for these runs: the measurement windows must not collect (their figures are exact only then). */
const HEAP = { slots: 1 << 21, chunkBytes: 256 * 1024 * 1024 };

function bundle(root: string, entry: string, call: string, arg: JsonArg): Promise<string> {
  const stub = `import { ${call} } from ${JSON.stringify(join(root, entry))};\n${call}(${JSON.stringify(arg)});\n`;
  return bundleForXs(root, { kind: "stub", contents: stub, sourcefile: "doorsip-budget-entry.ts" });
}

/** Run `call(arg)` of `entry` inside XS and return the JSON after `prefix` on its result line. */
export async function runInXs<T>(
  root: string, entry: string, call: string, arg: JsonArg, prefix: string, timeoutMs: number, heap: { slots: number; chunkBytes: number } = HEAP,
): Promise<T> {
  const harness = await loadHarness(root);
  const script = await bundle(root, entry, call, arg);
  const run = await harness.runScript(script, { heap, timeoutMs });
  const line = run.stdout.split("\n").find((l) => l.startsWith(prefix));
  if (run.code !== 0 || line === undefined) {
    throw new Error(`doorsip-xs ${entry} failed (exit ${run.code ?? run.signal}): ${run.stderr.trim().slice(-3000) || "(no stderr)"}`);
  }
  return JSON.parse(line.slice(prefix.length)) as T;
}

export const BUDGET_ENTRY = "test/xs/fixtures/perf-budget.ts";
export const SOAK_ENTRY = "test/xs/fixtures/soak-cycles.ts";

export function runBudgetInXs(root: string, options: BudgetOptions = {}, timeoutMs = 300_000): Promise<BudgetResult> {
  return runInXs<BudgetResult>(root, BUDGET_ENTRY, "runBudget", { ...options }, "doorsip-budget ", timeoutMs);
}

/**
 * The soak's heap: small enough that XS collects garbage every few dozen
 * cycles (the digest strings of each refresh are garbage), as on a device,
 * so the soak runs through many collections.
 */
export const SOAK_HEAP = { slots: 256 * 1024, chunkBytes: 32 * 1024 * 1024 };

export function runSoakInXs(root: string, options: SoakOptions, timeoutMs = 3_600_000): Promise<SoakResult> {
  return runInXs<SoakResult>(root, SOAK_ENTRY, "runSoak", { ...options }, "doorsip-soak ", timeoutMs, SOAK_HEAP);
}

export const BREAKDOWN_ENTRY = "test/xs/fixtures/perf-breakdown.ts";

/** Each part of the station built on its own inside XS, with what it keeps alive (test/xs/fixtures/perf-breakdown.ts). */
export function runBreakdownInXs(root: string, timeoutMs = 120_000): Promise<BreakdownResult> {
  return runInXs<BreakdownResult>(root, BREAKDOWN_ENTRY, "runBreakdown", {}, "doorsip-breakdown ", timeoutMs);
}
