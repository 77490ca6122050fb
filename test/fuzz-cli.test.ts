/* `doorsip fuzz`: the longer campaign's command line (a short run here, same seed, same result). */
import { describe, expect, it } from "vitest";
import { runDoorsip } from "./support/cli";

describe("doorsip fuzz", () => {
  it("runs a seeded campaign with the receive path and reports what it checked", async () => {
    const r = await runDoorsip(["fuzz", "--runs", "300", "--seed", "12345", "--receive", "--json"], 120_000);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { parser: { runs: number; seed: number; accepted: number; failures: unknown[] }; receive: { runs: number; probes: number; failures: unknown[] } };
    expect(out.parser).toMatchObject({ runs: 300, seed: 12345, failures: [] });
    expect(out.parser.accepted).toBeGreaterThan(0);
    expect(out.receive).toMatchObject({ runs: 300, failures: [] });
    expect(out.receive.probes).toBeGreaterThanOrEqual(300 / 20);
    // The same seed gives the same campaign.
    const again = await runDoorsip(["fuzz", "--runs", "300", "--seed", "12345", "--json"], 120_000);
    expect((JSON.parse(again.stdout) as typeof out).parser).toEqual(out.parser);
  });

  it("prints a summary, and refuses bad arguments with exit code 2", async () => {
    const r = await runDoorsip(["fuzz", "--runs", "100", "--seed", "7"], 60_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^parser, readers and SDP: 100 inputs in [\d.]+ s \(seed 7\): \d+ accepted, \d+ rejected, .*every property held$/m);
    const bad = await runDoorsip(["fuzz", "--runs", "zero"], 30_000);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--runs must be a positive integer");
  });
});
