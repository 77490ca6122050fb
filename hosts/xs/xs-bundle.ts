/*
 * Code for the doorsip-xs worker, bundled by esbuild into one classic
 * script: an IIFE in ES2022, every import inlined, no platform built-ins
 * (the worker is not Node). The harness's measurements (harness.ts), the
 * XS intercom (xs-intercom.ts), the fuzz campaign (test/fuzz/xs.ts) and
 * the station budget and soak (bench/xs-budget.ts) all load their code
 * into XS this way.
 *
 * esbuild is imported when called, so that the doorsip commands that never
 * start XS do not load it.
 */

/** What to bundle: a module whose top level the worker runs, or a few lines of TypeScript importing modules by absolute path. */
export type XsSource =
  | { kind: "module"; path: string }
  | { kind: "stub"; contents: string; sourcefile: string };

/** `source` and what it imports as one classic script; imports resolve from `root` (the project). */
export async function bundleForXs(root: string, source: XsSource): Promise<string> {
  const { build } = await import("esbuild");
  const out = await build({
    ...(source.kind === "module"
      ? { entryPoints: [source.path], absWorkingDir: root }
      : { stdin: { contents: source.contents, resolveDir: root, sourcefile: source.sourcefile, loader: "ts" as const } }),
    bundle: true,
    format: "iife",
    target: "es2022",
    platform: "neutral",
    charset: "utf8",
    write: false,
    logLevel: "silent",
  });
  const file = out.outputFiles[0];
  if (file === undefined) throw new Error(`esbuild produced no output for ${source.kind === "module" ? source.path : source.sourcefile}`);
  return file.text;
}
