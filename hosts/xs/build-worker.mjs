#!/usr/bin/env node
/*
 * Builds doorsip-xs, doorsip's own XS worker: hosts/xs/native/*.c compiled
 * with the XS engine sources and xsnap's platform glue that @agoric/xsnap
 * ships in node_modules. No network; needs `cc`.
 *
 * Output: build/xs/<hash>/doorsip-xs, where <hash> covers every input (the
 * C and header files, the flags, the compiler's version). An existing output
 * is reused as is. Safe when several processes call it at once: a mkdir lock
 * makes one of them build while the others wait, and the build goes to a
 * temporary directory that is renamed into place only when complete.
 *
 *   node hosts/xs/build-worker.mjs      # build if needed, print the path
 *
 * import { ensureWorker } from "./build-worker.mjs"; await ensureWorker()
 */
import { createHash } from "node:crypto";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);

const here = dirname(fileURLToPath(import.meta.url));
export const projectRoot = resolve(here, "..", "..");
const xsnapRoot = join(projectRoot, "node_modules", "@agoric", "xsnap");
const xsRoot = join(xsnapRoot, "moddable", "xs");
const dirs = {
  native: join(here, "native"),
  includes: join(xsRoot, "includes"),
  platforms: join(xsRoot, "platforms"),
  sources: join(xsRoot, "sources"),
  xsnap: join(xsnapRoot, "xsnap-native", "xsnap", "sources"),
};
export const buildRoot = join(projectRoot, "build", "xs");
export const workerName = "doorsip-xs";

const CC = process.env.CC || "cc";

/*
 * The flags of xsnap-worker.mk's release build, with two changes:
 * - mxInstrument on: it is what makes XS count garbage collections
 *   (the->garbageCollectionCount); it changes no allocation.
 * - mxDebug off: with mxInstrument, xsnapPlatform.c's debugger glue would
 *   talk over file descriptors 5 and 6. mxNoConsole off, so that XS's own
 *   reports (syntax errors, "memory full") reach stderr (doorsip-xs points
 *   file descriptor 1 at stderr).
 */
const DEFINES = [
  "-DINCLUDE_XSPLATFORM",
  '-DXSPLATFORM="xsnapPlatform.h"',
  '-DXSNAP_VERSION="doorsip"',
  "-DXSNAP_TEST_RECORD=0",
  "-DmxLockdown=1",
  "-DmxMetering=1",
  "-DmxInstrument=1",
  "-DmxBoundsCheck=1",
  "-DmxParse=1",
  "-DmxRun=1",
  "-DmxSloppy=1",
  "-DmxSnapshot=1",
  "-DmxRegExpUnicodePropertyEscapes=1",
  "-DmxStringNormalize=1",
  "-DmxMinusZero=1",
];
const CFLAGS = [
  "-O2",
  "-fno-common",
  "-D__has_builtin(x)=1", // as @agoric/xsnap's build.config.env
  "-w", // third-party sources: their warnings are not ours to fix
  ...DEFINES,
  `-I${dirs.native}`,
  `-I${dirs.includes}`,
  `-I${dirs.platforms}`,
  `-I${dirs.sources}`,
  `-I${dirs.xsnap}`,
];
const LIBS = ["-ldl", "-lm", "-lpthread"];

function listFiles(dir, test) {
  return readdirSync(dir)
    .filter(test)
    .sort()
    .map((name) => join(dir, name));
}

/** The C files to compile and every file whose change must trigger a rebuild. */
export function inputs() {
  const sources = [
    ...listFiles(dirs.sources, (n) => n.endsWith(".c")),
    join(dirs.xsnap, "xsnapPlatform.c"),
    ...listFiles(dirs.native, (n) => n.endsWith(".c")),
  ];
  const headers = [
    ...listFiles(dirs.includes, (n) => n.endsWith(".h")),
    ...listFiles(dirs.platforms, (n) => n.endsWith(".h")),
    ...listFiles(dirs.sources, (n) => n.endsWith(".h")),
    ...listFiles(dirs.xsnap, (n) => n.endsWith(".h")),
    ...listFiles(dirs.native, (n) => n.endsWith(".h")),
  ];
  return { sources, headers };
}

async function compilerVersion() {
  const { stdout } = await run(CC, ["--version"]);
  return stdout;
}

/** A hash of everything that goes into the worker. */
export async function inputHash() {
  const { sources, headers } = inputs();
  const h = createHash("sha256");
  h.update(JSON.stringify({ CC, CFLAGS, LIBS, cc: await compilerVersion() }));
  for (const file of [...sources, ...headers]) {
    h.update(file.slice(projectRoot.length));
    h.update("\0");
    h.update(readFileSync(file));
    h.update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

/** Run `tasks` (functions returning promises) with at most `limit` at a time. */
async function pool(tasks, limit) {
  let next = 0;
  async function lane() {
    while (next < tasks.length) {
      const task = tasks[next++];
      await task();
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, lane));
}

async function compileInto(dir, log) {
  const { sources } = inputs();
  const objects = sources.map((src, i) => join(dir, `${String(i).padStart(2, "0")}-${src.split("/").pop().replace(/\.c$/, ".o")}`));
  const jobs = Math.max(1, availableParallelism());
  log(`doorsip-xs: compiling ${sources.length} files with ${CC} -O2 (${jobs} at a time)`);
  await pool(
    sources.map((src, i) => async () => {
      try {
        await run(CC, [...CFLAGS, "-c", src, "-o", objects[i]], { maxBuffer: 16 * 1024 * 1024 });
      } catch (e) {
        throw new Error(`doorsip-xs: compiling ${src} failed:\n${e.stderr || e.message}`);
      }
    }),
    jobs,
  );
  const exe = join(dir, workerName);
  try {
    await run(CC, [...objects, ...LIBS, "-o", exe], { maxBuffer: 16 * 1024 * 1024 });
  } catch (e) {
    throw new Error(`doorsip-xs: linking failed:\n${e.stderr || e.message}`);
  }
  for (const o of objects) rmSync(o, { force: true });
  return exe;
}

/** Remove builds of other inputs and temporary directories left by crashed builds. */
function pruneOtherBuilds(keep) {
  for (const name of readdirSync(buildRoot)) {
    const path = join(buildRoot, name);
    try {
      if (/^[0-9a-f]{16}$/.test(name) && name !== keep) rmSync(path, { recursive: true, force: true });
      else if (name.startsWith("tmp-") && Date.now() - statSync(path).mtimeMs > LOCK_STALE_MS)
        rmSync(path, { recursive: true, force: true });
    } catch {
      // in use or gone: leave it
    }
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const LOCK_STALE_MS = 10 * 60 * 1000;

/**
 * Build the worker unless an up-to-date one exists; resolve to its path.
 * @param {{ log?: (line: string) => void }} [options]
 */
export async function ensureWorker(options = {}) {
  const log = options.log ?? ((line) => process.stderr.write(line + "\n"));
  const hash = await inputHash();
  const finalDir = join(buildRoot, hash);
  const exe = join(finalDir, workerName);
  if (existsSync(exe)) return exe;

  mkdirSync(buildRoot, { recursive: true });
  const lock = join(buildRoot, `${hash}.lock`);
  for (;;) {
    try {
      mkdirSync(lock);
      break; // we hold the lock
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
    }
    // Someone else is building: wait for the result, or for a stale lock.
    if (existsSync(exe)) return exe;
    try {
      if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
    } catch {
      // the lock went away meanwhile: try again
    }
    await sleep(250);
  }

  try {
    if (existsSync(exe)) return exe; // built while we waited for the lock
    const tmp = join(buildRoot, `tmp-${hash}-${process.pid}-${Date.now()}`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    try {
      await compileInto(tmp, log);
      writeFileSync(join(tmp, "inputs.json"), JSON.stringify({ hash, CC, CFLAGS, LIBS, ...inputs() }, null, 2));
      renameSync(tmp, finalDir); // atomic: the directory appears complete or not at all
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    log(`doorsip-xs: built ${exe}`);
    pruneOtherBuilds(hash);
    return exe;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  ensureWorker().then(
    (exe) => process.stdout.write(exe + "\n"),
    (e) => {
      process.stderr.write(String(e instanceof Error ? e.message : e) + "\n");
      process.exit(1);
    },
  );
}
