/*
 * The size of the core as the device runs it. Where $MODDABLE points at a
 * built Moddable SDK: a release build of the app for the Linux target
 * (`mcconfig -m -p lin -t build` into a temporary directory; `-t build`
 * because the default target of the lin makefile ends processes by name)
 * and the XS byte code mcconfig compiled for the core's modules (the .xsb
 * files of src/, which xsl links into the archive the device runs), plus
 * the whole archive's byte code for reference. Elsewhere: the minified
 * esbuild bundle of the core (src/app/intercom.ts and what it imports),
 * labelled as such.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export type CodeSizeKind = "xs-archive" | "esbuild-bundle";

export interface CodeSize {
  /** The core's size: XS byte code of src/ modules, or the minified bundle. */
  bytes: number;
  kind: CodeSizeKind;
  /** xs-archive: byte code of every module of the app (core, Moddable host, SDK modules). */
  appBytes?: number;
  /** xs-archive: the core's modules counted. */
  modules?: number;
  note?: string;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, output });
    });
    child.on("error", (e) => {
      clearTimeout(timer);
      done({ code: -1, output: String(e) });
    });
  });
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
}

function lastError(output: string): string {
  const lines = output.split("\n").filter((l) => /error/i.test(l));
  return (lines[lines.length - 1] ?? output.trim().split("\n").pop() ?? "").trim().slice(0, 300);
}

/** The minified esbuild bundle of the core. */
export async function bundleSize(root: string): Promise<CodeSize> {
  const esbuild = await import("esbuild");
  const r = await esbuild.build({
    entryPoints: [join(root, "src", "app", "intercom.ts")],
    bundle: true,
    minify: true,
    format: "esm",
    target: "es2022",
    platform: "neutral",
    write: false,
    logLevel: "silent",
  });
  const f = r.outputFiles[0];
  if (!f) throw new Error("esbuild produced no output");
  return { bytes: f.contents.length, kind: "esbuild-bundle" };
}

/** XS byte code of the mcconfig release build for lin. */
export async function xsArchiveSize(root: string, moddable: string, timeoutMs = 900_000): Promise<CodeSize> {
  const tools = join(moddable, "build", "bin", "lin", "release");
  if (!existsSync(join(tools, "mcconfig"))) throw new Error(`no mcconfig in ${tools}`);
  const out = mkdtempSync(join(tmpdir(), "doorsip-codesize-"));
  try {
    // mcconfig runs tsc from PATH for .ts modules: the project's TypeScript first.
    const env = { ...process.env, MODDABLE: moddable, PATH: `${join(root, "node_modules", ".bin")}:${tools}:${process.env.PATH ?? ""}` };
    const r = await run(join(tools, "mcconfig"), ["-m", "-p", "lin", "-t", "build", "-o", out], env, root, timeoutMs);
    const files: string[] = [];
    walk(out, files);
    const xsb = files.filter((f) => f.endsWith(".xsb"));
    if (xsb.length === 0) throw new Error("mcconfig produced no .xsb files");
    let core = 0;
    let modules = 0;
    let app = 0;
    for (const f of xsb) {
      const size = statSync(f).size;
      app += size;
      // The core's modules keep their paths under modules/: .../modules/src/...
      if (/[\\/]modules[\\/]src[\\/]/.test(f)) {
        core += size;
        modules++;
      }
    }
    if (modules === 0) throw new Error(`no byte code of src/ modules found in the build (mcconfig exit ${r.code}): ${r.output.slice(-1500)}`);
    const result: CodeSize = { bytes: core, kind: "xs-archive", appBytes: app, modules };
    // Every module is compiled (xsc) before the archive is linked (xsl): a failed link still leaves the byte code to count.
    if (r.code !== 0) result.note = `mcconfig exited ${r.code} after compiling (the link step failed: ${lastError(r.output)}); sizes of the compiled modules`;
    return result;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The xs archive where $MODDABLE is set, else the bundle; never throws (a failed build falls back, with a note). */
export async function codeSize(root: string, moddable = process.env.MODDABLE ?? ""): Promise<CodeSize> {
  if (moddable !== "") {
    try {
      return await xsArchiveSize(root, moddable);
    } catch (e) {
      const b = await bundleSize(root);
      b.note = `mcconfig build failed, bundle size instead: ${e instanceof Error ? e.message : String(e)}`;
      return b;
    }
  }
  const b = await bundleSize(root);
  b.note = "no Moddable SDK ($MODDABLE unset, or --bundle-size): the minified esbuild bundle of src/ (not XS byte code)";
  return b;
}
