#!/usr/bin/env node
/*
 * doorsip's command line. The commands are TypeScript (hosts/node/cli.ts and
 * what it imports from src/, hosts/node/ and bench/): they are bundled with
 * esbuild into build/node/cli.mjs on first use, and again whenever one of the
 * bundle's inputs (or this file) is newer than the bundle. npm packages stay
 * external and load from node_modules. The bundle is written to a temporary
 * file and renamed into place, so concurrent invocations never see half a
 * file.
 */
import { mkdirSync, readFileSync, renameSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const entry = join(root, "hosts", "node", "cli.ts");
const outDir = join(root, "build", "node");
const bundle = join(outDir, "cli.mjs");
const inputsFile = join(outDir, "cli.inputs.json");

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** Is the bundle missing, or older than this file or any of its inputs (listed at the last build)? */
function stale() {
  const built = mtime(bundle);
  if (built < 0 || mtime(fileURLToPath(import.meta.url)) > built) return true;
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(inputsFile, "utf8"));
  } catch {
    return true;
  }
  if (!Array.isArray(inputs) || inputs.length === 0) return true;
  for (const input of inputs) {
    const t = mtime(join(root, input));
    if (t < 0 || t > built) return true;
  }
  return false;
}

function writeAtomically(path, contents) {
  const tmp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, contents);
  renameSync(tmp, path);
}

async function build() {
  // The bundle is dated from when the build started: a source saved during the build makes it stale.
  const started = new Date(Math.floor(Date.now() / 1000) * 1000);
  const esbuild = await import("esbuild");
  const result = await esbuild.build({
    entryPoints: [entry],
    absWorkingDir: root,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    sourcemap: "inline",
    sourcesContent: false,
    metafile: true,
    write: false,
    outfile: bundle,
    logLevel: "error",
  });
  const out = result.outputFiles.find((f) => f.path === bundle) ?? result.outputFiles[0];
  if (!out) throw new Error("esbuild produced no output");
  mkdirSync(outDir, { recursive: true });
  // Inputs first, then the bundle: a bundle is never newer than an inputs list that does not match it.
  writeAtomically(inputsFile, JSON.stringify(Object.keys(result.metafile.inputs), null, 1));
  const tmp = `${bundle}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  writeFileSync(tmp, out.contents);
  utimesSync(tmp, started, started);
  renameSync(tmp, bundle);
}

if (stale()) await build();
process.setSourceMapsEnabled?.(true);
const { main } = await import(pathToFileURL(bundle).href);
process.exitCode = await main(process.argv.slice(2));
