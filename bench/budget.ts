/*
 * `doorsip bench`: the performance and memory budget (issue #9). The
 * parser benchmark (bench/parser.ts) plus, inside XS, the whole station on
 * the virtual host (test/xs/fixtures/perf-budget.ts): a call of each kind,
 * what stays after calls, a keepalive, a challenged refresh, the idle heap;
 * and the code size (bench/code-size.ts). Optionally the leak soak
 * (test/xs/fixtures/soak-cycles.ts). Every figure of the table is in the
 * JSON, and every target says whether it is met and, if not, by how much.
 */
import type { PartFigures } from "../test/xs/fixtures/perf-breakdown";
import type { BudgetOptions, BudgetResult, WindowFigures } from "../test/xs/fixtures/perf-budget";
import type { SoakResult } from "../test/xs/fixtures/soak-cycles";
import { type CodeSize, codeSize } from "./code-size";
import { formatParserBench, type ParserBenchOptions, type ParserBenchResult, runParserBench } from "./parser";
import { loadHarness } from "./xs";
import { runBreakdownInXs, runBudgetInXs, runSoakInXs } from "./xs-budget";

export interface BenchOptions extends ParserBenchOptions {
  /** Measure the code size (default true; an mcconfig build when $MODDABLE is set). */
  codeSize?: boolean;
  /** The Moddable SDK for the code size ("" : the esbuild bundle); default $MODDABLE. */
  moddable?: string;
  /** Run the leak soak with this many cycles (0: not run). */
  soakCycles?: number;
}

export interface CallXs {
  /** Per call, the mean of one inbound and one doorbell call; the core's share (host MD5 and peer metered apart). */
  computePerCall: number;
  slotsPerCall: number;
  bytesPerCall: number;
  /** Live after 1 inbound + 1 doorbell call and a GC, against the live heap after a GC before them. */
  slotsRetained: number;
  bytesRetained: number;
  inbound: WindowFigures;
  doorbell: WindowFigures;
  /** The same calls with the log at Warn: what a call costs apart from the log lines it writes. */
  inboundQuiet: WindowFigures;
  doorbellQuiet: WindowFigures;
  retainedAfterMany: { runs: string; slots: number; chunkBytes: number };
}

export interface RoundXs {
  compute: number;
  slots: number;
  bytes: number;
  datagramsOut: number;
  bytesOut: number;
  hostHash: WindowFigures["hostHashPerRun"];
}

export interface Target {
  name: string;
  target: string;
  actual: string;
  met: boolean;
  /** How far away, when not met. */
  gap?: string;
  /** Why it was not judged in this run (a --quick run times a couple of passes only): printed "n/a", `met` false. */
  notMeasured?: string;
}

/** One 20 ms frame of a call in progress inside XS (test/xs/fixtures/media-call.ts callTick). */
export interface FrameXs {
  compute: number;
  slots: number;
  bytes: number;
}

export interface BenchResult extends ParserBenchResult {
  call: { xs: CallXs | null };
  /**
   * A call's 20 ms media frame (an RTP packet in, the clock's frame out and
   * played): plain, and listening for in-band DTMF (voice both ways, no key).
   */
  frame?: { xs: { plain: FrameXs; inbandListening: FrameXs } | null };
  keepalive: { xs: RoundXs | null };
  refresh: { xs: RoundXs | null };
  idle: {
    xsHeapBytes: number | null; slots?: number; chunkBytes?: number; esp32EstimateBytes?: number;
    /** Each part of the station built on its own inside XS (test/xs/fixtures/perf-breakdown.ts). */
    breakdown?: PartFigures[];
  };
  codeSize: CodeSize | { bytes: null; kind: "none"; note: string };
  /** Why the XS budget figures are null, when they are. */
  budgetNote?: string;
  budgetChecks?: Record<string, number>;
  soak?: SoakResult & { seconds: number };
  targets: Target[];
}

const IDLE_TARGET_BYTES = 16 * 1024;
const PARSER_RATIO_TARGET = 5;

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

function round(w: WindowFigures): RoundXs {
  return {
    compute: w.perRun.compute,
    slots: w.perRun.slots,
    bytes: w.perRun.chunkBytes,
    datagramsOut: w.datagramsOut,
    bytesOut: w.bytesOut,
    hostHash: w.hostHashPerRun,
  };
}

function zeroTarget(name: string, what: string, slots: number, bytes: number): Target {
  const met = slots === 0 && bytes === 0;
  const t: Target = { name, target: what, actual: `${slots} slots, ${bytes} bytes`, met };
  if (!met) t.gap = `${slots} slots and ${bytes} chunk bytes too many`;
  return t;
}

export function targets(r: Omit<BenchResult, "targets">): Target[] {
  const out: Target[] = [];
  const p = r.parser;
  const ratio = p.ratioToFastestPeer;
  if (p.timing.quick) {
    out.push({ name: "parser throughput", target: `>= ${PARSER_RATIO_TARGET}x the fastest peer`, actual: `${ratio}x ${p.fastestPeer}`, met: false, notMeasured: "a --quick run times a couple of passes only" });
  } else {
    out.push({
      name: "parser throughput",
      target: `>= ${PARSER_RATIO_TARGET}x the fastest peer`,
      actual: `${ratio}x ${p.fastestPeer}`,
      met: ratio >= PARSER_RATIO_TARGET,
      ...(ratio < PARSER_RATIO_TARGET ? { gap: `${ratio > 0 ? round2(PARSER_RATIO_TARGET / ratio) : "?"}x faster still needed` } : {}),
    });
  }
  if (p.xs) out.push(zeroTarget("parser allocation", "0 slots, 0 bytes per message", p.xs.slotsPerMessage, p.xs.bytesPerMessage));
  // The datagram is copied by the host into a buffer it owns: "only the outgoing datagram" is 0 core allocation here.
  if (r.keepalive.xs) out.push(zeroTarget("keepalive round trip", "only the outgoing datagram (0 in the core)", r.keepalive.xs.slots, r.keepalive.xs.bytes));
  if (r.refresh.xs) out.push(zeroTarget("refresh with a digest challenge", "only the outgoing datagrams (0 in the core)", r.refresh.xs.slots, r.refresh.xs.bytes));
  if (r.call.xs) {
    out.push(zeroTarget("retained after a call", "0 slots, 0 bytes", r.call.xs.slotsRetained, r.call.xs.bytesRetained));
    const many = r.call.xs.retainedAfterMany;
    out.push(zeroTarget("retained after many calls", "0 slots, 0 bytes", many.slots, many.chunkBytes));
  }
  if (r.idle.xsHeapBytes !== null) {
    const b = r.idle.xsHeapBytes;
    out.push({
      name: "idle heap",
      target: `< ${IDLE_TARGET_BYTES} bytes`,
      actual: `${b} bytes (ESP32 estimate ${r.idle.esp32EstimateBytes})`,
      met: b < IDLE_TARGET_BYTES,
      ...(b >= IDLE_TARGET_BYTES ? { gap: `${b - IDLE_TARGET_BYTES + 1} bytes too many (${round2(b / IDLE_TARGET_BYTES)}x the target)` } : {}),
    });
  }
  if (r.soak) out.push(zeroTarget(`retained after the ${r.soak.cycles}-cycle soak`, "0 slots, 0 bytes", r.soak.retained.slots, r.soak.retained.chunkBytes));
  return out;
}

export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const log = options.log ?? (() => {});
  const parser = await runParserBench(options);
  const base: Omit<BenchResult, "targets"> = {
    ...parser,
    call: { xs: null },
    keepalive: { xs: null },
    refresh: { xs: null },
    idle: { xsHeapBytes: null },
    codeSize: { bytes: null, kind: "none", note: "not measured" },
  };
  if (options.xs ?? true) {
    log("measuring the station under XS");
    const bo: BudgetOptions = options.quick ? { runs: 1, warmup: 1, manyCalls: 2 } : {};
    try {
      const b: BudgetResult = await runBudgetInXs(options.root, bo);
      const inb = b.call.inbound;
      const door = b.call.doorbell;
      base.call.xs = {
        computePerCall: round2((inb.perRun.compute + door.perRun.compute) / 2),
        slotsPerCall: round2((inb.perRun.slots + door.perRun.slots) / 2),
        bytesPerCall: round2((inb.perRun.chunkBytes + door.perRun.chunkBytes) / 2),
        slotsRetained: b.call.retainedOne.slots,
        bytesRetained: b.call.retainedOne.chunkBytes,
        inbound: inb,
        doorbell: door,
        inboundQuiet: b.call.inboundQuiet,
        doorbellQuiet: b.call.doorbellQuiet,
        retainedAfterMany: b.call.retainedMany,
      };
      base.keepalive.xs = round(b.keepalive);
      base.refresh.xs = round(b.refresh);
      base.idle = { xsHeapBytes: b.idle.bytes, slots: b.idle.slots, chunkBytes: b.idle.chunkBytes, esp32EstimateBytes: b.idle.esp32Bytes };
      base.budgetChecks = b.checks;
      base.idle.breakdown = (await runBreakdownInXs(options.root)).parts;
      base.frame = { xs: await measureFrames(options.root, options.quick === true ? 100 : 500) };
      const gcs = inb.gcs + door.gcs + b.keepalive.gcs + b.refresh.gcs;
      if (gcs > 0) base.budgetNote = `${gcs} garbage collection(s) ran in the windows: slots and bytes are not exact`;
    } catch (e) {
      base.budgetNote = `XS station measurement failed: ${e instanceof Error ? e.message : String(e)}`;
    }
  } else {
    base.budgetNote = "not measured (--no-xs)";
  }
  if (options.codeSize ?? true) {
    const moddable = options.moddable ?? process.env.MODDABLE ?? "";
    log(moddable !== "" ? "building with mcconfig for the code size" : "bundling for the code size");
    try {
      base.codeSize = await codeSize(options.root, moddable);
    } catch (e) {
      base.codeSize = { bytes: null, kind: "none", note: `failed: ${e instanceof Error ? e.message : String(e)}` };
    }
  }
  const cycles = options.soakCycles ?? 0;
  if (cycles > 0) {
    log(`soak: ${cycles} cycles under XS`);
    const t0 = Date.now();
    const s = await runSoakInXs(options.root, { cycles });
    base.soak = { ...s, seconds: Math.round((Date.now() - t0) / 100) / 10 };
  }
  return { ...base, targets: targets(base) };
}

/** A call's 20 ms frame inside XS, plain and listening for in-band DTMF (the fixture test/media-xs.test.ts measures). */
async function measureFrames(root: string, iterations: number): Promise<{ plain: FrameXs; inbandListening: FrameXs }> {
  const harness = await loadHarness(root);
  const one = async (args: boolean[]): Promise<FrameXs> => {
    const m = await harness.measure({ entry: "test/xs/fixtures/media-call.ts", exportName: "callTick", args, iterations, warmup: 20 });
    return { compute: round2(m.perIteration.compute), slots: round2(m.perIteration.slots), bytes: round2(m.perIteration.chunkBytes) };
  };
  return { plain: await one([false]), inbandListening: await one([true, false]) };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("   ").trimEnd());
}

/** The whole report as text: the parser table, then the budget. */
export function formatBench(r: BenchResult): string {
  const lines: string[] = [formatParserBench(r).trimEnd(), ""];
  lines.push("Inside XS (the core's share; the host's script MD5 and the scripted peer are metered apart):");
  const rows: string[][] = [["operation", "compute", "slots", "chunk bytes", "datagrams out"]];
  const p = r.parser;
  if (p.xs) rows.push(["parse a message", fmt(p.xs.computePerMessage), String(p.xs.slotsPerMessage), String(p.xs.bytesPerMessage), "-"]);
  const c = r.call.xs;
  if (c) {
    rows.push(["inbound call (INVITE, 100/180/200, ACK, BYE, 200)", fmt(c.inbound.perRun.compute), String(c.inbound.perRun.slots), String(c.inbound.perRun.chunkBytes), String(c.inbound.datagramsOut)]);
    rows.push(["doorbell call (INVITE, 407, INVITE, 180, 200, ACK, BYE)", fmt(c.doorbell.perRun.compute), String(c.doorbell.perRun.slots), String(c.doorbell.perRun.chunkBytes), String(c.doorbell.datagramsOut)]);
    rows.push(["per call (mean of the two)", fmt(c.computePerCall), String(c.slotsPerCall), String(c.bytesPerCall), "-"]);
    rows.push(["inbound call, log at Warn", fmt(c.inboundQuiet.perRun.compute), String(c.inboundQuiet.perRun.slots), String(c.inboundQuiet.perRun.chunkBytes), String(c.inboundQuiet.datagramsOut)]);
    rows.push(["doorbell call, log at Warn", fmt(c.doorbellQuiet.perRun.compute), String(c.doorbellQuiet.perRun.slots), String(c.doorbellQuiet.perRun.chunkBytes), String(c.doorbellQuiet.datagramsOut)]);
    rows.push(["retained after 1 + 1 calls and a GC", "-", String(c.slotsRetained), String(c.bytesRetained), "-"]);
    rows.push([`retained after ${c.retainedAfterMany.runs} and a GC`, "-", String(c.retainedAfterMany.slots), String(c.retainedAfterMany.chunkBytes), "-"]);
  }
  const fr = r.frame?.xs;
  if (fr) {
    rows.push(["a call's 20 ms frame (RTP in, the frame sent and played)", fmt(fr.plain.compute), String(fr.plain.slots), String(fr.plain.bytes), "1"]);
    rows.push(["the same, listening for in-band DTMF (no telephone-event)", fmt(fr.inbandListening.compute), String(fr.inbandListening.slots), String(fr.inbandListening.bytes), "1"]);
  }
  const k = r.keepalive.xs;
  if (k) rows.push(["OPTIONS keepalive round trip", fmt(k.compute), String(k.slots), String(k.bytes), String(k.datagramsOut)]);
  const f = r.refresh.xs;
  if (f) rows.push(["refresh with a challenge (REGISTER, 401, REGISTER, 200)", fmt(f.compute), String(f.slots), String(f.bytes), String(f.datagramsOut)]);
  if (rows.length > 1) lines.push(...table(rows).map((l) => "  " + l));
  if (c) {
    const h = c.doorbell.hostHashPerRun;
    lines.push(`  host MD5 in script (not the core's; native on the device): ${h.calls} digests per doorbell call, ${h.slots} slots, ${h.chunkBytes} bytes, ${fmt(h.compute)} compute`);
  }
  if (f) lines.push(`  host MD5 per refresh: ${f.hostHash.calls} digests, ${f.hostHash.slots} slots, ${f.hostHash.chunkBytes} bytes`);
  if (r.idle.xsHeapBytes !== null) {
    lines.push(`  idle, registered: ${fmt(r.idle.xsHeapBytes)} bytes of XS heap (${fmt(r.idle.slots ?? 0)} slots of 32 B + ${fmt(r.idle.chunkBytes ?? 0)} chunk bytes; ESP32 estimate with 16-byte slots: ${fmt(r.idle.esp32EstimateBytes ?? 0)} bytes)`);
  }
  const parts = r.idle.breakdown;
  if (parts !== undefined) {
    lines.push("  where the idle heap goes (each part built on its own; parts nest, so rows do not add up):");
    const prow: string[][] = [["part", "slots", "chunk bytes", "XS bytes", "ESP32 bytes"]];
    for (const q of parts) prow.push([q.name, fmt(q.slots), fmt(q.chunkBytes), fmt(q.bytes), fmt(q.esp32Bytes)]);
    lines.push(...table(prow).map((l) => "    " + l));
  }
  if (r.budgetNote) lines.push(`  note: ${r.budgetNote}`);
  const cs = r.codeSize;
  lines.push("");
  if (cs.bytes !== null) {
    lines.push(
      cs.kind === "xs-archive"
        ? `Code size: ${fmt(cs.bytes)} bytes of XS byte code for the core (${cs.modules} modules of src/, mcconfig -m -p lin); the whole app ${fmt(cs.appBytes ?? 0)} bytes`
        : `Code size: ${fmt(cs.bytes)} bytes, the minified esbuild bundle of the core (not XS byte code)`,
    );
  }
  if (cs.note) lines.push(`  note: ${cs.note}`);
  if (r.soak) {
    const s = r.soak;
    lines.push("");
    lines.push(
      `Soak: ${s.cycles} cycles (+${s.warmup} warm-up) of refresh with challenge, call with the door code, hang-up; ${s.virtualSeconds} virtual seconds in ${s.seconds} s; ` +
        `retained ${s.retained.slots} slots, ${s.retained.chunkBytes} bytes; tables ${s.tables.clientTransactions}/${s.tables.serverTransactions} transactions, ${s.tables.activeCalls} calls; ${s.gcs} GCs`,
    );
  }
  lines.push("");
  lines.push("Targets:");
  for (const t of r.targets) {
    if (t.notMeasured !== undefined) lines.push(`  n/a      ${t.name}: not judged (${t.notMeasured}; target ${t.target})`);
    else lines.push(`  ${t.met ? "met    " : "NOT MET"}  ${t.name}: ${t.actual} (target ${t.target})${t.gap ? `: ${t.gap}` : ""}`);
  }
  return lines.join("\n") + "\n";
}
