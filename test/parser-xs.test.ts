/*
 * Allocation-free parsing, measured under the real XS engine (issue: parser):
 * after warm-up, parsing each valid torture message and each realistic
 * message allocates 0 slots and 0 chunk bytes, with no garbage collection
 * during the measurement. Building a response into the writer's buffer
 * allocates 0 as well, and so does the error path.
 */
import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { measure } from "../hosts/xs/harness";
import { TORTURE, tortureCases } from "./support/torture";

const root = resolve(__dirname, "..");
const fixtures = join(root, "test/fixtures/sip");


const latin1 = (path: string): string => readFileSync(path).toString("latin1");

interface Case {
  name: string;
  path: string;
  valid: boolean;
}
const cases: Case[] = [];
for (const dir of ["rfc4475", "rfc5118/wire"] as const) {
  for (const c of tortureCases(dir)) cases.push({ name: `${dir}/${c.file}`, path: join(TORTURE, dir, c.file), valid: c.valid });
}
for (const f of readdirSync(fixtures).filter((f) => f.endsWith(".sip")).sort()) {
  cases.push({ name: `fixtures/${f}`, path: join(fixtures, f), valid: true });
}

const ITERATIONS = 50;

describe("parser allocation under XS", () => {
  const valid = cases.filter((c) => c.valid);
  it("has the corpus", () => {
    expect(valid.length).toBeGreaterThanOrEqual(13 + 15 + 11 + 4);
  });

  it.each(valid.map((c) => [c.name, c.path] as const))("parses %s with 0 slots and 0 chunk bytes", async (_name, path) => {
    const m = await measure({ entry: "test/xs/fixtures/parse.ts", exportName: "parseMessage", args: [latin1(path)], iterations: ITERATIONS, warmup: 3 });
    expect(m.gcRan).toBe(false);
    expect(m.exact).toBe(true);
    expect(m.slots).toBe(0);
    expect(m.chunkBytes).toBe(0);
    expect(m.compute).toBeGreaterThan(0);
  });

  it.each(cases.filter((c) => !c.valid).map((c) => [c.name, c.path] as const))("rejects %s with 0 slots and 0 chunk bytes", async (_name, path) => {
    const m = await measure({ entry: "test/xs/fixtures/parse.ts", exportName: "parseInvalid", args: [latin1(path)], iterations: ITERATIONS, warmup: 3 });
    expect(m.gcRan).toBe(false);
    expect(m.slots).toBe(0);
    expect(m.chunkBytes).toBe(0);
  });

  it("builds a 200 OK response with 0 slots and 0 chunk bytes", async () => {
    for (const f of ["invite-sdp.sip", "register.sip"]) {
      const m = await measure({ entry: "test/xs/fixtures/parse.ts", exportName: "buildResponse", args: [latin1(join(fixtures, f))], iterations: ITERATIONS, warmup: 3 });
      expect(m.gcRan).toBe(false);
      expect(m.slots).toBe(0);
      expect(m.chunkBytes).toBe(0);
    }
  });

  it("the measurement can fail: a parse that builds strings is caught", async () => {
    const m = await measure({ entry: "test/xs/fixtures/parse.ts", exportName: "parseMessage", args: [latin1(join(fixtures, "register.sip"))], iterations: ITERATIONS, warmup: 3 });
    expect(m.slots).toBe(0);
    const bad = await measure({ entry: "test/xs/fixtures/parse-strings.ts", exportName: "parseAndStringify", args: [latin1(join(fixtures, "register.sip"))], iterations: ITERATIONS, warmup: 3 });
    expect(bad.chunkBytes).toBeGreaterThan(0);
  });
});
