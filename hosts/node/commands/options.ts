/*
 * Option parsing as the `doorsip` subcommands do it: node:util parseArgs
 * with -h/--help added; a usage error is reported with the command's usage
 * text (exit 2) and --help prints it (exit 0), so the command goes on only
 * with good options. commandOptions takes no positionals; commandArgs
 * (`doorsip parse FILE...`) takes them.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { EXIT_OK, EXIT_USAGE, type CliIo } from "./command";

type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

const HELP = { help: { type: "boolean", short: "h", default: false } } as const;

type Config<O extends OptionsConfig, P extends boolean> = { args: string[]; options: O & typeof HELP; allowPositionals: P };

/** The values parseArgs gives for these options (and help). */
export type OptionValues<O extends OptionsConfig> = ReturnType<typeof parseArgs<Config<O, false>>>["values"];

/** The values and the positionals. */
export type CommandArgs<O extends OptionsConfig> = { values: ReturnType<typeof parseArgs<Config<O, true>>>["values"]; positionals: string[] };

function parse<O extends OptionsConfig, P extends boolean>(name: string, usage: string, args: string[], io: CliIo, options: O, allowPositionals: P) {
  let parsed: ReturnType<typeof parseArgs<Config<O, P>>>;
  try {
    parsed = parseArgs<Config<O, P>>({ args, options: { ...options, ...HELP }, allowPositionals });
  } catch (e) {
    const message = usageMessage(e instanceof Error ? e.message : String(e), Object.keys(options));
    // The usage is long: the message comes again after it, where a terminal leaves the eye.
    io.err(`doorsip ${name}: ${message}\n\n${usage}\ndoorsip ${name}: ${message}\n`);
    return EXIT_USAGE;
  }
  // The values' type stays unresolved inside this generic function: read help through the type it surely has.
  if ((parsed.values as { help?: boolean }).help === true) {
    io.out(usage);
    return EXIT_OK;
  }
  return parsed;
}

/** parseArgs's message, with the option meant for an unknown one ("--servr": did you mean --server?). */
function usageMessage(message: string, names: readonly string[]): string {
  const m = /^Unknown option '(-{1,2})([^'=]+)'/.exec(message);
  if (m === null) return message;
  const near = closest(m[2]!, [...names, "help"]);
  return near !== undefined ? `${m[0]} (did you mean --${near}?)` : m[0];
}

/** Edit distance (insert, delete, replace one character) between a and b. */
function distance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next.push(Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)));
    row = next;
  }
  return row[b.length]!;
}

/** The candidate nearest to `word` (case aside), if it is near enough to be a typo of it: at most 2 edits, 1 for short words. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = w.length <= 4 ? 2 : 3;
  for (const c of candidates) {
    const d = distance(w, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/**
 * `doorsip <name>`'s options from `args`: their values, or the exit code
 * when the command is already done (a usage error, reported on stderr with
 * `usage`; or --help, `usage` printed on stdout).
 */
export function commandOptions<O extends OptionsConfig>(name: string, usage: string, args: string[], io: CliIo, options: O): OptionValues<O> | number {
  const parsed = parse(name, usage, args, io, options, false);
  return typeof parsed === "number" ? parsed : parsed.values;
}

/** commandOptions for a command that also takes positionals (FILE...). */
export function commandArgs<O extends OptionsConfig>(name: string, usage: string, args: string[], io: CliIo, options: O): CommandArgs<O> | number {
  const parsed = parse(name, usage, args, io, options, true);
  return typeof parsed === "number" ? parsed : { values: parsed.values, positionals: parsed.positionals };
}
