/*
 * The parser benchmark (`doorsip bench`): messages per second for doorsip's
 * parser and for three JavaScript SIP libraries (sip.js, JsSIP, sip), on the
 * same corpus in the same process.
 *
 * Every parse is followed by reading Call-ID, CSeq number and method, the
 * top Via branch and the From/To tags, each library through its own API;
 * what is read goes into a checksum that is kept, so no work is dropped.
 * doorsip parses the bytes (a Uint8Array, as a UDP socket delivers them);
 * the other libraries take strings, decoded before timing (decoding is not
 * counted against them). A library is timed only on the messages it parses.
 *
 * Timing: a warm-up, then rounds (DEFAULT_ROUNDS) in which each library in
 * turn parses its corpus over and over for its share of the time budget; the
 * best round counts (the least disturbed by GC and other processes).
 */
import { SipMessage } from "../src/sip/message/message";
import { SipParser } from "../src/sip/message/parser";
import { benchCorpus, loadCorpus, validRfc4475, type CorpusMessage } from "./corpus";
import { doorsipParseAndRead } from "./doorsip-work";
import { loadPeers, PEER_NAMES, type Peer, type PeerName } from "./peers";
import { measureXs, type XsFigures } from "./xs";

/**
 * Rounds per run by default. Short rounds, each library taking its turn in
 * every one, give every library many chances at an undisturbed slice on a
 * loaded machine; with few long ones a burst of other work can fall on all of
 * one library's slices and skew the ratios.
 */
export const DEFAULT_ROUNDS = 10;

/** At most this many messages, and this many parses in all, in the XS measurement. */
const XS_MAX_MESSAGES = 2000;
const XS_MAX_PARSES = 5000;

export type LibraryName = "doorsip" | PeerName;
export const LIBRARY_NAMES: readonly LibraryName[] = ["doorsip", ...PEER_NAMES];

export interface ParserBenchOptions {
  /** The project root (for bench/corpus and the torture corpus). */
  root: string;
  /** The user's corpus directories or files; default: RFC 4475 valid messages + bench/corpus. */
  corpus?: readonly string[];
  /** Seconds of timing per library (default 1). */
  seconds?: number;
  /** Rounds to split the time into (default 10). */
  rounds?: number;
  /** A few passes only: checks that everything runs, the figures mean nothing. */
  quick?: boolean;
  /** Measure under XS too (default true). */
  xs?: boolean;
  /** Progress lines (to stderr). */
  log?: (line: string) => void;
}

export interface ParserBenchResult {
  parser: {
    /** Messages in the corpus. */
    messages: number;
    msgsPerSec: Record<LibraryName, number>;
    /** doorsip msgs/s divided by the fastest peer's. */
    ratioToFastestPeer: number;
    xs: XsFigures | null;
    // ---- details (not part of the stable shape)
    xsNote?: string;
    fastestPeer: PeerName;
    /** doorsip msgs/s divided by each peer's. */
    ratio: Record<PeerName, number>;
    /** Messages each library parsed (and was timed on). */
    parsed: Record<LibraryName, number>;
    /** Messages each library rejected (name list). */
    rejected: Record<LibraryName, string[]>;
    /** Messages left out of the default corpus because some library rejects them. */
    excluded: { name: string; rejectedBy: LibraryName[] }[];
    corpus: string[];
    input: string;
    work: string;
    timing: { secondsPerLibrary: number; rounds: number; quick: boolean; passes: Record<LibraryName, number>; checksum: number };
    apis: Record<LibraryName, string>;
    node: string;
    notes: string[];
  };
}

interface Contender {
  name: LibraryName;
  api: string;
  /** One pass over the messages it parses; returns the checksum. */
  pass: () => number;
  count: number;
  best: number;
  passes: number;
}

/** Parse `m` with every library: which reject it (or throw)? */
function rejecters(m: CorpusMessage, parser: SipParser, msg: SipMessage, peers: readonly Peer[]): LibraryName[] {
  const out: LibraryName[] = [];
  if (doorsipParseAndRead(parser, msg, m.bytes) < 0) out.push("doorsip");
  for (const p of peers) {
    let r = -1;
    try {
      r = p.parseAndRead(m.text);
    } catch {
      r = -1;
    }
    if (r < 0) out.push(p.name);
  }
  return out;
}

function now(): bigint {
  return process.hrtime.bigint();
}

/** Keeps every checksum, so that no engine can drop the work. */
let sink = 0;

function makeDoorsipPass(messages: readonly Uint8Array[]): () => number {
  const parser = new SipParser();
  const msg = new SipMessage();
  const n = messages.length;
  return () => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += doorsipParseAndRead(parser, msg, messages[i]!);
    return sum;
  };
}

function makePeerPass(peer: Peer, texts: readonly string[]): () => number {
  const n = texts.length;
  return () => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += peer.parseAndRead(texts[i]!);
    return sum;
  };
}

/** Run passes for about `budgetNs` (at least minPasses, at most maxPasses); returns msgs/s. */
function timeIt(c: Contender, budgetNs: bigint, minPasses: number, maxPasses: number): number {
  let passes = 0;
  let sum = 0;
  const t0 = now();
  let elapsed = 0n;
  while (passes < maxPasses) {
    sum += c.pass();
    passes++;
    elapsed = now() - t0;
    if (passes >= minPasses && elapsed >= budgetNs) break;
  }
  sink = (sink + sum) | 0;
  c.passes += passes;
  const seconds = Number(elapsed) / 1e9;
  return seconds > 0 ? (passes * c.count) / seconds : 0;
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

export async function runParserBench(options: ParserBenchOptions): Promise<ParserBenchResult> {
  const log = options.log ?? (() => {});
  const quick = options.quick ?? false;
  const seconds = options.seconds ?? 1;
  const rounds = quick ? 1 : Math.max(1, options.rounds ?? DEFAULT_ROUNDS);
  const notes: string[] = [];
  const peers = await loadPeers();
  const parser = new SipParser();
  const msg = new SipMessage();

  // The corpus.
  let corpus: CorpusMessage[] = [];
  const excluded: { name: string; rejectedBy: LibraryName[] }[] = [];
  if (options.corpus && options.corpus.length > 0) {
    for (const dir of options.corpus) {
      const c = loadCorpus(dir);
      corpus.push(...c.messages);
      notes.push(...c.notes);
    }
  } else {
    const torture = validRfc4475(options.root);
    if (torture.length === 0) notes.push("RFC 4475 torture corpus not found (../shared/sip-torture or $DOORSIP_TORTURE): bench/corpus only");
    // The valid torture messages that all four libraries parse.
    for (const m of torture) {
      const r = rejecters(m, parser, msg, peers);
      if (r.length === 0) corpus.push(m);
      else excluded.push({ name: m.name, rejectedBy: r });
    }
    corpus.push(...benchCorpus(options.root));
  }
  if (corpus.length === 0) throw new Error("the corpus is empty");

  // Who parses what.
  const parsedBy = new Map<LibraryName, CorpusMessage[]>(LIBRARY_NAMES.map((n) => [n, []]));
  const rejected = Object.fromEntries(LIBRARY_NAMES.map((n) => [n, [] as string[]])) as Record<LibraryName, string[]>;
  for (const m of corpus) {
    const r = rejecters(m, parser, msg, peers);
    for (const n of LIBRARY_NAMES) {
      if (r.includes(n)) rejected[n].push(m.name);
      else parsedBy.get(n)!.push(m);
    }
  }

  const contenders: Contender[] = [
    {
      name: "doorsip",
      api: "new SipParser().parse(bytes, length, msg) (src/sip/message/parser.ts), fields read from spans",
      pass: makeDoorsipPass(parsedBy.get("doorsip")!.map((m) => m.bytes)),
      count: parsedBy.get("doorsip")!.length,
      best: 0,
      passes: 0,
    },
    ...peers.map(
      (p): Contender => ({
        name: p.name,
        api: p.api,
        pass: makePeerPass(p, parsedBy.get(p.name)!.map((m) => m.text)),
        count: parsedBy.get(p.name)!.length,
        best: 0,
        passes: 0,
      }),
    ),
  ];

  // Warm up: let every engine tier settle before timing.
  const warmNs = BigInt(Math.round((quick ? 0 : Math.min(0.3, seconds / 4)) * 1e9));
  for (const c of contenders) {
    if (c.count === 0) continue;
    log(`warming up ${c.name}`);
    timeIt(c, warmNs, quick ? 1 : 20, quick ? 1 : 1_000_000);
    c.passes = 0;
  }
  const budgetNs = BigInt(Math.round((seconds / rounds) * 1e9));
  for (let r = 0; r < rounds; r++) {
    for (const c of contenders) {
      if (c.count === 0) continue;
      log(`round ${r + 1}/${rounds}: ${c.name}`);
      const rate = timeIt(c, quick ? 0n : budgetNs, quick ? 2 : 3, quick ? 2 : 10_000_000);
      if (rate > c.best) c.best = rate;
    }
  }

  const rate = Object.fromEntries(contenders.map((c) => [c.name, Math.round(c.best)])) as Record<LibraryName, number>;
  let fastestPeer: PeerName = PEER_NAMES[0]!;
  for (const p of PEER_NAMES) if (rate[p] > rate[fastestPeer]) fastestPeer = p;
  const ratio = Object.fromEntries(PEER_NAMES.map((p) => [p, rate[p] > 0 ? round2(rate.doorsip / rate[p]) : 0])) as Record<PeerName, number>;

  // XS: compute, slots and bytes per message for doorsip's parser in the real engine.
  let xs: XsFigures | null = null;
  let xsNote: string | undefined;
  if (options.xs ?? true) {
    log("measuring under XS");
    // XS's compute meter is 32 bits: keep a run well below 2**32 ticks (a message costs ~10^4-10^5).
    let sample = parsedBy.get("doorsip")!.map((m) => m.bytes);
    if (sample.length > XS_MAX_MESSAGES) {
      const step = sample.length / XS_MAX_MESSAGES;
      sample = Array.from({ length: XS_MAX_MESSAGES }, (_, i) => sample[Math.floor(i * step)]!);
      notes.push(`XS figures from an even sample of ${XS_MAX_MESSAGES} of the ${parsedBy.get("doorsip")!.length} messages`);
    }
    const iterations = quick ? 1 : Math.max(1, Math.min(20, Math.floor(XS_MAX_PARSES / sample.length)));
    const r = await measureXs(options.root, sample, iterations);
    xs = r.figures;
    xsNote = r.note;
  } else {
    xsNote = "not measured (--no-xs)";
  }

  const result: ParserBenchResult = {
    parser: {
      messages: corpus.length,
      msgsPerSec: rate,
      ratioToFastestPeer: rate[fastestPeer] > 0 ? round2(rate.doorsip / rate[fastestPeer]) : 0,
      xs,
      fastestPeer,
      ratio,
      parsed: Object.fromEntries(contenders.map((c) => [c.name, c.count])) as Record<LibraryName, number>,
      rejected,
      excluded,
      corpus: corpus.map((m) => (m.group === "rfc4475" ? `rfc4475/${m.name}` : m.group === "bench/corpus" ? `bench/corpus/${m.name}` : m.name)),
      input: "doorsip parses bytes (Uint8Array); sip.js, JsSIP and sip parse strings decoded (UTF-8) before timing",
      work: "each parse is followed by reading Call-ID, CSeq number and method, top Via branch, From tag and To tag",
      timing: {
        secondsPerLibrary: quick ? 0 : seconds,
        rounds,
        quick,
        passes: Object.fromEntries(contenders.map((c) => [c.name, c.passes])) as Record<LibraryName, number>,
        // What every timed pass read, folded together: reported so that the work is observably used.
        checksum: sink,
      },
      apis: Object.fromEntries(contenders.map((c) => [c.name, c.api])) as Record<LibraryName, string>,
      node: process.version,
      notes,
    },
  };
  if (xsNote !== undefined) result.parser.xsNote = xsNote;
  return result;
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

/** The report as a table. */
export function formatParserBench(r: ParserBenchResult): string {
  const p = r.parser;
  const lines: string[] = [];
  const fromTorture = p.corpus.filter((c) => c.startsWith("rfc4475/")).length;
  const fromBench = p.corpus.filter((c) => c.startsWith("bench/corpus/")).length;
  lines.push(
    fromTorture + fromBench === p.messages
      ? `Parser benchmark: ${p.messages} messages (${fromTorture} valid RFC 4475 messages that all four libraries parse, ${fromBench} from bench/corpus), Node ${p.node}`
      : `Parser benchmark: ${p.messages} messages, Node ${p.node}`,
  );
  lines.push(`Input: ${p.input}.`);
  lines.push(`Work: ${p.work}.`);
  if (p.timing.quick) lines.push("QUICK RUN: a couple of passes only; the figures below mean nothing.");
  lines.push("");
  const rows: string[][] = [["library", "messages", "msgs/s", "doorsip ÷ this"]];
  for (const name of LIBRARY_NAMES) {
    const rate = p.msgsPerSec[name];
    rows.push([name, String(p.parsed[name]), fmt(rate), name === "doorsip" ? "1.00" : rate > 0 ? (p.msgsPerSec.doorsip / rate).toFixed(2) : "-"]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) lines.push(row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("   "));
  lines.push("");
  lines.push(`doorsip ÷ fastest peer (${p.fastestPeer}): ${p.ratioToFastestPeer.toFixed(2)}×`);
  if (p.xs) {
    lines.push(
      `XS engine, per message: compute ${fmt(p.xs.computePerMessage)} meter ticks, ${p.xs.slotsPerMessage} slots, ${p.xs.bytesPerMessage} chunk bytes` +
        (p.xsNote ? ` (${p.xsNote})` : ""),
    );
  } else {
    lines.push(`XS: ${p.xsNote ?? "not measured"}`);
  }
  for (const e of p.excluded) lines.push(`left out: ${e.name} (rejected by ${e.rejectedBy.join(", ")})`);
  for (const name of LIBRARY_NAMES) {
    if (p.rejected[name].length > 0) lines.push(`${name} rejected ${p.rejected[name].length}: ${p.rejected[name].join(", ")}`);
  }
  for (const n of p.notes) lines.push(`note: ${n}`);
  return lines.join("\n") + "\n";
}
