/* Access to the shared RFC 4475 / RFC 5118 torture corpus (../shared/sip-torture beside the clone). */
import { readFileSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";

export const TORTURE = resolve(__dirname, "../../../shared/sip-torture");

export interface TortureCase {
  dir: string;
  file: string;
  section: string;
  valid: boolean;
  bytes: Uint8Array;
}

export type TortureDir = "rfc4475" | "rfc5118" | "rfc5118/wire";

/** file -> [section, "valid" | "invalid"] from the corpus's EXPECTED.tsv (the wire/ files share rfc5118's). */
export function verdicts(dir: TortureDir): Map<string, [string, string]> {
  const tsv = join(TORTURE, dir === "rfc5118/wire" ? "rfc5118" : dir, "EXPECTED.tsv");
  const verdict = new Map<string, [string, string]>();
  for (const line of readFileSync(tsv, "utf8").split("\n").slice(1)) {
    const c = line.split("\t");
    if (c[0]) verdict.set(c[0], [c[1]!, c[2]!]);
  }
  return verdict;
}

export function tortureCases(dir: TortureDir): TortureCase[] {
  const verdict = verdicts(dir);
  return readdirSync(join(TORTURE, dir))
    .filter((f) => f.endsWith(".dat"))
    .sort()
    .map((file) => {
      const v = verdict.get(file);
      if (!v) throw new Error(`${dir}/${file} has no verdict in EXPECTED.tsv`);
      return { dir, file, section: v[0], valid: v[1] === "valid", bytes: new Uint8Array(readFileSync(join(TORTURE, dir, file))) };
    });
}

export function torture(dir: TortureDir, file: string): Uint8Array {
  return new Uint8Array(readFileSync(join(TORTURE, dir, file)));
}
