/*
 * Message corpora for the parser benchmark: the default one (the valid
 * RFC 4475 torture messages plus the realistic messages of bench/corpus/),
 * or the user's own directory of message files and pcap captures.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, extname, join, relative } from "node:path";
import { isPcap, isPcapng, readPcap } from "../hosts/node/pcap";

export interface CorpusMessage {
  /** File name (with #packet for a capture). */
  name: string;
  /** Where it comes from: "rfc4475", "bench/corpus", or the user's directory. */
  group: string;
  bytes: Uint8Array;
  /** The same message decoded as UTF-8 (for the libraries that take strings). */
  text: string;
}

const decoder = new TextDecoder("utf-8");

function message(name: string, group: string, bytes: Uint8Array): CorpusMessage {
  return { name, group, bytes, text: decoder.decode(bytes) };
}

/** The torture corpus: $DOORSIP_TORTURE, else shared/sip-torture beside the clone. */
export function tortureDir(root: string): string {
  return process.env.DOORSIP_TORTURE ?? join(root, "..", "shared", "sip-torture");
}

/** The RFC 4475 messages marked valid in EXPECTED.tsv (empty when the corpus is not there). */
export function validRfc4475(root: string): CorpusMessage[] {
  const dir = join(tortureDir(root), "rfc4475");
  const tsv = join(dir, "EXPECTED.tsv");
  if (!existsSync(tsv)) return [];
  const out: CorpusMessage[] = [];
  for (const line of readFileSync(tsv, "utf8").split("\n").slice(1)) {
    const [file, , validity] = line.split("\t");
    if (!file || validity !== "valid") continue;
    out.push(message(file, "rfc4475", new Uint8Array(readFileSync(join(dir, file)))));
  }
  return out;
}

/** The realistic messages of bench/corpus/*.sip. */
export function benchCorpus(root: string): CorpusMessage[] {
  const dir = join(root, "bench", "corpus");
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".sip"))
    .sort()
    .map((f) => message(f, "bench/corpus", new Uint8Array(readFileSync(join(dir, f)))));
}

const MESSAGE_EXTENSIONS = new Set([".sip", ".dat", ".txt", ".msg"]);
const CAPTURE_EXTENSIONS = new Set([".pcap", ".cap", ".dmp"]);

/**
 * The user's corpus: message files (.sip, .dat, .txt, .msg: one message each)
 * and classic pcap captures (every UDP datagram), found recursively. A file
 * given directly is read whatever its extension.
 */
export function loadCorpus(path: string): { messages: CorpusMessage[]; notes: string[] } {
  const messages: CorpusMessage[] = [];
  const notes: string[] = [];
  const files: string[] = [];
  const walk = (p: string, direct: boolean): void => {
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p).sort()) walk(join(p, e), false);
    } else if (direct || MESSAGE_EXTENSIONS.has(extname(p).toLowerCase()) || CAPTURE_EXTENSIONS.has(extname(p).toLowerCase())) {
      files.push(p);
    }
  };
  walk(path, true);
  const base = statSync(path).isDirectory() ? path : join(path, "..");
  for (const file of files) {
    const name = relative(base, file) || basename(file);
    const bytes = new Uint8Array(readFileSync(file));
    if (isPcapng(bytes)) {
      notes.push(`${name}: pcapng is not supported (convert with editcap -F pcap), skipped`);
    } else if (isPcap(bytes)) {
      const cap = readPcap(bytes);
      for (const d of cap.datagrams) {
        // Keep-alives (CRLF only) and truncated captures are not messages to time.
        if (d.truncated || d.payload.every((b) => b === 13 || b === 10)) continue;
        messages.push(message(`${name}#${d.packet}`, path, d.payload));
      }
    } else {
      messages.push(message(name, path, bytes));
    }
  }
  return { messages, notes };
}
