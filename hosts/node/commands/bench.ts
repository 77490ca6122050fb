/* `doorsip bench`: the performance and memory budget (bench/budget.ts: the parser benchmark, the station inside XS, code size, soak). */
import { formatBench, runBench } from "../../../bench/budget";
import { DEFAULT_ROUNDS } from "../../../bench/parser";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type Command } from "./command";
import { commandOptions } from "./options";

const USAGE = `usage: doorsip bench [--json] [--quick] [--time SECONDS] [--rounds N] [--no-xs] [--no-code-size] [--bundle-size] [--soak N] [--corpus DIR]...

Parser throughput (messages/s) of doorsip and of sip.js, JsSIP and sip on the
same corpus, in this process. Each parse is followed by reading Call-ID, CSeq,
top Via branch, From and To tags through the library's own API. doorsip parses
bytes; the others parse strings decoded before timing.

Then, inside the XS engine, the whole station on a virtual host: compute,
slots and bytes per parsed message, per call (inbound, doorbell with 407),
retained after calls, per keepalive and per challenged refresh; the idle
heap; and the code size (XS byte code from an mcconfig build when $MODDABLE
is set, else the esbuild bundle). Targets not met are shown with the gap.

  --corpus DIR   use these message files (.sip .dat .txt .msg) and pcap captures
                 (found recursively; repeatable) instead of the default corpus:
                 the valid RFC 4475 messages all libraries parse + bench/corpus/
  --time S       seconds of timing per library (default 1)
  --rounds N     split the time into N rounds, keep the best (default ${DEFAULT_ROUNDS})
  --quick        a couple of passes only (checks that it runs; figures meaningless)
  --no-xs        skip the measurements under the XS engine
  --no-code-size skip the code size (an mcconfig build takes minutes)
  --bundle-size  the esbuild bundle's size even where $MODDABLE is set
  --soak N       also run the leak soak: N cycles of refresh, call, door code
                 and hang-up under XS (10000 takes several minutes)
  --json         print the figures as JSON
`;

export const benchCommand: Command = {
  summary: "performance and memory budget: parser against sip.js, JsSIP and sip; the station under XS",
  usage: USAGE,
  async run(args, io) {
    const values = commandOptions("bench", USAGE, args, io, {
      json: { type: "boolean", default: false },
      quick: { type: "boolean", default: false },
      time: { type: "string" },
      rounds: { type: "string" },
      "no-xs": { type: "boolean", default: false },
      "no-code-size": { type: "boolean", default: false },
      "bundle-size": { type: "boolean", default: false },
      soak: { type: "string" },
      corpus: { type: "string", multiple: true },
    });
    if (typeof values === "number") return values;
    const seconds = values.time === undefined ? 1 : Number(values.time);
    const rounds = values.rounds === undefined ? DEFAULT_ROUNDS : Number(values.rounds);
    if (!(seconds > 0 && seconds <= 600) || !(Number.isInteger(rounds) && rounds >= 1 && rounds <= 100)) {
      io.err(`doorsip bench: --time must be in (0, 600] and --rounds an integer in [1, 100]\n`);
      return EXIT_USAGE;
    }
    const soakCycles = values.soak === undefined ? 0 : Number(values.soak);
    if (!(Number.isInteger(soakCycles) && soakCycles >= 0 && soakCycles <= 1_000_000)) {
      io.err(`doorsip bench: --soak must be an integer in [0, 1000000]\n`);
      return EXIT_USAGE;
    }
    // Progress on one rewritten line, only when a person watches.
    const progress = !values.json && process.stderr.isTTY === true;
    try {
      const result = await runBench({
        root: io.root,
        corpus: values.corpus ?? [],
        seconds,
        rounds,
        quick: values.quick,
        xs: !values["no-xs"],
        codeSize: !values["no-code-size"],
        moddable: values["bundle-size"] ? "" : process.env.MODDABLE ?? "",
        soakCycles,
        log: progress ? (line) => io.err(`\r\x1b[K  ${line}`) : undefined,
      });
      if (progress) io.err("\r\x1b[K");
      io.out(values.json ? `${JSON.stringify(result, null, 2)}\n` : formatBench(result));
      return EXIT_OK;
    } catch (e) {
      io.err(`doorsip bench: ${e instanceof Error ? e.message : String(e)}\n`);
      return EXIT_FAILED;
    }
  },
};
