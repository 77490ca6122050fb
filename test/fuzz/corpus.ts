/*
 * The fuzz seeds on Node: the RFC 4475 and RFC 5118 torture messages (read
 * from the shared corpus beside the clone, where test/support/torture.ts
 * reads them; valid and invalid alike, RFC 5118's raw LF files too), the
 * realistic fixtures, and the messages captured from real peers in
 * test/fuzz/seeds/. Takes the project root, so that the bundled `doorsip
 * fuzz` (no __dirname there) finds them too.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

export interface Seed {
  name: string;
  bytes: Uint8Array;
}

/** The torture corpus for a project root: ../shared/sip-torture, as in test/support/torture.ts. */
export function tortureDir(root: string): string {
  return resolve(root, "..", "shared", "sip-torture");
}

function dir(path: string, label: string, ext: string): Seed[] {
  if (!existsSync(path)) return [];
  return readdirSync(path)
    .filter((f) => f.endsWith(ext))
    .sort()
    .map((f) => ({ name: `${label}/${f}`, bytes: new Uint8Array(readFileSync(join(path, f))) }));
}

/** Messages captured from kamailio, SIPp and baresip (test/fuzz/seeds/README.md). */
export function peerSeeds(root: string): Seed[] {
  return dir(join(root, "test", "fuzz", "seeds"), "seeds", ".sip");
}

/** Every seed; throws when the torture corpus is missing (the suite cannot mean much without it). */
export function fuzzSeeds(root: string): Seed[] {
  const torture = tortureDir(root);
  if (!existsSync(join(torture, "rfc4475"))) throw new Error(`the torture corpus is not at ${torture}`);
  const out: Seed[] = [];
  for (const d of ["rfc4475", "rfc5118", "rfc5118/wire"]) out.push(...dir(join(torture, d), d, ".dat"));
  out.push(...dir(join(root, "test", "fixtures", "sip"), "fixtures", ".sip"));
  out.push(...peerSeeds(root));
  return out;
}
