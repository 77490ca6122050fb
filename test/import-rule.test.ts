/*
 * The core in src/ is platform-free: it may import only other files in src/.
 * No Node built-in, no Moddable module (embedded:*, timer, pins/*, socket,
 * preference, mc/*, ...), no package, and nothing from hosts/.
 */
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative, resolve, dirname } from "node:path";

const root = resolve(__dirname, "..");
const src = join(root, "src");

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...tsFiles(p));
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

// import ... from "x", import "x", export ... from "x", import("x"), require("x")
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)["']([^"']+)["']/g;

/** Drop comments, so prose such as 'taken from "received"' is not read as an import. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

export function violations(file: string, text: string): string[] {
  const bad: string[] = [];
  for (const m of code(text).matchAll(SPECIFIER)) {
    const spec = m[1]!;
    if (!spec.startsWith(".")) {
      bad.push(`${relative(root, file)}: imports "${spec}", which is not in src/`);
      continue;
    }
    const target = resolve(dirname(file), spec);
    if (!target.startsWith(src + "/") && target !== src) {
      bad.push(`${relative(root, file)}: imports "${spec}", which is outside src/`);
    }
  }
  return bad;
}

describe("src/ import rule", () => {
  it("finds the core's files", () => {
    expect(tsFiles(src).length).toBeGreaterThan(0);
  });

  it("src/ imports nothing but src/", () => {
    const bad = tsFiles(src).flatMap((f) => violations(f, readFileSync(f, "utf8")));
    expect(bad).toEqual([]);
  });

  it("the rule catches Node, Moddable, package and hosts/ imports", () => {
    const f = join(src, "sip", "x.ts");
    expect(violations(f, `import dgram from "node:dgram";`)).toHaveLength(1);
    expect(violations(f, `import { readFileSync } from "fs";`)).toHaveLength(1);
    expect(violations(f, `import UDP from "embedded:io/socket/udp";`)).toHaveLength(1);
    expect(violations(f, `import Timer from "timer";`)).toHaveLength(1);
    expect(violations(f, `import config from "mc/config";`)).toHaveLength(1);
    expect(violations(f, `const m = await import("pins/digital");`)).toHaveLength(1);
    expect(violations(f, `import { x } from "../../hosts/node/udp";`)).toHaveLength(1);
    expect(violations(f, `export { y } from "../../hosts/xs/bridge";`)).toHaveLength(1);
    expect(violations(f, `import type { T } from "../host";`)).toHaveLength(0);
    expect(violations(f, `import { P } from "./message/parser";`)).toHaveLength(0);
    expect(violations(f, `/* the address, from "received" */\n// taken from "rport"\nconst x = 1;`)).toHaveLength(0);
    expect(violations(f, `/* comment */ import dgram from "node:dgram"; // trailing`)).toHaveLength(1);
  });
});
