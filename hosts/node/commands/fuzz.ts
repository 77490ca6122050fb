/* `doorsip fuzz`: the fuzz suite's mutation campaign, longer than CI runs it (test/fuzz/). */
import { loadHarness } from "../../../bench/xs";
import { NodeHash } from "../hash";
import { formatFailure, runCampaign, type CampaignResult } from "../../../test/fuzz/campaign";
import { fuzzSeeds } from "../../../test/fuzz/corpus";
import { receiveSeeds, runReceive } from "../../../test/fuzz/receive";
import { runCampaignInXs } from "../../../test/fuzz/xs";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type Command } from "./command";
import { commandOptions } from "./options";

const USAGE = `usage: doorsip fuzz [--runs N] [--seed S] [--xs] [--receive] [--json]

Mutates the RFC 4475 / RFC 5118 torture messages, the fixtures and the
messages captured from kamailio, SIPp and baresip (test/fuzz/seeds/), and
checks the parser with every structured reader, the SDP reader and our SDP
answer, and the writer: no exception, no read outside the input (guard bytes
around it, a read-counting Proxy), bounded work per byte, and every accepted
message parses again to the same fields once serialized.

  --runs N     inputs to try (default 100000; 5000 with --xs)
  --seed S     campaign seed (default: from the clock, printed); a failure
               prints the seed and run that replay it
  --xs         run the campaign inside the XS engine (the project's worker)
  --receive    also fuzz the intercom's receive path (Intercom.receiver on a
               virtual clock: nothing throws, OPTIONS still answered, still
               registered); inputs cut to 1200 bytes
  --json       print the results as JSON

Exit code 1 when a property fails; each failure is shown with its minimal
input as escaped text and hex.
`;

function summary(label: string, r: CampaignResult, ms: number): string {
  return (
    `${label}: ${r.runs} inputs in ${(ms / 1000).toFixed(1)} s (seed ${r.seed}): ${r.accepted} accepted, ${r.rejected} rejected, ` +
    `${r.sdpRuns} SDP bodies, ${r.guarded} through the guarded view (at most ${r.maxReadsPerByte} reads per byte); ` +
    `${r.failures.length === 0 ? "every property held" : `${r.failures.length} failure(s)`}\n`
  );
}

export const fuzzCommand: Command = {
  summary: "fuzz the parser, readers, SDP and receive path (longer than CI)",
  usage: USAGE,
  async run(args, io) {
    const values = commandOptions("fuzz", USAGE, args, io, {
      runs: { type: "string" },
      seed: { type: "string" },
      xs: { type: "boolean", default: false },
      receive: { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    });
    if (typeof values === "number") return values;
    const runs = values.runs === undefined ? (values.xs ? 5000 : 100_000) : Number(values.runs);
    const seed = values.seed === undefined ? Date.now() % 4294967296 : Number(values.seed);
    if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed) || seed < 0 || seed > 4294967295) {
      io.err("doorsip fuzz: --runs must be a positive integer and --seed an integer in [0, 2^32)\n");
      return EXIT_USAGE;
    }
    let seeds: Uint8Array[];
    try {
      seeds = fuzzSeeds(io.root).map((s) => s.bytes);
    } catch (e) {
      io.err(`doorsip fuzz: ${e instanceof Error ? e.message : String(e)}\n`);
      return EXIT_FAILED;
    }
    const progress = !values.json && process.stderr.isTTY === true;
    let t = Date.now();
    let result: CampaignResult;
    try {
      result = values.xs
        ? await runCampaignInXs({ root: io.root, seeds, runs, seed, guardEvery: 8, maxFailures: 5, timeoutMs: Math.max(120_000, runs * 100), runScript: (await loadHarness(io.root)).runScript })
        : runCampaign({ seeds, runs, seed, guardEvery: 8, maxFailures: 5, progressEvery: 5000, progress: progress ? (n) => io.err(`\r\x1b[K  ${n} / ${runs}`) : undefined });
    } catch (e) {
      io.err(`doorsip fuzz: ${e instanceof Error ? e.message : String(e)}\n`);
      return EXIT_FAILED;
    }
    if (progress) io.err("\r\x1b[K");
    const parserMs = Date.now() - t;
    let receive: ReturnType<typeof runReceive> | null = null;
    let receiveMs = 0;
    if (values.receive) {
      t = Date.now();
      receive = runReceive({ seeds: [...receiveSeeds(), ...seeds], runs, seed, hash: new NodeHash(), maxLength: 1200 });
      receiveMs = Date.now() - t;
    }
    if (values.json) io.out(`${JSON.stringify({ parser: result, receive }, null, 2)}\n`);
    else {
      io.out(summary(values.xs ? "parser, readers and SDP inside XS" : "parser, readers and SDP", result, parserMs));
      for (const f of result.failures) io.out(`\n${formatFailure(f, result.seed)}\n`);
      if (receive !== null) {
        io.out(
          `receive path: ${receive.runs} datagrams in ${(receiveMs / 1000).toFixed(1)} s (seed ${seed}), ${receive.probes} OPTIONS probes answered ` +
            `(${receive.busy} after a 503 while every transaction was busy), ${receive.sent} datagrams sent; ` +
            `${receive.failures.length === 0 ? "every property held" : "FAILED"}\n`,
        );
        for (const f of receive.failures) io.out(`\nreceive-path failure: ${f.property}\n  seed ${seed}, run ${f.run} (run seed ${f.runSeed})\n  input(s): ${f.text}\n  hex: ${f.hex}\n`);
      }
    }
    return result.failures.length > 0 || (receive !== null && receive.failures.length > 0) ? EXIT_FAILED : EXIT_OK;
  },
};
